from flask import Flask, abort, jsonify, request
from flask_login import current_user, login_required
from flask_sqlalchemy import SQLAlchemy

app = Flask(__name__)
db = SQLAlchemy(app)


class Note(db.Model):
    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id"))
    text = db.Column(db.Text)


class Article(db.Model):  # public articles: no owner, no parent row
    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.Text)


@app.route("/notes/<int:note_id>")
@login_required
def show_note(note_id):
    note = Note.query.get(note_id)
    if note is None or note.user_id != current_user.id:  # ownership checked after the lookup
        abort(404)
    return jsonify(text=note.text)


@app.route("/notes/<int:note_id>", methods=["DELETE"])
@login_required
def delete_note(note_id):
    note = Note.query.filter_by(id=note_id, user_id=current_user.id).first_or_404()
    db.session.delete(note)
    db.session.commit()
    return "", 204


@app.route("/articles/<int:article_id>")
@login_required
def show_article(article_id):
    return jsonify(title=Article.query.get(article_id).title)


@app.route("/admin/notes/<int:note_id>", methods=["DELETE"])
@login_required
def admin_delete(note_id):
    if not current_user.is_admin:
        abort(403)
    db.session.delete(db.session.get(Note, note_id))
    db.session.commit()
    return "", 204


@app.route("/open/<int:note_id>")
def open_note(note_id):  # no authentication: architecture.endpoint_without_auth's
    return jsonify(text=Note.query.get(note_id).text)
