from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI(timeout=20, max_retries=2)


@app.post("/summarise")
def summarise():
    reply = client.chat.completions.create(  # expect: llm.no_cost_attribution
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": request.json["text"]}],
        max_tokens=300,
    )
    return {"summary": reply.choices[0].message.content}
