"""How the code behaves at run time under more than one user (issue 11): blocking calls on the event
loop, state kept in process memory, swallowed errors, a database connection per request, the schema
created by the app, sensitive data in logs, a development server as the production entry point.

What the libraries are (blocking calls, connection constructors, schema calls, stateful chat objects,
sensitive names, development servers) is data: checklists/runtime.yaml.

"Per request" means: in a function declared as a route's handler (``web.handler_scopes``), a
function handed to a UI framework that calls it per visitor (Gradio's ``fn``), or a function of the
repository those call (``MAX_HOPS`` deep). Module-level code, app factories and lifespans run once.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

from ...collect.practices import is_migration
from ...models import RuleHit
from ..ir import Arr, Attr, Call, Elem, Expr, Lit, Module, Name, Obj, Param, Scope, Tmpl
from ..irtools import (
    binding_scope,
    dotted,
    function_scope,
    last_name,
    may_be_external,
    string_value,
    walk,
)
from ..query import Query
from ..reach import Reacher, reacher
from ..tables import yaml_knowledge
from ..uses import importers, is_server_code, log_arguments
from ..web import handler_scopes
from . import check
from .deployment import _DEV_NAME, DEPLOY, _program, deploy_facts

MAX_HOPS = 2
"""Functions followed from a request handler (handler -> helper -> helper)."""


# ------------------------------------------------------------------------------------- knowledge
class Knowledge:
    """checklists/runtime.yaml, compiled."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.blocking = {lang: [(re.compile(e["match"]), e["what"], e.get("severity"),
                                 re.compile(e["exclude"]) if e.get("exclude") else None)
                                for e in d["blocking"][lang]] for lang in ("python", "js")}
        self.blocking_words = frozenset(w for rows in self.blocking.values() for rx, *_ in rows
                                        for w in re.findall(r"[A-Za-z_]\w+", rx.pattern))
        self.sync_clients = re.compile(d["sync_model_clients"])
        self.async_clients = re.compile(d["async_model_clients"])
        self.sync_methods = frozenset(d["sync_model_methods"])
        self.connections = {lang: [(re.compile(e["match"]), bool(e.get("cheap"))) for e in d["connections"][lang]]
                            for lang in ("python", "js")}
        self.connection_words = frozenset(w for rows in self.connections.values() for rx, _c in rows
                                          for w in re.findall(r"[A-Za-z_]\w+", rx.pattern))
        s = d["schema"]
        self.schema_create, self.schema_drop = re.compile(s["create"]), re.compile(s["drop"])
        self.sql_methods = frozenset(s["sql_methods"])
        self.sync = re.compile(s["sync"])
        self.synchronize_owners = re.compile(s["synchronize_owners"])
        self.deploy_scripts = frozenset(s["deploy_scripts"])
        self.sensitive = re.compile(d["sensitive_names"])
        self.not_sensitive = re.compile(d["not_sensitive_names"])
        self.request_wholes = re.compile(d["request_wholes"])
        self.masking = re.compile(d["masking_calls"])
        self.containers = {lang: re.compile(p) for lang, p in d["containers"].items()}
        self.adders = frozenset(d["adders"])
        self.not_state = re.compile(d["not_state_names"])
        self.stateful_chats = re.compile(d["stateful_chats"])
        self.callback_frameworks = re.compile(d["callback_frameworks"])
        dev = d["dev_servers"]
        self.dev_commands = dev["commands"]
        self.script_runners = frozenset(dev["script_runners"])
        self.dev_scripts = frozenset(dev["dev_scripts"])
        self.python_dev_run = re.compile(dev["python_dev_run"])


def knowledge() -> Knowledge:
    return yaml_knowledge("runtime.yaml", Knowledge)  # chosen once per analysis (tables.refresh)


# ------------------------------------------------------------------------------- per request
_PER_REQUEST: WeakKeyDictionary[Query, dict[int, str]] = WeakKeyDictionary()


