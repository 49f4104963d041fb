import hashlib
import os
import pickle
import tempfile

import streamlit as st
from langchain_community.embeddings import OpenAIEmbeddings
from langchain_community.vectorstores import FAISS, Chroma


@st.cache_resource
def configure_retriever(uploaded_files):
    return FAISS.from_texts([f.getvalue().decode() for f in uploaded_files], OpenAIEmbeddings())


@st.cache_resource
def build_index(_docs, file_name, file_hash):
    return FAISS.from_texts(_docs, OpenAIEmbeddings())


@st.cache_data
def parse(data: bytes, name: str):
    return data.decode()


@st.cache_resource
def by_path(path):
    return FAISS.from_texts([open(path).read()], OpenAIEmbeddings())


@st.cache_data
def load_url(url):
    return url


uploaded = st.file_uploader("Upload a PDF", type="pdf")
url = st.text_input("A page to load")
if uploaded is not None:
    retriever = configure_retriever([uploaded])
    digest = hashlib.md5(uploaded.getvalue()).hexdigest()
    index = build_index(["x"], uploaded.name, digest)
    text = parse(uploaded.getvalue(), uploaded.name)
    with tempfile.NamedTemporaryFile(suffix=os.path.splitext(uploaded.name)[1], delete=False) as tmp:
        tmp.write(uploaded.getvalue())
        tmp_path = tmp.name
    vs = by_path(tmp_path)
    page = load_url(url)

    store = f"indexes/{digest}-{uploaded.name}.pkl"
    if os.path.exists(store):
        with open(store, "rb") as f:
            cached = pickle.load(f)
    user_dir = os.path.join("db", st.session_state["user_id"], uploaded.name)
    chroma = Chroma(persist_directory=user_dir, embedding_function=OpenAIEmbeddings())
    fixed = Chroma(persist_directory="./chroma_db", collection_name="docs", embedding_function=OpenAIEmbeddings())
    FAISS.from_texts(["x"], OpenAIEmbeddings()).save_local(uploaded.name)  # written, never read back by name
    if "indexes" not in st.session_state:
        st.session_state.indexes = {}
    st.session_state.indexes[uploaded.name] = index

indexes = {}
if uploaded is not None:
    indexes[uploaded.name] = "per run of this page: not shared"
