import OpenAI from "openai";

const openai = new OpenAI();
const sessions = new Map<string, any[]>();

export async function POST(req: Request) {
  const { sessionId, message } = await req.json();
  const history = sessions.get(sessionId) ?? [];
  history.push({ role: "user", content: message });
  sessions.set(sessionId, history); // expect: architecture.in_memory_state
  const reply = await openai.chat.completions.create({ model: "gpt-4o", messages: history });
  return Response.json(reply.choices[0].message);
}
