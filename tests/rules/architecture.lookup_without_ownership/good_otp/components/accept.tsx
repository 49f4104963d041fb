"use client";
import { acceptInvite } from "@/app/invite/actions";

export function Accept({ id }: { id: string }) {
  return <button onClick={() => acceptInvite(id, prompt("code") ?? "")}>accept</button>;
}
