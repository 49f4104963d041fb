"""Tests for the Python source collector: each snippet is a tiny file in tmp_path, parsed (never run)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from auditlib.collect.code import MAX_PY_BYTES, collect_code, sdk_of
from auditlib.collect.files import list_files
from auditlib.models import CodeFacts, LLMCallSite


def _collect(tmp_path: Path, files: dict[str, str]) -> CodeFacts:
    for name, source in files.items():
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source), encoding="utf-8")
    return collect_code(list_files(tmp_path))


def _one_call(tmp_path: Path, source: str) -> LLMCallSite:
    facts = _collect(tmp_path, {"app.py": source})
    assert facts.parse_errors == []
    assert len(facts.llm_calls) == 1, facts.llm_calls
    return facts.llm_calls[0]


# ------------------------------------------------------------------------------- model call sites
OPENAI_GUARDED = """
from openai import OpenAI

client = OpenAI(timeout=20, max_retries=3)

def answer(question):
    resp = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": question}],
        response_format={"type": "json_object"},
    )
    return resp
"""

OPENAI_BARE = """
from openai import OpenAI

client = OpenAI()

def answer(question):
    return client.chat.completions.create(
        model=get_model(), messages=[{"role": "user", "content": question}])
"""


def test_openai_guarded_call_records_its_safeguards(tmp_path: Path) -> None:
    site = _one_call(tmp_path, OPENAI_GUARDED)
    assert (site.provider, site.api, site.function, site.line) == (
        "openai", "client.chat.completions.create", "answer", 7)
    assert site.has_timeout and site.has_retry and site.structured_output
    assert site.model == "gpt-4o-mini"


def test_openai_bare_call_records_missing_safeguards(tmp_path: Path) -> None:
    site = _one_call(tmp_path, OPENAI_BARE)
    assert site.provider == "openai"
    assert not site.has_timeout and not site.has_retry and not site.structured_output
    assert not site.max_tokens_set
    assert site.model is None  # not a literal: configurable


def test_timeout_on_the_call_itself_counts(tmp_path: Path) -> None:
    site = _one_call(tmp_path, """
        import openai
        client = openai.OpenAI()
        def f(msgs):
            return client.chat.completions.create(model="m", messages=msgs, timeout=10)
    """)
    assert site.has_timeout and not site.has_retry


def test_anthropic_messages_create(tmp_path: Path) -> None:
    site = _one_call(tmp_path, """
        import anthropic

        client = anthropic.Anthropic()

        def summarise(text):
            msg = client.messages.create(
                model="claude-3-5-sonnet-latest",
                max_tokens=1024,
                system="You summarise support tickets.",
                messages=[{"role": "user", "content": text}],
            )
            return msg.content[0].text
    """)
    assert site.provider == "anthropic"
    assert site.model == "claude-3-5-sonnet-latest"
    assert site.max_tokens_set and site.prompt_inline
    assert not site.has_timeout


@pytest.mark.parametrize(
    ("source", "provider", "api", "model"),
    [
        ("import google.generativeai as genai\n"
         "model = genai.GenerativeModel('gemini-1.5-flash')\n"
         "def f(q):\n    return model.generate_content(q)\n",
         "google", "model.generate_content", "gemini-1.5-flash"),
        ("import litellm\ndef f(m):\n    return litellm.completion(model='gpt-4o', messages=m)\n",
         "litellm", "litellm.completion", "gpt-4o"),
        ("from langchain_openai import ChatOpenAI\nllm = ChatOpenAI(model='gpt-4o', timeout=5)\n"
         "def f(q):\n    return llm.invoke(q)\n",
         "langchain", "llm.invoke", "gpt-4o"),
        ("from mistralai import Mistral\nc = Mistral(api_key=k)\n"
         "def f(m):\n    return c.chat.complete(model='mistral-small', messages=m)\n",
         "mistral", "c.chat.complete", "mistral-small"),
        ("import cohere\nco = cohere.Client()\ndef f(q):\n    return co.chat(message=q)\n",
         "cohere", "co.chat", None),
        ("import openai\ndef f(m):\n    return openai.ChatCompletion.create(model='gpt-3.5-turbo', messages=m)\n",
         "openai", "openai.ChatCompletion.create", "gpt-3.5-turbo"),
    ],
)
def test_providers_resolved_from_imports_and_assignments(
    tmp_path: Path, source: str, provider: str, api: str, model: str | None
) -> None:
    site = _one_call(tmp_path, source)
    assert (site.provider, site.api, site.model) == (provider, api, model)


def test_langchain_constructor_timeout_applies_to_invoke(tmp_path: Path) -> None:
    site = _one_call(tmp_path, "from langchain_openai import ChatOpenAI\n"
                               "llm = ChatOpenAI(model='gpt-4o', timeout=5, max_retries=2)\n"
                               "def f(q):\n    return llm.invoke(q)\n")
    assert site.has_timeout and site.has_retry


@pytest.mark.parametrize(
    "source",
    [
        # .create on an unknown object in a file importing no model SDK
        "def make(repo):\n    return repo.items.create(name='x')\n",
        # Twilio's client.messages.create shares anthropic's shape; no anthropic import here
        "from twilio.rest import Client\nc = Client()\ndef f():\n    c.messages.create(body='hi', to='1')\n",
        # .invoke on a LangChain object that is not a model
        "from langchain_core.prompts import ChatPromptTemplate\n"
        "p = ChatPromptTemplate.from_messages([('user', '{q}')])\ndef f():\n    return p.invoke({'q': 1})\n",
        # requests.post to some other host
        "import requests\ndef f(x):\n    return requests.post('https://example.com/api', json=x)\n",
    ],
)
def test_not_a_call_site(tmp_path: Path, source: str) -> None:
    facts = _collect(tmp_path, {"app.py": source})
    assert facts.llm_calls == []


def test_traced_client_uses_its_own_constructor_options(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"bot.py": """
        from openai import OpenAI, AsyncOpenAI
        from .config import shared_client

        def cheap():
            return OpenAI(timeout=5)

        class Bot:
            def __init__(self):
                self.client = AsyncOpenAI(max_retries=4)

            async def ask(self, m):
                return await self.client.chat.completions.create(model="gpt-4o", messages=m)

        def untraced(m):
            return shared_client.chat.completions.create(model="gpt-4o", messages=m)
    """})
    by_function = {s.function: s for s in facts.llm_calls}
    assert set(by_function) == {"ask", "untraced"}
    # self.client is traced to AsyncOpenAI(max_retries=4): the other client's timeout is not its own
    assert (by_function["ask"].has_timeout, by_function["ask"].has_retry) == (False, True)
    # shared_client comes from another module: any client built here is the best evidence
    assert by_function["untraced"].has_timeout


def test_client_defined_below_its_use(tmp_path: Path) -> None:
    site = _one_call(tmp_path, """
        import anthropic

        def ask(m):
            return client.messages.create(model="claude-3-haiku", messages=m, max_tokens=10)

        client = anthropic.Anthropic(timeout=9)
    """)
    assert site.provider == "anthropic" and site.has_timeout


def test_langchain_chain_carries_the_prompt_template(tmp_path: Path) -> None:
    site = _one_call(tmp_path, """
        from langchain_openai import ChatOpenAI
        from langchain_core.prompts import ChatPromptTemplate
        from langchain_core.output_parsers import StrOutputParser

        prompt = ChatPromptTemplate.from_messages([("system", "You translate to French."), ("human", "{q}")])
        chain = prompt | ChatOpenAI(model="gpt-4o").with_structured_output(Answer) | StrOutputParser()

        def translate(q):
            return chain.invoke({"q": q})
    """)
    assert (site.provider, site.model) == ("langchain", "gpt-4o")
    assert site.prompt_inline and site.structured_output and not site.user_input_in_prompt


def test_streamlit_input_in_prompt(tmp_path: Path) -> None:
    site = _one_call(tmp_path, """
        import streamlit as st
        from google import genai

        client = genai.Client()
        question = st.text_input("Ask")
        if question:
            st.write(client.models.generate_content(model="gemini-2.0-flash", contents=question).text)
    """)
    assert site.provider == "google" and site.function is None
    assert site.user_input_in_prompt and not site.prompt_inline


def test_raw_http_call_to_a_model_api(tmp_path: Path) -> None:
    site = _one_call(tmp_path, """
        import requests

        URL = "https://api.openai.com/v1/chat/completions"

        def ask(prompt):
            body = {"model": "gpt-4", "messages": [{"role": "user", "content": prompt}]}
            return requests.post(URL, json=body, timeout=30).json()
    """)
    assert site.provider == "http"
    assert site.api == "requests.post"
    assert site.has_timeout and site.model == "gpt-4"
    assert not site.prompt_inline


# ------------------------------------------------------------------------------- prompt provenance
FLASK_TAINTED = """
from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI()

