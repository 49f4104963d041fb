// Server route reading its key under a server-only name (synthetic fixture).
import OpenAI from "openai";
import { NextResponse } from "next/server";

const openai = new OpenAI({ apiKey: process.env.OPENAI_API_KEY });

export async function POST(req: Request) {
  const { q } = await req.json();
  const r = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: q }] });
  return NextResponse.json({ answer: r.choices[0].message.content });
}
