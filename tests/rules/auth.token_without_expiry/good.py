from datetime import datetime, timedelta, timezone

import jwt
from jose import jwt as jose_jwt

SECRET = "change-me"


def create_access_token(data: dict, expires_delta: timedelta | None = None):
    to_encode = data.copy()
    expire = datetime.now(timezone.utc) + (expires_delta or timedelta(minutes=15))
    to_encode.update({"exp": expire})
    return jwt.encode(to_encode, SECRET, algorithm="HS256")


def token(user):
    return jose_jwt.encode({"sub": user.id, "exp": datetime.now(timezone.utc) + timedelta(hours=1)}, SECRET)


def stored(user):
    payload = {"sub": user.id}
    payload["exp"] = datetime.now(timezone.utc) + timedelta(minutes=5)
    return jwt.encode(payload, SECRET)


def forwarded(claims):
    return jwt.encode(claims, SECRET)  # built by the caller: not read here


def read(token):
    return jwt.decode(token, SECRET, algorithms=["HS256"])
