"use client";
// A chat page calling the provider from the browser (synthetic fixture).
import OpenAI from "openai";
import { useState } from "react";

const openai = new OpenAI({ apiKey: process.env.NEXT_PUBLIC_OPENAI_API_KEY, dangerouslyAllowBrowser: true }); // expect: secret.exposed_to_client
const backup = new OpenAI({ apiKey: "sk-proj-placeholder", dangerouslyAllowBrowser: true }); // expect: secret.exposed_to_client
const analyticsToken = process.env.NEXT_PUBLIC_MYSTERY_TOKEN; // expect: secret.exposed_to_client

export default function Chat() {
  const [answer, setAnswer] = useState("");
  async function ask(q: string) {
    const r = await openai.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: q }] });
    setAnswer(r.choices[0].message.content ?? "");
  }
  return <button onClick={() => ask("hi")}>{answer}</button>;
}
