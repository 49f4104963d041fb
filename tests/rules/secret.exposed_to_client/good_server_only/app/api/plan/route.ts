import { NextResponse } from "next/server";
import { plan } from "../../../lib/agents/plan";

export async function POST(req: Request) {
  const { goal } = await req.json();
  return NextResponse.json({ plan: await plan(goal) });
}
