"""Authorisation (issue 11): who may touch which rows, and what of a model request the caller chooses.

- ``architecture.lookup_without_ownership`` (IDOR): in an authenticated handler, or a Next.js server
  action, an id the caller sends reaches a single-row lookup, update or delete (``Model.query.get``,
  ``session.get``, ``filter_by(id=)``, ``objects.get(pk=)``, prisma ``findUnique({where: {id}})``,
  mongoose ``findById``, supabase ``.eq("id", id)``, drizzle ``eq(t.id, id)``), directly or through a
  function of the repository, and nothing in the handler ties the row to the caller (an owner, user,
  tenant or organisation key, or a comparison with the verified identity);
- ``architecture.identity_from_request``: a user id, role, admin flag or tenant read from the request
  body, query or a custom header and used as a query filter, compared with a role, or handed on as the
  acting user, in a handler that reads no verified identity;
- ``auth.query_without_tenant_scope``: a Supabase / Postgres migration creates a table and no SQL file
  of the repository enables row-level security on it, in a repository whose clients use Supabase (the
  ORM half, a query on a tenant-owned model without the tenant filter, is ``checks/tenancy.py``);
- ``llm.client_chosen_prompt_or_model``: the system prompt, the model, the output budget, the sampling or
  the tools of a model request taken from the request (the whole message list stays
  ``llm.client_supplied_messages``'s).

What the words, keys and calls are is data: checklists/authz.yaml. Precision first: a value whose origin
cannot be followed is not reported; each hit grades itself and says why.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from ...models import Endpoint, RuleHit, Severity
from ..ir import (
    Arr,
    Attr,
    Call,
    Cmp,
    Elem,
    Expr,
    Fn,
    Lit,
    Module,
    Name,
    Obj,
    Param,
    Scope,
)
from ..irtools import last_name, render, scopes_in, string_value, walk
from ..query import REQUEST_PARAMS, Query
from ..reach import reacher
from ..tables import yaml_knowledge
from ..uses import importers
from ..web import handler_scopes
from . import check

IDOR = "architecture.lookup_without_ownership"
CLAIMED = "architecture.identity_from_request"
RLS = "auth.query_without_tenant_scope"
CHOSEN = "llm.client_chosen_prompt_or_model"

MAX_HOPS = 2
"""Functions of the repository followed from a handler to the lookup its id reaches."""
_COMMENT = re.compile(r"^\s*(//|/\*|\*|#)")
_TRAILING = re.compile(r"\s(#|//)\s.*$")
"""A comment at the end of a code line (a space before and after its marker: not a URL, not a '#' in a string)."""


# ------------------------------------------------------------------------------------- knowledge
class Knowledge:
    """checklists/authz.yaml, compiled."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.identity = re.compile(d["identity"])
        self.owner = re.compile(d["owner_words"])
        self.identity_calls = re.compile(d["identity_calls"])
        self.admin = re.compile(d["admin"])
        lk = d["lookup"]
        self.id_key = re.compile(lk["id_key"])
        self.query_get = frozenset(lk["query_get"])
        self.session_objects = re.compile(lk["session_objects"])
        self.keyword_calls = frozenset(lk["keyword_calls"])
        self.compare_calls = frozenset(lk["compare_calls"])
        self.where_calls = frozenset(lk["where_calls"])
        self.mongo_calls = frozenset(lk["mongo_calls"])
        self.by_id_calls = frozenset(lk["by_id_calls"])
        self.eq_calls = frozenset(lk["eq_calls"])
        self.writes = re.compile(lk["writes"])
        self.converters = frozenset(lk["converters"])
        self.relation = re.compile(lk["relation"])
        self.proof_keys = re.compile(lk["proof_keys"]) if lk.get("proof_keys") else None
        self.lookup_names = (self.query_get | self.keyword_calls | self.compare_calls | self.where_calls
                             | self.mongo_calls | self.by_id_calls | self.eq_calls)
        c = d["claimed"]
        self.claimed_keys = re.compile(c["keys"])
        self.role_keys = re.compile(c["role_keys"])
        self.exempt_routes = re.compile(c["exempt_routes"])
        self.db_methods = frozenset(c["db_methods"])
        r = d["rls"]
        self.rls_create = re.compile(r["create"])
        self.rls_enable = re.compile(r["enable"])
        self.private_schemas = frozenset(r["private_schemas"])
        self.anon_key = re.compile(r["anon_key"])
        m = d["model_options"]
        self.options = {kind: frozenset(m[kind]) for kind in ("system", "model", "budget", "sampling", "tools")}
        self.key_options = frozenset(m["key_options"])


def knowledge() -> Knowledge:
    return yaml_knowledge("authz.yaml", Knowledge)  # chosen once per analysis (tables.refresh)


# ------------------------------------------------------------------------------------ source text
def _memo(q: Query) -> dict[str, Any]:
    return q.memo(__name__)


def source(q: Query, path: str) -> str | None:
    memo = _memo(q).setdefault("texts", {})
    if path not in memo:
        memo[path] = None
        if q.files is not None:
            for f in q.files.files:
                if f.path == path:
                    memo[path] = q.files.read_text(f)
                    break
    cached: str | None = memo[path]
    return cached


def _scope_text(q: Query, fs: Scope) -> str:
    """The code lines of a function (comments left out)."""
    text = source(q, fs.module.path)
    if not text:
        return ""
    lines = text.splitlines()[max(fs.line - 1, 0):fs.end_line or fs.line]
    return "\n".join(_TRAILING.sub("", x) for x in lines if not _COMMENT.match(x))