def per_request(q: Query) -> dict[int, str]:
    """id(function scope) -> how it runs per request ("the handler of POST /chat", "called from ..."),
    for route handlers, UI callbacks (Gradio) and the repository's functions they call."""
    got = _PER_REQUEST.get(q)
    if got is not None:
        return got
    k = knowledge()
    out: dict[int, str] = {}
    roots: list[Scope] = []
    for sid, (scope, ep) in handler_scopes(q).items():
        out[sid] = f"the handler of {ep.method + ' ' if ep.method else ''}{ep.route or ep.function}"
        roots.append(scope)
    for mod in q.parsed_modules():
        if mod.lang != "python" or not any(i.split(".", 1)[0] == "gradio" for i in mod.imports):
            continue
        for c in mod.calls:
            fns = [a for a in [*c.args[:1], c.kwargs.get("fn")] if a is not None]
            if not fns or not any(k.callback_frameworks.search(x) for x in q.quals(c.callee, c.scope)):
                continue
            for a in fns:
                for v in q.repo.values(a, c.scope):
                    if v[0] == "fn" and id(v[1]) not in out:
                        out[id(v[1])] = f"a Gradio callback ({v[1].name})"
                        roots.append(v[1])
    r = reacher(q)
    frontier = roots
    for _ in range(MAX_HOPS):
        nxt = []
        for fs in frontier:
            for callee in r.callees(fs):
                if id(callee) not in out:
                    out[id(callee)] = f"called from {out[id(fs)].split(' (')[0]}" if out[id(fs)].startswith("called") \
                        else f"called from {q.function_name(fs) or fs.name}()"
                    nxt.append(callee)
        frontier = nxt
    _PER_REQUEST[q] = out
    return out


def _request_function(scope: Scope, q: Query) -> tuple[Scope, str] | None:
    fs = function_scope(scope)
    if fs is None:
        return None
    how = per_request(q).get(id(fs))
    return (fs, how) if how is not None else None


def _is_handler(fs: Scope, q: Query) -> bool:
    return id(fs) in handler_scopes(q)


def _hit(rule: str, title: str, evidence: str, path: str, line: int, severity: str | None = None,
         confidence: str | None = None) -> RuleHit:
    return RuleHit(rule=rule, title=title, evidence=evidence, path=path, line=line, severity=severity,  # type: ignore[arg-type]
                   confidence=confidence)  # type: ignore[arg-type]


# ===================================================================== performance.blocking_call_in_async
BLOCKING = "performance.blocking_call_in_async"


_MODEL_SENDS = frozenset({"create", "stream", "generate_content", "send_message"})


def _blocking_names(k: Knowledge) -> frozenset[str]:
    """The callee names the blocking-call check can match: model requests and the blocking words."""
    return k.sync_methods | _MODEL_SENDS | k.blocking_words


@check(BLOCKING, on="call", roles={"app"}, names=lambda q: _blocking_names(knowledge()))
def blocking_call_in_async(call: Call, q: Query) -> RuleHit | None:
    """A call that blocks the thread in an ``async def`` request handler (Python), or a synchronous
    file, process or hashing call in a route handler (JS, where every handler shares the event loop)."""
    name = last_name(call.callee)
    if not name:
        return None
    k = knowledge()
    lang = call.scope.module.lang
    model = name in k.sync_methods or name in _MODEL_SENDS
    if not model and name not in k.blocking_words:
        return None
    fs = function_scope(call.scope)
    if fs is None:
        return None  # a nested function (a lambda handed to run_in_executor) is its own scope: not a handler
    if lang == "python" and not fs.is_async:
        return None
    if not _is_handler(fs, q):
        return None
    what, severity = None, None
    if q.site(call) is not None:
        if lang != "python":
            return None
        what = _sync_model(call, q, k)
    elif may_be_external(call.callee, call.scope):
        for qual in q.quals(call.callee, call.scope):
            for rx, text, sev, exclude in k.blocking[lang]:
                if rx.search(qual) and not (exclude and exclude.search(qual)):
                    what, severity = f"{text} ({_display(qual)})", sev
                    break
            if what:
                break
    if what is None:
        return None
    where = "async def " + fs.name if lang == "python" else f"the route handler {q.function_name(fs) or fs.name}"
    loop = ("the event loop stops for every other request while it runs" if lang == "python"
            else "Node's single thread serves no other request while it runs")
    return _hit(BLOCKING, "Blocking call in an async request handler",
                f"{what} in {where}: {loop}", call.scope.module.path, call.line, severity=severity)


def _sync_model(call: Call, q: Query, k: Knowledge) -> str | None:
    """A model request that blocks: made on a synchronous SDK client (its constructor one level back),
    or a chain/engine's synchronous method (``invoke``, ``query``) that has an async twin."""
    name = last_name(call.callee)
    base = call.callee
    while isinstance(base, (Attr, Elem)):
        base = base.obj
    ctors: list[str] = []
    if isinstance(base, Name) and base is not call.callee:
        home = binding_scope(base.id, call.scope)
        if home is not None:
            for b in home.bindings[base.id]:
                if isinstance(b, Call):
                    ctors += q.quals(b.callee, home)
    if any(k.async_clients.search(c) for c in ctors):
        return None
    sync = [c for c in ctors if k.sync_clients.search(c)]
    if sync:
        return f"{call.text}() on the synchronous {sync[0]} client (a model request, seconds long)"
    if name in k.sync_methods and not ctors or name in k.sync_methods and not any(
            k.sync_clients.search(c) or k.async_clients.search(c) for c in ctors):
        if name in {"chat", "query", "run"} and not ctors:
            return None  # a name this common on an object not seen built: too unsure
        return f"{call.text}() is the synchronous form of a model request (its async twin is a{name})"
    return None


