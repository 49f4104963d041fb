from fastapi import FastAPI
from psycopg2.pool import SimpleConnectionPool

app = FastAPI()
pool = SimpleConnectionPool(1, 10, "dbname=app")


@app.get("/items")
def items():
    conn = pool.getconn()
    try:
        return conn.cursor().execute("SELECT * FROM items").fetchall()
    finally:
        pool.putconn(conn)
