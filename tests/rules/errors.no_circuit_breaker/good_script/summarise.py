"""A command-line script: no route, no request to protect."""
import sys

from openai import OpenAI

client = OpenAI(timeout=20)
text = open(sys.argv[1]).read()
print(client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}]))
