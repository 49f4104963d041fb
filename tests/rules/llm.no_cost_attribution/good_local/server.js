const express = require("express");
const { Ollama } = require("ollama");

const app = express();
const ollama = new Ollama({ host: "http://localhost:11434" });

app.post("/ask", async (req, res) => {
  const reply = await ollama.chat({ model: "llama3", messages: [{ role: "user", content: req.body.q }] });
  res.json(reply);
});
