"""SQL text built by string formatting at an execute call, from the IR.

A call is an SQL site when its callee is a driver's execute/query method (checklists/web.yaml:
``sql_calls`` / ``sql_methods``; in Python a bare name only when imported, ``sqlalchemy.text`` too; in
JS/TS the bare ``query(...)`` helpers) and its first argument is query text built from values: an
f-string / template literal with substitutions, ``+`` concatenation with a non-constant part, ``%`` or
``.format()`` (Python), directly or through the last assignment of a local name (``q += value``
included). The text's constant parts must read as SQL. Tagged templates (``sql`...${x}```) and
placeholders are parameterised: not sites.

Each site says where the pasted values come from (issue 9), following them back through names,
attributes, the repository's own functions (their returns, and their parameters to the arguments of
the repository's calls) and string building: ``request`` (request data, a web handler's parameters, a
UI input), ``model_output`` (a model's answer, a tool's arguments: the parameters of a function the
model calls through ``@tool``, ``tools=[...]``, ``FunctionTool.from_defaults(fn=...)``, an AI SDK
``tool({execute})``), ``file``, ``unknown`` (not followed to a source: a parameter nobody in the
repository passes), ``env`` (environment or settings) or ``literal`` (constants of the code only: table
names, column lists, placeholders). The worst origin wins and its path is kept as ``trace``.

A FastAPI dependency (``Depends(f)`` as a default, in ``Annotated[...]`` or through an alias such as
``Deps = Annotated[T, Depends(f)]`` imported from another module) is not request data: it is what ``f``
returns. ``request.state.x`` is the app's own state (Starlette): what the lifespan yields under ``x`` or
what the code assigns to ``<...>.state.x`` (heldout2: a settings object read from the environment).
"""

from __future__ import annotations

import functools
import re
from typing import Literal

from ..models import SQLSite
from .ir import (
    AnnotatedElem,
    Arr,
    Attr,
    Bin,
    Call,
    ClsRef,
    Elem,
    Expr,
    Fn,
    Imp,
    Lit,
    Name,
    Obj,
    Param,
    Scope,
    Tmpl,
    Union,
)
from .irtools import binding_scope, dotted, last_name, plus_leaves, render, walk
from .query import REQUEST_PARAMS, Query
from .tables import tables

MAX_DEPTH = 12
TRACE_DEPTH = 16
MAX_CALLERS = 24
Origin = Literal["request", "model_output", "file", "unknown", "env", "literal"]
ORIGINS: tuple[Origin, ...] = ("request", "model_output", "file", "unknown", "env", "literal")
"""Worst first: the origin a site reports is the worst of its values'."""
SAFE_CALLS = frozenset({"int", "float", "bool", "len", "round", "abs", "Number", "parseInt", "parseFloat",
                        "isinstance", "uuid4", "quote_ident", "escape_identifier", "Identifier", "count"})
"""Calls whose result carries no text of their arguments into SQL (a number, a quoted identifier)."""
TOOL_DECORATORS = frozenset({"tool", "function_tool", "kernel_function", "ai_function", "ai_callable"})
"""Decorators that hand a function to a model as a tool: its arguments are the model's."""
TOOL_FN_KWARGS = frozenset({"func", "fn", "coroutine", "function", "afunc", "async_fn"})
TOOL_LISTS = frozenset({"tools", "functions"})
REQUEST_ATTRS = frozenset({"req", "request"})
_PLACEHOLDER = re.compile(r"\?|%s|%\(\w+\)s|(?<![:\w]):\w+|\$\d+|@\w+")


def sql_sites(q: Query) -> list[SQLSite]:
    """Every SQL site of the repository, in path and line order (computed once per Query)."""
    memo = q.__dict__.setdefault("_facts_memo", {})
    if "sql" not in memo:
        out: list[SQLSite] = []
        for mod in q.parsed_modules():
            for call in mod.calls:
                how = _site(q, call)
                if how is not None and not _only_placeholders(call):
                    out.append(_graded(q, call, mod.path, how))
        memo["sql"] = out
    return list(memo["sql"])


