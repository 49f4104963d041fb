import hashlib
import uuid

from fastapi import Depends, FastAPI, File, UploadFile
from langchain_community.vectorstores import FAISS

app = FastAPI()
vector_stores = {}
jobs = {}


def current_user():
    return "u"


@app.post("/upload")
async def upload(file: UploadFile = File(...), user_id: str = Depends(current_user)):
    content = await file.read()
    vector_stores[(user_id, file.filename)] = FAISS.from_texts([content.decode()], None)
    key = hashlib.sha256(content).hexdigest()
    vector_stores[key] = FAISS.from_texts([content.decode()], None)
    job_id = str(uuid.uuid4())
    jobs[job_id] = file.filename
    return {"job": job_id}


def index_folder(names):
    local = {}
    for n in names:
        local[n] = n
    return local
