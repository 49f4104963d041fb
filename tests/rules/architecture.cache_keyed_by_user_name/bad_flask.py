import functools
import os

from flask import Flask, request
from langchain_community.document_loaders import PyPDFLoader

app = Flask(__name__)
UPLOADS = "uploads"


@functools.lru_cache(maxsize=32)
def load_pages(name):
    return PyPDFLoader(os.path.join(UPLOADS, name)).load()


@app.post("/ask")
def ask():
    f = request.files["file"]
    f.save(os.path.join(UPLOADS, f.filename))
    pages = load_pages(f.filename)  # expect: architecture.cache_keyed_by_user_name
    return {"pages": len(pages)}
