"""How data flows through a request (issue 11): a query per row (N+1), and a request body used with no schema.

- ``performance.n_plus_one_query`` (C038): in code that runs per request (a route handler or a function it
  calls), an ORM query (SQLAlchemy ``session.query/execute/get``, Flask-SQLAlchemy ``Model.query``, Django
  ``Model.objects``, Prisma, Mongoose, Sequelize, Supabase...) inside a loop over the rows of another query
  (``for``, ``while``, ``.map`` / ``.forEach`` callbacks), or awaited inside a ``for`` loop. One finding per
  loop. A batched inner query (``in_``, ``{in: ids}``), a paging loop (``skip``, ``offset``, ``cursor``) and
  an outer query that loads the related rows with it (``selectinload``, ``select_related``,
  ``prefetch_related``, Prisma ``include``) are not reported; nor are scripts and seeds (not per request);
- ``validation.body_without_schema`` (C029, per handler): a Flask / Quart / Express / Next.js handler that
  reads fields of the request body and passes them to a database write, a model call or an outbound
  request, with no schema validation (pydantic, marshmallow, zod, joi, yup, express-validator, ajv...) in
  the handler or in the functions it hands the body to. FastAPI's typed body parameters are validated by
  the framework: not looked at.

What the queries, receivers, loops and validators are is data: checklists/data_flow.yaml (the ORM
packages and query words are data_layer.yaml's ``lists``, reused).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ...models import RuleHit
from ..ir import Arr, Attr, Call, Expr, Fn, Lit, Module, Name, Obj, Scope
from ..irtools import children, dotted, function_scope, last_name, scopes_in, walk
from ..query import Query
from ..tables import yaml_knowledge
from ..web import handler_scopes
from . import check
from .data_layer import _chain
from .data_layer import knowledge as data_layer_knowledge
from .web_security import source

N_PLUS_ONE = "performance.n_plus_one_query"
BODY = "validation.body_without_schema"


# ------------------------------------------------------------------------------------- knowledge
class Knowledge:
    """checklists/data_flow.yaml, compiled."""

    def __init__(self, d: dict[str, Any]) -> None:
        n = d["n_plus_one"]
        self.py_methods = frozenset(n["python_methods"])
        self.py_session_methods = frozenset(n["python_session_methods"])
        self.py_receivers = re.compile(n["python_receivers"])
        self.py_model_roots = re.compile(n["python_model_roots"])
        self.js_methods = frozenset(n["js_methods"])
        self.batched, self.eager = re.compile(n["batched"]), re.compile(n["eager"])
        self.for_line = {lang: re.compile(p) for lang, p in n["for_line"].items()}
        self.callbacks = frozenset(n["callbacks"])
        self.seeds = re.compile(n["seeds"])
        b = d["body"]
        self.frameworks = frozenset(b["frameworks"])
        self.py_body = re.compile(b["python_body"])
        self.js_body = re.compile(b["js_body"])
        self.py_writes, self.js_writes = frozenset(b["python_writes"]), frozenset(b["js_writes"])
        self.py_write_receivers = re.compile(b["python_write_receivers"])
        self.http = re.compile(b["outbound"])
        self.own_backend = re.compile(b["own_backend"])
        self.validators = {lang: re.compile(p) for lang, p in b["validators"].items()}


def knowledge() -> Knowledge:
    return yaml_knowledge("data_flow.yaml", Knowledge)  # chosen once per analysis (tables.refresh)


def _line(q: Query, path: str, line: int) -> str:
    text = source(q, path)
    if text is None:
        return ""
    rows = text.splitlines()
    return rows[line - 1] if 0 < line <= len(rows) else ""


def _text(q: Query, path: str, start: int, end: int) -> str:
    text = source(q, path)
    if text is None:
        return ""
    return "\n".join(text.splitlines()[max(start - 1, 0):max(end, start)])


# ======================================================================= performance.n_plus_one_query
def _is_query(call: Call, q: Query, k: Knowledge) -> bool:
    """An ORM / database query (a read): the outermost call of its chain is not required."""
    if not isinstance(call.callee, Attr):
        return False
    name = call.callee.name
    if call.scope.module.lang == "python":
        if name not in k.py_methods:
            return False
        chain = _chain(call)
        if len(chain) >= 3 and chain[-1][:1].isupper() and k.py_model_roots.match(chain[-2]):
            return True  # User.query.filter_by(...).first(), User.objects.get(...)
        for i, m in enumerate(chain[:-1]):
            if m not in k.py_session_methods:
                continue
            if not k.py_receivers.search(".".join(reversed(chain[i + 1:]))):
                continue
            if m == "get":  # session.get(User, id), never Flask's session.get("user_id")
                if i != 0 or not call.args or not isinstance(call.args[0], Name):
                    return False
                arg = call.args[0].id
                return arg[:1].isupper() and not arg.isupper()
            return True
        return False
    if name not in k.js_methods:
        return False
    if name == "find" and not (call.args and isinstance(call.args[0], Obj)):
        return False  # Array.prototype.find(callback)
    roots = data_layer_knowledge().js_query_roots
    return any(roots.search(x) for x in q.quals(call.callee, call.scope))


def _words(call: Call) -> set[str]:
    """The method names of a query chain and the keys and attribute names of its arguments."""
    out = set(_chain(call))
    e: Expr = call
    for _ in range(16):
        if isinstance(e, Call):
            for x in walk([*e.args, *e.kwargs.values()], limit=200):
                if isinstance(x, Attr):
                    out.add(x.name)
                elif isinstance(x, Name):
                    out.add(x.id)
                elif isinstance(x, Call):
                    out |= set(x.options())
                    out.add(last_name(x.callee))
                elif isinstance(x, Obj):
                    out |= {key for key, _v in x.items if key}
            out |= set(e.kwargs)
            e = e.callee
        elif isinstance(e, Attr):
            e = e.obj
        else:
            break
    return out


def _rows_query(e: Expr | None, scope: Scope, q: Query, k: Knowledge) -> Call | None:
    """The query whose rows ``e`` holds (directly, through a local name, two hops), or None."""
    if e is None:
        return None
    todo: list[Expr] = [e]
    seen: set[int] = set()
    for _ in range(3):
        nxt: list[Expr] = []
        for root in todo:
            for x in walk(root, limit=120):
                if id(x) in seen:
                    continue
                seen.add(id(x))
                if isinstance(x, Call) and _is_query(x, q, k):
                    return x
                if isinstance(x, Name):
                    nxt += [b for b in q.bindings_of(x, scope) if not isinstance(b, Fn)]
        todo = nxt
    return None


def _awaited(call: Call, q: Query) -> bool:
    return bool(re.search(r"\bawait\b", _line(q, call.scope.module.path, call.line)))


def _loop(call: Call, q: Query, k: Knowledge) -> tuple[int, str, Call | None, Scope] | None:
    """The loop that runs ``call`` once per item: (its line, how, the outer query, the function it is in)."""
    mod = call.scope.module
    fs = function_scope(call.scope)
    if fs is None:
        return None
    for g in reversed(call.guards):
        if g.kind != "loop":
            continue
        is_for = bool(k.for_line[mod.lang].search(_line(q, mod.path, g.line)))
        outer = _rows_query(g.test, call.scope, q, k)
        if outer is not None and outer is not call:
            return g.line, "for" if is_for else "while", outer, fs
        if is_for and not g.retry and _awaited(call, q) and g.test is not None and not isinstance(g.test, (Arr, Lit)):
            if not any(isinstance(v, (Arr, Lit)) for v in q.bound_values(g.test, call.scope)):
                return g.line, "for", None, fs
    # a callback: rows.map(async (r) => prisma.x.findUnique(...))
    s: Scope | None = fs
    for _ in range(3):
        if s is None or s.parent is None:
            return None
        parent = s.parent
        for c in parent.calls:
            if not isinstance(c.callee, Attr) or c.callee.name not in k.callbacks:
                continue
            if not any(isinstance(a, Fn) and a.scope is s for a in c.args):
                continue
            outer = _rows_query(c.callee.obj, parent, q, k)
            host = function_scope(parent)
            if outer is not None and host is not None:
                return c.line, f".{c.callee.name}()", outer, host
            if host is not None:  # a callback of a callback, or in a loop of its own
                for g in reversed(c.guards):
                    if g.kind == "loop":
                        outer = _rows_query(g.test, parent, q, k)
                        if outer is not None:
                            return g.line, "for", outer, host
        s = function_scope(parent)
    return None


@check(N_PLUS_ONE, on="module", roles={"app"})
def n_plus_one_query(mod: Module, q: Query) -> Iterator[RuleHit]:
    """An ORM query run once per row of another query (or awaited once per item of a ``for`` loop), in
    code that runs per request."""
    from .runtime import per_request

    k = knowledge()
    reached: dict[int, str] | None = None
    seen: set[tuple[int, int]] = set()
    names, present = q.call_names(mod)  # a query's method name is its callee's last name
    methods = k.py_methods if mod.lang == "python" else k.js_methods
    if methods.isdisjoint(present):
        return
    for call, name in zip(mod.calls, names, strict=True):
        if name not in methods or not _is_query(call, q, k):
            continue
        found = _loop(call, q, k)
        if found is None:
            continue
        line, how, outer, fs = found
        if (id(fs), line) in seen:
            continue
        if reached is None:
            reached = per_request(q)
        where = reached.get(id(fs))
        if where is None or k.seeds.search(fs.name) or k.seeds.search(where):
            continue  # a seed or a one-off load behind a route (POST /loadDb): not the request path
        if any(k.batched.match(w) for w in _words(call)):
            continue
        if outer is not None and any(k.eager.match(w) for w in _words(outer)):
            continue
        seen.add((id(fs), line))
        inner = dotted(call.callee)
        if outer is not None:
            over = f"the rows of {dotted(outer.callee)}() (line {outer.line})"
        else:
            over = f"each item of the loop at line {line}"
        where = re.sub(r"^(called from )+", "called from ", where)
        yield RuleHit(rule=N_PLUS_ONE, title="N+1 queries",
                      evidence=f"{where}: {inner}() runs once per item of a {how} loop over {over}: one query "
                      "per row, so the request's time grows with the data; fetch the related rows in one query "
                      "(IN / eager loading)", path=mod.path, line=call.line)


# ======================================================================= validation.body_without_schema
def _sink(call: Call, q: Query, k: Knowledge) -> str | None:
    """What ``call`` does with what it is given: "a model call", "an outbound request", "a database write"."""
    if q.site(call) is not None:
        return "a model call"
    qual = q.callee_qual(call) or ""
    if k.http.search(qual):
        return None if _own_backend(call, q, k) else "an outbound request"
    if not isinstance(call.callee, Attr):
        return None
    name = call.callee.name
    if call.scope.module.lang == "python":
        if name in k.py_writes and k.py_write_receivers.search(dotted(call.callee.obj)):
            if name == "execute" and not re.match(r"(?is)\s*[\"']*\s*(insert|update|delete|replace|upsert)",
                                                  _text(q, call.scope.module.path, call.line, call.end_line)
                                                  .split("execute(", 1)[-1].lstrip("(f\"' ")):
                return None  # a read (SELECT) or a statement built elsewhere
            return "a database write"
        return None
    if name in k.js_writes:
        roots = data_layer_knowledge().js_query_roots
        if any(roots.search(x) for x in q.quals(call.callee, call.scope)):
            return "a database write"
    return None


_BODY_PATH = re.compile(r"^(req|request|ctx\.request)\.(body|json\(\)|get_json\(\)|json|form|data)(\.|\[|$)")


def _own_backend(call: Call, q: Query, k: Knowledge) -> bool:
    """The request goes to the app's own backend (a Next.js route proxying to its API server, which
    validates): a URL named like one or defaulting to localhost."""
    url = call.args[0] if call.args else call.kwargs.get("url")
    if url is None:
        return False
    for x in walk(url, limit=60):
        if isinstance(x, Name):
            if k.own_backend.search(x.id):
                return True
            for b in q.bindings_of(x, call.scope):
                if any(isinstance(v, Lit) and isinstance(v.value, str) and k.own_backend.search(v.value)
                       for v in walk(b, limit=40)):
                    return True
    return False


def _from_body(call: Call, q: Query, k: Knowledge) -> bool:
    """Whether an argument of ``call`` holds a field of the request body: ``req.body.x``, ``(await
    req.json()).x``, ``request.get_json()["x"]``, directly or through local names (three hops), or an object
    or a text built from one (``Note(title=data["title"])``, ``prompt(animal)``). The result of a query or
    a request made with a body field (a row looked up by ``body.chatId``) is not the body."""
    todo: list[Expr] = [*call.args, *call.kwargs.values()]
    seen: set[int] = set()
    for _ in range(4):
        nxt: list[Expr] = []
        stack = list(todo)
        n = 0
        while stack and n < 400:
            x = stack.pop()
            if x is None or id(x) in seen:
                continue
            seen.add(id(x))
            n += 1
            if isinstance(x, (Attr, Call)) and _BODY_PATH.match(dotted(x)):
                return True
            if isinstance(x, Name):
                nxt += [b for b in q.bindings_of(x, call.scope) if not isinstance(b, Fn)]
            elif isinstance(x, Call) and x is not call and (last_name(x.callee) in k.js_methods or _is_query(x, q, k)
                                                            or _sink(x, q, k) is not None):
                stack.append(x.callee)  # what the query returns is a row, not the body
            else:
                stack.extend(children(x))
        todo = nxt
    return False


def _helpers(fs: Scope, q: Query, k: Knowledge) -> list[tuple[Call, Scope]]:
    """The repository's functions the handler calls with request data: (the call, the function)."""
    out: list[tuple[Call, Scope]] = []
    for s in scopes_in(fs):
        for c in s.calls:
            if not _from_body(c, q, k):
                continue
            for v in q.repo.values(c.callee, c.scope):
                if v[0] == "fn" and isinstance(v[1], Scope) and v[1] is not fs:
                    out.append((c, v[1]))
    return out


