// An Express proxy with CORS open to everyone (synthetic fixture).
import express from "express";
import cors from "cors";

const app = express();
app.use(cors()); // expect: web.cors_any_origin
app.use(cors({ origin: true, credentials: true })); // expect: web.cors_any_origin

app.get("/api/data", async (req, res) => {
  res.setHeader("Access-Control-Allow-Origin", "*"); // expect: web.cors_any_origin
  const upstream = await fetch(`https://api.example.com/data?q=${req.query.q}`);
  res.json(await upstream.json());
});

app.get("/.well-known/agent.json", (req, res) => {
  res.setHeader("Access-Control-Allow-Origin", "*"); // a public discovery document: meant for any site
  res.json({ name: "agent" });
});