def db_call(q: Query, call: Call) -> bool:
    """A Python driver call with literal SQL text (``db.execute("SELECT ...")``): the file talks to a database."""
    if call.scope.module.lang != "python" or not call.args:
        return False
    if last_name(call.callee) not in tables().py.sql_calls:
        return False
    text = _text(call.args[0], call.scope, "python")
    return text is not None and bool(tables().py.sql_words.search(text))


# ------------------------------------------------------------------------------------------- sites
def _site(q: Query, call: Call) -> str | None:
    """How the query text of ``call`` was built, when ``call`` runs SQL built from values."""
    if not call.args or call.tagged or not _is_sql_call(q, call):
        return None
    lang = call.scope.module.lang
    found = _kind(call.args[0], call.scope, lang, 0)
    if found is None:
        return None
    how, text = found
    return how if tables().lang(lang).sql_words.search(text) else None


@functools.lru_cache(maxsize=8)
def _last_names(functions: frozenset[str]) -> frozenset[str]:
    """``sqlalchemy.text`` -> ``text``: the names a call of one of ``functions`` ends with."""
    return frozenset(f.rsplit(".", 1)[-1] for f in functions)


def _is_sql_call(q: Query, call: Call) -> bool:
    lang = call.scope.module.lang
    t = tables().lang(lang)
    callee = call.callee
    if lang == "js":
        if isinstance(callee, Attr):
            return callee.name in t.sql_methods
        return isinstance(callee, Name) and callee.id in t.bare_sql_functions
    name = last_name(callee)
    text_fn = name in _last_names(t.sql_text_functions)  # sqlalchemy.text(...)
    if name not in t.sql_calls and not text_fn:
        return False
    if isinstance(callee, Attr) and not text_fn:
        return True
    qual = q.callee_qual(call)  # a bare execute(...) is some local helper unless imported
    return qual is not None and (qual in t.sql_text_functions or (not text_fn and qual.endswith("." + name)))


