"""Tests of the analysis engine on Python: each snippet is a tiny file in tmp_path, parsed (never run)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from auditlib.analysis import analyse as collect_code
from auditlib.analysis.layers import sdk_of
from auditlib.analysis.resolve import MAX_BYTES as MAX_PY_BYTES
from auditlib.collect.files import list_files
from auditlib.models import CodeFacts, LLMCallSite
from tests.factories import analyse_files


def _collect(tmp_path: Path, files: dict[str, str]) -> CodeFacts:
    return analyse_files(tmp_path, files)


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
    # the question is passed on its own, as data: not pasted into prompt text
    assert not site.user_input_in_prompt and not site.prompt_inline


def test_streamlit_input_spliced_into_prompt(tmp_path: Path) -> None:
    site = _one_call(tmp_path, """
        import streamlit as st
        from google import genai

        client = genai.Client()
        question = st.text_input("Ask")
        if question:
            prompt = f"You are a travel agent. Answer briefly: {question}"
            st.write(client.models.generate_content(model="gemini-2.0-flash", contents=prompt).text)
    """)
    assert site.user_input_in_prompt and site.prompt_inline


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
    # a user message holding just the request text is the normal chat pattern, not splicing
    assert not site.user_input_in_prompt and site.prompt_inline


@pytest.mark.parametrize("content", [
    'f"Customer says: {body.text}. Reply as support."',
    '"Customer says: " + body.text',
    '"Customer says: %s" % body.text',
    '"Customer says: {}".format(body.text)',
    '" ".join(["Customer says:", body.text])',
])
def test_route_parameter_spliced_into_prompt(tmp_path: Path, content: str) -> None:
    site = _one_call(tmp_path, f"""
        from fastapi import FastAPI
        from openai import OpenAI
        app = FastAPI()
        client = OpenAI()

        @app.post("/chat")
        def chat(body: ChatIn):
            text = {content}
            return client.chat.completions.create(model="gpt-4o", messages=[{{"role": "user", "content": text}}])
    """)
    assert site.user_input_in_prompt


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


@pytest.mark.parametrize(("tail", "structured"), [
    ("return json.loads(content)", False),  # issue 9: JSON read without a schema (a model_output_parsed use)
    ("return Answer.model_validate(json.loads(content))", True),  # a schema checks it
    ("return Answer.model_validate_json(content)", True),
])
def test_structured_output_needs_a_schema_not_just_json_loads(tmp_path: Path, tail: str, structured: bool) -> None:
    site = _one_call(tmp_path, f"""
        import json
        from openai import OpenAI
        from pydantic import BaseModel
        client = OpenAI()

        class Answer(BaseModel):
            text: str

        def extract(text):
            resp = client.chat.completions.create(model="gpt-4o", messages=text)
            content = resp.choices[0].message.content
            {tail}
    """)
    assert site.structured_output is structured


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


def test_no_source_files_is_not_available(tmp_path: Path) -> None:
    # One engine reads Python and JS/TS: a JS-only repository is analysed; nothing to read is not available.
    assert _collect(tmp_path / "js", {"index.js": "console.log(1)\n"}).available
    facts = _collect(tmp_path / "none", {"README.md": "# x\n"})
    assert not facts.available and facts.reason == "no Python or JavaScript/TypeScript files"


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


# =================================================================== model-call defect classes (issue 3)
def _uses(tmp_path: Path, source: str, name: str = "app.py") -> list[tuple[str, int]]:
    facts = _collect(tmp_path, {name: source})
    assert facts.parse_errors == []
    return [(u.kind, u.line) for u in facts.llm_uses]


def _kinds(tmp_path: Path, source: str) -> set[str]:
    return {kind for kind, _ in _uses(tmp_path, source)}


OAI = "from openai import OpenAI\nclient = OpenAI()\n"
WEB = "from openai import OpenAI\nimport flask; client = OpenAI()\n"
"""Same two lines, in a web app: there print() writes to the server's logs."""
FLASK = "from flask import Flask, request\nfrom openai import OpenAI\napp = Flask(__name__)\nclient = OpenAI()\n"
FASTAPI = "from fastapi import FastAPI\nfrom openai import OpenAI\napp = FastAPI()\nclient = OpenAI()\n"
CALL = "client.chat.completions.create(model='m', messages=[{'role': 'user', 'content': q}])"

