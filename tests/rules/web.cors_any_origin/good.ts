// CORS with an allow-list (synthetic fixture).
import express from "express";
import cors from "cors";

const app = express();
app.use(cors({ origin: ["https://app.example.com"], credentials: true }));
app.use(cors({ origin: process.env.FRONTEND_URL }));

app.get("/api/data", (req, res) => {
  res.setHeader("Access-Control-Allow-Origin", "https://app.example.com");
  res.json({ ok: true });
});
