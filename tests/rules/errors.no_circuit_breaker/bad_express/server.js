const express = require("express");

const app = express();
app.use(express.json());

app.get("/weather/:city", async (req, res) => {
  const r = await fetch(`https://api.example.com/weather/${req.params.city}`, { signal: AbortSignal.timeout(5000) }); // expect: errors.no_circuit_breaker
  res.json(await r.json());
});

app.listen(3000);
