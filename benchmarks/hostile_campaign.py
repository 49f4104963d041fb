"""Hostile-input campaign: the figures of the README's reliability section.

    .venv/bin/python benchmarks/hostile_campaign.py [--json campaign.json] [--only SUBSTRING] [--keep]
                                                    [--timeout 300] [--kills 50] [--list] [--build-only]
                                                    [--auditlib PATH]

Not a unit test: an on-demand campaign (about 5 minutes on 2 cores when nothing hangs; each hang
costs --timeout). It builds, in a temp
folder, crafted hostile git repositories (one small builder function each, listed in REPOS) and bad
command-line inputs (CLI), runs the installed ``auditlib`` (``.venv/bin/auditlib``) on each with a
per-run timeout, and classifies every run:

- crash: exit status not in {0, 1, 2}, a "Traceback" on standard error, or exit 1 ("the run failed":
  a notebook, the export or a write) on an input that should work (a sound target, writable outputs);
  exit 1 or 2 on a bad input is not a crash (an exit status other than the expected one is noted);
- hang: the run outlived ``--timeout`` (its whole process group is then killed);
- leak: the full value of a secret the campaign planted (all generated at random at run time) is in
  standard output or error, or in any file under the run's output folder (results.json,
  findings.sarif, the notebooks, report.html, and report.pdf's text through ``pdftotext``); for URL
  targets, the URL's credentials in the clone cache too;
- exec: a marker file appeared: every hostile program the inputs carry (git hooks, fsmonitor,
  filter drivers, pagers, setup.py, shadowing Python modules, option injection...) writes one when
  it runs;
- other: a defect that is none of those, checked per input: a device replaced by a regular file,
  outputs readable by others, a clone cache blown up by a bomb, a damaged repository reported as
  sound, a report that loads remote resources or carries raw HTML from the target...

and a kill test ("answers lost"): a process calls ``auditlib.answers.update_answers`` in a loop and
is SIGKILLed ``--kills`` times at random moments; after each kill the answers file must load and
hold every answer saved before.

Prints a table (input, exit status, seconds, verdict, note) and the summary line
``inputs tried N, crashes C, hangs H, secrets leaked S, code executed X, answers lost L``
(crashes, hangs and code executed count runs; secrets leaked counts distinct planted values; answers
lost counts kills after which an answer was missing or the file did not load), then a line for the
other failures. ``--json FILE`` writes the same as JSON. Exit status 1 when anything failed (or an
input could not be built), else 0.

Standard library only (plus the venv's auditlib for the kill test, run in child processes).
``--auditlib PATH`` tries another executable, e.g. a wrapper around an older checkout: run on the
code before issue 7's fixes, the campaign reports the leaks, executions, crashes, hang and other
defects that issue lists, which is how its checks were validated.
As root, device inputs use a private character device (mknod 1:3, a /dev/null twin) in the temp
folder rather than /dev/null itself, so a regression can never replace a node of the real /dev.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import http.server
import json
import os
import random
import re
import shutil
import signal
import stat
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.gitrepo import basic_auth_git_server  # noqa: E402 - the tests' loopback git server, shared

VENV_BIN = ROOT / ".venv" / "bin"
AUDITLIB = VENV_BIN / "auditlib"
PYTHON = VENV_BIN / "python"

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
MB = 1_000_000
BOMB_BLOB_BYTES = 200 * 1024 * 1024
CACHE_LIMIT = 100 * MB
"""A clone cache over this size after the zip-bomb-like target is a failure (the blob is 200 MB x 10 paths)."""
RESULTS_LIMIT = 10 * MB
"""A results.json over this size for the lockfile inputs is a failure (unbounded amplification)."""
XSS = "<script>alert(1)</script>"
IMG_XSS = "<img src=x onerror=alert(1)>"
MATHTEXT = "$\\foo$"


# ===================================================================================== the lab
class Lab:
    """The temp folder, the planted secrets, the marker folder and the git helpers the builders use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.markers = root / "markers"
        self.bin = root / "bin"
        self.markers.mkdir()
        self.bin.mkdir()
        self.rng = random.SystemRandom()
        self.secrets: dict[str, str] = {}
        """Every planted value -> a label (kind and input); never printed in full."""
        self.credentials: set[str] = set()
        """The planted values that are URL credentials (also searched for in the clone cache)."""
        self.case = ""
        self.clock = int(time.time()) - 40 * 86400
        self._regex: tuple[int, re.Pattern[bytes] | None] = (0, None)
        self._small: Path | None = None
        self._servers: list[http.server.ThreadingHTTPServer] = []
        mark = self.bin / "mark"
        mark.write_text('#!/bin/sh\n# A hostile program ran: leave a trace for the campaign.\n'
                        f'printf "%s\\n" "$*" > "{self.markers}/$(printf %s "$1" | tr -c "A-Za-z0-9_.-" _)-$$"\n')
        mark.chmod(0o755)
        self.mark = mark

    # ------------------------------------------------------------------------ secrets
    def random(self, n: int, alphabet: str = ALNUM) -> str:
        while True:
            value = "".join(self.rng.choice(alphabet) for _ in range(n))
            if alphabet != ALNUM or (any(c.isupper() for c in value) and any(c.islower() for c in value)
                                     and any(c.isdigit() for c in value)):
                return value

    def secret(self, kind: str) -> str:
        """A fresh random secret of ``kind``, recorded as planted by the current input."""
        value = {
            "openai": lambda: "sk-proj-" + self.random(48),
            "stripe": lambda: "sk_live_" + self.random(24),
            "aws": lambda: "AKIA" + self.random(16, UPPER_DIGITS),
            "aws_secret": lambda: self.random(40, ALNUM + "/+"),
            "github": lambda: "ghp_" + self.random(36),
            "anthropic": lambda: "sk-ant-api03-" + self.random(80),
            "google": lambda: "AIza" + self.random(35),
            "slack": lambda: "xoxb-" + self.random(12, string.digits) + "-" + self.random(24),
            "password": lambda: self.random(24),
            "token": lambda: self.random(32),
        }[kind]()
        self.secrets[value] = f"{kind} of {self.case}"
        return value

    def credential(self) -> str:
        value = self.secret("token")
        self.credentials.add(value)
        return value

    def find_secrets(self, data: bytes, only: set[str] | None = None) -> set[str]:
        """The planted values present in ``data`` (all of them, or those of ``only``)."""
        if only is not None:
            return {s for s in only if s.encode() in data}
        n, rx = self._regex
        if n != len(self.secrets):
            alts = sorted(self.secrets, key=len, reverse=True)
            rx = re.compile(b"|".join(re.escape(s.encode()) for s in alts)) if alts else None
            self._regex = (len(self.secrets), rx)
        return {m.group().decode() for m in rx.finditer(data)} if rx else set()

    # ------------------------------------------------------------------------ markers
    def mark_cmd(self, label: str) -> str:
        """The path of an executable (no arguments needed) that leaves marker ``label`` when run."""
        path = self.bin / f"mark-{label}"
        path.write_text(f"#!/bin/sh\nexec {self.mark} {label} \"$@\"\n")
        path.chmod(0o755)
        return str(path)

    def mark_py(self, label: str) -> str:
        """Python source that leaves marker ``label`` when imported or run."""
        return f"open({str(self.markers / label)!r}, 'w').write('ran')  # hostile: runs on import\n"

    def take_markers(self) -> list[str]:
        found = sorted(p.name for p in self.markers.iterdir())
        for name in found:
            (self.markers / name).unlink()
        return found

    # ------------------------------------------------------------------------ git
    def git_env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
               "GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
               "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com"}
        env.update(extra)
        return env

    def git(self, repo: Path, *args: str, input: bytes | None = None, env: dict | None = None) -> str:
        proc = subprocess.run(["git", "-C", str(repo), *args], input=input, capture_output=True, check=False,
                              env=env or self.git_env())
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)[:80]}: {proc.stderr.decode(errors='replace').strip()[:300]}")
        return proc.stdout.decode("utf-8", "surrogateescape").strip()

    def init(self, repo: Path, bare: bool = False) -> Path:
        repo.mkdir(parents=True, exist_ok=True)
        self.git(repo, "init", "-q", "-b", "main", *(["--bare"] if bare else []))
        return repo

    def tick(self) -> int:
        self.clock += 3600
        return self.clock

    def commit(self, repo: Path, files: dict | None = None, message: str = "change", *,
               delete: tuple = (), author: tuple[str, str] = ("Ada Lovelace", "ada@example.com"),
               stage: bool = True) -> str:
        """Write ``files`` (path -> str or bytes; a path may be bytes), delete ``delete``, commit all
        (only what is already staged with ``stage=False``)."""
        for rel, content in (files or {}).items():
            write(repo, rel, content)
        for rel in delete:
            os.remove(os.path.join(os.fsencode(repo), os.fsencode(rel)))
        date = f"@{self.tick()} +0000"
        env = self.git_env(GIT_AUTHOR_NAME=author[0], GIT_AUTHOR_EMAIL=author[1], GIT_AUTHOR_DATE=date,
                           GIT_COMMITTER_DATE=date)
        if stage:
            self.git(repo, "add", "-A", env=env)
        self.git(repo, "-c", "commit.gpgsign=false", "commit", "-q", "--no-verify", "--allow-empty",
                 "-m", message, env=env)
        return self.git(repo, "rev-parse", "HEAD")

    def new_repo(self, repo: Path, files: dict, message: str = "initial commit") -> Path:
        self.init(repo)
        self.commit(repo, files, message)
        return repo

    def raw_commit(self, repo: Path, tree: str, parents: list[str], author: bytes, message: bytes = b"change",
                   committer: bytes | None = None, headers: bytes = b"") -> str:
        """A commit object written as given (``--literally``: no validation of names or dates)."""
        committer = committer or f"Ada Lovelace <ada@example.com> {self.tick()} +0000".encode()
        body = (f"tree {tree}\n".encode() + b"".join(f"parent {p}\n".encode() for p in parents)
                + b"author " + author + b"\ncommitter " + committer + b"\n" + headers + b"\n" + message + b"\n")
        return self.git(repo, "hash-object", "-t", "commit", "--literally", "-w", "--stdin", input=body)

    def config(self, repo: Path, text: str, gitdir: Path | None = None) -> None:
        """Append hostile configuration (always after the builder's last git command)."""
        with open((gitdir or repo / ".git") / "config", "a") as fh:
            fh.write(text)

    def loose_object(self, repo: Path, sha: str) -> Path:
        return repo / ".git" / "objects" / sha[:2] / sha[2:]

    # ------------------------------------------------------------------------ shared inputs
    def small_target(self) -> Path:
        """A small sound repository for the command-line inputs (a key, a pinned dependency)."""
        if self._small is None:
            self._small = self.root / "small-target"
            key = self.secret("openai")
            self.new_repo(self._small, {"app.py": APP_PY + f'\nFALLBACK_KEY = "{key}"\n',
                                        "requirements.txt": "flask==2.2.2\nrequests==2.25.0\n"})
        return self._small

    def http_server(self, folder: Path, user: str, password: str) -> int:
        """A dumb-HTTP git server on loopback that asks for basic auth ``user:password``; its port."""
        server = basic_auth_git_server(folder, user, password)
        self._servers.append(server)
        return server.server_address[1]

    def close(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


def write(root: Path, rel: str | bytes, content: str | bytes, encoding: str = "utf-8") -> None:
    """Write ``root/rel``; ``rel`` may be bytes (names that are not UTF-8)."""
    path = os.path.join(os.fsencode(root), rel if isinstance(rel, bytes) else rel.encode("utf-8", "surrogateescape"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(content if isinstance(content, bytes) else content.encode(encoding))


def char_device(path: Path) -> Path:
    """A character device to point outputs at: a private /dev/null twin as root, else /dev/null."""
    if os.geteuid() != 0:
        return Path("/dev/null")
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return path


APP_PY = '''import os

from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI(api_key=os.environ["OPENAI_API_KEY"])


@app.post("/ask")
def ask():
    q = request.json["q"]
    r = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"Answer: {q}"}])
    if not r.choices:
        return {"answer": None}
    return {"answer": r.choices[0].message.content}
'''


def branchy(name: str, n: int = 8) -> str:
    """A function with ``n`` branches (complexity and hotspot charts need some)."""
    arms = "".join(f"    {'if' if i == 0 else 'elif'} x == {i}:\n        return {i}\n" for i in range(n))
    return f"def {name}(x):\n{arms}    return -1\n"


def yaml_bomb(levels: int = 9) -> str:
    """Billion laughs: 9 levels of 9 aliases expand to 9**9 strings."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def deep_json(depth: int = 100_000) -> str:
    return "[" * depth + "]" * depth


# ================================================================================ the cases
@dataclass
class Target:
    """What a repository builder hands back: how to point auditlib at what it built."""

    target: str | None = None
    """The TARGET argument (default: the repository's path)."""
    cwd: Path | None = None
    url: bool = False
    """A URL target: run without --offline (and with an empty --vuln-db, so no lookup goes online)."""
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    expect: tuple[int, ...] = (0,)
    """Exit statuses a correct auditlib gives (another one is noted, not a failure by itself)."""
    check: Callable[[Outcome], list[str]] | None = None


@dataclass
class Run:
    """One auditlib invocation."""

    args: list[str]
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    expect: tuple[int, ...] = (0,)
    check: Callable[[Outcome], list[str]] | None = None
    out: Path | None = None
    """The folder of outputs searched for leaked secrets (and checked for owner-only modes)."""
    url: bool = False


@dataclass
class Case:
    name: str
    kind: str
    """"repo" (builder(lab, repo) -> Target | None) or "cli" (builder(lab, work) -> Run)."""
    build: Callable
    mode: str = "scan"
    """Repository inputs: scan (--offline), audit (--no-pdf) or audit-pdf."""


@dataclass
class Outcome:
    name: str
    kind: str
    mode: str
    args: list[str]
    rc: int | None = None
    seconds: float = 0.0
    timed_out: bool = False
    stdout: bytes = b""
    stderr: bytes = b""
    out: Path | None = None
    work: Path | None = None
    cache: Path | None = None
    cache_bytes: int | None = None
    problems: dict[str, list[str]] = field(default_factory=dict)
    leaked: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    lost: int = 0
    """(kill test) kills after which an answer was missing or the file did not load."""

    def add(self, cls: str, message: str) -> None:
        self.problems.setdefault(cls, []).append(message)

    def results(self) -> dict | None:
        """The run's results.json, parsed (None when there is none)."""
        path = self.out / "results.json" if self.out else None
        if path is not None and path.is_file():
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                return None
        try:
            return json.loads(self.stdout) if self.stdout.startswith(b"{") else None
        except ValueError:
            return None

    @property
    def verdict(self) -> str:
        return ", ".join(self.problems) if self.problems else "OK"


# ---------------------------------------------------------------------------- per-input checks
def facts(o: Outcome, part: str) -> dict | None:
    r = o.results()
    return (r or {}).get("facts", {}).get(part)


def check_files_listed(o: Outcome) -> list[str]:
    """HEAD has files: the audit must see them, or say why it saw nothing (issue 7, defect 8)."""
    inv = facts(o, "inventory")
    if inv is None:
        return []
    if inv.get("files", 0) == 0 and not inv.get("limits") and not inv.get("reason"):
        return ["empty audit: 0 files and no note, although HEAD has files"]
    return []


def check_history_kept(o: Outcome) -> list[str]:
    """One bad commit must not disable the history collector (defect 9)."""
    hist = facts(o, "history")
    if hist is not None and not hist.get("available", True):
        return [f"history collector disabled: {hist.get('reason')}"]
    return []


def check_said_broken(o: Outcome) -> list[str]:
    """A broken repository must be reported as broken, not as 'no commits' (defect 13)."""
    hist = facts(o, "history")
    if hist is None:
        err = o.stderr.decode(errors="replace").lower()
        return ["refused as having no commits, not as broken"] if o.rc == 2 and "no commits" in err else []
    reason = (hist.get("reason") or "") + " ".join(hist.get("limits") or [])
    if not hist.get("damaged") and (hist.get("available", True) is False or "no commits" in reason.lower()
                                    or hist.get("commits", 0) == 0):
        return [f"broken repository reported as: {hist.get('reason') or 'no commits'}"]
    return []


def check_results_bounded(o: Outcome) -> list[str]:
    """Lockfiles must not be amplified into the results (defect 6)."""
    path = (o.out / "results.json") if o.out else None
    if path and path.exists() and path.stat().st_size > RESULTS_LIMIT:
        return [f"results.json is {path.stat().st_size / MB:.0f} MB"]
    return []


def check_cache_bounded(o: Outcome) -> list[str]:
    """The clone of a 0.2 MB repository must not fill the disk (defect 7)."""
    if o.cache_bytes is not None and o.cache_bytes > CACHE_LIMIT:
        return [f"clone cache grew to {o.cache_bytes / MB:.0f} MB (apparent size)"]
    return []


# ======================================================================== repository builders
# ----- secrets
def two_keys_one_line(lab: Lab, repo: Path) -> None:
    a, b = lab.secret("openai"), lab.secret("stripe")
    c, d, e = lab.secret("aws"), lab.secret("github"), lab.secret("anthropic")
    lab.new_repo(repo, {"app/config.py": f'C = {{"a": "{a}", "b": "{b}"}}\nD = ["{c}", "{d}", "{e}"]\n',
                        "app/main.py": APP_PY})


def keys_in_model_calls(lab: Lab, repo: Path) -> None:
    a, b, c, d, e = (lab.secret(k) for k in ("openai", "anthropic", "openai", "openai", "openai"))
    lab.new_repo(repo, {
        "bot.py": ("import anthropic\nfrom openai import OpenAI\n\n"
                   f'client = OpenAI(api_key="{a}")\nclaude = anthropic.Anthropic(api_key="{b}")\n\n\n'
                   "def answer(q):\n    return client.chat.completions.create(model=\"gpt-4o\", "
                   f'messages=[{{"role": "user", "content": q}}], api_key="{c}")\n'),
        "web/chat.ts": (f'import OpenAI from "openai";\nconst openai = new OpenAI({{ apiKey: "{d}" }});\n'
                        'export async function ask(q: string) {\n'
                        '  return fetch("https://api.openai.com/v1/chat/completions", '
                        f'{{ headers: {{ Authorization: "Bearer {e}" }}, body: q }});\n}}\n')})


def key_in_history_only(lab: Lab, repo: Path) -> None:
    a, b, c = lab.secret("openai"), lab.secret("aws"), lab.secret("aws_secret")
    lab.new_repo(repo, {"config.py": f'OPENAI_API_KEY = "{a}"\n', "secrets.json": f'{{"aws": "{b}"}}\n',
                        "deploy.py": f'aws_secret_access_key = "{c}"\n'})
    lab.commit(repo, {"config.py": 'import os\nOPENAI_API_KEY = os.environ["OPENAI_API_KEY"]\n'},
               "move keys to the environment", delete=("secrets.json", "deploy.py"))
    lab.git(repo, "checkout", "-q", "-b", "leak")
    lab.commit(repo, {"old.py": f'KEY = "{lab.secret("github")}"\n'}, "an unmerged branch")
    lab.git(repo, "checkout", "-q", "main")
    lab.commit(repo, {"app.py": APP_PY}, "app")


def key_in_dotenv(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {
        ".env": (f"OPENAI_API_KEY={lab.secret('openai')}\nAWS_ACCESS_KEY_ID={lab.secret('aws')}\n"
                 f"AWS_SECRET_ACCESS_KEY={lab.secret('aws_secret')}\n"
                 f"DATABASE_URL=postgres://app:{lab.secret('password')}@db:5432/app\n"),
        ".env.production": f"STRIPE_KEY={lab.secret('stripe')}\nSLACK_TOKEN={lab.secret('slack')}\n",
        "config/.env.local": f"GOOGLE_API_KEY={lab.secret('google')}\n",
        ".gitignore": ".env\n", "app.py": APP_PY})


def key_in_notebook(lab: Lab, repo: Path) -> None:
    nb = {"cells": [
        {"cell_type": "code", "execution_count": 1, "metadata": {},
         "source": [f'openai.api_key = "{lab.secret("openai")}"\n',
                    "resp = openai.ChatCompletion.create(model='gpt-4', messages=msgs)\n"],
         "outputs": [{"name": "stdout", "output_type": "stream", "text": [f"token {lab.secret('github')}\n"]}]},
        {"cell_type": "markdown", "metadata": {}, "source": [f"Stripe: `{lab.secret('stripe')}`"]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    lab.new_repo(repo, {"analysis.ipynb": json.dumps(nb, indent=1), "app.py": APP_PY})


def key_in_utf16(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {
        "settings.py": f'OPENAI_API_KEY = "{lab.secret("openai")}"\n'.encode("utf-16"),
        "notes.txt": f'stripe = "{lab.secret("stripe")}"\n'.encode("utf-16-le"),
        "requirements.txt": "flask==2.2.2\n".encode("utf-16"), "app.py": APP_PY})


def key_in_huge_line(lab: Lab, repo: Path) -> None:
    filler = "x=1;" * 237_000  # about 0.95 MB
    line = f'var a="{lab.secret("openai")}";' + filler + f'var b="{lab.secret("stripe")}";' + filler
    lab.new_repo(repo, {"static/bundle.min.js": line + f'\nvar c="{lab.secret("github")}";\n', "app.py": APP_PY})


def key_in_latin1(lab: Lab, repo: Path) -> None:
    text = f'# -*- coding: latin-1 -*-\n# café crème\nKEY = "{lab.secret("openai")}"  # clé\n'
    lab.new_repo(repo, {"legacy.py": text.encode("latin-1"), "app.py": APP_PY})


def keys_odd_line_breaks(lab: Lab, repo: Path) -> None:
    keys = [lab.secret(k) for k in ("openai", "stripe", "github", "aws", "anthropic", "openai")]
    seps = ["\u2028", "\x0c", "\x85", "\r", "\x0b", "\n"]
    text = "".join(f'k{i} = "{k}"{sep}' for i, (k, sep) in enumerate(zip(keys, seps, strict=False)))
    lab.new_repo(repo, {"keys.py": text, "app.py": APP_PY})


def key_in_commit_message(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY})
    lab.commit(repo, {"README.md": "# bot\n"},
               f"rotate keys: old {lab.secret('stripe')} new {lab.secret('openai')}")


def key_in_path(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {f"keys/{lab.secret('stripe')}.txt": "x\n", f"{lab.secret('github')}/main.py": APP_PY})


def keys_in_config_files(lab: Lab, repo: Path) -> None:
    body = [lab.random(64, ALNUM + "+/") for _ in range(12)]
    for line in body:
        lab.secrets[line] = f"private key body of {lab.case}"
    hook = lab.random(24)
    lab.secrets[hook] = f"slack webhook of {lab.case}"
    lab.new_repo(repo, {
        "docker-compose.yml": f"services:\n  app:\n    environment:\n      OPENAI_API_KEY: {lab.secret('openai')}\n",
        "config.json": json.dumps({"stripe": lab.secret("stripe"), "api_token": lab.secret("token")}),
        "settings.yaml": f"slack_webhook: https://hooks.slack.com/services/T{lab.random(9, UPPER_DIGITS)}/"
                         f"B{lab.random(9, UPPER_DIGITS)}/{hook}\n",
        "deploy/id_rsa": "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(body) + "\n-----END RSA PRIVATE KEY-----\n",
        "app.py": APP_PY})


def many_keys(lab: Lab, repo: Path) -> None:
    kinds = ("openai", "stripe", "github", "aws")
    lab.new_repo(repo, {"keys.py": "".join(f'K{i} = "{lab.secret(kinds[i % 4])}"\n' for i in range(300)),
                        "old_keys.py": "".join(f'O{i} = "{lab.secret(kinds[i % 4])}"\n' for i in range(300))})
    lab.commit(repo, {"app.py": APP_PY}, "drop old keys", delete=("old_keys.py",))


def key_marked_fake_in_tests(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"tests/fixtures/fake_keys.py": f'KEY = "{lab.secret("openai")}"  # fake\n',
                        "tests/test_app.py": f'def test_x():\n    key = "{lab.secret("stripe")}"  # dummy\n',
                        "app.py": APP_PY})


def url_passwords(lab: Lab, repo: Path) -> None:
    p = [lab.secret("password") for _ in range(5)]
    lab.new_repo(repo, {
        "db.py": (f'URLS = ["https://bot:{p[0]}@api.example.com/v1", "postgres://u:{p[1]}@h/db"]\n'
                  f'REDIS = "redis://:{p[2]}@cache:6379/0"\nMONGO = "mongodb+srv://u:{p[3]}@cluster0.example.net/x"\n'),
        "requirements.txt": f"flask==2.2.2\nprivate-pkg @ git+https://deploy:{p[4]}@git.example.com/x.git\n",
        "app.py": APP_PY})


def huge_file_over_limit(lab: Lab, repo: Path) -> None:
    data = f'KEY = "{lab.secret("openai")}"\n' + "# padding\n" * 300_000
    lab.new_repo(repo, {"data.py": data, "app.py": APP_PY})


# ----- code the target would run
SHADOWED = ("auditlib/__init__.py", "auditlib/worker.py", "auditlib/__main__.py", "sitecustomize.py",
            "usercustomize.py", "ipykernel_launcher.py", "ipykernel/__init__.py", "pip_audit/__init__.py",
            "pip_audit/__main__.py", "git/__init__.py", "yaml/__init__.py", "pydantic/__init__.py",
            "papermill/__init__.py", "nbformat/__init__.py", "matplotlib/__init__.py", "radon/__init__.py",
            "lizard.py", "pickle.py", "runpy.py", "tempfile.py")


def shadow_modules(lab: Lab, repo: Path) -> Target:
    """Modules auditlib, its helpers or Python would import from the working directory; 2,001 commits,
    so the secrets scan runs in its worker process; run as ``cd target && auditlib scan .``."""
    lab.init(repo)
    files = {p: lab.mark_py("shadow-" + p.replace("/", ".")) for p in SHADOWED}
    files["requirements.txt"] = "flask==2.2.2\n"
    files["app.py"] = APP_PY
    stream = bytearray()
    for i in range(2001):
        t = lab.clock + i * 600
        msg = f"commit {i}\n".encode()
        stream += f"commit refs/heads/main\nmark :{i + 1}\n".encode()
        stream += f"author Ada <ada@example.com> {t} +0000\ncommitter Ada <ada@example.com> {t} +0000\n".encode()
        stream += f"data {len(msg)}\n".encode() + msg
        if i:
            stream += f"from :{i}\n".encode()
        for path, content in (files.items() if i == 0 else []):
            data = content.encode()
            stream += f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n"
        data = f"line {i}\n".encode()
        stream += f"M 100644 inline history.txt\ndata {len(data)}\n".encode() + data + b"\n"
    lab.clock += 2001 * 600
    lab.git(repo, "fast-import", "--quiet", input=bytes(stream))
    lab.git(repo, "reset", "-q", "--hard", "main")
    return Target(target=".", cwd=repo)


def git_config_fsmonitor(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY})
    lab.config(repo, f"[core]\n\tfsmonitor = {lab.mark_cmd('fsmonitor')}\n\tfsmonitorHookVersion = 2\n")


def git_config_hookspath(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY})
    hooks = repo.parent / "evil-hooks"
    install_hooks(lab, hooks, "hookspath")
    lab.config(repo, f"[core]\n\thooksPath = {hooks}\n")


def git_config_diff_external(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY})
    lab.commit(repo, {"app.py": APP_PY + "\n# v2\n"}, "v2")
    lab.config(repo, f"[diff]\n\texternal = {lab.mark_cmd('diff-external')}\n\ttool = evil\n"
                     f"[difftool \"evil\"]\n\tcmd = {lab.mark_cmd('difftool')}\n")


def git_config_filter_drivers(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {".gitattributes": "* filter=evil merge=evil\n", "app.py": APP_PY, "util.py": branchy("f")})
    lab.config(repo, f"[filter \"evil\"]\n\tclean = {lab.mark_cmd('filter-clean')}\n"
                     f"\tsmudge = {lab.mark_cmd('filter-smudge')}\n\tprocess = {lab.mark_cmd('filter-process')}\n"
                     f"\trequired = true\n[merge \"evil\"]\n\tdriver = {lab.mark_cmd('merge-driver')}\n")
    later = time.time() + 5  # a changed mtime makes git re-read (clean) the files
    for name in ("app.py", "util.py"):
        os.utime(repo / name, (later, later))


def git_config_textconv(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {".gitattributes": "*.py diff=conv\n", "app.py": APP_PY})
    lab.commit(repo, {"app.py": APP_PY + "\n# v2\n"}, "v2")
    lab.config(repo, f"[diff \"conv\"]\n\ttextconv = {lab.mark_cmd('textconv')}\n"
                     f"\tcommand = {lab.mark_cmd('diff-command')}\n\tcachetextconv = true\n")


def git_config_ssh_and_credentials(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY})
    lab.config(repo, f"[core]\n\tsshCommand = {lab.mark_cmd('ssh-command')}\n\tgitProxy = {lab.mark_cmd('git-proxy')}\n"
                     f"\taskPass = {lab.mark_cmd('askpass')}\n[credential]\n\thelper = !{lab.mark_cmd('credential')}\n"
                     f"[remote \"origin\"]\n\turl = ssh://example.invalid/x.git\n"
                     f"\tuploadpack = {lab.mark_cmd('uploadpack')}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n"
                     f"[protocol \"ext\"]\n\tallow = always\n[extensions]\n\tpartialClone = origin\n")


def git_config_pager_editor(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY})
    lab.config(repo, f"[core]\n\tpager = {lab.mark_cmd('pager')}\n\teditor = {lab.mark_cmd('editor')}\n"
                     f"[pager]\n\tlog = {lab.mark_cmd('pager-log')}\n\tdiff = {lab.mark_cmd('pager-diff')}\n"
                     f"[sequence]\n\teditor = {lab.mark_cmd('sequence-editor')}\n"
                     f"[gc]\n\tauto = 1\n\tautoDetach = false\n")


