from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

app = Flask(__name__)


@app.errorhandler(HTTPException)
def http_error(e):
    return jsonify({"error": {"code": e.code, "message": e.description}}), e.code


@app.get("/items/<int:item_id>")
def get_item(item_id):
    return {"id": item_id}
