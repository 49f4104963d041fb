"""Tenant separation in the ORM (issue 11, catalogue C034): a tenant-owned table queried without the tenant.

``auth.query_without_tenant_scope`` has two halves. The SQL half (authz.py, ``on="file"``) reports
Supabase tables created without row-level security. This module is the ORM half (``on="module"``): in
code a signed-in request runs (an authenticated route handler, a server action that checks the session,
or a function of the repository either calls, two hops at most), a query on a model that carries a tenant
column (``tenant_id``, ``org_id``, ``organization_id``, ``workspace_id``, ``team_id``, ``account_id``
and their camelCase forms) whose filter never names the tenant:

- Python: ``session.query(M)...``, ``select(M)...``, ``M.query...``, ``M.objects.filter/all`` on a class
  of the repository with a tenant column (its own or a mixin's);
- JS/TS: ``prisma.m.findMany|findFirst|updateMany|deleteMany|count`` on a Prisma model with a tenant
  field, drizzle ``db.select().from(t)`` / ``db.update(t)`` / ``db.delete(t)`` / ``db.query.t.findMany``
  on a table with a tenant column.

Precision comes first (the rule is high). A query is reported only when

- the repository is visibly multi-tenant: another query on the same model filters by the tenant key
  (then the unfiltered one stands out: medium confidence), or at least two queries on other tenant
  models do (low confidence, one step lower);
- its filter can be read whole and names no tenant or owner key (``user_id == current_user.id`` scopes a
  per-user app), no relation to the tenant (``where: {team: {...}}``), no foreign key of a parent row (it
  may be tenant-scoped itself) and no row id (a lookup by id is ``architecture.lookup_without_ownership``'s:
  never the same line twice);
- the function it sits in never names the tenant key (a filter added on another line, a comparison after
  the read), nor does the handler compare a tenant key;
- nothing scopes every query at once: a Prisma ``$extends`` / ``$use``, SQLAlchemy ``do_orm_execute`` /
  ``with_loader_criteria``, a Django manager in a file that names a tenant key, or row-level security
  enabled on that table in the repository's SQL;
- the route is no scheduled job, provider webhook or back office (those read every tenant by design).

A hit grades itself: high for a bulk change, or a list with no filter at all, when the same model is
scoped elsewhere, medium when the query filters on other columns only or reads one row or a count, one
step lower when only other models show the tenant scoping; then capped at ``severity_cap`` of
checklists/tenancy.yaml (low today: the check's real-world precision is not established, see
benchmarks/realworld/tenancy.yaml). Raw SQL strings are not read yet.

What the words, keys and calls are is data: checklists/tenancy.yaml (and the identity and owner words of
checklists/authz.yaml).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ...collect.roles import file_role
from ...models import Confidence, RuleHit, Severity
from ..ir import Arr, Attr, Bin, Call, ClassDef, Cmp, Expr, Fn, Lit, Module, Name, Not, Obj, Param, Scope, Tmpl, Union
from ..irtools import last_name, render, scopes_in
from ..query import Query
from ..tables import yaml_knowledge
from . import check
from .authz import (
    RLS,
    Handler,
    _all_sql,
    _drizzle_tables,
    _enclosing_function,
    _id_key,
    _is_admin,
    _prisma_models,
    _repo_functions,
    _strip_sql_comments,
    _table,
    handlers,
)
from .authz import knowledge as authz_knowledge
from .data_layer import _chain
from .web_security import source

_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
MAX_HOPS = 2
"""Functions of the repository followed from a handler to the query."""
_COMMENT = re.compile(r"^\s*(#|//|/\*|\*)")


# ------------------------------------------------------------------------------------- knowledge
class Knowledge:
    """checklists/tenancy.yaml, compiled."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.tenant_key = re.compile(d["tenant_key"])
        self.tenant_word = re.compile(d["tenant_word"])
        self.tenant_entities = frozenset(d["tenant_entities"])
        self.row_keys = re.compile(d["row_keys"])
        self.prefilter = re.compile(d["prefilter"])
        py = d["python"]
        self.py_roots = frozenset(py["query_roots"])
        self.py_managers = frozenset(py["manager_attrs"])
        self.py_columns = re.compile(py["column_calls"])
        self.py_single = frozenset(py["single"])
        js = d["js"]
        self.js_methods = frozenset(js["model_methods"])
        self.js_table_calls = frozenset(js["table_calls"])
        self.filter_calls = frozenset(d["filter_calls"])
        self.combinators = frozenset(d["combinators"])
        self.writes = re.compile(d["writes"])
        self.lists = frozenset(d["lists"])
        self.exempt_routes = re.compile(d["exempt_routes"])
        self.global_scoping = re.compile(d["global_scoping"])
        self.severity_cap: Severity = d.get("severity_cap", "critical")