def git_config_gpg(lab: Lab, repo: Path) -> None:
    """A signed-looking HEAD commit and a gpg program: ``git log`` would run it with log.showSignature."""
    lab.new_repo(repo, {"app.py": APP_PY})
    tree = lab.git(repo, "rev-parse", "HEAD^{tree}")
    sig = b"gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n"
    head = lab.raw_commit(repo, tree, [lab.git(repo, "rev-parse", "HEAD")],
                          f"Ada <ada@example.com> {lab.tick()} +0000".encode(), b"signed", headers=sig)
    lab.git(repo, "update-ref", "refs/heads/main", head)
    lab.config(repo, f"[gpg]\n\tprogram = {lab.mark_cmd('gpg')}\n[gpg \"ssh\"]\n\tprogram = {lab.mark_cmd('gpg-ssh')}\n"
                     f"[gpg \"x509\"]\n\tprogram = {lab.mark_cmd('gpg-x509')}\n[log]\n\tshowSignature = true\n")


def git_config_include(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY})
    included = repo.parent / "evil.gitconfig"
    included.write_text(f"[core]\n\tfsmonitor = {lab.mark_cmd('include-fsmonitor')}\n"
                        f"\tpager = {lab.mark_cmd('include-pager')}\n[diff]\n\texternal = {lab.mark_cmd('include-diff')}\n")
    lab.config(repo, f"[include]\n\tpath = {included}\n[includeIf \"gitdir:/\"]\n\tpath = {included}\n")


