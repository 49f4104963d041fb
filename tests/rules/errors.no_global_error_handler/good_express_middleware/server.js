const express = require("express");

const app = express();

app.get("/items/:id", (req, res) => {
  res.json({ id: req.params.id });
});

app.use((err, req, res, next) => {
  res.status(err.status || 500).json({ error: { code: err.code || "internal" } });
});

app.listen(3000);
