from fastapi import FastAPI
from langfuse.openai import OpenAI  # every request is traced, with its cost

app = FastAPI()
client = OpenAI(timeout=20)


@app.post("/summarise")
def summarise(text: str):
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    return {"summary": reply.choices[0].message.content}
