import httpx

client = httpx.Client(base_url="https://erp.example.com", timeout=None)
