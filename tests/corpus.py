"""The accuracy corpus: synthetic prototypes with defects planted at known lines, and a control.

Each planted defect is marked in the generated source by a ``PLANT:<rule>`` comment on the line
where the finding must point (several rules may share a line). Secrets planted only in history are
listed with the commit that added them. The control is a well-built app full of decoys
(placeholder keys, environment reads, a fake key in a test fixture, parameterised SQL, guarded model
calls) on which no critical or high finding may appear.

Used by tests/test_accuracy.py (targets as tests) and benchmarks/accuracy.py (prints the numbers
quoted in the README).
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Fake credentials of the providers' shapes, assembled from pieces (never valid).
K = {
    "openai": "sk-" + "proj-" + "RAqiAf9EcdN3byrp98w3JA7syFB2LJyWRUXByFK8ZUB22uW9",
    "anthropic": "sk-" + "ant-api03-" + "9z2w404kQwTgwJDfM8J4uPVISx3bcrF75nSLeGYdqTGSPzOz" + "-lcEvx8K5AA",
    "aws_id": "AKIA" + "ADTHQW7RGF7IC80T",
    "aws_secret": "v8pAbmROLokz3lcnke0E4O6F" + "tKdVRfLOakZkWCfi",
    "github": "ghp_" + "7cgvYQpWPAhcgVjHO5s1FrjXVwaVGCya6Usn",
    "stripe": "sk_" + "live_" + "vj2uxNnCl60oAzJqDtjo89Id",
    "slack": "xoxb-" + "2431557013-" + "7qg8SYMMdCZKbfgj4MOR7q2t",
    "slack_hook": "https://hooks.slack.com/services/" + "T024BE7LD/B07QZ1X2Y/" + "tMPrHNiMe6wUPGQKWmrfGRmK",
    "google": "AIza" + "3ugVW4FFsuxFtTH2bnfh3I8LZnUXPPmn9Bj",
    "db_password": "uhIKeYGpIYoWdGgH",
    "openai_ts": "sk-" + "proj-" + "GQzG0A4HVeqCHofQBcmkX9SZnAma7iNIYw34f0WyuhIKeYGp",
}
PRIVATE_KEY = ("-----BEGIN RSA PRIVATE KEY-----\n" + "MIIEowIBAAKCAQEA3Tz2mr7SZiAMfQyuvBjM2Bqz" + "\n"
               + "-----END RSA PRIVATE KEY-----\n")


@dataclass(frozen=True)
class Planted:
    """One defect the audit must find."""

    kind: str
    """``secret`` or ``llm`` (what the recall is reported for)."""
    rule: str
    path: str
    line: int | None = None
    commit: str | None = None


@dataclass
class Corpus:
    """A generated repository and what was planted in it."""

    root: Path
    planted: list[Planted]


def _git(repo: Path, *args: str, date: str = "2026-06-01T10:00:00+00:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "Proto Dev", "GIT_AUTHOR_EMAIL": "dev@proto.example",
           "GIT_COMMITTER_NAME": "Proto Dev", "GIT_COMMITTER_EMAIL": "dev@proto.example",
           "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args], cwd=repo,
                          env=env, check=True, capture_output=True, text=True).stdout.strip()


def _commit(repo: Path, files: dict[str, str | None], message: str, date: str) -> str:
    for rel, text in files.items():
        path = repo / rel
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message, date=date)
    return _git(repo, "rev-parse", "HEAD")


_MARK = re.compile(r"PLANT:([\w.]+)")


def _planted_in_tree(repo: Path, kinds: dict[str, str]) -> list[Planted]:
    out = []
    for path in sorted(p for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts):
        rel = path.relative_to(repo).as_posix()
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for rule in _MARK.findall(line):
                out.append(Planted(kind=kinds.get(rule.split(".")[0], "llm"), rule=rule, path=rel, line=n))
    return out


# --------------------------------------------------------------------------------------- Python prototype
PY_APP = '''import json
import os
import sqlite3
import subprocess

import anthropic
import requests
from fastapi import FastAPI, Request
from openai import OpenAI

app = FastAPI()
client = OpenAI(api_key="{openai}")  # PLANT:secret.committed_credential
claude = anthropic.Anthropic()
db = sqlite3.connect("app.db")
SLACK_WEBHOOK = "{slack_hook}"  # PLANT:secret.committed_credential


@app.post("/chat")
async def chat(request: Request):
    body = await request.json()
    question = body["question"]
    prompt = f"You are Acme's support agent. Answer this: {{question}}"
    completion = client.chat.completions.create(model="gpt-4o", messages=[{{"role": "system", "content": prompt}}])  # PLANT:llm.user_input_in_prompt PLANT:llm.call_without_timeout PLANT:llm.call_without_fallback PLANT:llm.unstructured_output PLANT:llm.hardcoded_model PLANT:llm.max_tokens_unset PLANT:llm.inline_prompt PLANT:llm.call_without_retry
    answer = json.loads(completion.choices[0].message.content)  # the free text is read as JSON, no schema
    return {{"answer": answer["text"]}}


@app.post("/summarise")
async def summarise(request: Request):
    data = await request.json()
    text = data["text"]
    msg = claude.messages.create(model="claude-3-5-sonnet-latest", max_tokens=400, messages=[{{"role": "user", "content": "Summarise in 3 bullets: " + text}}])  # PLANT:llm.user_input_in_prompt PLANT:llm.call_without_timeout PLANT:llm.call_without_fallback PLANT:llm.hardcoded_model PLANT:llm.inline_prompt
    return {{"summary": msg.content[0].text}}


@app.get("/report/{{customer}}")
def report(customer: str):
    rows = db.execute(f"SELECT * FROM orders WHERE customer = '{{customer}}'").fetchall()  # PLANT:architecture.sql_string_building
    reply = requests.post("https://api.openai.com/v1/chat/completions", json={{"model": "gpt-4o-mini", "messages": [{{"role": "user", "content": f"Describe these orders: {{rows}}"}}]}})  # PLANT:llm.call_without_timeout PLANT:llm.call_without_fallback PLANT:llm.hardcoded_model PLANT:llm.max_tokens_unset PLANT:llm.inline_prompt
    return reply.json()
'''

PY_AGENT = '''import os
import pickle
import sqlite3
import subprocess

from flask import Flask, request
from langchain_community.vectorstores import FAISS
from openai import OpenAI

app = Flask(__name__)
db = sqlite3.connect("reports.db")


@app.post("/agent")
def agent():
    os.environ["OPENAI_API_KEY"] = request.args["api_key"]  # PLANT:llm.api_key_from_user
    client = OpenAI(timeout=30, max_retries=2)
    messages = request.json["messages"]
    reply = client.chat.completions.create(model=os.environ["MODEL"], max_tokens=500, messages=messages)  # PLANT:llm.client_supplied_messages
    code = reply.choices[0].message.content
    print("model wrote", code)  # PLANT:llm.prompt_or_response_logged
    exec(code)  # PLANT:llm.model_output_executed
    subprocess.run(code, shell=True)  # PLANT:llm.model_output_to_shell
    db.execute(f"INSERT INTO runs (code) VALUES ('{code}')")  # PLANT:llm.model_output_to_sql PLANT:architecture.sql_string_building
    return {"ok": True}


def load_index(path, embeddings):
    return FAISS.load_local(path, embeddings, allow_dangerous_deserialization=True)  # PLANT:llm.unsafe_deserialization
'''

PY_SETTINGS_V1 = '''AWS_ACCESS_KEY_ID = "{aws_id}"
AWS_SECRET_ACCESS_KEY = "{aws_secret}"
GITHUB_TOKEN = "{github}"
'''
PY_SETTINGS_V2 = '''import os

AWS_ACCESS_KEY_ID = os.environ["AWS_ACCESS_KEY_ID"]
AWS_SECRET_ACCESS_KEY = os.environ["AWS_SECRET_ACCESS_KEY"]
GITHUB_TOKEN = os.environ.get("GITHUB_TOKEN", "")
'''
PY_BILLING = '''import stripe

stripe.api_key = "{stripe}"  # PLANT:secret.committed_credential
SLACK_BOT_TOKEN = "{slack}"  # PLANT:secret.committed_credential
MAPS_KEY = "{google}"  # PLANT:secret.committed_credential
DATABASE_URL = "postgresql://app:{db_password}@db.internal:5432/app"  # PLANT:secret.committed_credential
'''


def build_python_prototype(root: Path) -> Corpus:
    """A FastAPI prototype with secrets in tree and history and model-call defects."""
    root.mkdir(parents=True)
    _git(root, "init", "-q")
    first = _commit(root, {"app/main.py": PY_APP.format(**K), "app/settings.py": PY_SETTINGS_V1.format(**K),
                           "deploy/id_rsa": PRIVATE_KEY, "requirements.txt": "fastapi\nopenai\nanthropic\nrequests\n"},
                    "prototype", "2026-06-01T10:00:00+00:00")
    _commit(root, {"app/settings.py": PY_SETTINGS_V2, "deploy/id_rsa": None}, "read keys from the environment",
            "2026-06-03T10:00:00+00:00")
    _commit(root, {"app/billing.py": PY_BILLING.format(**K)}, "billing", "2026-06-05T10:00:00+00:00")
    _commit(root, {"app/agent.py": PY_AGENT}, "agent endpoint", "2026-06-07T10:00:00+00:00")
    planted = _planted_in_tree(root, {"secret": "secret"})
    for rel, line in (("app/settings.py", 1), ("app/settings.py", 2), ("app/settings.py", 3), ("deploy/id_rsa", 1)):
        planted.append(Planted(kind="secret", rule="secret.in_history", path=rel, line=line, commit=first))
    return Corpus(root, planted)


# ------------------------------------------------------------------------------------ TypeScript prototype
TS_ROUTE = '''import OpenAI from "openai";
import {{ NextResponse }} from "next/server";
import {{ Pool }} from "pg";

const openai = new OpenAI({{ apiKey: "{openai_ts}" }}); // PLANT:secret.committed_credential
const pool = new Pool();

export async function POST(req: Request) {{
  const {{ question, userId }} = await req.json();
  const rows = await pool.query(`SELECT plan FROM users WHERE id = '${{userId}}'`); // PLANT:architecture.sql_string_building
  const completion = await openai.chat.completions.create({{ model: "gpt-4o", messages: [{{ role: "user", content: `You are a helpful agent. User plan: ${{rows.rows[0].plan}}. Question: ${{question}}` }}] }}); // PLANT:llm.user_input_in_prompt PLANT:llm.call_without_timeout PLANT:llm.call_without_fallback PLANT:llm.unstructured_output PLANT:llm.hardcoded_model PLANT:llm.max_tokens_unset PLANT:llm.inline_prompt
  return NextResponse.json(JSON.parse(completion.choices[0].message.content ?? "{{}}")); // read as JSON, no schema
}}
'''
TS_EXPRESS = '''import express from "express";
import Anthropic from "@anthropic-ai/sdk";

const app = express();
const anthropic = new Anthropic();

app.post("/api/ask", async (req, res) => {{
  const text = req.body.text;
  const msg = await anthropic.messages.create({{ model: "claude-3-5-haiku-latest", max_tokens: 300, messages: [{{ role: "user", content: "Rewrite politely: " + text }}] }}); // PLANT:llm.user_input_in_prompt PLANT:llm.call_without_timeout PLANT:llm.call_without_fallback PLANT:llm.hardcoded_model PLANT:llm.inline_prompt
  res.json({{ reply: msg.content }});
}});

app.listen(3000);
'''
TS_RUN = '''import express from "express";
import OpenAI from "openai";
import { exec } from "child_process";

const app = express();
const openai = new OpenAI({ timeout: 20000, maxRetries: 2 });

app.post("/api/run", async (req, res) => {
  const r = await openai.chat.completions.create({ model: process.env.MODEL ?? "", max_tokens: 200, messages: req.body.messages }); // PLANT:llm.client_supplied_messages
  const out = r.choices[0].message.content ?? "";
  console.log("model said", out); // PLANT:llm.prompt_or_response_logged
  exec(out); // PLANT:llm.model_output_to_shell
  res.json({ value: eval(out) }); // PLANT:llm.model_output_executed
});
'''
TS_ENV_V1 = 'ANTHROPIC_API_KEY={anthropic}\n'


def build_ts_prototype(root: Path) -> Corpus:
    """A Next.js + Express prototype with model-call defects and a committed .env."""
    root.mkdir(parents=True)
    _git(root, "init", "-q")
    first = _commit(root, {"app/api/chat/route.ts": TS_ROUTE.format(**K), "server/index.ts": TS_EXPRESS.format(**K), "server/run.ts": TS_RUN,
                           ".env": TS_ENV_V1.format(**K),
                           "package.json": '{"dependencies": {"openai": "^4.0.0", "@anthropic-ai/sdk": "^0.30.0", '
                                           '"express": "^4.19.0", "next": "14.2.0", "pg": "^8.11.0"}}\n'},
                    "prototype", "2026-06-01T10:00:00+00:00")
    _commit(root, {".env": None}, "remove env file", "2026-06-02T10:00:00+00:00")
    planted = _planted_in_tree(root, {"secret": "secret"})
    planted.append(Planted(kind="secret", rule="secret.in_history", path=".env", line=1, commit=first))
    return Corpus(root, planted)


# ------------------------------------------------------------------------------------------------ control
CONTROL_APP = '''import logging

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel
from slowapi import Limiter
from slowapi.util import get_remote_address

from . import llm, repo
from .auth import get_current_user

log = logging.getLogger(__name__)
app = FastAPI()
limiter = Limiter(key_func=get_remote_address)


class Question(BaseModel):
    question: str


@app.post("/chat")
@limiter.limit("10/minute")
def chat(request: Request, q: Question, user=Depends(get_current_user)):
    return {"answer": llm.answer(q.question)}


@app.get("/orders")
def orders(user=Depends(get_current_user)):
    return repo.orders_for(user.id)
'''
CONTROL_LLM = '''import json
import logging
import os
from pathlib import Path

from openai import APIError, OpenAI
from pydantic import BaseModel

log = logging.getLogger(__name__)
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"], timeout=20, max_retries=3)
MODEL = os.environ.get("MODEL_NAME", "gpt-4o-mini")
SYSTEM_PROMPT = Path(__file__).with_name("prompts").joinpath("support.txt").read_text()


class Answer(BaseModel):
    text: str
    confidence: float


def answer(question: str) -> str:
    if os.environ.get("AI_ENABLED", "1") != "1":
        return "The assistant is switched off."
    try:
        completion = client.chat.completions.create(
            model=MODEL,
            max_tokens=400,
            response_format={"type": "json_object"},
            messages=[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": question}],
        )
        log.info("tokens=%s", completion.usage.total_tokens)
        return Answer.model_validate(json.loads(completion.choices[0].message.content)).text
    except (APIError, ValueError):
        log.exception("model call failed")
        return "Sorry, the assistant is unavailable; a person will reply."
'''
CONTROL_REPO = '''import os
import sqlite3

db = sqlite3.connect(os.environ.get("DB_PATH", "app.db"))


def orders_for(customer_id):
    rows = db.execute("SELECT id, total FROM orders WHERE customer = ?", (customer_id,)).fetchall()
    return [{"id": r[0], "total": r[1]} for r in rows]
'''
CONTROL_AUTH = '''import os

from fastapi import Header, HTTPException


def get_current_user(authorization: str = Header(...)):
    if not authorization.startswith("Bearer "):
        raise HTTPException(status_code=401)
    return verify(authorization.removeprefix("Bearer "), os.environ["JWT_SECRET"])


def verify(token, secret):
    raise NotImplementedError
'''
CONTROL_FILES = {
    "app/__init__.py": "",
    "app/llm.py": CONTROL_LLM,
    "app/repo.py": CONTROL_REPO,
    "app/auth.py": CONTROL_AUTH,
    "app/prompts/support.txt": "You are Acme's support assistant. Answer in JSON with text and confidence.\n",
    ".env.example": "OPENAI_API_KEY=sk-your-key-here\nAWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nJWT_SECRET=<your secret>\n",
    "README.md": "# Acme assistant\n\nSet `OPENAI_API_KEY` (e.g. `sk-...`). AWS example key: `AKIAIOSFODNN7EXAMPLE`.\n",
    "tests/test_chat.py": "from app.main import Answer\n\n\ndef test_answer_model():\n    assert Answer(text='x', confidence=1.0).text == 'x'\n",
    "tests/fixtures/fake_keys.py": '# fake credentials for parser tests; not real\nFAKE_OPENAI_KEY = "sk-' + 'proj-' + 'FAKEFAKEfakefake0000dummy0000' + 'FAKEFAKEfake"\n',
    "evals/support_cases.jsonl": "".join('{"input": "q%d", "expected": "a%d"}\n' % (i, i) for i in range(220)),
    ".github/workflows/ci.yml": "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: pip install -r requirements.txt && ruff check . && pytest && pip-audit -r requirements.txt\n",
    "Dockerfile": "FROM python:3.12.4-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nUSER app\nHEALTHCHECK CMD curl -f http://localhost:8000/health || exit 1\nCMD [\"uvicorn\", \"app.main:app\"]\n",
    "requirements.txt": "fastapi==0.115.0\nopenai==1.51.0\npydantic==2.9.2\nsentry-sdk==2.14.0\nopentelemetry-sdk==1.27.0\nslowapi==0.1.9\n",
    "docs/runbook.md": "# Runbook\n\nProvider outage: switch AI_ENABLED=0.\n",
}


def build_control(root: Path) -> Corpus:
    """A well-built app with decoys only: no critical or high finding may appear."""
    root.mkdir(parents=True)
    _git(root, "init", "-q")
    _commit(root, {"app/main.py": CONTROL_APP, **CONTROL_FILES}, "service", "2026-11-01T10:00:00+00:00")
    return Corpus(root, [])


# --------------------------------------------------------------------------------------------- scoring
def audit_corpus(corpus: Corpus):
    """Audit a corpus repository in-process (offline, no answers)."""
    from datetime import datetime, timezone

    from auditlib import AuditContext, audit

    ctx = AuditContext(target=corpus.root, source=str(corpus.root), offline=True,
                       now=datetime(2026, 11, 22, tzinfo=timezone.utc), progress=lambda _m: None)
    return audit(ctx)


def matches(p: Planted, f) -> bool:
    """Whether finding ``f`` is the planted defect ``p`` (same rule and file; same line, or commit for history)."""
    if f.rule != p.rule or f.path != p.path:
        return False
    if p.commit:
        return f.commit == p.commit
    return p.line is None or f.line == p.line


def recall(corpus: Corpus, result) -> dict[str, dict[str, list[Planted]]]:
    """Planted defects found and missed, by kind (secret / llm / other)."""
    out: dict[str, dict[str, list[Planted]]] = {}
    for p in corpus.planted:
        kind = p.kind if p.kind == "secret" or p.rule.startswith("llm.") else "other"
        bucket = out.setdefault(kind, {"found": [], "missed": []})
        bucket["found" if any(matches(p, f) for f in result.findings) else "missed"].append(p)
    return out


def severe(result) -> list:
    """Critical and high findings (the control must have none)."""
    return [f for f in result.findings if f.severity in ("critical", "high")]
