from flask import Flask, g, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI(timeout=20)


@app.post("/summarise")
def summarise():
    reply = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": request.json["text"]}],
        user=g.user_id,
    )
    return {"summary": reply.choices[0].message.content}
