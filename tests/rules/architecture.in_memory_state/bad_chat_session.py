import google.generativeai as genai
from flask import Flask, request

app = Flask(__name__)
model = genai.GenerativeModel("gemini-1.5-flash")
chat_session = model.start_chat(history=[])


@app.post("/chat")
def chat():
    response = chat_session.send_message(request.json["message"])  # expect: architecture.in_memory_state
    return response.text
