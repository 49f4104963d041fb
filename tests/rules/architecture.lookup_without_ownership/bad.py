from flask import Flask, abort, jsonify, request
from flask_login import current_user, login_required
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    text = db.Column(db.Text)


@app.route("/notes/<int:note_id>")
@login_required
def show_note(note_id):
    note = Note.query.get(note_id)  # expect: architecture.lookup_without_ownership
    return jsonify(text=note.text)


@app.route("/notes/<int:note_id>", methods=["DELETE"])
@login_required
def delete_note(note_id):
    note = db.session.get(Note, note_id)  # expect: architecture.lookup_without_ownership
    db.session.delete(note)
    db.session.commit()
    return "", 204


@app.route("/notes/edit", methods=["POST"])
@login_required
def edit_note():
    data = request.get_json()
    Note.query.filter_by(id=data["id"]).update({"text": data["text"]})  # expect: architecture.lookup_without_ownership
    db.session.commit()
    return "", 204
