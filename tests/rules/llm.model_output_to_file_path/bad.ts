// Tools that let the model choose the file to write, read or delete.
import { tool } from 'ai';
import { z } from 'zod';
import fs from 'fs/promises';
import { writeFileSync } from 'fs';
import { tool as lcTool, DynamicStructuredTool } from '@langchain/core/tools';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import OpenAI from 'openai';

const openai = new OpenAI();

export const saveFile = tool({
  description: 'Save a file',
  parameters: z.object({ path: z.string(), content: z.string() }),
  execute: async ({ path, content }) => {
    await fs.writeFile(path, content); // expect: llm.model_output_to_file_path
    return 'saved';
  },
});

export const readTool = lcTool(async ({ filePath }) => fs.readFile(filePath, 'utf8'), { // expect: llm.model_output_to_file_path
  name: 'read_file',
  schema: z.object({ filePath: z.string() }),
});

export const removeTool = new DynamicStructuredTool({
  name: 'remove',
  description: 'Delete a file',
  schema: z.object({ target: z.string() }),
  func: async ({ target }) => {
    await fs.unlink(`./data/${target}`); // expect: llm.model_output_to_file_path
    return 'removed';
  },
});

const server = new McpServer({ name: 'files', version: '1.0.0' });
server.tool('write', { path: z.string(), text: z.string() }, async ({ path, text }) => {
  await fs.writeFile(path, text); // expect: llm.model_output_to_file_path
  return { content: [{ type: 'text', text: 'ok' }] };
});

export async function run(question: string) {
  const res = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: question }], tools: [] });
  for (const call of res.choices[0].message.tool_calls ?? []) {
    const args = JSON.parse(call.function.arguments);
    writeFileSync(args.filename, args.content); // expect: llm.model_output_to_file_path
  }
}
