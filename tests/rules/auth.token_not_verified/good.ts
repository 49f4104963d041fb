// Verified tokens on the server; a browser component reading its own token for display (synthetic fixture).
import express from "express";
import jwt from "jsonwebtoken";

const app = express();

app.get("/api/me", (req, res) => {
  const token = req.headers.authorization?.split(" ")[1] ?? "";
  try {
    const user = jwt.verify(token, process.env.JWT_SECRET!, { algorithms: ["HS256"] }) as { sub: string };
    const header = jwt.decode(token, { complete: true });
    res.json({ id: user.sub, kid: header?.header.kid });
  } catch {
    res.status(401).end();
  }
});
