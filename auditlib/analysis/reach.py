"""What an endpoint's handler reaches (issue 9): model requests, data written or read, files, the network.

``Reacher(q).of(scopes)`` follows the handler's calls, and the calls of the repository's functions it
calls (across modules, through the resolver), and names what each call does:

- ``model``: a model request (``q.site``), unless the request goes out with the caller's own key (an
  ``api_key`` option, or an ``Authorization`` header, from the request: the server spends nothing);
- ``write``: SQL that writes, an ORM or database method that writes (``db.add``, ``prisma.chat.create``,
  ``supabase.from("x").insert``), a file written or deleted (``open(p, "w")``, ``fs.writeFileSync``), an
  external side effect (a message sent, a post published, a key minted);
- ``read``: a database read whose table, collection, model or SQL names the users' own data (a read of
  anything else, a catalogue or a public corpus, is not counted), a provider's stored threads or messages;
- ``provider``: objects kept at a model provider (files, assistants, threads) created, changed or deleted
  with the server's key;
- ``local_model``: a model served on the host (Ollama, a localhost URL): compute, no paid tokens;
- ``data``: a database read that names no user data (a catalogue, a public corpus, the app's content);
- ``file``: a file read; ``network``: any other HTTP request.

A database handle is a receiver that resolves to a database module (checklists/web.yaml ``db_modules``),
or, when it resolves to nothing (a FastAPI ``Depends(get_db)``, a parameter), one named like a handle
(``db``, ``session``, ``cursor``): then the reach is not ``certain``. The vocabulary is
checklists/web.yaml's ``reach`` section.
"""

from __future__ import annotations

import re
from collections import deque
from typing import Any

from ..models import Reach
from .checks.http import clients as http_clients
from .ir import Attr, Call, Expr, Lit, Name, Obj, Param, Scope, Tmpl
from .irtools import binding_scope, function_scope, last_name, scopes_in, string_value, walk
from .query import REQUEST_PARAMS, Query
from .tables import tables

MAX_SCOPES = 150
"""Functions followed from one handler."""
MAX_DEPTH = 6
"""Calls deep from the handler."""
RANK = {"model": 0, "write": 1, "read": 2, "local_model": 3, "provider": 4, "file": 5, "network": 6, "data": 7}
"""Worst first: what an endpoint reaches is listed in this order."""
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_KEY_HEADERS = {"authorization", "x-api-key", "api-key", "x-goog-api-key"}


def reacher(q: Query) -> Reacher:
    """The Query's reacher (one per repository: what each function reaches is kept)."""
    memo = q.__dict__.setdefault("_facts_memo", {})
    if "reach" not in memo:
        memo["reach"] = Reacher(q)
    got: Reacher = memo["reach"]
    return got


