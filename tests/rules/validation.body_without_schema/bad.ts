import express from "express";
import { PrismaClient } from "@prisma/client";
import OpenAI from "openai";

const app = express();
const prisma = new PrismaClient();
const openai = new OpenAI();
app.use(express.json());

app.post("/api/todos", async (req, res) => {
  const { title, done } = req.body;
  const todo = await prisma.todo.create({ data: { title, done } }); // expect: validation.body_without_schema
  res.json(todo);
});

app.post("/api/complete", async (req, res) => {
  const completion = await openai.chat.completions.create({ // expect: validation.body_without_schema
    model: "gpt-4o-mini",
    messages: [{ role: "user", content: req.body.prompt }],
  });
  res.json(completion.choices[0].message);
});