def knowledge() -> Knowledge:
    return yaml_knowledge("tenancy.yaml", Knowledge)  # chosen once per analysis (tables.refresh)


# ------------------------------------------------------------------------------------------ memo
def _memo(q: Query) -> dict[str, Any]:
    return q.memo(__name__)


def _scope_text(q: Query, fs: Scope) -> str:
    """The code lines of a function (comment lines left out)."""
    text = source(q, fs.module.path)
    if not text:
        return ""
    rows = text.splitlines()[max(fs.line - 1, 0):fs.end_line or fs.line]
    return "\n".join(r for r in rows if not _COMMENT.match(r))


# ---------------------------------------------------------------------------------- tenant models
class Model:
    """A model or table with a tenant column: its name as the code spells it, the column, its SQL table."""

    __slots__ = ("column", "name", "table")

    def __init__(self, name: str, column: str, table: str) -> None:
        self.name, self.column, self.table = name, column, table


def _tenant_column(cols: set[str] | list[str]) -> str | None:
    k = knowledge()
    return next((c for c in sorted(cols) if k.tenant_key.match(c)), None)


def _class_columns(q: Query, cls: ClassDef, depth: int = 0) -> set[str]:
    """The column names of a class and of the classes of the repository it derives from (a mixin)."""
    cols = set(cls.fields) | set(cls.annotations) | set(cls.scope.bindings)
    if depth < 3:
        for b in cls.bases:
            for v in q.repo.values(b, cls.scope):
                if v[0] == "cls" and v[1] is not cls:
                    cols |= _class_columns(q, v[1], depth + 1)
    return cols


def _orm_class(q: Query, cls: ClassDef, depth: int = 0) -> bool:
    """The class declares database columns (``Column(...)``, ``mapped_column``, ``Field``, a Django
    field), itself or through a class of the repository it derives from."""
    k = knowledge()
    exprs = [b for bs in cls.scope.bindings.values() for b in bs] + list(cls.annotations.values())
    if any(k.py_columns.search(render(e)) for e in exprs):
        return True
    if depth < 3:
        for b in cls.bases:
            for v in q.repo.values(b, cls.scope):
                if v[0] == "cls" and v[1] is not cls and _orm_class(q, v[1], depth + 1):
                    return True
    return False


def _class_names(q: Query) -> frozenset[str]:
    """The names of the repository's Python classes: a query's model is resolved only when it is one
    (resolving every ``session.query(x)`` argument would cost more than the check)."""
    memo = _memo(q)
    if "class_names" not in memo:
        memo["class_names"] = frozenset(c.name for m in q.parsed_modules() if m.lang == "python" for c in m.classes)
    got: frozenset[str] = memo["class_names"]
    return got


def _python_model(q: Query, e: Expr, scope: Scope) -> Model | None:
    """The tenant model ``e`` names (a class of the repository with a tenant column), or None."""
    if not isinstance(e, (Name, Attr)) or last_name(e) not in _class_names(q):
        return None
    memo = _memo(q).setdefault("pymodels", {})
    for v in q.repo.values(e, scope):
        if v[0] != "cls":
            continue
        cls: ClassDef = v[1]
        if id(cls) not in memo:
            col = _tenant_column(_class_columns(q, cls))
            model = None
            if col is not None and _orm_class(q, cls):
                table = next((lit.value for lit in cls.scope.bindings.get("__tablename__", [])
                              if isinstance(lit, Lit) and isinstance(lit.value, str)), cls.name.lower())
                model = Model(cls.name, col, str(table))
            memo[id(cls)] = model
        got: Model | None = memo[id(cls)]
        return got
    return None