class Reacher:
    def __init__(self, q: Query) -> None:
        self.q = q
        self.t = tables()
        self.r = self.t.reach
        self._direct: dict[int, list[Reach]] = {}
        self._callees: dict[int, list[Scope]] = {}
        py, js = self.t.py, self.t.js
        self.db_roots = frozenset(py.db_modules) | frozenset(js.db_modules) | {"supabase"}
        self.key_options = _key_options()

    # ------------------------------------------------------------------------------ traversal
    def of(self, roots: list[Scope]) -> list[Reach]:
        """What the functions ``roots`` reach, worst first, one record per call site."""
        queue: deque[tuple[Scope, str | None, int]] = deque((r, None, 0) for r in roots)
        seen: set[int] = set()
        found: dict[tuple[str, int], Reach] = {}
        while queue and len(seen) < MAX_SCOPES:
            fs, via, depth = queue.popleft()
            if id(fs) in seen:
                continue
            seen.add(id(fs))
            for r in self._direct_of(fs):
                held = found.get((r.path, r.line))  # db.delete(db.get(...)): the worse of one line's calls
                if held is None or (RANK[r.kind], not r.certain) < (RANK[held.kind], not held.certain):
                    found[(r.path, r.line)] = r.model_copy(update={"via": via}) if via else r
            if depth < MAX_DEPTH:
                for callee in self._callees_of(fs):
                    queue.append((callee, via or self.q.function_name(callee) or callee.name, depth + 1))
        return sorted(found.values(), key=lambda r: (RANK[r.kind], not r.certain, r.via is not None, r.path, r.line))

    def _direct_of(self, fs: Scope) -> list[Reach]:
        if id(fs) not in self._direct:
            out: list[Reach] = []
            for s in scopes_in(fs):
                for call in s.calls:
                    r = self.classify(call)
                    if r is not None:
                        out.append(r)
            self._direct[id(fs)] = out
        return self._direct[id(fs)]

    def callees(self, fs: Scope) -> list[Scope]:
        """The repository's functions ``fs`` calls directly."""
        return list(self._callees_of(fs))

    def _callees_of(self, fs: Scope) -> list[Scope]:
        """The repository's functions ``fs`` calls (a class called: its constructor)."""
        if id(fs) not in self._callees:
            out: list[Scope] = []
            for s in scopes_in(fs):
                for call in s.calls:
                    for v in self._called(call):
                        if v[0] == "fn":
                            out.append(v[1])
                        elif v[0] == "cls":
                            init = v[1].methods.get("__init__") or v[1].methods.get("constructor")
                            if init is not None:
                                out.append(init)
            self._callees[id(fs)] = out
        return self._callees[id(fs)]

    def _called(self, call: Call) -> frozenset[Any]:
        """What ``call`` runs: its callee, a Celery task's ``.delay()``, a function handed to a runner
        (``background_tasks.add_task(f)``, ``asyncio.to_thread(f)``, ``new Thread(target=f)``)."""
        callee, values = call.callee, self.q.repo.values
        if isinstance(callee, Attr) and callee.name in self.r.task_methods:
            return values(callee.obj, call.scope)
        if last_name(callee) in self.r.runs_argument:
            args = [*call.args, *(v for k, v in call.kwargs.items() if k in {"target", "func", "fn"})]
            return frozenset(v for a in args for v in values(a, call.scope) if v[0] == "fn")
        return values(callee, call.scope)

    # ------------------------------------------------------------------------------ one call
    def classify(self, call: Call) -> Reach | None:
        site = self.q.site(call)
        if site is not None:
            if self._callers_key(call):
                return None
            local = self.r.local_model_pattern.search(f"{site[1]} {' '.join(self._names(call)[0])}")
            return self._reach("local_model" if local else "model", call.text, call)
        names, objs = self._names(call)
        return (self._file(call, names) or self._side_effect(call, names, objs) or self._db(call, names, objs)
                or self._network(call, names))

    def _network(self, call: Call, names: list[str]) -> Reach | None:
        if not any(self._http(n) for n in names):
            return None
        url = call.args[0] if call.args else call.kwargs.get("url")
        chosen = url is not None and self._from_request(url, call.scope, 0)
        r = self._reach("network", call.text + (" (URL from the request)" if chosen else ""), call)
        return r.model_copy(update={"caller_controlled": True}) if chosen else r

    def _http(self, name: str) -> bool:
        return self.q.k.is_http(name) or any(c.calls.search(name) for c in http_clients(self.q.k))

    def _reach(self, kind: str, what: str, call: Call, certain: bool = True) -> Reach:
        return Reach(kind=kind, what=what, path=call.scope.module.path, line=call.line,  # type: ignore[arg-type]
                     certain=certain)

    def _names(self, call: Call) -> tuple[list[str], list[str]]:
        """The resolver's names for the callee: external names, and models.yaml objects as their kind
        with the path called (``deepgram.client.manage.createProjectKey``)."""
        ext, objs = [], []
        for v in self.q.repo.values(call.callee, call.scope):
            if v[0] == "ext":
                ext.append(v[2])
            elif v[0] == "obj":
                objs.append(".".join((v[1], *v[2])))
        return sorted(ext), sorted(objs)

    def _file(self, call: Call, names: list[str]) -> Reach | None:
        r = self.r
        if call.scope.module.lang == "python" and isinstance(call.callee, Name) and call.callee.id == "open" \
                and binding_scope("open", call.scope) is None:
            mode = string_value(call.args[1] if len(call.args) > 1 else call.kwargs.get("mode")) or "r"
            writes = any(m in mode for m in r.open_write_modes)
            return self._reach("write" if writes else "file", f"open(..., {mode!r})", call)
        if any(r.file_write_pattern.search(n) for n in names):
            return self._reach("write", f"{call.text} (file written)", call)
        if any(r.file_read_pattern.search(n) for n in names):
            return self._reach("file", call.text, call)
        return None

    def _side_effect(self, call: Call, names: list[str], objs: list[str]) -> Reach | None:
        r = self.r
        if any(r.key_minting_pattern.search(n) for n in objs):
            return self._reach("write", f"{call.text} (mints a key)", call)
        last = last_name(call.callee)
        for n in names + objs:
            if _package(n) in r.side_effect_packages and r.side_effect_method_pattern.match(last):
                return self._reach("write", f"{call.text} (external side effect)", call)
        return None

    # ------------------------------------------------------------------------------ databases
    def _db(self, call: Call, names: list[str], objs: list[str]) -> Reach | None:
        """A database (or a provider SDK object's stored data: files, threads, assistants) written or read."""
        r = self.r
        method = last_name(call.callee)
        if method not in r.db_writes and method not in r.db_reads or not isinstance(call.callee, Attr):
            return None
        certain = True if objs else self._handle(call, names)
        if certain is None:
            return None
        text = self._sql(call)
        writes = method in r.db_writes if text is None else bool(r.sql_write_pattern.search(text))
        if writes and method in r.commits and not self._changes_rows(call.scope):
            return None  # a session committed after reads only (a session_scope helper) writes nothing
        if writes and objs:
            return self._reach("provider", call.text, call)
        if writes:
            how = f" (SQL {text.split()[0].upper()})" if text and text.split() else ""
            return self._reach("write", f"{call.text}{how}", call, certain)
        words = self._words(call, text)
        if words & r.user_data_words:
            return self._reach("read", f"{call.text} ({', '.join(sorted(words & r.user_data_words)[:3])})",
                               call, certain)
        return self._reach("data", f"{call.text} (no user data named)", call, certain)

    def _changes_rows(self, scope: Scope) -> bool:
        """The function commits something: it sets an attribute of an object (``item.status = "x"``,
        ``setattr(item, k, v)``) besides ``self``."""
        fs = function_scope(scope) or scope
        inner = {id(s) for s in scopes_in(fs)}
        if any(id(st.scope) in inner for st in fs.module.stores):
            return True
        return any(last_name(c.callee) == "setattr" for s in scopes_in(fs) for c in s.calls)

    def _handle(self, call: Call, names: list[str]) -> bool | None:
        """True: the receiver resolves to a database module; False: it resolves to nothing and is named
        like a handle; None: not a database call."""
        informative = [n for n in names if not self.r.injected_pattern.search(n)]
        if any(_package(n) in self.db_roots for n in informative):
            return True
        if informative:
            return None
        base = _base(call.callee)
        if isinstance(base, Name) and self.r.db_receiver_pattern.match(base.id):
            return False
        return None

    def _sql(self, call: Call) -> str | None:
        if not call.args:
            return None
        words = self.t.lang(call.scope.module.lang).sql_words
        return next((t for t in sorted(self.q.repo.texts(call.args[0], call.scope)) if words.search(t)), None)

    def _words(self, call: Call, text: str | None) -> frozenset[str]:
        """Lower-case words of the names and literal arguments along the call's receiver chain (not of
        the handle it starts from: a ``session`` is no user data)."""
        parts: list[str] = [text or ""]
        e: Expr | None = call
        for _ in range(12):
            if isinstance(e, Call):
                parts += [string_value(a) or (a.id if isinstance(a, Name) else "") for a in e.args[:3]]
                e = e.callee
            elif isinstance(e, Attr):
                parts.append(e.name)
                e = e.obj
            else:
                break
        return frozenset(w.lower() for p in parts for w in _WORD.findall(p))

    # ------------------------------------------------------------------------------ caller's key
    def _callers_key(self, call: Call) -> bool:
        """The model request goes out with the caller's own key: an api-key option or an Authorization
        header of the call, or of the client it is made on, comes from the request."""
        for c in [call, *self._constructors(call)]:
            for e in self._key_exprs(c):
                if self._from_request(e, c.scope, 0):
                    return True
        return False

    def _key_exprs(self, c: Call) -> list[Expr]:
        opts = c.options()
        out = [v for k, v in opts.items() if k in self.key_options]
        headers = opts.get("headers")
        if isinstance(headers, Obj):
            out += [v for k, v in headers.items if k and k.lower() in _KEY_HEADERS]
        return out

    def _constructors(self, call: Call) -> list[Call]:
        """The calls bound to the receiver of ``call`` (``client = OpenAI(api_key=key)``), one level."""
        base = _base(call.callee)
        if not isinstance(base, Name) or base is call.callee:
            return []
        home = binding_scope(base.id, call.scope)
        return [] if home is None else [b for b in home.bindings[base.id] if isinstance(b, Call)]

    def _from_request(self, e: Expr, scope: Scope, depth: int) -> bool:
        if depth > 3:
            return False
        if "request" in self.q.origins(e, scope):
            return True
        for leaf in walk(e, 50, once=True):
            if isinstance(leaf, Tmpl) or not isinstance(leaf, Name):
                continue
            home = binding_scope(leaf.id, scope)
            for b in home.bindings[leaf.id] if home is not None else ():
                if isinstance(b, Param) and self._param_from_request(b, depth):
                    return True
        return False

    def _param_from_request(self, p: Param, depth: int) -> bool:
        if p.name in REQUEST_PARAMS:
            return True
        fs = p.scope
        if not fs.name or fs.name.startswith("<"):
            return False
        for c in self.q.repo.callers(fs.name, ("fn", fs)):
            arg = _arg_for(p, c)
            if arg is not None and self._from_request(arg, c.scope, depth + 1):
                return True
        return False


# ----------------------------------------------------------------------------------------- helpers
def _key_options() -> frozenset[str]:
    from .uses import knowledge  # uses imports web's tables; imported here to keep the modules apart
    return knowledge().key_options


def _package(name: str) -> str:
    """The package of a resolver name: a JS specifier's package, a Python top-level module."""
    if ":" in name:
        spec = name.split(":", 1)[0].removeprefix("node:")
        parts = spec.split("/")
        return "/".join(parts[:2]) if spec.startswith("@") else parts[0]
    return name.split(".", 1)[0]


def _base(e: Expr | None) -> Expr | None:
    """The name a receiver chain starts from (``db.query(User).filter(...).first`` -> ``db``)."""
    for _ in range(20):
        if isinstance(e, Attr):
            e = e.obj
        elif isinstance(e, Call):
            e = e.callee
        else:
            return e
    return None


def _arg_for(p: Param, c: Call) -> Expr | None:
    if p.name in c.kwargs:
        return c.kwargs[p.name]
    offset = 1 if p.scope.self_name else 0
    i = p.index - offset
    return c.args[i] if not p.kw_only and 0 <= i < len(c.args) and not isinstance(c.args[i], Lit) else None