# (id, source, expected {(kind, line)}): line numbers count from 1 in the dedented source.
LOGGING = [
    ("response_printed", WEB + "def f(q):\n    r = " + CALL + "\n    print(r.choices[0].message.content)\n",
     {("response_logged", 5)}),
    ("response_logged_via_helper", OAI + "import logging\nlogger = logging.getLogger(__name__)\n"
     "def ask(q):\n    return " + CALL + ".choices[0].message.content\n"
     "def view(q):\n    answer = ask(q).strip()\n    logger.info('answer: %s', answer)\n",
     {("response_logged", 9)}),
    ("response_logged_in_helper_param", WEB + "def show(text):\n    print('model said', text)\n"
     "def f(q):\n    show(" + CALL + ")\n", {("response_logged", 4)}),
    ("prompt_fstring_logged", OAI + "import logging\nlog = logging.getLogger()\ndef f(question):\n"
     "    prompt = f'Answer: {question}'\n    log.debug(f'prompt={prompt}')\n"
     "    return client.chat.completions.create(model='m', messages=[{'role': 'user', 'content': prompt}])\n",
     {("prompt_logged", 7)}),
    ("messages_printed", WEB + "def f(q):\n    messages = [{'role': 'system', 'content': 'Be brief.'}]\n"
     "    messages.append({'role': 'user', 'content': q})\n    print(messages)\n"
     "    return client.chat.completions.create(model='m', messages=messages)\n",
     {("prompt_logged", 6)}),
]
LOGGING_DECOYS = [
    ("length_only", WEB + "def f(q):\n    print(len(q))\n    return " + CALL + "\n"),
    ("usage_logged", OAI + "import logging\nlogger = logging.getLogger()\ndef f(q):\n    r = " + CALL +
     "\n    logger.info('tokens %s model %s', r.usage.total_tokens, r.model)\n    tokens = r.usage.total_tokens\n"
     "    print(tokens)\n"),
    ("constant_prompt", WEB + "SYSTEM = 'You are terse.'\ndef f():\n    print(SYSTEM)\n"
     "    msgs = [{'role': 'system', 'content': SYSTEM}]\n    print(msgs)\n"
     "    return client.chat.completions.create(model='m', messages=msgs)\n"),
    ("static_message", WEB + "def f(q):\n    print('calling the model')\n    r = " + CALL +
     "\n    print('done', r.id)\n"),
    ("local_print_shadowed", WEB + "def print(x):\n    pass\ndef f(q):\n    r = " + CALL + "\n    print(r)\n"),
    # a command-line tool prints the answer to its user: that is its output, not a log
    ("cli_prints_answer", OAI + "def main():\n    r = " + CALL.replace("q}", "input()}") + "\n"
     "    print(r.choices[0].message.content)\n"),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in LOGGING], ids=[c[0] for c in LOGGING])
def test_prompt_or_response_logged(tmp_path: Path, source: str, expected: set) -> None:
    got = {u for u in _uses(tmp_path, source) if u[0] in {"prompt_logged", "response_logged"}}
    assert got == expected


@pytest.mark.parametrize("source", [c[1] for c in LOGGING_DECOYS], ids=[c[0] for c in LOGGING_DECOYS])
def test_logging_decoys(tmp_path: Path, source: str) -> None:
    assert not _kinds(tmp_path, source) & {"prompt_logged", "response_logged"}


def test_logged_use_points_back_at_the_call(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"app.py": LOGGING[0][1]})
    [use] = facts.llm_uses
    assert (use.path, use.function, use.api, use.call_line) == ("app.py", "f", "print", 4)
    assert use.detail == "output of client.chat.completions.create (line 4) reaches print"


# ------------------------------------------------------------------------------------ usage fields
@pytest.mark.parametrize(
    ("source", "lines"),
    [
        (OAI + "def f(q):\n    r = " + CALL + "\n    return r.usage.total_tokens\n", {5}),
        ("import requests\ndef f(b):\n    r = requests.post('https://api.openai.com/v1/chat/completions', json=b)\n"
         "    data = r.json()\n    return data['usage']['prompt_tokens']\n", {5}),
        ("from google import genai\nc = genai.Client()\ndef f(q):\n"
         "    r = c.models.generate_content(model='gemini-2.0-flash', contents=q)\n"
         "    return r.usage_metadata.total_token_count\n", {5}),
        # a file that imports an SDK but only tracks usage (the call lives elsewhere)
        ("import anthropic\ndef cost(msg):\n    return msg.usage.input_tokens * 3e-6\n", {3}),
    ],
)
def test_usage_fields_read(tmp_path: Path, source: str, lines: set[int]) -> None:
    assert {line for kind, line in _uses(tmp_path, source) if kind == "usage_read"} == lines


