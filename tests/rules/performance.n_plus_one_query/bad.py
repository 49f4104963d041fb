from flask import Flask, jsonify
from sqlalchemy.orm import Session

from .db import db
from .models import Author, Order, Post, User

app = Flask(__name__)


@app.get("/posts")
def list_posts():
    posts = db.session.query(Post).limit(50).all()
    out = []
    for post in posts:
        author = db.session.get(Author, post.author_id)  # expect: performance.n_plus_one_query
        out.append({"title": post.title, "author": author.name})
    return jsonify(out)


@app.get("/users")
def list_users():
    rows = []
    for user in User.query.filter_by(active=True).limit(20).all():
        orders = Order.query.filter_by(user_id=user.id).all()  # expect: performance.n_plus_one_query
        count = Order.query.filter_by(user_id=user.id).count()
        rows.append({"id": user.id, "orders": len(orders), "count": count})
    return jsonify(rows)


def _authors_of(session: Session):
    names = []
    for p in session.query(Post).limit(10).all():
        names.append(session.query(Author).filter(Author.id == p.author_id).one())  # expect: performance.n_plus_one_query
    return names


@app.get("/feed")
def feed():
    return jsonify([a.name for a in _authors_of(db.session)])