# ---------------------------------------------------------------------------------------- handlers
class Handler:
    """A function a request runs: an endpoint's handler or a Next.js server action."""

    __slots__ = ("authed", "decorators", "endpoint", "label", "route", "scope")

    def __init__(self, scope: Scope, label: str, route: str | None, authed: bool,
                 endpoint: Endpoint | None = None) -> None:
        self.scope, self.label, self.route, self.authed, self.endpoint = scope, label, route, authed, endpoint
        self.decorators = " ".join(scope.decorators)


def handlers(q: Query) -> list[Handler]:
    """Every endpoint handler and every exported function of a ``"use server"`` module, once each."""
    memo = _memo(q)
    if "handlers" in memo:
        cached: list[Handler] = memo["handlers"]
        return cached
    out: list[Handler] = []
    seen: set[int] = set()
    for sid, (scope, ep) in handler_scopes(q).items():
        if sid in seen:
            continue
        seen.add(sid)
        label = f"{ep.method + ' ' if ep.method else ''}{ep.route or ep.function}"
        out.append(Handler(scope, label, ep.route or ep.function, ep.has_auth, ep))
    rev = importers(q)
    for mod in q.parsed_modules():
        if mod.lang != "js" or "use server" not in mod.directives:
            continue
        if not rev.get(mod.path) and len(q.repo.modules) > 1:
            continue  # a "use server" module nothing imports gets no action id: its functions are unreachable
        for name, value in mod.exports.items():
            for fs in _functions(value, mod.scope):
                if id(fs) not in seen:
                    seen.add(id(fs))
                    out.append(Handler(fs, f"server action {name}()", name, _reads_identity(q, fs)))
    memo["handlers"] = out
    return out


def handlers_in(q: Query, mod: Module) -> list[Handler]:
    """The handlers of ``handlers(q)`` defined in ``mod``, in the same order (grouped once per analysis)."""
    memo = _memo(q)
    by_path: dict[str, list[Handler]] | None = memo.get("handlers_by_path")
    if by_path is None:
        by_path = memo["handlers_by_path"] = {}
        for h in handlers(q):
            by_path.setdefault(h.scope.module.path, []).append(h)
    return by_path.get(mod.path, [])


def _functions(value: Expr, scope: Scope, depth: int = 0) -> list[Scope]:
    if isinstance(value, Fn):
        return [value.scope]
    if isinstance(value, Name) and depth < 3:
        return [s for b in scope.bindings.get(value.id, []) for s in _functions(b, scope, depth + 1)]
    if isinstance(value, Call) and depth < 3:  # export const action = withAuth(async () => ...)
        return [s for a in value.args for s in _functions(a, scope, depth + 1)]
    return []


def _reads_identity(q: Query, fs: Scope) -> bool:
    """The function reads the verified identity: an auth call (``auth()``, ``getServerSession``,
    ``currentUser()``), ``current_user``, ``request.user``, ``session.user``."""
    k = knowledge()
    for s in scopes_in(fs):
        for call in s.calls:
            if k.identity_calls.match(last_name(call.callee)):
                return True
    text = _scope_text(q, fs)
    return bool(k.identity.search(text.replace("?.", ".")))


def _handler_params(h: Handler) -> dict[str, Param]:
    """The handler's parameters the caller fills: route parameters, a server action's arguments, a
    FastAPI query or body model; not the request object, nor an injected dependency."""
    out = {}
    for p in h.scope.params:
        if p.name in REQUEST_PARAMS or p.name in {"self", "cls", "res", "response", "next", "reply", "db", "session"}:
            continue
        injected = [x for x in (p.default, *p.meta) if isinstance(x, Call) and last_name(x.callee) in {"Depends", "Security"}]
        if injected:
            continue
        ann = render(p.annotation) if p.annotation is not None else ""
        if re.search(r"\b(Request|Session|AsyncSession|HttpRequest|Response|BackgroundTasks|WebSocket)\b", ann):
            continue
        out[p.name] = p
    return out


# ----------------------------------------------------------------------------------- client values
def _client(q: Query, e: Expr | None, scope: Scope, params: dict[str, Param], depth: int = 0) -> bool:
    """``e`` is something the caller sends: the request (body, query, path, headers) or a parameter the
    caller fills (a route parameter, a server action's argument)."""
    if e is None or depth > 6:
        return False
    k = knowledge()
    if isinstance(e, Param):
        return (e.name in params and params[e.name] is e) or e.name in REQUEST_PARAMS or (
            e.annotation is not None and last_name(e.annotation) in {"Request", "NextRequest", "HttpRequest"})
    if isinstance(e, Name):
        if e.id in params and e.id not in scope.bindings or any(b is params.get(e.id) for b in scope.bindings.get(e.id, [])):
            return True
        binds = list(q.bindings_of(e, scope))
        if binds:
            return any(_client(q, b, scope, params, depth + 1) for b in binds)
        return "request" in q.origins(e, scope)
    if isinstance(e, (Attr, Elem)):
        return _client(q, e.obj, scope, params, depth + 1) or "request" in q.origins(e, scope)
    if isinstance(e, Call):
        name = last_name(e.callee)
        if name in k.converters and e.args:
            return _client(q, e.args[0], scope, params, depth + 1)
        if name in {"get", "getAll", "json", "formData", "get_json"} and isinstance(e.callee, Attr):
            return _client(q, e.callee.obj, scope, params, depth + 1)
        if name in k.converters and isinstance(e.callee, Attr):  # id.toString(), id.strip()
            return _client(q, e.callee.obj, scope, params, depth + 1)
        return "request" in q.origins(e, scope)
    return False


