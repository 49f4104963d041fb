# A FastAPI service that trusts tokens it never verifies (synthetic fixture).
import base64
import json

import jwt
from fastapi import FastAPI, Header

app = FastAPI()


def get_current_user(authorization: str = Header(...)):
    token = authorization.removeprefix("Bearer ")
    claims = jwt.decode(token, options={"verify_signature": False})  # expect: auth.token_not_verified
    return claims["sub"]


@app.get("/me")
def me(authorization: str = Header(...)):
    token = authorization.split(" ")[1]
    payload = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))  # expect: auth.token_not_verified
    return {"user": payload["email"]}


@app.get("/admin")
def admin(authorization: str = Header(...)):
    claims = jwt.decode(authorization, "secret", algorithms=["HS256", "none"])  # expect: auth.token_not_verified
    return {"role": claims["role"]}
