from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

app = FastAPI()


async def unexpected(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"error": {"code": "internal"}}, status_code=500)


app.add_exception_handler(Exception, unexpected)


@app.get("/items/{item_id}")
def get_item(item_id: int):
    return {"id": item_id}
