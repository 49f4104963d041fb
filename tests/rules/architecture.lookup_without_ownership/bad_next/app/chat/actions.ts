"use server";

import { updateChatVisibilityById } from "@/lib/queries";

export async function updateChatVisibility({ chatId, visibility }: { chatId: string; visibility: string }) {
  await updateChatVisibilityById({ chatId, visibility }); // expect: architecture.lookup_without_ownership
}
