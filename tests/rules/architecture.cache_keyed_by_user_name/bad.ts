import express from "express";
import multer from "multer";

const app = express();
const upload = multer();
const indexes = new Map();

app.post("/upload", upload.single("file"), async (req, res) => {
  const file = req.file;
  const index = await buildVectorIndex(file.buffer);
  indexes.set(file.originalname, index); // expect: architecture.cache_keyed_by_user_name
  res.json({ ok: true });
});

async function buildVectorIndex(buf: Buffer) {
  return buf.length;
}
