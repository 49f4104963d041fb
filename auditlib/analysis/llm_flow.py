"""What the model-call facts (llm.py, llm_prompt.py) ask of the IR beyond irtools.py: one-step
definitions (names, imports, fields, parameters, returns), the calls that built a client, request
taint, and per-module indices. Everything is memoised per expression, scope or module.

``Ctx`` is created once per analysis (``call_sites``) and holds the memo tables; nothing here runs
the audited code.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

from .ir import (
    Arr,
    Attr,
    Bin,
    Call,
    Elem,
    Expr,
    Fn,
    Imp,
    Lit,
    Module,
    Name,
    Obj,
    Param,
    Scope,
    Union,
)
from .irtools import binding_scope, children, last_name, string_value, walk
from .query import REQUEST_PARAMS, Query
from .tables import js_route

MAX_DEPTH = 12
"""How far a value is followed through definitions before giving up (cycles, hostile input)."""
MAX_CALLERS = 24
"""Callers of a function looked at for a parameter's arguments."""

ANONYMOUS = {"<lambda>", "<anonymous>"}
REQUEST_ATTRS = {"req", "request"}
"""An attribute that is the request hanging off a context object (Hono ``c.req``, ``ctx.request``)."""
REQUEST_NAMES = {"searchParams"}
"""A bare name that is request data (Next.js ``const { searchParams } = ...``)."""
ROUTE_ATTRS = {"route", "get", "post", "put", "delete", "patch", "head", "options", "websocket", "api_route",
               "all"}
"""Python decorator names that declare a web route (``@app.post("/x")``)."""
MUTATORS = {"append", "extend", "insert", "appendleft", "push", "unshift", "splice"}
"""``messages.append({...})`` adds to what ``messages`` holds: prompts are built this way."""