# ======================================================================= lookup without ownership
def _id_key(key: str | None) -> bool:
    k = knowledge()
    return bool(key) and bool(k.id_key.match(key)) and not k.owner.search(key)


def _lookups(call: Call) -> list[tuple[str, Expr]]:
    """(key, value) when ``call`` fetches, changes or deletes one row by a key: ``Model.query.get(v)``,
    ``session.get(M, v)``, ``filter_by(id=v)``, ``filter(M.id == v)``, ``findUnique({where: {id: v}})``,
    ``findById(v)``, ``.eq("id", v)``, ``eq(t.id, v)``."""
    k = knowledge()
    name = last_name(call.callee)
    if name not in k.lookup_names:
        return []
    out: list[tuple[str, Expr]] = []
    lang = call.scope.module.lang
    obj = call.callee.obj if isinstance(call.callee, Attr) else None
    if lang == "python":
        if name in k.query_get and obj is not None:
            if last_name(obj) == "query" and len(call.args) == 1 and not isinstance(call.args[0], Lit):
                out.append(("id", call.args[0]))  # Model.query.get(x)
            elif k.session_objects.match(last_name(obj)) and len(call.args) == 2 and isinstance(call.args[0], Name):
                out.append(("id", call.args[1]))  # session.get(Model, x)
        if name in k.keyword_calls:
            out += [(key, v) for key, v in call.kwargs.items() if _id_key(key)]
        if name in k.compare_calls:
            for a in call.args:
                if isinstance(a, Cmp) and a.op == "==" and isinstance(a.left, Attr) and _id_key(a.left.name):
                    out.append((a.left.name, a.right))
    if name in k.where_calls and call.args and isinstance(call.args[0], Obj):
        where = next((v for key, v in call.args[0].items if key == "where"), None)
        if isinstance(where, Obj):
            out += [(key, v) for key, v in where.items if key and _id_key(key)]
    if name in k.mongo_calls and call.args and isinstance(call.args[0], Obj):
        out += [(key, v) for key, v in call.args[0].items if key in {"_id", "id"}]
    if name in k.by_id_calls and call.args and lang == "js":
        out.append(("id", call.args[0]))
    if name in k.eq_calls and len(call.args) == 2:
        first = call.args[0]
        if isinstance(first, Attr) and _id_key(first.name) and not isinstance(call.callee, Attr):
            out.append((first.name, call.args[1]))  # drizzle eq(t.id, x)
        elif isinstance(first, Lit) and isinstance(first.value, str) and _id_key(first.value) and obj is not None:
            out.append((first.value, call.args[1]))  # supabase .eq("id", x)
    return [(key, v) for key, v in out if not isinstance(v, Lit)]


def _parents(scope: Scope) -> dict[int, Call]:
    out: dict[int, Call] = {}
    for c in scope.calls:
        for a in c.args:
            if isinstance(a, Call):
                out[id(a)] = c
            elif isinstance(a, Obj):
                for _k, v in a.items:
                    if isinstance(v, Call):
                        out[id(v)] = c
    return out


def _writes(call: Call) -> bool:
    """The lookup changes or deletes the row: its method, or the chain or call it sits in
    (``db.update(t).set(...).where(eq(t.id, x))``, ``supabase.from(t).delete().eq("id", x)``)."""
    k = knowledge()
    c: Call | None = call
    parents = _parents(call.scope)
    for _ in range(4):
        if c is None:
            break
        e: Expr | None = c.callee
        while e is not None:
            if isinstance(e, Attr):
                if k.writes.match(e.name):
                    return True
                e = e.obj
            elif isinstance(e, Call):
                e = e.callee
            else:
                if isinstance(e, Name) and k.writes.match(e.id):
                    return True
                break
        c = parents.get(id(c))
    return False


class _Lookup:
    __slots__ = ("call", "helper", "key", "line", "writes")

    def __init__(self, call: Call, key: str, line: int, helper: str | None, writes: bool) -> None:
        self.call, self.key, self.line, self.helper, self.writes = call, key, line, helper, writes


def _param_of(q: Query, e: Expr, scope: Scope, depth: int = 0) -> tuple[Param, str | None] | None:
    """(parameter, field) when ``e`` is a parameter of its function (or a field of one:
    ``$0.chatId`` from ``function f({ chatId })``), following local names."""
    if depth > 5:
        return None
    if isinstance(e, Param):
        return e, None
    if isinstance(e, Name):
        for b in q.bindings_of(e, scope):
            got = _param_of(q, b, scope, depth + 1)
            if got is not None:
                return got
        return None
    if isinstance(e, Attr) and isinstance(e.obj, Param):
        return e.obj, e.name
    if isinstance(e, Call) and last_name(e.callee) in knowledge().converters and e.args:
        return _param_of(q, e.args[0], scope, depth + 1)
    return None


def _argument(p: Param, field: str | None, c: Call) -> Expr | None:
    """What ``c`` passes for the parameter ``p`` (and its ``field`` when the parameter is destructured)."""
    if p.name in c.kwargs:
        arg = c.kwargs[p.name]
    else:
        i = p.index - (1 if p.scope.self_name else 0)
        if p.kw_only or not 0 <= i < len(c.args):
            return None
        arg = c.args[i]
    if field is None:
        return arg
    if isinstance(arg, Obj):
        for key, v in arg.items:
            if key == field:
                return v
        return None
    return Attr(arg, field)


