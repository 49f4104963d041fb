from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI(timeout=20)


@app.get("/define")
def define():
    word = request.args["word"]
    r = client.chat.completions.create(  # expect: performance.model_calls_uncached
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"Define {word} in one sentence."}])
    return {"definition": r.choices[0].message.content}
