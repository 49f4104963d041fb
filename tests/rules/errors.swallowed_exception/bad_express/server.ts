import express from "express";
import { PrismaClient } from "@prisma/client";
import OpenAI from "openai";

const app = express();
const prisma = new PrismaClient();
const openai = new OpenAI();

app.post("/orders", async (req, res) => {
  try {
    await prisma.order.create({ data: req.body });
  } catch (e) {} // expect: errors.swallowed_exception
  try {
    const r = await openai.chat.completions.create({ model: "gpt-4o", messages: [] });
    res.json(r);
  } catch (err) { // expect: errors.swallowed_exception
    console.log("request failed");
  }
});