@app.post("/ask")
def ask():
    q = request.json["q"]
    prompt = f"Answer briefly: {q}"
    out = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": prompt}])
    return out.choices[0].message.content
"""

CONSTANT_PROMPT = """
from openai import OpenAI

client = OpenAI()
PROMPT = "Write a haiku about the sea."

def haiku():
    messages = [{"role": "user", "content": PROMPT}]
    return client.chat.completions.create(model="gpt-4o", messages=messages)
"""


def test_request_data_in_prompt(tmp_path: Path) -> None:
    site = _one_call(tmp_path, FLASK_TAINTED)
    assert site.user_input_in_prompt and site.prompt_inline


def test_constant_prompt_is_inline_but_not_user_input(tmp_path: Path) -> None:
    site = _one_call(tmp_path, CONSTANT_PROMPT)
    assert not site.user_input_in_prompt
    assert site.prompt_inline


def test_route_parameter_flows_into_prompt(tmp_path: Path) -> None:
    site = _one_call(tmp_path, """
        from fastapi import FastAPI, Depends
        from openai import OpenAI
        app = FastAPI()
        client = OpenAI()

        @app.post("/chat")
        def chat(body: ChatIn, db=Depends(get_db)):
            history = [{"role": "system", "content": "Be nice."}]
            history.append({"role": "user", "content": body.text})
            return client.chat.completions.create(model="gpt-4o", messages=history)
    """)
    assert site.user_input_in_prompt and site.prompt_inline


def test_prompt_from_a_parameter_only_is_neither(tmp_path: Path) -> None:
    site = _one_call(tmp_path, OPENAI_BARE)
    assert not site.prompt_inline and not site.user_input_in_prompt


# --------------------------------------------------------------------------------- failure handling
FALLBACK = """
from openai import OpenAI
client = OpenAI()

