"""Synthetic fixture: a multi-tenant FastAPI app where one list and one bulk delete forget the tenant."""
from fastapi import APIRouter, Depends
from sqlalchemy import Column, ForeignKey, Integer, String, select
from sqlalchemy.orm import Session, declarative_base

Base = declarative_base()
router = APIRouter()


class Project(Base):
    __tablename__ = "projects"
    id = Column(Integer, primary_key=True)
    organization_id = Column(Integer, ForeignKey("organizations.id"), nullable=False)
    name = Column(String)
    status = Column(String)


def get_db() -> Session: ...


def get_current_user(): ...


@router.get("/projects")
def list_projects(db: Session = Depends(get_db), user=Depends(get_current_user)):
    return db.query(Project).filter(Project.organization_id == user.organization_id).all()


@router.get("/projects/active")
def active_projects(db: Session = Depends(get_db), user=Depends(get_current_user)):
    return db.query(Project).filter(Project.status == "active").all()  # expect: auth.query_without_tenant_scope


@router.get("/projects/all")
def all_projects(db: Session = Depends(get_db), user=Depends(get_current_user)):
    return db.execute(select(Project)).scalars().all()  # expect: auth.query_without_tenant_scope


@router.get("/projects/{project_id}")
def show_project(project_id: int, db: Session = Depends(get_db), user=Depends(get_current_user)):
    return db.query(Project).filter(Project.id == project_id).first()  # a lookup by id: the IDOR rule's
