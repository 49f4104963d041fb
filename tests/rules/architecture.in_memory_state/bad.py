from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI()
conversation = [{"role": "system", "content": "You are a helpful voice assistant."}]
jobs = {}


@app.post("/voice")
def voice():
    conversation.append({"role": "user", "content": request.form["SpeechResult"]})  # expect: architecture.in_memory_state
    reply = client.chat.completions.create(model="gpt-4o", messages=conversation)
    conversation.append({"role": "assistant", "content": reply.choices[0].message.content})
    return reply.choices[0].message.content


@app.post("/jobs")
def start_job():
    job_id = request.json["id"]
    jobs[job_id] = {"status": "running"}  # expect: architecture.in_memory_state
    return {"id": job_id}
