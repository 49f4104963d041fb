"use client";
// Sanitised markdown, constant HTML and text children (synthetic fixture).
import DOMPurify from "dompurify";
import { marked } from "marked";

const ICON = '<svg width="12" height="12"></svg>';

export function Bubble({ text }: { text: string }) {
  return (
    <div>
      <span dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(marked.parse(text) as string) }} />
      <span dangerouslySetInnerHTML={{ __html: ICON }} />
      <span dangerouslySetInnerHTML={{ __html: "<b>hi</b>" }} />
      <p>{text}</p>
    </div>
  );
}

export function reset(el: HTMLElement, count: number) {
  el.innerHTML = "";
  el.innerHTML = "<progress></progress>";
  el.innerHTML = "<div>Total: " + count + " s</div>";
  el.textContent = window.location.hash;
}
