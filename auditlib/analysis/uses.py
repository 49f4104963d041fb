"""What the code does with model prompts, responses and keys (LLMUseSite kinds), from the IR.

Written once for Python and JS/TS. The knowledge (sinks, agents, key options, metadata fields) is data:
checklists/uses.yaml.

Value flow: ``_Flow.sources(expr, scope)`` is what an expression's text derives from, as a small set of
model calls (a ``Call`` that ``q.site`` recognises: its result is model output) and parameters (a
``Param``: whatever the function's callers pass). It follows local names (every assignment, and the
arguments of ``x.append(...)`` / ``x["k"] = ...``), attributes (instance fields, stores on other
objects), elements, string building, the repository's own functions (their returns, with their
parameters replaced by the arguments of the call) and any other call (its receiver and arguments:
``re.search(p, answer).group(1)`` is still the answer). It stops at metadata (``resp.usage``,
``resp.id``) and at builtins that say nothing of their argument (``len(x)``).

A sink whose argument carries a model call is a use at the sink; one that carries a parameter makes
the function a sink for that parameter, and the repository's calls of that function that pass model
output are uses at the sink too (the old ``_find_sink_parameters``, two levels of helpers).
"""

from __future__ import annotations

import functools
import re
from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

from ..models import LLMCallSite, LLMUseKind, LLMUseSite
from ..rubric import knowledge_file, read_knowledge
from .ir import (
    Arr,
    Attr,
    Bin,
    Call,
    ClsRef,
    Cmp,
    Elem,
    Expr,
    Fn,
    Imp,
    Lit,
    Module,
    Name,
    Not,
    Obj,
    Param,
    Scope,
    Store,
    Tmpl,
    Union,
)
from .irtools import (
    binding_scope,
    children,
    dotted,
    last_name,
    literal_text,
    may_be_external,
    string_value,
    walk,
)
from .layers import package_of, sdk_label
from .query import Query
from .tables import Tables, tables

MAX_SOURCES = 8
MAX_DEPTH = 60
VIA_LEVELS = 2
"""Helpers followed from a sink back to the model call: show(text) -> print, and one caller above."""

_EMPTY: frozenset[Any] = frozenset()
_KINDS: dict[str, LLMUseKind] = {"log": "response_logged", "exec": "model_output_executed",
                                 "sql": "model_output_to_sql", "shell": "model_output_to_shell",
                                 "data": "model_output_parsed"}


# ------------------------------------------------------------------------------------------ knowledge
class Knowledge:
    """uses.yaml, compiled."""

    def __init__(self, data: dict[str, Any], web: Tables | None = None) -> None:
        web = web or tables()
        self.metadata = frozenset(data["metadata"])
        self.opaque = frozenset(data["opaque"])
        self.mutators = frozenset(data["mutators"])
        self.usage_fields = frozenset(data["usage_fields"])
        self.prompt_keys = frozenset(data["prompt_keys"])
        self.not_prompts = frozenset(data["not_prompts"])
        self.not_prompt_names = frozenset(data["not_prompt_names"])
        self._log(data["log"], web)
        ex = data["exec"]
        self.exec_builtins = {lang: frozenset(v) for lang, v in ex["builtins"].items()}
        self.exec_qual = re.compile(ex["qual"])
        self.source_kwargs = tuple(ex["source_kwargs"])
        sh = data["shell"]
        self.shell_always = re.compile(sh["always"])
        self.shell_program = re.compile(sh["program"])
        self.program_is_command = re.compile(sh["program_is_command"])
        self.shells = frozenset(sh["shells"])
        self.command_kwargs = tuple(sh["command_kwargs"])
        self.confirm = re.compile(sh.get("confirm") or r"(?!)")
        self.confirm_builtins = frozenset(sh.get("confirm_builtins") or ())
        self._sql(data["sql"], web)
        keys = data["keys"]
        self.key_options = frozenset(keys["options"])
        self.key_name = re.compile(keys["name"])
        self.shared_caches = re.compile(keys.get("shared_caches") or r"^$")
        self.per_run_modules = frozenset(keys.get("per_run_modules") or ())
        self.environment = re.compile(keys["environment"])
        self.environment_calls = re.compile(keys["environment_calls"])
        self.configure = frozenset(keys["configure"])
        self.route_decorators = web.py.route_methods
        self.not_request = web.py.dependency_calls
        self.agents = [dict(a, match=re.compile(a["match"])) for a in data["agents"]]
        self.flags = data["flags"]
        dbs = data.get("sql_databases") or {}
        self.db_connectors = re.compile(dbs.get("connectors") or r"(?!)")
        self.db_options = tuple(dbs.get("options") or ())
        self.db_url_options = tuple(dbs.get("url_options") or ())
        self.db_read_only = re.compile(dbs.get("read_only") or r"(?!)")
        self.db_read_only_options = frozenset(dbs.get("read_only_options") or ())
        # a call whose last name is none of these words cannot match a pattern: not resolved (a prefilter)
        self.shell_words = _words(sh["always"], sh["program"])
        self.exec_words = _words(ex["qual"])
        self.agent_words = _words(*(a["match"] for a in data["agents"]))
        # model text used as data (issue 9): parsed, or made a file name, a URL or HTML
        out = data.get("output_sinks") or {}
        self.data_sinks = [(re.compile(s["qual"]), s.get("arg", "first")) for s in out.get("calls") or ()]
        self.data_builtins = {lang: frozenset(v) for lang, v in (out.get("builtins") or {}).items()}
        self.text_methods = {lang: frozenset(v) for lang, v in (out.get("text_methods") or {}).items()}
        self.data_words = _words(*(s["qual"] for s in out.get("calls") or ()))
        # every method or function name some sink test below accepts (``_Uses.sinks``): a call by
        # another name is no sink, whatever it resolves to (JS console.* is tested apart)
        self.sink_names = {lang: frozenset().union(
            self.log_levels[lang], self.exec_builtins.get(lang, ()), self.exec_words, self.shell_words,
            self.runner_methods, self.sql_methods[lang], self.data_words, self.text_methods.get(lang, ()),
            self.data_builtins.get(lang, ()), self.prints if lang == "python" else ()) for lang in ("python", "js")}

    def _log(self, log: dict[str, Any], web: Tables) -> None:
        self.prints = frozenset(log["prints"])
        self.server_modules = web.py.web_modules | set(log["server_modules"])
        self.server_module_paths = web.py.web_module_paths
        self.js_server_packages = frozenset(web.js.web_frameworks) | set(log["js_server_packages"])
        self.js_server_paths = [re.compile(log["js_server_paths"]), web.js.next_pages, web.js.next_app,
                                web.js.next_middleware]
        self.server_import_levels = int(log["server_import_levels"])
        self.log_levels = {"python": web.py.log_levels | set(log["level_first"]), "js": web.js.log_levels}
        self.level_first = frozenset(log["level_first"])
        self.loggers = web.py.logger_names | web.js.logger_names
        self.logger_factories = web.py.logger_factories
        self.consoles = web.js.prints
        self.log_meta_kwargs = frozenset(log["meta_kwargs"])

    def _sql(self, sql: dict[str, Any], web: Tables) -> None:
        self.sql_methods = {"python": web.py.sql_calls, "js": frozenset(sql["methods"]["js"])}
        self.sql_only = frozenset(sql["sql_only"])
        self.query_kwargs = tuple(sql["query_kwargs"])
        self.not_receivers = {lang: frozenset(v) for lang, v in sql["not_receivers"].items()}
        self.driver_hint = re.compile(sql["driver_hint"])
        extra = sql["extra_db_modules"]
        self.db_modules = {"python": web.py.db_modules | set(extra["python"]), "js": web.js.db_modules | set(extra["js"])}
        self.local_db_names = web.js.local_db_names
        self.string_calls = frozenset(sql["string_calls"])
        self.runner_methods = frozenset(sql["runners"]["methods"])
        self.runner_built_by = re.compile(sql["runners"]["built_by"])

    @classmethod
    def load(cls, path: Path | None = None) -> Knowledge:
        return cls(read_knowledge(path or knowledge_file("uses.yaml")))


