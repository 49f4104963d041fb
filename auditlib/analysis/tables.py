"""The web, database, logging and SDK tables of checklists/web.yaml, and the small IR helpers the fact
builders share (``web``, ``sql``, ``layers``): an expression's dotted text, a string literal, the name
bindings of a scope."""

from __future__ import annotations

import functools
import itertools
import re
from pathlib import Path
from types import SimpleNamespace

import yaml

from .ir import Arr, Attr, Call, Expr, Lit, Name, Obj, Scope, Tmpl, Union
from ..rubric import DEFAULT_RUBRIC_DIR

WEB_FILE = DEFAULT_RUBRIC_DIR / "web.yaml"
"""The web/database/SDK knowledge table shipped with the rubric."""

_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


class Tables:
    """checklists/web.yaml, with its lists as frozensets and its patterns compiled."""

    def __init__(self, data: dict) -> None:
        self.sdks_py: dict[str, str] = data["sdks"]["python"]
        self.sdks_js: dict[str, str] = data["sdks"]["js"]
        self.js_local_prefixes = tuple(data["js_local_prefixes"])
        self.py = _namespace(data["python"])
        self.js = _namespace(data["js"])
        auth = data["auth"]
        self.auth_words = frozenset(auth["words"])
        self.auth_pairs = frozenset(tuple(p) for p in auth["pairs"])
        self.auth = _namespace({k: v for k, v in auth.items() if k not in {"words", "pairs"}})

    def lang(self, lang: str) -> SimpleNamespace:
        return self.py if lang == "python" else self.js


def _namespace(section: dict) -> SimpleNamespace:
    out = {}
    for key, value in section.items():
        if isinstance(value, list):
            value = frozenset(value)
        elif isinstance(value, str) and (key.startswith("next_") or key in {"sql_words", "router_values"}):
            value = re.compile(value, re.IGNORECASE if key == "sql_words" else 0)
        out[key] = value
    return SimpleNamespace(**out)


@functools.cache
def tables(path: Path | None = None) -> Tables:
    return Tables(yaml.safe_load((path or WEB_FILE).read_text(encoding="utf-8")))


# ------------------------------------------------------------------------------------------- helpers
def is_auth_text(text: str) -> bool:
    """Named like authentication: requireAuth, passport.authenticate, getServerSession, jwt.verify."""
    t = tables()
    words = [w.lower() for w in _WORD.findall(text)]
    return any(w in t.auth_words for w in words) or any(p in t.auth_pairs for p in itertools.pairwise(words))


def dotted(e: Expr | None, depth: int = 0) -> str:
    """A callee as written, ``()`` for intermediate calls: ``OpenAI().chat.create``."""
    if e is None or depth > 20:
        return "?"
    if isinstance(e, Name):
        return e.id
    if isinstance(e, Attr):
        return f"{dotted(e.obj, depth + 1)}.{e.name}"
    if isinstance(e, Call):
        return f"{dotted(e.callee, depth + 1)}()"
    return "(...)"


def render(e: Expr | None, depth: int = 0) -> str:
    """An argument as text, deep enough to read the names in it (``passport.authenticate("jwt")``,
    ``{ preHandler: [fastify.authenticate] }``)."""
    if e is None or depth > 4:
        return ""
    if isinstance(e, (Name, Attr)) or (isinstance(e, Call) and depth > 3):
        return dotted(e)
    if isinstance(e, Call):
        return f"{render(e.callee, depth + 1)}({', '.join(render(a, depth + 1) for a in e.args[:6])})"
    if isinstance(e, Lit):
        return e.value if isinstance(e.value, str) else ""
    if isinstance(e, (Arr, Union)):
        return "[" + ", ".join(render(x, depth + 1) for x in e.items[:8]) + "]"
    if isinstance(e, Obj):
        return "{" + ", ".join(f"{k or '...'}: {render(v, depth + 1)}" for k, v in e.items[:8]) + "}"
    return ""


def last_name(e: Expr | None) -> str:
    if isinstance(e, Attr):
        return e.name
    if isinstance(e, Name):
        return e.id
    return ""


def literal(e: Expr | None) -> str | None:
    """The text of a string literal (or a template without substitutions), else None."""
    if isinstance(e, Lit) and isinstance(e.value, str):
        return e.value
    if isinstance(e, Tmpl) and all(isinstance(p, str) for p in e.parts):
        return "".join(e.parts)
    return None


def bindings(name: str, scope: Scope) -> tuple[Scope, list[Expr]] | None:
    """The nearest scope binding ``name`` (class bodies only for their own code) and its expressions."""
    s: Scope | None = scope
    first = True
    while s is not None:
        if (s.kind != "class" or first) and name in s.bindings:
            return s, s.bindings[name]
        first = False
        s = s.parent
    return None
