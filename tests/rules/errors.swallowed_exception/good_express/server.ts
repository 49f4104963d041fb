import express from "express";
import { PrismaClient } from "@prisma/client";
import * as Sentry from "@sentry/node";

const app = express();
const prisma = new PrismaClient();

app.post("/orders", async (req, res) => {
  try {
    await prisma.order.create({ data: req.body });
  } catch (e) {
    Sentry.captureException(e);
    return res.status(500).json({ error: "could not save the order" });
  }
  let parsed = {};
  try {
    parsed = JSON.parse(req.body.extra);
  } catch {}
  res.json(parsed);
});

app.post("/titles", async (req, res) => {
  try {
    await prisma.chat.update({ where: { id: req.body.id }, data: { title: req.body.title } });
  } catch (error) {
    console.warn("Failed to update title", error);
  }
  try {
    await prisma.stream.create({ data: { id: req.body.id } });
  } catch (_) {
    // resumable streams are optional: ignore redis errors
  }
  res.sendStatus(204);
});
