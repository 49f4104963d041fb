import { openai } from "@ai-sdk/openai";
import { streamText } from "ai";

export async function POST(req: Request) {
  const { messages, model, system } = await req.json();
  const result = streamText({ // expect: llm.client_chosen_prompt_or_model
    model: openai(model),
    system,
    messages: [{ role: "user", content: messages[messages.length - 1].content }],
  });
  return result.toDataStreamResponse();
}
