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


# The web-application rules of issue 11 planted in the prototypes (recall reported as ``web``) and kept
# silent on the control's decoys.
WEB_RULES = frozenset({
    "architecture.lookup_without_ownership", "architecture.identity_from_request", "architecture.in_memory_state",
    "web.cors_any_origin", "web.unsafe_html_sink", "web.upload_without_limits", "errors.exception_text_in_response",
    "errors.swallowed_exception", "observability.sensitive_data_logged", "deployment.debug_enabled",
    "auth.token_without_expiry", "auth.token_not_verified", "auth.weak_password_storage",
    "integration.webhook_unverified", "secret.exposed_to_client", "llm.client_chosen_prompt_or_model",
})


@dataclass(frozen=True)
class Planted:
    """One defect the audit must find."""

    kind: str
    """``secret``, ``web`` (WEB_RULES), ``llm`` or ``unguarded`` (a control's decoy with its guard removed):
    what the recall is reported for."""
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
                kind = "web" if rule in WEB_RULES else kinds.get(rule.split(".")[0], "llm")
                out.append(Planted(kind=kind, rule=rule, path=rel, line=n))
    return out


# --------------------------------------------------------------------------------------- Python prototype
PY_APP = '''import json
import os
import sqlite3
import subprocess

import anthropic
import requests
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from openai import OpenAI

from . import accounts, webhooks

app = FastAPI(title="acme", debug=True)  # PLANT:deployment.debug_enabled
app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"], allow_headers=["*"])  # PLANT:web.cors_any_origin
app.include_router(accounts.router)
app.include_router(webhooks.router)
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

PY_AGENT = '''import functools
import json
import os
import pickle
import sqlite3
import subprocess

import requests
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
    args = json.loads(reply.choices[0].message.tool_calls[0].function.arguments)
    with open(args["path"], "w") as fh:  # PLANT:llm.model_output_to_file_path
        fh.write(code)
    requests.get(args["url"], timeout=10)  # PLANT:llm.model_output_to_url
    return {"ok": True}


@functools.lru_cache(maxsize=32)
def load_pages(name):
    from langchain_community.document_loaders import PyPDFLoader

    return PyPDFLoader(os.path.join("uploads", name)).load()


@app.post("/pages")
def pages():
    f = request.files["file"]
    f.save(os.path.join("uploads", f.filename))
    return {"pages": len(load_pages(f.filename))}  # PLANT:architecture.cache_keyed_by_user_name


def load_index(path, embeddings):
    return FAISS.load_local(path, embeddings, allow_dangerous_deserialization=True)  # PLANT:llm.unsafe_deserialization
'''

PY_MODELS = '''from sqlalchemy import Column, ForeignKey, Integer, String, Text, create_engine
from sqlalchemy.orm import declarative_base, sessionmaker

engine = create_engine("sqlite:///app.db")
SessionLocal = sessionmaker(bind=engine)
Base = declarative_base()


class User(Base):
    __tablename__ = "users"
    id = Column(Integer, primary_key=True)
    email = Column(String, unique=True)
    phone = Column(String)
    password_hash = Column(String)
    plan = Column(String, default="free")


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"))
    total = Column(Integer)


class Note(Base):
    __tablename__ = "notes"
    id = Column(Integer, primary_key=True)
    order_id = Column(Integer, ForeignKey("orders.id"))
    user_id = Column(Integer, ForeignKey("users.id"))
    text = Column(Text)


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
'''

PY_ACCOUNTS = '''import hashlib
import logging
import os

import jwt
from fastapi import APIRouter, Depends, Header, HTTPException, Request, UploadFile
from openai import OpenAI
from sqlalchemy.orm import Session

from .models import Note, Order, SessionLocal, User, get_db

log = logging.getLogger(__name__)
router = APIRouter()
client = OpenAI(timeout=20, max_retries=2)
SECRET = os.environ.get("JWT_SECRET", "")
conversation = [{"role": "system", "content": "You are Acme's order assistant."}]


