"use client";
// A React message bubble rendering markdown as raw HTML (synthetic fixture).
import { marked } from "marked";

export function Bubble({ text }: { text: string }) {
  return <div dangerouslySetInnerHTML={{ __html: marked(text) }} />; // expect: web.unsafe_html_sink
}
