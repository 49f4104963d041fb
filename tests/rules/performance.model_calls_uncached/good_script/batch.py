"""A batch script: no route, nothing per request."""
from openai import OpenAI

client = OpenAI(timeout=20)
for word in ["cache", "queue"]:
    print(client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": word}]))
