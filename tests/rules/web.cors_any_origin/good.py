# CORS limited to the app's own origins (synthetic fixture).
import os

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from flask import Flask
from flask_cors import CORS

app = FastAPI()
app.add_middleware(CORSMiddleware, allow_origins=["https://app.example.com"], allow_credentials=True)
app.add_middleware(CORSMiddleware, allow_origins=os.getenv("ALLOWED_ORIGINS", "").split(","))

web = Flask(__name__)
CORS(web, origins=["https://app.example.com"])
CORS(web, resources={r"/api/*": {"origins": "https://app.example.com"}})
