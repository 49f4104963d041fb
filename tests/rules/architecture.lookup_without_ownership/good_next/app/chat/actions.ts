"use server";

import { auth } from "@/app/auth";
import { getChatById, updateChatVisibilityById } from "@/lib/queries";

export async function updateChatVisibility({ chatId, visibility }: { chatId: string; visibility: string }) {
  const session = await auth();
  const chat = await getChatById({ id: chatId });
  if (!session?.user || chat.userId !== session.user.id) {
    throw new Error("forbidden");
  }
  await updateChatVisibilityById({ chatId, visibility });
}
