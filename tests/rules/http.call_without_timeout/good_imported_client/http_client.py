import aiohttp


def session():
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
