import psycopg2
import sqlite3
from fastapi import FastAPI

app = FastAPI()


def get_conn():
    return psycopg2.connect("dbname=app")  # expect: db.connection_per_request


@app.get("/items")
def items():
    conn = get_conn()
    return conn.cursor().execute("SELECT * FROM items").fetchall()


@app.get("/notes")
def notes():
    db = sqlite3.connect("notes.db")  # expect: db.connection_per_request
    return db.execute("SELECT * FROM notes").fetchall()
