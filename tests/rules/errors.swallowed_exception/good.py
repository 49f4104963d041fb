import json
import logging

from flask import Flask, request
from openai import APIError, OpenAI

app = Flask(__name__)
client = OpenAI()
log = logging.getLogger(__name__)


@app.post("/ask")
def ask():
    try:
        answer = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": request.json["q"]}])
    except APIError:
        log.exception("model request failed")
        return {"error": "the assistant is unavailable"}, 503
    try:
        extra = json.loads(request.json.get("extra", "{}"))
    except Exception:
        extra = {}
    try:
        answer = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    except Exception:
        log.warning("second call failed", exc_info=True)
        raise
    return {"answer": str(answer), "extra": extra}
