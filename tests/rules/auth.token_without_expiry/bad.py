import jwt
from jose import jwt as jose_jwt

SECRET = "change-me"


def login_token(user_id):
    payload = {"sub": str(user_id), "role": "user"}
    return jwt.encode(payload, SECRET, algorithm="HS256")  # expect: auth.token_without_expiry


def api_token(user):
    return jose_jwt.encode({"sub": user.email}, SECRET)  # expect: auth.token_without_expiry


def read(token):
    return jwt.decode(token, SECRET, algorithms=["HS256"], options={"verify_exp": False})  # expect: auth.token_without_expiry
