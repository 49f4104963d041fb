from fastapi import FastAPI, Header, Request
from pydantic import BaseModel

app = FastAPI()


class ChatIn(BaseModel):
    user_id: int
    message: str


@app.get("/chats")
def list_chats(user_id: int):
    return db.query(Chat).filter_by(user_id=user_id).all()  # expect: architecture.identity_from_request


@app.post("/admin/reset")
async def reset(request: Request):
    role = request.headers.get("X-Role")
    if role == "admin":  # expect: architecture.identity_from_request
        wipe_everything()
    return {"ok": True}


@app.post("/orders")
async def orders(request: Request):
    data = await request.json()
    uid = data["user_id"]
    rows = db.execute("select * from orders where user_id = :u", {"u": uid})  # expect: architecture.identity_from_request
    return list(rows)
