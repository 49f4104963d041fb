import Stripe from "stripe";
import express from "express";

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!);
const app = express();

app.post("/pay", async (req, res) => {
  const intent = await stripe.paymentIntents.create({ amount: req.body.amount, currency: "usd" }); // expect: integration.no_idempotency_key
  res.json({ clientSecret: intent.client_secret });
});

app.post("/refund", async (req, res) => {
  await stripe.refunds.create({ payment_intent: req.body.id }, { stripeAccount: "acct_1" }); // expect: integration.no_idempotency_key
  res.json({ ok: true });
});
