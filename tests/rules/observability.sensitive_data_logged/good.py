import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger(__name__)
TOKEN_HEADER = "x-token"


@app.post("/login")
def login():
    password = request.json["password"]
    logger.info("login attempt for user %s", request.json["user"])
    logger.info("password length %d", len(password))
    logger.info("header used: %s", TOKEN_HEADER)
    total_tokens = 42
    logger.info("used %d tokens, max_tokens %d", total_tokens, 100)
    return {"ok": True}
