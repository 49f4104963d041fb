import { execSync } from "child_process";
import crypto from "crypto";

export async function POST(req: Request) {
  const body = await req.json();
  const key = crypto.pbkdf2Sync(body.password, "salt", 100000, 64, "sha512"); // expect: performance.blocking_call_in_async
  const out = execSync("git rev-parse HEAD"); // expect: performance.blocking_call_in_async
  return Response.json({ key: key.toString("hex"), out: out.toString() });
}