def test_usage_attribute_outside_model_code_is_ignored(tmp_path: Path) -> None:
    source = "import argparse\np = argparse.ArgumentParser()\nprint(p.usage)\n"
    assert _uses(tmp_path, source) == []


# --------------------------------------------------------------------------- client-supplied messages
CLIENT_MESSAGES = [
    ("flask_json", FLASK + "@app.post('/chat')\ndef chat():\n"
     "    return client.chat.completions.create(model='m', messages=request.json['messages'])\n", True),
    ("flask_get_json_get", FLASK + "@app.post('/chat')\ndef chat():\n    data = request.get_json()\n"
     "    msgs = data.get('messages', [])\n    return client.chat.completions.create(model='m', messages=msgs)\n",
     True),
    ("fastapi_body_field", FASTAPI + "@app.post('/chat')\ndef chat(body: ChatRequest):\n"
     "    return client.chat.completions.create(model='m', messages=[m.model_dump() for m in body.messages])\n",
     True),
    ("fastapi_param", FASTAPI + "@app.post('/chat')\nasync def chat(messages: list[Message]):\n"
     "    return client.chat.completions.create(model='m', messages=messages)\n", True),
    ("client_roles_copied", FASTAPI + "@app.post('/chat')\ndef chat(req: ChatRequest):\n"
     "    msgs = [{'role': m.role, 'content': m.content} for m in req.messages]\n"
     "    return client.chat.completions.create(model='m', messages=msgs)\n", True),
    ("system_prepended", FASTAPI + "@app.post('/chat')\ndef chat(req: ChatRequest):\n"
     "    msgs = [{'role': 'system', 'content': 'Be kind.'}] + req.messages\n"
     "    return client.chat.completions.create(model='m', messages=msgs)\n", True),
    ("raw_http", "import requests\nfrom flask import Flask, request\napp = Flask(__name__)\n"
     "@app.post('/chat')\ndef chat():\n    body = {'model': 'gpt-4o', 'messages': request.json['messages']}\n"
     "    return requests.post('https://api.openai.com/v1/chat/completions', json=body).json()\n", True),
    # decoys: the server builds the list, fixes the roles, or filters them
    ("server_builds_list", FASTAPI + "@app.post('/chat')\ndef chat(body: ChatIn):\n"
     "    history = [{'role': 'system', 'content': 'Be nice.'}]\n"
     "    history.append({'role': 'user', 'content': body.message})\n"
     "    return client.chat.completions.create(model='m', messages=history)\n", False),
    ("fixed_role", FASTAPI + "@app.post('/chat')\ndef chat(body: ChatIn):\n"
     "    msgs = [{'role': 'user', 'content': m.content} for m in body.messages]\n"
     "    return client.chat.completions.create(model='m', messages=msgs)\n", False),
    ("filtered", FASTAPI + "@app.post('/chat')\ndef chat(body: ChatIn):\n"
     "    msgs = [m.model_dump() for m in body.messages if m.role != 'system']\n"
     "    return client.chat.completions.create(model='m', messages=msgs)\n", False),
    ("not_a_handler", OAI + "def chat(messages):\n"
     "    return client.chat.completions.create(model='m', messages=messages)\n", False),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in CLIENT_MESSAGES],
                         ids=[c[0] for c in CLIENT_MESSAGES])
def test_messages_from_client(tmp_path: Path, source: str, expected: bool) -> None:
    assert _one_call(tmp_path, source).messages_from_client is expected


