export function Admin({ user }: { user: { role: string } }) {
  if (user.role === "admin") {
    return <button onClick={() => fetch("/api/admin/reset", { method: "POST" })}>Reset</button>;
  }
  return null;
}
