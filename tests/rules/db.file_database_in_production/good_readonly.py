import sqlite3

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/countries")
def countries():
    conn = sqlite3.connect("file:reference.db?mode=ro", uri=True)
    return jsonify(conn.execute("SELECT name FROM countries").fetchall())


@app.get("/scratch")
def scratch():
    conn = sqlite3.connect(":memory:")
    return jsonify(conn.execute("SELECT 1").fetchall())