def get_current_user(authorization: str = Header(...), db: Session = Depends(get_db)):
    claims = jwt.decode(authorization.removeprefix("Bearer "), options={"verify_signature": False})  # PLANT:auth.token_not_verified
    return db.get(User, int(claims["sub"]))


@router.post("/signup")
async def signup(request: Request, db: Session = Depends(get_db)):
    body = await request.json()
    log.info("new signup %s phone %s password %s", body["email"], body["phone"], body["password"])  # PLANT:observability.sensitive_data_logged
    digest = hashlib.sha256(body["password"].encode()).hexdigest()  # PLANT:auth.weak_password_storage
    db.add(User(email=body["email"], phone=body["phone"], password_hash=digest))
    db.commit()
    return {"ok": True}


@router.post("/login")
async def login(request: Request, db: Session = Depends(get_db)):
    body = await request.json()
    user = db.query(User).filter_by(email=body["email"]).first()
    if user is None:
        raise HTTPException(status_code=401)
    return {"token": jwt.encode({"sub": str(user.id), "plan": user.plan}, SECRET, algorithm="HS256")}  # PLANT:auth.token_without_expiry


@router.get("/orders/history")
def order_history(user_id: int, db: Session = Depends(get_db)):
    return db.query(Order).filter_by(user_id=user_id).limit(50).all()  # PLANT:architecture.identity_from_request


@router.delete("/orders/{order_id}")
def delete_order(order_id: int, user=Depends(get_current_user), db: Session = Depends(get_db)):
    order = db.get(Order, order_id)  # PLANT:architecture.lookup_without_ownership
    db.delete(order)
    db.commit()
    return {"deleted": order_id}


@router.post("/orders/{order_id}/notes")
async def add_note(order_id: int, request: Request, user=Depends(get_current_user)):
    body = await request.json()
    try:
        with SessionLocal() as session:
            session.add(Note(order_id=order_id, user_id=user.id, text=body["text"]))
            session.commit()
    except Exception:  # PLANT:errors.swallowed_exception
        pass
    return {"ok": True}


@router.post("/assistant")
async def assistant(request: Request, user=Depends(get_current_user)):
    body = await request.json()
    conversation.append({"role": "user", "content": body["message"]})  # PLANT:architecture.in_memory_state
    try:
        reply = client.chat.completions.create(model=os.environ["MODEL"], max_tokens=300, messages=conversation)
    except Exception as e:
        raise HTTPException(status_code=500, detail=str(e))  # PLANT:errors.exception_text_in_response
    conversation.append({"role": "assistant", "content": reply.choices[0].message.content})
    return {"answer": reply.choices[0].message.content}


@router.post("/complete")
async def complete(request: Request, user=Depends(get_current_user)):
    body = await request.json()
    reply = client.chat.completions.create(model=body["model"], max_tokens=300, messages=[{"role": "system", "content": body["system"]}, {"role": "user", "content": body["text"]}])  # PLANT:llm.client_chosen_prompt_or_model
    return {"answer": reply.choices[0].message.content}


@router.post("/documents")
async def upload_document(file: UploadFile, user=Depends(get_current_user)):  # PLANT:web.upload_without_limits
    data = await file.read()
    with open(os.path.join("uploads", file.filename), "wb") as out:
        out.write(data)
    return {"name": file.filename, "bytes": len(data)}

'''

PY_WEBHOOKS = '''from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from .models import User, get_db

router = APIRouter()


