"use client";
// Public-by-design keys in the browser; the model is called through the app's own API (synthetic fixture).
import { createBrowserClient } from "@supabase/ssr";
import OpenAI from "openai";

const supabase = createBrowserClient(process.env.NEXT_PUBLIC_SUPABASE_URL!, process.env.NEXT_PUBLIC_SUPABASE_ANON_KEY!);
const stripeKey = process.env.NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY;
const posthog = process.env.NEXT_PUBLIC_POSTHOG_KEY;
const captcha = process.env.NEXT_PUBLIC_RECAPTCHA_SITE_KEY;
// const old = process.env.NEXT_PUBLIC_OPENAI_API_KEY;

export function byok(userKey: string) {
  // the visitor's own key, typed into the page
  return new OpenAI({ apiKey: userKey, dangerouslyAllowBrowser: false });
}

export async function ask(q: string) {
  const r = await fetch("/api/chat", { method: "POST", body: JSON.stringify({ q }) });
  return r.json();
}
