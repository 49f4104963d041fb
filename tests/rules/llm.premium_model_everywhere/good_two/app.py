from openai import OpenAI

client = OpenAI(timeout=20)


def draft(text):
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])


def review(text):
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": text}])
