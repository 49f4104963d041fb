import Anthropic from "@anthropic-ai/sdk";

const anthropic = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY, timeout: 20_000 });

export async function POST(req: Request) {
  const { question, userId } = await req.json();
  const msg = await anthropic.messages.create({
    model: "claude-3-5-haiku-20241022",
    max_tokens: 500,
    metadata: { user_id: userId },
    messages: [{ role: "user", content: question }],
  });
  return Response.json(msg);
}
