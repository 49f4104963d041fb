// A Clerk webhook creating users from an unverified body (synthetic fixture).
import { NextResponse } from "next/server";
import { db } from "@/lib/db";

export async function POST(req: Request) { // expect: integration.webhook_unverified
  const evt = await req.json();
  if (evt.type === "user.created") {
    await db.user.create({ data: { id: evt.data.id, email: evt.data.email_addresses[0].email_address } });
  }
  return NextResponse.json({ ok: true });
}