def git_config_core_worktree(lab: Lab, repo: Path) -> None:
    """core.worktree points outside the target, at files holding a key: reading them would leak it."""
    lab.new_repo(repo, {"app.py": APP_PY})
    outside = repo.parent / "outside-worktree"
    write(outside, "app.py", f'KEY = "{lab.secret("openai")}"\n')
    write(outside, "extra.py", f'KEY = "{lab.secret("stripe")}"\n')
    lab.config(repo, f"[core]\n\tworktree = {outside}\n")


HOOKS = ("applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit", "pre-merge-commit",
         "prepare-commit-msg", "commit-msg", "post-commit", "pre-rebase", "post-checkout", "post-merge",
         "pre-push", "pre-receive", "update", "proc-receive", "post-receive", "post-update",
         "reference-transaction", "push-to-checkout", "pre-auto-gc", "post-rewrite", "sendemail-validate",
         "fsmonitor-watchman", "p4-changelist", "p4-prepare-changelist", "p4-post-changelist", "p4-pre-submit",
         "post-index-change")


def install_hooks(lab: Lab, folder: Path, prefix: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in HOOKS:
        (folder / name).write_text(f"#!/bin/sh\n{lab.mark_cmd(f'{prefix}-{name}')} \"$@\"\n")
        (folder / name).chmod(0o755)


def git_hooks_all(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY})
    install_hooks(lab, repo / ".git" / "hooks", "hook")


def build_scripts(lab: Lab, repo: Path) -> None:
    """Every Python file writes a marker at import; setup, build backend, npm scripts, Makefile."""
    m = lab.mark_cmd
    lab.new_repo(repo, {
        "setup.py": lab.mark_py("setup.py") + "from setuptools import setup\nsetup(name='x', version='1.0')\n",
        "pyproject.toml": ('[build-system]\nrequires = []\nbuild-backend = "evil_backend"\nbackend-path = ["."]\n'
                           '[project]\nname = "x"\nversion = "1.0"\ndependencies = ["flask==2.2.2"]\n'),
        "evil_backend.py": lab.mark_py("build-backend"),
        "conftest.py": lab.mark_py("conftest"), "noxfile.py": lab.mark_py("noxfile"),
        "manage.py": lab.mark_py("manage.py"), "docs/conf.py": lab.mark_py("sphinx-conf"),
        "app.py": lab.mark_py("app.py") + APP_PY,
        "package.json": json.dumps({"name": "x", "version": "1.0.0", "dependencies": {"express": "4.17.1"},
                                    "scripts": {s: m(f"npm-{s}") for s in ("preinstall", "install", "postinstall",
                                                                            "prepare", "test", "build")}}),
        "Makefile": f"all:\n\t{m('make')}\n", "tox.ini": f"[testenv]\ncommands = {m('tox')}\n",
        "x.pth": f"import os; os.system({m('pth')!r})\n"})


def gitmodules_ext_url(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {".gitmodules": (f'[submodule "x"]\n\tpath = x\n\turl = ext::sh -c {lab.mark_cmd("submodule-ext")}\n'
                                        f"\tupdate = !{lab.mark_cmd('submodule-update')}\n"), "app.py": APP_PY})
    lab.git(repo, "update-index", "--add", "--cacheinfo", f"160000,{'1' * 40},x")
    lab.commit(repo, None, "add a submodule", stage=False)


