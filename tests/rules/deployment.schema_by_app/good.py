import sqlite3

from fastapi import FastAPI

app = FastAPI()
conn = sqlite3.connect("app.db")


@app.get("/notes")
def notes():
    return conn.execute("SELECT id, body FROM notes").fetchall()
