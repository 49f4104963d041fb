// The model's answer written into a fixed file; tool paths confined to a folder.
import { tool } from 'ai';
import { z } from 'zod';
import fs from 'fs/promises';
import path from 'path';
import OpenAI from 'openai';

const openai = new OpenAI();
const ROOT = path.resolve('./workspace');

export async function summarise(text: string) {
  const res = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: text }] });
  const answer = res.choices[0].message.content ?? '';
  await fs.writeFile('summary.md', answer);
  return answer;
}

export const saveFile = tool({
  description: 'Save a file in the workspace',
  parameters: z.object({ name: z.string(), content: z.string() }),
  execute: async ({ name, content }) => {
    const full = path.resolve(ROOT, name);
    if (!full.startsWith(ROOT + path.sep)) {
      throw new Error('outside the workspace');
    }
    await fs.writeFile(full, content);
    return 'saved';
  },
});

export const saveBare = tool({
  description: 'Save under a bare name',
  parameters: z.object({ name: z.string(), content: z.string() }),
  execute: async ({ name, content }) => {
    await fs.writeFile(path.join(ROOT, path.basename(name)), content);
    return 'saved';
  },
});
