const express = require("express");
const OpenAI = require("openai");
const Redis = require("ioredis");

const app = express();
const openai = new OpenAI({ timeout: 20000 });
const redis = new Redis(process.env.REDIS_URL);

app.get("/define", async (req, res) => {
  const key = `define:${req.query.word}`;
  const hit = await redis.get(key);
  if (hit) return res.json({ definition: hit });
  const r = await openai.chat.completions.create({
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: `Define ${req.query.word} in one sentence.` }],
  });
  await redis.set(key, r.choices[0].message.content, "EX", 86400);
  res.json({ definition: r.choices[0].message.content });
});
