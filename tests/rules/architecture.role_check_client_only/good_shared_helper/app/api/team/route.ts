import { NextResponse } from "next/server";
import { canManage } from "@/lib/permissions";
import { getSession } from "@/lib/session";

export async function DELETE(req: Request) {
  const session = await getSession();
  if (!session || !canManage(session.user)) {
    return NextResponse.json({ error: "forbidden" }, { status: 403 });
  }
  return NextResponse.json({ ok: true });
}