def _display(qual: str) -> str:
    return qual.lstrip(":").replace(":default.", ".").replace(":", ".")


# ===================================================================== db.connection_per_request
CONNECTION = "db.connection_per_request"


@check(CONNECTION, on="call", roles={"app"}, names=lambda q: knowledge().connection_words)
def connection_per_request(call: Call, q: Query) -> RuleHit | None:
    """A database connection or pool created in code that runs per request."""
    name = last_name(call.callee)
    k = knowledge()
    if not name or name not in k.connection_words or not may_be_external(call.callee, call.scope):
        return None
    found = _request_function(call.scope, q)
    if found is None:
        return None
    fs, how = found
    if any(g.kind == "if" for g in call.guards):
        return None  # connect-once guards (if cached is None: cached = connect(...)) and per-branch setups
    lang = call.scope.module.lang
    for qual in q.quals(call.callee, call.scope):
        for rx, cheap in k.connections[lang]:
            if rx.search(qual):
                shown = _display(qual)
                if cheap:
                    return _hit(CONNECTION, "Database connection opened per request",
                                f"{shown}() in {fs.name}(), {how}: a file database, cheap to open, but every request "
                                "opens and closes it and it cannot be shared by several servers",
                                call.scope.module.path, call.line, severity="low")
                pool = "a new pool" if re.search(r"(?i)pool|engine", qual) else "a new connection"
                return _hit(CONNECTION, "Database connection opened per request",
                            f"{shown}() in {fs.name}(), {how}: {pool} per request exhausts the database's "
                            "connection limit under load", call.scope.module.path, call.line)
    return None


# ===================================================================== deployment.schema_by_app
SCHEMA = "deployment.schema_by_app"
_CREATE_TABLE = re.compile(r"^\s*(CREATE\s+(TABLE|INDEX|UNIQUE\s+INDEX)|DROP\s+TABLE)\b", re.IGNORECASE)


def _has_migrations(q: Query) -> bool:
    memo = q.__dict__.setdefault("_facts_memo", {})
    if "migrations" not in memo:
        memo["migrations"] = bool(q.files is not None and any(is_migration(f) for f in q.files.files))
    found: bool = memo["migrations"]
    return found


@check(SCHEMA, on="call", roles={"app"})
def schema_by_app(call: Call, q: Query) -> RuleHit | None:
    """The app creates (or drops) its tables itself: ``metadata.create_all()``, ``db.create_all()``,
    ``CREATE TABLE`` run from the code, ``sequelize.sync({force|alter})``, TypeORM ``synchronize: true``,
    with no versioned migrations in the repository."""
    name = last_name(call.callee)
    k = knowledge()
    if name not in {"create_all", "drop_all", "sync"} and name not in k.sql_methods and not call.new \
            and name not in {"forRoot", "createConnection"}:
        return None
    path, line = call.scope.module.path, call.line
    if _run_by_hand(call, q):
        return None
    if name in {"create_all", "drop_all"}:
        quals = q.quals(call.callee, call.scope) or [dotted(call.callee)]
        if any(k.schema_drop.search(x) for x in quals):
            return _hit(SCHEMA, "Database schema dropped by the application",
                        f"{call.text}() drops every table of the models when the code runs", path, line,
                        severity="high")
        if not any(k.schema_create.search(x) for x in quals) and "metadata" not in dotted(call.callee):
            return None
        if _has_migrations(q):
            return None
        return _hit(SCHEMA, "Database schema created by the application",
                    f"{call.text}() creates the tables from the models and no migration is in the repository: a "
                    "model change never reaches an existing database, or reaches it by hand", path, line)
    if name == "sync" and call.scope.module.lang == "js":
        opts = call.options()
        for flag in ("force", "alter"):
            if isinstance(opt := opts.get(flag), Lit) and opt.value in (True, "true"):
                if not any(k.sync.search(x) for x in q.quals(call.callee, call.scope)):
                    return None
                return _hit(SCHEMA, "Database schema reset by the application",
                            f"{call.text}({{ {flag}: true }}) " + ("drops and recreates every table on start-up"
                                                                  if flag == "force" else
                                                                  "alters the tables to the models on start-up, "
                                                                  "dropping columns it no longer sees"),
                            path, line, severity="high" if flag == "force" else None)
        return None
    if call.scope.module.lang == "js" and "synchronize" in call.options():
        v = call.options()["synchronize"]
        if isinstance(v, Lit) and v.value in (True, "true") and any(
                k.synchronize_owners.search(x) for x in q.quals(call.callee, call.scope) + [dotted(call.callee)]):
            return _hit(SCHEMA, "Database schema synchronised by the application",
                        "synchronize: true alters the database to the entities on every start, with no migration",
                        path, line)
        return None
    if name in k.sql_methods and call.args:
        text = _sql_text(call.args[0], call.scope, q)
        if text is None or not _CREATE_TABLE.match(text):
            return None
        if _has_migrations(q) or not _runs_sql(call, q):
            return None
        drop = text.lstrip().upper().startswith("DROP")
        return _hit(SCHEMA, "Database schema created by the application",
                    f"{call.text}(\"{' '.join(text.split())[:50]}...\") "
                    + ("drops a table when the code runs" if drop else
                       "creates the tables from the code and no migration is in the repository: the next change "
                       "to a table is made by hand on each database"), path, line,
                    severity="high" if drop else None)
    return None


