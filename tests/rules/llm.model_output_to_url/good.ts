// A fixed host with a model-chosen query, an allow-listed host, the answer posted to a fixed URL.
import { tool } from 'ai';
import { z } from 'zod';
import OpenAI from 'openai';

const openai = new OpenAI();
const ALLOWED_HOSTS = ['en.wikipedia.org'];

export const weather = tool({
  description: 'Weather of a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    const res = await fetch(`https://api.weather.example.com/v1/current?q=${encodeURIComponent(city)}`);
    return res.json();
  },
});

export const wiki = tool({
  description: 'Read a Wikipedia page',
  parameters: z.object({ url: z.string() }),
  execute: async ({ url }) => {
    if (!ALLOWED_HOSTS.includes(new URL(url).hostname)) {
      throw new Error('host not allowed');
    }
    const res = await fetch(url);
    return res.text();
  },
});

export async function summarise(text: string) {
  const res = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: text }] });
  const answer = res.choices[0].message.content;
  await fetch('https://hooks.example.com/summary', { method: 'POST', body: JSON.stringify({ answer }) });
  return answer;
}