def _helper_lookups(q: Query, fs: Scope, depth: int) -> list[tuple[Call, str, Param, str | None, bool]]:
    """Lookups in ``fs`` (and the functions it calls) whose value is one of ``fs``'s parameters:
    (lookup call, key, parameter, field, writes)."""
    memo = _memo(q).setdefault("helper", {})
    if (id(fs), depth) in memo:
        cached: list[tuple[Call, str, Param, str | None, bool]] = memo[(id(fs), depth)]
        return cached
    memo[(id(fs), depth)] = []
    out = []
    for s in scopes_in(fs):
        for call in s.calls:
            for key, v in _lookups(call):
                got = _param_of(q, v, s)
                if got is not None and got[0].scope is fs:
                    out.append((call, key, got[0], got[1], _writes(call)))
            if depth < MAX_HOPS and last_name(call.callee) not in knowledge().lookup_names:
                for callee in _repo_functions(q, call):
                    for lc, key, p, field, w in _helper_lookups(q, callee, depth + 1):
                        arg = _argument(p, field, call)
                        got = _param_of(q, arg, s) if arg is not None else None
                        if got is not None and got[0].scope is fs:
                            out.append((lc, key, got[0], got[1], w))
    memo[(id(fs), depth)] = out
    return out


def _repo_functions(q: Query, call: Call) -> list[Scope]:
    return [v[1] for v in q.repo.values(call.callee, call.scope) if v[0] == "fn" and v[1] is not call.scope]


def _handler_lookups(q: Query, h: Handler, params: dict[str, Param]) -> list[_Lookup]:
    out = []
    for s in scopes_in(h.scope):
        for call in s.calls:
            for key, v in _lookups(call):
                if _client(q, v, s, params):
                    out.append(_Lookup(call, key, call.line, None, _writes(call)))
            if last_name(call.callee) in knowledge().lookup_names:
                continue
            for callee in _repo_functions(q, call):
                for lc, key, p, field, w in _helper_lookups(q, callee, 1):
                    arg = _argument(p, field, call)
                    if arg is not None and _client(q, arg, s, params):
                        out.append(_Lookup(lc, key, call.line, q.function_name(callee) or callee.name, w))
    return out


def _ties_to_owner(q: Query, scopes: list[Scope]) -> str | None:
    """What ties the rows to the caller in these functions: an owner / user / tenant key or column, a
    comparison with the verified identity, the identity handed to a call; None when nothing does."""
    k = knowledge()
    exprs: list[Expr] = []
    for fs in scopes:
        for s in scopes_in(fs):
            for binds in s.bindings.values():
                exprs += binds
            exprs += s.returns
            for c in s.calls:
                exprs.append(c)
                exprs += [g.test for g in c.guards if g.test is not None]
        text = _scope_text(q, fs)
        for line in text.splitlines():
            if (m := k.owner.search(line)) and not re.search(r"\b(import|from)\b.*\b(import|from)\b", line):
                return f"'{m.group(0)}' in {q.function_name(fs) or fs.name}()"
    for e in walk(exprs, 6_000, once=True):
        if isinstance(e, Cmp):
            sides = [render(e.left).replace("?.", "."), render(e.right).replace("?.", ".")]
            if any(k.identity.search(x) for x in sides) and not any(
                    isinstance(x, Lit) and x.value in (None, "null", "undefined") for x in (e.left, e.right)):
                return "a comparison with the verified identity"
        elif isinstance(e, Call):
            for a in [*e.args, *e.kwargs.values()]:
                if isinstance(a, (Name, Attr)) and k.identity.search(render(a).replace("?.", ".")):
                    return f"the identity handed to {last_name(e.callee)}()"
            for key in e.kwargs:
                if key in {"user", "owner"}:
                    return f"{key}= in {last_name(e.callee)}()"
        elif isinstance(e, Obj):
            for item_key, _v in e.items:
                if item_key in {"user", "owner"}:
                    return f"'{item_key}' key"
    return None


def _model_columns(q: Query, call: Call) -> set[str] | None:
    """The columns of the model a Python lookup reads, when the model is a class of the repository
    (``Note.query.get``, ``session.get(Note, x)``, ``Note.objects.get``), or of a Prisma model
    (``prisma.note.findUnique``); None when it cannot be told."""
    lang = call.scope.module.lang
    callee = call.callee
    if lang == "python":
        target: Expr | None = None
        if isinstance(callee, Attr) and isinstance(callee.obj, Attr) and callee.obj.name in {"query", "objects"}:
            target = callee.obj.obj
        elif len(call.args) == 2 and isinstance(call.args[0], Name) or last_name(callee) in {"get_object_or_404"} and call.args:
            target = call.args[0]
        if target is None and last_name(callee) in knowledge().compare_calls:
            cmp = next((a for a in call.args if isinstance(a, Cmp) and isinstance(a.left, Attr)), None)
            target = cmp.left.obj if cmp is not None and isinstance(cmp.left, Attr) else None
        if target is None:
            target = _queried_model(callee)
        if target is None:
            return None
        for v in q.repo.values(target, call.scope):
            if v[0] == "cls":
                cls = v[1]
                cols = set(cls.fields) | set(cls.annotations) | set(cls.scope.bindings)
                rel = any(knowledge().relation.search(render(b)) for bs in cls.scope.bindings.values() for b in bs)
                return cols | ({"<relation>"} if rel else set())
        return None
    if isinstance(callee, Attr) and isinstance(callee.obj, Attr) and last_name(callee.obj.obj) in {"prisma", "db"}:
        return _prisma_models(q).get(callee.obj.name.lower())
    if last_name(callee) in knowledge().eq_calls and call.args and isinstance(call.args[0], Attr):
        table = call.args[0].obj
        if isinstance(table, Name):
            return _drizzle_tables(q).get(table.id)
    return None


