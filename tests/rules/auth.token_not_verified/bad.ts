// An Express API that reads the user from a token without verifying it (synthetic fixture).
import express from "express";
import jwt from "jsonwebtoken";

const app = express();

app.get("/api/me", (req, res) => {
  const token = req.headers.authorization?.split(" ")[1] ?? "";
  const user = jwt.decode(token) as { sub: string }; // expect: auth.token_not_verified
  res.json({ id: user.sub });
});

app.get("/api/profile", (req, res) => {
  const token = req.headers.authorization ?? "";
  const claims = JSON.parse(Buffer.from(token.split(".")[1], "base64").toString()); // expect: auth.token_not_verified
  res.json({ email: claims.email });
});
