import Anthropic from "@anthropic-ai/sdk";

const anthropic = new Anthropic({ timeout: 20_000 });

export async function POST(req: Request) {
  const { question } = await req.json();
  const draft = await anthropic.messages.create({ model: "claude-3-5-sonnet-20241022", max_tokens: 800, messages: [{ role: "user", content: question }] }); // expect: llm.premium_model_everywhere
  const review = await anthropic.messages.create({ model: "claude-3-opus-20240229", max_tokens: 800, messages: [{ role: "user", content: String(draft.content) }] });
  return Response.json(review);
}
