import { eq } from "drizzle-orm";
import { db } from "./db";
import { chat } from "./schema";

export async function updateChatVisibilityById({ chatId, visibility }: { chatId: string; visibility: string }) {
  return await db.update(chat).set({ visibility }).where(eq(chat.id, chatId));
}

export async function deleteChatById({ id }: { id: string }) {
  return await db.delete(chat).where(eq(chat.id, id));
}