def answer(q):
    try:
        return client.chat.completions.create(model="m", messages=q)
    except Exception:
{handler}
"""


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        ("        return 'Sorry, the assistant is unavailable.'", True),
        ("        result = cached_answer(q)\n        return result", True),
        ("        raise", False),
        ("        logger.error('failed')\n        raise", False),
        ("        pass", False),
    ],
)
def test_fallback_needs_a_handler_that_does_something(
    tmp_path: Path, handler: str, expected: bool
) -> None:
    site = _one_call(tmp_path, FALLBACK.replace("{handler}", handler))
    assert site.has_fallback is expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tenacity import retry, stop_after_attempt\nfrom openai import OpenAI\nc = OpenAI()\n"
         "@retry(stop=stop_after_attempt(3))\ndef f(m):\n    return c.chat.completions.create(messages=m)\n",
         True),
        ("import backoff, openai\nc = openai.OpenAI()\n"
         "@backoff.on_exception(backoff.expo, Exception)\ndef f(m):\n"
         "    return c.chat.completions.create(messages=m)\n", True),
        ("from openai import OpenAI\nc = OpenAI()\ndef f(m):\n    for _ in range(3):\n        try:\n"
         "            return c.chat.completions.create(messages=m)\n        except Exception:\n"
         "            continue\n", True),
        ("from openai import OpenAI\nc = OpenAI()\ndef f(m):\n    for x in m:\n"
         "        c.chat.completions.create(messages=x)\n", False),
    ],
)
def test_retry_by_decorator_or_loop(tmp_path: Path, source: str, expected: bool) -> None:
    assert _one_call(tmp_path, source).has_retry is expected


def test_structured_output_by_parsing_the_result(tmp_path: Path) -> None:
    site = _one_call(tmp_path, """
        import json
        from openai import OpenAI
        client = OpenAI()

        def extract(text):
            resp = client.chat.completions.create(model="gpt-4o", messages=text)
            content = resp.choices[0].message.content
            return json.loads(content)
    """)
    assert site.structured_output


# -------------------------------------------------------------------------------------------- SQL
@pytest.mark.parametrize(
    ("body", "how"),
    [
        ("cur.execute(f\"SELECT * FROM users WHERE name = '{name}'\")", "f-string"),
        ("cur.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)", "%-formatting"),
        ("cur.execute(\"DELETE FROM users WHERE name = '\" + name + \"'\")", "concatenation"),
        ("cur.execute(\"UPDATE users SET x = 1 WHERE name = '{}'\".format(name))", ".format()"),
        ("q = f\"SELECT id FROM users WHERE name = '{name}'\"\n    cur.executemany(q, [])", "f-string"),
    ],
)
def test_sql_built_from_strings(tmp_path: Path, body: str, how: str) -> None:
    facts = _collect(tmp_path, {"db.py": f"import sqlite3\ndef find(cur, name):\n    {body}\n"})
    assert [(s.path, s.function, s.how) for s in facts.sql_sites] == [("db.py", "find", how)]


@pytest.mark.parametrize(
    "body",
    [
        "cur.execute('SELECT * FROM users WHERE name = ?', (name,))",
        "cur.execute('SELECT * FROM users WHERE name = %s', (name,))",
        "cur.execute(f'{name} is not sql at all')",
        "cur.execute(f'SELECT * FROM users')",  # an f-string with nothing interpolated
        "q = 'SELECT * FROM users'\n    cur.execute(q)",
    ],
)
def test_parameterised_or_non_sql_is_not_a_site(tmp_path: Path, body: str) -> None:
    facts = _collect(tmp_path, {"db.py": f"import sqlite3\ndef find(cur, name):\n    {body}\n"})
    assert facts.sql_sites == []


# ------------------------------------------------------------------------------------- endpoints
FASTAPI_ROUTES = """
from fastapi import APIRouter, Depends

