# A Telegram bot's admin route that points the bot's webhook at a URL (synthetic fixture): it registers a
# receiver with Telegram and receives no event, so there is no signature to check (whether anyone may call
# it is architecture.endpoint_without_auth's question).
import os

import requests
from fastapi import FastAPI, Request

app = FastAPI()
TOKEN = os.environ["TELEGRAM_TOKEN"]


@app.post("/set-webhook")
async def set_webhook(request: Request):
    body = await request.json()
    r = requests.post(f"https://api.telegram.org/bot{TOKEN}/setWebhook", json={"url": body["url"]}, timeout=10)
    return r.json()
