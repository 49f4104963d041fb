"""The value-query API of the analysis engine: what checks ask of the IR.

``Query(repo)`` wraps the resolver (``resolve.Repo``) with the questions checks ask:

- ``origins(expr, scope)``: where a value comes from, as a set of
  ``literal | request | env | file | model_output | param:<name> | unknown``, following names,
  fields, imports, returns and the repository's own calls;
- ``callee_qual(call)``: the external name a call resolves to (``requests.post``, ``:fetch``,
  ``axios:default.get``), or None;
- ``site(call)``: ``(what, how)`` when the call sends a model request (chat, completion, embedding,
  image, audio, http...), else None;
- ``bindings_of(expr, scope)``: the expressions assigned to a local name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

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
from .resolve import Repo

if TYPE_CHECKING:
    from ..collect.files import FileSet

# ---------------------------------------------------------------------------------- value queries
_REQUEST = re.compile(r"^(flask|quart|fastapi|starlette)\.request\b|^streamlit\.(sidebar\.)?(text_input|text_area|chat_input|"
                      r"file_uploader|number_input|selectbox)\(\)|^:(window\.location|document\.\w+)")
_ENV = re.compile(r"^os\.(environ|getenv)|^:process\.env|^(dotenv|decouple)\.|^streamlit\.secrets")
_FILE = re.compile(r"^builtins\.open\(\)|\.(read_text|read_bytes)\(\)$|^(node:)?fs(/promises)?:(default\.)?"
                   r"(readFileSync|readFile)")
_REQUEST_PARAMS = {"req", "request", "event", "ctx"}


class Query:
    def __init__(self, repo: Repo, files: FileSet | None = None) -> None:
        self.repo = repo
        self.k = repo.k
        self.files = files
        """The target's files (deploy files, settings): set by ``engine.run_checks`` when it is given them."""
        self._anon_names: dict[str, dict[int, str]] = {}

    def site(self, call: Call) -> tuple[str, str] | None:
        """``(what, how)`` when ``call`` sends a model request, else None."""
        return self.repo.site(call)

    def bindings_of(self, e: Expr, scope: Scope) -> Iterator[Expr]:
        """The expressions bound to the local name ``e`` (nearest enclosing scope that binds it)."""
        return _bindings_of(e, scope)

    def callee_qual(self, call: Call) -> str | None:
        """The external name a call resolves to ("requests.post", ":fetch"), if any."""
        for v in self.repo.values(call.callee, call.scope):
            if v[0] == "ext":
                return v[2]
        return None

    def function_name(self, scope: Scope) -> str | None:
        """The name facts give the function enclosing ``scope`` (None at module level), as the old
        analysers did: a Python lambda is its enclosing function; a JS anonymous function is named
        by what holds it ("POST /ask" for a route handler, the variable of ``export const POST =
        withAuth(async () => ...)``, the key or field it is stored under), else by its parent."""
        s: Scope | None = scope
        while s is not None and s.kind != "function":
            s = s.parent
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



_ROUTE_METHODS = {"get", "post", "put", "delete", "patch", "all", "options", "head"}
_NEXT_METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}


def _route_of(call: Call) -> str | None:
    """``"POST /x"`` when ``call`` registers a route handler: ``app.post("/x", ...)``,
    ``app.route("/x").get(...)``."""
    callee = call.callee
    if not isinstance(callee, Attr) or callee.name not in _ROUTE_METHODS:
        return None
    args = call.args
    recv = callee.obj
    if isinstance(recv, Call) and isinstance(recv.callee, Attr) and recv.callee.name == "route":
        args = recv.args[:1] + args
    if len(args) < 2 or not isinstance(args[0], Lit) or not isinstance(args[0].value, str):
        return None
    route = args[0].value
    return f"{callee.name.upper()} {route}" if route.startswith(("/", "*")) else None


def _anonymous_names(mod: Module) -> dict[int, str]:
    """id(function scope) -> name, for the anonymous functions of a JS module that something names."""
    out: dict[int, str] = {}
    held: dict[int, str] = {}  # id(call) -> the exported / Next.js-method variable bound to its result
    for name, values in mod.scope.bindings.items():
        if name in mod.exports or name in _NEXT_METHODS:
            for v in values:
                if isinstance(v, Call):
                    held[id(v)] = name
    for call in mod.calls:
        fns = [a for a in call.args if isinstance(a, Fn)]
        if not fns:
            continue
        name = _route_of(call) or held.get(id(call))
        if name is not None:
            for f in fns:
                out.setdefault(id(f.scope), name)
    for st in mod.stores:
        if isinstance(st.value, Fn):
            out.setdefault(id(st.value.scope), st.name)
    for cls in mod.classes:
        for fname, values in cls.fields.items():
            for v, _s in values:
                if isinstance(v, Fn):
                    out.setdefault(id(v.scope), fname)
    for name, v in mod.exports.items():
        if isinstance(v, Fn):
            out.setdefault(id(v.scope), name)
    return out


def _bindings_of(e: Expr, scope: Scope) -> Iterator[Expr]:
    if isinstance(e, Name):
        s: Scope | None = scope
        while s is not None:
            if e.id in s.bindings:
                yield from s.bindings[e.id]
                return
            s = s.parent