def _prisma_tables(q: Query) -> dict[str, str]:
    """Prisma model (lower case) -> its SQL table (``@@map("...")`` or the model's name)."""
    memo = _memo(q)
    if "prisma_tables" not in memo:
        out: dict[str, str] = {}
        if q.files is not None:
            for f in q.files.files:
                if f.path.endswith(".prisma"):
                    text = q.files.read_text(f) or ""
                    for m in re.finditer(r"(?ms)^model\s+(\w+)\s*\{(.*?)^\}", text):
                        mapped = re.search(r"@@map\(\s*\"([^\"]+)\"", m.group(2))
                        out[m.group(1).lower()] = (mapped.group(1) if mapped else m.group(1)).lower()
        memo["prisma_tables"] = out
    got: dict[str, str] = memo["prisma_tables"]
    return got


_DRIZZLE_NAME = re.compile(r"(?:const|let)\s+(\w+)\s*=\s*\w*[tT]able\(\s*['\"]([\w.]+)['\"]")


def _drizzle_names(q: Query) -> dict[str, str]:
    """Drizzle table variable -> its SQL table."""
    memo = _memo(q)
    if "drizzle_names" not in memo:
        out: dict[str, str] = {}
        for mod in q.parsed_modules():
            if mod.lang == "js" and any(i.startswith("drizzle-orm") for i in mod.imports):
                out.update({m.group(1): m.group(2).lower() for m in _DRIZZLE_NAME.finditer(source(q, mod.path) or "")})
        memo["drizzle_names"] = out
    got: dict[str, str] = memo["drizzle_names"]
    return got


def _js_model(q: Query, name: str, kind: str) -> Model | None:
    """The Prisma model (``kind`` "prisma") or drizzle table (``"drizzle"``) ``name`` when it has a
    tenant column."""
    if kind == "prisma":
        cols = _prisma_models(q).get(name.lower())
        col = _tenant_column(cols) if cols else None
        return Model(name, col, _prisma_tables(q).get(name.lower(), name.lower())) if col else None
    dcols = _drizzle_tables(q).get(name)
    col = _tenant_column(dcols) if dcols else None
    return Model(name, col, _drizzle_names(q).get(name, name.lower())) if col else None


# -------------------------------------------------------------------------------------- queries
class Found:
    """One query on a tenant model: where it is, what it does, and the keys its filter names."""

    __slots__ = ("call", "keys", "kind", "model")

    def __init__(self, call: Call, model: Model, keys: set[str], kind: str) -> None:
        self.call, self.model, self.keys, self.kind = call, model, keys, kind


UNREADABLE = "<unreadable>"


def _chain_calls(call: Call) -> list[Call]:
    """The calls of a method chain, outermost first (``db.query(M).filter(x).all()``: all, filter, query)."""
    out: list[Call] = [call]
    e: Expr = call.callee
    for _ in range(16):
        if isinstance(e, Attr):
            e = e.obj
        elif isinstance(e, Call):
            out.append(e)
            e = e.callee
        else:
            break
    return out