def _words(*patterns: str) -> frozenset[str]:
    return frozenset(w for p in patterns for w in re.findall(r"[A-Za-z_]\w*", p))


def knowledge() -> Knowledge:
    """checklists/uses.yaml (or the AUDITLIB_RUBRIC folder's), compiled once per file."""
    return _knowledge(knowledge_file("uses.yaml"))


@functools.cache
def _knowledge(path: Path) -> Knowledge:
    return Knowledge.load(path)


# ------------------------------------------------------------------------------------------ entry point
def is_server_code(q: Query, mod: Module) -> bool:
    """Whether ``mod`` runs on a server: it imports a web framework or declares routes, or such a file
    imports it (``server_import_levels`` deep); a "use client" file never. Browser code's console.log
    is no log and its fetch holds no server resource. Computed once per repository."""
    servers = getattr(q, "_server_modules", None)
    if servers is None:
        uses = _Uses(q, knowledge())
        servers = frozenset(p for p, m in q.repo.modules.items() if not m.error and uses.is_server(m))
        q._server_modules = servers  # type: ignore[attr-defined]
    return mod.path in servers


def importers(q: Query) -> dict[str, frozenset[str]]:
    """path -> the repository's modules that import it (JS and Python; computed once per repository)."""
    memo = q.__dict__.setdefault("_facts_memo", {})
    found: dict[str, frozenset[str]] | None = memo.get("importers")
    if found is None:
        uses = _Uses(q, knowledge())
        rev: dict[str, set[str]] = {}
        for p, m in q.repo.modules.items():
            if not m.error:
                for t in uses._imported(m):
                    if t != p:
                        rev.setdefault(t, set()).add(p)
        found = memo["importers"] = {t: frozenset(s) for t, s in rev.items()}
    return found


def log_arguments(q: Query, call: Call) -> list[Expr]:
    """The arguments ``call`` writes to a log (a logger's level method, or print / console.* in server
    code), else []: the same sinks of kind "log" the use-site pass follows model output into."""
    memo = q.__dict__.setdefault("_facts_memo", {})
    uses = memo.get("log_sinks")
    if uses is None:
        uses = memo["log_sinks"] = _Uses(q, knowledge())
    sinks = uses.sinks(call)
    return list(sinks[0].exprs) if sinks and sinks[0].kind == "log" else []


def asks_first(q: Query, call: Call) -> bool:
    """Whether ``call`` runs only in a branch on an interactive answer of the person at the terminal (a
    confirmation or choice prompt: ``shell.confirm`` of checklists/uses.yaml), as model output passed to a
    shell is judged; checks/outsink.py grades model-chosen file paths and URLs with it."""
    memo = q.__dict__.setdefault("_facts_memo", {})
    uses = memo.get("log_sinks")
    if uses is None:
        uses = memo["log_sinks"] = _Uses(q, knowledge())
    return bool(uses._confirmed(call))


def llm_uses(q: Query, calls: list[LLMCallSite] | None = None) -> list[LLMUseSite]:
    """Every model-related use site of the repository (see :class:`auditlib.models.LLMUseSite`).
    ``calls`` (the call-site facts) is not needed: model calls are ``q.site`` over the IR."""
    return _Uses(q, knowledge()).run()


# ------------------------------------------------------------------------------------------ IR helpers
def _within(inner: Scope | None, outer: Scope) -> bool:
    while inner is not None:
        if inner is outer:
            return True
        inner = inner.parent
    return False


def _holds(e: Expr, call: Call) -> bool:
    """``e`` is ``call`` or builds on it (``OpenAI(api_key=k).chat``, ``x or OpenAI(...)``)."""
    return any(n is call for n in walk(e, 200))


def _has_options(c: Call) -> bool:
    """``c.options()`` would not be empty: keywords, or an object literal among the arguments."""
    if c.kwargs:
        return True
    for a in c.args:  # a loop, not any(): this runs for every call of the repository, twice
        if isinstance(a, Obj):
            return True
    return False


def _is_true(e: Expr | None) -> bool:
    return isinstance(e, Lit) and (e.value is True or e.value == "true")


