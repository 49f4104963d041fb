from fastapi import Depends, FastAPI, Request

app = FastAPI()


@app.get("/chats")
def list_chats(user=Depends(get_current_user)):
    return db.query(Chat).filter_by(user_id=user.id).all()


@app.post("/signup")
async def signup(request: Request):
    data = await request.json()
    user_id = data["user_id"]
    db.add(User(id=user_id))
    return {"ok": True}


@app.post("/echo")
async def echo(request: Request):
    data = await request.json()
    role = data.get("role")
    return {"you said": role}


@app.post("/orders")
async def orders(request: Request, user=Depends(get_current_user)):
    data = await request.json()
    uid = data["user_id"]
    if uid != user.id:
        raise PermissionError()
    return list(db.execute("select * from orders where user_id = :u", {"u": uid}))
