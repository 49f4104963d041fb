from fastapi import FastAPI, HTTPException
from openai import OpenAI
from pydantic import BaseModel

app = FastAPI()
client = OpenAI()
ALLOWED_MODELS = {"gpt-4o-mini", "gpt-4o"}


class Ask(BaseModel):
    question: str
    model: str
    api_key: str


@app.post("/ask")
def ask(body: Ask):
    if body.model not in ALLOWED_MODELS:
        raise HTTPException(400, "unknown model")
    out = client.chat.completions.create(
        model=body.model,
        messages=[{"role": "system", "content": "You answer questions."},
                  {"role": "user", "content": body.question}],
    )
    return {"answer": out.choices[0].message.content}


@app.post("/byok")
def byok(body: Ask):
    mine = OpenAI(api_key=body.api_key)
    out = mine.chat.completions.create(model=body.model, messages=[{"role": "user", "content": body.question}])
    return {"answer": out.choices[0].message.content}
