"""http.call_without_timeout: an outbound HTTP request that nothing bounds in time.

A request with no time limit waits as long as the remote side does: one slow or silent dependency
ties up a worker (or an event loop's task) per request until the service stops answering. What the
clients are, and which option bounds them, is data: the ``http_clients`` section of
checklists/models.yaml (requests, httpx, aiohttp, urllib, fetch, node-fetch, axios, got, ky).

A request counts as bounded when the call sets a bound option (``timeout=``, a JS ``signal`` or
``timeout``), when the client object it is made with was built with one (``httpx.Client(timeout=10)``,
``aiohttp.ClientSession(timeout=...)``, ``axios.create({timeout})``), when the repository sets one for
every request of the client (``socket.setdefaulttimeout``, ``axios.defaults.timeout = ...``), or when
the library's own default is short (httpx 5 s, ky 10 s: only an explicit ``timeout=None`` /
``timeout: false`` is reported there). Any ``signal`` counts as a bound: an ``AbortController`` may be
aborted by a timer or by the client going away.

Precision first, so nothing is reported when the options cannot be seen (``**kwargs`` from a caller,
an options object passed in) or the client's construction cannot be found; a JS request to a URL
known to start with ``/`` is browser code (Node's fetch refuses relative URLs). Model calls over HTTP
are ``llm.call_without_timeout``'s, not reported here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from ...models import RuleHit
from ..ir import Attr, Call, Expr, Imp, Lit, Name, Obj, Scope, Union
from ..irtools import may_be_external
from ..query import Query
from ..resolve import Knowledge
from ..uses import is_server_code
from . import check

RULE = "http.call_without_timeout"
TITLE = "HTTP request without a timeout"
MAX_DEPTH = 6


@dataclass(frozen=True)
class Client:
    """One entry of ``http_clients`` in checklists/models.yaml (see the comment there)."""

    name: str
    calls: re.Pattern[str]
    bound: tuple[str, ...]
    positional: dict[str, int]
    options: int | None
    client: re.Pattern[str] | None
    default_bounded: bool
    note: str | None
    unbounded: frozenset[str]
    elsewhere: tuple[dict[Any, Any], ...]
    browser: bool


_TABLES: WeakKeyDictionary[Knowledge, tuple[Client, ...]] = WeakKeyDictionary()
_WORDS: WeakKeyDictionary[Knowledge, frozenset[str]] = WeakKeyDictionary()
_ELSEWHERE: WeakKeyDictionary[Query, dict[str, bool]] = WeakKeyDictionary()


def _words_of(k: Knowledge) -> frozenset[str]:
    got = _WORDS.get(k)
    if got is None:
        got = _WORDS[k] = _words(clients(k))
    return got


def clients(k: Knowledge) -> tuple[Client, ...]:
    """The HTTP clients of the knowledge table (``http_clients``), compiled once per table."""
    got = _TABLES.get(k)
    if got is None:
        out = []
        for name, spec in (getattr(k, "data", {}).get("http_clients") or {}).items():
            default = spec.get("default")
            out.append(Client(
                name=name, calls=re.compile(spec["calls"]), bound=tuple(spec.get("bound") or ()),
                positional=dict(spec.get("positional") or {}), options=spec.get("options"),
                client=re.compile(spec["client"]) if spec.get("client") else None,
                default_bounded=default == "bounded", note=default if default not in (None, "bounded") else None,
                unbounded=frozenset(_canon(v) for v in spec.get("unbounded") or ()),
                elsewhere=tuple(spec.get("elsewhere") or ()), browser=bool(spec.get("browser"))))
        got = _TABLES[k] = tuple(out)
    return got


@check(RULE, on="call", roles={"app"})
def http_call_without_timeout(call: Call, q: Query) -> RuleHit | None:
    """An HTTP request (requests, httpx, aiohttp, urllib, fetch, axios, got, ky) nothing bounds in time."""
    matched = _match(call, q)
    if matched is None:
        return None
    client, qual = matched
    if q.site(call) is not None:  # a model call: llm.call_without_timeout reports it
        return None
    if client.browser and (_same_origin(call, q) or (call.scope.module.lang == "js"
                                                     and not is_server_code(q, call.scope.module))):
        return None  # a browser's request: it holds no server resource (React components, client scripts)
    state = _call_state(call, q, client)
    if state in {"bounded", "unknown"}:
        return None
    how = "call"
    if state == "absent" and client.client is not None:
        # the client object: the receiver of api.get(...), or the callee of api({...}) itself
        receiver = call.callee if qual.endswith("()") else call.callee.obj if isinstance(call.callee, Attr) else None
        if receiver is None:
            return None
        cstate = _client_state(receiver, call.scope, q, client)
        if cstate in {"bounded", "unknown"}:
            return None
        if cstate == "unbounded":
            state, how = "unbounded", "client"
    if state == "absent" and (client.default_bounded or _bounded_elsewhere(q, client)):
        return None
    name = _display(qual)
    name = name.removesuffix("()")  # api({...}) on an axios instance: axios.create()()
    options = " or ".join(client.bound)
    if state == "unbounded":  # timeout=None, timeout: 0, timeout: false
        evidence = (f"{name}() on a client built with its {client.bound[0]} switched off" if how == "client"
                    else f"{name}() with its {client.bound[0]} switched off")
    else:
        evidence = f"{name}() sets no {options}" + (f" ({client.note})" if client.note else "")
    if "request" in set().union(*(q.origins(e, call.scope) for e in _url_exprs(call))):
        evidence += "; the URL comes from request data"
    return RuleHit(rule=RULE, title=TITLE, evidence=evidence, path=call.scope.module.path, line=call.line)


# -------------------------------------------------------------------------------------- matching
def _match(call: Call, q: Query) -> tuple[Client, str] | None:
    table = clients(q.k)
    if not table:
        return None
    if isinstance(call.callee, Attr) and call.callee.name not in _words_of(q.k):
        return None  # item.get(...), log.info(...): a method name no client has (saves resolving it)
    if not may_be_external(call.callee, call.scope):
        return None  # "".join(...), row.get(...) over a loop's rows: never a client
    for qual in q.quals(call.callee, call.scope):
        for client in table:
            if client.calls.search(qual):
                return client, qual
    return None


def _words(table: tuple[Client, ...]) -> frozenset[str]:
    """Every word of the clients' patterns: a method called by another name is no request."""
    return frozenset(w for c in table for w in re.findall(r"\w+", c.calls.pattern))


