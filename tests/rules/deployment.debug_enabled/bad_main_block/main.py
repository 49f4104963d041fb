import uvicorn
from fastapi import FastAPI

api = FastAPI()


def main():
    uvicorn.run(api, host="0.0.0.0", port=8000, reload=True)  # expect: deployment.debug_enabled


if __name__ == "__main__":
    main()
