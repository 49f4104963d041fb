# Passwords hashed with werkzeug; a file checksum with sha256 (synthetic fixture).
import hashlib
import sqlite3

from flask import Flask, request
from werkzeug.security import check_password_hash, generate_password_hash

app = Flask(__name__)
db = sqlite3.connect("users.db", check_same_thread=False)


@app.post("/signup")
def signup():
    db.execute("INSERT INTO users (email, password) VALUES (?, ?)",
               (request.form["email"], generate_password_hash(request.form["password"])))
    db.commit()
    return "ok"


@app.post("/login")
def login():
    row = db.execute("SELECT password FROM users WHERE email = ?", (request.form["email"],)).fetchone()
    return "welcome" if row and check_password_hash(row[0], request.form["password"]) else ("no", 401)


def checksum(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