@router.post("/webhooks/stripe")
async def stripe_webhook(request: Request, db: Session = Depends(get_db)):  # PLANT:integration.webhook_unverified
    event = await request.json()
    if event["type"] == "checkout.session.completed":
        db.query(User).filter_by(email=event["data"]["object"]["customer_email"]).update({"plan": "pro"})
        db.commit()
    return {"received": True}
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
    _commit(root, {"app/__init__.py": "", "app/models.py": PY_MODELS, "app/accounts.py": PY_ACCOUNTS,
                   "app/webhooks.py": PY_WEBHOOKS,
                   "requirements.txt": "fastapi\nopenai\nanthropic\nrequests\nsqlalchemy\npyjwt\npython-multipart\n"},
            "accounts, orders and uploads", "2026-06-09T10:00:00+00:00")
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
TS_ACCOUNTS = '''import crypto from "crypto";
import cors from "cors";
import express from "express";
import jwt from "jsonwebtoken";
import multer from "multer";
import OpenAI from "openai";
import { PrismaClient } from "@prisma/client";

const app = express();
const prisma = new PrismaClient();
const openai = new OpenAI({ timeout: 20000, maxRetries: 2 });
const upload = multer({ dest: "uploads/" }); // PLANT:web.upload_without_limits
const sessions = new Map<string, { role: string; content: string }[]>();

app.use(cors({ origin: true, credentials: true })); // PLANT:web.cors_any_origin
app.use(express.json());

app.post("/api/signup", async (req, res) => {
  console.log("signup", req.body); // PLANT:observability.sensitive_data_logged
  const hash = crypto.createHash("sha256").update(req.body.password).digest("hex"); // PLANT:auth.weak_password_storage
  const user = await prisma.user.create({ data: { email: req.body.email, password: hash } });
  res.json({ token: jwt.sign({ sub: user.id, role: user.role }, process.env.JWT_SECRET!) }); // PLANT:auth.token_without_expiry
});

app.get("/api/me", async (req, res) => {
  const token = req.headers.authorization?.split(" ")[1] ?? "";
  const claims = jwt.decode(token) as { sub: string }; // PLANT:auth.token_not_verified
  res.json(await prisma.user.findUnique({ where: { id: claims.sub } }));
});

app.post("/api/orders/list", async (req, res) => {
  const userId = req.body.userId;
  const orders = await prisma.order.findMany({ where: { userId }, take: 50 }); // PLANT:architecture.identity_from_request
  res.json(orders);
});

app.post("/api/chat", async (req, res) => {
  const { sessionId, message } = req.body;
  const history = sessions.get(sessionId) ?? [];
  history.push({ role: "user", content: message });
  sessions.set(sessionId, history); // PLANT:architecture.in_memory_state
  try {
    const r = await openai.chat.completions.create({ model: process.env.MODEL ?? "", max_tokens: 300, messages: [{ role: "system", content: "You are Acme's order assistant." }, ...history.slice(-10)] });
    const reply = r.choices[0].message.content ?? "";
    history.push({ role: "assistant", content: reply });
    try {
      await prisma.message.create({ data: { sessionId, content: reply } });
    } catch (e) {} // PLANT:errors.swallowed_exception
    res.json({ reply });
  } catch (err: any) {
    res.status(500).json({ error: err.message }); // PLANT:errors.exception_text_in_response
  }
});

app.post("/api/files", upload.single("file"), (req, res) => {
  res.json({ name: req.file?.filename });
});

app.listen(4000);
'''
TS_ORDER_ROUTE = '''import { auth } from "@/lib/auth";
import { prisma } from "@/lib/prisma";

export async function DELETE(request: Request, { params }: { params: { id: string } }) {
  const session = await auth();
  if (!session?.user) {
    return new Response("Unauthorized", { status: 401 });
  }
  await prisma.order.delete({ where: { id: params.id } }); // PLANT:architecture.lookup_without_ownership
  return new Response(null, { status: 204 });
}
'''
TS_LIB_AUTH = '''import NextAuth from "next-auth";
import GitHub from "next-auth/providers/github";

export const { handlers, auth } = NextAuth({ providers: [GitHub] });
'''
TS_LIB_PRISMA = '''import { PrismaClient } from "@prisma/client";

export const prisma = new PrismaClient();
'''
TS_PRISMA_SCHEMA = '''datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
}

model User {
  id       String  @id @default(cuid())
  email    String  @unique
  password String
  role     String  @default("member")
  orders   Order[]
}

model Order {
  id     String @id @default(cuid())
  userId String
  user   User   @relation(fields: [userId], references: [id])
  total  Int
}

model Message {
  id        String @id @default(cuid())
  sessionId String
  content   String
}
'''
TS_WEBHOOK = '''import { NextResponse } from "next/server";
import { prisma } from "@/lib/prisma";

export async function POST(req: Request) { // PLANT:integration.webhook_unverified
  const event = await req.json();
  if (event.type === "checkout.session.completed") {
    await prisma.user.update({ where: { email: event.data.object.customer_email }, data: { role: "pro" } });
  }
  return NextResponse.json({ received: true });
}
'''
TS_ANSWER = '''"use client";
import { marked } from "marked";

export function Answer({ text }: { text: string }) {
  return <div className="answer" dangerouslySetInnerHTML={{ __html: marked.parse(text) as string }} />; // PLANT:web.unsafe_html_sink
}
'''
TS_WIDGET = '''import { marked } from "marked";

export async function ask(el: HTMLElement, question: string) {
  const res = await fetch("/api/chat", { method: "POST", body: JSON.stringify({ question }) });
  const { answer } = await res.json();
  el.innerHTML = marked.parse(answer) as string; // PLANT:web.unsafe_html_sink
}
'''
TS_CHATBOX = '''"use client";
import OpenAI from "openai";
import { useState } from "react";

const openai = new OpenAI({ apiKey: process.env.NEXT_PUBLIC_OPENAI_API_KEY, dangerouslyAllowBrowser: true }); // PLANT:secret.exposed_to_client

export default function ChatBox() {
  const [answer, setAnswer] = useState("");
  async function ask(q: string) {
    const r = await openai.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 200, messages: [{ role: "user", content: q }] });
    setAnswer(r.choices[0].message.content ?? "");
  }
  return <button onClick={() => ask("Where is my order?")}>{answer}</button>;
}
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
    _commit(root, {"server/accounts.ts": TS_ACCOUNTS, "app/api/orders/[id]/route.ts": TS_ORDER_ROUTE,
                   "app/api/webhooks/stripe/route.ts": TS_WEBHOOK, "lib/auth.ts": TS_LIB_AUTH,
                   "lib/prisma.ts": TS_LIB_PRISMA, "prisma/schema.prisma": TS_PRISMA_SCHEMA,
                   "components/Answer.tsx": TS_ANSWER, "components/ChatBox.tsx": TS_CHATBOX,
                   "public/widget.ts": TS_WIDGET, "tsconfig.json": '{"compilerOptions": {"paths": {"@/*": ["./*"]}}}\n',
                   "package.json": '{"dependencies": {"openai": "^4.0.0", "@anthropic-ai/sdk": "^0.30.0", '
                                   '"express": "^4.19.0", "next": "14.2.0", "pg": "^8.11.0", "cors": "^2.8.5", '
                                   '"multer": "^1.4.5", "jsonwebtoken": "^9.0.0", "@prisma/client": "^5.0.0", '
                                   '"next-auth": "^5.0.0-beta.20", "marked": "^12.0.0", "react": "18.3.1"}}\n'},
            "accounts, orders, uploads and the chat widget", "2026-06-04T10:00:00+00:00")
    planted = _planted_in_tree(root, {"secret": "secret"})
    planted.append(Planted(kind="secret", rule="secret.in_history", path=".env", line=1, commit=first))
    return Corpus(root, planted)


# ------------------------------------------------------------------------------------------------ control
CONTROL_APP = '''import logging

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from slowapi import Limiter
from slowapi.util import get_remote_address

