# Handlers sending exception text and tracebacks to the client (synthetic fixture).
import traceback

from fastapi import FastAPI, HTTPException
from flask import Flask, jsonify

app = FastAPI()
web = Flask(__name__)


@app.post("/ask")
def ask(q: str):
    try:
        return {"answer": run(q)}
    except Exception as e:
        raise HTTPException(status_code=500, detail=str(e))  # expect: errors.exception_text_in_response


@app.get("/report")
def report():
    try:
        return build()
    except Exception as exc:
        return {"error": f"failed: {exc}"}  # expect: errors.exception_text_in_response


@web.post("/upload")
def upload():
    try:
        save()
    except Exception:
        return jsonify(error=traceback.format_exc()), 500  # expect: errors.exception_text_in_response
    return jsonify(ok=True)


def run(q):
    return q


def build():
    return {}


def save():
    pass
