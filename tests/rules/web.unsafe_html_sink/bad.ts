// Browser code rendering a model's markdown and a query parameter as HTML (synthetic fixture).
import { marked } from "marked";

export async function show(el: HTMLElement, question: string) {
  const res = await fetch("/api/chat", { method: "POST", body: JSON.stringify({ question }) });
  const { answer } = await res.json();
  el.innerHTML = marked.parse(answer); // expect: web.unsafe_html_sink
  const q = new URLSearchParams(window.location.search).get("q");
  document.getElementById("echo")!.innerHTML = `You asked: ${window.location.hash}`; // expect: web.unsafe_html_sink
  return q;
}