from . import llm, orders, repo
from .auth import get_current_user

log = logging.getLogger(__name__)
app = FastAPI()
limiter = Limiter(key_func=get_remote_address)
app.add_middleware(CORSMiddleware, allow_origins=["https://app.acme.example", "https://admin.acme.example"],
                   allow_credentials=True, allow_methods=["GET", "POST", "DELETE"], allow_headers=["Authorization"])
app.include_router(orders.router)


@app.exception_handler(Exception)
async def unhandled(request: Request, exc: Exception):
    log.exception("unhandled error on %s", request.url.path)
    return JSONResponse(status_code=500, content={"error": "Something went wrong. Please try again."})


class Question(BaseModel):
    question: str


@app.get("/health")
def health():
    return {"status": "ok"}


@app.post("/chat")
@limiter.limit("10/minute")
def chat(request: Request, q: Question, user=Depends(get_current_user)):
    return {"answer": llm.answer(q.question)}


@app.get("/orders")
def orders_list(user=Depends(get_current_user)):
    return repo.orders_for(user.id)
'''
CONTROL_ORDERS = '''from fastapi import APIRouter, Depends, HTTPException

from . import repo
from .auth import get_current_user
from .models import get_db

# every route of this router requires a signed-in user (the dependency runs before each handler)
router = APIRouter(prefix="/api/orders", dependencies=[Depends(get_current_user)])


