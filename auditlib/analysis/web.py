"""Web endpoints and whether they declare authentication, from the IR.

Endpoints:

- Python: a function decorated with a route (``@app.get("/x")``, ``@bp.route(...)``, ``@router.post``,
  ``@api_view``); the framework is the one the receiver comes from (``fastapi``, ``flask``), else the
  file's web imports, else ``other`` for a route path;
- JS/TS: ``app.get("/x", ...handlers)`` and ``app.route("/x").get(handler)`` (Express, Hono, Koa, ...,
  the framework the receiver comes from, or the file's), ``fastify.route({url, handler})``, Next.js
  ``pages/api/**`` default exports and ``app/**/route.ts`` exported ``GET``/``POST``/....

Authentication (``has_auth``):

- Python: another decorator named like auth (``@login_required``), a FastAPI ``Depends``/``Security`` on
  something named like auth in the route's ``dependencies=``, a parameter's default or ``Annotated``
  metadata, the router's constructor (``APIRouter(dependencies=[...])``), or the router being included with
  such dependencies (``app.include_router(r, dependencies=[...])``, in any file), or a Flask
  ``before_request`` hook named like auth;
- JS/TS: a middleware named like auth, a handler that calls something named like auth or reads what an
  auth middleware set (``req.user``, the ``authorization`` header), the receiver behind ``app.use(auth)``
  (declared before the route), a router mounted behind auth (in any file), a Next.js middleware that
  authenticates (all Next.js routes).

A receiver is identified across files by where it is bound (``_site``: imports and exports followed). The
tables (route methods, auth words, frameworks) are checklists/web.yaml.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..models import Endpoint
from .ir import AnnotatedElem, Arr, Attr, Call, Cmp, Expr, Fn, Imp, Lit, Module, Name, Obj, Scope
from .irtools import (
    binding_scope,
    dotted,
    last_name,
    render,
    scopes_in,
    string_value,
    walk,
)
from .layers import package_of
from .query import Query
from .reach import reacher
from .tables import is_auth_text, js_route, tables

MAX_HOPS = 8
"""Imports and exports followed to find where a receiver is bound."""
MAX_WALK = 4_000
"""Expression nodes read in one handler looking for an auth check."""


def endpoints(q: Query) -> list[Endpoint]:
    """Every web endpoint of the repository, with its framework, route and whether it authenticates."""
    return list(_index(q).endpoints)


def handler_scopes(q: Query) -> dict[int, tuple[Scope, Endpoint]]:
    """id(function scope) -> (the scope, its endpoint) for every function declared as a route's handler
    (as the endpoint was first built: before a Next.js middleware marked it authenticated)."""
    idx = _index(q)
    return {id(s): (s, e) for s, e in idx.handlers}


def public_binds(q: Query) -> list[str]:
    """``path:line`` of the Python calls that start a server on every interface (``app.run(host=
    "0.0.0.0")``, ``uvicorn.run(app, host="0.0.0.0")``): without one and without a deploy file, a
    Python web app listens on 127.0.0.1 only (Flask's, uvicorn's and Django's development default)."""
    hosts = tables().py.public_hosts
    found = []
    for mod in q.repo.modules.values():
        if mod.lang != "python" or mod.error:
            continue
        for call in mod.calls:
            host = call.kwargs.get("host")
            if host is not None and string_value(host) in hosts:
                found.append(f"{mod.path}:{call.line}")
    return sorted(found)


@dataclass
class _Index:
    endpoints: list[Endpoint] = field(default_factory=list)
    handlers: list[tuple[Scope, Endpoint]] = field(default_factory=list)
    """The handler functions of the endpoints (a route may have several: middleware chains)."""


def _index(q: Query) -> _Index:
    memo = q.__dict__.setdefault("_facts_memo", {})
    if "web" not in memo:
        memo["web"] = _Web(q).build()
    got: _Index = memo["web"]
    return got


class _Web:
    """One pass over the repository's modules; the auth evidence that spans files is gathered first."""

    def __init__(self, q: Query) -> None:
        self.q = q
        self.t = tables()
        self.out = _Index()
        self._auth_memo: dict[int, bool] = {}
        self.mounted: dict[tuple[Any, ...], list[tuple[str, int, bool]]] = {}
        """Receiver key -> (path, line, ordered) of the auth it sits behind (ordered: only routes after it)."""
        self.next_auth = False
        self.next_matchers: list[re.Pattern[str]] | None = None
        """The routes a Next.js middleware that authenticates runs on (its ``config.matcher``); None: all."""
        self.includes: list[tuple[tuple[Any, ...], tuple[Any, ...], str, int]] = []
        """(parent receiver, mounted router, path, line): the router inherits the parent's auth."""
        self._stores: dict[int, list[Any]] | None = None

    def build(self) -> _Index:
        mods = self.q.parsed_modules()
        for mod in mods:
            self._gather(mod)
        self._inherit()
        for mod in mods:
            if mod.lang == "python":
                self.out.endpoints += self._py_endpoints(mod)
            else:
                self.out.endpoints += self._js_endpoints(mod)
        if self.next_auth:
            self.out.endpoints = [e.model_copy(update={"has_auth": True})
                                  if e.framework == "nextjs" and not e.has_auth and self._next_covers(e.route)
                                  else e for e in self.out.endpoints]
        return self.out

    # ------------------------------------------------------------------------------- receivers
    def site(self, e: Expr | None, scope: Scope, hops: int = 0) -> tuple[tuple[Any, ...] | None, list[tuple[Expr, Scope]]]:
        """(identity, [(expression bound, its scope)]) of the name or attribute ``e``, following imports
        and JS exports to the module that binds it."""
        if hops > MAX_HOPS:
            return None, []
        if isinstance(e, Name):
            return self._name_site(e.id, scope, hops)
        if isinstance(e, Attr):
            for v in self.q.repo.values(e.obj, scope):
                if v[0] == "mod":
                    return self._member_site(v[1], e.name, hops + 1)
            base, _ = self.site(e.obj, scope, hops + 1)
            return (None if base is None else base + (e.name,)), []
        return None, []

    def _name_site(self, name: str, scope: Scope, hops: int) -> tuple[tuple[Any, ...] | None, list[tuple[Expr, Scope]]]:
        s = binding_scope(name, scope)
        if s is None:
            return (scope.module.path, "global", name), []
        binds = s.bindings[name]
        for b in binds:
            if isinstance(b, Imp) and hops < MAX_HOPS:
                target = self._import_target(b, s.module)
                if target is not None:
                    return self._member_site(target, b.name, hops + 1) if b.name else (("mod", target), [])
        return (s.module.path, id(s), name), [(b, s) for b in binds]

    def _member_site(self, path: str, name: str, hops: int) -> tuple[tuple[Any, ...] | None, list[tuple[Expr, Scope]]]:
        mod = self.q.repo.modules.get(path)
        if mod is None or hops > MAX_HOPS:
            return (path, "member", name), []
        if mod.lang == "js":
            e = mod.exports.get(name)
            if isinstance(e, Name):
                return self.site(e, mod.scope, hops + 1)
            return (path, "export", name), ([(e, mod.scope)] if e is not None else [])
        if name in mod.scope.bindings:
            return self._name_site(name, mod.scope, hops + 1)
        return (path, "member", name), []

    def _import_target(self, imp: Imp, mod: Module) -> str | None:
        if mod.lang == "python":  # import_values memoises nothing by identity: a fresh Imp is safe
            vals = self.q.repo.import_values(Imp(imp.spec, None, imp.level), mod)
            return next((v[1] for v in vals if v[0] == "mod"), None)
        return self.q.repo.js_module(imp.spec, mod.path)

    def key(self, e: Expr | None, scope: Scope) -> tuple[Any, ...] | None:
        return self.site(e, scope)[0]

    # ---------------------------------------------------------------------- auth across files
    def _gather(self, mod: Module) -> None:
        """Auth that covers receivers: JS app.use(auth) / addHook, routers mounted behind auth; Python
        include_router(dependencies=auth), before_request hooks; a Next.js middleware that authenticates."""
        if mod.lang == "js" and self.t.js.next_middleware.search(mod.path) and self._middleware_authenticates(mod):
            self.next_auth = True
            self.next_matchers = _next_matchers(mod)
        for call in mod.calls:
            if isinstance(call.callee, Attr):
                (self._py_mount if mod.lang == "python" else self._js_mount)(call)
        if mod.lang == "python":
            for fs in mod.scopes:
                for d in fs.decorator_exprs:  # @bp.before_request def require_login(): ...
                    if isinstance(d, Attr) and d.name in self.t.py.before_request and self._hook_authenticates(fs):
                        self._auth(self.key(d.obj, fs.parent or fs), mod.path, 0, False)

    def _auth(self, key: tuple[Any, ...] | None, path: str, line: int, ordered: bool) -> None:
        if key is not None:
            self.mounted.setdefault(key, []).append((path, line, ordered))

    def _js_mount(self, call: Call) -> None:
        t, callee, args, scope = self.t.js, call.callee, call.args, call.scope
        recv = callee.obj  # type: ignore[attr-defined]
        name = callee.name  # type: ignore[attr-defined]
        ordered = last_name(recv) in t.ordered_receivers
        if name in t.hooks and len(args) >= 2 and self._is_auth_middleware(args[1], scope):
            self._auth(self.key(recv, scope), scope.module.path, call.line, ordered)
            return
        if name not in t.mount:
            return
        with_auth = any(self._is_auth_middleware(a, scope) for a in args
                        if string_value(a) is None and not self._is_router(a, scope))
        recv_key = self.key(recv, scope)
        if with_auth and not (args and string_value(args[0]) is not None):
            self._auth(recv_key, scope.module.path, call.line, ordered)
        for a in args:
            if isinstance(a, (Name, Attr)):
                child = self.key(a, scope)
                if with_auth:
                    self._auth(child, scope.module.path, call.line, False)
                elif recv_key is not None and child is not None:
                    self.includes.append((recv_key, child, scope.module.path, call.line))

    def _is_router(self, e: Expr, scope: Scope) -> bool:
        """A router mounted by ``use`` (``app.use("/auth", authRouter)``): its name is no auth evidence."""
        return isinstance(e, (Name, Attr)) and any(
            v[0] == "ext" and self.t.js.router_values.search(v[2]) for v in self.q.repo.values(e, scope))

    def _py_mount(self, call: Call) -> None:
        t, callee, scope = self.t.py, call.callee, call.scope
        name = callee.name  # type: ignore[attr-defined]
        if name in t.include_router and call.args:
            child = self.key(call.args[0], scope)
            parent, defs = self.site(callee.obj, scope)  # type: ignore[attr-defined]
            if self._auth_depends(call.kwargs.get("dependencies")) or self._built_with_auth(defs):
                self._auth(child, scope.module.path, 0, False)
            elif parent is not None and child is not None:
                self.includes.append((parent, child, scope.module.path, call.line))
        elif name in t.before_request and call.args and (is_auth_text(render(call.args[0])) or any(
                self._hook_authenticates(fs) for fs in self._scopes_of(call.args[:1], scope))):
            self._auth(self.key(callee.obj, scope), scope.module.path, 0, False)  # type: ignore[attr-defined]

    def _inherit(self) -> None:
        """A router mounted on an authenticated app or router is authenticated (to a fixed point)."""
        changed = True
        rounds = 0
        while changed and rounds < 10:
            changed, rounds = False, rounds + 1
            for parent, child, path, line in self.includes:
                if child not in self.mounted and self.authed(parent, path, line):
                    self._auth(child, path, 0, False)
                    changed = True

    def authed(self, key: tuple[Any, ...] | None, path: str, line: int) -> bool:
        """Whether the receiver ``key`` is behind auth for a route declared at ``path``:``line``."""
        return key is not None and any(not ordered or p != path or ln < line
                                       for p, ln, ordered in self.mounted.get(key, ()))

    def _next_covers(self, route: str | None) -> bool:
        """Whether the authenticating Next.js middleware runs on ``route`` (every route without a matcher)."""
        if self.next_matchers is None or route is None:
            return True
        return any(m.fullmatch(route) for m in self.next_matchers)

    def _middleware_authenticates(self, mod: Module) -> bool:
        words = self.t.js.next_middleware_auth_specifiers
        if any(w in spec for spec in mod.imports for w in words):
            return True
        return any(is_auth_text(dotted(c.callee)) for c in mod.calls) \
            or any(self._guards(fs, sign_in=True) for fs in mod.scopes if fs.kind == "function")

    # ------------------------------------------------------------------------------ Python
    def _py_endpoints(self, mod: Module) -> Iterator[Endpoint]:
        tops = {p.split(".", 1)[0] for p in mod.imports}
        declared: set[tuple[Any, ...]] = set()
        for fs in sorted(mod.scopes, key=lambda s: s.line):
            for dec in fs.decorator_exprs:
                route = self._py_route(dec, fs.parent or fs, tops)
                if route is None:
                    continue
                framework, path, receiver = route
                method = _py_method(dec)
                if path is not None and receiver is not None and method is not None:
                    # The same method and path declared twice on one app or router: the first declaration
                    # answers (Starlette and Werkzeug match in the order routes were added), the second
                    # handler is never reached, so it exposes nothing (issue 9).
                    same = (render(receiver), method, path)
                    if same in declared:
                        continue
                    declared.add(same)
                yield self._endpoint(path=mod.path, line=fs.line, function=fs.name, framework=framework, route=path,
                                     has_auth=self._py_auth(fs, dec, receiver), method=method,
                                     roots=[fs])

    def _py_route(self, dec: Expr, scope: Scope, tops: set[str]) -> tuple[str, str | None, Expr | None] | None:
        """(framework, route, receiver) when the decorator ``dec`` declares a web route."""
        t = self.t.py
        target = dec.callee if isinstance(dec, Call) else dec
        if last_name(target) in t.endpoint_decorators:
            return t.endpoint_decorators[last_name(target)], None, None
        if not (isinstance(dec, Call) and isinstance(target, Attr) and target.name in t.route_methods):
            return None
        route = string_value(dec.args[0]) if dec.args else None
        if route is None:
            route = next((string_value(dec.kwargs[k]) for k in sorted(t.route_keywords) if k in dec.kwargs), None)
        roots = {v[2].split(".", 1)[0] for v in self.q.repo.values(target.obj, scope) if v[0] == "ext"}
        known = sorted(roots & set(t.frameworks))
        if known:
            return t.frameworks[known[0]], route, target.obj
        if roots & t.web_modules or tops & t.web_modules:
            fw = next((f for m, f in t.frameworks_by_import.items() if m in tops), "other")
            return fw, route, target.obj
        if route is not None and route.startswith("/"):
            return "other", route, target.obj
        return None  # cache.get(...) and friends: not a route without a web framework in sight

    def _py_auth(self, fs: Scope, route_dec: Expr, receiver: Expr | None) -> bool:
        t = self.t.py
        for dec in fs.decorator_exprs:
            if dec is route_dec:
                continue  # @auth_router.post("/login") says nothing about the endpoint's own auth
            name = dotted(dec.callee if isinstance(dec, Call) else dec).lower()
            if any(w in name for w in t.auth_decorator_words):
                return True
        if isinstance(route_dec, Call) and self._auth_depends(route_dec.kwargs.get("dependencies")):
            return True
        if self._scope_checks_auth(fs):
            return True  # require_auth(request) in the body, or a cookie / header read and a 401 / 403
        scope = fs.parent or fs
        if any(self._auth_depends(p.default) or self._auth_depends(p.annotation) or self._alias_auth(p.annotation, scope)
               or any(self._auth_depends(m) for m in p.meta) for p in fs.params):
            return True
        if receiver is None:
            return False
        key, defs = self.site(receiver, scope)
        if self.authed(key, fs.module.path, fs.line):
            return True
        return self._built_with_auth(defs)

    def _alias_auth(self, annotation: Expr | None, scope: Scope) -> bool:
        """A parameter typed with an alias of an authenticating dependency (FastAPI's idiom):
        ``CurrentUser = Annotated[User, Depends(get_current_user)]``, ``def f(user: CurrentUser)``."""
        if annotation is None:
            return False
        for e in walk(annotation, 50, once=True):
            if isinstance(e, (Name, Attr)):
                for d, _ in self.site(e, scope)[1]:
                    if isinstance(d, AnnotatedElem) and any(self._auth_depends(m) for m in d.meta):
                        return True
        return False

    def _built_with_auth(self, defs: list[tuple[Expr, Scope]]) -> bool:
        """A FastAPI app or router constructed with auth dependencies: ``APIRouter(dependencies=[...])``."""
        return any(isinstance(d, Call) and self._auth_depends(d.kwargs.get("dependencies")) for d, _ in defs)

    def _auth_depends(self, e: Expr | None) -> bool:
        """A FastAPI dependency on something named like auth: ``Depends(get_current_user)``."""
        if e is None:
            return False
        t = self.t.py
        for c in walk(e, MAX_WALK, once=True):
            if isinstance(c, Call) and last_name(c.callee) in t.dependency_calls:
                dep = c.args[0] if c.args else c.kwargs.get("dependency")
                if dep is not None and any(w in dotted(dep).lower() for w in t.auth_dependency_words):
                    return True
        return False

    # ------------------------------------------------------------------------------- JS/TS
    def _js_endpoints(self, mod: Module) -> list[Endpoint]:
        found: list[Endpoint] = []
        routes = [(call, r) for call in mod.calls if (r := js_route(call)) is not None]
        shadowed = self._shadowed(routes)
        for call in mod.calls:
            route = js_route(call)
            if route is not None:
                ep = self._js_route_endpoint(call, *route, shadowed=shadowed.get(id(call)))
                if ep is not None:
                    found.append(ep)
            elif isinstance(call.callee, Attr) and call.callee.name == self.t.js.fastify_route \
                    and self._file_framework(mod) == "fastify":
                found += self._fastify_route(call)
        return found + self._next_endpoints(mod)

    def _shadowed(self, routes: list[tuple[Call, tuple[str, str, Expr, list[Expr]]]]) -> dict[int, str]:
        """id(call) -> why: routes of one router that an earlier route of the same method on it answers
        first (Express matches in declaration order: ``GET /:id`` declared before ``GET /hint`` takes every
        ``/hint`` request, so the later handler never runs; heldout2). An earlier handler that can pass the
        request on (it calls its ``next`` parameter outside an error path) shadows nothing."""
        out: dict[int, str] = {}
        earlier: dict[tuple[Any, ...], list[tuple[str, re.Pattern[str], str, int]]] = {}
        for call, (method, path, recv, handlers) in sorted(routes, key=lambda x: x[0].line):
            key = self.key(recv, call.scope)
            m = method.upper()
            if key is None or m in {"USE", "ROUTE"}:
                continue
            probe = _PARAM_SEGMENT.sub("/\x00", path)
            for m0, rx0, label, line in earlier.get(key, []):
                if (m0 == m or m0 == "ALL") and rx0.fullmatch(probe):
                    out[id(call)] = f"shadowed by {label} (line {line}), never reached"
                    break
            if id(call) not in out and not self._passes_on(handlers, call.scope):
                rx = _express_regex(path)
                if rx is not None:
                    earlier.setdefault(key, []).append((m, rx, f"{m} {path}", call.line))
        return out

    def _passes_on(self, handlers: list[Expr], scope: Scope) -> bool:
        """The route's last handler may hand the request to the next route: it calls its third parameter
        (``next()``) other than in a catch block, or it cannot be found."""
        fns = self._scopes_of(handlers[-1:], scope)
        if not fns:
            return True
        for fs in fns:
            if len(fs.params) >= 3:
                nxt = fs.params[2].name
                for s in scopes_in(fs):
                    for c in s.calls:
                        if isinstance(c.callee, Name) and c.callee.id == nxt and \
                                not any(g.kind == "except" for g in c.guards):
                            return True
        return False

    def _js_route_endpoint(self, call: Call, method: str, path: str, recv: Expr,
                           handlers: list[Expr], shadowed: str | None = None) -> Endpoint | None:
        scope, mod = call.scope, call.scope.module
        framework, traced = self._js_framework(recv, scope, mod)
        if framework is None:
            # No web framework in sight: only a call whose last argument is a function literal and whose
            # receiver is not an imported package reads as a route (cache.get("/key", () => ...) does not).
            owner = last_name(recv).lower()
            if traced or not isinstance(handlers[-1], Fn) or not (
                    owner in self.t.js.route_owners or owner.endswith(tuple(self.t.js.route_owner_suffixes))):
                return None
            framework = "other"
        handler = handlers[-1]
        label = f"{method.upper()} {path}"
        has_auth = any(self._is_auth_middleware(m, scope) for m in handlers[:-1]) \
            or self.checks_auth(handler, scope) or self.authed(self.key(recv, scope), mod.path, call.line)
        return self._endpoint(path=mod.path, line=call.line,
                              function=handler.id if isinstance(handler, Name) else label, framework=framework,
                              route=path, has_auth=has_auth, method=method.upper(),
                              roots=self._scopes_of(handlers, scope),
                              unreached=shadowed if framework in ORDERED_ROUTERS else None)

    def _js_framework(self, recv: Expr, scope: Scope, mod: Module) -> tuple[str | None, bool]:
        """(framework, traced to a package): the package the receiver comes from, else the file's imports."""
        specs = sorted({v[2].split(":", 1)[0] for v in self.q.repo.values(recv, scope) if v[0] == "ext"} - {""})
        for spec in specs:
            fw = self._framework_of(spec)
            if fw:
                return fw, True
        if specs:
            return None, True  # axios.get("/x", cb), a cache client: not a route
        return self._file_framework(mod), False

    def _framework_of(self, spec: str) -> str | None:
        fws: dict[str, str] = self.t.js.web_frameworks
        return fws.get(spec) or fws.get(package_of(spec) or "")

    def _file_framework(self, mod: Module) -> str | None:
        for spec in sorted(mod.imports):
            fw = self._framework_of(spec)
            if fw and fw != "nextjs":
                return fw
        return None

    def _fastify_route(self, call: Call) -> list[Endpoint]:
        if not call.args or not isinstance(call.args[0], Obj):
            return []
        opts = {k: v for k, v in call.args[0].items if k}
        url = string_value(opts.get("url"))
        if not url:
            return []
        method = string_value(opts.get("method")) or "route"
        label = f"{method.upper()} {url}"
        handler = opts.get("handler")
        has_auth = any(self._is_auth_middleware(opts[k], call.scope) for k in self.t.js.fastify_hooks if k in opts) \
            or self.checks_auth(handler, call.scope)
        return [self._endpoint(path=call.scope.module.path, line=call.line, function=label, framework="fastify",
                               route=url, has_auth=has_auth, method=method.upper() if method != "route" else None,
                               roots=self._scopes_of([handler] if handler is not None else [], call.scope))]

    def _next_endpoints(self, mod: Module) -> list[Endpoint]:
        t = self.t.js
        found: list[Endpoint] = []
        pages = t.next_pages.search(mod.path)
        if pages and "default" in mod.exports:
            value = mod.exports["default"]
            handler, line = self._exported(value, mod)
            route = "/" + _strip_index(pages.group(1))
            name = value.id if isinstance(value, Name) else (
                handler.scope.name if isinstance(handler, Fn) and not handler.scope.name.startswith("<") else "handler")
            found.append(self._endpoint(path=mod.path, line=line, function=name, framework="nextjs", route=route,
                                        has_auth=self.checks_auth(handler, mod.scope), method=None,
                                        roots=self._scopes_of([handler], mod.scope)))
        app = t.next_app.search(mod.path)
        if app:
            segments = [s for s in app.group(1).strip("/").split("/")
                        if s and not (s.startswith("(") and s.endswith(")")) and not s.startswith("@")]
            route = "/" + "/".join(segments)
            for name, value in mod.exports.items():
                if name in t.next_methods:
                    handler, line = self._exported(value, mod)
                    found.append(self._endpoint(path=mod.path, line=line, function=name, framework="nextjs",
                                                route=route, has_auth=self.checks_auth(handler, mod.scope),
                                                method=name, roots=self._scopes_of([handler], mod.scope)))
        return found

    def _exported(self, value: Expr, mod: Module) -> tuple[Expr, int]:
        """The function (or wrapping call) an export names, and its line."""
        if isinstance(value, Name):
            for d, _ in self.site(value, mod.scope)[1]:
                if isinstance(d, (Fn, Call)):
                    value = d
                    break
        if isinstance(value, Fn):
            return value, value.scope.line
        if isinstance(value, Call):
            return value, value.line
        return value, 1

    # --------------------------------------------------------------------- what it reaches
    def _endpoint(self, *, roots: list[Scope], unreached: str | None = None, **fields: Any) -> Endpoint:
        """An endpoint with why it needs no authentication (public by design, or never reached: ``unreached``)
        and what its handler reaches."""
        public = unreached or _public(fields.get("route")) or (
            "callback authenticated by its sender's signature" if not fields.get("has_auth") and
            any(self._checks_signature(r) for r in roots) else None)
        ep = Endpoint(**fields, public=public, reaches=reacher(self.q).of(roots))
        self.out.handlers += [(r, ep) for r in roots]
        return ep

    def _scopes_of(self, handlers: list[Expr], scope: Scope, depth: int = 0) -> list[Scope]:
        """The functions the handler expressions are: a function literal, a name bound to one, the
        functions a wrapper is given (``withAuth(async (req) => ...)``)."""
        out: list[Scope] = []
        for h in handlers:
            if isinstance(h, Fn):
                out.append(h.scope)
            elif isinstance(h, Call) and depth < 4:
                out += self._scopes_of(h.args, scope, depth + 1)
            elif isinstance(h, (Name, Attr)) and depth < 4:
                fns = [v[1] for v in self.q.repo.values(h, scope) if v[0] == "fn"]
                out += fns or self._scopes_of([d for d, _ in self.site(h, scope)[1] if isinstance(d, Call)],
                                              scope, depth + 1)
        return out

    # ------------------------------------------------------------------------- auth checks
    def _is_auth_middleware(self, e: Expr | None, scope: Scope) -> bool:
        if e is None:
            return False
        if isinstance(e, Fn):
            return self._scope_checks_auth(e.scope)
        return is_auth_text(render(e))

    def checks_auth(self, handler: Expr | None, scope: Scope, depth: int = 0) -> bool:
        """The handler calls something named like auth, or reads what an auth middleware set."""
        if handler is None or depth > 4:
            return False
        if isinstance(handler, (Name, Attr)):
            for d, s in self.site(handler, scope)[1]:
                if isinstance(d, (Fn, Call)):
                    return self.checks_auth(d, s, depth + 1)
            return False
        if isinstance(handler, Call):  # withAuth(async (req) => ...), withApiAuthRequired(handler)
            if is_auth_text(dotted(handler.callee)):
                return True
            return bool(handler.args) and self.checks_auth(handler.args[-1], scope, depth + 1)
        if isinstance(handler, Fn):
            return self._scope_checks_auth(handler.scope)
        return False

    def _scope_checks_auth(self, fs: Scope) -> bool:
        key = id(fs)
        if key not in self._auth_memo:
            self._auth_memo[key] = False  # recursion guard
            self._auth_memo[key] = any(self._reads_auth(s) for s in scopes_in(fs)) or self._guards(fs) or any(
                self._guards(callee) for callee in reacher(self.q).callees(fs))
        return self._auth_memo[key]

    def _hook_authenticates(self, fs: Scope) -> bool:
        """A Flask ``before_request`` hook named like auth, or that reads a credential and denies."""
        return is_auth_text(fs.name) or self._scope_checks_auth(fs)

    def _guards(self, fs: Scope, sign_in: bool = False) -> bool:
        """The function reads a credential (a cookie, a header, the session) and denies with 401/403
        (``sign_in``: or redirects to the sign-in page, a Next.js middleware's way)."""
        scopes = list(scopes_in(fs))
        exprs = [x for s in scopes for x in _scope_exprs(s)] + [p.default for p in fs.params if p.default is not None]
        seen = list(walk(exprs, MAX_WALK, once=True))
        return any(self._credential(e, fs) for e in seen) and any(_denies(e, sign_in) for e in seen)

    def _credential(self, e: Expr, scope: Scope) -> bool:
        a = self.t.auth
        if isinstance(e, Attr) and e.name in a.credential_props and last_name(e.obj) in a.request_objects:
            return True  # request.cookies, req.headers, c.req.header
        if isinstance(e, Call) and last_name(e.callee) in a.credential_calls:
            return True  # cookies() / headers() of next/headers, FastAPI Header() / Cookie()
        return isinstance(e, Name) and e.id in a.credential_props and any(
            q.split(".", 1)[0] in self.t.py.web_modules for q in self.q.quals(e, scope))  # flask.session

    def _reads_auth(self, s: Scope) -> bool:
        a = self.t.auth
        for call in s.calls:
            name = dotted(call.callee)
            if name.split(".", 1)[0] not in a.not_auth_callees and last_name(call.callee) not in a.not_auth_names \
                    and is_auth_text(name):
                return True
            if any((string_value(x) or "").lower() in a.credential_headers for x in call.args):
                return True
        for e in walk(_scope_exprs(s), MAX_WALK, once=True):
            if isinstance(e, Attr) and (e.name in a.header_props or (
                    e.name in a.request_props and last_name(e.obj) in a.request_objects)):
                return True
        return any(st.name in a.request_props and last_name(st.target) in a.request_objects
                   for st in self._stores_of(s))

    def _checks_signature(self, fs: Scope) -> bool:
        """The handler (or a function it calls) verifies the sender's signature: a provider's verify call,
        ``timingSafeEqual`` / ``compare_digest``, or an HMAC it computes compared with another value
        (``createHmac('sha256', secret).update(body).digest('hex') === req.body.signature``)."""
        a = self.t.auth
        for root in [fs, *reacher(self.q).callees(fs)]:
            for s in scopes_in(root):
                for e in walk(_scope_exprs(s), MAX_WALK, once=True):
                    if isinstance(e, Call) and last_name(e.callee) in a.signature_checks:
                        return True
                    if isinstance(e, Cmp) and e.op in {"==", "!="} and (
                            self._hmac(e.left, s) and not isinstance(e.right, Lit)
                            or self._hmac(e.right, s) and not isinstance(e.left, Lit)):
                        return True
        return False

    def _hmac(self, e: Expr, scope: Scope) -> bool:
        """``e`` is an HMAC the code computes, or a local name bound to one."""
        if isinstance(e, Name):
            home = binding_scope(e.id, scope)
            binds = home.bindings.get(e.id, []) if home is not None else []
            return any(self._hmac(b, home) for b in binds if not isinstance(b, Name))  # type: ignore[arg-type]
        names = self.t.auth.hmac_calls
        return any(isinstance(c, Call) and (last_name(c.callee) in names or dotted(c.callee) in names)
                   for c in walk(e, 50, once=True))

    def _stores_of(self, s: Scope) -> list[Any]:
        if self._stores is None:
            self._stores = {}
            for mod in self.q.repo.modules.values():
                for st in mod.stores:
                    self._stores.setdefault(id(st.scope), []).append(st)
        return self._stores.get(id(s), [])


# ----------------------------------------------------------------------------------------- helpers
def _strip_index(route: str) -> str:
    return re.sub(r"(^|/)index$", "", route)


def _denies(e: Expr, sign_in: bool = False) -> bool:
    """A 401/403 status (``abort(401)``, ``status.HTTP_403_FORBIDDEN``, ``{ status: 401 }``), or with
    ``sign_in`` a literal path of the sign-in page."""
    a = tables().auth
    if isinstance(e, Lit):
        if isinstance(e.value, str):  # the JS front end keeps numbers as their text
            return e.value in {str(s) for s in a.deny_statuses} or (sign_in and bool(a.sign_in_paths.search(e.value)))
        return isinstance(e.value, (int, float)) and not isinstance(e.value, bool) and e.value in a.deny_statuses
    name = e.name if isinstance(e, Attr) else e.id if isinstance(e, Name) else None
    return name is not None and bool(a.deny_names.search(name))


def _scope_exprs(s: Scope) -> list[Expr]:
    out: list[Expr] = []
    for binds in s.bindings.values():
        out += binds
    out += s.returns
    for c in s.calls:
        out.append(c)
        out += [g.test for g in c.guards if g.test is not None]
    return out


# --------------------------------------------------------------------------- Next.js matchers
_PARAM = re.compile(r"/:(\w+)([*+?]?)")


def _matcher_regex(pattern: str) -> re.Pattern[str] | None:
    """A Next.js ``matcher`` entry (path-to-regexp: ``/dashboard/:path*``, ``/api/:id``, or a regular
    expression group such as ``/((?!api|_next).*)``) as a regular expression over a route."""
    def param(m: re.Match[str]) -> str:
        return {"*": "(?:/.*)?", "+": "/.+", "?": "(?:/[^/]+)?"}.get(m.group(2), "/[^/]+")

    try:
        return re.compile(_PARAM.sub(param, pattern))
    except re.error:
        return None


def _next_matchers(mod: Module) -> list[re.Pattern[str]] | None:
    """The route patterns of ``export const config = { matcher: ... }`` in a Next.js middleware, or None
    (no matcher, or one that cannot be read: the middleware is taken to run everywhere)."""
    config = mod.exports.get("config")
    if isinstance(config, Name):
        bound = mod.scope.bindings.get(config.id) or []
        config = bound[0] if bound else None
    if not isinstance(config, Obj):
        return None
    matcher = next((v for k, v in config.items if k == "matcher"), None)
    items = matcher.items if isinstance(matcher, Arr) else [matcher] if matcher is not None else []
    patterns: list[re.Pattern[str]] = []
    item: Expr | None
    for item in items:
        if isinstance(item, Obj):  # { source: "/api/:path*", has: [...] }
            item = next((v for k, v in item.items if k == "source"), None)
        text = string_value(item) if item is not None else None
        rx = _matcher_regex(text) if text else None
        if rx is None:
            return None
        patterns.append(rx)
    return patterns or None


# ---------------------------------------------------------------------------------- public routes
ORDERED_ROUTERS = frozenset({"express"})
"""Frameworks whose router answers with the first route declared that matches (Fastify, Hono and Koa's
routers prefer a static segment to a parameter, so an earlier ``/:id`` shadows nothing there)."""
_PARAM_SEGMENT = re.compile(r"/:\w+(?:\([^)]*\))?\??")


def _express_regex(path: str) -> re.Pattern[str] | None:
    """An Express 4 route path as a regular expression over a request path (``:id`` one segment, ``:id?``
    an optional one, ``*`` anything); None for a path with a pattern it cannot read (regex routes)."""
    if not path.startswith("/") or any(ch in path for ch in "()[]+{}|\\"):
        return None
    out, i = "", 0
    for m in re.finditer(r"/:(\w+)(\?)?|\*", path):
        out += re.escape(path[i:m.start()])
        out += ".*" if m.group(0) == "*" else ("(?:/[^/]+)?" if m.group(2) else "/[^/]+")
        i = m.end()
    out += re.escape(path[i:])
    return re.compile(out + "/?", re.IGNORECASE)


def _public(route: str | None) -> str | None:
    """Why ``route`` is public by design: a health probe, or the sign-in flow (checklists/web.yaml)."""
    t = tables().public_routes
    segments = {s for s in (route or "").lower().strip("/").split("/") if s}
    if segments & t.health:
        return "health check route"
    if segments & t.sign_in:
        return "sign-in or identity-provider route"
    return None


def _py_method(dec: Expr) -> str | None:
    """The HTTP method of a Python route decorator: ``@app.post`` -> POST, ``@app.route(..., methods=[...])``."""
    target = dec.callee if isinstance(dec, Call) else dec
    name = last_name(target)
    if name in {"route", "api_route"} and isinstance(dec, Call):
        methods = dec.kwargs.get("methods")
        items = [string_value(m) for m in methods.items] if isinstance(methods, Arr) else []
        return ",".join(m.upper() for m in items if m) or ("GET" if methods is None else None)
    return name.upper() if name in tables().py.route_methods else None
