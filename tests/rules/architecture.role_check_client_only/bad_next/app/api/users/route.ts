import { NextResponse } from "next/server";
import { db } from "@/lib/db";

export async function POST(req: Request) {
  const { id } = await req.json();
  await db.user.update({ where: { id }, data: { plan: "pro" } });
  return NextResponse.json({ ok: true });
}
