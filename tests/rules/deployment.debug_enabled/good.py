"""Debug mode left to configuration, or off (synthetic fixture): nothing to report."""
import os

from fastapi import FastAPI
from flask import Flask

app = Flask(__name__)
app.debug = os.getenv("FLASK_DEBUG") == "1"
app.config["DEBUG"] = False
app.config.update(DEBUG=os.environ.get("DEBUG", "0") == "1")

api = FastAPI(debug=bool(os.getenv("API_DEBUG")))


def run():
    app.run(host="0.0.0.0", debug=False)