@router.get("/statuses")
def statuses(db=Depends(get_db)):
    return repo.order_statuses(db)


@router.get("/{order_id}")
def get_order(order_id: int, user=Depends(get_current_user), db=Depends(get_db)):
    order = repo.get_order(db, order_id)
    if order is None or order.user_id != user.id:
        raise HTTPException(status_code=404)
    return {"id": order.id, "total": order.total}


@router.delete("/{order_id}")
def cancel_order(order_id: int, user=Depends(get_current_user), db=Depends(get_db)):
    order = repo.get_order(db, order_id)
    if order is None or order.user_id != user.id:
        raise HTTPException(status_code=403)
    if not repo.cancel_order(db, order_id, user.id):
        raise HTTPException(status_code=500, detail="The order could not be cancelled. Please try again.")
    return {"cancelled": order_id}
'''
CONTROL_MODELS = '''import os

from sqlalchemy import Column, ForeignKey, Integer, String, create_engine
from sqlalchemy.orm import declarative_base, sessionmaker

engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True, connect_args={"connect_timeout": 5})
SessionLocal = sessionmaker(bind=engine)
Base = declarative_base()


class Order(Base):
    __tablename__ = "orders"
    id = Column(Integer, primary_key=True)
    user_id = Column(Integer, ForeignKey("users.id"), nullable=False, index=True)
    total = Column(Integer, nullable=False)
    status = Column(String, nullable=False, default="open")


def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
'''
CONTROL_WEB_SERVER = '''import cors from "cors";
import express from "express";
import pino from "pino";
import { requireAuth } from "./auth";
import { findOrder, listStatuses } from "./orders";

const app = express();
const log = pino();
const ALLOWED_ORIGINS = ["https://app.acme.example", "https://admin.acme.example"];

app.use(cors({ origin: ALLOWED_ORIGINS, credentials: true }));
app.use(express.json({ limit: "100kb" }));

app.get("/health", (_req, res) => {
  res.json({ status: "ok" });
});

app.use(requireAuth);

app.get("/api/statuses", async (_req, res) => {
  res.json(await listStatuses());
});

app.get("/api/orders/:id", async (req, res) => {
  try {
    const order = await findOrder(req.params.id);
    if (!order || order.user_id !== req.user.id) {
      return res.status(404).json({ error: "Not found" });
    }
    res.json({ id: order.id, total: order.total });
  } catch (err) {
    log.error({ err }, "loading an order failed");
    res.status(500).json({ error: "Something went wrong. Please try again." });
  }
});

app.listen(Number(process.env.PORT ?? 4000));
'''
CONTROL_WEB_ORDERS = '''import { Pool } from "pg";

const pool = new Pool({ connectionString: process.env.DATABASE_URL, statement_timeout: 5000, connectionTimeoutMillis: 5000 });

export async function findOrder(id: string) {
  const { rows } = await pool.query("SELECT id, user_id, total FROM orders WHERE id = $1", [id]);
  return rows[0] as { id: number; user_id: number; total: number } | undefined;
}

