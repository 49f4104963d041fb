from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

SQLALCHEMY_DATABASE_URL = "sqlite:///./app.db"
engine = create_engine(SQLALCHEMY_DATABASE_URL, connect_args={"check_same_thread": False})  # expect: db.file_database_in_production
SessionLocal = sessionmaker(bind=engine)
app = FastAPI()


@app.get("/health")
def health():
    return {"ok": True}
