import streamlit as st
from langchain_community.utilities import SQLDatabase
from sqlalchemy import create_engine

engine = create_engine("sqlite:///Chinook.db")
db = SQLDatabase(engine)
st.write(db.get_usable_table_names())