def _queried_model(callee: Expr) -> Expr | None:
    """The model of ``session.query(M).filter_by(...)`` / ``select(M).where(...)``."""
    e: Expr | None = callee
    for _ in range(8):
        if isinstance(e, Attr):
            e = e.obj
        elif isinstance(e, Call):
            if last_name(e.callee) in {"query", "select"} and len(e.args) == 1 and isinstance(e.args[0], (Name, Attr)):
                return e.args[0]
            e = e.callee
        else:
            return None
    return None


_DRIZZLE = re.compile(r"(?:const|let)\s+(\w+)\s*=\s*\w*[tT]able\(\s*['\"][\w.]+['\"]\s*,\s*(?:\([^)]*\)\s*=>\s*\(?\s*)?\{(.*?)\n\s*\}", re.DOTALL)  # noqa: E501


def _drizzle_tables(q: Query) -> dict[str, set[str]]:
    """Table variable -> its column keys, for drizzle ``pgTable("Chat", { id: ..., userId: ... })``."""
    memo = _memo(q)
    if "drizzle" in memo:
        cached: dict[str, set[str]] = memo["drizzle"]
        return cached
    out: dict[str, set[str]] = {}
    for mod in q.parsed_modules():
        if mod.lang != "js" or not any(i.startswith("drizzle-orm") for i in mod.imports):
            continue
        text = source(q, mod.path) or ""
        for m in _DRIZZLE.finditer(text):
            cols = set(re.findall(r"(?m)^\s*(\w+)\s*:", m.group(2)))
            if ".references(" in m.group(2):
                cols.add("<relation>")
            out[m.group(1)] = cols
    memo["drizzle"] = out
    return out


def _prisma_models(q: Query) -> dict[str, set[str]]:
    memo = _memo(q)
    if "prisma" in memo:
        cached: dict[str, set[str]] = memo["prisma"]
        return cached
    out: dict[str, set[str]] = {}
    if q.files is not None:
        for f in q.files.files:
            if f.path.endswith(".prisma"):
                text = q.files.read_text(f) or ""
                for m in re.finditer(r"(?ms)^model\s+(\w+)\s*\{(.*?)^\}", text):
                    cols = set()
                    for line in m.group(2).splitlines():
                        parts = line.split()
                        if parts and not parts[0].startswith(("//", "@@")):
                            cols.add(parts[0])
                            if "@relation" in line:
                                cols.add("<relation>")
                    out[m.group(1).lower()] = cols
    memo["prisma"] = out
    return out


def _owner_column(cols: set[str]) -> bool:
    k = knowledge()
    return any(c == "<relation>" or k.owner.search(c) or (c not in {"id", "_id", "pk"} and _id_key(c)) for c in cols)


def _is_admin(h: Handler, text: str) -> bool:
    k = knowledge()
    return bool(k.admin.search(h.route or "") or k.admin.search(h.label) or k.admin.search(h.decorators)
                or k.admin.search(text)
                or "/admin" in h.scope.module.path or "admin" in posixpath.basename(h.scope.module.path).lower())


@check(IDOR, on="module", roles={"app"})
def lookup_without_ownership(mod: Module, q: Query) -> Iterator[RuleHit]:
    for h in handlers_in(q, mod):
        server_action = h.endpoint is None
        if not h.authed and not server_action:
            continue  # an open endpoint is architecture.endpoint_without_auth's
        params = _handler_params(h)
        found = _handler_lookups(q, h, params)
        if not found:
            continue
        text = _scope_text(q, h.scope)
        if _is_admin(h, text):
            continue
        helper_fns = [_enclosing_function(lk.call.scope) for lk in found if lk.helper]
        if _ties_to_owner(q, [h.scope, *[f for f in helper_fns if f is not None]]):
            continue
        kept = []
        for lk in found:
            if _holds_proof(lk.call):
                continue  # the row is matched on a secret only its holder knows (a one-time code with the id)
            cols = _model_columns(q, lk.call)
            if cols is not None and not _owner_column(cols):
                continue  # a table of shared data (no owner, no parent row): any signed-in user may read it
            kept.append((lk, cols))
        if not kept:
            continue
        kept.sort(key=lambda x: (not x[0].writes, x[0].line))
        lk, cols = kept[0]
        writes = any(x[0].writes for x in kept) or any(r.kind == "write" for r in reacher(q).of([h.scope]))
        where = f"{lk.helper}() → {last_name(lk.call.callee)}" if lk.helper else last_name(lk.call.callee)
        what = "changes or deletes" if writes else "reads"
        if server_action and not h.authed:
            who = "a server action (callable by anyone who can load the page) with no auth() or session check"
        elif server_action:
            who = "a server action that checks the session"
        else:
            who = f"the authenticated handler {h.label}"
        severity = "high" if writes else "medium"
        conf = "medium"
        why = "" if cols is None else "; the model has an owner or parent column"
        yield RuleHit(rule=IDOR, title="Row looked up by a client-supplied id with no ownership check",
                      evidence=f"{who} {what} a row by the id the caller sends ({lk.key} via {where}, "
                               f"{posixpath.basename(lk.call.scope.module.path)}:{lk.call.line}) and nothing ties "
                               f"the row to the caller (no owner/user key, no comparison with the signed-in user){why}",
                      path=mod.path, line=lk.line, severity=severity, confidence=conf)  # type: ignore[arg-type]