# ------------------------------------------------------------------------------------------ names
@functools.lru_cache(maxsize=1 << 16)
def words(name: str) -> tuple[str, ...]:
    """``aiEnabled`` / ``AI_ENABLED`` / ``ai-enabled`` -> ("ai", "enabled") (cached: the same names
    are read again and again)."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return tuple(w for w in re.split(r"[^A-Za-z0-9]+|_", snake.lower()) if w)


# ------------------------------------------------------------------------------- per-module index
@dataclass
class ModIndex:
    """What the facts need about a module beyond its calls, built in one pass over them."""

    holder: dict[int, Call] = field(default_factory=dict)
    """Function scope -> the call it is passed to as an argument (``pRetry(() => ...)``, ``app.post("/x", h)``)."""
    parent: dict[int, tuple[Call, bool]] = field(default_factory=dict)
    """Call -> the call it sits in, and whether as its receiver (``create(...).catch(...)``)."""
    bound: dict[int, str] = field(default_factory=dict)
    """Call -> the name its result is bound to (``export const POST = withAuth(...)``)."""
    mutations: dict[tuple[int, str], list[Expr]] = field(default_factory=dict)
    """(scope, name) -> what ``name.append(...)`` / ``name.push(...)`` adds to it."""


def build_index(mod: Module) -> ModIndex:
    idx = ModIndex()
    for c in mod.calls:
        for a in list(c.args) + list(c.kwargs.values()):
            if isinstance(a, Fn):
                idx.holder.setdefault(id(a.scope), c)
            for inner in walk(a, 200):
                if isinstance(inner, Call) and inner is not c:
                    idx.parent.setdefault(id(inner), (c, False))
        recv = c.callee.obj if isinstance(c.callee, Attr) else None
        while isinstance(recv, (Attr, Elem)):
            recv = recv.obj
        if isinstance(recv, Call):
            idx.parent.setdefault(id(recv), (c, True))
        if isinstance(c.callee, Attr) and c.callee.name in MUTATORS and isinstance(c.callee.obj, Name):
            home = binding_scope(c.callee.obj.id, c.scope) or c.scope
            idx.mutations.setdefault((id(home), c.callee.obj.id), []).extend(c.args)
    for s in mod.scopes:
        for name, exprs in s.bindings.items():
            for e in exprs:
                if isinstance(e, Call):
                    idx.bound.setdefault(id(e), name)
    return idx


# ------------------------------------------------------------------------------------ the context
class Ctx:
    """The query, the knowledge table's ``call_sites`` section, and the memo tables of one analysis."""

    def __init__(self, q: Query) -> None:
        self.q = q
        self.repo = q.repo
        self.t = Table(q.k.call_sites)
        self._index: dict[str, ModIndex] = {}
        self._origins: dict[tuple[int, int], tuple[Call, ...]] = {}
        self._origin_active: set[tuple[int, int]] = set()
        self._origin_cut = False
        self._taint: dict[tuple[int, int], bool] = {}
        self._taint_active: set[tuple[int, int]] = set()
        self._taint_cut = False
        self._handler: dict[int, frozenset[str]] = {}
        self.memo: dict[Any, Any] = {}  # per-analysis caches of the fact builders (options, module clients...)

    def index(self, mod: Module) -> ModIndex:
        got = self._index.get(mod.path)
        if got is None:
            got = self._index[mod.path] = build_index(mod)
        return got

    # ------------------------------------------------------------------------ definitions
    def binding(self, name: str, scope: Scope, mutations: bool = False) -> list[tuple[Expr, Scope]]:
        """What ``name`` is bound to in the nearest scope that binds it (and, with ``mutations``,
        what ``name.append(...)`` added to it)."""
        s = binding_scope(name, scope)
        if s is None:
            return []
        out = [(e, s) for e in s.bindings[name]]
        if mutations:
            out += [(e, s) for e in self.index(s.module).mutations.get((id(s), name), [])]
        return out

    def import_defs(self, imp: Imp, mod: Module, depth: int = 0) -> list[tuple[Expr, Scope]]:
        """What an import binds, when it is a module of the repository: the exported expression."""
        if imp.name is None or depth > 4:
            return []
        if mod.lang == "python":
            target = self.repo._py_module(imp.spec, imp.level, mod.path)
            tm = self.repo.modules.get(target) if target else None
            if tm is None or tm.scope is None:
                return []
            return [(e, tm.scope) for e in tm.scope.bindings.get(imp.name, [])]
        target = self.repo.js_module(imp.spec, mod.path)
        tm = self.repo.modules.get(target) if target else None
        if tm is None or tm.scope is None:
            return []
        if imp.name in tm.exports:
            return [(tm.exports[imp.name], tm.scope)]
        out: list[tuple[Expr, Scope]] = []
        for spec, n, alias in tm.reexports:
            if (n is not None and alias == imp.name) or (n is None and alias is None):
                out += self.import_defs(Imp(spec, n or imp.name), tm, depth + 1)
        return out

    def member_defs(self, e: Attr, scope: Scope) -> list[tuple[Expr, Scope]]:
        """``self.client`` -> the values assigned to the field; ``module.x`` -> its binding; a dict's item."""
        out: list[tuple[Expr, Scope]] = []
        for v in self.repo.values(e.obj, scope):
            if v[0] in {"inst", "cls"}:
                for c in self.repo._mro(v[1]):
                    out += c.fields.get(e.name, [])
            elif v[0] == "mod":
                tm = self.repo.modules.get(v[1])
                if tm is not None and tm.scope is not None:
                    out += [(x, tm.scope) for x in tm.scope.bindings.get(e.name, [])]
                    if tm.lang == "js" and e.name in tm.exports:
                        out.append((tm.exports[e.name], tm.scope))
            elif v[0] == "dict":
                out += [(item, v[1].scope) for k, item in v[1].items if k == e.name]
        return out

    def param_args(self, p: Param) -> list[tuple[Expr, Scope]]:
        """A parameter's default and the arguments given to it at the repository's own calls."""
        fs = p.scope
        out: list[tuple[Expr, Scope]] = []
        if p.default is not None:
            out.append((p.default, fs.parent or fs))
        offset = 1 if fs.self_name else 0
        for c in self.callers(fs):
            if p.name in c.kwargs:
                out.append((c.kwargs[p.name], c.scope))
            elif not p.kw_only and 0 <= p.index - offset < len(c.args):
                out.append((c.args[p.index - offset], c.scope))
        return out

    def callers(self, fs: Scope) -> list[Call]:
        """The repository's calls of the function ``fs`` (none for an anonymous one), at most MAX_CALLERS."""
        if fs.name in ANONYMOUS or fs.name.startswith("<"):
            return []
        return self.repo.callers(fs.name, ("fn", fs))[:MAX_CALLERS]

    def returns_of(self, call: Call, scope: Scope) -> list[tuple[Expr, Scope]]:
        """The return values of the repository's function a call invokes."""
        out: list[tuple[Expr, Scope]] = []
        for v in self.repo.values(call.callee, scope):
            if v[0] == "fn":
                out += [(r, v[1]) for r in v[1].returns]
        return out

    def qual(self, call: Call) -> str | None:
        return self.q.callee_qual(call)

    def is_constructor(self, call: Call) -> bool:
        qual = self.qual(call)
        return bool(qual and self.q.k.constructor(qual))

    # ------------------------------------------------------------------- the client's origin
    def origin_calls(self, e: Expr, scope: Scope) -> tuple[Call, ...]:
        """The calls that built the object ``e`` is: the SDK client's constructor (``OpenAI(timeout=)``,
        ``new ChatOpenAI({...})``), the methods that derived it (``with_options``, ``getGenerativeModel``,
        ``with_structured_output``, ``pipe``) and, for a LangChain/LlamaIndex composition, the calls
        that built its parts; followed through names, fields, imports, parameters and returns."""
        return self._origin(e, scope, 0)

    def _origin(self, e: Expr, scope: Scope, depth: int) -> tuple[Call, ...]:
        key = (id(e), id(scope))
        got = self._origins.get(key)
        if got is not None:
            return got
        if depth > MAX_DEPTH or key in self._origin_active:
            self._origin_cut = True  # a partial answer: not remembered
            return ()
        outer_cut, self._origin_cut = self._origin_cut, False
        self._origin_active.add(key)
        out: list[Call] = []
        try:
            for sub, s in self._origin_steps(e, scope):
                for c in self._origin(sub, s, depth + 1):
                    if c not in out:
                        out.append(c)
        finally:
            self._origin_active.discard(key)
        if isinstance(e, Call) and self._builds_object(e, scope):
            out.insert(0, e)
        got = tuple(out[:32])
        if not self._origin_cut:
            self._origins[key] = got
        self._origin_cut = outer_cut or self._origin_cut
        return got

    def _builds_object(self, call: Call, scope: Scope) -> bool:
        vals = self.repo.values(call, scope)
        return any(v[0] == "obj" for v in vals)

    def _origin_steps(self, e: Expr, scope: Scope) -> list[tuple[Expr, Scope]]:
        """The expressions the object ``e`` is made from (one step back)."""
        if isinstance(e, Name):
            return self.binding(e.id, scope)
        if isinstance(e, Imp):
            return self.import_defs(e, scope.module)
        if isinstance(e, Param):
            return self.param_args(e)
        if isinstance(e, Attr):
            return self.member_defs(e, scope) or [(e.obj, scope)]
        if isinstance(e, (Bin, Union)):
            return [(x, scope) for x in ([e.left, e.right] if isinstance(e, Bin) else e.items)]
        if isinstance(e, (Arr, Obj)):
            return [(x, scope) for x in (e.items if isinstance(e, Arr) else [v for _k, v in e.items])]
        if isinstance(e, Call):
            return self._call_origin_steps(e, scope)
        return []

    def _call_origin_steps(self, call: Call, scope: Scope) -> list[tuple[Expr, Scope]]:
        if self.is_constructor(call):
            return []  # the client itself: its options are its own
        steps = self.returns_of(call, scope)
        vals = self.repo.values(call, scope)
        if any(v[0] == "obj" for v in vals):  # a method on an SDK object, or a composition
            if isinstance(call.callee, Attr):
                steps.append((call.callee.obj, scope))
            steps += [(a, scope) for a in list(call.args) + list(call.kwargs.values())]
        return steps

    # ---------------------------------------------------------------------------- taint
    def handler_params(self, fs: Scope | None) -> frozenset[str]:
        """The parameters of a web handler that hold request data: a Python route function's (not its
        ``Depends()`` ones), a Next.js server action's (``"use server"``)."""
        if fs is None:
            return frozenset()
        got = self._handler.get(id(fs))
        if got is None:
            got = self._handler[id(fs)] = frozenset(self._handler_params(fs))
        return got

    def _handler_params(self, fs: Scope) -> set[str]:
        mod = fs.module
        if mod.lang == "python":
            if not any(is_route_decorator(d) for d in fs.decorator_exprs):
                return set()
            return {p.name for p in fs.params if p.name != fs.self_name and not _is_dependency(p)}
        if "use server" in mod.directives and fs.parent is mod.scope and fs.name in mod.exports:
            return {p.name for p in fs.params}
        return set()

    def is_handler(self, fs: Scope | None) -> bool:
        """A web route function (Python decorator, JS route registration) or a server action."""
        if fs is None:
            return False
        if fs.module.lang == "python":
            return any(is_route_decorator(d) for d in fs.decorator_exprs)
        holder = self.index(fs.module).holder.get(id(fs))
        return bool(self.handler_params(fs)) or (holder is not None and js_route(holder) is not None)

    def tainted(self, e: Expr | None, scope: Scope, depth: int = 0) -> bool:
        """``e`` carries request data: the request, a handler's parameter, a UI input, or a value
        computed from one (followed through names, fields and calls). A "no" reached through a cut
        (the depth limit, a cycle) is not remembered: asked from elsewhere, the walk may go further."""
        if e is None:
            return False
        key = (id(e), id(scope))
        got = self._taint.get(key)
        if got is not None:
            return got
        if depth > MAX_DEPTH or key in self._taint_active:
            self._taint_cut = True
            return False
        outer_cut, self._taint_cut = self._taint_cut, False
        self._taint_active.add(key)
        try:
            got = self._tainted(e, scope, depth)
        finally:
            self._taint_active.discard(key)
        if got or not self._taint_cut:
            self._taint[key] = got
        self._taint_cut = outer_cut or (self._taint_cut and not got)
        return got

    def _tainted(self, e: Expr, scope: Scope, depth: int) -> bool:
        def again(x: Expr | None, s: Scope = scope) -> bool:
            return self.tainted(x, s, depth + 1)

        if isinstance(e, (Lit, Fn)):
            return False
        if isinstance(e, Param):
            return e.name in REQUEST_PARAMS or e.name in self.handler_params(e.scope)
        if isinstance(e, Name):
            if e.id in REQUEST_NAMES:
                return True
            binds = self.binding(e.id, scope, mutations=True)
            if binds:
                return any(again(b, s) for b, s in binds)
            return self.from_request(e, scope)
        if isinstance(e, Imp):
            return self.from_request(e, scope)
        if isinstance(e, Attr):
            return self._request_attr(e, scope) or again(e.obj) or self.from_request(e, scope)
        if isinstance(e, Call):
            if self.from_request(e, scope):
                return True
            if isinstance(e.callee, Attr) and again(e.callee.obj):
                return True
            return any(again(a) for a in list(e.args) + list(e.kwargs.values()))
        return any(again(x) for x in children(e))

    def _request_attr(self, e: Attr, scope: Scope) -> bool:
        """``c.req`` / ``ctx.request`` / ``self.request``: the request held by a parameter (not the
        ``urllib.request`` module)."""
        if e.name not in REQUEST_ATTRS or not isinstance(e.obj, Name):
            return False
        return any(isinstance(b, Param) for b, _s in self.binding(e.obj.id, scope))

    def from_request(self, e: Expr, scope: Scope) -> bool:
        """The resolver says ``e`` is request data (flask.request, a Streamlit input, window.location)."""
        return "request" in self.q.classify(self.repo.values(e, scope))

    def reads_request(self, e: Expr, scope: Scope) -> bool:
        """``e`` reads the request directly (``request.json.get("x")``, ``req.body.flag``): a test of it
        is the user's choice, not a switch the operator holds."""
        for node in walk(e, 200):
            if isinstance(node, Name):
                if node.id in REQUEST_NAMES:
                    return True
                binds = self.binding(node.id, scope)
                if any(isinstance(b, Param) and b.name in REQUEST_PARAMS for b, _s in binds):
                    return True
                if (not binds or all(isinstance(b, Imp) for b, _s in binds)) and self.from_request(node, scope):
                    return True
            elif isinstance(node, Param) and node.name in REQUEST_PARAMS:
                return True
        return False


