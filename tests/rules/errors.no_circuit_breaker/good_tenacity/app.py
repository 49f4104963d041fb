from fastapi import FastAPI
from openai import OpenAI
from tenacity import retry, stop_after_attempt, wait_random_exponential

app = FastAPI()
client = OpenAI(timeout=20)


@retry(stop=stop_after_attempt(3), wait=wait_random_exponential(max=10))
def complete(question: str) -> str:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    return reply.choices[0].message.content


@app.post("/ask")
def ask(question: str):
    return {"answer": complete(question)}
