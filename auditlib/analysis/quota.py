"""Hand-written quotas: a request refused when a count passes a limit (issue 9, rate limiting without
a library).

The shape, from the IR: a call under an ``if`` whose test compares a count with a limit
(``messageCount > entitlements[userType].maxMessagesPerDay``, ``used >= MAX_REQUESTS``) and that refuses
the request: a 429 status anywhere in the call, or a message or error code that says so
(``new ChatSDKError("rate_limit:chat")``, ``HTTPException(429, "Too many requests")``); the text counts
in server code only (``uses.is_server_code``), where a refused call answers a request. The words of a
count, a limit and a refusal are data: ``quota`` of checklists/platforms.yaml.

A comparison of a length (``messages.length > MAX_MESSAGES``, ``len(text) > LIMIT``) checks the size of
one request, not a quota over time, and does not count.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from ..models import QuotaCheck
from ..rubric import knowledge_file, read_knowledge
from .ir import Attr, Call, Cmp, Expr, Lit, Name, Tmpl
from .irtools import last_name, render, walk
from .llm_flow import words
from .query import Query
from .uses import is_server_code

ORDERING = {"<", "<=", ">", ">="}
SIZES = {"length", "len", "size"}
"""A side that measures the size of a value (``x.length``, ``len(x)``): one request's size, not a quota."""


class QuotaWords:
    def __init__(self, data: dict[str, Any]) -> None:
        q = data.get("quota") or {}
        self.count = frozenset(q.get("count") or ())
        self.limit = frozenset(q.get("limit") or ())
        self.refusal = re.compile(q.get("refusal") or r"(?!)")
        self.status = q.get("status", 429)


@functools.cache
def _load(path: Path) -> QuotaWords:
    return QuotaWords(read_knowledge(path) or {})


def quota_words() -> QuotaWords:
    return _load(knowledge_file("platforms.yaml"))


def _names(e: Expr) -> list[str]:
    """The words of the names an expression reads (``entitlements[userType].maxMessagesPerDay``: entitlements,
    user, type, max, messages, per, day); empty for a side that measures a size."""
    out: list[str] = []
    for x in walk(e, 50):
        if isinstance(x, Name):
            out += words(x.id)
        elif isinstance(x, Attr):
            out += words(x.name)
        elif isinstance(x, Call):
            out += words(last_name(x.callee))
    return [] if SIZES & set(out) else out


def _compares_count_with_limit(test: Expr | None, k: QuotaWords) -> Cmp | None:
    for x in walk(test, 100) if test is not None else ():
        if isinstance(x, Cmp) and x.op in ORDERING:
            left, right = set(_names(x.left)), set(_names(x.right))
            if (left & k.count and right & k.limit) or (right & k.count and left & k.limit):
                return x
    return None


def _refuses(call: Call, k: QuotaWords, server: bool) -> str | None:
    """What in ``call`` says the request is refused: ``429``, or (in server code) the refusing text."""
    for x in walk([call, *call.args, *call.kwargs.values()], 200):
        if isinstance(x, Lit):
            if x.value == k.status or x.value == str(k.status):
                return f"status {k.status}"
            if server and isinstance(x.value, str) and k.refusal.search(x.value):
                return repr(x.value[:60])
        elif server and isinstance(x, Tmpl):
            text = "".join(p for p in x.parts if isinstance(p, str))
            if k.refusal.search(text):
                return repr(text[:60])
    return None


def quota_checks(q: Query) -> list[QuotaCheck]:
    """Every hand-written quota of the repository (see the module's docstring), one per guarded refusal."""
    k = quota_words()
    out: dict[tuple[str, int], QuotaCheck] = {}
    compared: dict[int, Cmp | None] = {}  # id(guard) -> its comparison: every call under one `if` shares it
    for mod in q.parsed_modules():
        for c in mod.calls:
            for g in reversed(c.guards):
                if g.kind != "if":
                    continue
                if id(g) not in compared:
                    compared[id(g)] = _compares_count_with_limit(g.test, k)
                cmp = compared[id(g)]
                if cmp is None:
                    continue
                why = _refuses(c, k, is_server_code(q, mod))
                if why is None:
                    continue
                out.setdefault((mod.path, g.line), QuotaCheck(
                    path=mod.path, line=g.line, function=q.function_name(c.scope),
                    detail=f"if {render(cmp.left)} {cmp.op} {render(cmp.right)}: {render(c.callee)}(...) "
                           f"refuses the request ({why})"[:200]))
                break
    return sorted(out.values(), key=lambda s: (s.path, s.line))