export async function listStatuses() {
  const { rows } = await pool.query("SELECT DISTINCT status FROM order_statuses ORDER BY 1");
  return rows.map((r) => r.status as string);
}
'''
CONTROL_WEB_BOUNDARY = '''import { Component, type ReactNode } from "react";

export class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError() {
    return { failed: true };
  }

  render() {
    return this.state.failed ? <p>Something went wrong.</p> : this.props.children;
  }
}
'''
CONTROL_MIGRATION = '''"""orders"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade():
    op.create_table("orders", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
                    sa.Column("total", sa.Integer, nullable=False),
                    sa.Column("status", sa.String, nullable=False, server_default="open"))


def downgrade():
    op.drop_table("orders")
'''
CONTROL_WEB_AUTH = '''import type { NextFunction, Request, Response } from "express";
import jwt from "jsonwebtoken";

declare module "express-serve-static-core" {
  interface Request {
    user: { id: number };
  }
}

export function issueToken(userId: number): string {
  return jwt.sign({ sub: String(userId) }, process.env.JWT_SECRET!, { algorithm: "HS256", expiresIn: "15m" });
}

export function requireAuth(req: Request, res: Response, next: NextFunction) {
  const token = req.headers.authorization?.replace(/^Bearer /, "") ?? "";
  try {
    const claims = jwt.verify(token, process.env.JWT_SECRET!, { algorithms: ["HS256"] }) as { sub: string };
    req.user = { id: Number(claims.sub) };
    next();
  } catch {
    res.status(401).json({ error: "Sign in again." });
  }
}
'''
CONTROL_WEB_ANSWER = '''import DOMPurify from "dompurify";
import { marked } from "marked";

export function Answer({ text }: { text: string }) {
  const html = DOMPurify.sanitize(marked.parse(text) as string);
  return <div className="answer" dangerouslySetInnerHTML={{ __html: html }} />;
}
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
CONTROL_REPO = '''import logging
import os
import sqlite3

from sqlalchemy import text

from .models import Order

log = logging.getLogger(__name__)
db = sqlite3.connect(os.environ.get("DB_PATH", "app.db"))


def orders_for(customer_id):
    rows = db.execute("SELECT id, total FROM orders WHERE customer = ?", (customer_id,)).fetchall()
    return [{"id": r[0], "total": r[1]} for r in rows]


def order_statuses(session):
    return [r[0] for r in session.execute(text("SELECT DISTINCT status FROM order_statuses ORDER BY 1"))]


def get_order(session, order_id):
    return session.get(Order, order_id)


def cancel_order(session, order_id, user_id):
    try:
        session.execute(text("UPDATE orders SET status = 'cancelled' WHERE id = :id AND user_id = :uid"),
                        {"id": order_id, "uid": user_id})
        session.commit()
        return True
    except Exception:
        log.exception("cancelling order %s failed", order_id)
        session.rollback()
        return False
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
    "app/orders.py": CONTROL_ORDERS,
    "app/models.py": CONTROL_MODELS,
    "web/server.ts": CONTROL_WEB_SERVER,
    "web/auth.ts": CONTROL_WEB_AUTH,
    "web/orders.ts": CONTROL_WEB_ORDERS,
    "web/src/ErrorBoundary.tsx": CONTROL_WEB_BOUNDARY,
    "alembic/versions/0001_orders.py": CONTROL_MIGRATION,
    "alembic.ini": "[alembic]\nscript_location = alembic\n",
    "web/src/Answer.tsx": CONTROL_WEB_ANSWER,
    "web/package.json": '{"private": true, "dependencies": {"cors": "2.8.5", "dompurify": "3.1.6", "express": "4.19.2", '
                        '"jsonwebtoken": "9.0.2", "marked": "12.0.2", "pg": "8.12.0", "pino": "9.3.2", "react": "18.3.1"}}\n',
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


# Each decoy of the control with its guard taken away: (file, guarded text, unguarded text, the rule that must
# then fire in that file). The decoys stay silent because of the guard, not because no rule looks there.
CONTROL_UNGUARDED = [
    ("app/orders.py", "    if order is None or order.user_id != user.id:\n        raise HTTPException(status_code=404)\n", "",
     "architecture.lookup_without_ownership"),
    ("app/orders.py", 'APIRouter(prefix="/api/orders", dependencies=[Depends(get_current_user)])',
     'APIRouter(prefix="/api/orders")', "architecture.endpoint_without_auth"),
    ("app/main.py", 'allow_origins=["https://app.acme.example", "https://admin.acme.example"]', 'allow_origins=["*"]',
     "web.cors_any_origin"),
    ("app/repo.py", 'text("UPDATE orders SET status = \'cancelled\' WHERE id = :id AND user_id = :uid"),\n'
                    '                        {"id": order_id, "uid": user_id})',
     'f"UPDATE orders SET status = \'cancelled\' WHERE id = {order_id} AND user_id = {user_id}")',
     "architecture.sql_string_building"),
    ("web/server.ts", "app.use(requireAuth);\n", "", "architecture.endpoint_without_auth"),
    ("web/server.ts", "cors({ origin: ALLOWED_ORIGINS, credentials: true })", "cors({ origin: true, credentials: true })",
     "web.cors_any_origin"),
    ("web/server.ts", 'res.status(500).json({ error: "Something went wrong. Please try again." });',
     "res.status(500).json({ error: (err as Error).message });", "errors.exception_text_in_response"),
    ("web/orders.ts", '"SELECT id, user_id, total FROM orders WHERE id = $1", [id]',
     "`SELECT id, user_id, total FROM orders WHERE id = ${id}`", "architecture.sql_string_building"),
    ("web/src/Answer.tsx", "DOMPurify.sanitize(marked.parse(text) as string)", "marked.parse(text) as string",
     "web.unsafe_html_sink"),
    ("web/auth.ts", ', expiresIn: "15m"', "", "auth.token_without_expiry"),
]


def build_control(root: Path, unguarded: bool = False) -> Corpus:
    """A well-built app with decoys only: no critical or high finding may appear. ``unguarded``: the same
    app with every guard of CONTROL_UNGUARDED removed, each removal planted (kind ``unguarded``, any line of
    its file)."""
    root.mkdir(parents=True)
    _git(root, "init", "-q")
    files = {"app/main.py": CONTROL_APP, **CONTROL_FILES}
    planted = []
    if unguarded:
        for path, guarded, bare, rule in CONTROL_UNGUARDED:
            assert guarded in files[path], (path, guarded)
            files[path] = files[path].replace(guarded, bare)
            planted.append(Planted(kind="unguarded", rule=rule, path=path))
    _commit(root, files, "service", "2026-11-01T10:00:00+00:00")
    return Corpus(root, planted)


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
    """Planted defects found and missed, by kind (secret / web / llm / other / unguarded)."""
    out: dict[str, dict[str, list[Planted]]] = {}
    for p in corpus.planted:
        kind = p.kind if p.kind != "llm" or p.rule.startswith("llm.") else "other"
        bucket = out.setdefault(kind, {"found": [], "missed": []})
        bucket["found" if any(matches(p, f) for f in result.findings) else "missed"].append(p)
    return out


def severe(result) -> list:
    """Critical and high findings (the control must have none)."""
    return [f for f in result.findings if f.severity in ("critical", "high")]


DECOY_RULES = WEB_RULES | {"architecture.endpoint_without_auth", "architecture.sql_string_building"}
"""Rules the control's decoys imitate (auth in middleware, ownership checked after the lookup, parameterised
queries, a CORS allow-list, a /health route, sanitised HTML, errors logged then a generic message): none may
fire on the control."""


def decoy_hits(result) -> list:
    """Findings of DECOY_RULES (the control must have none)."""
    return [f for f in result.findings if f.rule in DECOY_RULES]
