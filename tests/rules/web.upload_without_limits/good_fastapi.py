import uuid

from fastapi import FastAPI, HTTPException, UploadFile

app = FastAPI()
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
ALLOWED_TYPES = {"application/pdf", "text/plain"}


@app.post("/ingest")
async def ingest(file: UploadFile):
    if file.content_type not in ALLOWED_TYPES:
        raise HTTPException(415)
    if file.size is None or file.size > MAX_UPLOAD_BYTES:
        raise HTTPException(413)
    contents = await file.read()
    name = f"{uuid.uuid4()}.pdf"
    with open(f"uploads/{name}", "wb") as out:
        out.write(contents)
    return {"name": name}