# ------------------------------------------------------------------------------------------ value flow
class _Flow:
    """What expressions derive from: model calls and parameters (memoised per expression and scope)."""

    def __init__(self, q: Query, k: Knowledge) -> None:
        self.q, self.repo, self.k = q, q.repo, k
        self._memo: dict[tuple[int, int], frozenset[Any]] = {}
        self._names: dict[tuple[int, str], frozenset[Any]] = {}
        self._returns: dict[int, frozenset[Any]] = {}
        self._active: set[Any] = set()
        self._solving: set[tuple[int, str]] = set()
        self._store_keys: dict[int, tuple[Any, ...] | None] = {}
        self._mutations: dict[tuple[int, str], list[tuple[Expr, Scope]]] | None = None
        self._stores: dict[str, list[Any]] | None = None

    # ---------------------------------------------------------------------------- indexes
    def mutations(self, scope: Scope, name: str) -> list[tuple[Expr, Scope]]:
        """What ``name`` (bound in ``scope``) gets added: ``name.append(x)``, ``name["k"] = x``."""
        if self._mutations is None:
            self._mutations = {}
            for mod in self.repo.modules.values():
                for c in mod.calls:
                    f = c.callee
                    if isinstance(f, Attr) and f.name in self.k.mutators and isinstance(f.obj, Name):
                        home = binding_scope(f.obj.id, c.scope)
                        if home is not None:
                            items = [(a, c.scope) for a in [*c.args, *c.kwargs.values()]]
                            self._mutations.setdefault((id(home), f.obj.id), []).extend(items)
                for st in mod.stores:
                    if isinstance(st.target, Name):
                        home = binding_scope(st.target.id, st.scope)
                        if home is not None:
                            self._mutations.setdefault((id(home), st.target.id), []).append((st.value, st.scope))
        return self._mutations.get((id(scope), name), [])

    def stores(self, name: str) -> list[Any]:
        if self._stores is None:
            self._stores = {}
            for mod in self.repo.modules.values():
                for st in mod.stores:
                    self._stores.setdefault(st.name, []).append(st)
        return self._stores.get(name, [])

    # ---------------------------------------------------------------------------- sources
    def sources(self, e: Expr | None, scope: Scope) -> frozenset[Any]:
        """What ``e`` derives from: model calls and parameters (at most MAX_SOURCES, calls first)."""
        return self.resolve(self.raw(e, scope))

    def resolve(self, raw: frozenset[Any] | set[Any]) -> frozenset[Any]:
        """Replace the local-name markers of a raw set by what those names hold."""
        out: set[Any] = set()
        for x in raw:
            if isinstance(x, tuple):
                out |= self.name_value(x[1], x[2])
            else:
                out.add(x)
        return _cap(out)

    def raw(self, e: Expr | None, scope: Scope) -> frozenset[Any]:
        """Like ``sources``, with a read of a local name left as a marker ("local", scope, name): name
        chains are solved per scope without recursion (a generated file chains thousands)."""
        if e is None:
            return _EMPTY
        key = (id(e), id(scope))
        got = self._memo.get(key)
        if got is not None:
            return got
        if key in self._active or len(self._active) > MAX_DEPTH:
            return _EMPTY
        self._active.add(key)
        try:
            out = self._raw(e, scope)
        finally:
            self._active.discard(key)
        out = _cap(out, 4 * MAX_SOURCES)
        self._memo[key] = out
        return out

    def union(self, exprs: Iterable[Expr], scope: Scope) -> set[Any]:
        out: set[Any] = set()
        for x in exprs:
            if not isinstance(x, Fn):
                out |= self.raw(x, scope)
        return out

    def _raw(self, e: Expr, scope: Scope) -> set[Any] | frozenset[Any]:
        if isinstance(e, Name):
            home = binding_scope(e.id, scope)
            return {("local", home, e.id)} if home is not None else _EMPTY
        if isinstance(e, Param):
            return {e}
        if isinstance(e, Attr):
            if e.name in self.k.metadata:
                return _EMPTY
            return self.raw(e.obj, scope) | self.fields(e, scope)
        if isinstance(e, Call):
            return self.call(e, scope)
        if isinstance(e, (Not, Cmp)):
            return _EMPTY  # a boolean says nothing of the text
        return self.union(children(e), scope)

    def name_value(self, home: Scope, name: str) -> frozenset[Any]:
        """What the local name holds: every assignment to it and everything added to it."""
        got = self._names.get((id(home), name))
        if got is None:
            if (id(home), name) in self._solving:
                return _EMPTY  # a cycle through another scope: what is known so far
            self._solve(home, name)
            got = self._names.get((id(home), name), _EMPTY)
        return got

    def _solve(self, home: Scope, start: str) -> None:
        """``start`` and the names of ``home`` it depends on: their raw sources, then a fixpoint."""
        raw_of: dict[str, set[Any]] = {}
        todo = [start]
        while todo:
            n = todo.pop()
            if n in raw_of or (id(home), n) in self._names:
                continue
            self._solving.add((id(home), n))
            r = self.union(home.bindings.get(n, ()), home)
            for value, s in self.mutations(home, n):
                r |= self.raw(value, s)
            raw_of[n] = r
            todo += [x[2] for x in r if isinstance(x, tuple) and x[1] is home]
        val: dict[str, frozenset[Any]] = {}
        users: dict[str, set[str]] = {}
        for n, r in raw_of.items():
            direct: set[Any] = set()
            for x in r:
                if not isinstance(x, tuple):
                    direct.add(x)
                elif x[1] is not home:
                    direct |= self.name_value(x[1], x[2])
                elif x[2] in raw_of:
                    users.setdefault(x[2], set()).add(n)
                else:
                    direct |= self._names.get((id(home), x[2]), _EMPTY)
            val[n] = _cap(direct)
        queue = deque(val)
        while queue:
            m = queue.popleft()
            for n in users.get(m, ()):
                new = _cap(val[n] | val[m])
                if new != val[n]:
                    val[n] = new
                    queue.append(n)
        for n in raw_of:
            self._names[(id(home), n)] = val[n]
            self._solving.discard((id(home), n))

    def fields(self, e: Attr, scope: Scope) -> set[Any]:
        """``self.answer`` / ``this.answer`` (instance fields) and ``st.session_state.answer`` (stores)."""
        out: set[Any] = set()
        for v in self.repo.values(e.obj, scope):
            if v[0] == "inst":
                for cls in self.repo._mro(v[1]):
                    for value, s in cls.fields.get(e.name, ()):
                        if not isinstance(value, Fn):
                            out |= self.raw(value, s)
        cands = self.stores(e.name)
        if cands:
            key = self.repo.access_key(e.obj, scope)
            if key is not None:
                for st in cands:
                    if self._store_key(st) == key:
                        out |= self.raw(st.value, st.scope)
        return out

    def call(self, c: Call, scope: Scope) -> set[Any] | frozenset[Any]:
        if self.q.site(c) is not None:
            return {c}  # model output
        f = c.callee
        if isinstance(f, Name) and f.id in self.k.opaque and binding_scope(f.id, scope) is None:
            return _EMPTY
        fns = [v[1] for v in self.repo.values(f, scope) if v[0] == "fn"]
        if fns:
            out: set[Any] = set()
            for fs in fns:
                out |= self.through(fs, c, scope)
            return out
        out = self.union([*c.args, *c.kwargs.values()], scope)
        if isinstance(f, Attr):  # a method of a value: answer.strip(), re.search(p, answer).group(1)
            out |= self.sources(f.obj, scope)
        return out

    def returns(self, fs: Scope) -> frozenset[Any]:
        got = self._returns.get(id(fs))
        if got is None:
            self._returns[id(fs)] = _EMPTY  # recursion
            got = self.resolve(self.union([*fs.returns, *fs.yields], fs))
            self._returns[id(fs)] = got
        return got

    def _store_key(self, st: Store) -> tuple[Any, ...] | None:
        if id(st) not in self._store_keys:
            self._store_keys[id(st)] = self.repo.access_key(st.target, st.scope)
        return self._store_keys[id(st)]

    def through(self, fs: Scope, c: Call, scope: Scope) -> set[Any]:
        """What a call of the repository's function ``fs`` returns: its returns' sources, its own
        parameters replaced by what the call passes."""
        out: set[Any] = set()
        for src in self.returns(fs):
            if isinstance(src, Param) and src.scope is fs:
                out |= self.raw(arg_for(src, c), scope)
            else:
                out.add(src)
        return out


def _source_order(src: Any) -> tuple[Any, ...]:
    if isinstance(src, Call):
        return (0, src.scope.module.path, src.line, src.text)
    if isinstance(src, tuple):  # ("local", scope, name)
        return (1, src[1].module.path, src[1].line, src[2])
    return (2, src.scope.module.path, src.scope.line, src.name)


def _cap(items: Collection[Any], n: int = MAX_SOURCES) -> frozenset[Any]:
    """The first ``n`` sources, model calls first (deterministic)."""
    if len(items) <= n:
        return frozenset(items)
    return frozenset(sorted(items, key=_source_order)[:n])


def arg_for(p: Param, c: Call) -> Expr | None:
    """The argument a call passes for parameter ``p`` (by keyword, else by position)."""
    if p.name in c.kwargs:
        return c.kwargs[p.name]
    offset = 1 if p.scope.self_name else 0
    if not p.kw_only and 0 <= p.index - offset < len(c.args):
        arg = c.args[p.index - offset]
        return None if isinstance(arg, Obj) and arg.items and arg.items[0][0] is None else arg
    return None