router = APIRouter()

@router.get("/me")
async def me(user=Depends(get_current_user)):
    return user

@router.get("/health")
async def health():
    return {"ok": True}
"""


def test_fastapi_endpoints_and_auth(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"api.py": FASTAPI_ROUTES})
    got = {(e.function, e.framework, e.route, e.has_auth) for e in facts.endpoints}
    assert got == {("me", "fastapi", "/me", True), ("health", "fastapi", "/health", False)}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from flask import Flask\nfrom flask_login import login_required\napp = Flask(__name__)\n"
         "@app.route('/admin')\n@login_required\ndef admin():\n    return 'x'\n", True),
        ("from flask import Blueprint\nbp = Blueprint('a', __name__)\n"
         "@bp.route('/open')\ndef open_():\n    return 'x'\n", False),
        ("from fastapi import APIRouter, Depends\n"
         "router = APIRouter(dependencies=[Depends(verify_token)])\n"
         "@router.post('/items')\ndef items():\n    return []\n", True),
        ("from fastapi import FastAPI, Depends\nfrom typing import Annotated\napp = FastAPI()\n"
         "@app.get('/x')\ndef x(u: Annotated[User, Depends(get_current_user)]):\n    return u\n", True),
        # the router's name says nothing about the endpoint: login is public on purpose
        ("from fastapi import APIRouter\nauth_router = APIRouter()\n"
         "@auth_router.post('/login')\ndef login(form: LoginForm):\n    return {}\n", False),
    ],
)
def test_endpoint_auth_signals(tmp_path: Path, source: str, expected: bool) -> None:
    facts = _collect(tmp_path, {"views.py": source})
    assert len(facts.endpoints) == 1
    assert facts.endpoints[0].has_auth is expected


def test_decorator_that_is_not_a_route(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"x.py": "@cache.get('key')\ndef f():\n    pass\n"})
    assert facts.endpoints == []


# -------------------------------------------------------------------------------- layers and counts
MIXED = """
import sqlite3
from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI()