def _keys(e: Expr, out: set[str], depth: int = 0) -> None:
    """The column or relation names a filter expression names (``Obj`` keys, the attributes compared,
    ``eq(t.col, v)``'s column, ``M.col.in_(...)``); ``<unreadable>`` for a filter built elsewhere."""
    if depth > 8:
        return
    k = knowledge()
    if isinstance(e, Obj):
        for key, v in e.items:
            if key is None:
                out.add(UNREADABLE)
                continue
            out.add(key)
            if isinstance(v, (Obj, Arr, Call)):
                _keys(v, out, depth + 1)
    elif isinstance(e, Arr):
        for item in e.items:
            _keys(item, out, depth + 1)
    elif isinstance(e, (Union, Bin)):  # `M.staff_id == s.id if s else None`, `(M.a == 1) & (M.b == 2)`
        for item in (e.items if isinstance(e, Union) else [e.left, e.right]):
            if not isinstance(item, Lit):
                _keys(item, out, depth + 1)
    elif isinstance(e, Not):
        _keys(e.operand, out, depth + 1)
    elif isinstance(e, Cmp):
        for side in (e.left, e.right):
            if isinstance(side, Attr) and not isinstance(side.obj, Call):
                out.add(side.name)
            elif isinstance(side, Call):  # func.date(M.created_at) == day
                out.update(a.name for a in side.args if isinstance(a, Attr))
    elif isinstance(e, Call):
        name = last_name(e.callee)
        if name in k.combinators:
            for a in e.args:
                _keys(a, out, depth + 1)
            return
        if isinstance(e.callee, Attr) and isinstance(e.callee.obj, Attr):  # M.org_id.in_(ids)
            out.add(e.callee.obj.name)
        if e.args:
            first = e.args[0]
            if isinstance(first, Attr):
                out.add(first.name)  # drizzle eq(t.col, v)
            elif isinstance(first, Lit) and isinstance(first.value, str):
                out.add(first.value)  # supabase .eq("col", v)
            elif isinstance(first, Tmpl) or (isinstance(first, Lit) and not isinstance(first.value, str)):
                out.add(UNREADABLE)
        for key in e.kwargs:
            out.add(key.split("__", 1)[0])
        if name in {"text", "sql", "literal_column"} or e.tagged:
            out.add(UNREADABLE)
    elif isinstance(e, (Name, Param, Fn, Tmpl)):
        out.add(UNREADABLE)


def _filter_keys(chain: list[Call], root: Call | None) -> set[str]:
    """The keys the filtering calls of a chain name (the call naming the model left out)."""
    k = knowledge()
    out: set[str] = set()
    for c in chain:
        if c is root:
            continue
        if last_name(c.callee) in k.filter_calls or (c.kwargs and last_name(c.callee) not in k.py_roots):
            for a in c.args:
                _keys(a, out)
            for key in c.kwargs:
                out.add(key.split("__", 1)[0])
    return out


def _kind(names: list[str], default: str) -> str:
    k = knowledge()
    if any(k.writes.match(n) for n in names):
        return "write"
    if any(n in k.py_single for n in names[:1]) or (names and names[0] in {"findFirst", "findFirstOrThrow", "count",
                                                                        "aggregate", "groupBy"}):
        return "single"
    if any(n in k.lists for n in names):
        return "list"
    return default


def _python_query(q: Query, call: Call) -> Found | None:
    k = knowledge()
    chain = _chain_calls(call)
    names = [last_name(c.callee) for c in chain]
    for c in chain:
        n = last_name(c.callee)
        if n in k.py_roots and len(c.args) >= 1 and isinstance(c.args[0], (Name, Attr)):
            target: Expr = c.args[0]
            if isinstance(target, Attr) and n == "select":
                target = target.obj  # select(M.id, M.name)
            model = _python_model(q, target, call.scope)
            if model is not None:
                return Found(call, model, _filter_keys(chain, c), _kind(names, "list"))
    root: Expr | None = call.callee
    for _ in range(16):  # M.query.filter(...) / M.objects.all()
        if isinstance(root, Attr):
            if root.name in k.py_managers and isinstance(root.obj, Name):
                model = _python_model(q, root.obj, call.scope)
                if model is not None:
                    return Found(call, model, _filter_keys(chain, None), _kind(names, "list"))
                return None
            root = root.obj
        elif isinstance(root, Call):
            root = root.callee
        else:
            break
    return None


