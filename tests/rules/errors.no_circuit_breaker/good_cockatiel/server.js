const express = require("express");
const { circuitBreaker, handleAll, ConsecutiveBreaker } = require("cockatiel");

const app = express();
const breaker = circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) });

app.get("/weather/:city", async (req, res) => {
  const r = await breaker.execute(() => fetch(`https://api.example.com/weather/${req.params.city}`));
  res.json(await r.json());
});

app.listen(3000);
