import os

from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True, connect_args={"connect_timeout": 5})
local = create_engine("sqlite:///./cache.db")
app = FastAPI()
