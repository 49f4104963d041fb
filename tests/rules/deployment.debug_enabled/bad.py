"""Debug mode switched on in code (synthetic fixture). No deploy file starts a production server, so
the block under __main__ may be how the service runs: it is reported too, with a note."""
import uvicorn
from fastapi import FastAPI
from flask import Flask

DEBUG = True

app = Flask(__name__)
app.debug = True  # expect: deployment.debug_enabled
app.config["DEBUG"] = True  # expect: deployment.debug_enabled
app.config.update(DEBUG=True, SECRET_KEY="x")  # expect: deployment.debug_enabled

api = FastAPI(title="orders", debug=True)  # expect: deployment.debug_enabled


@app.route("/")
def index():
    return "ok"


if __name__ == "__main__":
    app.run(host="0.0.0.0", debug=DEBUG)  # expect: deployment.debug_enabled
    uvicorn.run("bad:api", host="0.0.0.0", reload=True)  # expect: deployment.debug_enabled