def _run_by_hand(call: Call, q: Query) -> bool:
    """The call is in a helper kept for a shell session (targeted.yaml: ``from shelltools import
    load_users_from_csv`` typed at a Python prompt, as the README says): a function of a module that is
    no server code, that nothing imports and that nothing in the repository calls. The app never runs it
    at start-up. Module-level code and a function its own script calls (``__main__``) are still reported."""
    mod = call.scope.module
    fs = call.scope
    while fs.parent is not None and fs.parent.kind != "module":
        fs = fs.parent
    if fs.kind != "function" or is_server_code(q, mod) or importers(q).get(mod.path):
        return False
    return not any(last_name(c.callee) == fs.name for m in q.repo.modules.values() for c in m.calls)


def _sql_text(e: Expr, scope: Scope, q: Query) -> str | None:
    s = string_value(e)
    if s is not None:
        return s
    if isinstance(e, Name):
        vals = [string_value(b) for b in q.bindings_of(e, scope)]
        if vals and all(v is not None for v in vals):
            return vals[0]
    if isinstance(e, Call) and e.args:  # text("CREATE TABLE ...")
        return string_value(e.args[0])
    return None


def _runs_sql(call: Call, q: Query) -> bool:
    """The receiver is a database handle (a cursor, a connection, an engine, an ORM session)."""
    quals = q.quals(call.callee, call.scope)
    if any(re.match(r"^(sqlite3|aiosqlite|psycopg2?|pymysql|mysql|sqlalchemy|asyncpg|duckdb|pg|mysql2|"
                    r"better-sqlite3|@prisma/client|@vercel/postgres|@neondatabase|postgres|knex|sequelize)\b", x)
           for x in quals):
        return True
    recv = last_name(call.callee.obj) if isinstance(call.callee, Attr) else ""
    return bool(re.search(r"(?i)(cursor|cur|conn|connection|db|engine|session|client|pool)$", recv or ""))


@check(SCHEMA, on="file", files=r"(^|/)package\.json$", roles={"app", "config", "other"}, languages=("config",))
def schema_in_scripts(path: str, text: str, q: Query) -> Iterator[RuleHit]:
    """``prisma db push`` (or ``migrate reset``) in a script that runs on deploy, with no prisma/migrations."""
    if "prisma" not in text:
        return
    try:
        data = json.loads(text)
    except ValueError:
        return
    scripts = data.get("scripts") if isinstance(data, dict) else None
    if not isinstance(scripts, dict) or _has_migrations(q):
        return
    k = knowledge()
    lines = text.splitlines()
    for name, cmd in scripts.items():
        if name not in k.deploy_scripts or not isinstance(cmd, str):
            continue
        m = re.search(r"prisma\s+(db\s+push|migrate\s+reset)([^&|;]*)", cmd)
        if not m:
            continue
        risky = m.group(1).startswith("migrate") or re.search(r"--(accept-data-loss|force-reset)", m.group(2))
        line = next((n for n, t in enumerate(lines, 1) if f'"{name}"' in t and "prisma" in t), 1)
        yield _hit(SCHEMA, "Database schema pushed by the deploy script",
                   f"the {name} script runs prisma {' '.join(m.group(1).split())}{' ' + m.group(2).strip() if m.group(2).strip() else ''}"  # noqa: E501
                   " and the repository has no prisma/migrations: every deploy alters the database to the schema"
                   + (", dropping data" if risky else ", with no reviewed migration"), path, line,
                   severity="high" if risky else None)


