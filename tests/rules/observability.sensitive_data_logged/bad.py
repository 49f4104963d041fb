import logging

from flask import Flask, request

app = Flask(__name__)
logger = logging.getLogger(__name__)


@app.post("/login")
def login():
    logger.info(request.json)  # expect: observability.sensitive_data_logged
    password = request.json["password"]
    logger.debug(f"login attempt with {password}")  # expect: observability.sensitive_data_logged
    print("auth header", request.headers.get("Authorization"))  # expect: observability.sensitive_data_logged
    return {"ok": True}


@app.post("/call-ended")
def call_ended():
    transcript = request.json["transcript"]
    phone_number = request.json["from"]
    logger.info("call from %s: %s", phone_number, transcript)  # expect: observability.sensitive_data_logged
    return {"ok": True}