def _js_query(q: Query, call: Call) -> Found | None:
    k = knowledge()
    callee = call.callee
    name = last_name(callee)
    if name in k.js_methods and isinstance(callee, Attr) and isinstance(callee.obj, Attr):
        holder = callee.obj
        model = _js_model(q, holder.name, "drizzle" if last_name(holder.obj) == "query" else "prisma")
        if model is None:
            return None
        keys: set[str] = set()
        if call.args:
            opts = call.args[0]
            if not isinstance(opts, Obj):
                keys.add(UNREADABLE)
            else:
                for key, v in opts.items:
                    if key is None:
                        keys.add(UNREADABLE)
                    elif key == "where":
                        if isinstance(v, Obj):
                            _keys(v, keys)
                        elif isinstance(v, Call):
                            _keys(v, keys)
                        else:
                            keys.add(UNREADABLE)
        kind = "write" if k.writes.match(name) else "list" if name == "findMany" else "single"
        return Found(call, model, keys, kind)
    chain = _chain_calls(call)
    for c in chain:
        n = last_name(c.callee)
        if n in k.js_table_calls and len(c.args) == 1 and isinstance(c.args[0], Name) and isinstance(c.callee, Attr):
            model = _js_model(q, c.args[0].id, "drizzle")
            if model is None:
                return None
            names = [last_name(x.callee) for x in chain]
            kind = "write" if n in {"update", "delete"} else _kind(names, "list")
            return Found(call, model, _filter_keys(chain, c), kind)
    return None


def _outermost(scope: Scope) -> list[Call]:
    """The calls of a scope that no other call of it holds as the object of a method chain."""
    inner: set[int] = set()
    for c in scope.calls:
        for x in _chain_calls(c)[1:]:
            inner.add(id(x))
    return [c for c in scope.calls if id(c) not in inner]


def _queries(q: Query, mod: Module) -> list[Found]:
    k = knowledge()
    out: list[Found] = []
    for s in mod.scopes:
        for call in _outermost(s):
            chain = _chain_calls(call)
            names = {last_name(c.callee) for c in chain}
            if mod.lang == "js":
                if last_name(call.callee) not in k.js_methods and not names & k.js_table_calls:
                    continue
                found = _js_query(q, call)
            else:
                if not names & k.py_roots and not set(_chain(call)) & k.py_managers:
                    continue
                found = _python_query(q, call)
            if found is not None:
                out.append(found)
    return out


# -------------------------------------------------------------------------------- the repository
def _classify(keys: set[str]) -> str:
    """``scoped`` (a tenant or owner key, a relation to the tenant), ``other`` (a row id, a unique key
    such as an e-mail or a token hash, a parent's foreign key, a filter not readable: not this rule's),
    ``open`` (no filter, or only plain columns)."""
    k = knowledge()
    owner = authz_knowledge().owner
    if UNREADABLE in keys:
        return "other"
    for key in keys:
        if k.tenant_key.match(key) or key in k.tenant_entities or owner.search(key):
            return "scoped"
    if any(_id_key(key) or k.row_keys.search(key) for key in keys):
        return "other"
    return "open"


class Index:
    """What the repository shows once: its tenant queries and whether something scopes them all."""

    def __init__(self) -> None:
        self.queries: dict[str, list[Found]] = {}
        self.scoped: dict[str, list[Found]] = {}
        """Model name -> its queries filtered by the tenant key."""
        self.global_scope: str | None = None
        self.rls: set[str] = set()


def _index(q: Query) -> Index:
    memo = _memo(q)
    if "index" in memo:
        got: Index = memo["index"]
        return got
    k = knowledge()
    idx = Index()
    for mod in q.parsed_modules():
        text = source(q, mod.path) or ""
        if idx.global_scope is None and k.global_scoping.search(text) and k.tenant_word.search(text):
            m = k.global_scoping.search(text)
            idx.global_scope = f"{mod.path} ({m.group(0).strip() if m else ''})"
        if not k.prefilter.search(text) or file_role(mod.path) != "app":
            continue
        found = _queries(q, mod)
        if found:
            idx.queries[mod.path] = found
        for f in found:
            if any(k.tenant_key.match(key) or key in k.tenant_entities for key in f.keys) and UNREADABLE not in f.keys:
                idx.scoped.setdefault(f.model.name, []).append(f)
    sql = _all_sql(q)
    if sql:
        idx.rls = {_table(m.group(1))[1] for m in authz_knowledge().rls_enable.finditer(_strip_sql_comments(sql))}
    memo["index"] = idx
    return idx