# -------------------------------------------------------------------------------- key from user input
KEY_FROM_USER = [
    ("environ_from_query", FLASK.replace("from openai import OpenAI\n", "import os\nfrom openai import OpenAI\n")
     + "@app.get('/ask')\ndef ask():\n    os.environ['OPENAI_API_KEY'] = request.args.get('key')\n    return 'ok'\n",
     {8}),
    ("streamlit_sidebar", "import os\nimport streamlit as st\nfrom openai import OpenAI\n"
     "key = st.sidebar.text_input('OpenAI API key', type='password')\n"
     "os.environ['OPENAI_API_KEY'] = key\n", {5}),
    # bring your own key (issue 9): a client built from the visitor's key for this request or run only
    ("client_from_header", FASTAPI + "from fastapi import Request\n@app.post('/x')\n"
     "async def x(request: Request):\n    c = OpenAI(api_key=request.headers['X-Api-Key'])\n    return 1\n",
     set()),
    ("streamlit_client_per_run", "import streamlit as st\nfrom openai import OpenAI\n"
     "key = st.sidebar.text_input('OpenAI API key', type='password')\nclient = OpenAI(api_key=key)\n", set()),
    ("streamlit_global_per_run", "import streamlit as st\nfrom openai import OpenAI\nclient = None\n"
     "key = st.text_input('key')\ndef setup():\n    global client\n    client = OpenAI(api_key=key)\n", set()),
    ("cache_keyed_by_key", "import streamlit as st\nfrom openai import OpenAI\n@st.cache_resource\n"
     "def get(api_key):\n    return OpenAI(api_key=api_key)\nc = get(st.text_input('key'))\n", set()),
    # ... but kept process-wide: a module global reassigned by a handler, a shared cache, the app's state
    ("global_client_reassigned", FASTAPI + "from fastapi import Request\n@app.post('/key')\n"
     "async def set_key(request: Request):\n    global client\n"
     "    client = OpenAI(api_key=request.headers['X-Api-Key'])\n    return 1\n", {9}),
    ("cache_shared_by_sessions", "import streamlit as st\nfrom openai import OpenAI\n"
     "key = st.text_input('key')\n@st.cache_resource\ndef get():\n    return OpenAI(api_key=key)\n", {6}),
    ("stored_on_app_state", FASTAPI + "from fastapi import Request\n@app.post('/key')\n"
     "async def set_key(request: Request):\n    app.state.llm = OpenAI(api_key=request.headers['X-Api-Key'])\n"
     "    return 1\n", {8}),
    ("module_global_key", "import openai\nfrom flask import Flask, request\napp = Flask(__name__)\n"
     "@app.post('/k')\ndef k():\n    openai.api_key = request.form['key']\n    return ''\n", {6}),
    ("environ_update", "import os\nfrom fastapi import FastAPI\nimport anthropic\napp = FastAPI()\n"
     "@app.post('/cfg')\ndef cfg(body: Cfg):\n    os.environ.update({'ANTHROPIC_API_KEY': body.key})\n", {7}),
    # decoys: keys from the environment or settings, a non-key variable
    ("env_to_env", "import os\nfrom openai import OpenAI\nos.environ['OPENAI_API_KEY'] = os.getenv('MY_KEY', '')\n"
     "client = OpenAI(api_key=os.environ['OPENAI_API_KEY'])\n", set()),
    ("settings_key", FASTAPI + "@app.post('/x')\ndef x(body: In):\n"
     "    c = OpenAI(api_key=settings.openai_key)\n    return c\n", set()),
    ("not_a_key", FLASK.replace("from openai import OpenAI\n", "import os\nfrom openai import OpenAI\n")
     + "@app.get('/m')\ndef m():\n    os.environ['MODEL_NAME'] = request.args['model']\n    return ''\n", set()),
    ("helper_param", "from openai import OpenAI\ndef make(api_key):\n    return OpenAI(api_key=api_key)\n", set()),
]


@pytest.mark.parametrize(("source", "lines"), [c[1:] for c in KEY_FROM_USER], ids=[c[0] for c in KEY_FROM_USER])
def test_api_key_from_user(tmp_path: Path, source: str, lines: set[int]) -> None:
    assert {line for kind, line in _uses(tmp_path, source) if kind == "api_key_from_user"} == lines


