# The Stripe webhook verified with the signing secret (synthetic fixture).
import os

import stripe
from flask import Flask, request

app = Flask(__name__)


@app.route("/webhooks/stripe", methods=["POST"])
def stripe_webhook():
    event = stripe.Webhook.construct_event(request.data, request.headers["Stripe-Signature"],
                                           os.environ["STRIPE_WEBHOOK_SECRET"])
    return {"received": event["type"]}
