const express = require("express");
const OpenAI = require("openai");

const app = express();
const openai = new OpenAI({ timeout: 20000 });

app.get("/define", async (req, res) => {
  const r = await openai.chat.completions.create({ // expect: performance.model_calls_uncached
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: `Define ${req.query.word} in one sentence.` }],
  });
  res.json({ definition: r.choices[0].message.content });
});
