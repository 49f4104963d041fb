import { openai } from "@ai-sdk/openai";
import { streamText } from "ai";

const MODELS = ["gpt-4o-mini", "gpt-4o"];

export async function POST(req: Request) {
  const { prompt, model } = await req.json();
  const chosen = MODELS.includes(model) ? model : "gpt-4o-mini";
  const result = streamText({
    model: openai("gpt-4o-mini"),
    system: "You are a helpful assistant.",
    prompt,
    maxTokens: 500,
  });
  return result.toDataStreamResponse();
}