def gitdir_file_elsewhere(lab: Lab, repo: Path) -> None:
    """``.git`` is a file naming a git folder elsewhere, whose configuration and hooks are hostile."""
    lab.new_repo(repo, {"app.py": APP_PY})
    elsewhere = repo.parent / "elsewhere.git"
    shutil.move(repo / ".git", elsewhere)
    (repo / ".git").write_text(f"gitdir: {elsewhere}\n")
    install_hooks(lab, elsewhere / "hooks", "gitdir-hook")
    lab.config(repo, f"[core]\n\tfsmonitor = {lab.mark_cmd('gitdir-fsmonitor')}\n", gitdir=elsewhere)


# ----- symlinks and the file system
def symlinks_to_system_files(lab: Lab, repo: Path) -> None:
    lab.init(repo)
    write(repo, "app.py", APP_PY)
    for name, target in (("passwd.py", "/etc/passwd"), ("shadow.txt", "/etc/shadow"), ("zero.py", "/dev/zero"),
                         ("random.js", "/dev/urandom"), ("stdin.py", "/proc/self/fd/0"), ("root", "/"),
                         ("kmsg.log", "/dev/kmsg"), (".env", "/proc/self/environ")):
        os.symlink(target, repo / name)
    lab.commit(repo, None, "links")


def symlinks_outside(lab: Lab, repo: Path) -> None:
    outside = repo.parent / "outside"
    write(outside, "key.py", f'KEY = "{lab.secret("openai")}"\n')
    write(outside, "sub/more.py", f'KEY = "{lab.secret("stripe")}"\n')
    write(outside, ".env", f"GITHUB_TOKEN={lab.secret('github')}\n")
    lab.init(repo)
    write(repo, "app.py", APP_PY)
    os.symlink(outside, repo / "ext")
    os.symlink(outside / "key.py", repo / "key.py")
    os.symlink(outside / ".env", repo / ".env")
    os.symlink("../outside/sub", repo / "relative")
    lab.commit(repo, None, "links")


def symlink_loops(lab: Lab, repo: Path) -> None:
    lab.init(repo)
    write(repo, "app.py", APP_PY)
    os.symlink("b.py", repo / "a.py")
    os.symlink("a.py", repo / "b.py")
    os.symlink("self.py", repo / "self.py")
    os.symlink(".", repo / "loop")
    os.symlink("..", repo / "up")
    (repo / "chain").mkdir()
    for i in range(60):
        os.symlink(f"c{i + 1}", repo / "chain" / f"c{i}")
    os.symlink("c0", repo / "chain" / "c60")
    lab.commit(repo, None, "loops")


def worktree_swapped_to_devices(lab: Lab, repo: Path) -> None:
    """Tracked files replaced in the working tree by a FIFO, a symlink to /dev/zero, an untracked FIFO."""
    lab.new_repo(repo, {"config.py": "X = 1\n", "zero.py": "Y = 2\n", "app.py": APP_PY})
    os.remove(repo / "config.py")
    os.mkfifo(repo / "config.py")
    os.remove(repo / "zero.py")
    os.symlink("/dev/zero", repo / "zero.py")
    os.mkfifo(repo / "untracked_pipe.py")


def deep_nesting(lab: Lab, repo: Path) -> None:
    deep = "/".join(f"level{i:03d}" for i in range(200))
    lab.new_repo(repo, {f"{deep}/leaf.py": f'KEY = "{lab.secret("openai")}"\n' + branchy("leaf"),
                        f"{deep}/requirements.txt": "flask==2.2.2\n", "app.py": APP_PY})


def names_odd(lab: Lab, repo: Path) -> None:
    names = ["new\nline.py", f"{MATHTEXT}.py", "$x^2$_{y}.py", f"{IMG_XSS}.py",
             "\u202eyp.exe.py", "emoji_\U0001F642.py", "combining_e\u0301.py", "zero\u200bwidth.py",
             "tab\tname.py", "-rf.py", "--help.py", "back\\slash.py", "quote\"'.py", "percent%s%n.py",
             "{0}{name}.py", "a" * 200 + ".py", "ansi\x1b[31mred.py", "ctrl\x01\x7f.py",
             f"{MATHTEXT}/inner.py", "$\\frac{1}{0}$/x.py"]
    lab.new_repo(repo, {n: branchy(f"f{i}", 6 + i % 5) for i, n in enumerate(names)} | {"app.py": APP_PY})
    lab.commit(repo, {n: branchy(f"g{i}", 9) for i, n in enumerate(names)}, "churn")


def names_invalid_utf8(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {b"bad\xff\xfe.py": f'KEY = "{lab.secret("openai")}"\n' + branchy("f"),
                        b"latin1_caf\xe9.py": branchy("g"), b"\xc3(.py": branchy("h"),
                        b"surrogate\xed\xa0\x80.py": branchy("i"), b"dir\xff/req.txt": b"flask==2.2.2\n",
                        "app.py": APP_PY})
    lab.commit(repo, {b"bad\xff\xfe.py": branchy("f2", 12)}, "churn")


def many_small_files(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {f"pkg{i % 100}/m{i}.py": f"def f{i}(x):\n    return x + {i}\n" for i in range(10_000)})


def binary_py(lab: Lab, repo: Path) -> None:
    rnd = random.Random(7)
    lab.new_repo(repo, {
        "model.py": rnd.randbytes(100_000),
        "image.py": b"\x89PNG\r\n\x1a\n" + rnd.randbytes(5000),
        "nul.py": b"import os\x00\nx = 1\n" + f'KEY = "{lab.secret("openai")}"\n'.encode(),
        "bad_utf8.py": b'S = "\xff\xfe\xfd"\n' + f'KEY = "{lab.secret("stripe")}"\n'.encode(),
        "utf16_nobom.py": "def f():\n    return 1\n".encode("utf-16-le"),
        "app.py": APP_PY})


# ----- authors, names, dates
def authors_hostile(lab: Lab, repo: Path) -> Target:
    """Authors and a branch name that are mathtext, HTML, control characters, huge or not UTF-8;
    hostile --client / --auditor too; a .mailmap that maps a real author to mathtext."""
    lab.new_repo(repo, {"app.py": APP_PY, ".mailmap": f"{MATHTEXT} mailmap <ada@example.com>\n"})
    authors = [MATHTEXT.encode(), b"$\\frac{1}{0}$ ^_^", XSS.encode(), b'"><' + IMG_XSS.encode(),
               b"A" * 10_000, b"%s%n{0}{{}}", b"\x1b[31mred\x1b[0m", "Ünïcödé \U0001F642 \u202eRTL".encode(),
               b"caf\xe9 \xff", b""]
    parent = lab.git(repo, "rev-parse", "HEAD")
    for i, name in enumerate(authors):
        write(repo, f"mod{i}.py", branchy(f"f{i}", 5 + i))
        lab.git(repo, "add", "-A")
        tree = lab.git(repo, "write-tree")
        parent = lab.raw_commit(repo, tree, [parent], name + f" <a{i}@example.com> {lab.tick()} +0000".encode(),
                                b"work by " + name[:50])
    tree = lab.git(repo, "write-tree")
    parent = lab.raw_commit(repo, tree, [parent], f"Foo <> {lab.tick()} +0000".encode(), b"no email")
    branch = f"refs/heads/{XSS}"
    lab.git(repo, "update-ref", branch, parent)
    lab.git(repo, "symbolic-ref", "HEAD", branch)
    lab.git(repo, "reset", "-q", "--hard")
    return Target(args=["--client", f"{MATHTEXT} {XSS}", "--auditor", "$\\bar$ <b>bold</b>"])


def commit_with_date(lab: Lab, repo: Path, date: str) -> str:
    tree = lab.git(repo, "rev-parse", "HEAD^{tree}")
    return lab.raw_commit(repo, tree, [lab.git(repo, "rev-parse", "HEAD")], f"X <x> {date}".encode(),
                          f"date {date}".encode())


def out_of_range_date(lab: Lab, repo: Path) -> Target:
    lab.new_repo(repo, {"app.py": APP_PY})
    lab.commit(repo, {"util.py": branchy("f")}, "util")
    lab.git(repo, "update-ref", "refs/heads/main", commit_with_date(lab, repo, "99999999999999 +0000"))
    lab.commit(repo, {"more.py": branchy("g")}, "after the odd date")
    return Target(check=check_history_kept)


def odd_dates(lab: Lab, repo: Path) -> Target:
    lab.new_repo(repo, {"app.py": APP_PY})
    for date in ("0 +0000", "-1 +0000", "-62135596800 +0000", "1700000000 +9999", "1700000000 -1300",
                 "abc +0000", "18446744073709551617 +0000", "1700000000", ""):
        lab.git(repo, "update-ref", "refs/heads/main", commit_with_date(lab, repo, date))
    lab.commit(repo, {"util.py": branchy("f")}, "after the odd dates")
    return Target(check=check_history_kept)


def octopus_merge(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY})
    base = lab.git(repo, "rev-parse", "HEAD")
    heads = []
    for i in range(40):
        lab.git(repo, "checkout", "-q", "-b", f"b{i}", base)
        heads.append(lab.commit(repo, {f"b{i}.py": branchy(f"b{i}")}, f"branch {i}"))
    lab.git(repo, "checkout", "-q", "main")
    for i in range(40):
        write(repo, f"b{i}.py", branchy(f"b{i}"))
    lab.git(repo, "add", "-A")
    tree = lab.git(repo, "write-tree")
    merge = lab.raw_commit(repo, tree, [base, *heads], f"Ada <ada@example.com> {lab.tick()} +0000".encode(), b"octopus")
    lab.git(repo, "update-ref", "refs/heads/main", merge)
    lab.git(repo, "reset", "-q", "--hard")


# ----- broken repositories
def missing_index(lab: Lab, repo: Path) -> Target:
    lab.new_repo(repo, {"app.py": APP_PY, "util.py": branchy("f")})
    (repo / ".git" / "index").unlink()
    return Target(check=check_files_listed)


def corrupt_index(lab: Lab, repo: Path) -> Target:
    lab.new_repo(repo, {"app.py": APP_PY, "util.py": branchy("f")})
    (repo / ".git" / "index").write_bytes(b"DIRC\x00\x00\x00\x02" + os.urandom(300))
    return Target(check=check_files_listed)


def head_missing_commit(lab: Lab, repo: Path) -> Target:
    lab.new_repo(repo, {"app.py": APP_PY})
    lab.git(repo, "branch", "dev")
    (repo / ".git" / "refs" / "heads" / "main").write_text(f"{lab.rng.getrandbits(160):040x}\n")
    return Target(expect=(0, 2), check=check_said_broken)


def head_symref_loop(lab: Lab, repo: Path) -> Target:
    lab.new_repo(repo, {"app.py": APP_PY})
    lab.git(repo, "branch", "dev")
    heads = repo / ".git" / "refs" / "heads"
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/a\n")
    (heads / "a").write_text("ref: refs/heads/b\n")
    (heads / "b").write_text("ref: refs/heads/a\n")
    return Target(expect=(0, 2), check=check_said_broken)


def unknown_extension(lab: Lab, repo: Path) -> Target:
    lab.new_repo(repo, {"app.py": APP_PY})
    lab.git(repo, "config", "core.repositoryformatversion", "1")
    lab.config(repo, "[extensions]\n\tfoo = bar\n")
    return Target(expect=(0, 2), check=check_said_broken)


def head_is_a_tree(lab: Lab, repo: Path) -> Target:
    lab.new_repo(repo, {"app.py": APP_PY})
    tree = lab.git(repo, "rev-parse", "HEAD^{tree}")
    (repo / ".git" / "refs" / "heads" / "main").write_text(tree + "\n")
    return Target(expect=(0, 2), check=check_said_broken)


def missing_blob(lab: Lab, repo: Path) -> Target:
    lab.new_repo(repo, {"app.py": APP_PY, "old.py": f'KEY = "{lab.secret("openai")}"\n'})
    blob = lab.git(repo, "rev-parse", "HEAD:old.py")
    lab.commit(repo, {"util.py": branchy("f")}, "drop old", delete=("old.py",))
    lab.loose_object(repo, blob).unlink()
    return Target(check=check_said_broken)


