"use client";
// The client component that calls the server action (synthetic fixture): the import gives it an action id.
import { updateChatVisibility } from "@/app/chat/actions";

export function VisibilityToggle({ chatId }: { chatId: string }) {
  return <button onClick={() => updateChatVisibility({ chatId, visibility: "public" })}>share</button>;
}
