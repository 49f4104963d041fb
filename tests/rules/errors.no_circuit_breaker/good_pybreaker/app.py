import pybreaker
from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI(timeout=20)
breaker = pybreaker.CircuitBreaker(fail_max=5, reset_timeout=60)


@app.post("/ask")
@breaker
def ask():
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": request.json["question"]}],
    )
    return {"answer": reply.choices[0].message.content}
