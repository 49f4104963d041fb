# Constant HTML, escaped model output, text rendering (synthetic fixture).
import bleach
import streamlit as st
from openai import OpenAI

client = OpenAI()
STYLE = "<style>.bot {color: navy}</style>"
st.markdown(STYLE, unsafe_allow_html=True)
st.markdown("<h1>Support bot</h1>", unsafe_allow_html=True)

question = st.text_input("Ask")
if question:
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}])
    answer = reply.choices[0].message.content
    st.markdown(answer)
    st.markdown(bleach.clean(answer), unsafe_allow_html=True)
    st.write(answer)
