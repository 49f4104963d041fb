from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)


@app.post("/summarise")
def summarise():
    client = OpenAI(api_key=request.headers["X-OpenAI-Key"], timeout=20)  # the caller's own key pays
    reply = client.chat.completions.create(model="gpt-4o-mini",
                                           messages=[{"role": "user", "content": request.json["text"]}])
    return {"summary": reply.choices[0].message.content}
