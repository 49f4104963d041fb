import os
import pickle

import streamlit as st
from langchain_community.embeddings import OpenAIEmbeddings
from langchain_community.vectorstores import FAISS, Chroma
from PyPDF2 import PdfReader


@st.cache_resource
def build_index(_docs, file_name):
    return FAISS.from_texts(_docs, OpenAIEmbeddings())


@st.cache_data
def parse(name):
    return PdfReader(f"uploads/{name}").pages


@st.cache_data
def label(name):
    return name.upper()


uploaded = st.file_uploader("Upload a PDF", type="pdf")
if uploaded is not None:
    chunks = [p.extract_text() for p in PdfReader(uploaded).pages]
    index = build_index(chunks, uploaded.name)  # expect: architecture.cache_keyed_by_user_name
    pages = parse(os.path.basename(uploaded.name))  # expect: architecture.cache_keyed_by_user_name
    title = label(uploaded.name)  # expect: architecture.cache_keyed_by_user_name

    store_name = uploaded.name[:-4]
    if os.path.exists(f"{store_name}.pkl"):
        with open(f"{store_name}.pkl", "rb") as f:  # expect: architecture.cache_keyed_by_user_name
            VectorStore = pickle.load(f)
    else:
        VectorStore = FAISS.from_texts(chunks, embedding=OpenAIEmbeddings())
        with open(f"{store_name}.pkl", "wb") as f:
            pickle.dump(VectorStore, f)

    try:
        db = FAISS.load_local(store_name, OpenAIEmbeddings())  # expect: architecture.cache_keyed_by_user_name
    except RuntimeError:
        db = FAISS.from_texts(chunks, OpenAIEmbeddings())
        db.save_local(store_name)

    chroma = Chroma.from_texts(  # expect: architecture.cache_keyed_by_user_name
        chunks, OpenAIEmbeddings(), persist_directory="./chroma_db",
        collection_name=uploaded.name.replace(".pdf", "").lower(),
    )

files = st.sidebar.file_uploader("More", accept_multiple_files=True)
for f in files or []:
    vs = Chroma(persist_directory=os.path.join("db", f.name), embedding_function=OpenAIEmbeddings())  # expect: architecture.cache_keyed_by_user_name
