from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from .db import get_db
from .models import Item, User

app = FastAPI()


@app.get("/items")
def list_items(db: Session = Depends(get_db)):
    return db.query(Item).all()  # expect: performance.unbounded_list_endpoint


@app.get("/users")
def list_users(db: Session = Depends(get_db)):
    users = db.query(User).filter(User.active.is_(True)).all()  # expect: performance.unbounded_list_endpoint
    return users
