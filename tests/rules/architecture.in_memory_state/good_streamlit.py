import streamlit as st
from openai import OpenAI

client = OpenAI()
messages = []

prompt = st.chat_input("Ask")
if prompt:
    messages.append({"role": "user", "content": prompt})
    st.write(client.chat.completions.create(model="gpt-4o", messages=messages).choices[0].message.content)
