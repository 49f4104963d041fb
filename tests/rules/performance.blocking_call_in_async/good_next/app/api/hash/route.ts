import { exec } from "child_process";
import crypto from "crypto";
import { promisify } from "util";

const pbkdf2 = promisify(crypto.pbkdf2);

export async function POST(req: Request) {
  const body = await req.json();
  const key = await pbkdf2(body.password, "salt", 100000, 64, "sha512");
  const out = await promisify(exec)("git rev-parse HEAD");
  return Response.json({ key: key.toString("hex"), out: out.stdout });
}
