import os

from flask import Flask, request

app = Flask(__name__)


@app.post("/upload")
def upload():
    f = request.files["file"]  # expect: web.upload_without_limits
    data = f.read()
    return {"bytes": len(data)}


@app.post("/avatar")
def avatar():
    f = request.files["avatar"]  # expect: web.upload_without_limits
    f.save(os.path.join("uploads", f.filename))
    return "ok"
