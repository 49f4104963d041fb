import express from "express";
import { PrismaClient } from "@prisma/client";
import { z } from "zod";

const app = express();
const prisma = new PrismaClient();
app.use(express.json());

const TodoIn = z.object({ title: z.string().max(200), done: z.boolean().default(false) });

app.post("/api/todos", async (req, res) => {
  const parsed = TodoIn.safeParse(req.body);
  if (!parsed.success) return res.status(400).json(parsed.error);
  const todo = await prisma.todo.create({ data: parsed.data });
  res.json(todo);
});

app.get("/api/todos", async (req, res) => {
  res.json(await prisma.todo.findMany({ take: 50 }));
});
