"use client";
// A client component of the same app that imports something else (synthetic fixture).
import { useState } from "react";

export function Header() {
  const [open, setOpen] = useState(false);
  return <button onClick={() => setOpen(!open)}>{open ? "close" : "menu"}</button>;
}
