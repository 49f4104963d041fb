const express = require("express");

const app = express();

app.get("/items/:id", (req, res) => { // expect: errors.no_global_error_handler
  res.status(404).send("not found");
});

app.post("/items", (req, res) => {
  res.status(400).json({ err: "bad" });
});

app.listen(3000);
