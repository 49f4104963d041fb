"""A browsing agent whose tools fetch URLs the model chooses."""
import json
import urllib.request

import httpx
import requests
from flask import Flask, request
from langchain_community.document_loaders import WebBaseLoader
from langchain_core.tools import tool
from openai import OpenAI

app = Flask(__name__)
client = OpenAI()
session = requests.Session()


@tool
def visit_page(url: str) -> str:
    """Fetch a web page."""
    return requests.get(url, timeout=20).text  # expect: llm.model_output_to_url


@tool
def load_page(url: str) -> str:
    """Load a page as documents."""
    return WebBaseLoader(url).load()[0].page_content  # expect: llm.model_output_to_url


def _download(target):
    return session.get(target, timeout=10).content  # expect: llm.model_output_to_url


@app.post("/agent")
def agent():
    question = request.json["question"]
    resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": question}], tools=[])
    for call in resp.choices[0].message.tool_calls or []:
        args = json.loads(call.function.arguments)
        if call.function.name == "fetch":
            page = httpx.get(args["url"], timeout=10).text  # expect: llm.model_output_to_url
            return {"page": page}
        if call.function.name == "download":
            return {"size": len(_download(args.get("href")))}
    link = resp.choices[0].message.content.strip()
    with urllib.request.urlopen(link, timeout=10) as r:  # expect: llm.model_output_to_url
        return {"page": r.read().decode()}
