# CORS open to every origin (synthetic fixture).
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from flask import Flask
from flask_cors import CORS

app = FastAPI()
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["*"], allow_headers=["*"])  # expect: web.cors_any_origin

web = Flask(__name__)
CORS(web)  # expect: web.cors_any_origin


@app.get("/items")
def items():
    return []