def _request_path(q: Query) -> dict[int, Handler]:
    """id(function) -> an authenticated handler that runs it (itself, or through calls, ``MAX_HOPS``)."""
    memo = _memo(q)
    if "path" in memo:
        got: dict[int, Handler] = memo["path"]
        return got
    k = knowledge()
    out: dict[int, Handler] = {}
    for h in handlers(q):
        if not h.authed or k.exempt_routes.search(h.route or "") or k.exempt_routes.search(h.label) \
                or k.exempt_routes.search(h.scope.module.path):
            continue
        if _is_admin(h, _scope_text(q, h.scope)):
            continue
        frontier = [h.scope]
        out.setdefault(id(h.scope), h)
        for _ in range(MAX_HOPS):
            nxt = []
            for fs in frontier:
                for s in scopes_in(fs):
                    for c in s.calls:
                        for callee in _repo_functions(q, c):
                            if id(callee) not in out:
                                out[id(callee)] = h
                                nxt.append(callee)
            frontier = nxt
    memo["path"] = out
    return out


def _compares_tenant(text: str) -> bool:
    """A tenant key compared in the handler (``if doc.teamId !== team.id``)."""
    k = knowledge()
    for line in text.splitlines():
        if k.tenant_word.search(line) and re.search(r"(===?|!==?|\bin\b|\bis\b)", line):
            return True
    return False


# ------------------------------------------------------------------------------------------ check
@check(RLS, on="module", roles={"app"})
def query_without_tenant_scope(mod: Module, q: Query) -> Iterator[RuleHit]:
    k = knowledge()
    text = source(q, mod.path)
    if not text or not k.prefilter.search(text):
        return
    idx = _index(q)
    found = idx.queries.get(mod.path)
    if not found or idx.global_scope is not None:
        return
    path = _request_path(q)
    for f in found:
        if _classify(f.keys) != "open" or f.model.table in idx.rls:
            continue
        fs = _enclosing_function(f.call.scope)
        if fs is None or id(fs) not in path:
            continue
        h = path[id(fs)]
        if k.tenant_word.search(_scope_text(q, fs)):
            continue  # the tenant is named in the function: a filter added on another line, a check after
        if fs is not h.scope and _compares_tenant(_scope_text(q, h.scope)):
            continue
        same = [x for x in idx.scoped.get(f.model.name, []) if x.call is not f.call]
        others = [x for name, xs in idx.scoped.items() if name != f.model.name for x in xs]
        if not same and len(others) < 2:
            continue  # no query shows the tenant scoping: not visibly multi-tenant
        bare = not f.keys
        severe = f.kind == "write" or (f.kind == "list" and bare)
        if same:
            severity: Severity = "high" if severe else "medium"
            confidence: Confidence = "medium"
            ex = same[0].call
            proof = (f"{len(same)} other quer{'y' if len(same) == 1 else 'ies'} on {f.model.name} filter by "
                     f"{f.model.column} ({ex.scope.module.path}:{ex.line})")
        else:
            severity = "medium" if severe else "low"
            confidence = "low"
            ex = others[0].call
            proof = (f"{len(others)} queries on other tenant models filter by the tenant "
                     f"({ex.scope.module.path}:{ex.line}), none on {f.model.name}")
        shape = severity
        if _RANK[severity] > _RANK[k.severity_cap]:
            severity = k.severity_cap
        what = {"list": "lists", "write": "changes or deletes", "single": "reads"}[f.kind]
        filt = "with no filter at all" if bare else f"filtered only by {', '.join(sorted(f.keys))}"
        where = "" if fs is h.scope else f" (through {q.function_name(fs) or fs.name}())"
        yield RuleHit(rule=RLS, title="Tenant-owned rows queried without the tenant",
                      evidence=f"{h.label}{where} {what} {f.model.name} rows {filt}, never by {f.model.column}: "
                               f"every tenant's rows, not the caller's; {proof}"
                               + (f" (the shape of a {shape} finding; graded {severity} until the check's "
                                  "real-world precision is measured)" if shape != severity else ""),
                      path=mod.path, line=f.call.line, severity=severity, confidence=confidence)