def _display(qual: str) -> str:
    """``axios:default.create().get`` -> ``axios.create().get``; ``:fetch`` -> ``fetch``."""
    qual = qual.lstrip(":")
    qual = qual.replace(":default.", ".").replace(":default", "")
    return qual.replace(":", ".")


# --------------------------------------------------------------------------------------- options
def _canon(v: object) -> str:
    """One spelling for a literal across languages: None/null/undefined, False/false, 0."""
    if v is None or v in ("null", "undefined", "None"):
        return "None"
    if v is False or v in ("false", "False"):
        return "False"
    if v is True or v in ("true", "True"):
        return "True"
    if isinstance(v, (int, float)):
        return str(int(v)) if float(v).is_integer() else str(v)
    return str(v)


def _combine(states: list[str]) -> str:
    for s in ("bounded", "unknown", "unbounded"):
        if s in states:
            return s
    return "absent"


def _value_state(e: Expr, scope: Scope, q: Query, client: Client, depth: int = 0) -> str:
    """``bounded`` unless the value is a literal that switches the bound off (None, 0, false)."""
    if isinstance(e, Lit):
        return "unbounded" if _canon(e.value) in client.unbounded else "bounded"
    if isinstance(e, Name) and depth < MAX_DEPTH:
        binds = list(q.bindings_of(e, scope))
        if binds and all(_value_state(b, scope, q, client, depth + 1) == "unbounded" for b in binds):
            return "unbounded"
    return "bounded"


def _dict_state(e: Expr, scope: Scope, q: Query, client: Client, depth: int = 0) -> str:
    """What an options object says: a bound key, one switched off, none, or unknown (not seen)."""
    if depth > MAX_DEPTH:
        return "unknown"
    if isinstance(e, Obj):
        states = []
        for key, value in e.items:
            if key is None:  # a spread: {...base} / **kwargs
                states.append(_dict_state(value, e.scope, q, client, depth + 1))
            elif key in client.bound:
                states.append(_value_state(value, e.scope, q, client))
        return _combine(states)
    if isinstance(e, Lit):
        return "absent" if _canon(e.value) in {"None"} or isinstance(e.value, str) else "unknown"
    vals = q.repo.values(e, scope)
    dicts = [v[1] for v in vals if v[0] == "dict"]
    if dicts:
        return _combine([_dict_state(d, d.scope, q, client, depth + 1) for d in dicts])
    if vals and all(v[0] == "str" for v in vals):  # a URL where an options object may stand: no options
        return "absent"
    return "unknown"


def _call_state(call: Call, q: Query, client: Client, options: int | None = None) -> str:
    """Whether ``call`` bounds its own time: ``bounded``, ``unbounded`` (switched off), ``absent``, ``unknown``."""
    states = []
    if call.scope.module.lang == "python":
        for name in client.bound:
            if name in call.kwargs:
                states.append(_value_state(call.kwargs[name], call.scope, q, client))
        for _name, pos in client.positional.items():
            if pos < len(call.args) and not isinstance(call.args[pos], Obj):
                states.append(_value_state(call.args[pos], call.scope, q, client))
        for a in call.args:
            if isinstance(a, Obj) and any(k is None for k, _v in a.items):  # **kwargs
                states.append(_dict_state(a, call.scope, q, client))
        return _combine(states)
    idx = client.options if options is None else options
    if idx is None or not call.args:
        return "absent"
    if idx < 0:
        idx += len(call.args)
    if not 0 <= idx < len(call.args):
        return "absent"
    return _dict_state(call.args[idx], call.scope, q, client)


