from fastapi import FastAPI

app = FastAPI()


class ItemNotFound(Exception):
    """Raised when an item does not exist; the one place that maps it to a 404."""


@app.get("/items/{item_id}")
def get_item(item_id: int):
    raise ItemNotFound(item_id)
