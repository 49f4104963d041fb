import redis
from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI()
store = redis.Redis()
SYSTEM = [{"role": "system", "content": "You are a helpful assistant."}]
MODEL_CACHE = {}
ALLOWED = {"gpt-4o", "gpt-4o-mini"}


@app.post("/chat")
def chat():
    history = [*SYSTEM, {"role": "user", "content": request.json["message"]}]
    reply = client.chat.completions.create(model="gpt-4o", messages=history)
    store.rpush(f"chat:{request.json['session']}", reply.choices[0].message.content)
    return reply.choices[0].message.content


def warm():
    MODEL_CACHE["gpt-4o"] = True  # start-up only