# --------------------------------------------------------------------------------------- routes
def is_route_decorator(d: Expr) -> bool:
    """``@app.post("/x")``, ``@router.get(path="/x")``, ``@api_view([...])``."""
    if not isinstance(d, Call):
        return isinstance(d, (Name, Attr)) and last_name(d) == "api_view"
    if last_name(d.callee) == "api_view":
        return True
    if not isinstance(d.callee, Attr) or d.callee.name not in ROUTE_ATTRS:
        return False
    route = string_value(d.args[0]) if d.args else string_value(d.kwargs.get("path") or d.kwargs.get("rule"))
    return route is not None and route.startswith("/")


def _is_dependency(p: Param) -> bool:
    """A FastAPI ``Depends()`` / ``Security()`` parameter: a session or the current user, not input."""
    for e in ([p.default] if p.default is not None else []) + list(p.meta):
        if isinstance(e, Call) and last_name(e.callee) in {"Depends", "Security"}:
            return True
    return False


# ------------------------------------------------------------------------------------ knowledge
class Table:
    """The ``call_sites`` section of checklists/models.yaml, as sets and patterns."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        opts = data.get("options") or {}
        self.options = {k: frozenset(v or []) for k, v in opts.items()}
        meth = data.get("methods") or {}
        self.methods = {k: frozenset(v or []) for k, v in meth.items()}
        self.kinds = frozenset(data.get("kinds") or [])
        self.model_arg0 = re.compile(data.get("model_arg0") or r"^$")
        self.timeout_wrappers = re.compile(data.get("timeout_wrappers") or r"^$")
        val = data.get("validators") or {}
        self.validator_methods = frozenset(val.get("methods") or [])
        self.not_receivers = frozenset(val.get("not_receivers") or [])
        self.validator_functions = re.compile(val.get("functions") or r"^$")
        prov = data.get("providers") or {}
        self.provider_quals: list[tuple[re.Pattern[str], str]] = [
            (re.compile(p["match"]), p["provider"]) for p in prov.get("quals") or []]
        self.provider_kinds = dict(prov.get("kinds") or {})
        self.provider_shapes = dict(prov.get("shapes") or {})

    def opt(self, concept: str) -> frozenset[str]:
        return self.options.get(concept, frozenset())

    def provider_of_qual(self, qual: str) -> str | None:
        for rx, label in self.provider_quals:
            if rx.search(qual):
                return label
        return None
