from fastapi import FastAPI, File, UploadFile
from langchain_community.vectorstores import FAISS
from werkzeug.utils import secure_filename

app = FastAPI()
vector_stores = {}
statuses = {}


@app.post("/upload")
async def upload(file: UploadFile = File(...)):
    content = await file.read()
    vector_stores[file.filename] = FAISS.from_texts([content.decode()], None)  # expect: architecture.cache_keyed_by_user_name
    name = secure_filename(file.filename)
    statuses[name] = "processing"  # expect: architecture.cache_keyed_by_user_name
    return {"ok": True}


@app.post("/chat")
async def chat(filename: str, question: str):
    return vector_stores[filename].similarity_search(question)


indexes = {}


@app.post("/index")
async def index(upload: UploadFile):
    indexes[upload.filename.lower()] = FAISS.from_texts([(await upload.read()).decode()], None)  # expect: architecture.cache_keyed_by_user_name
    return {"ok": True}
