import OpenAI from "openai";

const openai = new OpenAI({ timeout: 20_000 });

export async function a(q: string) {
  return openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: q }] });
}
export async function b(q: string) {
  return openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: q }] });
}
export async function c(q: string) {
  return openai.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: q }] });
}
