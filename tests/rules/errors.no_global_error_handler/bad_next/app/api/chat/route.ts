import { NextResponse } from "next/server";

export async function POST(req: Request) { // expect: errors.no_global_error_handler
  try {
    const body = await req.json();
    return NextResponse.json({ echo: body });
  } catch (e) {
    return new Response("failed", { status: 500 });
  }
}
