"""The value-query API of the analysis engine: what checks ask of the IR.

``Query(repo)`` wraps the resolver (``resolve.Repo``) with the questions checks ask:

- ``origins(expr, scope)``: where a value comes from, as a set of
  ``literal | request | env | file | model_output | param:<name> | unknown``, following names,
  fields, imports, returns and the repository's own calls;
- ``callee_qual(call)``: the external name a call resolves to (``requests.post``, ``:fetch``,
  ``axios:default.get``), or None; ``quals(expr, scope)``: every external name an expression may be;
- ``site(call)``: ``(what, how)`` when the call sends a model request (chat, completion, embedding,
  image, audio, http...), else None;
- ``bindings_of(expr, scope)``: the expressions assigned to a local name;
- ``function_name(scope)``: the name every fact gives the function a call or a use sits in;
- ``parsed_modules()``: the modules the facts are read from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .ir import (
    Arr,
    Attr,
    Bin,
    Call,
    Elem,
    Expr,
    Fn,
    Lit,
    Module,
    Name,
    Obj,
    Param,
    Scope,
    Tmpl,
    Union,
)
from .irtools import binding_scope, function_scope, last_name
from .resolve import Repo
from .tables import js_route, tables

if TYPE_CHECKING:
    from ..collect.files import FileSet

# ---------------------------------------------------------------------------------- value queries
_REQUEST = re.compile(r"^(flask|quart|fastapi|starlette)\.request\b|^streamlit\.(sidebar\.)?(text_input|text_area|chat_input|"
                      r"file_uploader|number_input|selectbox)\(\)|^:(window\.location|document\.\w+)")
_ENV = re.compile(r"^os\.(environ|getenv)|^:process\.env|^(dotenv|decouple)\.|^streamlit\.secrets")
_FILE = re.compile(r"^builtins\.open\(\)|\.(read_text|read_bytes)\(\)$|^(node:)?fs(/promises)?:(default\.)?"
                   r"(readFileSync|readFile)")
REQUEST_PARAMS = {"req", "request", "event", "ctx"}
"""Parameters that hold the request itself."""


class Query:
    def __init__(self, repo: Repo, files: FileSet | None = None) -> None:
        self.repo = repo
        self.k = repo.k
        self.files = files
        """The target's files (deploy files, settings): set by ``engine.run_checks`` when it is given them."""
        self._anon_names: dict[str, dict[int, str]] = {}
        self._call_names: dict[str, tuple[list[str], frozenset[str]]] = {}
        self._memos: dict[str, dict[str, Any]] = {}

    def parsed_modules(self) -> list[Module]:
        """The repository's modules that parsed, in path order."""
        return [mod for _path, mod in sorted(self.repo.modules.items()) if not mod.error]

    def memo(self, owner: str) -> dict[str, Any]:
        """A dict that lives as long as this analysis, one per ``owner`` (a check module's name): what a
        check computes once per repository and reuses for every module or call it is given."""
        got = self._memos.get(owner)
        if got is None:
            got = self._memos[owner] = {}
        return got

    def call_names(self, mod: Module) -> tuple[list[str], frozenset[str]]:
        """The last name of each call of ``mod``'s callee (``a.b.post(...)`` -> ``post``, ``''`` for a call
        of a call's result), in the order of ``mod.calls``, and the set of them (computed once a module)."""
        got = self._call_names.get(mod.path)
        if got is None:
            names = [last_name(c.callee) for c in mod.calls]
            got = self._call_names[mod.path] = (names, frozenset(names))
        return got

    def site(self, call: Call) -> tuple[str, str] | None:
        """``(what, how)`` when ``call`` sends a model request, else None."""
        return self.repo.site(call)

    def bindings_of(self, e: Expr, scope: Scope) -> Iterator[Expr]:
        """The expressions bound to the local name ``e`` (nearest enclosing scope that binds it)."""
        return _bindings_of(e, scope)

    def bound_values(self, e: Expr | None, scope: Scope, depth: int = 0) -> list[Expr]:
        """``e``, or what the local name ``e`` is bound to, followed a few hops (to read literal options)."""
        if isinstance(e, Name) and depth < 4:
            out: list[Expr] = []
            for b in _bindings_of(e, scope):
                out += self.bound_values(b, scope, depth + 1)
            return out
        return [e] if e is not None else []

    def quals(self, e: Expr, scope: Scope) -> list[str]:
        """Every external name ``e`` may be ("openai.OpenAI", ":fetch"), sorted."""
        return sorted(v[2] for v in self.repo.values(e, scope) if v[0] == "ext")

    def callee_qual(self, call: Call) -> str | None:
        """The external name a call resolves to ("requests.post", ":fetch"), if any."""
        for v in self.repo.values(call.callee, call.scope):
            if v[0] == "ext":
                qual: str = v[2]
                return qual
        return None

    def function_name(self, scope: Scope) -> str | None:
        """The name facts give the function enclosing ``scope`` (None at module level), as the old
        analysers did: a Python lambda is its enclosing function; a JS anonymous function is named
        by what holds it ("POST /ask" for a route handler, the variable of ``export const POST =
        withAuth(async () => ...)``, the key or field it is stored under), else by its parent."""
        s = function_scope(scope)
        if s is None:
            return None
        if s.name == "<lambda>":
            return self.function_name(s.parent) if s.parent is not None else None
        if s.name == "<anonymous>":
            names = self._anon_names.get(s.module.path)
            if names is None:
                names = self._anon_names[s.module.path] = _anonymous_names(s.module)
            got = names.get(id(s))
            return got if got is not None else (self.function_name(s.parent) if s.parent is not None else None)
        return s.name

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
            if e.name in REQUEST_PARAMS:
                return {"request"}
            vals = self.repo.values(e, e.scope)
            return self.classify(vals) if vals else {f"param:{e.name}"}
        if isinstance(e, Name):
            home = binding_scope(e.id, scope, class_bodies=True)
            if home is not None:
                out = set()
                for b in home.bindings[e.id]:
                    out |= self.origins(b, home, depth + 1)
                return out
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

    def classify(self, vals: Iterable[tuple[Any, ...]]) -> set[str]:
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


