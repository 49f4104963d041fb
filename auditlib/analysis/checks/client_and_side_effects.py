"""Checks that only the browser enforces, and side effects a retry repeats (issue 11: C002, C060).

- ``architecture.role_check_client_only`` (C002): browser code of a JS/TS front end compares the user's
  role or reads an admin flag (``user.role === "admin"``, ``isAdmin``, ``hasRole(...)``) to show or hide
  admin UI or actions, and no server code of the repository checks a role at all: no role comparison or
  admin guard in a route handler, server action, middleware or Python back end, no row-level-security
  policy or Firebase rule naming a role. One finding per repository, at the first client check, naming
  the other files. Anyone can call the server directly, so a role checked only in the browser is no
  check.
- ``integration.no_idempotency_key`` (C060): a payment-provider call that charges or moves money
  (``stripe.PaymentIntent.create``, ``stripe.charges.create``, refunds, transfers...) with no idempotency
  key (Python ``idempotency_key=``, JS a second argument with ``idempotencyKey``), in code that is not
  browser code: a client retry, a double click or a timed-out request sent again charges twice. A
  Checkout session is lower (nothing is charged until the customer completes it).

What a role check looks like, which files run where, and the provider's methods are data:
checklists/client_and_side_effects.yaml.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from ...collect.roles import file_role
from ...models import RuleHit, Severity
from ..ir import Call, Module, Obj
from ..irtools import last_name, may_be_external
from ..query import Query
from ..tables import yaml_knowledge
from ..uses import is_server_code
from . import check
from .web_security import source

ROLE = "architecture.role_check_client_only"
IDEMPOTENCY = "integration.no_idempotency_key"

_COMMENT = re.compile(r"^\s*(#|//|/\*|\*|\{/\*|--)")
_CONDITION = re.compile(r"\bif\s*\(|&&|\|\||\?|!|==|\breturn\b|\bdisabled\b|\bhidden\b")
"""A flag read where it decides something (a condition, a guard, a rendered-or-not expression), not where
it is declared or passed on."""


class Knowledge:
    """checklists/client_and_side_effects.yaml, compiled."""

    def __init__(self, d: dict[str, Any]) -> None:
        r = d["role_checks"]
        p = str(r["privileged"])
        self.compare = [re.compile(str(x).replace("{p}", p)) for x in r["compare"]]
        self.flags = re.compile(r["flags"])
        self.server_flags = re.compile(r["server_flags"])
        self.server_paths = re.compile(r["server_paths"])
        self.server_markers = re.compile(r["server_markers"], re.M)
        self.client_marker = re.compile(r["client_marker"], re.M)
        self.client_suffixes = tuple(r["client_suffixes"])
        self.client_imports = re.compile(r["client_imports"])
        self.next_app_dir, self.next_imports = re.compile(r["next_app_dir"]), re.compile(r["next_imports"])
        self.policy_files, self.policy_checks = re.compile(r["policy_files"]), re.compile(r["policy_checks"])
        self.prefilter = tuple(str(w).lower() for w in r["prefilter_words"])
        """A module whose lower-cased text holds none of these words holds no role check, client or server."""
        pay = d["payments"]
        self.pay_keys = {lang: str(pay[lang]["key"]) for lang in ("python", "js")}
        self.pay_calls = {lang: [(re.compile(e["match"]), str(e["what"]), str(e["severity"]))
                                 for e in pay[lang]["calls"]] for lang in ("python", "js")}


def knowledge() -> Knowledge:
    return yaml_knowledge("client_and_side_effects.yaml", Knowledge)  # chosen once per analysis (tables.refresh)


def _code_lines(text: str) -> Iterator[tuple[int, str]]:
    for n, row in enumerate(text.splitlines(), 1):
        if not _COMMENT.match(row):
            yield n, row


# ======================================================================= architecture.role_check_client_only
def _side(q: Query, mod: Module, text: str, k: Knowledge, next_app: bool) -> str:
    """"client", "server" or "" (neither: a shared helper, a script) for a parsed module."""
    if mod.lang == "python":
        return "server"
    if "use client" in mod.directives or k.client_marker.search(text):
        return "client"
    if ("use server" in mod.directives or k.server_markers.search(text) or k.server_paths.search(mod.path)
            or is_server_code(q, mod)):
        return "server"
    if mod.path.endswith(k.client_suffixes) or any(k.client_imports.search(i) for i in mod.imports):
        if next_app and k.next_app_dir.search(mod.path):
            return "server"  # an app-router component without "use client": a server component
        return "client"
    return ""


def _client_checks(text: str, k: Knowledge) -> list[tuple[int, str]]:
    out = []
    for n, row in _code_lines(text):
        m = next((m for rx in k.compare if (m := rx.search(row))), None)
        if m is None and (f := k.flags.search(row)) and _CONDITION.search(row):
            m = f
        if m:
            out.append((n, m.group(0)))
    return out


def _server_checks(text: str, k: Knowledge) -> bool:
    return any(rx.search(row) for _n, row in _code_lines(text) for rx in (*k.compare, k.server_flags))


def _role_sites(q: Query) -> tuple[list[tuple[str, int, str]], bool]:
    """(client role checks as (path, line, text), whether any server-side role check exists)."""
    memo = q.__dict__.setdefault("_client_side_effects_memo", {})
    got: tuple[list[tuple[str, int, str]], bool] | None = memo.get(ROLE)
    if got is not None:
        return got
    k = knowledge()
    mods = [m for m in q.parsed_modules() if file_role(m.path) not in {"test", "docs", "vendored", "generated"}]
    next_app = any(k.next_imports.search(i) for m in mods if m.lang == "js" for i in m.imports)
    client: list[tuple[str, int, str]] = []
    server = shared = False
    for mod in sorted(mods, key=lambda m: m.path):
        text = source(q, mod.path) or ""
        low = text.lower()
        if not any(w in low for w in k.prefilter):
            continue  # no role check of either side in this module (most modules: a cheap substring test)
        side = _side(q, mod, text, k, next_app)
        if side == "server":
            server = server or _server_checks(text, k)
        elif side == "client" and file_role(mod.path) == "app":
            client.extend((mod.path, n, what) for n, what in _client_checks(text, k))
        elif not side:
            shared = shared or _server_checks(text, k)
    # a helper that is neither a component nor server code (lib/auth.ts) may be what the server calls;
    # in a front end with no server code at all it runs in the browser too
    if client and not server and shared:
        server = any(_side(q, m, source(q, m.path) or "", k, next_app) == "server" for m in mods)
    if not server and q.files is not None:
        for f in q.files.files:
            if k.policy_files.search(f.path) and file_role(f.path) not in {"test", "docs", "vendored"}:
                code = "\n".join(row for _n, row in _code_lines(q.files.read_text(f.path) or ""))
                if k.policy_checks.search(code):
                    server = True
                    break
    got = memo[ROLE] = (client, server)
    return got


@check(ROLE, on="module", roles={"app"}, languages=("js",))
def role_check_client_only(mod: Module, q: Query) -> Iterator[RuleHit]:
    """Role or admin checks in browser code, and none on the server: one finding per repository."""
    if mod.lang != "js":
        return
    client, server = _role_sites(q)
    if server or not client or client[0][0] != mod.path:
        return
    path, line, what = client[0]
    others = sorted({p for p, _l, _w in client if p != path})
    more = (f"; also in {len(others)} other browser file{'s' if len(others) > 1 else ''}: "
            f"{', '.join(posixpath.basename(o) for o in others[:4])}{'...' if len(others) > 4 else ''}") if others else ""
    yield RuleHit(rule=ROLE, title="Role checks only in client code",
                  evidence=f"`{what.strip()}` in browser code decides what an admin may see or do{more}; no route "
                           "handler, server action, middleware, back end or database policy of the repository checks "
                           "a role, so anyone who calls the server directly gets what the UI hides",
                  path=path, line=line)


# ======================================================================= integration.no_idempotency_key
_PAY_WORDS = frozenset({"create", "pay"})


@check(IDEMPOTENCY, on="call", roles={"app"}, names=lambda q: _PAY_WORDS)
def no_idempotency_key(call: Call, q: Query) -> RuleHit | None:
    """A payment-provider create that charges or moves money without an idempotency key."""
    name = last_name(call.callee)
    if name not in _PAY_WORDS or not may_be_external(call.callee, call.scope):
        return None
    mod = call.scope.module
    k = knowledge()
    quals = q.quals(call.callee, call.scope)
    found = next(((what, sev) for rx, what, sev in k.pay_calls[mod.lang] for x in quals if rx.search(x)), None)
    if found is None:
        return None
    text = source(q, mod.path) or ""
    if "use client" in mod.directives or k.client_marker.search(text):
        return None  # a secret-key SDK call in browser code is another finding (and never runs)
    key = k.pay_keys[mod.lang]
    if mod.lang == "python":
        if key in call.kwargs or any(n.startswith("*") for n in call.kwargs) or len(call.args) > 1:
            return None
        opts = call.kwargs.get("options")
        if opts is not None:
            return None  # StripeClient's request options: not read
    else:
        if len(call.args) > 1:
            second = call.args[1]
            vals = q.bound_values(second, call.scope)
            if not vals or not all(isinstance(v, Obj) for v in vals):
                return None  # options not readable whole
            if any(key_ == key or key_ is None for v in vals if isinstance(v, Obj) for key_, _ in v.items):
                return None
    # the key may be set where the call is written across lines (a helper that adds it): read the call's text
    rows = text.splitlines()[max(call.line - 1, 0):max(call.end_line, call.line)]
    cut = "#" if mod.lang == "python" else "//"
    if any(key in r or "idempoten" in r.lower() for r in (row.split(cut, 1)[0] for row in rows)):
        return None
    what, sev = found
    severity: Severity = "low" if sev == "low" else "medium"
    consequence = ("a retried request or a double click opens a second session the customer may pay"
                   if sev == "low" else "a retried request, a double click or a timed-out call sent again "
                   "moves the money twice")
    return RuleHit(rule=IDEMPOTENCY, title="Payment created without an idempotency key",
                   evidence=f"{call.text}() creates {what} with no {key}: {consequence}; Stripe replays the first "
                            "result for a repeated key", path=mod.path, line=call.line, severity=severity)
