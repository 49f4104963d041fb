from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI(timeout=20)


@app.post("/ask")
def ask():
    reply = client.chat.completions.create(  # expect: errors.no_circuit_breaker
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": request.json["question"]}],
    )
    return {"answer": reply.choices[0].message.content}
