"""The bundled sample target: a small "vibe-coded" support bot, built as a real git repository.

It carries the defects an audit should find: a Flask app calling the OpenAI SDK with inline prompts
and request data pasted into them, SQL built with f-strings in the same file, the web-app defects of
issue 11 (a delete route anyone may call for any ticket, one module-level conversation shared by every
caller, the exception's text returned to the client, CORS open to every origin with credentials), no
tests, no CI, an Anthropic key committed in one commit and removed in a later one, an OpenAI key still
in the tree, and two pinned dependencies with published advisories (the OSV records ship in
auditlib/data/demo-advisories, from the PyPA advisory database, CC-BY 4.0).

The keys are fake: random-looking strings of the providers' shapes, assembled here from pieces so
that no key-shaped literal sits in auditlib's own source.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from .resources import data_dir

DATA = data_dir()
DEMO_ADVISORIES = DATA / "demo-advisories"
DEMO_ANSWERS = DATA / "demo-answers.yaml"

AUTHOR = ("Riley Vibe", "riley@prototype.example")
# Fake keys of the providers' shapes (never valid credentials).
FAKE_OPENAI_KEY = "sk-" + "proj-" + "Q7fZ2kLm9XvB4nRt8WcY1pHd" + "T3Blbk" + "FJ" + "6JsE3uGa0TqN5oKi2MbV7xCz"
FAKE_ANTHROPIC_KEY = ("sk-" + "ant-api03-" + "KzW4so5FjGRYdUsKaaDktwcxO7Wc6tE53DfHqE2liR4GmnIo"
                      + "Vb8rT2xQ9mLw4ZcN7pHs1FdJ6kYuE3aGo5X" + "-yeQBpkGLIAA")  # the documented shape: 93 + AA

_APP_V1 = '''import sqlite3

from flask import Flask, jsonify, request
from openai import OpenAI

from config import ANTHROPIC_API_KEY  # noqa: F401  (tried Claude first)

app = Flask(__name__)
client = OpenAI(api_key="{openai_key}")
db = sqlite3.connect("support.db", check_same_thread=False)


@app.route("/ask", methods=["POST"])
def ask():
    question = request.json["question"]
    prompt = f"You are a friendly support agent for Acme. Answer the customer: {{question}}"
    print("PROMPT", prompt)
    resp = client.chat.completions.create(
        model="gpt-4o",
        messages=[{{"role": "user", "content": prompt}}],
    )
    return jsonify({{"answer": resp.choices[0].message.content}})
'''

_APP_V2 = '''import sqlite3

from flask import Flask, jsonify, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI(api_key="{openai_key}")
db = sqlite3.connect("support.db", check_same_thread=False)


@app.route("/ask", methods=["POST"])
def ask():
    question = request.json["question"]
    customer_id = request.json.get("customer_id", "")
    rows = db.execute(f"SELECT plan, notes FROM customers WHERE id = '{{customer_id}}'").fetchall()
    prompt = (
        "You are a friendly support agent for Acme. Be concise.\\n"
        f"Customer record: {{rows}}\\n"
        f"Customer question: {{question}}"
    )
    print("PROMPT", prompt)
    resp = client.chat.completions.create(
        model="gpt-4o",
        messages=[{{"role": "user", "content": prompt}}],
    )
    answer = resp.choices[0].message.content
    db.execute(f"INSERT INTO conversations (customer_id, question, answer) VALUES ('{{customer_id}}', '{{question}}', '{{answer}}')")
    db.commit()
    return jsonify({{"answer": answer}})


@app.route("/summarize", methods=["POST"])
def summarize():
    ticket = request.json["ticket"]
    resp = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[
            {{"role": "system", "content": "Summarise support tickets in three bullet points."}},
            {{"role": "user", "content": "Ticket: " + ticket}},
        ],
    )
    print(resp)
    return jsonify({{"summary": resp.choices[0].message.content}})


@app.route("/tickets/<customer_id>")
def tickets(customer_id):
    rows = db.execute("SELECT id, subject, status FROM tickets WHERE customer_id = '%s'" % customer_id).fetchall()
    return jsonify([dict(id=r[0], subject=r[1], status=r[2]) for r in rows])


@app.route("/tickets/<ticket_id>", methods=["DELETE"])
def delete_ticket(ticket_id):
    db.execute("DELETE FROM tickets WHERE id = ?", (ticket_id,))
    db.commit()
    return "", 204


conversation = [{{"role": "system", "content": "You are Acme's support agent."}}]


@app.route("/chat", methods=["POST"])
def chat():
    conversation.append({{"role": "user", "content": request.json["message"]}})
    try:
        resp = client.chat.completions.create(model="gpt-4o", messages=conversation)
    except Exception as e:
        return jsonify({{"error": str(e)}}), 500
    conversation.append({{"role": "assistant", "content": resp.choices[0].message.content}})
    return jsonify({{"answer": resp.choices[0].message.content}})


@app.after_request
def allow_any_origin(response):
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Allow-Credentials"] = "true"
    return response


if __name__ == "__main__":
    app.run(debug=True, host="0.0.0.0")
'''  # noqa: E501 (the demo prototype's source, as a prototype writes it)

_PRICING = '''def plan_price(plan, seats, annual, coupon, region, vip):
    """Price quoted to the customer by the bot."""
    price = 0
    if plan == "free":
        price = 0
    elif plan == "starter":
        price = 19 * seats
    elif plan == "team":
        price = 49 * seats if seats < 50 else 45 * seats
    elif plan == "enterprise":
        price = 99 * seats
    if annual:
        price = price * 10
    if coupon == "LAUNCH50":
        price = price / 2
    elif coupon == "FRIENDS":
        price = price * 0.8
    if region == "EU":
        price = price * 1.2
    elif region == "UK" and not vip:
        price = price * 1.2
    if vip and seats > 100:
        price = price * 0.9
    return round(price, 2)
'''

_REQUIREMENTS = "flask==2.2.2\nrequests==2.25.0\nopenai\ngunicorn\n"
_README = "# Acme support bot\n\nAsk questions about your account.\n\n    pip install -r requirements.txt\n    python app.py\n"
_CONFIG_V1 = 'ANTHROPIC_API_KEY = "{anthropic_key}"\n'
_CONFIG_V3 = 'import os\n\nANTHROPIC_API_KEY = os.environ.get("ANTHROPIC_API_KEY", "")\n'

COMMITS = [
    ("2026-03-02T10:14:00+00:00", "first version of the support bot", {
        "app.py": _APP_V1, "config.py": _CONFIG_V1, "requirements.txt": _REQUIREMENTS, "README.md": _README}),
    ("2026-03-03T16:40:00+00:00", "look up the customer before answering, add summaries", {"app.py": _APP_V2}),
    ("2026-03-05T09:05:00+00:00", "move the anthropic key out of the code", {"config.py": _CONFIG_V3}),
    ("2026-03-09T18:22:00+00:00", "quote prices in the bot", {"pricing.py": _PRICING}),
]


def _git(repo: Path, *args: str, date: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": AUTHOR[0], "GIT_AUTHOR_EMAIL": AUTHOR[1],
           "GIT_COMMITTER_NAME": AUTHOR[0], "GIT_COMMITTER_EMAIL": AUTHOR[1]}
    if date:
        env.update(GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
    subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args], cwd=repo,
                   env=env, check=True, capture_output=True)


def build_demo_target(dest: Path) -> Path:
    """Create (or re-create) the sample prototype repository at ``dest`` and return its path."""
    dest = Path(dest)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    _git(dest, "init", "--quiet")
    keys = {"openai_key": FAKE_OPENAI_KEY, "anthropic_key": FAKE_ANTHROPIC_KEY}
    for date, message, files in COMMITS:
        for name, text in files.items():
            (dest / name).write_text(text.format(**keys) if "{" in text and name != "pricing.py" else text,
                                     encoding="utf-8")
        _git(dest, "add", "-A")
        _git(dest, "commit", "--quiet", "-m", message, date=date)
    return dest