# ------------------------------------------------------------------------------------- query text
def _kind(e: Expr, scope: Scope, lang: str, depth: int) -> tuple[str, str] | None:
    """(how, constant text) when ``e`` is query text built from values; None for a constant."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(e, Tmpl):
        if any(not isinstance(p, str) for p in e.parts):
            return tables().lang(lang).template_label, _text(e, scope, lang) or ""
        return None
    if isinstance(e, Bin) and e.op == "%" and lang == "python":
        text = _text(e.left, scope, lang)
        return ("%-formatting", text) if text is not None else None
    if isinstance(e, Bin) and e.op == "+":
        leaves = plus_leaves(e)
        texts = [_text(leaf, scope, lang) for leaf in leaves]
        variable = any(t is None or _substitutes(leaf) for leaf, t in zip(leaves, texts, strict=False))
        if variable and any(t is not None for t in texts):
            return "concatenation", "".join(t or "" for t in texts)
        return None
    if _is_format(e, lang):
        text = _text(e.callee.obj, scope, lang)  # type: ignore[attr-defined]
        return (".format()", text) if text is not None else None
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        if home is None:
            return None
        return _kind_of_name(e.id, home, list(home.bindings[e.id]), lang, depth + 1)
    return None


def _kind_of_name(name: str, scope: Scope, binds: list[Expr], lang: str, depth: int) -> tuple[str, str] | None:
    """The kind of the last assignment of ``name``; ``q += value`` builds on the assignments before it."""
    if not binds or depth > MAX_DEPTH:
        return None
    last = binds[-1]
    if not _augments(last, name):
        return _kind(last, scope, lang, depth + 1)
    earlier = _kind_of_name(name, scope, binds[:-1], lang, depth + 1)
    added_expr = last.right  # type: ignore[attr-defined]
    before = earlier[1] if earlier else (_text_of_binds(name, scope, binds[:-1], lang, depth) or "")
    own = _kind(added_expr, scope, lang, depth + 1)
    added = _text(added_expr, scope, lang)
    text = before + (added or "")
    if own is not None:
        return own[0], text
    if added is None or _substitutes(added_expr):
        return "concatenation", text
    return (earlier[0], text) if earlier else None


def _augments(e: Expr, name: str) -> bool:
    """``name = name + value`` / ``name += value``."""
    return isinstance(e, Bin) and e.op == "+" and isinstance(e.left, Name) and e.left.id == name


def _text(e: Expr | None, scope: Scope, lang: str, depth: int = 0) -> str | None:
    """The constant text of a string expression (its literal parts), following local names; None when
    nothing of it is constant."""
    if e is None or depth > MAX_DEPTH:
        return None
    if isinstance(e, Tmpl):
        return "".join(p for p in e.parts if isinstance(p, str))
    if isinstance(e, Lit):
        return e.value if isinstance(e.value, str) else None
    if isinstance(e, Bin) and (e.op == "+" or (e.op == "%" and lang == "python")):
        left = _text(e.left, scope, lang, depth + 1)
        right = _text(e.right, scope, lang, depth + 1) if e.op == "+" else None
        if left is None and right is None:
            return None
        return (left or "") + (right or "")
    if _is_format(e, lang):
        return _text(e.callee.obj, scope, lang, depth + 1)  # type: ignore[attr-defined]
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        if home is not None:
            return _text_of_binds(e.id, home, list(home.bindings[e.id]), lang, depth + 1)
    return None


def _text_of_binds(name: str, scope: Scope, binds: list[Expr], lang: str, depth: int) -> str | None:
    if not binds or depth > MAX_DEPTH:
        return None
    last = binds[-1]
    if _augments(last, name):
        before = _text_of_binds(name, scope, binds[:-1], lang, depth + 1)
        added = _text(last.right, scope, lang, depth + 1)  # type: ignore[attr-defined]
        return None if before is None and added is None else (before or "") + (added or "")
    return _text(last, scope, lang, depth + 1)


def _is_format(e: Expr, lang: str) -> bool:
    return (lang == "python" and isinstance(e, Call) and isinstance(e.callee, Attr) and e.callee.name == "format"
            and bool(e.args or e.kwargs))


def _substitutes(e: Expr) -> bool:
    return isinstance(e, Tmpl) and any(not isinstance(p, str) for p in e.parts)



# ------------------------------------------------------------------------------ where values come from
def _graded(q: Query, call: Call, path: str, how: str) -> SQLSite:
    """The site of ``call`` with the origin of the values pasted into its text and their path."""
    lang = call.scope.module.lang
    parts = _pasted(call.args[0], call.scope, lang, 0)
    tracer = _Tracer(q)
    worst: Origin = "literal"
    trail: list[str] = []
    for e, s in parts:
        kind, steps = tracer.origin(e, s, 0)
        if ORIGINS.index(kind) < ORIGINS.index(worst):
            worst, trail = kind, steps
    sink = f"{dotted(call.callee)} ({path}:{call.line})"
    trace = " → ".join([*trail, how, sink]) if trail else None
    text = _text(call.args[0], call.scope, lang) or ""
    bound = (len(call.args) > 1 or any(k in call.kwargs for k in ("params", "parameters", "args", "values"))) \
        and bool(_PLACEHOLDER.search(text))
    values = []
    for e, _s in parts:
        shown = render(e) or dotted(e)
        if shown and shown not in values:
            values.append(shown[:60])
    return SQLSite(path=path, line=call.line, function=q.function_name(call.scope), how=how, origin=worst,
                   trace=trace, values=values[:5], bound=bound)


def _pasted(e: Expr, scope: Scope, lang: str, depth: int) -> list[tuple[Expr, Scope]]:
    """The non-constant parts pasted into the query text ``e`` (through the local names it is built in)."""
    if depth > MAX_DEPTH or e is None:
        return []
    if isinstance(e, Tmpl):
        return [(p, scope) for p in e.parts if not isinstance(p, str)]
    if isinstance(e, Bin) and e.op == "%" and lang == "python":
        right = e.right
        items = right.items if isinstance(right, Arr) else [v for _k, v in right.items] if isinstance(right, Obj) \
            else [right]
        return _pasted(e.left, scope, lang, depth + 1) + [(x, scope) for x in items]
    if isinstance(e, Bin) and e.op == "+":
        out: list[tuple[Expr, Scope]] = []
        for leaf in plus_leaves(e):
            if isinstance(leaf, Lit):
                continue
            if isinstance(leaf, (Tmpl, Name, Bin)) and _text(leaf, scope, lang) is not None:
                out += _pasted(leaf, scope, lang, depth + 1)
            else:
                out.append((leaf, scope))
        return out
    if _is_format(e, lang):
        return (_pasted(e.callee.obj, scope, lang, depth + 1)  # type: ignore[attr-defined]
                + [(a, scope) for a in list(e.args) + list(e.kwargs.values())])  # type: ignore[attr-defined]
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        if home is None:
            return [(e, scope)]
        out = []
        for b in home.bindings[e.id]:
            if _augments(b, e.id):
                out += _pasted(b.right, home, lang, depth + 1)  # type: ignore[attr-defined]
            else:
                out += _pasted(b, home, lang, depth + 1)
        return out
    if isinstance(e, Lit):
        return []
    return [(e, scope)]


class _Tracer:
    """Follows one value back to where it comes from, keeping the steps (``origin``)."""

    def __init__(self, q: Query) -> None:
        self.q = q
        self.repo = q.repo
        self.active: set[tuple[int, int]] = set()
        memo = q.__dict__.setdefault("_facts_memo", {})
        self.tools: set[int] = memo.get("sql_tools")
        if self.tools is None:
            self.tools = memo["sql_tools"] = _tool_functions(q)

    def origin(self, e: Expr | None, scope: Scope, depth: int) -> tuple[Origin, list[str]]:
        if e is None or depth > TRACE_DEPTH:
            return "unknown", []
        key = (id(e), id(scope))
        if key in self.active:
            return "literal", []  # a cycle adds nothing new
        self.active.add(key)
        try:
            return self._origin(e, scope, depth)
        finally:
            self.active.discard(key)

    def _worst(self, items: list[tuple[Expr, Scope]], depth: int, hop: str | None = None) -> tuple[Origin, list[str]]:
        worst: Origin = "literal"
        trail: list[str] = []
        for x, s in items:
            kind, steps = self.origin(x, s, depth + 1)
            if ORIGINS.index(kind) < ORIGINS.index(worst):
                worst, trail = kind, steps
        if hop and worst != "literal":
            trail = [*trail, hop]
        return worst, trail

    def _where(self, e: Expr, scope: Scope, line: int = 0) -> str:
        line = line or getattr(e, "line", 0)
        shown = _shown(e)
        return f"{shown} ({scope.module.path}:{line})" if line else f"{shown} ({scope.module.path})"

    def _classified(self, e: Expr, scope: Scope) -> Origin | None:
        got = self.q.classify(self.repo.values(e, scope))
        kinds: tuple[Origin, ...] = ("request", "model_output", "file", "env")
        for kind in kinds:
            if kind in got:
                return kind
        return None

    def _origin(self, e: Expr, scope: Scope, depth: int) -> tuple[Origin, list[str]]:
        if isinstance(e, (Lit, Fn, ClsRef)):
            return "literal", []
        if isinstance(e, (Tmpl, Bin, Union, Arr, Obj)):
            parts = (e.parts if isinstance(e, Tmpl) else [e.left, e.right] if isinstance(e, Bin)
                     else e.items if isinstance(e, (Union, Arr)) else [v for _k, v in e.items])
            return self._worst([(p, scope) for p in parts if not isinstance(p, str)], depth)
        if isinstance(e, Param):
            return self._param(e, depth)
        if isinstance(e, Name):
            home = binding_scope(e.id, scope, class_bodies=True)
            if e.id == "searchParams" and home is None:
                return "request", [f"searchParams ({scope.module.path})"]
            if home is not None:
                binds = home.bindings[e.id]
                if all(isinstance(b, Imp) for b in binds):
                    kind = self._classified(e, scope)
                    return (kind, [self._where(e, scope)]) if kind else ("unknown", [])
                return self._worst([(b, home) for b in binds], depth)
            kind = self._classified(e, scope)
            return (kind, [self._where(e, scope)]) if kind else ("unknown", [])
        if isinstance(e, (Attr, Elem)):
            if isinstance(e, Attr) and isinstance(e.obj, Attr) and e.obj.name == "state" and \
                    self.origin(e.obj.obj, scope, depth + 1)[0] == "request":
                return self._app_state(e.name, depth)
            if isinstance(e, Attr) and e.name in REQUEST_ATTRS and isinstance(e.obj, Name) and any(
                    isinstance(b, Param) for b in (binding_scope(e.obj.id, scope) or scope).bindings.get(e.obj.id, ())):
                return "request", [self._where(e, scope)]
            kind = self._classified(e, scope)
            if kind:
                return kind, [self._where(e, scope)]
            inner, steps = self.origin(e.obj, scope, depth + 1)
            if inner in ("request", "model_output", "file"):
                return inner, [*steps, self._where(e, scope)] if isinstance(e, Attr) and e.line else steps
            vals = self.repo.values(e, scope)
            if vals and all(v[0] == "str" for v in vals):
                return "literal", []
            return ("literal", []) if inner == "literal" and isinstance(e, Attr) and e.name.isupper() else \
                ("unknown" if inner != "env" else "env", steps)
        if isinstance(e, Call):
            return self._call(e, scope, depth)
        return "unknown", []

    def _call(self, call: Call, scope: Scope, depth: int) -> tuple[Origin, list[str]]:
        if last_name(call.callee) in SAFE_CALLS or _placeholder_list(call):
            return "literal", []
        if self.q.site(call) is not None:
            return "model_output", [self._where(call, scope, call.line)]
        kind = self._classified(call, scope)
        if kind:
            return kind, [self._where(call, scope, call.line)]
        items: list[tuple[Expr, Scope]] = []
        fns = [v[1] for v in self.repo.values(call.callee, scope) if v[0] == "fn"]
        for fs in fns:  # the repository's own function: what it returns
            items += [(r, fs) for r in fs.returns]
        if not fns:  # anything else: its receiver and arguments (answer.strip(), ",".join(cols), json.loads(x))
            if isinstance(call.callee, Attr):
                items.append((call.callee.obj, scope))
            items += [(a, scope) for a in list(call.args) + list(call.kwargs.values())]
        if not items:
            return ("unknown", []) if not fns else ("literal", [])
        worst, trail = self._worst(items, depth)
        if fns and worst in ("request", "model_output", "file"):
            trail = [*trail, self._where(call, scope, call.line)]
        return worst, trail

    def _param(self, p: Param, depth: int) -> tuple[Origin, list[str]]:
        fs = p.scope
        where = f"{p.scope.module.path}:{fs.line}" if fs.line else p.scope.module.path
        name = fs.name if not fs.name.startswith("<") else self.q.function_name(fs) or "handler"
        if p.name in REQUEST_PARAMS:
            return "request", [f"{p.name} (the request, {name} at {where})"]
        if p.name == fs.self_name:
            return "literal", []
        dep = _dependency_of(self.q, p) if fs.module.lang == "python" else None
        if dep is not None:
            return self._dependency(dep, p, f"{name} ({where})", depth)
        if _handler_param(p):
            return "request", [f"parameter {p.name} of the web handler {name} ({where})"]
        if id(fs) in self.tools:
            what = "the arguments" if p.name.startswith("$") else f"argument {p.name}"
            return "model_output", [f"{what} of the tool {name} ({where}), written by the model"]
        items: list[tuple[Expr, Scope]] = []
        if p.default is not None:
            items.append((p.default, fs.parent or fs))
        offset = 1 if fs.self_name else 0
        callers = [] if fs.name.startswith("<") else self.repo.callers(fs.name, ("fn", fs))[:MAX_CALLERS]
        for c in callers:
            if p.name in c.kwargs:
                items.append((c.kwargs[p.name], c.scope))
            elif not p.kw_only and 0 <= p.index - offset < len(c.args):
                items.append((c.args[p.index - offset], c.scope))
        if not items:
            return "unknown", []
        worst: Origin = "literal"
        trail: list[str] = []
        for x, s in items:
            kind, steps = self.origin(x, s, depth + 1)
            if ORIGINS.index(kind) < ORIGINS.index(worst):
                worst, trail = kind, steps
                if kind in ("request", "model_output", "file"):
                    call = next((c for c in callers if x in c.args or x in c.kwargs.values()), None)
                    if call is not None:
                        trail = [*steps, f"{name}({p.name}=...) ({s.module.path}:{call.line})"]
        if not callers and worst == "literal" and p.default is not None:
            return "unknown", []  # a default nobody overrides in the repository: callers may pass anything
        return worst, trail


    def _dependency(self, dep: tuple[Call, Scope], p: Param, handler: str, depth: int) -> tuple[Origin, list[str]]:
        """The origin of a FastAPI dependency parameter: what its dependency function returns (or yields)."""
        call, scope = dep
        target = call.args[0] if call.args else call.kwargs.get("dependency")
        fns = [v[1] for v in self.repo.values(target, scope) if v[0] == "fn"] if target is not None else []
        items = [(r, fs) for fs in fns for r in (*fs.returns, *fs.yields)]
        if not items:
            return "unknown", []
        worst, trail = self._worst(items, depth)
        if worst != "literal":
            trail = [*trail, f"the dependency {fns[0].name}() of parameter {p.name} of {handler}"]
        return worst, trail

    def _app_state(self, name: str, depth: int) -> tuple[Origin, list[str]]:
        """``request.state.<name>``: what a lifespan yields under ``name`` or the code stores in ``.state.<name>``."""
        memo = self.q.__dict__.setdefault("_facts_memo", {})
        table: dict[str, list[tuple[Expr, Scope, str]]] | None = memo.get("sql_app_state")
        if table is None:
            table = memo["sql_app_state"] = _app_state_table(self.q)
        items = table.get(name, [])
        if not items:
            return "unknown", []
        worst: Origin = "literal"
        trail: list[str] = []
        for x, s, where in items:
            kind, steps = self.origin(x, s, depth + 1)
            if ORIGINS.index(kind) < ORIGINS.index(worst):
                worst, trail = kind, [*steps, where]
        return worst, trail


def _dependency_of(q: Query, p: Param) -> tuple[Call, Scope] | None:
    """The ``Depends(...)`` / ``Security(...)`` call of a FastAPI parameter and the scope it is written in:
    its default, its ``Annotated`` extras, or those of the alias its annotation names (followed through
    imports of the repository's modules)."""
    home = p.scope.parent or p.scope
    for e in ([p.default] if p.default is not None else []) + list(p.meta):
        if isinstance(e, Call) and last_name(e.callee) in {"Depends", "Security"}:
            return e, home
    name, scope = (p.annotation.id, home) if isinstance(p.annotation, Name) else (None, home)
    for _hop in range(4):
        if name is None:
            return None
        s = binding_scope(name, scope)
        if s is None:
            return None
        nxt: tuple[str, Scope] | None = None
        for b in s.bindings[name]:
            if isinstance(b, AnnotatedElem):
                for m in b.meta:
                    if isinstance(m, Call) and last_name(m.callee) in {"Depends", "Security"}:
                        return m, s
            elif isinstance(b, Imp) and b.name:
                for v in q.repo.import_values(Imp(b.spec, None, b.level), s.module):
                    mod = q.repo.modules.get(v[1]) if v[0] == "mod" else None
                    if mod is not None and b.name in mod.scope.bindings:
                        nxt = (b.name, mod.scope)
        if nxt is None:
            return None
        name, scope = nxt
    return None


def _app_state_table(q: Query) -> dict[str, list[tuple[Expr, Scope, str]]]:
    """name -> [(value, scope, where)] of the app's request state: dicts a lifespan yields
    (``yield {"settings": s}``) and ``<...>.state.name = value`` assignments."""
    out: dict[str, list[tuple[Expr, Scope, str]]] = {}
    for mod in q.parsed_modules():
        if mod.lang != "python":
            continue
        for s in mod.scopes:
            for y in s.yields if s.kind == "function" else ():
                if isinstance(y, Obj):
                    for k, v in y.items:
                        if k is not None:
                            out.setdefault(k, []).append((v, s, f"{s.name} yields state {k!r} ({mod.path}:{s.line})"))
        for st in mod.stores:
            if isinstance(st.target, Attr) and st.target.name == "state":
                out.setdefault(st.name, []).append(
                    (st.value, st.scope, f"{dotted(st.target)}.{st.name} = ... ({mod.path}:{st.line})"))
    return out


_BIND_MARK = re.compile(r"^\s*(\?|%s|\$\d*|:\w+|@\w+)\s*,?\s*$")


def _only_placeholders(call: Call) -> bool:
    """Everything pasted into the call's query text is a list of bind placeholders (``IN (?,?,?)``): the
    text is parameterised, no site."""
    pasted = _pasted(call.args[0], call.scope, call.scope.module.lang, 0)
    return bool(pasted) and all(_marks(p, s) for p, s in pasted)


def _marks(e: Expr, scope: Scope) -> bool:
    """``e`` is a placeholder list, or a local name bound only to one (``marks = ",".join("?" * n)``)."""
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        binds = home.bindings[e.id] if home is not None else []
        return bool(binds) and all(isinstance(b, Call) and _placeholder_list(b) for b in binds)
    return isinstance(e, Call) and _placeholder_list(e)


def _placeholder_list(call: Call) -> bool:
    """A list of bind placeholders joined into the SQL text, one per value (targeted.yaml: ``IN (...)``
    built from an array's length): ``xs.map(() => "?").join(",")``, ``Array(n).fill("?").join(",")``,
    ``",".join("?" * n)``, ``", ".join(["%s"] * len(xs))``. The values themselves are bound: only
    their count reaches the text."""
    if not isinstance(call.callee, Attr) or call.callee.name != "join":
        return False
    # Python: ",".join(<placeholders>); JS: <placeholders>.join(",")
    parts = call.args[:1] if isinstance(call.callee.obj, Lit) else [call.callee.obj]
    return bool(parts) and all(_placeholders(p) for p in parts)


def _is_placeholder(e: Expr) -> bool:
    return isinstance(e, Lit) and isinstance(e.value, str) and bool(_BIND_MARK.match(e.value))


def _placeholders(e: Expr) -> bool:
    if isinstance(e, Bin) and e.op in {"*", "op"}:  # "?" * n, ["?"] * len(xs) (Python's IR calls "*" "op")
        side = e.left if not isinstance(e.left, Name) else e.right
        return _is_placeholder(side) or (isinstance(side, Arr) and bool(side.items)
                                         and all(_is_placeholder(x) for x in side.items))
    if isinstance(e, Call) and isinstance(e.callee, Attr):
        if e.callee.name == "fill" and e.args:  # Array(n).fill("?")
            return _is_placeholder(e.args[0])
        if e.callee.name == "map" and e.args and isinstance(e.args[0], Fn):  # xs.map(() => "?"), (_, i) => `$${i + 1}`
            fs = e.args[0].scope
            index = {p.name for p in fs.params[1:2]}  # the element itself (the first parameter) is never allowed
            return bool(fs.returns) and all(_is_placeholder(r) or _numbered(r, index) for r in fs.returns)
    return False


def _numbered(e: Expr, index: set[str]) -> bool:
    """`$${i + 1}`: a Postgres placeholder numbered from the map's index, nothing else pasted."""
    if not isinstance(e, Tmpl) or not re.fullmatch(r"\s*\$\s*", "".join(p for p in e.parts if isinstance(p, str))):
        return False
    for part in (p for p in e.parts if not isinstance(p, str)):
        for x in walk(part, 20):
            if isinstance(x, (Name, Param)) and (x.id if isinstance(x, Name) else x.name) not in index:
                return False
            if not isinstance(x, (Name, Param, Lit, Bin)):
                return False
    return True


def _shown(e: Expr) -> str:
    """An expression as written, roughly (``request.args.get('q')``, ``$0.city``)."""
    if isinstance(e, Call):
        args = ", ".join(repr(a.value) if isinstance(a, Lit) else dotted(a) for a in e.args[:3])
        return f"{dotted(e.callee)}({args})"
    return dotted(e).replace("$0.", "") if isinstance(e, Attr) else dotted(e)


def _handler_param(p: Param) -> bool:
    """A parameter of a web route function (not a ``Depends()`` one) or of a Next.js server action."""
    from .llm_flow import _is_dependency, is_route_decorator

    fs = p.scope
    mod = fs.module
    if mod.lang == "python":
        return any(is_route_decorator(d) for d in fs.decorator_exprs) and not _is_dependency(p)
    return "use server" in mod.directives and fs.parent is mod.scope and fs.name in mod.exports


def _tool_functions(q: Query) -> set[int]:
    """id() of the function scopes a model calls as tools: decorated with ``@tool`` (``@mcp.tool()``...),
    passed in a ``tools=[...]`` list or as ``func=`` / ``fn=`` of a tool constructor, or the ``execute``
    of an object handed to ``tool(...)`` or held in a ``tools: {...}`` object (JS)."""
    out: set[int] = set()
    for mod in q.parsed_modules():
        for s in mod.scopes:
            if s.kind == "function" and any(last_name(d.callee if isinstance(d, Call) else d) in TOOL_DECORATORS
                                             for d in s.decorator_exprs):
                out.add(id(s))
        for call in mod.calls:
            name = last_name(call.callee)
            is_tool_ctor = "tool" in name.lower()
            for key, v in call.options().items():
                if key in TOOL_LISTS:
                    out |= _fns_in(q, v, call.scope, tools=True)
                elif is_tool_ctor and key in TOOL_FN_KWARGS | {"execute"}:
                    out |= _fns_in(q, v, call.scope)
            if is_tool_ctor:
                for a in call.args:
                    if isinstance(a, (Name, Attr, Fn)):
                        out |= _fns_in(q, a, call.scope)
    return out


def _fns_in(q: Query, e: Expr, scope: Scope, tools: bool = False, depth: int = 0) -> set[int]:
    """The functions ``e`` is or holds (a list of tools, an object of tools with ``execute``)."""
    if depth > 4 or e is None:
        return set()
    if isinstance(e, Fn):
        return {id(e.scope)}
    if isinstance(e, Arr) or isinstance(e, Union):
        out: set[int] = set()
        for x in e.items:
            out |= _fns_in(q, x, scope, tools, depth + 1)
        return out
    if isinstance(e, Obj):
        out = set()
        for k, v in e.items:
            if k == "execute" or tools:
                out |= _fns_in(q, v, scope, tools and k != "execute", depth + 1)
        return out
    if isinstance(e, (Name, Attr)):
        out = {id(v[1]) for v in q.repo.values(e, scope) if v[0] == "fn"}
        if isinstance(e, Name) and not out:
            home = binding_scope(e.id, scope)
            for b in (home.bindings[e.id] if home is not None else []):
                out |= _fns_in(q, b, home, tools, depth + 1)  # type: ignore[arg-type]
        return out
    if isinstance(e, Call) and "tool" in last_name(e.callee).lower():
        out = set()
        for key, v in e.options().items():
            if key in TOOL_FN_KWARGS | {"execute"}:
                out |= _fns_in(q, v, scope, False, depth + 1)
        for a in e.args:
            if isinstance(a, (Name, Attr, Fn)):
                out |= _fns_in(q, a, scope, False, depth + 1)
        return out
    return set()
