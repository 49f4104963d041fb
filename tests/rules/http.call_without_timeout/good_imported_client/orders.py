from http_client import session


async def status():
    async with session() as http, http.get("https://erp.example.com/status") as resp:
        return await resp.json()
