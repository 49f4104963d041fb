// Express sign-up storing a sha256 of the password; login comparing plain text (synthetic fixture).
import crypto from "crypto";
import express from "express";
import { prisma } from "./db";

const app = express();

app.post("/signup", async (req, res) => {
  const hash = crypto.createHash("sha256").update(req.body.password).digest("hex"); // expect: auth.weak_password_storage
  await prisma.user.create({ data: { email: req.body.email, password: hash } });
  res.json({ ok: true });
});

app.post("/login", async (req, res) => {
  const user = await prisma.user.findUnique({ where: { email: req.body.email } });
  if (!user || user.password !== req.body.password) return res.status(401).end(); // expect: auth.weak_password_storage
  res.json({ ok: true });
});