def _holds_proof(call: Call) -> bool:
    """The lookup matches the row on a secret the caller must hold as well as on its id (``where: { id,
    keyCode: otp }``, ``filter_by(id=i, token=t)``): only the holder of the one-time code reaches it."""
    rx = knowledge().proof_keys
    if rx is None:
        return False
    if any(rx.search(key) for key in call.kwargs):
        return True
    for e in walk([*call.args, *call.kwargs.values()], 400):
        if isinstance(e, Obj) and any(k and rx.search(k) and not isinstance(v, Lit) for k, v in e.items):
            return True
        if isinstance(e, Cmp) and any(isinstance(x, Attr) and rx.search(x.name) for x in (e.left, e.right)):
            return True
    return False


def _enclosing_function(scope: Scope) -> Scope | None:
    s: Scope | None = scope
    while s is not None and s.kind != "function":
        s = s.parent
    while s is not None and s.parent is not None and s.parent.kind == "function":
        s = s.parent
    return s


# ========================================================================= identity from request
def _claimed_reads(q: Query, h: Handler, params: dict[str, Param]) -> Iterator[tuple[str, Expr, Scope, int]]:
    """(key, expression, scope, line) of the request reads named as an identity, role or tenant."""
    k = knowledge()
    for p in params.values():
        if k.claimed_keys.match(p.name):
            yield p.name, p, h.scope, h.scope.line
    for s in scopes_in(h.scope):
        for name, binds in s.bindings.items():
            for b in binds:
                key = None
                if isinstance(b, Attr) and k.claimed_keys.match(b.name):
                    key = b.name
                elif isinstance(b, Call) and last_name(b.callee) in {"get", "header", "getHeader"} and b.args:
                    sv = string_value(b.args[0])
                    if sv and k.claimed_keys.match(sv):
                        key = sv
                if key is None:
                    continue
                src = b.obj if isinstance(b, Attr) else (
                    b.callee.obj if isinstance(b, Call) and isinstance(b.callee, Attr) else None)
                if src is not None and _client(q, src, s, params):
                    yield key, Name(name), s, 0


def _used_as_identity(q: Query, key: str, e: Expr, scope: Scope, text: str) -> tuple[str, int] | None:
    """How a claimed identity is used: a database filter, a role comparison, handed on by name."""
    k = knowledge()
    name = e.id if isinstance(e, Name) else e.name if isinstance(e, Param) else None
    if name is None:
        return None
    if k.role_keys.match(key):
        m = re.search(rf"\b{re.escape(name)}\b[\w.?\[\]'\"]*\s*(===?|!==?|\bin\b)\s*[\[(]?\s*['\"](admin|superuser|owner|staff|root)",  # noqa: E501
                      text, re.IGNORECASE) or re.search(rf"['\"](admin|superuser|staff|root)['\"]\s*(===?|!==?)\s*{re.escape(name)}\b", text, re.IGNORECASE)  # noqa: E501
        if m:
            line = scope.line + text[:m.start()].count("\n") if scope.line else 0
            return f"compared with '{m.group(2) if m.lastindex and m.lastindex >= 2 else 'admin'}'", line
        if re.fullmatch(r"(?i)is_?admin|is_?superuser", key):
            m = re.search(rf"\bif\b[^\n]*\b{re.escape(name)}\b", text)
            if m:
                return "an if on it", scope.line + text[:m.start()].count("\n")
    if k.role_keys.match(key):
        return None  # a message's role ("user" / "assistant") is no privilege: only a comparison with one counts
    for fs in scopes_in(scope):
        for c in fs.calls:
            cname = last_name(c.callee)
            args = [*c.args, *c.kwargs.values(), *(v for a in c.args if isinstance(a, Obj) for _k, v in a.items),
                    *(v for a in c.args if isinstance(a, Obj) for _k, w in a.items if isinstance(w, Obj) for _k2, v in w.items)]
            uses = any(isinstance(a, (Name, Param)) and (a.id if isinstance(a, Name) else a.name) == name
                       or (isinstance(a, Cmp) and name in {render(a.left), render(a.right)}) for a in args)
            if not uses:
                continue
            if cname in k.db_methods:
                return f"a database filter ({cname}())", c.line
            keyed = [kk for kk in c.kwargs if k.claimed_keys.match(kk)] + [
                kk for a in c.args if isinstance(a, Obj) for kk, v in a.items if kk and k.claimed_keys.match(kk)
                and isinstance(v, (Name, Param))]
            if keyed and _repo_call(q, c):
                return f"handed on as the acting user ({keyed[0]}= to {cname}())", c.line
    return None


def _repo_call(q: Query, c: Call) -> bool:
    return bool(_repo_functions(q, c))


