from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI(timeout=20)


@app.post("/classify")
def classify():
    r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": request.json["t"]}])  # expect: llm.premium_model_everywhere
    return {"label": r.choices[0].message.content}


@app.post("/title")
def title():
    r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": request.json["t"]}])
    return {"title": r.choices[0].message.content}


@app.post("/answer")
def answer():
    r = client.chat.completions.create(model="gpt-4-turbo", messages=[{"role": "user", "content": request.json["t"]}])
    return {"answer": r.choices[0].message.content}