# ------------------------------------------------------------------------- model-written code executed
EXECUTED = [
    ("exec_extracted_code", OAI + "import re\ndef f(q):\n    r = " + CALL + "\n"
     "    code = re.search(r'```python(.*)```', r.choices[0].message.content, re.S).group(1)\n"
     "    exec(code)\n", {("model_output_executed", 7)}),
    ("eval_via_helper", OAI + "def ask(q):\n    return " + CALL + ".choices[0].message.content\n"
     "def calc(q):\n    return eval(ask(q))\n", {("model_output_executed", 6)}),
    ("compile_langchain", "from langchain_openai import ChatOpenAI\nllm = ChatOpenAI(model='gpt-4o')\n"
     "def f(q):\n    src = llm.invoke(q).content\n    return compile(src, '<llm>', 'exec')\n",
     {("model_output_executed", 5)}),
    ("pandasai_smart_df", "import pandas as pd\nfrom pandasai import SmartDataframe\n"
     "df = SmartDataframe(pd.read_csv('x.csv'), config={'llm': llm})\n"
     "def ask(q):\n    return df.chat(q)\n", {("code_executing_agent", 5)}),
    ("pandasai_v3", "import pandasai as pai\ndf = pai.read_csv('x.csv')\nprint(df.chat('top customers?'))\n",
     {("code_executing_agent", 3)}),
    ("langchain_pandas_agent", "from langchain_experimental.agents import create_pandas_dataframe_agent\n"
     "agent = create_pandas_dataframe_agent(llm, df, allow_dangerous_code=True)\n",
     {("code_executing_agent", 2)}),
    ("python_repl_tool", "from langchain_experimental.tools import PythonREPLTool\ntools = [PythonREPLTool()]\n",
     {("code_executing_agent", 2)}),
    ("load_tools_terminal", "from langchain.agents import load_tools\ntools = load_tools(['serpapi', 'terminal'])\n",
     {("code_executing_agent", 2)}),
    ("dangerous_flag_anywhere", "from somewhere import make_agent\nagent = make_agent(llm, allow_dangerous_code=True)\n",
     {("code_executing_agent", 2)}),
    ("faiss_pickle", "from langchain_community.vectorstores import FAISS\n"
     "db = FAISS.load_local('index', emb, allow_dangerous_deserialization=True)\n",
     {("unsafe_deserialization", 2)}),
    # decoys
    ("literal_eval", OAI + "import ast\ndef f(q):\n    r = " + CALL + "\n"
     "    return ast.literal_eval(r.choices[0].message.content)\n", set()),
    ("exec_of_own_file", OAI + "def f(q):\n    r = " + CALL + "\n    exec(open('setup_script.py').read())\n", set()),
    ("eval_unrelated", "def f(expr):\n    return eval(expr)\n", set()),
    ("chat_not_pandasai", "from myapp import df\nprint(df.chat('hi'))\n", set()),
    ("pandasai_sandboxed", "import pandasai as pai\nfrom pandasai_docker import DockerSandbox\n"
     "agent = pai.Agent([df], sandbox=DockerSandbox())\nagent.chat('q')\n", set()),
    ("dangerous_flag_false", "from langchain_community.vectorstores import FAISS\n"
     "db = FAISS.load_local('index', emb, allow_dangerous_deserialization=False)\n", set()),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in EXECUTED], ids=[c[0] for c in EXECUTED])
def test_model_written_code_executed(tmp_path: Path, source: str, expected: set) -> None:
    kinds = {"model_output_executed", "code_executing_agent", "unsafe_deserialization"}
    assert {u for u in _uses(tmp_path, source) if u[0] in kinds} == expected


# ------------------------------------------------------------------------------ output to SQL / shell
SINKS = [
    ("text_to_sql", OAI + "import sqlite3\nconn = sqlite3.connect('a.db')\ndef f(q):\n    r = " + CALL + "\n"
     "    sql = r.choices[0].message.content.strip('`')\n    return conn.execute(sql).fetchall()\n",
     {("model_output_to_sql", 8)}),
    ("sql_via_helper", OAI + "import sqlite3\ndef run_sql(query):\n    cur = sqlite3.connect('a.db').cursor()\n"
     "    cur.execute(query)\n    return cur.fetchall()\n"
     "def f(q):\n    sql = " + CALL + ".choices[0].message.content\n    return run_sql(sql)\n",
     {("model_output_to_sql", 6)}),
    ("insert_fstring", OAI + "import sqlite3\ndef f(db, q):\n    a = " + CALL + ".choices[0].message.content\n"
     "    db.execute(f\"INSERT INTO log VALUES ('{a}')\")\n", {("model_output_to_sql", 6)}),
    ("sqldatabase_run", "from langchain_community.utilities import SQLDatabase\n"
     "from langchain_openai import ChatOpenAI\nllm = ChatOpenAI()\ndb = SQLDatabase.from_uri('sqlite:///a.db')\n"
     "def f(q):\n    sql = llm.invoke(q).content\n    return db.run(sql)\n", {("model_output_to_sql", 7)}),
    ("sql_chain", "from langchain_experimental.sql import SQLDatabaseChain\n"
     "chain = SQLDatabaseChain.from_llm(llm, db)\n", {("model_output_to_sql", 2)}),
    ("langchain_sql_agent", "from langchain_community.agent_toolkits import create_sql_agent\n"
     "agent = create_sql_agent(llm, db=db, agent_type='openai-tools')\n", {("model_output_to_sql", 2)}),
    ("os_system", OAI + "import os\ndef f(q):\n    cmd = " + CALL + ".choices[0].message.content\n    os.system(cmd)\n",
     {("model_output_to_shell", 6)}),
    ("subprocess_shell", OAI + "import subprocess\ndef f(q):\n    cmd = " + CALL + ".choices[0].message.content\n"
     "    return subprocess.run(cmd, shell=True, capture_output=True)\n", {("model_output_to_shell", 6)}),
    ("subprocess_split", OAI + "import shlex, subprocess\ndef f(q):\n    cmd = " + CALL + ".choices[0].message.content\n"
     "    return subprocess.check_output(shlex.split(cmd))\n", {("model_output_to_shell", 6)}),
    ("bash_c", OAI + "import subprocess\ndef f(q):\n    script = " + CALL + ".choices[0].message.content\n"
     "    subprocess.run(['bash', '-c', script])\n", {("model_output_to_shell", 6)}),
    # decoys
    ("parameterised", OAI + "import sqlite3\ndef f(db, q):\n    a = " + CALL + ".choices[0].message.content\n"
     "    db.execute('INSERT INTO log VALUES (?)', (a,))\n", set()),
    ("model_text_as_argument", OAI + "import subprocess\ndef f(q):\n    msg = " + CALL + ".choices[0].message.content\n"
     "    subprocess.run(['git', 'commit', '-m', msg])\n", set()),
    ("constant_command", OAI + "import os\ndef f(q):\n    r = " + CALL + "\n    os.system('ls')\n", set()),
    ("execute_on_a_tool", OAI + "def f(tool, q):\n    a = " + CALL + "\n    tool.execute(a)\n", set()),
    ("orm_binds_the_value", OAI + "from sqlalchemy import select\ndef f(session, q):\n"
     "    a = " + CALL + ".choices[0].message.content\n"
     "    stmt = select(Log).where(Log.text == a)\n    return session.execute(stmt)\n", set()),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in SINKS], ids=[c[0] for c in SINKS])
