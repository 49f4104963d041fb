const express = require("express");
const app = express();

app.post("/webhook", (req, res) => {
  console.log(req.headers); // expect: observability.sensitive_data_logged
  console.log("body", req.body); // expect: observability.sensitive_data_logged
  const { token } = req.body;
  console.log(`token ${token}`); // expect: observability.sensitive_data_logged
  res.sendStatus(204);
});
