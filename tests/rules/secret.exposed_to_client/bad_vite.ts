// A Vite single-page app (synthetic fixture).
import Anthropic from "@anthropic-ai/sdk";

const key = import.meta.env.VITE_ANTHROPIC_API_KEY; // expect: secret.exposed_to_client
export const claude = new Anthropic({ apiKey: key, dangerouslyAllowBrowser: true }); // one flaw with the read above: not reported twice
const sb = import.meta.env.VITE_SUPABASE_SERVICE_ROLE_KEY; // expect: secret.exposed_to_client
export const url = import.meta.env.VITE_SUPABASE_URL;
