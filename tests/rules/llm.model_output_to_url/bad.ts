// Tools that fetch URLs the model chooses.
import { tool } from 'ai';
import { z } from 'zod';
import axios from 'axios';
import OpenAI from 'openai';

const openai = new OpenAI();

export const httpFetch = tool({
  description: 'Fetch a URL',
  parameters: z.object({ url: z.string() }),
  execute: async ({ url }) => {
    const res = await fetch(url); // expect: llm.model_output_to_url
    return res.text();
  },
});

export async function run(question: string) {
  const res = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: question }], tools: [] });
  for (const call of res.choices[0].message.tool_calls ?? []) {
    const args = JSON.parse(call.function.arguments);
    const page = await axios.get(args.url); // expect: llm.model_output_to_url
    return page.data;
  }
}
