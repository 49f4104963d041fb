import asyncio
import time

import requests
from fastapi import FastAPI
from openai import AsyncOpenAI, OpenAI

app = FastAPI()
aclient = AsyncOpenAI()
client = OpenAI()


@app.post("/chat")
async def chat(body: dict):
    answer = await aclient.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": body["q"]}])
    page = await asyncio.to_thread(requests.get, "https://example.com", timeout=5)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, lambda: time.sleep(1))
    await asyncio.sleep(1)
    return {"answer": answer.choices[0].message.content, "page": page.text}


@app.post("/sync")
def sync_chat(body: dict):  # a plain def runs in the thread pool
    time.sleep(1)
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": body["q"]}])


def script():
    time.sleep(1)
