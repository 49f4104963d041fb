"use server";
// An invitee confirms with the one-time code they were sent (synthetic fixture, targeted.yaml's shape):
// the update matches the id AND the code, so an id alone opens nothing.
import { db } from "@/lib/db";

export async function acceptInvite(inviteId: string, otp: string) {
  const invite = await db.invitation.findUnique({ where: { id: inviteId, keyCode: otp } });
  if (!invite) return { error: "code not valid" };
  await db.invitation.update({ where: { id: inviteId, keyCode: otp }, data: { status: "ACCEPTED" } });
  return { ok: true };
}
