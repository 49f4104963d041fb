"""Outbound requests that something bounds in time (synthetic fixture): nothing to report."""
import aiohttp
import httpx
import requests
from requests.adapters import HTTPAdapter

TIMEOUT = 10
session = requests.Session()
client = httpx.Client(timeout=30)


def with_timeouts(url, order):
    requests.get(url, timeout=5)
    requests.post(url, json=order, timeout=(3.05, 27))
    session.get(url, timeout=TIMEOUT)
    client.get(url)
    httpx.get(url)  # httpx's own default: 5 seconds
    return httpx.post(url, json=order, timeout=httpx.Timeout(10.0))


def passed_through(url, **kwargs):
    return requests.get(url, **kwargs)  # the options come from the callers: not seen, not reported


def model_call(prompt):
    # a model API over raw HTTP is llm.call_without_timeout's finding, not this rule's
    return requests.post("https://api.openai.com/v1/chat/completions", json={"messages": [prompt]})


def make_session():
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20))


async def crawl(urls):
    async with make_session() as http:
        for url in urls:
            async with http.get(url) as resp:
                yield await resp.text()


class TimeoutAdapter(HTTPAdapter):
    def __init__(self, *args, timeout=10, **kwargs):
        self.timeout = timeout
        super().__init__(*args, **kwargs)


class Crm:
    def __init__(self):
        self.http = requests.Session()
        self.http.mount("https://", TimeoutAdapter(timeout=5))  # bounds every request of the session

    def put(self, payload):
        return self.http.put("https://crm.example.com/contacts", json=payload)
