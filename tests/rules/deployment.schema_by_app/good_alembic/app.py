from fastapi import FastAPI
from sqlalchemy import Column, Integer, create_engine
from sqlalchemy.orm import declarative_base

Base = declarative_base()
engine = create_engine("postgresql://db/app")


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)


Base.metadata.create_all(bind=engine)
app = FastAPI()