# ===================================================================== errors.swallowed_exception
SWALLOWED = "errors.swallowed_exception"


@check(SWALLOWED, on="module", roles={"app"})
def swallowed_exception(mod: Module, q: Query) -> Iterator[RuleHit]:
    """A catch-all handler that drops the error (pass, an empty catch, a constant return, only a print)
    around a call that matters in server code: a model request or a write (database, file, payment,
    message). One finding per handler."""
    if mod.lang == "python" and not any(c.guards and any(g.swallows for g in c.guards) for c in mod.calls):
        return
    if mod.lang == "js" and not any(c.guards and any(g.swallows for g in c.guards) for c in mod.calls):
        return
    if not is_server_code(q, mod) and not _ui_app(mod):
        return
    r = reacher(q)
    seen: dict[int, tuple[Any, ...]] = {}
    for c in mod.calls:
        for g in c.guards:
            if g.kind != "try" or not g.swallows or g.swallows[0] in seen:
                continue
            what = _matters(c, q, r)
            if what is None:
                continue
            seen[g.swallows[0]] = (g, what, c)
    for line, (g, what, c) in sorted(seen.items()):
        how = g.swallows[1]
        fn = q.function_name(c.scope)
        where = f" in {fn}()" if fn else ""
        if how == "printed":
            yield _hit(SWALLOWED, "Error printed and dropped",
                       f"a catch-all handler{where} only prints the error of {what} and carries on: no log "
                       "level, no traceback, no error tracking, and the caller is not told", mod.path, line,
                       severity="low")
        else:
            yield _hit(SWALLOWED, "Error swallowed",
                       f"a catch-all handler{where} drops the error of {what} (nothing logged or re-raised): "
                       "the failure is invisible", mod.path, line)


def _ui_app(mod: Module) -> bool:
    return mod.lang == "python" and any(i.split(".", 1)[0] in {"streamlit", "gradio"} for i in mod.imports)


def _matters(c: Call, q: Query, r: Reacher) -> str | None:
    """What the call does that matters: a model request, a write; or a repository function reaching one."""
    if q.site(c) is not None:
        return f"the model request {c.text}() (line {c.line})"
    got = r.classify(c)
    if got is not None and got.kind in {"model", "write"} and got.certain:
        return f"{got.what} (line {c.line})"
    for v in r._called(c):
        if v[0] == "fn":
            for reach in r.of([v[1]])[:1]:
                if reach.kind in {"model", "write"} and reach.certain:
                    return f"{c.text}() (line {c.line}), which reaches {reach.what}"
    return None


# ===================================================================== observability.sensitive_data_logged
SENSITIVE = "observability.sensitive_data_logged"
_LOG_WORDS = frozenset({"print", "debug", "info", "warning", "warn", "error", "exception", "critical", "log",
                        "trace", "fatal"})


@check(SENSITIVE, on="call", roles={"app"}, names=lambda q: _LOG_WORDS)
def sensitive_data_logged(call: Call, q: Query) -> RuleHit | None:
    """A log call (logger, or print / console.* in server code) given a secret, a token, a password, a
    phone number, a transcript, or a request's whole body, headers or cookies."""
    if last_name(call.callee) not in _LOG_WORDS:
        return None
    args = log_arguments(q, call)
    if not args:
        return None
    k = knowledge()
    for a in args:
        found = _sensitive(a, call.scope, q, k)
        if found:
            kind, text = found
            evidence = f"{call.text}() writes {text} to the logs"
            if kind == "request":
                evidence += ": the body, headers or cookies carry what users typed and their credentials"
            return _hit(SENSITIVE, "Sensitive data written to the logs", evidence, call.scope.module.path, call.line)
    return None


