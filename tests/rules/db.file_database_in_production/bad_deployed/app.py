import sqlite3

from flask import Flask, jsonify

app = Flask(__name__)
DB = "chat.db"


def db():
    return sqlite3.connect(DB)  # expect: db.file_database_in_production


@app.post("/messages")
def add():
    with db() as conn:
        conn.execute("INSERT INTO messages(text) VALUES ('x')")
    return jsonify(ok=True)


@app.get("/messages")
def list_messages():
    with db() as conn:
        return jsonify(conn.execute("SELECT text FROM messages").fetchall())
