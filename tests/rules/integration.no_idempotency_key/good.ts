import Stripe from "stripe";
import express from "express";

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);
const app = express();

app.post("/pay", async (req, res) => {
  const intent = await stripe.paymentIntents.create(
    { amount: 1000, currency: "usd" },
    { idempotencyKey: `order-${req.body.orderId}` },
  );
  const options = { idempotencyKey: req.get("Idempotency-Key") };
  await stripe.charges.create({ amount: 1000, currency: "usd", source: req.body.token }, options);
  const customer = await stripe.customers.create({ email: req.body.email });
  res.json({ clientSecret: intent.client_secret, customer: customer.id });
});
