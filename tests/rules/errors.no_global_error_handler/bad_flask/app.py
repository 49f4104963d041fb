from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/items")
def create_item():  # expect: errors.no_global_error_handler
    if "name" not in request.json:
        return jsonify({"message": "name missing"}), 400
    return jsonify({"ok": True})


@app.get("/items/<int:item_id>")
def get_item(item_id):
    return {"error": "not found"}, 404