@check(BODY, on="module", roles={"app"})
def body_without_schema(mod: Module, q: Query) -> Iterator[RuleHit]:
    """A Flask / Quart / Express / Next.js handler passes request-body fields to a database write, a model
    call or an outbound request with no schema validation in it or the functions it hands them to."""
    k = knowledge()
    body = k.py_body if mod.lang == "python" else k.js_body
    if mod.lang == "python" and any(i.split(".", 1)[0] == "fastapi" for i in mod.imports):
        return
    for _sid, (fs, ep) in sorted(handler_scopes(q).items(), key=lambda x: x[1][0].line):
        if fs.module is not mod or ep.framework not in k.frameworks:
            continue
        text = _text(q, mod.path, fs.line, fs.end_line or fs.line)
        if not body.search(text):
            continue
        validators = k.validators[mod.lang]
        if validators.search(text) or validators.search(_line(q, mod.path, ep.line)):
            continue
        found: tuple[Call, str] | None = None
        for s in scopes_in(fs):
            for c in s.calls:
                if found is not None and c.line >= found[0].line:
                    continue
                what = _sink(c, q, k)
                if what is not None and _from_body(c, q, k):
                    found = (c, what)
        helpers = _helpers(fs, q, k)
        if found is None:
            for c, h in helpers:
                for hc in h.calls:
                    what = _sink(hc, q, k)
                    if what is not None:
                        found = (c, f"{what} in {h.name}()")
                        break
                if found:
                    break
        if found is None:
            continue
        if any(validators.search(_text(q, h.module.path, h.line, h.end_line or h.line)) for _c, h in helpers):
            continue
        call, what = found
        route = f"{ep.method + ' ' if ep.method else ''}{ep.route or ep.function}"
        yield RuleHit(rule=BODY, title="Request body used without a schema",
                      evidence=f"{route} reads the request body and passes it to {what} ({dotted(call.callee)}() at "
                      f"line {call.line}) with no schema validation (pydantic, marshmallow, zod, joi...): a missing, "
                      "mistyped or oversized field reaches it as sent", path=mod.path, line=call.line)
