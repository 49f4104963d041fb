"""Outbound requests with nothing bounding their time (synthetic fixture)."""
import urllib.request

import aiohttp
import httpx
import requests
from flask import Flask, request

app = Flask(__name__)
session = requests.Session()
unbounded = httpx.Client(timeout=None)


def fetch_rates():
    return requests.get("https://rates.example.com/latest").json()  # expect: http.call_without_timeout


def post_order(order):
    requests.post("https://erp.example.com/orders", json=order)  # expect: http.call_without_timeout
    return session.get("https://erp.example.com/status")  # expect: http.call_without_timeout


@app.route("/proxy")
def proxy():
    return requests.get(request.args["url"]).text  # expect: http.call_without_timeout


def explicit_none(url):
    return requests.get(url, timeout=None)  # expect: http.call_without_timeout


def httpx_off():
    httpx.get("https://example.com", timeout=None)  # expect: http.call_without_timeout
    return unbounded.get("https://example.com")  # expect: http.call_without_timeout


async def crawl(urls):
    async with aiohttp.ClientSession() as http:
        for url in urls:
            async with http.get(url) as resp:  # expect: http.call_without_timeout
                yield await resp.text()


def legacy(url):
    return urllib.request.urlopen(url).read()  # expect: http.call_without_timeout


class Client:
    def __init__(self):
        self.http = requests.Session()

    def put(self, payload):
        # a call over several lines is reported on its first line
        return self.http.put(  # expect: http.call_without_timeout
            "https://crm.example.com/contacts", json=payload)
