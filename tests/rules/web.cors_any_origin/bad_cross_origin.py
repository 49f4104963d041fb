# One flask-cors policy, repeated by a decorator on each route (synthetic fixture, targeted.yaml's shape):
# reported once, at the app-wide CORS(app), naming the decorators' lines.
from flask import Flask, jsonify, request
from flask_cors import CORS, cross_origin
from openai import OpenAI

app = Flask(__name__)
CORS(app)  # expect: web.cors_any_origin
client = OpenAI()


@app.route("/")
@cross_origin()
def index():
    return "ok"


@app.route("/api/summary", methods=["POST"])
@cross_origin(origins="*")
def summary():
    r = client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": request.json["text"]}])
    return jsonify(r.choices[0].message.content)
