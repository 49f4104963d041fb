from flask import Flask, jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .db import db
from .models import Author, Post

app = Flask(__name__)


@app.get("/posts")
def list_posts():
    posts = db.session.query(Post).limit(50).all()
    ids = {p.author_id for p in posts}
    authors = {a.id: a for a in db.session.query(Author).filter(Author.id.in_(ids)).all()}
    return jsonify([{"title": p.title, "author": authors[p.author_id].name} for p in posts])


@app.get("/posts/eager")
def eager_posts():
    posts = db.session.execute(select(Post).options(selectinload(Post.author)).limit(50)).scalars().all()
    out = []
    for post in posts:
        out.append({"title": post.title, "author": post.author.name})
    return jsonify(out)


@app.get("/settings")
def settings():
    out = {}
    for key in ["theme", "lang"]:
        out[key] = db.session.get(Author, 1).name
    return jsonify(out)


def seed():
    # a script: not per request
    for post in db.session.query(Post).all():
        db.session.get(Author, post.author_id)