# ------------------------------------------------------------------------------ databases of SQL agents
class DatabaseAccess:
    """What the database an agent running model-written SQL works on is (issue 9), followed from the
    agent's database options and positional arguments (``db=``, ``toolkit=``: ``sql_databases.options``
    of checklists/uses.yaml) through names, lambdas (``creator=lambda: sqlite3.connect(...)``) and the
    repository's functions (their returns, parameters replaced by the caller's arguments) to the calls
    that open it (``sql_databases.connectors``). Each opening is ``read_only`` (a URL opened read-only,
    ``file:x.db?mode=ro``, or a ``read_only=True`` option), ``visitor`` (its URL is the visitor's own input,
    as typed: their own database) or ``server`` (anything else). ``from_user(expr, scope)`` says whether a
    value is request data or a UI input."""

    def __init__(self, q: Query, k: Knowledge, from_user: Callable[[Expr, Scope], bool]) -> None:
        self.q, self.k, self.from_user = q, k, from_user
        self._active: set[Any] = set()

    def of_agent(self, c: Call) -> dict[str, tuple[str, int]]:
        """kind -> (path, line) of its first opening, over every database the agent may be given (empty:
        no opening found)."""
        opts = c.options()
        exprs = [v for key, v in opts.items() if key in self.k.db_options]
        exprs += [a for a in c.args if not isinstance(a, (Obj, Fn))]
        out: dict[str, tuple[str, int]] = {}
        for e in exprs:
            for kind, path, line in sorted(self._of(e, c.scope, 0, {})):
                out.setdefault(kind, (path, line))
        return out

    @staticmethod
    def grade(found: dict[str, tuple[str, int]]) -> str | None:
        """``read_only`` / ``visitor`` when every database found is one (see LLMUseSite.database), else None."""
        kinds = set(found)
        if not kinds or "server" in kinds:
            return None
        return "read_only" if "read_only" in kinds else "visitor"

    @staticmethod
    def describe(found: dict[str, tuple[str, int]], path: str) -> str:
        def at(kind: str) -> str:
            p, line = found[kind]
            return f"line {line}" if p == path else f"{p}:{line}"
        parts = []
        if "read_only" in found:
            parts.append(f"opened read-only ({at('read_only')})")
        if "visitor" in found:
            parts.append(f"the visitor's own, from a URL they type ({at('visitor')})")
        return "; the database is " + " or ".join(parts)

    def _of(self, e: Expr | None, scope: Scope, depth: int, subst: dict[int, Any]) -> set[tuple[str, str, int]]:
        if e is None or depth > 12:
            return set()
        key = (id(e), id(scope))
        if key in self._active:
            return set()
        self._active.add(key)
        try:
            return self._of_expr(e, scope, depth + 1, subst)
        finally:
            self._active.discard(key)

    def _bound(self, e: Name, scope: Scope, subst: dict[int, Any]) -> Iterator[tuple[Expr, Scope]]:
        home = binding_scope(e.id, scope)
        if home is None:
            return
        for b in home.bindings.get(e.id, ())[:8]:
            yield subst[id(b)] if isinstance(b, Param) and id(b) in subst else (b, home)

    def _of_expr(self, e: Expr, scope: Scope, nxt: int, subst: dict[int, Any]) -> set[tuple[str, str, int]]:
        out: set[tuple[str, str, int]] = set()
        if isinstance(e, Name):
            for b, s in self._bound(e, scope, subst):
                out |= self._of(b, s, nxt, subst)
            return out
        if isinstance(e, Fn):
            for r in e.scope.returns:
                out |= self._of(r, e.scope, nxt, subst)
            return out
        if not isinstance(e, Call):
            for x in children(e):
                out |= self._of(x, scope, nxt, subst)
            return out
        fns = [v[1] for v in self.q.repo.values(e.callee, scope) if v[0] == "fn"]
        if fns:  # the repository's function: what it returns, with the caller's arguments
            for fs in fns[:4]:
                inner = dict(subst)
                for p in fs.params:
                    a = arg_for(p, e)
                    if a is not None:
                        inner[id(p)] = (a, scope)
                for r in fs.returns:
                    out |= self._of(r, fs, nxt, inner)
            return out
        for a in [*e.args, *e.kwargs.values()]:
            out |= self._of(a, scope, nxt, subst)
        if out or not self.k.db_connectors.search(last_name(e.callee, through_calls=True)):
            return out  # a wrapper of an opened database (SQLDatabase(create_engine(...))), or another call
        where = (scope.module.path, e.line)
        if self._read_only(e, scope, subst):
            return {("read_only", *where)}
        opts = e.options()
        url = next((a for a in e.args if not isinstance(a, (Obj, Fn))), None)
        url = url if url is not None else next((opts[k] for k in self.k.db_url_options if k in opts), None)
        kinds = self._url(url, scope, nxt, subst) if url is not None else set()
        return {(k, *where) for k in kinds or {"server"}}

    def _read_only(self, c: Call, scope: Scope, subst: dict[int, Any]) -> bool:
        opts = c.options()
        if any(_is_true(opts.get(k)) for k in self.k.db_read_only_options):
            return True
        return any(self.k.db_read_only.search(t) for a in [*c.args, *opts.values()] for t in self._texts(a, scope, subst, 0))

    def _texts(self, e: Expr | None, scope: Scope, subst: dict[int, Any], depth: int) -> list[str]:
        """The literal text of a string argument (through names and ``+``)."""
        if e is None or depth > 4:
            return []
        if isinstance(e, (Lit, Tmpl)):
            return [literal_text(e)]
        if isinstance(e, Bin):
            return self._texts(e.left, scope, subst, depth + 1) + self._texts(e.right, scope, subst, depth + 1)
        if isinstance(e, Name):
            return [t for b, s in self._bound(e, scope, subst) for t in self._texts(b, s, subst, depth + 1)]
        return []

    def _url(self, e: Expr | None, scope: Scope, depth: int, subst: dict[int, Any]) -> set[str]:
        """``visitor`` for a URL that is the visitor's input as typed, ``server`` for one the code writes or
        composes (a URL literal, a formatted string); a constant that is no URL (a sentinel) says nothing."""
        if e is None or depth > 12:
            return set()
        if isinstance(e, Name):
            out: set[str] = set()
            for b, s in self._bound(e, scope, subst):
                out |= self._url(b, s, depth + 1, subst)
            return out
        if isinstance(e, Lit):
            text = e.value if isinstance(e.value, str) else ""
            return {"server"} if (":" in text or "/" in text or "." in text) else set()
        if isinstance(e, (Tmpl, Bin)):
            return {"server"}
        if isinstance(e, Param):  # not passed by a caller the walk came through
            return {"visitor"} if self.from_user(e, e.scope) else {"server"}
        return {"visitor"} if self.from_user(e, scope) else {"server"}


# ------------------------------------------------------------------------------------------ the pass
class _Sink:
    __slots__ = ("api", "call", "exprs", "kind")

    def __init__(self, kind: str, call: Call, exprs: list[Expr]) -> None:
        self.kind, self.call, self.exprs = kind, call, exprs
        self.api = call.text