def missing_parent_commit(lab: Lab, repo: Path) -> Target:
    lab.new_repo(repo, {"app.py": APP_PY})
    first = lab.git(repo, "rev-parse", "HEAD")
    lab.commit(repo, {"util.py": branchy("f")}, "two")
    lab.commit(repo, {"more.py": branchy("g")}, "three")
    lab.loose_object(repo, first).unlink()
    return Target(check=check_said_broken)


def refs_garbage(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY, "util.py": branchy("f")})
    blob = lab.git(repo, "rev-parse", "HEAD:app.py")
    (repo / ".git" / "refs" / "heads" / "blobref").write_text(blob + "\n")
    (repo / ".git" / "refs" / "tags").mkdir(exist_ok=True)
    (repo / ".git" / "refs" / "tags" / "junk").write_text("zzzz not a sha\n")
    (repo / ".git" / "packed-refs").write_bytes(b"# pack-refs with: peeled\n\xff\xfe garbage\n" + b"0" * 40
                                                + b" refs/heads/\xff\n^^^^\n")


def alternates_garbage(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {"app.py": APP_PY})
    info = repo / ".git" / "objects" / "info"
    info.mkdir(exist_ok=True)
    (info / "alternates").write_text(f"/nonexistent/objects\n../../..\n{repo / '.git' / 'objects'}\n/dev/zero\n")


def shallow_clone(lab: Lab, repo: Path) -> None:
    src = lab.new_repo(repo.parent / "shallow-src", {"app.py": APP_PY})
    for i in range(5):
        lab.commit(src, {f"m{i}.py": branchy(f"m{i}")}, f"c{i}")
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{src}", str(repo)], check=True,
                   capture_output=True, env=lab.git_env())


def empty_repo(lab: Lab, repo: Path) -> Target:
    lab.init(repo)
    return Target(expect=(0, 2))


def zero_commits_with_files(lab: Lab, repo: Path) -> Target:
    lab.init(repo)
    write(repo, "app.py", APP_PY)
    write(repo, "keys.py", f'KEY = "{lab.secret("openai")}"\n')
    lab.git(repo, "add", "app.py", "keys.py")
    write(repo, "untracked.py", f'KEY = "{lab.secret("stripe")}"\n')
    return Target(expect=(0, 2))


def bare_repo(lab: Lab, repo: Path) -> Target:
    src = lab.new_repo(repo.parent / "bare-src", {"app.py": APP_PY, "keys.py": f'KEY = "{lab.secret("openai")}"\n'})
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(repo)], check=True, capture_output=True,
                   env=lab.git_env())
    return Target(expect=(0, 2))