@check(CLAIMED, on="module", roles={"app"})
def identity_from_request(mod: Module, q: Query) -> Iterator[RuleHit]:
    k = knowledge()
    for h in handlers_in(q, mod):
        if k.exempt_routes.search(h.route or "") or k.exempt_routes.search(h.label) or k.exempt_routes.search(mod.path):
            continue
        if _reads_identity(q, h.scope) or (h.endpoint is not None and h.endpoint.has_auth):
            continue
        params = _handler_params(h)
        text = _scope_text(q, h.scope)
        for key, e, s, _line in _claimed_reads(q, h, params):
            used = _used_as_identity(q, key, e, s if isinstance(e, Name) else h.scope, text)
            if used is None:
                continue
            how, line = used
            role = bool(k.role_keys.match(key))
            writes = bool(re.search(r"\b(update|delete|insert|create|upsert|remove|destroy|add)\w*\(", text, re.IGNORECASE))
            severity: Severity = "high" if role or writes else "medium"
            yield RuleHit(rule=CLAIMED, title="Identity or role taken from the request",
                          evidence=f"{h.label} takes '{key}' from what the caller sends and uses it as "
                                   f"{how}, and reads no verified identity (no session, token or auth "
                                   f"dependency): {'anyone can claim the role' if role else 'anyone can act as any user'}",
                          path=mod.path, line=line or s.line, severity=severity, confidence="medium")
            break


# ============================================================== tables without row-level security
def _supabase(q: Query) -> tuple[bool, bool]:
    """(the repository uses Supabase, a client reads the public anon key)."""
    memo = _memo(q)
    if "supabase" not in memo:
        k = knowledge()
        uses = anon = False
        for mod in q.parsed_modules():
            if any(i.split("/", 1)[0] in {"@supabase", "supabase"} or i.startswith("@supabase/") or i == "supabase"
                   for i in mod.imports):
                uses = True
                text = source(q, mod.path) or ""
                if k.anon_key.search(text):
                    anon = True
        if q.files is not None and not anon:
            for f in q.files.files:
                if posixpath.basename(f.path).startswith(".env") and (f.path.count("/") == 0):
                    text = q.files.read_text(f) or ""
                    if re.search(r"(?i)(NEXT_PUBLIC|VITE|REACT_APP|EXPO_PUBLIC|PUBLIC)_SUPABASE_ANON_KEY", text):
                        anon = uses = True
        memo["supabase"] = (uses, anon)
    cached: tuple[bool, bool] = memo["supabase"]
    return cached


def _all_sql(q: Query) -> str:
    memo = _memo(q)
    if "sql" not in memo:
        parts = []
        if q.files is not None:
            for f in q.files.files:
                if f.path.lower().endswith(".sql"):
                    parts.append(q.files.read_text(f) or "")
        memo["sql"] = "\n".join(parts)
    cached: str = memo["sql"]
    return cached


def _table(name: str) -> tuple[str, str]:
    name = name.replace('"', "").lower()
    schema, _, table = name.rpartition(".")
    return schema or "public", table


def _create_columns(body: str, start: int) -> list[str]:
    """The column names of the ``create table`` whose name ends at ``start``."""
    depth, i, out, cur = 0, start, [], ""
    while i < len(body) and i < start + 20_000:
        ch = body[i]
        if ch == "(":
            depth += 1
            if depth == 1:
                cur = ""
                i += 1
                continue
        elif ch == ")":
            depth -= 1
            if depth == 0:
                out.append(cur)
                break
        elif ch == "," and depth == 1:
            out.append(cur)
            cur = ""
            i += 1
            continue
        if depth >= 1:
            cur += ch
        i += 1
    return [x.split()[0].strip('"') for x in out if x.split()]


def _strip_sql_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)
    return re.sub(r"--[^\n]*", "", text)


@check(RLS, on="file", files=r"(?i)\.sql$", roles={"app", "config", "other", "migration", "script"}, languages=("config",))
def tables_without_rls(path: str, text: str, q: Query) -> Iterator[RuleHit]:
    k = knowledge()
    uses, anon = _supabase(q)
    under_supabase = path.startswith("supabase/") or "/supabase/" in path
    if not (uses or under_supabase):
        return
    body = _strip_sql_comments(text)
    enabled = {_table(m.group(1)) for m in k.rls_enable.finditer(_strip_sql_comments(_all_sql(q)))}
    for m in k.rls_create.finditer(body):
        schema, table = _table(m.group(1))
        if schema in k.private_schemas or (schema, table) in enabled:
            continue
        line = body[:m.start()].count("\n") + 1
        cols = _create_columns(body, m.end())
        owned = any(k.owner.search(c) for c in cols)
        if anon:
            severity, why = "high", "a client reads the public anon key, so anyone can read and write it through Supabase's API"
        elif owned:
            severity, why = "medium", ("its rows belong to users, and Supabase's API serves the public schema to anyone "
                                       "holding the project's anon key (no client here ships it yet)")
        else:
            severity, why = "low", ("Supabase's API serves the public schema to anyone holding the project's anon key; "
                                    "no client here ships it and the table holds no per-user rows, so writes by "
                                    "whoever gets the key are the risk")
        yield RuleHit(rule=RLS, title="Table created without row-level security",
                      evidence=f"create table {schema}.{table} and no SQL file enables row level security on it: {why}",
                      path=path, line=line, severity=severity, confidence="high" if anon else "medium")  # type: ignore[arg-type]


# ======================================================== model settings chosen by the client
def _handler_param_names(q: Query) -> dict[int, dict[str, Param]]:
    memo = _memo(q)
    if "hparams" not in memo:
        memo["hparams"] = {id(h.scope): _handler_params(h) for h in handlers(q)}
    cached: dict[int, dict[str, Param]] = memo["hparams"]
    return cached


def _from_request(q: Query, e: Expr, scope: Scope) -> bool:
    if isinstance(e, Lit):
        return False
    hp = _handler_param_names(q)
    s: Scope | None = scope
    while s is not None and s.kind != "module":
        if id(s) in hp:
            return _client(q, e, scope, hp[id(s)])
        s = s.parent
    origins = q.origins(e, scope)
    return "request" in origins


