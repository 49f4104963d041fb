"""Synthetic fixture: every query of a multi-tenant app names the tenant, the user, or a parent row."""
from fastapi import APIRouter, Depends
from sqlalchemy import Column, ForeignKey, Integer, String, select
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()
router = APIRouter()


class Project(Base):
    __tablename__ = "projects"
    id = Column(Integer, primary_key=True)
    organization_id = Column(Integer, ForeignKey("organizations.id"), nullable=False)
    owner_id = Column(Integer)
    client_id = Column(Integer)
    name = Column(String)


def get_db() -> Session: ...


def get_current_user(): ...


@router.get("/projects")
def list_projects(db: Session = Depends(get_db), user=Depends(get_current_user)):
    return db.query(Project).filter(Project.organization_id == user.organization_id).all()


@router.get("/projects/mine")
def my_projects(db: Session = Depends(get_db), user=Depends(get_current_user)):
    return db.query(Project).filter(Project.owner_id == user.id).all()


@router.get("/clients/{client_id}/projects")
def client_projects(client_id: int, db: Session = Depends(get_db), user=Depends(get_current_user)):
    return db.query(Project).filter(Project.client_id == client_id).all()


@router.get("/projects/search")
def search(name: str, db: Session = Depends(get_db), user=Depends(get_current_user)):
    stmt = select(Project).where(Project.name == name)
    stmt = stmt.where(Project.organization_id == user.organization_id)
    return db.execute(stmt).scalars().all()


@router.get("/admin/projects")
def admin_projects(db: Session = Depends(get_db), user=Depends(get_current_user)):
    return db.query(Project).all()


@router.get("/public/projects")
def public_projects(db: Session = Depends(get_db)):
    return db.query(Project).all()


def nightly_report(db: Session):
    return db.query(Project).all()


@router.get("/projects/today")
def projects_today(db: Session = Depends(get_db), user=Depends(get_current_user)):
    client = db.query(Project).filter(Project.owner_id == user.id).first()
    return db.query(Project).filter(
        Project.client_id == client.client_id if client else None,  # scoped by a parent row, in a conditional
        Project.status == "active",
    ).count()
