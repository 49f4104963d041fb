import Anthropic from "@anthropic-ai/sdk";

const anthropic = new Anthropic({ timeout: 20_000 });

export async function POST(req: Request) {
  const { text } = await req.json();
  const t = await anthropic.messages.create({ model: "claude-3-5-sonnet-20241022", max_tokens: 30, messages: [{ role: "user", content: text }] });
  return Response.json(t);
}
