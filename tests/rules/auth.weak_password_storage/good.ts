// bcrypt for passwords; sha256 for an ETag (synthetic fixture).
import bcrypt from "bcryptjs";
import crypto from "crypto";
import express from "express";
import { prisma } from "./db";

const app = express();

app.post("/signup", async (req, res) => {
  const hash = await bcrypt.hash(req.body.password, 12);
  await prisma.user.create({ data: { email: req.body.email, password: hash } });
  res.json({ ok: true });
});

app.post("/login", async (req, res) => {
  const user = await prisma.user.findUnique({ where: { email: req.body.email } });
  if (!user || !(await bcrypt.compare(req.body.password, user.password))) return res.status(401).end();
  res.json({ ok: true });
});

export function etag(body: string) {
  return crypto.createHash("sha256").update(body).digest("hex");
}
