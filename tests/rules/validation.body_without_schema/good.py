from flask import Flask, jsonify, request
from openai import OpenAI
from pydantic import BaseModel, Field

from .db import db
from .models import Note

app = Flask(__name__)
client = OpenAI()


class NoteIn(BaseModel):
    title: str = Field(max_length=200)
    body: str = ""


@app.post("/notes")
def create_note():
    data = NoteIn(**request.get_json())
    note = Note(title=data.title, body=data.body)
    db.session.add(note)
    db.session.commit()
    return jsonify({"id": note.id})


@app.post("/chat")
def chat():
    body = NoteIn.model_validate(request.json)
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": body.body}])
    return jsonify({"reply": reply.choices[0].message.content})


@app.get("/search")
def search():
    q = request.args.get("q", "")
    return jsonify({"q": q})
