# A helper typed at a Python prompt to reload sample data (">>> from seedtools import reload_users"):
# nothing imports or calls it, the app does not run it.
import csv

from app import User, db


def reload_users(filename):
    db.drop_all()
    db.create_all()
    with open(filename) as f:
        for row in csv.DictReader(f):
            db.session.add(User(name=row["name"]))
    db.session.commit()
