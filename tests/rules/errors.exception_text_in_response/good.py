# Exceptions logged on the server, fixed messages to the client (synthetic fixture).
import logging

from fastapi import FastAPI, HTTPException

app = FastAPI()
log = logging.getLogger(__name__)


@app.post("/ask")
def ask(q: str):
    try:
        return {"answer": q.upper()}
    except Exception as e:
        log.exception("ask failed: %s", e)
        raise HTTPException(status_code=500, detail="Something went wrong")


def helper(path):
    try:
        return open(path).read()
    except OSError as e:
        return f"Error: {e}"  # not a handler: the caller decides what the client sees
