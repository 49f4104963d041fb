import logging
import sqlite3

from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI()
log = logging.getLogger(__name__)


@app.post("/ask")
def ask():
    answer = ""
    try:
        answer = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": request.json["q"]}])
    except Exception:  # expect: errors.swallowed_exception
        pass
    try:
        db = sqlite3.connect("app.db")
        db.execute("INSERT INTO questions (q) VALUES (?)", (request.json["q"],))
        db.commit()
    except:  # expect: errors.swallowed_exception
        print("could not save")
    return {"answer": str(answer)}
