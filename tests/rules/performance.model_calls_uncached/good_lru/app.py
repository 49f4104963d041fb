from functools import lru_cache

from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI(timeout=20)


@lru_cache(maxsize=1024)
def definition(word: str) -> str:
    r = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Define {word} in one sentence."}])
    return r.choices[0].message.content


@app.get("/define")
def define():
    return {"definition": definition(request.args["word"])}
