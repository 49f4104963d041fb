# A Streamlit chat and a Flask page putting model output and request data into HTML (synthetic fixture).
import streamlit as st
from flask import Flask, request, render_template_string
from markupsafe import Markup
from openai import OpenAI

client = OpenAI()
app = Flask(__name__)

question = st.text_input("Ask")
if question:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    answer = reply.choices[0].message.content
    st.markdown(f"<div class='bot'>{answer}</div>", unsafe_allow_html=True)  # expect: web.unsafe_html_sink
    st.markdown(f"<div class='me'>{question}</div>", unsafe_allow_html=True)  # expect: web.unsafe_html_sink


@app.get("/hello")
def hello():
    name = request.args.get("name", "")
    return render_template_string(f"<h1>Hello {name}</h1>")  # expect: web.unsafe_html_sink


@app.post("/summary")
def summary():
    text = request.json["text"]
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
    return str(Markup(reply.choices[0].message.content))  # expect: web.unsafe_html_sink