def test_model_output_to_sql_or_shell(tmp_path: Path, source: str, expected: set) -> None:
    kinds = {"model_output_to_sql", "model_output_to_shell"}
    assert {u for u in _uses(tmp_path, source) if u[0] in kinds} == expected


# ------------------------------------------------------------------------------------ kill switches
FLAGS = [
    ("env_if", OAI + "import os\ndef f(q):\n    if os.getenv('AI_ENABLED'):\n        return " + CALL + "\n", True),
    ("settings_attr", OAI + "def f(q):\n    if settings.LLM_ENABLED and q:\n        return " + CALL + "\n", True),
    ("flag_client", OAI + "def f(q, user):\n    if flags.is_enabled('ai-answers', user):\n        return " + CALL + "\n"
     "    return 'n/a'\n", True),
    ("early_exit", OAI + "def f(q):\n    if not config.ENABLE_AI:\n        return 'disabled'\n    x = 1\n"
     "    return " + CALL + "\n", True),
    ("kill_switch_else", OAI + "import os\ndef f(q):\n    if os.environ.get('AI_KILL_SWITCH') == '1':\n"
     "        return 'off'\n    else:\n        return " + CALL + "\n", True),
    ("lowered_compare", OAI + "import os\nUSE = os.getenv('USE_LLM', 'false').lower() == 'true'\ndef f(q):\n"
     "    if os.getenv('USE_LLM', 'false').lower() == 'true':\n        return " + CALL + "\n", True),
    ("streamlit_stop", "import os\nimport streamlit as st\nfrom openai import OpenAI\nclient = OpenAI()\n"
     "q = 'x'\nif os.getenv('DISABLE_AI'):\n    st.stop()\nst.write(" + CALL + ")\n", True),
    ("flags_get", OAI + "def f(q):\n    if feature_flags.get('ai-chat'):\n        return " + CALL + "\n", True),
    ("own_flag_function", OAI + "def f(q):\n    if feature_enabled('ai'):\n        return " + CALL + "\n", True),
    # decoys
    ("plain_if", OAI + "def f(q):\n    if q:\n        return " + CALL + "\n", False),
    ("feature_extraction", OAI + "def f(q):\n    if extract_features(q):\n        return " + CALL + "\n", False),
    ("compared_to_a_variable", OAI + "import os\ndef f(q, want):\n    if os.getenv('AI_ENABLED') != want:\n"
     "        return " + CALL + "\n", False),
    ("key_present", OAI + "import os\ndef f(q):\n    if os.getenv('OPENAI_API_KEY'):\n        return " + CALL + "\n", False),
    ("debug", OAI + "def f(q):\n    if settings.DEBUG:\n        return " + CALL + "\n", False),
    ("user_controlled", FLASK + "@app.post('/a')\ndef a():\n    q = 'x'\n    if request.json.get('ai_enabled'):\n"
     "        return " + CALL + "\n", False),
    ("wrong_branch", OAI + "import os\ndef f(q):\n    if os.getenv('AI_ENABLED'):\n        pass\n    else:\n"
     "        return " + CALL + "\n", False),
    ("no_exit", OAI + "def f(q):\n    if not settings.AI_ENABLED:\n        print('off')\n    return " + CALL + "\n", False),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in FLAGS], ids=[c[0] for c in FLAGS])
