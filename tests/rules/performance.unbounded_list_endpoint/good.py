from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from .db import get_db
from .models import Item

app = FastAPI()


@app.get("/items")
def list_items(skip: int = 0, limit: int = 50, db: Session = Depends(get_db)):
    return db.query(Item).offset(skip).limit(limit).all()


@app.get("/items/{item_id}")
def get_item(item_id: int, db: Session = Depends(get_db)):
    return db.query(Item).filter(Item.id == item_id).first()


@app.post("/items/reindex")
def reindex(db: Session = Depends(get_db)):
    items = db.query(Item).all()
    return {"count": len(items)}
