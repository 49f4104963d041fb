import os

from flask import Flask, request
from werkzeug.utils import secure_filename

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024
ALLOWED_EXTENSIONS = {"png", "jpg", "pdf"}


def allowed_file(name):
    return "." in name and name.rsplit(".", 1)[1].lower() in ALLOWED_EXTENSIONS


@app.post("/upload")
def upload():
    f = request.files["file"]
    if not allowed_file(f.filename):
        return "type not allowed", 400
    f.save(os.path.join("uploads", secure_filename(f.filename)))
    return "ok"