def test_guarded_by_flag(tmp_path: Path, source: str, expected: bool) -> None:
    assert _one_call(tmp_path, source).guarded_by_flag is expected


# ------------------------------------------------------------------------------------ prompt source
PROMPT_SOURCES = [
    ("path_read_text", OAI + "from pathlib import Path\nSYSTEM = Path('prompts/support.txt').read_text()\n"
     "def f(q):\n    return client.chat.completions.create(model='m', messages=["
     "{'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': f'Question: {q}'}])\n", "file"),
    ("with_open", OAI + "with open('system_prompt.txt') as fh:\n    SYSTEM = fh.read()\n"
     "def f(q):\n    return client.chat.completions.create(model='m', messages=["
     "{'role': 'system', 'content': SYSTEM}, {'role': 'user', 'content': q}])\n", "file"),
    ("jinja", OAI + "from jinja2 import Environment, FileSystemLoader\n"
     "env = Environment(loader=FileSystemLoader('templates'))\n"
     "def f(q):\n    prompt = env.get_template('answer.j2').render(question=q)\n"
     "    return client.chat.completions.create(model='m', messages=[{'role': 'user', 'content': prompt}])\n",
     "file"),
    ("yaml_prompts", OAI + "import yaml\nPROMPTS = yaml.safe_load(open('prompts.yaml'))\n"
     "def f(q):\n    return client.chat.completions.create(model='m', messages=["
     "{'role': 'user', 'content': PROMPTS['qa'].format(q=q)}])\n", "file"),
    ("langchain_load_prompt", "from langchain_openai import ChatOpenAI\n"
     "from langchain_core.prompts import load_prompt\nchain = load_prompt('prompts/qa.yaml') | ChatOpenAI()\n"
     "def f(q):\n    return chain.invoke({'q': q})\n", "file"),
    ("inline", OAI + "def f(q):\n    return client.chat.completions.create(model='m', messages=["
     "{'role': 'user', 'content': f'Summarise: {q}'}])\n", "inline"),
    # decoy: the document comes from a file, the instruction is inline
    ("document_from_file", OAI + "def f():\n    doc = open('contract.pdf.txt').read()\n"
     "    return client.chat.completions.create(model='m', messages=["
     "{'role': 'user', 'content': f'Summarise: {doc}'}])\n", "inline"),
    ("document_only", OAI + "def f(path):\n    doc = open(path).read()\n"
     "    return client.chat.completions.create(model='m', messages=[{'role': 'user', 'content': doc}])\n",
     "unknown"),
    ("parameter", OPENAI_BARE, "unknown"),
]


@pytest.mark.parametrize(("source", "expected"), [c[1:] for c in PROMPT_SOURCES],
                         ids=[c[0] for c in PROMPT_SOURCES])
def test_prompt_source(tmp_path: Path, source: str, expected: str) -> None:
    site = _one_call(tmp_path, source)
    assert site.prompt_source == expected
    assert site.prompt_inline is (expected == "inline")


def test_long_assignment_chains_stay_fast(tmp_path: Path) -> None:
    # Written backwards so that each propagation pass advances one name only (the worst case).
    body = "".join(f"    v{i} = v{i - 1} + str({i})\n" for i in range(1500, 0, -1))
    source = OAI + "def f(q):\n" + body + "    v0 = " + CALL + ".choices[0].message.content\n    exec(v1500)\n"
    start = time.perf_counter()
    got = _uses(tmp_path, source)
    assert ("model_output_executed", 1505) in got
    assert time.perf_counter() - start < 3


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        ("    data = await request.json()\n    return await ask(data.get('messages', []))\n", True),
        ("    data = await request.json()\n    return await ask(messages=data['messages'])\n", True),
        ("    data = await request.json()\n    return await ask([{'role': 'user', 'content': data['q']}])\n", False),
    ],
)
def test_messages_from_client_through_a_helper(tmp_path: Path, handler: str, expected: bool) -> None:
    source = ("from fastapi import FastAPI, Request\nfrom openai import AsyncOpenAI\napp = FastAPI()\n"
              "client = AsyncOpenAI()\n"
              "async def ask(messages):\n"
              "    system = {'role': 'system', 'content': 'Be brief.'}\n"
              "    return await client.chat.completions.create(model='m', messages=[system, *messages])\n"
              "@app.post('/chat')\nasync def chat(request: Request):\n" + handler)
    site = _one_call(tmp_path, source)
    assert (site.function, site.messages_from_client) == ("ask", expected)


