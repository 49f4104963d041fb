"""Checks as small registered functions over the IR, and the value-query API they use.

Not wired into auditlib: this file shows what adding a check costs in design (b). A check is a function
registered with ``@check(rule_id, on="call")``; it receives each call site of the repository and a
``Query`` (the resolver plus helpers) and returns a finding or None. Rule metadata (severity, category,
remediation) stays in checklists/rules.yaml; fixtures stay next to the rule.

The value-query API: ``q.origins(expr, scope)`` says where a value comes from, as a set of
    literal | request | env | file | model_output | param:<name> | unknown
following names, fields, imports, returns and the repository's own calls (the resolver's steps).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .ir import (
    Arr,
    Attr,
    Bin,
    Call,
    Elem,
    Expr,
    Lit,
    Name,
    Obj,
    Param,
    Scope,
    Tmpl,
    Union,
)
from .resolve import Repo

REGISTRY: dict[str, tuple[str, Callable]] = {}


def check(rule: str, on: str = "call"):
    def deco(fn: Callable) -> Callable:
        REGISTRY[rule] = (on, fn)
        return fn
    return deco


@dataclass
class Finding:
    rule: str
    path: str
    line: int
    evidence: str


# ---------------------------------------------------------------------------------- value queries
_REQUEST = re.compile(r"^(flask|quart|fastapi|starlette)\.request\b|^streamlit\.(text_input|text_area|chat_input|"
                      r"file_uploader|number_input|selectbox)\(\)|^:(window\.location|document\.\w+)")
_ENV = re.compile(r"^os\.(environ|getenv)|^:process\.env|^(dotenv|decouple)\.|^streamlit\.secrets")
_FILE = re.compile(r"^builtins\.open\(\)|\.(read_text|read_bytes)\(\)$|^(node:)?fs(/promises)?:(default\.)?"
                   r"(readFileSync|readFile)")
_REQUEST_PARAMS = {"req", "request", "event", "ctx"}


class Query:
    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.k = repo.k

    def callee_qual(self, call: Call) -> str | None:
        """The external name a call resolves to ("requests.post", ":fetch"), if any."""
        for v in self.repo.values(call.callee, call.scope):
            if v[0] == "ext":
                return v[2]
        return None

    def origins(self, e: Expr | None, scope: Scope, depth: int = 0) -> set[str]:
        if e is None or depth > 12:
            return {"unknown"}
        if isinstance(e, Lit):
            return {"literal"}
        if isinstance(e, (Tmpl, Bin, Union, Arr, Obj)):
            parts = (e.parts if isinstance(e, Tmpl) else [e.left, e.right] if isinstance(e, Bin)
                     else e.items if isinstance(e, (Union, Arr)) else [v for _k, v in e.items])
            out: set[str] = set()
            for p in parts:
                out |= {"literal"} if isinstance(p, str) else self.origins(p, scope, depth + 1)
            return out or {"literal"}
        if isinstance(e, Param):
            if e.name in _REQUEST_PARAMS:
                return {"request"}
            got = self.repo.values(e, e.scope)
            return self.classify(got) if got else {f"param:{e.name}"}
        if isinstance(e, Name):
            s: Scope | None = scope
            while s is not None:
                if e.id in s.bindings:
                    out = set()
                    for b in s.bindings[e.id]:
                        out |= self.origins(b, s, depth + 1)
                    return out
                s = s.parent
            return self.classify(self.repo.values(e, scope))
        if isinstance(e, (Attr, Elem)):
            inner = self.origins(e.obj, scope, depth + 1)
            got = self.classify(self.repo.values(e, scope))
            return (got - {"unknown"}) | (inner if inner & {"request", "env", "file", "model_output"} else set()) \
                or got or inner
        if isinstance(e, Call):
            got = self.classify(self.repo.values(e, scope))
            if got - {"unknown"}:
                return got
            if isinstance(e.callee, Attr):  # req.json(), body.get("x"), text.strip()
                return self.origins(e.callee.obj, scope, depth + 1)
            return got
        return {"unknown"}

    def classify(self, vals) -> set[str]:
        out = set()
        for v in vals:
            if v[0] == "str":
                out.add("literal")
            elif v[0] == "out":
                out.add("model_output")
            elif v[0] == "ext":
                q = v[2]
                out.add("request" if _REQUEST.search(q) else "env" if _ENV.search(q)
                        else "file" if _FILE.search(q) else "unknown")
        return out or {"unknown"}


# ------------------------------------------------------------------------------------- the check
_HTTP_ANY = re.compile(r"^(requests|httpx)\.(get|post|put|patch|delete|head|request|stream)$|"
                       r"^(requests\.Session\(\)|httpx\.(Async)?Client\(\)|aiohttp\.ClientSession\(\))\.\w+$|"
                       r"^:fetch$|^axios:default(\.(get|post|put|patch|delete|request))?$")


@check("http.call_without_timeout")
def http_call_without_timeout(call: Call, q: Query) -> Finding | None:
    """An HTTP request (requests, httpx, aiohttp, fetch, axios) that nothing bounds in time."""
    qual = q.callee_qual(call)
    if qual is None or not _HTTP_ANY.search(qual):
        return None
    if {"timeout", "signal"} & set(call.options()):       # timeout=10, {signal: AbortSignal.timeout(5000)}
        return None
    client = call.callee.obj if isinstance(call.callee, Attr) else None
    if client is not None and any(isinstance(b, Call) and "timeout" in b.options()
                                  for b in _bindings_of(client, call.scope)):  # httpx.Client(timeout=...)
        return None
    where = "request data" if "request" in q.origins(call.args[0] if call.args else None, call.scope) else ""
    return Finding("http.call_without_timeout", call.scope.module.path, call.line,
                   f"{qual} without a timeout" + (f" (URL from {where})" if where else ""))


def _bindings_of(e: Expr, scope: Scope) -> Iterator[Expr]:
    if isinstance(e, Name):
        s: Scope | None = scope
        while s is not None:
            if e.id in s.bindings:
                yield from s.bindings[e.id]
                return
            s = s.parent


def run_checks(repo: Repo, rules: list[str] | None = None) -> list[Finding]:
    q = Query(repo)
    out = []
    for rule, (on, fn) in REGISTRY.items():
        if rules and rule not in rules or on != "call":
            continue
        for mod in repo.modules.values():
            for call in mod.calls:
                f = fn(call, q)
                if f is not None:
                    out.append(f)
    return out
