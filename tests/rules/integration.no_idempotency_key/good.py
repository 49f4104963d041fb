import stripe
from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/pay")
def pay():
    order_id = request.json["order_id"]
    intent = stripe.PaymentIntent.create(amount=1000, currency="usd", idempotency_key=f"order-{order_id}")
    return jsonify(client_secret=intent.client_secret)


@app.post("/checkout")
def checkout():
    session = stripe.checkout.Session.create(
        mode="payment",
        line_items=[{"price": "price_123", "quantity": 1}],
        success_url="https://example.com/ok",
        idempotency_key=request.headers["Idempotency-Key"],
    )
    customer = stripe.Customer.create(email=request.json["email"])  # not a payment
    return jsonify(url=session.url, customer=customer.id)