@app.route("/q")
def q():
    db = sqlite3.connect("app.db")
    rows = db.execute("SELECT body FROM notes").fetchall()
    return client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": str(rows)}])
"""


def test_mixed_layers(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {
        "app.py": MIXED,
        "web_only.py": "from flask import Flask\napp = Flask(__name__)\n",
    })
    assert [(m.path, m.layers) for m in facts.mixed_files] == [("app.py", ["db", "llm", "web"])]


def test_print_and_logging_counts(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"a.py": """
        import logging
        logger = logging.getLogger(__name__)
        print("start")
        logger.info("x"); logger.exception("y"); logging.warning("z")
        print("done")
        items.debug  # an attribute, not a call
        other.info("not a logger")
    """})
    assert (facts.print_calls, facts.logging_calls) == (2, 3)


def test_imports_and_sdks(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"a.py": """
        import os.path
        from google import genai
        from langchain_community.llms import Ollama
        from .local import thing
        import numpy as np
    """})
    assert facts.imports == ["google", "langchain_community", "numpy", "os"]
    assert facts.llm_sdks == ["google", "langchain"]


@pytest.mark.parametrize(
    ("module", "sdk"),
    [("google.generativeai", "google"), ("langchain_anthropic", "langchain"),
     ("llama_index.llms.openai", "llama_index"), ("openai_helpers", None), ("google.cloud", None)],
)
def test_sdk_of(module: str, sdk: str | None) -> None:
    assert sdk_of(module) == sdk


# --------------------------------------------------------------------------------- robustness
def test_syntax_error_is_recorded_and_other_files_still_parsed(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"broken.py": "def f(:\n", "ok.py": OPENAI_GUARDED,
                                "py2.py": "print 'hello'\n"})
    assert facts.files_parsed == 1
    assert len(facts.parse_errors) == 2
    assert facts.parse_errors[0].startswith("broken.py:1: SyntaxError")
    assert facts.available and facts.reason == "2 of 3 Python files not parsed"
    assert len(facts.llm_calls) == 1


def test_oversize_file_is_skipped(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"big.py": "x = 1\n" * (MAX_PY_BYTES // 6 + 10), "ok.py": "x = 1\n"})
    assert facts.files_parsed == 1
    assert facts.parse_errors == ["big.py: not parsed (larger than 1 MB)"]


def test_no_python_files_is_not_available(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"index.js": "console.log(1)\n"})
    assert not facts.available and facts.reason == "no Python files"


def test_deeply_nested_code_does_not_crash(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"deep.py": "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n",
                                "ok.py": "print(1)\n"})
    assert facts.files_parsed >= 1 and facts.print_calls == 1


def test_progress_messages(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    seen: list[str] = []
    collect_code(list_files(tmp_path), progress=seen.append)
    assert seen[0] == "code: parsing 1 Python files"
    assert all(m.startswith("code: ") for m in seen)