@pytest.mark.parametrize(
    ("callers", "expected"),
    [
        ("@app.post('/a')\ndef a(q: str):\n    if settings.AI_ENABLED:\n        return ask(q)\n    return 'off'\n", True),
        ("@app.post('/a')\ndef a(q: str):\n    if settings.AI_ENABLED:\n        return ask(q)\n"
         "@app.post('/b')\ndef b(q: str):\n    return ask(q)\n", False),  # one caller skips the check
        ("", False),  # no caller in this module: nothing to inherit
    ],
)
def test_flag_checked_by_every_caller(tmp_path: Path, callers: str, expected: bool) -> None:
    source = FASTAPI + "def ask(q):\n    return " + CALL + "\n" + callers
    site = _one_call(tmp_path, source)
    assert (site.function, site.guarded_by_flag) == ("ask", expected)


WELL_BUILT = '''
import json
import logging
import os
import sqlite3
import subprocess
from pathlib import Path

from fastapi import Depends, FastAPI
from openai import OpenAI
from pydantic import BaseModel

log = logging.getLogger(__name__)
app = FastAPI()
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"], timeout=20, max_retries=3)
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
SYSTEM = (Path(__file__).parent / "prompts" / "support.txt").read_text()
db = sqlite3.connect(os.environ.get("DB_PATH", "app.db"))


class Ask(BaseModel):
    question: str


def answer(question: str) -> dict:
    if os.environ.get("AI_ENABLED", "1") != "1":
        return {"text": "The assistant is off."}
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question}]
    log.info("asking the model (%d chars)", len(question))
    resp = client.chat.completions.create(model=os.environ["MODEL"], messages=messages, max_tokens=300,
                                          response_format={"type": "json_object"})
    log.info("tokens=%s finish=%s", resp.usage.total_tokens, resp.choices[0].finish_reason)
    data = json.loads(resp.choices[0].message.content)
    db.execute("INSERT INTO answers (question, answer) VALUES (?, ?)", (question, data["text"]))
    subprocess.run(["logger", "-t", "bot", "answered"], check=False)
    return data


@app.post("/ask")
def ask(body: Ask, user=Depends(get_current_user)) -> dict:
    return answer(body.question)
'''


def test_well_built_module_reports_only_safeguards(tmp_path: Path) -> None:
    facts = _collect(tmp_path, {"app/service.py": WELL_BUILT})
    [site] = facts.llm_calls
    assert (site.prompt_source, site.prompt_inline, site.guarded_by_flag, site.messages_from_client) == (
        "file", False, True, False)
    # the JSON-mode answer is parsed (json.loads): a neutral use, the call has its schema (response_format)
    assert [(u.kind, u.line) for u in facts.llm_uses] == [("usage_read", 32), ("model_output_parsed", 33)]


def test_matching_stores_on_an_imported_function_never_prints_the_ir(tmp_path: Path, monkeypatch) -> None:
    """An attribute stored on an imported function (``helper.cache = {}`` then ``helper.cache``) is matched
    by an access key made of the import's values. Those keys were once ``repr`` of the values: the repr of
    a function's scope prints its module and every scope of it, recursively (a 400-file repository took
    over five minutes and 5 GB). The IR must never be printed while analysing."""
    from auditlib.analysis import ir

    def refuse(self: object) -> str:
        raise AssertionError(f"repr of an IR {type(self).__name__} during the analysis")

    for cls in (ir.Scope, ir.Module, ir.ClassDef, ir.Call):
        monkeypatch.setattr(cls, "__repr__", refuse)
    facts = analyse_files(tmp_path, {
        "b.py": "def helper():\n    return 1\n",
        "a.py": "from b import helper\nhelper.cache = {}\n\ndef read():\n    return helper.cache.get('k')\n",
    })
    assert facts.available and facts.files_parsed == 2
