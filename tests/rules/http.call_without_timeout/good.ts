// Outbound requests that something bounds in time (synthetic fixture): nothing to report.
import axios from "axios";
import got from "got";
import ky from "ky";

const api = axios.create({ baseURL: "https://crm.example.com", timeout: 5000 });
const withSignal = { signal: AbortSignal.timeout(5000) };

export async function rates() {
  const res = await fetch("https://rates.example.com/latest", { signal: AbortSignal.timeout(3000) });
  return res.json();
}

export async function cancellable() {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 5000);
  return fetch("https://rates.example.com/latest", { method: "POST", signal: controller.signal });
}

export async function order(payload: object) {
  await axios.post("https://erp.example.com/orders", payload, { timeout: 5000 });
  await axios.get("https://erp.example.com/status", { timeout: 2000 });
  await api.get("/contacts");
  await got("https://erp.example.com/ping", { timeout: { request: 5000 } });
  await ky.get("https://erp.example.com/ping"); // ky's own default: 10 seconds
  return fetch("https://erp.example.com/ping", withSignal);
}

export async function fromTheBrowser() {
  // a same-origin URL: browser code calling its own backend (Node's fetch refuses relative URLs)
  return fetch("/api/chat", { method: "POST" });
}

export async function modelCall(prompt: string) {
  // a model API over raw HTTP is llm.call_without_timeout's finding, not this rule's
  return fetch("https://api.openai.com/v1/chat/completions", { method: "POST", body: prompt });
}

export async function passedThrough(url: string, init: RequestInit) {
  return fetch(url, init); // the options come from the callers: not seen, not reported
}
