import OpenAI from "openai";
import { kv } from "@vercel/kv";

const openai = new OpenAI();
const MODELS = new Set(["gpt-4o"]);

export async function POST(req: Request) {
  const { sessionId, message } = await req.json();
  const history: any[] = (await kv.get(sessionId)) ?? [];
  history.push({ role: "user", content: message });
  await kv.set(sessionId, history);
  const reply = await openai.chat.completions.create({ model: "gpt-4o", messages: history });
  return Response.json(reply.choices[0].message);
}
