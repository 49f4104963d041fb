"""The web, database, logging and SDK tables of checklists/web.yaml, and two questions answered from
them: is a name about authentication (``is_auth_text``), does a JS call register a route handler
(``js_route``: the web endpoints, the names of anonymous handlers, request taint)."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

from ..rubric import knowledge_file, read_knowledge
from .ir import Attr, Call, Expr, Name
from .irtools import string_value

_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


class Tables:
    """checklists/web.yaml, with its lists as frozensets and its patterns compiled."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.sdks_py: dict[str, str] = data["sdks"]["python"]
        self.sdks_js: dict[str, str] = data["sdks"]["js"]
        self.sdk_memo: dict[tuple[str, str], str | None] = {}
        """(language, module or specifier) -> its SDK label (``layers.sdk_label``, asked per call site)."""
        self.js_local_prefixes = tuple(data["js_local_prefixes"])
        self.py = _namespace(data["python"])
        self.js = _namespace(data["js"])
        auth = data["auth"]
        self.auth_words = frozenset(auth["words"])
        self.auth_pairs = frozenset(tuple(p) for p in auth["pairs"])
        self.auth = _namespace({k: v for k, v in auth.items() if k not in {"words", "pairs"}})
        self.public_routes = _namespace(data.get("public_routes", {}))
        self.reach = _namespace(data.get("reach", {}))

    def lang(self, lang: str) -> SimpleNamespace:
        return self.py if lang == "python" else self.js


def _namespace(section: dict[str, Any]) -> SimpleNamespace:
    out = {}
    for key, value in section.items():
        if isinstance(value, list):
            value = frozenset(value)
        elif isinstance(value, str) and (key.startswith("next_") or key.endswith("_pattern")
                                         or key in {"sql_words", "router_values", "deny_names", "sign_in_paths"}):
            value = re.compile(value, re.IGNORECASE if key == "sql_words" else 0)
        out[key] = value
    return SimpleNamespace(**out)


_current: Tables | None = None


def tables(path: Path | None = None) -> Tables:
    """checklists/web.yaml (or the AUDITLIB_RUBRIC folder's), read once per file. Without ``path``:
    the table chosen when the analysis started (``refresh``); asked once per call site, so it does
    not look at the environment each time (that was a tenth of the engine's time)."""
    global _current
    if path is not None:
        return _tables(path)
    if _current is None:
        _current = _tables(knowledge_file("web.yaml"))
    return _current


def refresh() -> None:
    """Choose the table again (AUDITLIB_RUBRIC may have changed): at the start of each analysis."""
    global _current
    _current = None
    _KNOWN.clear()


T = TypeVar("T")
_KNOWN: dict[tuple[str, object], object] = {}


def knowledge_of(name: str, load: Callable[[Path], T]) -> T:
    """``load(path)`` of the knowledge file ``name`` (``runtime.yaml``...), the file chosen once per
    analysis as ``tables()`` is: checks ask for their knowledge once per call site, and looking at the
    environment for ``AUDITLIB_RUBRIC`` each time cost a second on 3,000 files."""
    key = (name, load)
    got = _KNOWN.get(key)
    if got is None:
        got = _KNOWN[key] = load(knowledge_file(name))
    return got  # type: ignore[return-value]


def yaml_knowledge(name: str, build: Callable[[dict[str, Any]], T]) -> T:
    """``build(data)`` of the YAML knowledge file ``name`` (a check module's ``Knowledge`` class): chosen
    once per analysis (``knowledge_of``), parsed once per file (``_parsed``)."""
    key = (name, build)
    got = _KNOWN.get(key)
    if got is None:
        got = _KNOWN[key] = _parsed(build, knowledge_file(name))
    return got  # type: ignore[return-value]


@functools.cache
def _parsed(build: Callable[[dict[str, Any]], T], path: Path) -> T:
    return build(read_knowledge(path))


@functools.cache
def _tables(path: Path) -> Tables:
    return Tables(read_knowledge(path))


# ------------------------------------------------------------------------------------------- helpers
def is_auth_text(text: str) -> bool:
    """Named like authentication: requireAuth, passport.authenticate, getServerSession, jwt.verify."""
    t = tables()
    words = [w.lower() for w in _WORD.findall(text)]
    return any(w in t.auth_words for w in words) or any(p in t.auth_pairs for p in itertools.pairwise(words))


def js_route(call: Call) -> tuple[str, str, Expr, list[Expr]] | None:
    """(method, route, receiver, handlers) when a JS call registers a route handler:
    ``app.post("/x", ...handlers)``, ``app.route("/x").get(handler)``, ``app.route("/x").get(a).post(b)``."""
    t = tables().js
    callee = call.callee
    if not isinstance(callee, Attr) or callee.name not in t.route_methods or not call.args:
        return None
    recv = chain = callee.obj
    while isinstance(chain, Call) and isinstance(chain.callee, Attr) and chain.callee.name in t.route_methods:
        chain = chain.callee.obj  # app.route("/x").get(a).post(b)
    if isinstance(chain, Call) and isinstance(chain.callee, Attr) and chain.callee.name == t.route_chain:
        path = string_value(chain.args[0]) if chain.args else None
        return (callee.name, path, chain.callee.obj, list(call.args)) if path else None
    if len(call.args) < 2:
        return None
    path = string_value(call.args[0])
    if path is None or not path.startswith(("/", "*")):
        return None
    # router.get("/a", h).post("/b", g): the receiver of every link is the router the chain starts from
    # (its router.use(auth), its framework), not the previous link's call.
    base = chain if chain is not recv and isinstance(chain, (Name, Attr)) else recv
    return callee.name, path, base, list(call.args[1:])
