# Lists of the caller's own rows (synthetic fixture, targeted.yaml's shape): bounded by one owner.
from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from .auth import get_current_user
from .db import get_db
from .models import Note, User

app = FastAPI()


@app.get("/notes/mine")
def my_notes(db: Session = Depends(get_db), current_user: User = Depends(get_current_user)):
    notes = db.query(Note).filter(Note.owner_id == current_user.id).all()
    return notes
