from fastapi import Depends, FastAPI
from sqlalchemy.orm import Session

from .auth import get_current_user
from .db import get_db
from .models import Item, Team, User

app = FastAPI()


@app.get("/items")
def list_items(db: Session = Depends(get_db)):
    return db.query(Item).all()  # expect: performance.unbounded_list_endpoint


@app.get("/users")
def list_users(db: Session = Depends(get_db)):
    users = db.query(User).filter(User.active.is_(True)).all()  # expect: performance.unbounded_list_endpoint
    return users


@app.get("/department/students")
def department_students(db: Session = Depends(get_db), current_user: User = Depends(get_current_user)):
    # the caller owns the department, not the rows: every student of it, across a join
    students = db.query(User).join(User.team).filter(Team.dept_id == current_user.id).all()  # expect: performance.unbounded_list_endpoint
    return students
