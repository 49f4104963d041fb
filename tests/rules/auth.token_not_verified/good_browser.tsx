"use client";
// Shows the signed-in user's name from their own token; the server verifies it (synthetic fixture).
import { jwtDecode } from "jwt-decode";

export function Hello({ token }: { token: string }) {
  const claims = jwtDecode<{ name: string }>(token);
  const raw = JSON.parse(atob(token.split(".")[1]));
  return <span>{claims.name ?? raw.name}</span>;
}
