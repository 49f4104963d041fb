// A React sign-up form checking that both password fields match before it posts (synthetic fixture):
// the browser stores nothing, the server hashes.
import React, { useState } from "react";

type Fields = { email: string; password: string; confirmPassword: string };

export function SignupForm({ onSubmit }: { onSubmit: (f: Fields) => void }) {
  const [data, setData] = useState<Fields>({ email: "", password: "", confirmPassword: "" });
  const [error, setError] = useState("");
  const submit = () => {
    if (data.password !== data.confirmPassword) {
      setError("Passwords do not match");
      return;
    }
    onSubmit(data);
  };
  return (
    <form onSubmit={submit}>
      <input value={data.password} onChange={(e) => setData({ ...data, password: e.target.value })} />
      <p>{error}</p>
    </form>
  );
}
