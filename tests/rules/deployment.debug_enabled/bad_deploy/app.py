import os

from flask import Flask

app = Flask(__name__)
app.config["VERBOSE"] = os.getenv("DEBUG") == "True"
