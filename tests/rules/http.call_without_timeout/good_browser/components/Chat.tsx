"use client";
// Browser code (synthetic fixture): a slow answer hangs this tab, not a server worker.
export async function send(text: string) {
  const res = await fetch("https://api.example.com/chat", { method: "POST", body: JSON.stringify({ text }) });
  return res.json();
}
