from fastapi import Depends, FastAPI, HTTPException

from .auth import get_current_user

app = FastAPI()


@app.post("/api/admin/reset")
def reset(current_user=Depends(get_current_user)):
    if current_user.role != "admin":
        raise HTTPException(status_code=403)
    return {"ok": True}
