import shutil

from fastapi import FastAPI, File, UploadFile

app = FastAPI()


@app.post("/ingest")
async def ingest(file: UploadFile):  # expect: web.upload_without_limits
    contents = await file.read()
    return {"n": len(contents)}


@app.post("/documents")
async def documents(file: UploadFile = File(...)):  # expect: web.upload_without_limits
    return save_document(file, "docs")


def save_document(file, folder):
    with open(f"{folder}/{file.filename}", "wb") as out:
        shutil.copyfileobj(file.file, out)
    return {"saved": file.filename}
