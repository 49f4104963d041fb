import requests
from flask import Flask, jsonify, request
from openai import OpenAI

from .db import db
from .models import Note

app = Flask(__name__)
client = OpenAI()


@app.post("/notes")
def create_note():
    data = request.get_json()
    note = Note(title=data["title"], body=data.get("body"))
    db.session.add(note)  # expect: validation.body_without_schema
    db.session.commit()
    return jsonify({"id": note.id})


@app.post("/chat")
def chat():
    prompt = request.json["prompt"]
    reply = client.chat.completions.create(  # expect: validation.body_without_schema
        model="gpt-4o-mini", messages=[{"role": "user", "content": prompt}])
    return jsonify({"reply": reply.choices[0].message.content})


@app.post("/forward")
def forward():
    payload = request.get_json()
    r = requests.post("https://hooks.example.com/in", json={"text": payload["text"]}, timeout=5)  # expect: validation.body_without_schema
    return jsonify({"status": r.status_code})
