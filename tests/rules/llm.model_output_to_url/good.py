"""Fixed hosts with model-chosen paths or queries, bodies sent to fixed URLs, allow-listed hosts, and URLs a
search engine returned (not chosen by the model)."""
from urllib.parse import urlparse

import requests
from langchain_core.tools import tool
from openai import OpenAI
from tavily import TavilyClient

client = OpenAI()
tavily = TavilyClient()
WEBHOOK_URL = "https://hooks.slack.com/services/T000/B000/XXXX"
GITHUB = "https://api.github.com"
ALLOWED_HOSTS = {"en.wikipedia.org", "docs.python.org"}


def notify(question):
    resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}])
    answer = resp.choices[0].message.content
    requests.post(WEBHOOK_URL, json={"text": answer}, timeout=10)  # the answer is the body, not the URL
    return answer


@tool
def weather(city: str) -> str:
    """Current weather of a city."""
    return requests.get(f"https://wttr.in/{city}?format=j1", timeout=10).text


@tool
def repo_info(name: str) -> str:
    """A GitHub repository."""
    return requests.get(GITHUB + "/repos/" + name, timeout=10).text


@tool
def search(query: str) -> str:
    """Search the web and read the first result."""
    results = tavily.search(query)
    first = results["results"][0]["url"]
    return requests.get(first, timeout=10).text


@tool
def read_docs(url: str) -> str:
    """Read a page of the documentation sites."""
    if urlparse(url).hostname not in ALLOWED_HOSTS:
        return "not allowed"
    return requests.get(url, timeout=10).text


def draw(prompt):
    image = client.images.generate(model="dall-e-3", prompt=prompt)
    return requests.get(image.data[0].url, timeout=30).content  # the provider's storage URL of the image
