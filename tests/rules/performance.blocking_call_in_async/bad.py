import subprocess
import time

import requests
from fastapi import FastAPI
from openai import OpenAI

app = FastAPI()
client = OpenAI()


@app.post("/chat")
async def chat(body: dict):
    answer = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": body["q"]}])  # expect: performance.blocking_call_in_async
    page = requests.get("https://example.com", timeout=5)  # expect: performance.blocking_call_in_async
    time.sleep(1)  # expect: performance.blocking_call_in_async
    subprocess.run(["ls"], check=True)  # expect: performance.blocking_call_in_async
    return {"answer": answer.choices[0].message.content, "page": page.text}