def _sensitive(e: Expr, scope: Scope, q: Query, k: Knowledge, depth: int = 0) -> tuple[str, str] | None:
    if depth > 3:
        return None
    text = dotted(e) if isinstance(e, (Attr, Call, Name, Param, Elem)) else None
    if text and k.request_wholes.search(text) and "request" in q.origins(e, scope):
        return "request", f"the request's {text.rsplit('.', 1)[-1].rstrip('()')} ({text})"
    if isinstance(e, (Name, Param)):
        n = e.id if isinstance(e, Name) else e.name
        if _sensitive_name(n, k) and not _literal_only(e, scope, q):
            return "name", n
        return None
    if isinstance(e, Attr):
        if _sensitive_name(e.name, k) and not isinstance(e.obj, Call):
            return "name", dotted(e)
        return None
    if isinstance(e, Elem):
        return None  # a slice or an item: token[:6] shows a prefix
    if isinstance(e, Tmpl):
        for p in e.parts:
            if isinstance(p, Expr):
                got = _sensitive(p, scope, q, k, depth + 1)
                if got:
                    return got
        return None
    if isinstance(e, Call):
        callee = last_name(e.callee, through_calls=True)
        if k.masking.search(callee or ""):
            return None
        if callee in {"str", "repr", "dumps", "format", "stringify", "String", "f"}:
            for a in e.args:
                got = _sensitive(a, scope, q, k, depth + 1)
                if got:
                    return got
        if isinstance(e.callee, Attr) and e.callee.name in {"get", "getlist"} and e.args:  # headers.get("Authorization")
            key = string_value(e.args[0])
            if key and _sensitive_name(key.replace("-", "_"), k):
                return "name", f"{dotted(e.callee)}({key!r})"
        return None
    if isinstance(e, Obj):
        for key, v in e.items:
            if key and _sensitive_name(key, k):
                if isinstance(v, Lit):
                    continue
                return "name", key
        return None
    return None


def _sensitive_name(n: str, k: Knowledge) -> bool:
    return bool(k.sensitive.search(n)) and not k.not_sensitive.search(n)


def _literal_only(e: Expr, scope: Scope, q: Query) -> bool:
    """Bound only to literals (a constant such as ``TOKEN_HEADER = "x-token"``)."""
    if not isinstance(e, Name):
        return False
    vals = list(q.bindings_of(e, scope))
    return bool(vals) and all(isinstance(v, Lit) for v in vals)


# ===================================================================== architecture.in_memory_state
STATE = "architecture.in_memory_state"


@check(STATE, on="module", roles={"app"})
def in_memory_state(mod: Module, q: Query) -> Iterator[RuleHit]:
    """A module-level container (dict, list, Map...) that request handlers add to, or a module-level chat
    object that keeps the conversation (``model.start_chat()``, a LangChain memory), used per request:
    every visitor of the process shares it, it grows without bound, and each worker has its own."""
    k = knowledge()
    per_run = mod.lang == "python" and any(i.split(".", 1)[0] in {"streamlit"} for i in mod.imports)
    if per_run:
        return  # a Streamlit page is re-run per session: its module-level names are not shared
    names = _containers(mod, q, k)
    chats = _chat_objects(mod, q, k)
    if not names and not chats:
        return
    reported: set[str] = set()
    for name, (line, how) in _mutated_per_request(mod, q, k, names).items():
        if name in reported:
            continue
        reported.add(name)
        keyed, whole = _model_use(mod, q, name)
        if whole:
            yield _hit(STATE, "Conversation kept in process memory, shared by every caller",
                       f"the module-level {name}{_at(names[name])} is added to {how} and sent whole to the model "
                       f"(line {whole}): one caller's messages reach the next caller's prompt, and it grows "
                       "without bound", mod.path, line, severity="high", confidence="high")
        else:
            extra = f"; it reaches the model (line {keyed}) keyed by the caller" if keyed else ""
            yield _hit(STATE, "State kept in process memory",
                       f"the module-level {name}{_at(names[name])} is added to {how}{extra}: it is lost on "
                       "restart, each worker or instance has its own, and nothing bounds it", mod.path, line)
    for name, (line, ctor, use_line, how) in chats.items():
        if name in reported:
            continue
        yield _hit(STATE, "Conversation kept in process memory, shared by every caller",
                   f"the module-level {name} = {ctor}() (line {line}) keeps the conversation and is used "
                   f"{how} (line {use_line}): every caller's messages go into one history, the next caller's "
                   "prompt included", mod.path, use_line, severity="high", confidence="high")


def _at(line: int) -> str:
    return f" (line {line})" if line else ""


