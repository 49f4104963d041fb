import { NextResponse } from "next/server";

const indexes = new Map<string, string[]>();

export async function POST(req: Request) {
  const form = await req.formData();
  const file = form.get("file") as File;
  const text = await file.text();
  indexes.set(`doc:${file.name}`, text.split("\n\n")); // expect: architecture.cache_keyed_by_user_name
  return NextResponse.json({ ok: true });
}

export async function GET(req: Request) {
  const name = new URL(req.url).searchParams.get("name") ?? "";
  return NextResponse.json({ chunks: indexes.get(`doc:${name}`) ?? [] });
}