# ----- size and parser bombs
def huge_lockfile(lab: Lab, repo: Path) -> Target:
    """package-lock.json of about 20 MB (80,000 packages)."""
    packages = {"": {"name": "x", "version": "1.0.0", "dependencies": {"express": "4.17.1"}}}
    for i in range(80_000):
        integrity = base64.b64encode(hashlib.sha512(str(i).encode()).digest()).decode()
        packages[f"node_modules/pkg-{i}"] = {
            "version": f"1.{i % 50}.{i % 7}", "resolved": f"https://registry.npmjs.org/pkg-{i}/-/pkg-{i}-1.0.0.tgz",
            "integrity": f"sha512-{integrity}", "dependencies": {f"pkg-{(i * 7) % 80_000}": "^1.0.0"}}
    lock = {"name": "x", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": packages}
    lab.new_repo(repo, {"package.json": json.dumps({"name": "x", "version": "1.0.0",
                                                    "dependencies": {"express": "4.17.1"}}),
                        "package-lock.json": json.dumps(lock, indent=2), "index.js": "module.exports = 1;\n"})
    return Target(check=check_results_bounded)


def many_lockfiles(lab: Lab, repo: Path) -> Target:
    """40 npm projects with 1.5 MB lockfiles and 20 Python ones with 0.8 MB poetry.lock files."""
    files: dict[str, str] = {}
    for p in range(40):
        pk = {f"node_modules/p{p}-{i}": {"version": f"2.{i % 9}.0", "resolved": f"https://r.example/p{p}-{i}.tgz",
                                         "integrity": "sha512-" + "A" * 86} for i in range(6000)}
        files[f"svc{p}/package.json"] = json.dumps({"name": f"svc{p}", "dependencies": {f"p{p}-1": "2.1.0"}})
        files[f"svc{p}/package-lock.json"] = json.dumps({"lockfileVersion": 3, "packages": pk}, indent=2)
    for p in range(20):
        files[f"py{p}/pyproject.toml"] = f'[project]\nname = "py{p}"\nversion = "1"\ndependencies = ["flask"]\n'
        files[f"py{p}/poetry.lock"] = "".join(
            f'[[package]]\nname = "q{p}-{i}"\nversion = "1.{i % 9}.0"\ndescription = "x"\noptional = false\n'
            f'python-versions = "*"\nfiles = []\n\n' for i in range(8000))
    lab.new_repo(repo, files)
    return Target(check=check_results_bounded)


def parser_bombs(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {
        "pnpm-lock.yaml": "lockfileVersion: '6.0'\n" + yaml_bomb() + "packages: *a8\n",
        "yarn.lock": "__metadata:\n  version: 6\n" + yaml_bomb() + "\"x@npm:1\": *a8\n",
        "package.json": deep_json(), "Pipfile.lock": '{"default": ' + deep_json() + "}",
        "pyproject.toml": "[project]\nname = 'x'\ndependencies = " + "[" * 50_000 + "]" * 50_000 + "\n",
        "requirements.txt": "-r requirements.txt\n-r ../../../../../../../../etc/passwd\n-c /dev/zero\n"
                            "-r /dev/stdin\n-r sub/requirements.txt\nflask==2.2.2\n",
        "sub/requirements.txt": "-r ../requirements.txt\nrequests==2.25.0\n",
        "app.py": APP_PY})


def malformed_manifests(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {
        "pyproject.toml": "[project\nname = = 'x'\n\x00",
        "setup.py": "from setuptools import setup\nsetup(name='x', install_requires=[\n",
        "setup.cfg": "[options]\ninstall_requires =\n    flask==%(version)s\n    %(\n[metadata]\nname = %(name)s\n",
        "Pipfile.lock": "[1, 2, 3]", "Pipfile": "[packages]\nflask = {version = 5}\n",
        "poetry.lock": '[[package]]\nname = 5\nversion = ["x"]\n',
        "package.json": '{"dependencies": [1, 2], "devDependencies": {"a": 5, "b": null}}',
        "web/package.json": "[]", "web/package-lock.json": '{"lockfileVersion": 3, "packages": "x"}',
        "api/package.json": '{"name": "api"', "yarn.lock": b"\xff\xfe\x00garbage\x00" * 100,
        "requirements.txt": b"flask==2.2.2\x00\nreq" + b"x" * 100_000 + b"\nflask==2.2.2; python_version<'3' and and\n"
                            b"-e git+https://example.invalid/x.git#egg=x\n\xff\xfe\n===\n",
        "requirements-dev.txt": "pytest>=\nblack==\n==1.0\n[extras]\n",
        "uv.lock": "version = 1\n[[package]]\nname = []\n",
        "app.py": APP_PY})


def ast_bombs(lab: Lab, repo: Path) -> None:
    lab.new_repo(repo, {
        "sum.py": "x = " + "+".join(["1"] * 300_000) + "\n",
        "parens.py": "x = " + "(" * 1000 + "1" + ")" * 1000 + "\n",
        "indent.py": "".join(" " * i + f"if x{i}:\n" for i in range(150)) + " " * 150 + "pass\n",
        "elifs.py": branchy("huge", 5000), "lambdas.py": "f = " + "lambda: " * 3000 + "1\n",
        "deep.js": "let a = " + "[" * 50_000 + "]" * 50_000 + ";\n",
        "deep.ts": "function f(){" * 5000 + "}" * 5000 + "\n",
        "calls.js": "f(" * 20_000 + ")" * 20_000 + ";\n",
        "app.py": APP_PY})


def ipynb_bombs(lab: Lab, repo: Path) -> None:
    big_output = "y" * 900_000 + f" {lab.secret('openai')} " + "y" * 900_000
    lab.new_repo(repo, {
        "deep.ipynb": deep_json(), "invalid.ipynb": "{not json",
        "types.ipynb": json.dumps({"cells": "x", "nbformat": "four", "metadata": []}),
        "cells.ipynb": json.dumps({"cells": [1, None, {"cell_type": 5, "source": {"a": 1}}], "nbformat": 4}),
        "big.ipynb": json.dumps({"cells": [{"cell_type": "code", "source": ["print(1)"], "metadata": {},
                                            "outputs": [{"output_type": "stream", "name": "stdout",
                                                         "text": [big_output]}]}],
                                 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
        "app.py": APP_PY})


def zip_bomb_blob(lab: Lab, repo: Path) -> Target:
    """Ten paths sharing one 200 MB blob of zeros (about 0.2 MB on disk), served as a file:// URL."""
    lab.init(repo, bare=True)
    proc = subprocess.Popen(["git", "-C", str(repo), "hash-object", "-w", "--stdin"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, env=lab.git_env())
    chunk = b"\0" * MB
    for _ in range(BOMB_BLOB_BYTES // MB):
        proc.stdin.write(chunk)
    proc.stdin.write(b"\0" * (BOMB_BLOB_BYTES % MB))
    blob = proc.communicate()[0].decode().strip()
    readme = lab.git(repo, "hash-object", "-w", "--stdin", input=b"# bomb\n")
    entries = "".join(f"100644 blob {blob}\tdata{i}.bin\n" for i in range(10)) + f"100644 blob {readme}\tREADME.md\n"
    tree = lab.git(repo, "mktree", input=entries.encode())
    commit = lab.raw_commit(repo, tree, [], f"Ada <ada@example.com> {lab.tick()} +0000".encode(), b"bomb")
    lab.git(repo, "update-ref", "refs/heads/main", commit)
    return Target(target=f"file://{repo}", url=True, check=check_cache_bounded)


REPOS: list[Case] = [Case(fn.__name__, "repo", fn, mode) for fn, mode in (
    # secrets
    (two_keys_one_line, "audit-pdf"), (keys_in_model_calls, "scan"), (key_in_history_only, "scan"),
    (key_in_dotenv, "scan"), (key_in_notebook, "audit"), (key_in_utf16, "scan"), (key_in_huge_line, "scan"),
    (key_in_latin1, "scan"), (keys_odd_line_breaks, "scan"), (key_in_commit_message, "scan"), (key_in_path, "scan"),
    (keys_in_config_files, "scan"), (many_keys, "scan"), (key_marked_fake_in_tests, "scan"), (url_passwords, "scan"),
    (huge_file_over_limit, "scan"),
    # code the target would run
    (shadow_modules, "scan"), (shadow_modules, "audit"), (git_config_fsmonitor, "scan"),
    (git_config_hookspath, "scan"), (git_config_diff_external, "scan"), (git_config_filter_drivers, "scan"),
    (git_config_textconv, "scan"), (git_config_ssh_and_credentials, "scan"), (git_config_pager_editor, "scan"),
    (git_config_gpg, "scan"), (git_config_include, "scan"), (git_config_core_worktree, "scan"),
    (git_hooks_all, "scan"), (build_scripts, "scan"), (gitmodules_ext_url, "scan"), (gitdir_file_elsewhere, "scan"),
    # symlinks, devices, names
    (symlinks_to_system_files, "scan"), (symlinks_outside, "scan"), (symlink_loops, "scan"),
    (worktree_swapped_to_devices, "scan"), (deep_nesting, "scan"), (names_odd, "audit"),
    (names_invalid_utf8, "scan"), (many_small_files, "scan"), (binary_py, "scan"),
    # authors and dates
    (authors_hostile, "audit-pdf"), (out_of_range_date, "audit"), (odd_dates, "scan"), (octopus_merge, "scan"),
    # broken repositories
    (missing_index, "scan"), (corrupt_index, "scan"), (head_missing_commit, "scan"), (head_symref_loop, "scan"),
    (unknown_extension, "scan"), (head_is_a_tree, "scan"), (missing_blob, "scan"), (missing_parent_commit, "scan"),
    (refs_garbage, "scan"), (alternates_garbage, "scan"), (shallow_clone, "scan"), (empty_repo, "scan"),
    (zero_commits_with_files, "scan"), (bare_repo, "scan"),
    # size and parser bombs
    (huge_lockfile, "scan"), (many_lockfiles, "scan"), (parser_bombs, "scan"), (malformed_manifests, "scan"),
    (ast_bombs, "scan"), (ipynb_bombs, "scan"), (zip_bomb_blob, "scan"),
)]
for _case in REPOS:  # the same builder in two modes gets two names
    if _case.mode != "scan" and sum(c.build is _case.build for c in REPOS) > 1:
        _case.name += f"[{_case.mode}]"


# ===================================================================== command-line builders
def scan_args(lab: Lab, work: Path, *extra: str, target: str | None = None) -> list[str]:
    return ["scan", target or str(lab.small_target()), "--json", str(work / "out" / "results.json"), "--offline",
            *extra]


def check_still_device(dev: Path, folder: Path | None = None) -> Callable[[Outcome], list[str]]:
    def check(o: Outcome) -> list[str]:
        problems = []
        if not stat.S_ISCHR(os.lstat(dev).st_mode):
            problems.append(f"{dev} was replaced by a regular file")
        sibling = (folder or dev.parent) / "findings.sarif"
        if os.path.lexists(sibling) and (folder or dev.parent) != Path("/dev"):
            problems.append(f"wrote {sibling.name} beside the device")
        elif (folder or dev.parent) == Path("/dev") and os.path.lexists(sibling):
            problems.append("wrote /dev/findings.sarif")
        return problems
    return check


def check_unchanged(folder: Path) -> Callable[[Outcome], list[str]]:
    before = sorted(os.listdir(folder))

    def check(o: Outcome) -> list[str]:
        after = sorted(os.listdir(folder))
        return [f"left {sorted(set(after) - set(before))} in {folder.name}/"] if after != before else []
    return check


def json_dev_null(lab: Lab, work: Path) -> Run:
    dev = char_device(work / "dev" / "null")
    return Run(["scan", str(lab.small_target()), "--json", str(dev), "--offline"], expect=(0, 2),
               check=check_still_device(dev))


def json_symlink_to_device(lab: Lab, work: Path) -> Run:
    dev = char_device(work / "dev" / "null")
    (work / "o").mkdir()
    os.symlink(dev, work / "o" / "results.json")
    return Run(["scan", str(lab.small_target()), "--json", str(work / "o" / "results.json"), "--offline"],
               expect=(0, 2), check=lambda o: check_still_device(dev)(o) + check_still_device(dev, work / "o")(o))


def json_to_directory(lab: Lab, work: Path) -> Run:
    (work / "dir").mkdir()
    (work / "dir" / "keep.txt").write_text("x")
    return Run(["scan", str(lab.small_target()), "--json", str(work / "dir"), "--offline"], expect=(2,),
               check=check_unchanged(work / "dir"))


def json_under_a_file(lab: Lab, work: Path) -> Run:
    (work / "file").write_text("x")
    return Run(["scan", str(lab.small_target()), "--json", str(work / "file" / "r.json"), "--offline"], expect=(2,))


def check_still_fifo(fifo: Path) -> Callable[[Outcome], list[str]]:
    def check(o: Outcome) -> list[str]:
        return [] if stat.S_ISFIFO(os.lstat(fifo).st_mode) else [f"the FIFO {fifo.name} was replaced by a file"]
    return check


def json_to_fifo(lab: Lab, work: Path) -> Run:
    os.mkfifo(work / "pipe.json")
    return Run(["scan", str(lab.small_target()), "--json", str(work / "pipe.json"), "--offline"], expect=(0, 2),
               check=check_still_fifo(work / "pipe.json"))


def json_beside_fifo_sarif(lab: Lab, work: Path) -> Run:
    (work / "o").mkdir()
    os.mkfifo(work / "o" / "findings.sarif")
    return Run(["scan", str(lab.small_target()), "--json", str(work / "o" / "results.json"), "--offline"],
               expect=(0, 2), out=work / "o", check=check_still_fifo(work / "o" / "findings.sarif"))


def json_to_stdout(lab: Lab, work: Path) -> Run:
    return Run(["scan", str(lab.small_target()), "--json", "-", "--offline"])


def json_in_proc(lab: Lab, work: Path) -> Run:
    return Run(["scan", str(lab.small_target()), "--json", "/proc/self/status", "--offline"], expect=(2,))


def json_long_path(lab: Lab, work: Path) -> Run:
    return Run(["scan", str(lab.small_target()), "--json", str(work / ("x" * 300) / ("y" * 5000)), "--offline"],
               expect=(2,))


def out_is_a_file(lab: Lab, work: Path) -> Run:
    (work / "file").write_text("x")
    return Run(["audit", str(lab.small_target()), "--out", str(work / "file"), "--offline", "--no-pdf"], expect=(2,))


def out_under_a_file(lab: Lab, work: Path) -> Run:
    (work / "file").write_text("x")
    return Run(["audit", str(lab.small_target()), "--out", str(work / "file" / "o"), "--offline", "--no-pdf"],
               expect=(2,))


def out_symlink_to_device(lab: Lab, work: Path) -> Run:
    dev = char_device(work / "dev" / "null")
    os.symlink(dev, work / "o")
    return Run(["audit", str(lab.small_target()), "--out", str(work / "o"), "--offline", "--no-pdf"], expect=(2,),
               check=check_still_device(dev))


def answers_file(name: str, content: bytes | str | None = None, *, expect: tuple[int, ...] = (2,),
                 make: Callable[[Lab, Path], None] | None = None) -> Callable[[Lab, Path], Run]:
    """A builder for ``scan --answers FILE`` where FILE holds ``content`` (or is made by ``make``)."""
    def build(lab: Lab, work: Path) -> Run:
        path = work / "answers.yaml"
        if make is not None:
            make(lab, path)
        elif content is not None:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return Run(scan_args(lab, work, "--answers", str(path)), expect=expect, out=work / "out")
    build.__name__ = name
    return build


def vuln_db(name: str, make: Callable[[Lab, Path], Path], expect: tuple[int, ...] = (0,)) -> Callable[[Lab, Path], Run]:
    """A builder for ``scan --vuln-db DIR`` where DIR is made by ``make``."""
    def build(lab: Lab, work: Path) -> Run:
        return Run(scan_args(lab, work, "--vuln-db", str(make(lab, work))), expect=expect, out=work / "out")
    build.__name__ = name
    return build


OSV_FLASK = {"id": "GHSA-campaign-0001", "modified": "2023-01-01T00:00:00Z", "summary": "test record",
             "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                           "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}]}]}


def osv_folder(work: Path) -> Path:
    db = work / "osv"
    db.mkdir()
    for i in range(5):
        (db / f"GHSA-{i}.json").write_text(json.dumps({**OSV_FLASK, "id": f"GHSA-campaign-{i}"}))
    return db


def db_with_fifo(lab: Lab, work: Path) -> Path:
    db = osv_folder(work)
    os.mkfifo(db / "aa-pipe.json")
    os.mkfifo(db / "zz-pipe.yaml")
    return db


def db_with_symlink_loops(lab: Lab, work: Path) -> Path:
    db = osv_folder(work)
    os.symlink(".", db / "loop")
    os.symlink("b.json", db / "a.json")
    os.symlink("a.json", db / "b.json")
    os.symlink("/", db / "root")
    os.symlink("/dev/zero", db / "zero.json")
    return db


def db_with_garbage(lab: Lab, work: Path) -> Path:
    db = osv_folder(work)
    (db / "random.json").write_bytes(os.urandom(5000))
    (db / "invalid.yaml").write_text("id: [unclosed\n  : :\n")
    (db / "bomb.yaml").write_text(yaml_bomb() + "affected: *a8\n")
    (db / "deep.json").write_text(deep_json())
    (db / "list.json").write_text("[]")
    (db / "types1.json").write_text('{"id": 5, "affected": 5}')
    (db / "types2.json").write_text('{"id": "X", "affected": [{"package": "flask"}, null, 3]}')
    (db / "types3.json").write_text('{"id": "Y", "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"}, '
                                    '"ranges": [{"type": "ECOSYSTEM", "events": "x"}], "versions": 7}]}')
    (db / "huge.json").write_bytes(b'{"id": "Z", "details": "' + b"z" * (60 * MB) + b'"}')
    (db / "python.yaml").write_text(f"!!python/object/apply:os.system [{lab.mark_cmd('vulndb-python-tag')!r}]\n")
    return db


def db_is_a_file(lab: Lab, work: Path) -> Path:
    (work / "db.json").write_text(json.dumps(OSV_FLASK))
    return work / "db.json"


def url_credentials_unreachable(lab: Lab, work: Path) -> Run:
    token = lab.credential()
    return Run(["scan", f"http://user:{token}@127.0.0.1:9/x.git", "--json", str(work / "out" / "results.json")],
               expect=(2,), out=work / "out", url=True)


def url_credentials_offline(lab: Lab, work: Path) -> Run:
    token = lab.credential()
    return Run(["scan", f"https://user:{token}@example.invalid/x.git", "--json", str(work / "out" / "r.json"),
                "--offline"], expect=(2,), out=work / "out", url=True)


def url_credentials_clone(mode: str) -> Callable[[Lab, Path], Run]:
    """A real clone over HTTP with basic auth: the token must reach git and nothing else."""
    def build(lab: Lab, work: Path) -> Run:
        token = lab.credential()
        src = lab.new_repo(work / "src", {"app.py": APP_PY, "util.py": branchy("f")})
        served = work / "served"
        served.mkdir()
        subprocess.run(["git", "clone", "-q", "--bare", str(src), str(served / "app.git")], check=True,
                       capture_output=True, env=lab.git_env())
        lab.git(served / "app.git", "update-server-info")
        port = lab.http_server(served, "user", token)
        url = f"http://user:{token}@127.0.0.1:{port}/app.git"
        (work / "empty-db").mkdir()
        out = work / "out"
        args = (["scan", url, "--json", str(out / "results.json")] if mode == "scan"
                else ["audit", url, "--out", str(out), "--no-pdf"])
        return Run(args + ["--vuln-db", str(work / "empty-db")], out=out, url=True)
    build.__name__ = f"url_credentials_clone_{mode}"
    return build


def option_injection_target(lab: Lab, work: Path) -> Run:
    return Run(["scan", f"--upload-pack=touch {lab.markers / 'upload-pack'}", "--json", str(work / "r.json")],
               expect=(2,))


def option_injection_after_dashdash(lab: Lab, work: Path) -> Run:
    return Run(["scan", "--json", str(work / "r.json"), "--", f"--upload-pack={lab.mark_cmd('upload-pack-dashdash')}"],
               expect=(2,))


def ext_transport_url(lab: Lab, work: Path) -> Run:
    return Run(["scan", f"ext::sh -c {lab.mark_cmd('ext-transport')}", "--json", str(work / "r.json")], expect=(2,))


def ssh_proxycommand_url(lab: Lab, work: Path) -> Run:
    return Run(["scan", f"ssh://-oProxyCommand={lab.mark_cmd('ssh-proxy')}/x", "--json", str(work / "r.json")],
               expect=(2,))


def scp_option_url(lab: Lab, work: Path) -> Run:
    return Run(["scan", f"-oProxyCommand={lab.mark_cmd('scp-proxy')}@host:x", "--json", str(work / "r.json")],
               expect=(2,))


def nonexistent_path(lab: Lab, work: Path) -> Run:
    return Run(scan_args(lab, work, target=str(work / "no" / "such" / "repo")), expect=(2,))


def target_is_a_file(lab: Lab, work: Path) -> Run:
    (work / "f.py").write_text("x = 1\n")
    return Run(scan_args(lab, work, target=str(work / "f.py")), expect=(2,))


def target_dev_zero(lab: Lab, work: Path) -> Run:
    return Run(scan_args(lab, work, target="/dev/zero"), expect=(2,))


def target_not_a_repo(lab: Lab, work: Path) -> Run:
    write(work / "plain", "app.py", APP_PY)
    os.mkfifo(work / "plain" / "pipe.py")
    return Run(scan_args(lab, work, target=str(work / "plain")), expect=(0, 2), out=work / "out")


def target_long_name(lab: Lab, work: Path) -> Run:
    return Run(scan_args(lab, work, target="/".join(["z" * 250] * 30)), expect=(2,))


def target_with_newline(lab: Lab, work: Path) -> Run:
    return Run(scan_args(lab, work, target=str(lab.small_target()) + "\n"), expect=(0, 2), out=work / "out")


def unknown_subcommand(lab: Lab, work: Path) -> Run:
    return Run(["frobnicate", str(lab.small_target())], expect=(2,))


def no_arguments(lab: Lab, work: Path) -> Run:
    return Run([], expect=(2,))


def scan_without_json(lab: Lab, work: Path) -> Run:
    return Run(["scan", str(lab.small_target())], expect=(2,))


def cache_clean_symlink_victim(lab: Lab, work: Path) -> Run:
    """``auditlib cache clean`` with a symlink in the cache: it must not delete what the link points at."""
    victim = work / "victim"
    write(victim, "precious.txt", "keep me")
    (work / "cache" / "clones").mkdir(parents=True)
    os.symlink(victim, work / "cache" / "clones" / "x-12345678")
    os.symlink(victim, work / "cache" / "clones" / "y.partial")

    def check(o: Outcome) -> list[str]:
        return [] if (victim / "precious.txt").exists() else ["cache clean deleted a folder outside the cache"]
    return Run(["cache", "clean"], check=check)


def rubric_yaml_bomb(lab: Lab, work: Path) -> Run:
    rubric = work / "rubric"
    shutil.copytree(ROOT / "checklists", rubric)
    (rubric / "meta.yaml").write_text(yaml_bomb() + "version: *a8\n")
    return Run(scan_args(lab, work), env={"AUDITLIB_RUBRIC": str(rubric)}, expect=(2,))


def make_binary(lab: Lab, path: Path) -> None:
    path.write_bytes(os.urandom(4096))


def make_fifo(lab: Lab, path: Path) -> None:
    os.mkfifo(path)


def make_dev_zero_link(lab: Lab, path: Path) -> None:
    os.symlink("/dev/zero", path)


def make_dir(lab: Lab, path: Path) -> None:
    path.mkdir()


def make_huge(lab: Lab, path: Path) -> None:
    path.write_text('auditor: "' + "a" * (20 * MB) + '"\n')


def make_python_tag(lab: Lab, path: Path) -> None:
    """YAML tags that run a program under an unsafe loader."""
    path.write_text(f"auditor: !!python/object/apply:os.system [{lab.mark_cmd('answers-os-system')!r}]\n"
                    f"scores: !!python/object/apply:subprocess.call [[{lab.mark_cmd('answers-subprocess')!r}]]\n")


CLI: list[Case] = [Case(fn.__name__, "cli", fn) for fn in (
    json_dev_null, json_symlink_to_device, json_to_directory, json_under_a_file, json_to_fifo, json_beside_fifo_sarif,
    json_to_stdout, json_in_proc, json_long_path, out_is_a_file, out_under_a_file, out_symlink_to_device,
    answers_file("answers_binary", make=make_binary),
    answers_file("answers_fifo", make=make_fifo),
    answers_file("answers_missing"),
    answers_file("answers_billion_laughs", yaml_bomb() + "scores: *a8\n"),
    answers_file("answers_deeply_nested", "scores: " + "[" * 100_000 + "]" * 100_000 + "\n"),
    answers_file("answers_deeply_nested_block", "".join(" " * i + f"k{i}:\n" for i in range(1000)) + " " * 1000 + "x\n"),
    answers_file("answers_wrong_types", "scores:\n  security_access: high\nchecklist: 5\nquestions: [1, 2]\n"),
    answers_file("answers_unknown_ids", "scores:\n  no_such_category: 3\nchecklist:\n  nope.nope: 'yes'\n"),
    answers_file("answers_dev_zero_link", make=make_dev_zero_link),
    answers_file("answers_directory", make=make_dir),
    answers_file("answers_huge", make=make_huge, expect=(0, 2)),
    answers_file("answers_utf16", "scores:\n  security_access: 2\n".encode("utf-16"), expect=(0, 2)),
    answers_file("answers_python_tag", make=make_python_tag),
    vuln_db("vulndb_fifo", db_with_fifo), vuln_db("vulndb_symlink_loops", db_with_symlink_loops),
    vuln_db("vulndb_garbage", db_with_garbage), vuln_db("vulndb_is_a_file", db_is_a_file, (2,)),
    vuln_db("vulndb_missing", lambda lab, work: work / "missing", (2,)),
    url_credentials_unreachable, url_credentials_offline, url_credentials_clone("scan"),
    url_credentials_clone("audit"), option_injection_target, option_injection_after_dashdash, ext_transport_url,
    ssh_proxycommand_url, scp_option_url, nonexistent_path, target_is_a_file, target_dev_zero, target_not_a_repo,
    target_long_name, target_with_newline, unknown_subcommand, no_arguments, scan_without_json,
    cache_clean_symlink_victim, rubric_yaml_bomb,
)]


# ========================================================================== running one input
def repo_run(case: Case, lab: Lab, work: Path) -> Run:
    repo = work / "repo"
    t = case.build(lab, repo) or Target()
    target, out = t.target or str(repo), work / "out"
    if case.mode == "scan":
        args = ["scan", target, "--json", str(out / "results.json")]
    else:
        args = ["audit", target, "--out", str(out)] + (["--no-pdf"] if case.mode == "audit" else [])
    if t.url:
        (work / "empty-db").mkdir()
        args += ["--vuln-db", str(work / "empty-db")]
    else:
        args.append("--offline")
    return Run(args + t.args, cwd=t.cwd, env=t.env, expect=t.expect, check=t.check, out=out, url=t.url)


def execute(run: Run, work: Path, timeout: float) -> tuple[int | None, bytes, bytes, float, bool]:
    """Run auditlib in its own process group; kill the group on timeout."""
    env = {**os.environ, "AUDITLIB_CACHE": str(work / "cache"), **run.env}
    started = time.monotonic()
    proc = subprocess.Popen([str(AUDITLIB), *run.args], cwd=run.cwd or work, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        timed_out = True
    return (None if timed_out else proc.returncode), out, err, time.monotonic() - started, timed_out


def tree_bytes(path: Path) -> tuple[int, int]:
    """Apparent size and disk use of a folder (symlinks not followed). git checks out runs of zeros as
    sparse files, so a bomb of zeros uses little disk; its apparent size is what a copy, a backup or
    a file system without holes pays, so that is what is bounded."""
    size = disk = 0
    for dirpath, dirs, files in os.walk(path, followlinks=False):
        for name in dirs + files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except OSError:
                continue
            size += st.st_size
            disk += st.st_blocks * 512
    return size, disk


def output_files(folder: Path) -> list[Path]:
    """The regular files under ``folder`` (never a FIFO or device: reading one would block the campaign)."""
    found = []
    for dirpath, _dirs, files in os.walk(folder, followlinks=False):
        found += [Path(dirpath) / f for f in files if stat.S_ISREG(os.lstat(os.path.join(dirpath, f)).st_mode)]
    return found


def all_entries(folder: Path) -> list[Path]:
    return [Path(d) / n for d, dirs, files in os.walk(folder, followlinks=False) for n in dirs + files]


def pdf_text(path: Path) -> bytes:
    if not shutil.which("pdftotext"):
        return b""
    proc = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, timeout=120, check=False)
    return proc.stdout + b"\n" + re.sub(rb"\s+", b"", proc.stdout)


REMOTE = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//[^\s\"'>]+", re.IGNORECASE)


def judge(o: Outcome, run: Run, lab: Lab, before: set[Path]) -> None:
    """Classify one run (see the module docstring); ``before``: what the output folder held before it."""
    err = o.stderr.decode("utf-8", "replace")
    if o.timed_out:
        o.add("hang", "no exit after the timeout")
    elif o.rc not in (0, 1, 2):
        o.add("crash", f"exit status {o.rc}")
    elif "Traceback" in err:
        o.add("crash", "traceback on standard error")
    elif o.rc == 1 and 0 in run.expect and 1 not in run.expect:  # a failed notebook or write on sound input
        o.add("crash", "exit 1 on an input that should work: " + (err.strip().splitlines() or [""])[-1][:150])
    if o.rc is not None and o.rc not in run.expect:
        o.notes.append(f"expected exit {'/'.join(map(str, run.expect))}")

    # secrets: standard streams, every output file (PDF text too), URL credentials in the clone cache
    where: dict[str, set[str]] = {}
    for name, data in (("stdout", o.stdout), ("stderr", o.stderr)):
        for s in lab.find_secrets(data):
            where.setdefault(s, set()).add(name)
    for path in output_files(run.out) if run.out and run.out.is_dir() else []:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if path.suffix == ".pdf":
            data += pdf_text(path)
        for s in lab.find_secrets(data):
            where.setdefault(s, set()).add(path.name)
    if o.cache and o.cache.is_dir():
        for path in output_files(o.cache):
            try:
                if path.stat().st_size > 50 * MB:
                    continue  # a bomb's blobs hold no credentials
                data = path.read_bytes()
            except OSError:
                continue
            for s in lab.find_secrets(data, only=lab.credentials):
                where.setdefault(s, set()).add("cache:" + path.name)
    for s, places in sorted(where.items()):
        o.leaked.add(s)
        o.add("leak", f"{lab.secrets[s]} ({s[:4]}...) in {', '.join(sorted(places))}")

    markers = lab.take_markers()
    if markers:
        o.add("exec", "markers: " + ", ".join(m.rsplit("-", 1)[0] for m in markers))

    # other defects: per-input checks, owner-only outputs, self-contained HTML report
    for problem in (run.check(o) if run.check else []):
        o.add("other", problem)
    loose = []  # what auditlib created (outputs, clones) holds a client's code and findings: owner-only
    places = ([p for p in (run.out, *all_entries(run.out)) if p not in before] if run.out and run.out.is_dir() else [])
    if run.url and o.cache and (o.cache / "clones").is_dir():
        places += list((o.cache / "clones").iterdir())
    for path in places:
        mode = os.lstat(path).st_mode
        if not stat.S_ISLNK(mode) and mode & 0o077:
            loose.append(f"{path.name} ({stat.S_IMODE(mode):o})")
    if loose:
        o.add("other", f"outputs readable by others: {', '.join(loose[:4])}" + (" ..." if len(loose) > 4 else ""))
    html = run.out / "report.html" if run.out else None
    if html and html.exists():
        text = html.read_text(encoding="utf-8", errors="replace")
        for raw in (XSS, IMG_XSS):
            if raw in text:
                o.add("other", f"report.html carries raw HTML from the target: {raw}")
        remote = REMOTE.search(text)
        if remote:
            o.add("other", f"report.html loads a remote resource: {remote.group()[:90]}")


def cli_mode(args: list[str]) -> str:
    if not args or args[0] not in ("scan", "audit", "cache"):
        return "cli"
    return "audit-pdf" if args[0] == "audit" and "--no-pdf" not in args else args[0]


def run_case(case: Case, lab: Lab, root: Path, timeout: float, keep: bool) -> Outcome:
    work = root / "inputs" / re.sub(r"[^\w.-]", "_", case.name)
    work.mkdir(parents=True)
    lab.case = case.name
    o = Outcome(case.name, case.kind, case.mode if case.kind == "repo" else "cli", [], work=work)
    try:
        run = repo_run(case, lab, work) if case.kind == "repo" else case.build(lab, work)
    except Exception as exc:  # noqa: BLE001 - a campaign bug, reported as such
        o.add("build-error", f"{type(exc).__name__}: {str(exc)[:200]}")
        return o
    if lab.take_markers():
        o.add("build-error", "building the input ran one of its own hostile programs")
        return o
    if case.kind == "cli":
        o.mode = cli_mode(run.args)
    run.out = run.out or work / "out"
    o.args, o.out = run.args, run.out
    o.cache = work / "cache"
    before = {run.out, *all_entries(run.out)} if run.out.is_dir() else set()  # the input's, not auditlib's
    o.rc, o.stdout, o.stderr, o.seconds, o.timed_out = execute(run, work, timeout)
    if run.url:
        o.cache_bytes, disk = tree_bytes(o.cache) if o.cache.exists() else (0, 0)
        o.notes.append(f"clone cache {o.cache_bytes / MB:.1f} MB ({disk / MB:.1f} MB on disk)")
    judge(o, run, lab, before)
    if not keep:
        shutil.rmtree(work, ignore_errors=True)
    return o


# ============================================================================ the kill test
KILL_CHILD = r'''
import sys
from auditlib.answers import update_answers
path, i = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
while True:
    update_answers(path, "questions", "eval_set_size", i)
    update_answers(path, "questions", "named_owner", "owner " + "x" * (i % 700))
    print(i, flush=True)
    i += 1
'''
KILL_CHECK = r'''
import json, sys
from auditlib.answers import load_answers
print(json.dumps(load_answers(sys.argv[1]).model_dump(mode="json")))
'''
BASELINE = """auditor: Campaign
scores:
  security_access: 2
  testing: {score: 1, note: "no tests", reason: "checked by hand"}
checklist:
  security.secrets_manager: "no"
  product.staged_rollout: {answer: exception, note: "internal pilot only"}
questions:
  use_case_validated: true
  named_owner: "Dana Ortiz"
  eval_set_size: 0
signals:
  core_logic: refactor
"""


def load_checked(path: Path) -> dict | None:
    proc = subprocess.run([str(PYTHON), "-c", KILL_CHECK, str(path)], capture_output=True, timeout=120, check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else None


def kill_test(root: Path, kills: int, rng: random.Random) -> Outcome:
    """SIGKILL a process saving answers ``kills`` times; after each, the file must hold every saved answer."""
    o = Outcome("answers_kill_test", "kill", "kill", [f"{kills} x SIGKILL"])
    folder = root / "kill"
    folder.mkdir()
    path = folder / "answers.yaml"
    path.write_text(BASELINE)
    baseline = load_checked(path)
    if baseline is None:
        o.add("build-error", "the baseline answers file does not load")
        return o
    started, confirmed, lost = time.monotonic(), 0, 0
    for k in range(kills):
        child = subprocess.Popen([str(PYTHON), "-c", KILL_CHILD, str(path), str(confirmed + 1)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        child.stdout.readline()  # "ready": the imports are done, saves start now
        time.sleep(rng.uniform(0.0, 0.4))
        child.kill()
        out, err = child.communicate()
        if b"Traceback" in err:
            last = err.decode(errors="replace").strip().splitlines()[-1][:150]
            o.add("crash", f"kill {k + 1}: the saving process failed: {last}")
        saved = [int(line) for line in out.split() if line.isdigit()]
        confirmed = max([confirmed, *saved])
        now = load_checked(path)
        problem = None
        if now is None:
            problem = "the answers file does not load"
        else:
            q = now.get("questions") or {}
            if (q.get("eval_set_size") or 0) < confirmed:
                problem = f"eval_set_size {q.get('eval_set_size')} < last saved {confirmed}"
            for section in ("scores", "checklist", "signals"):
                if now.get(section) != baseline.get(section):
                    problem = f"{section} changed"
            if q.get("use_case_validated") is not True or now.get("auditor") != baseline.get("auditor"):
                problem = "an earlier answer is gone"
        if problem:
            lost += 1
            o.add("lost", f"kill {k + 1}: {problem}")
            path.write_text(BASELINE)  # start the next round from a sound file
            confirmed = 0
    o.seconds = time.monotonic() - started
    o.rc = 0
    strays = [p.name for p in folder.iterdir() if p.name not in ("answers.yaml", ".answers.yaml.lock")]
    o.notes.append(f"{kills} kills, last answer saved #{confirmed}, {lost} lost"
                   + (f", {len(strays)} stray temp files" if strays else ""))
    o.lost = lost
    return o


# ================================================================================= reporting
def note_for(o: Outcome) -> str:
    if o.problems:
        first = next(iter(o.problems.values()))[0]
        more = sum(len(v) for v in o.problems.values()) - 1
        return first + (f" (+{more} more)" if more else "")
    parts = list(o.notes)
    if o.rc not in (0, None) and o.kind != "kill":
        last = (o.stderr.decode("utf-8", "replace").strip().splitlines() or [""])[-1]
        parts.append(last.removeprefix("auditlib: error: ")[:110])
    return "; ".join(parts)


def summarise(outcomes: list[Outcome]) -> dict:
    runs = [o for o in outcomes if o.kind != "kill" and "build-error" not in o.problems]
    kill = next((o for o in outcomes if o.kind == "kill"), None)
    bombs = [o.cache_bytes for o in outcomes if o.name == "zip_bomb_blob" and o.cache_bytes is not None]
    leaked = set().union(*(o.leaked for o in runs)) if runs else set()
    return {
        "inputs_tried": len(runs),
        "crashes": sum("crash" in o.problems for o in runs),
        "hangs": sum("hang" in o.problems for o in runs),
        "secrets_leaked": len(leaked),
        "code_executed": sum("exec" in o.problems for o in runs),
        "answers_lost": kill.lost if kill else 0,
        "kills": int(kill.args[0].split()[0]) if kill else 0,
        "other_failures": sum("other" in o.problems for o in runs),
        "build_errors": sum("build-error" in o.problems for o in outcomes),
        "clone_cache_after_bomb_mb": round(bombs[0] / MB, 1) if bombs else None,
    }


def summary_lines(s: dict) -> list[str]:
    line = (f"inputs tried {s['inputs_tried']}, crashes {s['crashes']}, hangs {s['hangs']}, "
            f"secrets leaked {s['secrets_leaked']}, code executed {s['code_executed']}, "
            f"answers lost {s['answers_lost']}")
    extra = [f"answers kill test: {s['kills']} SIGKILLs during saves" if s["kills"] else "no answers kill test",
             f"other failures {s['other_failures']}"]
    if s["clone_cache_after_bomb_mb"] is not None:
        extra.append(f"clone cache after the bomb {s['clone_cache_after_bomb_mb']} MB")
    if s["build_errors"]:
        extra.append(f"inputs that could not be built {s['build_errors']}")
    return [line, "(" + "; ".join(extra) + ")"]


def print_row(o: Outcome, width: int) -> None:
    rc = "-" if o.rc is None else str(o.rc)
    print(f"{o.name:<{width}}  {o.mode:<9} {rc:>4} {o.seconds:7.1f}  {o.verdict:<12} {note_for(o)}", flush=True)


def as_json(o: Outcome, lab: Lab) -> dict:
    return {"input": o.name, "kind": o.kind, "mode": o.mode, "exit": o.rc, "seconds": round(o.seconds, 2),
            "verdict": o.verdict, "problems": o.problems, "notes": o.notes, "clone_cache_bytes": o.cache_bytes,
            "leaked": sorted(lab.secrets.get(s, "?") for s in o.leaked),
            "stderr_tail": [line[:300] for line in o.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]]}


# ====================================================================================== main
def main(argv: list[str] | None = None) -> int:
    global AUDITLIB
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", type=Path, help="write the table and the summary as JSON to this file")
    p.add_argument("--only", action="append", default=[], metavar="SUBSTRING",
                   help="run only the inputs whose name contains SUBSTRING (repeatable)")
    p.add_argument("--keep", action="store_true", help="keep the temp folder (inputs and outputs) and print its path")
    p.add_argument("--timeout", type=float, default=300, help="seconds per run before it counts as a hang (300)")
    p.add_argument("--kills", type=int, default=50, help="SIGKILLs in the answers kill test (50)")
    p.add_argument("--list", action="store_true", help="list the inputs and exit")
    p.add_argument("--auditlib", type=Path, default=AUDITLIB,
                   help="the auditlib executable to try (default .venv/bin/auditlib; e.g. a wrapper around an older "
                        "checkout, to see that the campaign catches defects fixed since)")
    p.add_argument("--build-only", action="store_true", help="build the inputs, run nothing (use with --keep)")
    args = p.parse_args(argv)
    AUDITLIB = args.auditlib.absolute()

    cases = REPOS + CLI + [Case("answers_kill_test", "kill", kill_test)]
    if args.only:
        cases = [c for c in cases if any(s in c.name for s in args.only)]
    if args.list:
        for c in cases:
            print(f"{c.kind:<5} {c.mode:<9} {c.name}")
        return 0
    if not AUDITLIB.exists():
        print(f"no {AUDITLIB}: run `make setup` first", file=sys.stderr)
        return 2

    root = Path(tempfile.mkdtemp(prefix="auditlib-hostile-"))
    lab = Lab(root)
    rng = random.Random()
    width = max([len(c.name) for c in cases] + [5])
    version = subprocess.run([str(AUDITLIB), "--version"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"{version}; {len(cases)} inputs; timeout {args.timeout:.0f} s; temp folder {root}", flush=True)
    print(f"{'input':<{width}}  {'mode':<9} {'exit':>4} {'seconds':>7}  {'verdict':<12} note", flush=True)
    outcomes: list[Outcome] = []
    started = time.monotonic()
    try:
        for case in cases:
            if case.kind == "kill":
                if args.build_only:
                    continue
                o = kill_test(root, args.kills, rng)
            elif args.build_only:
                work = root / "inputs" / re.sub(r"[^\w.-]", "_", case.name)
                work.mkdir(parents=True)
                lab.case = case.name
                try:
                    repo_run(case, lab, work) if case.kind == "repo" else case.build(lab, work)
                    print(f"built {case.name}", flush=True)
                except Exception as exc:  # noqa: BLE001
                    print(f"FAILED {case.name}: {type(exc).__name__}: {exc}", flush=True)
                continue
            else:
                o = run_case(case, lab, root, args.timeout, args.keep)
            outcomes.append(o)
            print_row(o, width)
    finally:
        lab.close()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if args.build_only:
        print(f"inputs kept in {root}" if args.keep else "built and removed")
        return 0
    s = summarise(outcomes)
    print()
    for line in summary_lines(s):
        print(line)
    print(f"campaign took {time.monotonic() - started:.0f} s" + (f"; inputs and outputs kept in {root}" if args.keep else ""))
    if args.json:
        args.json.write_text(json.dumps({"auditlib": version, "timeout": args.timeout, "summary": s,
                                         "summary_line": summary_lines(s)[0],
                                         "seconds": round(time.monotonic() - started, 1),
                                         "runs": [as_json(o, lab) for o in outcomes]}, indent=2) + "\n")
    failed = any(o.problems for o in outcomes)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
