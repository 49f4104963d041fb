# Sign-up and login with fast hashes and plain-text comparison (synthetic fixture).
import hashlib
import sqlite3

from flask import Flask, request

app = Flask(__name__)
db = sqlite3.connect("users.db", check_same_thread=False)


@app.post("/signup")
def signup():
    password = request.form["password"]
    digest = hashlib.md5(password.encode()).hexdigest()  # expect: auth.weak_password_storage
    db.execute("INSERT INTO users (email, password) VALUES (?, ?)", (request.form["email"], digest))
    db.commit()
    return "ok"


@app.post("/login")
def login():
    user = find(request.form["email"])
    if user.password == request.form["password"]:  # expect: auth.weak_password_storage
        return "welcome"
    return "no", 401


def find(email):
    return None