def _validated(q: Query, e: Expr, call: Call) -> bool:
    """The value is checked against a list before the call (``if model not in ALLOWED``)."""
    name = e.id if isinstance(e, Name) else last_name(e)
    if not name:
        return False
    for g in call.guards:
        if g.test is not None and any(isinstance(x, Cmp) and x.op in {"in", "not in", "==", "!="} and
                                      name in (render(x.left), render(x.right), last_name(x.left))
                                      for x in walk(g.test, 200)):
            return True
    fs = call.scope
    text = source(q, fs.module.path) or ""
    lines = text.splitlines()[max(fs.line - 1, 0):call.line]
    return any(re.search(rf"\b{re.escape(name)}\b\s+(not\s+)?in\b|\.includes\(\s*{re.escape(name)}\b|"
                         rf"\b(allowed|ALLOWED|models|MODELS)\w*\s*(\.get|\[)\s*\(?\s*{re.escape(name)}", x)
               for x in lines)


def _handler_of(q: Query, scope: Scope) -> Handler | None:
    by_scope = _memo(q).setdefault("by_scope", {})
    if not by_scope:
        by_scope.update({id(h.scope): h for h in handlers(q)})
    s: Scope | None = scope
    while s is not None:
        if id(s) in by_scope:
            cached: Handler | None = by_scope[id(s)]
            return cached
        s = s.parent
    return None


def _server_key(q: Query, call: Call, opts: dict[str, Any]) -> bool:
    """The request is sent on the server's key: none given (the SDK reads the environment), or one read
    from the environment or written in the code; not a key kept per user or per row (a profile's key)."""
    k = knowledge()
    given = [opts[key] for key in k.key_options if key in opts]
    base: Expr | None = call.callee
    while isinstance(base, (Attr, Call)):
        base = base.obj if isinstance(base, Attr) else base.callee
    if isinstance(base, Name):
        for b in q.bindings_of(base, call.scope):
            if isinstance(b, Call):
                o = b.options()
                given += [o[key] for key in k.key_options if key in o]
    for v in given:
        origins = q.origins(v, call.scope)
        if not origins <= {"env", "literal"}:
            return False  # a key kept per user or per row (profile.openai_api_key), or one not followed
    return True


def _visitor_key(q: Query, call: Call, opts: dict[str, Any]) -> bool:
    """The request is sent on a key the visitor typed: on the call, or on the client it is made with."""
    k = knowledge()
    if any(key in opts and _from_request(q, opts[key], call.scope) for key in k.key_options):
        return True
    base: Expr | None = call.callee
    while isinstance(base, (Attr, Call)):
        base = base.obj if isinstance(base, Attr) else base.callee
    if isinstance(base, Name):
        for b in q.bindings_of(base, call.scope):
            if isinstance(b, Call):
                o = b.options()
                if any(key in o and _from_request(q, o[key], call.scope) for key in k.key_options):
                    return True
    return False


@check(CHOSEN, on="call", roles={"app"})
def client_chosen_prompt_or_model(call: Call, q: Query) -> RuleHit | None:
    if not call.kwargs and not any(isinstance(a, Obj) for a in call.args):
        return None  # no options at all: the cheap test before anything is resolved
    opts = call.options()
    k = knowledge()
    wanted = {key for kind in k.options.values() for key in kind}
    if not (wanted & set(opts)):
        return None
    if q.site(call) is None:
        return None
    if _visitor_key(q, call, opts) or not _server_key(q, call, opts):
        return None  # the visitor's own key: they choose and pay for their own request
    chosen: list[tuple[str, str]] = []
    for kind, keys in k.options.items():
        for key in sorted(keys & set(opts)):
            v = opts[key]
            if kind == "model" and isinstance(v, Call) and len(v.args) == 1 and not v.kwargs:
                v = v.args[0]  # the AI SDK's provider factory: openai(model), anthropic(model)
            if isinstance(v, Lit) or not _from_request(q, v, call.scope) or _validated(q, v, call):
                continue
            chosen.append((kind, key))
    messages = opts.get("messages")
    if isinstance(messages, Arr):
        for item in messages.items:
            if isinstance(item, Obj):
                d = {key: v for key, v in item.items if key}
                if string_value(d.get("role")) == "system" and d.get("content") is not None and \
                        not isinstance(d["content"], Lit) and _from_request(q, d["content"], call.scope) and \
                        not _validated(q, d["content"], call):
                    chosen.append(("system", "the system message"))
    if not chosen:
        return None
    kinds = {kind for kind, _ in chosen}
    if not kinds - {"sampling"}:
        return None  # temperature or top_p alone: the caller's own answer, no cost and no instructions
    h = _handler_of(q, call.scope)
    authed = h is not None and h.authed
    if "system" in kinds:
        severity, why = ("medium" if authed else "high"), ("the caller writes the instructions the model follows (LLM01), "
                                                           "on the server's key")
    elif "tools" in kinds:
        severity, why = ("low" if authed else "medium"), "the caller chooses what the model may call"
    else:
        severity, why = ("low" if authed else "medium"), ("the caller picks the model or the output budget billed to the "
                                                         "server's key (LLM10)")
    if authed:
        why += "; only signed-in users reach this route"
    names = ", ".join(key for _kind, key in chosen)
    return RuleHit(rule=CHOSEN, title="Model settings chosen by the client",
                   evidence=f"{last_name(call.callee)}(): {names} taken from the request unchecked: {why}",
                   path=call.scope.module.path, line=call.line, severity=severity,  # type: ignore[arg-type]
                   confidence="medium")
