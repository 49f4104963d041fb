"use client";
import { canManage } from "@/lib/permissions";

export default function Team({ user, members }: { user: { role: string }; members: string[] }) {
  return (
    <ul>
      {members.map((m) => (
        <li key={m}>{m} {user.role === "owner" && <button>Remove</button>}</li>
      ))}
      {canManage(user) ? <button>Invite</button> : null}
    </ul>
  );
}
