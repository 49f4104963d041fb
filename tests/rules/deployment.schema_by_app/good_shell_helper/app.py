# A Flask app that never creates its tables at start-up (synthetic fixture, targeted.yaml's shape).
from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql://db/app"
db = SQLAlchemy(app)


class User(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(80))


@app.route("/users")
def users():
    return jsonify([u.name for u in User.query.limit(50)])
