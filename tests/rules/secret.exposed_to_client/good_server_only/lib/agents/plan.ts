import { model } from "../model";

export async function plan(goal: string) {
  const r = await model.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: goal }] });
  return r.choices[0].message.content;
}
