# A Stripe webhook trusting whatever is posted (synthetic fixture).
import json

from flask import Flask, request

app = Flask(__name__)
PAID = set()


@app.route("/webhooks/stripe", methods=["POST"])
def stripe_webhook():  # expect: integration.webhook_unverified
    event = json.loads(request.data)
    if event["type"] == "checkout.session.completed":
        PAID.add(event["data"]["object"]["customer"])
    return "", 200