def _containers(mod: Module, q: Query, k: Knowledge) -> dict[str, int]:
    """Module-level names bound only to an empty or literal container: name -> line (0 when unknown)."""
    out: dict[str, int] = {}
    rx = k.containers["python" if mod.lang == "python" else "js"]
    for name, values in mod.scope.bindings.items():
        if k.not_state.search(name) or not values or name.isupper() and mod.lang == "js":
            continue
        ok = True
        for v in values:
            if isinstance(v, (Obj, Arr)):
                continue
            if isinstance(v, Call) and any(rx.search(x) for x in q.quals(v.callee, mod.scope)):
                continue
            ok = False
            break
        if ok:
            out[name] = next((c.line for c in mod.calls if any(c is v for v in values)), 0)
    return out


def _root_name(e: Expr) -> Name | None:
    """``x`` of ``x``, ``x[k]``, ``x.get(k)``, ``x.setdefault(k, [])``."""
    while True:
        if isinstance(e, Elem):
            e = e.obj
        elif isinstance(e, Call) and isinstance(e.callee, Attr) and e.callee.name in {"get", "setdefault"}:
            e = e.callee.obj
        else:
            break
    return e if isinstance(e, Name) else None


def _mutated_per_request(mod: Module, q: Query, k: Knowledge, names: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Container name -> (line, how) of the first addition made in code that runs per request."""
    out: dict[str, tuple[int, str]] = {}

    def note(name: Name | None, scope: Scope, line: int) -> None:
        if name is None or name.id not in names or name.id in out:
            return
        if binding_scope(name.id, scope) is not mod.scope:
            return
        found = _request_function(scope, q)
        if found is not None:
            out[name.id] = (line, f"in {found[0].name}(), {found[1]}")

    for c in mod.calls:
        f = c.callee
        if isinstance(f, Attr) and f.name in k.adders:
            note(_root_name(f.obj), c.scope, c.line)
    for target, scope, line in mod.item_stores:
        note(_root_name(target), scope, line)
    for st in mod.stores:
        if isinstance(st.target, Name):
            note(st.target, st.scope, st.line)
    return out


def _model_use(mod: Module, q: Query, name: str) -> tuple[int, int]:
    """(line of a model call given an item of the container, line of one given the whole container)."""
    keyed = whole = 0
    for c in mod.calls:
        if q.site(c) is None:
            continue
        for a in [*c.args, *c.kwargs.values()]:
            for e in walk(_locals(a, c.scope, q), limit=200):
                if isinstance(e, Name) and e.id == name and binding_scope(name, c.scope) is mod.scope:
                    whole = whole or c.line
                elif isinstance(e, Elem) and isinstance(e.obj, Name) and e.obj.id == name:
                    keyed = keyed or c.line
    return keyed, whole


def _locals(a: Expr, scope: Scope, q: Query) -> list[Expr]:
    """The argument and, for a local name, what it is bound to (one level: ``msgs = history[sid]``)."""
    out = [a]
    if isinstance(a, Name) and binding_scope(a.id, scope) is not scope.module.scope:
        out += list(q.bindings_of(a, scope))[:4]
    return out


def _chat_objects(mod: Module, q: Query, k: Knowledge) -> dict[str, tuple[int, str, int, str]]:
    """Module-level chat objects that keep the conversation, used by a model call per request:
    name -> (line built, constructor, line used, how)."""
    out: dict[str, tuple[int, str, int, str]] = {}
    built: dict[str, tuple[int, str]] = {}
    for name, values in mod.scope.bindings.items():
        for v in values:
            if not isinstance(v, Call):
                continue
            quals = q.quals(v.callee, mod.scope) or [dotted(v.callee)]
            ctor = next((x for x in quals if k.stateful_chats.search(x)), None)
            if ctor is None:
                mem = v.options().get("memory")
                if mem is not None and any(k.stateful_chats.search(x) for x in
                                           q.quals(mem.callee if isinstance(mem, Call) else mem, mod.scope)):
                    ctor = dotted(v.callee)
            if ctor is not None:
                built[name] = (v.line, _display(ctor).rsplit(".", 1)[-1] if "." in ctor else ctor)
    if not built:
        return out
    for c in mod.calls:
        base = c.callee.obj if isinstance(c.callee, Attr) else None
        while isinstance(base, Attr):
            base = base.obj
        if not isinstance(base, Name) or base.id not in built or base.id in out:
            continue
        if binding_scope(base.id, c.scope) is not mod.scope or q.site(c) is None:
            continue
        found = _request_function(c.scope, q)
        if found is not None:
            line, ctor = built[base.id]
            out[base.id] = (line, ctor, c.line, f"in {found[0].name}(), {found[1]}")
    return out


# ===================================================================== deployment.dev_server_entrypoint
DEV_SERVER = "deployment.dev_server_entrypoint"
_PACKAGE_JSON = r"(^|/)package\.json$"


@check(DEV_SERVER, on="file", files=f"(?i:{DEPLOY.pattern})|{_PACKAGE_JSON}", roles={"app", "config", "other"},
       languages=("config",))
def dev_server_entrypoint(path: str, text: str, q: Query) -> Iterator[RuleHit]:
    """A deploy file (Dockerfile CMD, Procfile, compose command, fly/render start command) or the
    package.json start script runs a development server: flask run, manage.py runserver, python app.py
    whose code calls app.run(), next dev, vite, nodemon, npm run dev. A reload flag is
    deployment.debug_enabled's."""
    k = knowledge()
    if re.search(_PACKAGE_JSON, path):
        yield from _package_start(path, text, q, k)
        return
    if _DEV_NAME.search(posixpath.basename(path)):
        return
    for fact in deploy_facts(path, text):
        if fact.kind != "cmd":
            continue
        got = _dev_command(list(fact.tokens), q, k)
        if got:
            yield _hit(DEV_SERVER, "Development server as the production entry point",
                       f"{fact.name} runs {got}: it serves one request at a time or restarts on file changes, "
                       "with no worker management", path, fact.line)


def _dev_command(tokens: list[str], q: Query, k: Knowledge) -> str | None:
    if any(t == "--reload" or t.startswith("--reload=") or t == "--debug" for t in tokens):
        return None  # deployment.debug_enabled reports it
    prog, _args = _program(tuple(tokens))
    if prog is not None:
        if prog == "flask" and _args[:1] == ["run"]:
            return "flask run (Werkzeug's development server)"
        return None  # gunicorn, uvicorn...: production servers
    words = [posixpath.basename(t) for t in tokens]
    for i, w in enumerate(words):
        nxt = words[i + 1:]
        for spec in k.dev_commands:
            if w == spec["program"] and nxt[:len(spec["args"])] == spec["args"] and not (
                    spec.get("not_args") and nxt[:1] and nxt[0] in spec["not_args"]):
                return f"{' '.join([w, *spec['args']])} ({spec['what']})"
        if w in k.script_runners and nxt:
            script = nxt[1] if nxt[0] == "run" and len(nxt) > 1 else nxt[0]
            if script in k.dev_scripts:
                return f"{w} {' '.join(nxt[:2] if nxt[0] == 'run' else nxt[:1])} (the project's development script)"
        if re.match(r"^python(\d(\.\d+)?)?$", w) and nxt and nxt[0].endswith(".py"):
            module = tokens[i + 1].removeprefix("./")
            if _runs_dev_server(module, q, k):
                return f"python {module}, whose code starts Flask's development server with app.run()"
    return None


def _runs_dev_server(module: str, q: Query, k: Knowledge) -> bool:
    mods = [m for p, m in q.repo.modules.items() if p == module or p.endswith("/" + module)
            or posixpath.basename(p) == posixpath.basename(module)]
    for m in mods[:3]:
        for c in m.calls:
            if last_name(c.callee) == "run" and any(k.python_dev_run.search(x) for x in q.quals(c.callee, c.scope)):
                return True
    return False


def _package_start(path: str, text: str, q: Query, k: Knowledge) -> Iterator[RuleHit]:
    """The start script of package.json runs a development server (``"start": "next dev"``), and the
    repository deploys it (a Dockerfile, Procfile or platform file runs npm start)."""
    if '"start"' not in text:
        return
    try:
        data = json.loads(text)
    except ValueError:
        return
    scripts = data.get("scripts") if isinstance(data, dict) else None
    cmd = scripts.get("start") if isinstance(scripts, dict) else None
    if not isinstance(cmd, str):
        return
    from .deployment import _split
    got = _dev_command(list(_split(cmd)), q, k)
    if not got or not _deployed(q):
        return
    line = next((n for n, t in enumerate(text.splitlines(), 1) if '"start"' in t), 1)
    yield _hit(DEV_SERVER, "Development server as the production entry point",
               f"the start script runs {got}, and a deploy file starts the app with it", path, line)


def _deployed(q: Query) -> bool:
    """A deploy file of the repository starts the app (npm start, yarn start...)."""
    if q.files is None:
        return False
    for f in q.files.files:
        if not DEPLOY.search(f.path) or _DEV_NAME.search(posixpath.basename(f.path)):
            continue
        for fact in deploy_facts(f.path, q.files.read_text(f) or ""):
            if fact.kind == "cmd" and re.search(r"\b(npm|yarn|pnpm|bun) (run )?start\b", " ".join(fact.tokens)):
                return True
    return False

