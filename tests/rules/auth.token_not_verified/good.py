# Tokens verified with the key and an explicit algorithm list (synthetic fixture).
import os

import jwt
from fastapi import FastAPI, Header, HTTPException

app = FastAPI()
JWKS = jwt.PyJWKClient("https://auth.example.com/.well-known/jwks.json")


def get_current_user(authorization: str = Header(...)):
    token = authorization.removeprefix("Bearer ")
    header = jwt.get_unverified_header(token)  # picks the key; the claims are verified below
    key = JWKS.get_signing_key(header["kid"]).key
    try:
        claims = jwt.decode(token, key, algorithms=["RS256"], audience="api")
    except jwt.PyJWTError:
        raise HTTPException(status_code=401)
    return claims["sub"]


@app.get("/me")
def me(authorization: str = Header(...)):
    claims = jwt.decode(authorization, os.environ["JWT_SECRET"], algorithms=["HS256"])
    return {"user": claims["email"]}