class _Uses:
    def __init__(self, q: Query, k: Knowledge) -> None:
        self.q, self.repo, self.k = q, q.repo, k
        self.flow = _Flow(q, k)
        self.out: dict[tuple[str, str, int], LLMUseSite] = {}
        self._facts: dict[str, dict[str, Any]] = {}
        self._servers: set[str] | None = None
        self._sites: dict[str, list[Call]] = {}

    def run(self) -> list[LLMUseSite]:
        paths = [mod.path for mod in self.q.parsed_modules()]
        for path in paths:
            self._sites[path] = [c for c in self.repo.modules[path].calls if self.q.site(c) is not None]
        pending: list[tuple[Param, _Sink, int]] = []
        if any(self._sites.values()):
            prompts = self._prompt_index(paths)
            for path in paths:
                mod = self.repo.modules[path]
                # the per-module index of callee names: a Python module without a sink's name is skipped
                # whole (a JS console method may have any name: those calls are all looked at)
                names, present = self.q.call_names(mod)
                wanted = self.k.sink_names[mod.lang]
                if mod.lang == "python" and wanted.isdisjoint(present):
                    continue
                for call, name in zip(mod.calls, names, strict=True):
                    if name not in wanted and mod.lang == "python":
                        continue
                    for sink in self._sinks(call, mod.lang, name):
                        try:
                            pending += self._direct(sink, prompts)
                        except RecursionError:  # a pathological expression: this sink is not judged
                            continue
            self._via(pending)
        for path in paths:
            mod = self.repo.modules[path]
            if self._sites[path] or self.facts(mod)["sdk"]:
                self._usage_reads(mod)
            self._keys(mod)
            self._agents(mod)
        return sorted(self.out.values(), key=lambda u: (u.path, u.line, u.kind))

    # ---------------------------------------------------------------------------- recording
    def add(self, kind: LLMUseKind, where: Scope, line: int, api: str, detail: str, site: Call | None = None, *,
            database: str | None = None, confirmed: bool = False) -> None:
        path = where.module.path
        key = (path, kind, line)
        got = self.out.get(key)
        if got is not None:
            if got.confirmed and not confirmed:  # run by the user's choice only if every way to it asks
                self.out[key] = got.model_copy(update={"confirmed": False})
            return
        call_line = site.line if site is not None and site.scope.module.path == path else None
        self.out[key] = LLMUseSite(
            path=path, line=line, function=self.q.function_name(where), kind=kind, api=api[:120],
            detail=detail[:240], call_line=call_line,
            call_at=f"{site.scope.module.path}:{site.line}" if site is not None else None,
            database=database, confirmed=confirmed)  # type: ignore[arg-type]

    @staticmethod
    def _site_text(site: Call, path: str) -> str:
        where = f"line {site.line}" if site.scope.module.path == path else f"{site.scope.module.path} line {site.line}"
        return f"{site.text} ({where})"

    def facts(self, mod: Module) -> dict[str, Any]:
        """Per file: what it imports that matters here (server framework, database, model SDK)."""
        got = self._facts.get(mod.path)
        if got is None:
            imports = mod.imports
            if mod.lang == "python":
                tops = {i.split(".", 1)[0] for i in imports}
                server = bool(tops & self.k.server_modules) or bool(set(imports) & self.k.server_module_paths) or any(
                    self._is_route(s) for s in mod.scopes)
                db = bool(tops & self.k.db_modules["python"])
            else:
                pkgs = {package_of(i) for i in imports}
                server = "use client" not in mod.directives and (
                    "use server" in mod.directives or bool((pkgs | set(imports)) & self.k.js_server_packages)
                    or any(rx.search(mod.path) for rx in self.k.js_server_paths))
                db = bool(pkgs & self.k.db_modules["js"]) or any(
                    package_of(i) is None and i.rstrip("/").rsplit("/", 1)[-1].lower() in self.k.local_db_names
                    for i in imports)
            sdk = any(sdk_label(mod.lang, i) for i in imports)
            got = self._facts[mod.path] = {"server": server, "db": db, "sdk": sdk}
        return got

    def is_server(self, mod: Module) -> bool:
        """Server code: a file that imports a web framework or declares routes, or the project's modules
        such files import (``server_import_levels`` deep): there print / console.log write to the logs."""
        if self._servers is None:
            found = {p for p, m in self.repo.modules.items() if not m.error and self.facts(m)["server"]}
            frontier = set(found)
            for _ in range(self.k.server_import_levels):
                frontier = {t for p in frontier for t in self._imported(self.repo.modules[p])
                            if "use client" not in self.repo.modules[t].directives} - found
                found |= frontier
            self._servers = found
        return mod.path in self._servers

    def _imported(self, mod: Module) -> set[str]:
        """The repository's modules ``mod`` imports."""
        out: set[str] = set()
        if mod.lang == "js":
            out = {t for spec in mod.imports if (t := self.repo.js_module(spec, mod.path))}
        for v in (v for s in mod.scopes for values in s.bindings.values() for v in values):
            if mod.lang == "python" and isinstance(v, Imp):
                specs = [v.spec] + ([f"{v.spec}.{v.name}" if v.spec else v.name] if v.name else [])
                out |= {t for sp in specs if (t := self.repo._py_module(sp, v.level, mod.path))}
        return {t for t in out if t in self.repo.modules}

    # ---------------------------------------------------------------------------- sinks
    def sinks(self, call: Call) -> list[_Sink]:
        """The log / exec / shell / SQL sinks of a call, with the arguments that matter."""
        return self._sinks(call, call.scope.module.lang, last_name(call.callee))

    def _sinks(self, call: Call, lang: str, name: str) -> list[_Sink]:
        if not name or isinstance(call.callee, Call):
            return []
        if name not in self.k.sink_names[lang] and not (
                lang == "js" and isinstance(call.callee, Attr) and isinstance(call.callee.obj, Name)
                and call.callee.obj.id in self.k.consoles):
            return []
        for kind, test in (("log", self._log), ("exec", self._exec), ("shell", self._shell), ("sql", self._sql),
                           ("data", self._data)):
            exprs = test(call, lang, name)
            if exprs:
                return [_Sink(kind, call, exprs)]
        return []

    def _builtin(self, call: Call, names: frozenset[Any]) -> bool:
        f = call.callee
        return isinstance(f, Name) and f.id in names and binding_scope(f.id, call.scope) is None

    def _is_logger(self, recv: Expr) -> bool:
        if isinstance(recv, Call):
            return last_name(recv.callee, through_calls=True) in self.k.logger_factories
        last = last_name(recv).lower()
        return last in self.k.loggers or last.endswith("logger")

    def _log(self, call: Call, lang: str, name: str) -> list[Expr]:
        f = call.callee
        extra = [v for key, v in call.kwargs.items() if key not in self.k.log_meta_kwargs]
        if lang == "python" and self._builtin(call, self.k.prints):
            return [*call.args, *extra] if self.is_server(call.scope.module) else []
        if not isinstance(f, Attr):
            return []
        if lang == "js" and isinstance(f.obj, Name) and f.obj.id in self.k.consoles:
            return list(call.args) if self.is_server(call.scope.module) else []
        if name in self.k.log_levels[lang] and self._is_logger(f.obj):
            args = call.args[1:] if lang == "python" and name in self.k.level_first else call.args
            return [*args, *extra]
        return []

    def _exec(self, call: Call, lang: str, name: str) -> list[Expr]:
        if self._builtin(call, self.k.exec_builtins[lang]):
            if name == "Function":
                return call.args[-1:]  # new Function("a", "b", body): the body
            return call.args[:1] or [call.kwargs[k] for k in self.k.source_kwargs if k in call.kwargs]
        if lang == "js" and isinstance(call.callee, Attr) and name in self.k.exec_words and any(
                self.k.exec_qual.search(x) for x in self.q.quals(call.callee, call.scope)):
            return call.args[:1]
        return []

    def _data(self, call: Call, lang: str, name: str) -> list[Expr]:
        """Where model text would be used as data (``output_sinks`` of uses.yaml): ``json.loads(text)``,
        ``JSON.parse(text)``, ``re.search(p, text)``, ``text.match(/.../)``, ``open(text)``, ``fetch(text)``."""
        f = call.callee
        if isinstance(f, Attr) and name in self.k.text_methods.get(lang, ()):
            return [f.obj]  # the text is the receiver
        if self._builtin(call, self.k.data_builtins.get(lang, frozenset())):
            return call.args[:1]
        if name not in self.k.data_words or not may_be_external(f, call.scope):
            return []
        quals = self.q.quals(f, call.scope)
        for rx, arg in self.k.data_sinks:
            if any(rx.search(x) for x in quals):
                return [*call.args, *call.kwargs.values()] if arg == "all" else call.args[:1]
        return []

    def _first(self, call: Call, keys: tuple[str, ...]) -> Expr | None:
        if call.args:
            return call.args[0]
        return next((call.kwargs[k] for k in keys if k in call.kwargs), None)

    def _shell(self, call: Call, lang: str, name: str) -> list[Expr]:
        if name not in self.k.shell_words:
            return []
        quals = self.q.quals(call.callee, call.scope)
        always = any(self.k.shell_always.search(x) for x in quals)
        program = not always and any(self.k.shell_program.search(x) for x in quals)
        if not (always or program):
            return []
        first = self._first(call, self.k.command_kwargs)
        if first is None:
            return []
        shell = call.options().get("shell")
        if always or (shell is not None and not (isinstance(shell, Lit) and shell.value in (False, None, 0, "false")))\
                or any(self.k.program_is_command.search(x) for x in quals):
            return [first]
        return self._program(first, call.args[1] if len(call.args) > 1 else None, call.scope)

    def _program(self, first: Expr, rest: Expr | None, scope: Scope, depth: int = 0) -> list[Expr]:
        """What chooses the program of ``subprocess.run(args)`` / ``spawn(cmd, args)`` without a shell:
        ``args[0]``, the script of ``["bash", "-c", script]``, ``shlex.split(text)``, a string command."""
        if depth > 3:
            return []
        if isinstance(first, Arr):
            if not first.items:
                return []
            out = [first.items[0]]
            if string_value(first.items[0]) in self.k.shells and len(first.items) > 2:
                out.append(first.items[2])
            return out
        if string_value(first) in self.k.shells and isinstance(rest, Arr) and len(rest.items) > 1:
            return [rest.items[1]]  # spawn("bash", ["-c", script])
        if isinstance(first, Name):
            home = binding_scope(first.id, scope)
            last = home.bindings[first.id][-1] if home is not None else None
            if isinstance(last, (Arr, Call)):
                return self._program(last, rest, home, depth + 1)  # type: ignore[arg-type]
            return [first]
        if isinstance(first, Call):
            return [first] if last_name(first.callee, through_calls=True) == "split" else []
        if isinstance(first, (Tmpl, Bin, Param)):
            return [first]
        return []

    def _sql(self, call: Call, lang: str, name: str) -> list[Expr]:
        f = call.callee
        first = self._first(call, self.k.query_kwargs)
        if first is None or not isinstance(f, Attr):
            return []
        if name in self.k.runner_methods and any(self.k.runner_built_by.search(x)
                                                 for c in self._chain(call, call.scope, 0)
                                                 for x in self.q.quals(c.callee, c.scope)):
            return [first]
        receiver = last_name(f.obj, through_calls=True)
        if name not in self.k.sql_methods[lang] or receiver in self.k.not_receivers[lang]:
            return []
        db = self.facts(call.scope.module)["db"]
        if lang == "python":
            db = db or bool(self.k.driver_hint.search(dotted(f.obj)))
        else:
            db = db or name in self.k.sql_only
        if not db or not self._is_sql_text(first, call.scope) or self.q.site(call) is not None:
            return []
        return [first]

    def _is_sql_text(self, e: Expr, scope: Scope, depth: int = 0) -> bool:
        """Query text (a string, model output, a formatted string), not a query an ORM or builder binds
        (``select(Log).where(Log.text == answer)``)."""
        if depth > 4:
            return False
        if isinstance(e, (Lit, Tmpl, Bin, Attr, Elem, Param)):
            return True
        if isinstance(e, Call):
            return last_name(e.callee, through_calls=True) in self.k.string_calls or any(
                isinstance(s, Call) for s in self.flow.sources(e, scope))
        if isinstance(e, Name):
            home = binding_scope(e.id, scope)
            return home is None or self._is_sql_text(home.bindings[e.id][-1], home, depth + 1)
        return False

    # ---------------------------------------------------------------------------- sink uses
    def _direct(self, sink: _Sink, prompts: dict[tuple[int, str], Call]) -> list[tuple[Param, _Sink, int]]:
        """Record what reaches a sink; return the parameters that reach it (for the callers' pass)."""
        scope = sink.call.scope
        srcs = self.flow.resolve(self.flow.union(sink.exprs, scope))
        site = min((s for s in srcs if isinstance(s, Call)), key=_source_order, default=None)
        path = scope.module.path
        if site is not None:
            confirmed = sink.kind == "shell" and self._confirmed(sink.call)
            self.add(_KINDS[sink.kind], scope, sink.call.line, sink.api,
                     f"output of {self._site_text(site, path)} reaches {sink.api}"
                     + (self._CONFIRMED if confirmed else ""), site, confirmed=confirmed)
        elif sink.kind == "log":
            self._prompt_logged(sink, prompts)
        return [(p, sink, 0) for p in sorted((s for s in srcs if isinstance(s, Param)), key=_source_order)]

    def _via(self, found: list[tuple[Param, _Sink, int]]) -> None:
        """Sinks reached through the repository's functions: the callers that pass model output."""
        seen: set[tuple[int, int]] = set()
        pending = deque(found)
        while pending:
            p, sink, level = pending.popleft()
            if (id(p), id(sink)) in seen:
                continue
            seen.add((id(p), id(sink)))
            fs = p.scope
            if not fs.name or fs.name.startswith("<"):
                continue
            for c in self.repo.callers(fs.name, ("fn", fs)):
                srcs = self.flow.sources(arg_for(p, c), c.scope)
                site = min((s for s in srcs if isinstance(s, Call)), key=_source_order, default=None)
                if site is not None:
                    path = sink.call.scope.module.path
                    where = f"line {c.line}" if c.scope.module.path == path else f"{c.scope.module.path} line {c.line}"
                    confirmed = sink.kind == "shell" and (self._confirmed(c) or self._confirmed(sink.call))
                    self.add(_KINDS[sink.kind], sink.call.scope, sink.call.line, sink.api,
                             f"output of {self._site_text(site, path)} passed to {fs.name}() at {where} "
                             f"reaches {sink.api}" + (self._CONFIRMED if confirmed else ""), site,
                             confirmed=confirmed)
                elif level + 1 < VIA_LEVELS:
                    pending += [(s, sink, level + 1) for s in srcs if isinstance(s, Param)]

    _CONFIRMED = ", only after the user chooses to run it (an interactive prompt)"

    def _confirmed(self, call: Call) -> bool:
        """``call`` runs only in a branch on an interactive answer of the person at the terminal: an
        ``if`` (or an early return) whose test is, or reads a name holding, a confirmation or choice prompt
        (``typer.prompt`` / ``typer.confirm``, ``click.confirm``, ``input()``: ``shell.confirm`` of
        checklists/uses.yaml)."""
        for g in call.guards:
            if g.kind == "if" and g.test is not None and self._asks(g.test, call.scope, 0):
                return True
        return False

    def _asks(self, e: Expr | None, scope: Scope, depth: int) -> bool:
        """``e`` is an interactive answer, or a test on one (``option in ("e", "y")``, ``not ok``,
        ``answer.lower() == "y"``); the arguments of other calls are not followed (``llm(input())`` is the
        model's text, not the user's choice)."""
        if e is None or depth > 6:
            return False
        nxt = depth + 1
        if isinstance(e, Call):
            f = e.callee
            if isinstance(f, Name) and f.id in self.k.confirm_builtins and binding_scope(f.id, e.scope) is None:
                return True
            if any(self.k.confirm.search(qual) for qual in self.q.quals(f, e.scope)):
                return True
            return isinstance(f, Attr) and self._asks(f.obj, scope, nxt)  # answer.strip().lower()
        if isinstance(e, Name):
            home = binding_scope(e.id, scope)
            return home is not None and any(
                isinstance(b, (Call, Name, Attr, Union)) and self._asks(b, home, nxt)
                for b in home.bindings.get(e.id, ())[:6])
        if isinstance(e, (Attr, Elem)):
            return self._asks(e.obj, scope, nxt)
        if isinstance(e, Not):
            return self._asks(e.operand, scope, nxt)
        if isinstance(e, (Cmp, Bin)):
            return self._asks(e.left, scope, nxt) or self._asks(e.right, scope, nxt)
        if isinstance(e, Union):  # ``auto or confirm()`` runs without asking when ``auto`` holds
            test = any if e.op == "and" else all
            return bool(e.items) and test(self._asks(x, scope, nxt) for x in e.items[:6])
        return False

    # ---------------------------------------------------------------------------- prompts
    def _prompt_index(self, paths: list[str]) -> dict[tuple[int, str], Call]:
        """(id(binding scope), name) -> the model call whose prompt it makes up (constants left out)."""
        out: dict[tuple[int, str], Call] = {}
        for path in paths:
            for site in self._sites[path]:
                if self.q.site(site)[0] in self.k.not_prompts:  # type: ignore[index]
                    continue
                for key in self._text_names(self._prompt_exprs(site), site.scope):
                    if not self._constant_name(*key):
                        out.setdefault((id(key[0]), key[1]), site)
        return out

    def _prompt_exprs(self, site: Call) -> list[Expr]:
        what = self.q.site(site)
        exprs = [v for k, v in site.options().items() if k in self.k.prompt_keys]
        for a in site.args:
            if isinstance(a, Obj):
                exprs += [v for k, v in a.items if k is None]  # **kwargs, ...spread
            elif what is not None and what[0] != "http" and not isinstance(a, Lit):
                exprs.append(a)
        return exprs

    def _text_names(self, exprs: list[Expr], scope: Scope) -> list[tuple[Scope, str]]:
        """(binding scope, name) of the local names whose text ``exprs`` carry, in order: not under
        metadata or ``len()``, not a callee, not an import, a function or the request object."""
        out: list[tuple[Scope, str]] = []
        stack = list(reversed(exprs))
        seen: set[int] = set()
        while stack:
            e = stack.pop()
            if id(e) in seen or isinstance(e, Fn):
                continue
            seen.add(id(e))
            if isinstance(e, Attr) and e.name in self.k.metadata:
                continue
            if isinstance(e, Name):
                home = binding_scope(e.id, scope)
                if home is not None and e.id not in self.k.not_prompt_names and not all(
                        isinstance(b, (Imp, Fn, ClsRef)) for b in home.bindings[e.id]):
                    out.append((home, e.id))
                continue
            if isinstance(e, Call):
                f = e.callee
                if isinstance(f, Name) and f.id in self.k.opaque:
                    continue
                kids = [*e.args, *e.kwargs.values()] + ([f.obj] if isinstance(f, Attr) else [])
            else:
                kids = list(children(e))
            stack.extend(reversed(kids))
        return out

    def _constant_name(self, home: Scope, name: str, depth: int = 0) -> bool:
        """Text fixed in the code: a name only ever bound to literals (and never added to)."""
        values = home.bindings.get(name, [])
        return bool(values) and depth < 5 and all(self._constant(v, home, depth + 1) for v in values) and all(
            self._constant(v, s, depth + 1) for v, s in self.flow.mutations(home, name))

    def _constant(self, e: Expr, scope: Scope, depth: int) -> bool:
        if depth > 5:
            return False
        if isinstance(e, Lit):
            return True
        if isinstance(e, Name):
            home = binding_scope(e.id, scope)
            return home is not None and self._constant_name(home, e.id, depth)
        if isinstance(e, Obj) and any(k is None for k, _v in e.items):
            return False
        if isinstance(e, (Tmpl, Arr, Obj, Union, Bin)):
            return all(self._constant(x, scope, depth + 1) for x in children(e))
        return False

    def _prompt_logged(self, sink: _Sink, prompts: dict[tuple[int, str], Call]) -> None:
        scope = sink.call.scope
        for home, name in self._text_names(sink.exprs, scope):
            site = prompts.get((id(home), name))
            if site is not None and _within(scope, site.scope):
                self.add("prompt_logged", scope, sink.call.line, sink.api,
                         f"prompt part `{name}` of {self._site_text(site, scope.module.path)} reaches {sink.api}",
                         site)
                return

    # ---------------------------------------------------------------------------- usage reads
    def _usage_reads(self, mod: Module) -> None:
        """Reads of token-usage fields (``resp.usage``, ``["total_tokens"]``), outermost first."""
        roots: list[tuple[Expr, Scope]] = []
        for s in mod.scopes:
            roots += [(v, s) for values in s.bindings.values() for v in values]
            roots += [(r, s) for r in s.returns]
        for c in mod.calls:
            roots += [(x, c.scope) for x in [c.callee, *c.args, *c.kwargs.values()]]
            roots += [(g.test, c.scope) for g in c.guards if g.test is not None]
        roots += [(x, st.scope) for st in mod.stores for x in (st.target, st.value)]
        roots += [(v, s) for cls in mod.classes for values in cls.fields.values() for v, s in values]
        seen: set[int] = set()
        found: list[tuple[int, str, Scope]] = []
        for root, scope in roots:
            stack = [root]
            while stack:
                e = stack.pop()
                if id(e) in seen or isinstance(e, (Call, Fn)) and e is not root:
                    continue
                seen.add(id(e))
                if isinstance(e, Attr) and e.name in self.k.usage_fields and e.line:
                    found.append((e.line, dotted(e), scope))
                if isinstance(e, Call):  # a root call: its receiver, not its arguments
                    stack += [e.callee.obj] if isinstance(e.callee, Attr) else []
                else:
                    stack.extend(children(e))
        for line, text, scope in sorted(found, key=lambda x: (x[0], -len(x[1]))):
            text = " ".join(text.split())[:80]
            self.add("usage_read", scope, line, text, f"reads token usage: {text}")

    # ---------------------------------------------------------------------------- keys
    def _is_route(self, fs: Scope) -> bool:
        """A Python function declared as a web route (``@app.post("/x")``, ``@router.get(...)``)."""
        for d in fs.decorator_exprs:
            if isinstance(d, Call) and isinstance(d.callee, Attr) and d.callee.name in self.k.route_decorators:
                route = string_value(d.args[0] if d.args else d.kwargs.get("path") or d.kwargs.get("rule"))
                if (route or "").startswith("/") or any(x.split(".", 1)[0] in self.k.server_modules
                                                        for x in self.q.quals(d.callee.obj, fs.parent or fs)):
                    return True
        return False

    def _request_param(self, p: Param) -> bool:
        """A route handler's parameter: request data (not a dependency: ``Depends(get_db)``)."""
        if p.name == p.scope.self_name or not self._is_route(p.scope):
            return False
        default = p.default
        return not (isinstance(default, Call) and last_name(default.callee, through_calls=True) in self.k.not_request)

    def _from_user(self, e: Expr, scope: Scope) -> bool:
        """A value from the request or a UI input."""
        if "request" in self.q.origins(e, scope):
            return True
        return any(isinstance(s, Param) and self._request_param(s) for s in self.flow.sources(e, scope))

    def _keys(self, mod: Module) -> None:
        """Provider keys taken from the request or a UI input: stored in the process environment or
        an SDK module's global, or given to a client."""
        env = "the process environment, shared by every user of the server"
        for st in mod.stores:
            quals = self.q.quals(st.target, st.scope)
            if any(self.k.environment.search(x) for x in quals):
                if self.k.key_name.search(st.name) and self._from_user(st.value, st.scope):
                    api = f"os.environ[{st.name!r}] =" if mod.lang == "python" else f"process.env.{st.name} ="
                    self.add("api_key_from_user", st.scope, st.line, api,
                             f"a key from the request or a UI input is written to {env}")
            elif st.name in self.k.key_options:
                sdk = next((s for x in quals if (s := sdk_label(mod.lang, x))), None)
                if sdk and self._from_user(st.value, st.scope):
                    self.add("api_key_from_user", st.scope, st.line, f"{dotted(st.target)}.{st.name} =",
                             f"a key from the request or a UI input is written to the {sdk} module's global key")
        for c in mod.calls:
            self._key_call(c)

    def _key_call(self, c: Call) -> None:
        f = c.callee
        env_method = isinstance(f, Attr) and f.name in {"update", "setdefault", "putenv"}
        if not env_method and not _has_options(c):
            return  # no key given, no environment written (most calls: resolving nothing)
        opts = c.options()
        keys = [v for key, v in opts.items() if key in self.k.key_options]
        quals = self.q.quals(f, c.scope) if keys or env_method else []
        if any(self.k.environment_calls.search(x) for x in quals):
            self._env_call(c)
            return
        if not keys:
            return
        sdk = self._client_sdk(c, quals)
        if not sdk or not any(self._from_user(v, c.scope) for v in keys):
            return
        name = last_name(c.callee, through_calls=True)
        if name in self.k.configure and not c.new:  # genai.configure(api_key=...): the SDK module's global key
            self.add("api_key_from_user", c.scope, c.line, c.text,
                     f"a key from the request or a UI input configures the {sdk} module's global key, shared by "
                     "every user of the process")
            return
        shared = self._outlives_run(c, keys)
        if shared:  # bring your own key is fine while the client lives for the visitor's run only (issue 9)
            self.add("api_key_from_user", c.scope, c.line, c.text,
                     f"the {sdk} client is built from a key from the request or a UI input and {shared}")

    def _outlives_run(self, c: Call, keys: list[Expr]) -> str | None:
        """Why a client built from a visitor's key serves other visitors too, or None when it lives for the
        visitor's own run (a client per request or per Streamlit run: bring your own key, no finding)."""
        fs: Scope | None = c.scope
        while fs is not None and fs.kind != "function":
            fs = fs.parent
        f = fs
        while f is not None:  # a cache shared by every session, the key not among the cached function's arguments
            if f.kind == "function":
                for d in f.decorator_exprs:
                    target = d.callee if isinstance(d, Call) else d
                    if any(self.k.shared_caches.search(x) for x in self.q.quals(target, f.parent or f)):
                        params = {id(p) for p in f.params}
                        keyed = any(isinstance(src, Param) and id(src) in params
                                    for v in keys for src in self.flow.sources(v, c.scope))
                        if not keyed:
                            return (f"is cached by @{dotted(target) or last_name(target)} on {f.name}(), whose "
                                    "arguments do not include the key: one visitor's client serves every session")
            f = f.parent
        if fs is None:
            return None  # module level: built once per run of the script (a Streamlit page) or at start-up
        mod = c.scope.module
        per_run = mod.lang == "python" and any(i.split(".", 1)[0] in self.k.per_run_modules for i in mod.imports)
        if not per_run:
            for name, values in mod.scope.bindings.items():
                if any(_holds(v, c) for v in values):
                    return (f"is assigned to the module-level {name} from {fs.name}(): every later request of "
                            "the process uses it")
        for st in mod.stores:
            if st.scope is not c.scope or not _holds(st.value, c):
                continue
            if any(v[0] == "mod" for v in self.repo.values(st.target, st.scope)) or last_name(st.target) == "state":
                return (f"is stored on {dotted(st.target) or 'a shared object'}.{st.name}: every later request of "
                        "the process uses it")
        return None

    def _client_sdk(self, c: Call, quals: list[str]) -> str | None:
        """The SDK of a client constructor (or ``genai.configure``), or None."""
        lang = c.scope.module.lang
        name = last_name(c.callee, through_calls=True)
        if not (name[:1].isupper() or name in self.k.configure or c.new):
            return None
        return next((s for x in quals if (s := sdk_label(lang, x))), None)

    def _env_call(self, c: Call) -> None:
        """``os.environ.update({...})``, ``os.environ.setdefault(k, v)``, ``os.putenv(k, v)``."""
        pairs: list[tuple[str | None, Expr]] = []
        if last_name(c.callee, through_calls=True) in {"setdefault", "putenv"} and len(c.args) >= 2:
            pairs.append((string_value(c.args[0]), c.args[1]))
        else:
            pairs += [(k, v) for a in c.args if isinstance(a, Obj) for k, v in a.items]
            pairs += list(c.kwargs.items())
        for key, value in pairs:
            if key and self.k.key_name.search(key) and self._from_user(value, c.scope):
                self.add("api_key_from_user", c.scope, c.line, f"{c.text}({key!r})",
                         "a key from the request or a UI input is written to the process environment, "
                         "shared by every user of the server")
                return

    # ---------------------------------------------------------------------------- agents
    def _agents(self, mod: Module) -> None:
        """Agents and tools that run model-written code or SQL; dangerous opt-ins. An agent running SQL
        says what its database is (``DatabaseAccess``); a toolkit handed to an agent is that agent (one
        finding, at the agent)."""
        sql_agents: list[Call] = []
        for c in mod.calls:
            agent = last_name(c.callee, through_calls=True) in self.k.agent_words
            if not agent and not _has_options(c):
                continue  # no agent, no flag
            opts = c.options()
            flags = {k for k in self.k.flags if _is_true(opts.get(k))}
            recorded = False
            rule = self._agent_rule(c) if agent else None
            if rule is not None:
                kind, detail = rule
                if "allow_dangerous_code" in flags:
                    detail += self.k.flags["allow_dangerous_code"]["suffix"]
                database = None
                if kind == "model_output_to_sql":
                    sql_agents.append(c)
                    dbs = DatabaseAccess(self.q, self.k, self._from_user)
                    found = dbs.of_agent(c)
                    database = dbs.grade(found)
                    if database is not None:
                        detail += dbs.describe(found, mod.path)
                self.add(kind, c.scope, c.line, c.text, detail, database=database)
                recorded = True
            for flag in sorted(flags):
                spec = self.k.flags[flag]
                if spec["kind"] != "code_executing_agent" or not recorded:
                    self.add(spec["kind"], c.scope, c.line, c.text, spec["detail"])
        self._one_per_agent(mod, sql_agents)

    def _one_per_agent(self, mod: Module, agents: list[Call]) -> None:
        """A SQL toolkit or chain handed to another SQL agent (``create_sql_agent(toolkit=toolkit)``) is
        reported once, at the agent that runs it."""
        ids = {id(c): c for c in agents}
        for c in agents:
            for a in [*c.args, *c.options().values()]:
                inner = [a] if isinstance(a, Call) else [b for b in self.q.bindings_of(a, c.scope) if isinstance(b, Call)]
                for b in inner:
                    if id(b) not in ids or b is c or b.line == c.line:
                        continue
                    key = (mod.path, "model_output_to_sql", c.line)
                    gone = self.out.pop((b.scope.module.path, "model_output_to_sql", b.line), None)
                    if gone is not None and key in self.out:
                        name = last_name(b.callee, through_calls=True)
                        u = self.out[key]
                        self.out[key] = u.model_copy(update={
                            "detail": f"{u.detail} (with {name}, line {b.line})"[:240],
                            "database": u.database if u.database is not None else gone.database})

    def _agent_rule(self, c: Call) -> tuple[LLMUseKind, str] | None:
        quals = self.q.quals(c.callee, c.scope)
        for rule in self.k.agents:
            qual = next((x for x in quals if rule["match"].search(x)), None)
            if qual is None:
                continue
            name = re.split(r"[.:]", qual)[-1]
            detail = rule["detail"].replace("{name}", name)
            if "tools" in rule:
                listed = {string_value(e) for a in c.args if isinstance(a, Arr) for e in a.items}
                bad = sorted(t for t in rule["tools"] if t in listed)
                if not bad:
                    return None
                detail = detail.replace("{tools}", ", ".join(bad))
            if "unless" in rule and self._made_safe(c, rule["unless"], rule.get("safe_values")):
                return None
            return rule["kind"], detail
        return None

    def _made_safe(self, c: Call, option: str, safe_values: list[Any] | None) -> bool:
        """The call, or the constructor of its receiver, sets ``option`` (to one of ``safe_values``)."""
        for call in self._chain(c, c.scope, 0):
            if option in call.options():
                v = call.options()[option]
                if safe_values is None or string_value(v) in safe_values:
                    return True
        return False

    def _chain(self, c: Call, scope: Scope, depth: int) -> Iterator[Call]:
        """The call and the calls that built its receiver: ``agent.chat()`` <- ``pai.Agent(..., sandbox=)``."""
        yield c
        if depth > 4 or not isinstance(c.callee, Attr):
            return
        recv: Expr = c.callee.obj
        if isinstance(recv, Name):
            home = binding_scope(recv.id, scope)
            for b in home.bindings[recv.id] if home is not None else []:
                if isinstance(b, Call):
                    yield from self._chain(b, home, depth + 1)  # type: ignore[arg-type]
        elif isinstance(recv, Call):
            yield from self._chain(recv, scope, depth + 1)