def _anonymous_names(mod: Module) -> dict[int, str]:
    """id(function scope) -> name, for the anonymous functions of a JS module that something names."""
    out: dict[int, str] = {}
    next_methods = tables().js.next_methods
    held: dict[int, str] = {}  # id(call) -> the exported / Next.js-method variable bound to its result
    for name, values in mod.scope.bindings.items():
        if name in mod.exports or name in next_methods:
            for v in values:
                if isinstance(v, Call):
                    held[id(v)] = name
    for call in mod.calls:
        fns = [a for a in call.args if isinstance(a, Fn)]
        if not fns:
            continue
        route = js_route(call)
        label = f"{route[0].upper()} {route[1]}" if route is not None else held.get(id(call))
        if label is not None:
            for f in fns:
                out.setdefault(id(f.scope), label)
    for st in mod.stores:
        if isinstance(st.value, Fn):
            out.setdefault(id(st.value.scope), st.name)
    for cls in mod.classes:
        for fname, fvalues in cls.fields.items():
            for v, _s in fvalues:
                if isinstance(v, Fn):
                    out.setdefault(id(v.scope), fname)
    for name, v in mod.exports.items():
        if isinstance(v, Fn):  # `export default async function (req, res)` reads as "default export"
            out.setdefault(id(v.scope), "default export" if name == "default" else name)
    return out


def _bindings_of(e: Expr, scope: Scope) -> Iterator[Expr]:
    if isinstance(e, Name):
        home = binding_scope(e.id, scope, class_bodies=True)
        if home is not None:
            yield from home.bindings[e.id]