# ----------------------------------------------------------------------------- client construction
def _constructions(e: Expr, scope: Scope, q: Query, depth: int = 0) -> list[tuple[Call, Scope]] | None:
    """The calls that built the object ``e`` (``httpx.Client(...)``), or None when one cannot be seen."""
    if depth > MAX_DEPTH:
        return None
    if isinstance(e, Call):
        fns = [v[1] for v in q.repo.values(e.callee, scope) if v[0] == "fn"]
        if fns:  # a factory of the repository: what it returns
            out: list[tuple[Call, Scope]] = []
            for fs in fns:
                for r in fs.returns:
                    got = _constructions(r, fs, q, depth + 1)
                    if got is None:
                        return None
                    out += got
            return out or None
        return [(e, scope)]
    if isinstance(e, Union):
        out = []
        for item in e.items:
            got = _constructions(item, scope, q, depth + 1)
            if got is None:
                return None
            out += got
        return out
    if isinstance(e, Name):
        s: Scope | None = scope
        while s is not None and e.id not in s.bindings:
            s = s.parent
        if s is None:
            return None
        out = []
        for b in s.bindings[e.id]:
            got = _imported(b, s, q, depth) if isinstance(b, Imp) else _constructions(b, s, q, depth + 1)
            if got is None:
                return None
            out += got
        return out
    if isinstance(e, Attr):  # self.client, this.http, module.client
        out = []
        vals = q.repo.values(e.obj, scope)
        if not vals:
            return None
        for v in vals:
            if v[0] in {"inst", "cls"}:
                fields = [f for c in q.repo._mro(v[1]) for f in c.fields.get(e.name, [])]
                if not fields:
                    return None
                for value, fscope in fields:
                    got = _constructions(value, fscope, q, depth + 1)
                    if got is None:
                        return None
                    out += got
            elif v[0] == "mod" and v[1] in q.repo.modules:
                mod = q.repo.modules[v[1]]
                got = _constructions(Name(e.name), mod.scope, q, depth + 1)
                if got is None:
                    return None
                out += got
            else:
                return None
        return out
    return None


def _imported(imp: Imp, scope: Scope, q: Query, depth: int) -> list[tuple[Call, Scope]] | None:
    """A client imported from another module of the repository: its construction there."""
    mod = scope.module
    if imp.name is None:
        return None
    if mod.lang == "python":
        target = q.repo._py_module(imp.spec, imp.level, mod.path)
        other = q.repo.modules.get(target) if target else None
        if other is None:
            return None
        return _constructions(Name(imp.name), other.scope, q, depth + 1)
    target = q.repo.js_module(imp.spec, mod.path)
    other = q.repo.modules.get(target) if target else None
    if other is None or imp.name not in other.exports:
        return None
    return _constructions(other.exports[imp.name], other.scope, q, depth + 1)


def _client_state(obj: Expr, scope: Scope, q: Query, client: Client) -> str:
    built = _constructions(obj, scope, q)
    if not built:
        return "unknown"
    states = []
    for ctor, cscope in built:
        if client.client is None or not any(client.client.search(x) for x in q.quals(ctor.callee, cscope)):
            return "unknown"
        states.append(_call_state(ctor, q, client, options=0))
    return _combine(states)


# -------------------------------------------------------------------------------- repository-wide
def _bounded_elsewhere(q: Query, client: Client) -> bool:
    """A call or store anywhere in the repository bounds every request of the client."""
    if not client.elsewhere:
        return False
    memo = _ELSEWHERE.setdefault(q, {})
    if client.name not in memo:
        memo[client.name] = any(_holds(rule, q, client) for rule in client.elsewhere)
    return memo[client.name]


def _holds(rule: dict[str, Any], q: Query, client: Client) -> bool:
    if "call" in rule:
        rx = re.compile(rule["call"])
        option = rule.get("with")
        for mod in q.repo.modules.values():
            for c in mod.calls:
                if not any(rx.search(x) for x in q.quals(c.callee, c.scope)):
                    continue
                if option is None or any(option in inner.options() for a in list(c.args) + list(c.kwargs.values())
                                         for inner in _as_calls(a, c.scope, q)):
                    return True
    if "store" in rule:
        rx = re.compile(rule["store"])
        for mod in q.repo.modules.values():
            for st in mod.stores:
                if st.name in client.bound and any(rx.search(x) for x in q.quals(st.target, st.scope)):
                    return True
    return False


def _as_calls(e: Expr, scope: Scope, q: Query) -> list[Call]:
    if isinstance(e, Call):
        return [e]
    if isinstance(e, Name):
        return [b for b in q.bindings_of(e, scope) if isinstance(b, Call)]
    return []


# ------------------------------------------------------------------------------------------- URL
def _url_exprs(call: Call) -> list[Expr]:
    out = list(call.args[:2]) if call.scope.module.lang == "python" else list(call.args[:1])
    if "url" in call.options():
        out.append(call.options()["url"])
    return [e for e in out if not isinstance(e, Obj)]


def _same_origin(call: Call, q: Query) -> bool:
    """A URL known to start with "/": a browser's request to its own site (Node refuses relative URLs)."""
    urls = _url_exprs(call)
    if not urls:
        return False
    texts = q.repo.texts(urls[0], call.scope)
    return bool(texts) and all(t.startswith("/") and not t.startswith("//") for t in texts)
