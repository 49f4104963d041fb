const express = require("express");
const app = express();

app.post("/webhook", (req, res) => {
  console.log("webhook", req.body.type, req.body.id);
  const { token } = req.body;
  console.log("token present", Boolean(token));
  res.sendStatus(204);
});
