from fastapi import FastAPI
from openai import OpenAI
from pydantic import BaseModel

app = FastAPI()
client = OpenAI()


class Ask(BaseModel):
    question: str
    system_prompt: str
    model: str
    temperature: float = 0.7


@app.post("/ask")
def ask(body: Ask):
    out = client.chat.completions.create(  # expect: llm.client_chosen_prompt_or_model
        model=body.model,
        temperature=body.temperature,
        messages=[{"role": "system", "content": "You answer questions about our product."},
                  {"role": "user", "content": body.question}],
    )
    return {"answer": out.choices[0].message.content}


@app.post("/complete")
def complete(body: Ask):
    out = client.chat.completions.create(  # expect: llm.client_chosen_prompt_or_model
        model="gpt-4o-mini",
        messages=[{"role": "system", "content": body.system_prompt},
                  {"role": "user", "content": body.question}],
    )
    return {"answer": out.choices[0].message.content}
