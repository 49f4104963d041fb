import express from "express";
import multer from "multer";
import crypto from "crypto";

const app = express();
const upload = multer();
const indexes = new Map();

app.post("/upload", upload.single("file"), async (req, res) => {
  const file = req.file;
  const digest = crypto.createHash("sha256").update(file.buffer).digest("hex");
  const index = await buildVectorIndex(file.buffer);
  indexes.set(`${req.user.id}:${digest}`, index);
  const local = new Map();
  local.set(file.originalname, index);
  res.json({ ok: true });
});

async function buildVectorIndex(buf: Buffer) {
  return buf.length;
}
