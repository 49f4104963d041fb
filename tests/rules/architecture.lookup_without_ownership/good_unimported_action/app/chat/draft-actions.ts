"use server";
// A "use server" module nothing imports (synthetic fixture, targeted.yaml's shape): Next.js generates no
// action id for it, so its exported functions cannot be called from a browser.
import { updateChatVisibilityById } from "@/lib/queries";

export async function updateChatVisibility({ chatId, visibility }: { chatId: string; visibility: string }) {
  await updateChatVisibilityById({ chatId, visibility });
}
