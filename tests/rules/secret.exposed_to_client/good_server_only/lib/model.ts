// A misleadingly named key with the browser opt-in, in a module only server code imports (synthetic
// fixture, targeted.yaml's shape): Next.js never bundles it, and the opt-in is inert on the server.
import OpenAI from "openai";

export const model = new OpenAI({ apiKey: process.env.NEXT_PUBLIC_OPENAI_API_KEY, dangerouslyAllowBrowser: true });
