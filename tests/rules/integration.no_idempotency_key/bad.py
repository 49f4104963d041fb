import stripe
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/pay")
def pay():
    intent = stripe.PaymentIntent.create(amount=request.json["amount"], currency="usd")  # expect: integration.no_idempotency_key
    return jsonify(client_secret=intent.client_secret)


@app.post("/refund")
def refund():
    stripe.Refund.create(payment_intent=request.json["payment_intent"])  # expect: integration.no_idempotency_key
    return jsonify(ok=True)


@app.post("/checkout")
def checkout():
    session = stripe.checkout.Session.create(  # expect: integration.no_idempotency_key
        mode="payment",
        line_items=[{"price": "price_123", "quantity": 1}],
        success_url="https://example.com/ok",
    )
    return jsonify(url=session.url)
