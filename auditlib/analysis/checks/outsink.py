"""Model-chosen file paths and URLs (issue 11; OWASP LLM05 improper output handling, LLM06 excessive agency).

- ``llm.model_output_to_file_path``: the path of a file call (``open(path, "w")``, ``Path(p).write_text``,
  ``os.remove``, ``shutil``, ``fs.writeFile`` / ``unlink`` / ``readFile``) is chosen by the model: a prompt
  injection (a web page, a document, an email the model reads) writes, deletes or reads any file the
  process can reach (path traversal: ``../../.env``, ``~/.ssh/authorized_keys``);
- ``llm.model_output_to_url``: the URL of an outbound request (requests, httpx, aiohttp, urllib, fetch,
  axios, LangChain's web loaders) is chosen by the model: server-side request forgery (the cloud metadata
  endpoint, internal services) and exfiltration (``https://evil.example/?q=<secrets>``).

"Chosen by the model" is either the text of a model response (``json.loads`` of it, OpenAI
``tool_calls[i].function.arguments`` parsed then ``args["path"]``, Anthropic ``tool_use`` blocks'
``.input``), or a parameter of a function the model calls as a tool: ``@tool``, ``@function_tool``,
``@mcp.tool()``, ``StructuredTool.from_function(func=f)``, ``Tool(func=f)``,
``FunctionTool.from_defaults(fn=f)``, Vercel AI ``tool({execute: async ({path}) => ...})``, LangChain.js
``tool(fn, {...})`` / ``new DynamicStructuredTool({func})``, MCP ``server.tool(name, schema, fn)``, a
``BaseTool`` subclass's ``_run``, a function listed in ``tools=[...]``, or a function of a dispatch dict
called with a model's arguments (``functions[name](**args)``). The repository's functions in between are
followed (three levels of callers).

The flow is stricter than analysis/uses.py's (which feeds ``llm.unstructured_output`` and follows any call's
arguments): it passes only calls that keep the model's text (``passthrough`` of checklists/outsink.yaml:
``json.loads``, ``args.get``, ``os.path.join``, ``Path(base) / p``, f-strings, ``urljoin``...) and the
repository's own functions; a search API, a database lookup or a file read ends it (a research agent
fetching the URLs a search engine returned for the model's query did not let the model choose them).
Only the path or the URL argument counts: the model's answer written INTO a fixed file, or sent in the
body of a request to a fixed URL, is no finding.

Silent (what confines the choice): ``os.path.basename`` / ``secure_filename`` (they end the flow), a
confinement test guarding the sink or made before it in its function (``resolve()`` then
``is_relative_to`` / ``relative_to`` / ``commonpath``, a ``startswith(base)`` guard, an allow-list ``in``
test), a helper of the repository named or acting like one (``safe_path(p)``); a URL whose scheme and host
are fixed by the code (``f"https://api.github.com/repos/{name}"``, ``BASE_URL + "/search?q=" + q``: the
model picks a path or a query on a host the app chose) or checked against allowed hosts.

Graded (``grades`` of checklists/outsink.yaml): writes and deletes are high in server code (a web
framework, routes, or a file such code imports), medium elsewhere (a command-line tool, a script, an MCP
server on the user's machine); reads, URLs, folders created and files of the code's own name written in a
model-chosen folder (``Path(d) / "cache.json"``) are medium in server code, low elsewhere; low when the call
runs only after the person at the terminal confirms. Confidence is high when the model's output or a tool's
parameter reaches the call in the same function, medium through the repository's functions. The URL of a
generated image or song (an image model's result, Replicate) is the provider's, not a choice: it ends the flow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ...collect.roles import file_role
from ...models import Confidence, RuleHit, Severity
from ..ir import Arr, Attr, Bin, Call, Cmp, Elem, Expr, Fn, Module, Name, Obj, Param, Scope, Tmpl, Union
from ..irtools import binding_scope, function_scope, last_name, plus_leaves, render, scopes_in, string_value, walk
from ..query import Query
from ..tables import yaml_knowledge
from ..uses import arg_for, asks_first, is_server_code
from ..uses import knowledge as uses_knowledge
from . import check

FILE = "llm.model_output_to_file_path"
URL = "llm.model_output_to_url"
LEVELS = 3
"""Levels of the repository's callers followed from a sink's parameter back to the model."""
MAX_DEPTH = 40
_ROLES = {"app", "script"}
_HOST = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//[^/?#{}\s]+[/?#]|^\s*/(?!/)")
"""A URL text whose scheme and host are complete (``https://api.x.com/``), or a path on the app's own origin."""


# ------------------------------------------------------------------------------------------- knowledge
@dataclass(frozen=True)
class _Spec:
    qual: re.Pattern[str]
    args: tuple[int, ...]
    options: tuple[str, ...]
    access: str
    mode: int | None = None


def _spec(s: dict[str, Any], access: str | None = None) -> _Spec:
    return _Spec(re.compile(s["qual"]) if "qual" in s else re.compile(r"(?!)"), tuple(s.get("args") or (0,)),
                 tuple(s.get("options") or ()), access or s["access"], s.get("mode"))


def _words(*patterns: str) -> frozenset[str]:
    return frozenset(w for p in patterns for w in re.findall(r"[A-Za-z_]\w*", p))


class Knowledge:
    """checklists/outsink.yaml, compiled."""

    def __init__(self, data: dict[str, Any]) -> None:
        f, u, t, c = data["files"], data["urls"], data["tools"], data["confine"]
        self.file_calls = [_spec(s) for s in f["calls"]]
        self.file_builtins = {name: _spec(s) for name, s in (f.get("builtins") or {}).items()}
        self.write_modes = frozenset(f["write_modes"])
        self.path_methods = {m: access for access, ms in f["path_methods"].items() for m in ms}
        self.path_open = re.compile(f["path_open"])
        self.folder_calls = frozenset(f.get("folder_calls") or ())
        self.url_calls = [_spec(s, "url") for s in u["calls"]]
        self.file_modules = frozenset(f["modules"])
        self.url_modules = frozenset(u["modules"])
        self.global_calls = frozenset(u["globals"])
        self.passthrough = frozenset(data["passthrough"])
        media = data.get("media") or {}
        self.media_kinds = frozenset(media.get("kinds") or ())
        self.media_calls = re.compile(media.get("calls") or r"(?!)")
        self.decorators = frozenset(t["decorators"])
        self.registrations = {name: (tuple(s.get("options") or ()), bool(s.get("positional")))
                              for name, s in t["registrations"].items()}
        self.list_options = tuple(t["list_options"])
        self.tool_classes = {base: frozenset(ms) for base, ms in t["classes"].items()}
        self.injected_names = frozenset(t["injected_names"])
        self.injected_annotations = re.compile(t["injected_annotations"])
        self.confine_paths = re.compile(c["paths"], re.IGNORECASE)
        self.guard_paths = re.compile(c["guard_paths"])
        self.confine_urls = re.compile(c["urls"], re.IGNORECASE)
        self.url_attrs = frozenset(c["url_attrs"])
        self.grades: dict[str, dict[str, str]] = data["grades"]
        self.metadata = uses_knowledge().metadata
        # a call whose last name is none of these cannot be a sink (the prefilter of every call)
        self.file_words = _words(*(s.qual.pattern for s in self.file_calls)) | set(self.file_builtins) | set(
            self.path_methods) | {"open"}
        self.url_words = _words(*(s.qual.pattern for s in self.url_calls))
        words = self.file_words | self.url_words
        self.sink_names = frozenset(words | {w + "Sync" for w in words})
        """Every callee last name ``sink_of`` can accept (``fs.writeFileSync``: the word and ``Sync``)."""


def knowledge() -> Knowledge:
    return yaml_knowledge("outsink.yaml", Knowledge)  # chosen once per analysis (tables.refresh)


# ------------------------------------------------------------------------------------------- sinks
@dataclass(frozen=True)
class _Sink:
    rule: str
    access: str  # write | read | url
    call: Call
    exprs: tuple[Expr, ...]


def _positional(call: Call, spec: _Spec) -> list[Expr]:
    out = [call.args[i] for i in spec.args if i < len(call.args) and not isinstance(call.args[i], (Obj, Fn))]
    opts = call.options()
    return out + [opts[o] for o in spec.options if o in opts]


def _mode(call: Call, spec: _Spec, k: Knowledge) -> str:
    if spec.mode is None:
        return spec.access
    mode = call.args[spec.mode] if spec.mode < len(call.args) else call.kwargs.get("mode")
    text = string_value(mode)
    if text is None:
        return "write" if mode is not None else spec.access  # a mode the code computes: may write
    return "write" if set(text) & k.write_modes else "read"


def sink_of(call: Call, q: Query, k: Knowledge) -> _Sink | None:
    """The file or URL sink ``call`` is, with its path or URL arguments (None for any other call)."""
    name = last_name(call.callee)
    word = name[:-4] if name.endswith("Sync") else name  # fs.writeFileSync: the patterns spell (Sync)?
    if not name or (word not in k.file_words and word not in k.url_words):
        return None
    f = call.callee
    lang = call.scope.module.lang
    if isinstance(f, Name) and name in k.file_builtins and lang == "python" and binding_scope(name, call.scope) is None:
        spec = k.file_builtins[name]
        exprs = _positional(call, spec)
        return _Sink(FILE, _mode(call, spec, k), call, tuple(exprs)) if exprs else None
    tops = _imported_tops(q, call.scope.module)
    if not (word in k.file_words and tops & k.file_modules or word in k.url_words and (
            tops & k.url_modules or name in k.global_calls)):
        # dict.get(), str.join(): the file imports no file or HTTP module (the resolver is not asked); a
        # path's own methods (report.write_text(...)) still are, the path may come from another file
        if isinstance(f, Attr) and lang == "python" and name in k.path_methods and name != "open":
            return _Sink(FILE, k.path_methods[name], call, (f.obj,))
        return None
    quals = q.quals(f, call.scope)
    for spec in k.file_calls:
        if any(spec.qual.search(x) for x in quals):
            exprs = _positional(call, spec)
            return _Sink(FILE, _mode(call, spec, k), call, tuple(exprs)) if exprs else None
    if isinstance(f, Attr) and lang == "python" and (name in k.path_methods and name != "open" and not any(
            x.startswith(("os.", "shutil.")) for x in quals) or any(k.path_open.search(x) for x in quals)):
        access = k.path_methods.get(name) or _mode(call, _Spec(re.compile(""), (), (), "read", 0), k)
        return _Sink(FILE, access, call, (f.obj,))
    for spec in k.url_calls:
        if any(spec.qual.search(x) for x in quals):
            exprs = _positional(call, spec)
            if exprs and q.site(call) is None:
                return _Sink(URL, "url", call, tuple(exprs))
            return None
    return None


def _imported_tops(q: Query, mod: Module) -> frozenset[str]:
    """The top names of what ``mod`` imports (``os``, ``requests``, ``fs``, ``axios``, ``@langchain``), once
    per module and query."""
    tops: dict[str, frozenset[str]] = q.__dict__.setdefault("_facts_memo", {}).setdefault("outsink_tops", {})
    got = tops.get(mod.path)
    if got is None:
        got = tops[mod.path] = frozenset(
            re.split(r"[./]", i.removeprefix("node:"), maxsplit=1)[0] if not i.startswith("@") else i.split("/")[0]
            for i in mod.imports)
    return got


# ------------------------------------------------------------------------------------------- tools
@dataclass(frozen=True)
class _Tool:
    scope: Scope
    how: str


def _functions(e: Expr | None, scope: Scope, q: Query) -> list[Scope]:
    """The repository's functions ``e`` is: a function literal, or a name / attribute resolving to one."""
    if e is None:
        return []
    if isinstance(e, Fn):
        return [e.scope]
    if isinstance(e, (Name, Attr)):
        return [v[1] for v in q.repo.values(e, scope) if v[0] == "fn"][:4]
    return []


def _tools(q: Query, k: Knowledge, reach: _Reach) -> dict[int, _Tool]:
    """id(function scope) -> the tool it is: functions whose parameters the model fills in."""
    out: dict[int, _Tool] = {}

    def add(fs: Scope, how: str) -> None:
        out.setdefault(id(fs), _Tool(fs, how))

    for mod in q.parsed_modules():
        for s in mod.scopes:
            if s.kind != "function":
                continue
            for d in s.decorator_exprs:
                f = d.callee if isinstance(d, Call) else d
                if last_name(f) in k.decorators or isinstance(f, Name) and any(
                        re.split(r"[.:]", x)[-1] in k.decorators for x in q.quals(f, s.parent or s)):
                    add(s, f"@{render(d)[:40]}")
            if s.cls is not None and any(s.name in k.tool_classes.get(last_name(b), ()) for b in s.cls.bases):
                add(s, f"{s.cls.name}.{s.name}, a tool class")
        for c in mod.calls:
            name = last_name(c.callee)
            reg = k.registrations.get(name)
            if reg is None and name and isinstance(c.callee, Name):  # an alias: import { tool as lcTool }
                name = next((n for x in q.quals(c.callee, c.scope) if (n := re.split(r"[.:]", x)[-1]) in
                             k.registrations), name)
                reg = k.registrations.get(name)
            opts = c.options() if reg or any(o in c.kwargs for o in k.list_options) or any(
                isinstance(a, Obj) for a in c.args) else {}
            if reg is not None:
                options, positional = reg
                for o in options:
                    for fs in _functions(opts.get(o), c.scope, q):
                        add(fs, f"{name}({o}=...), line {c.line}")
                if positional:
                    for a in c.args:
                        for fs in _functions(a, c.scope, q):
                            add(fs, f"{name}(...), line {c.line}")
            for o in k.list_options:
                listed = opts.get(o)
                if isinstance(listed, Arr):
                    for item in listed.items:
                        for fs in _functions(item, c.scope, q):
                            add(fs, f"listed in {o}=[...], line {c.line}")
            for fs in _dispatched(c, q, reach):
                add(fs, f"called by name with the model's arguments, line {c.line}")
    return out


def _dispatched(c: Call, q: Query, reach: _Reach) -> list[Scope]:
    """``functions[name](**args)`` / ``functions.get(name)(args)`` whose arguments are a model's: the
    functions of the dict literal."""
    f = c.callee
    table: Expr | None = None
    if isinstance(f, Elem):
        table = f.obj
    elif isinstance(f, Name):
        home = binding_scope(f.id, c.scope)
        for b in (home.bindings.get(f.id, ()) if home is not None else ())[:4]:
            if isinstance(b, Elem):
                table = b.obj
            elif isinstance(b, Call) and isinstance(b.callee, Attr) and b.callee.name == "get":
                table = b.callee.obj
    if not isinstance(table, Name) or not c.args:
        return []
    home = binding_scope(table.id, c.scope)
    dicts = [b for b in (home.bindings.get(table.id, ()) if home is not None else ()) if isinstance(b, Obj)]
    if not dicts:
        return []
    args = [v for a in c.args for v in ([x for _k, x in a.items] if isinstance(a, Obj) else [a])]
    if not any(isinstance(s, Call) for a in args for s in reach.sources(a, c.scope)):
        return []
    return [fs for d in dicts for _k, v in d.items for fs in _functions(v, home or c.scope, q)]


def _injected(p: Param, k: Knowledge) -> bool:
    if p.name in k.injected_names or p.name.startswith("_"):
        return True
    return p.annotation is not None and bool(k.injected_annotations.search(render(p.annotation)))


# ------------------------------------------------------------------------------------------- value flow
class _Reach:
    """What a path or URL derives from: model calls (``q.site``) and parameters, through names,
    attributes, elements, string building, ``passthrough`` calls and the repository's functions (their
    returns, parameters replaced by the caller's arguments). A helper that confines what it returns
    (``safe_path(p)``: named so, or calling ``is_relative_to``...) ends the flow."""

    def __init__(self, q: Query, k: Knowledge, rule: str) -> None:
        self.q, self.k, self.rule = q, k, rule
        self._memo: dict[tuple[int, int], frozenset[Any]] = {}
        self._returns: dict[int, frozenset[Any]] = {}
        self._active: set[tuple[int, int]] = set()
        self._mutations: dict[tuple[int, str], list[tuple[Expr, Scope]]] | None = None

    def sources(self, e: Expr | None, scope: Scope) -> frozenset[Any]:
        if e is None:
            return frozenset()
        key = (id(e), id(scope))
        got = self._memo.get(key)
        if got is not None:
            return got
        if key in self._active or len(self._active) > MAX_DEPTH:
            return frozenset()
        self._active.add(key)
        try:
            out = frozenset(self._sources(e, scope))
        finally:
            self._active.discard(key)
        self._memo[key] = out
        return out

    def _union(self, items: Iterator[Expr] | list[Expr], scope: Scope) -> set[Any]:
        out: set[Any] = set()
        for x in items:
            if not isinstance(x, Fn):
                out |= self.sources(x, scope)
        return out

    def _sources(self, e: Expr, scope: Scope) -> set[Any]:
        if isinstance(e, Param):
            return {e}
        if isinstance(e, Name):
            home = binding_scope(e.id, scope)
            if home is None:
                return set()
            values = home.bindings.get(e.id, [])[:8]
            if any(self._cleans(v, e.id) for v in values):
                return set()  # name = re.sub(r"[^\w-]", "", name): what it holds is cleaned (flow-insensitive)
            out = self._union(values, home)
            for value, where in self.mutations(home, e.id)[:8]:  # result.append({"file": name, ...})
                out |= self.sources(value, where)
            return out
        if isinstance(e, Attr):
            return set() if e.name in self.k.metadata else set(self.sources(e.obj, scope))
        if isinstance(e, Elem):
            return set(self.sources(e.obj, scope))
        if isinstance(e, Tmpl):
            return self._union([p for p in e.parts if isinstance(p, Expr)], scope)
        if isinstance(e, (Bin, Union, Arr, Obj)):
            items = [e.left, e.right] if isinstance(e, Bin) else e.items if isinstance(e, (Union, Arr)) else [
                v for _k, v in e.items]
            return self._union(items, scope)
        if isinstance(e, Call):
            return self._call(e, scope)
        return set()  # literals, booleans (Not, Cmp), functions, imports

    def _call(self, c: Call, scope: Scope) -> set[Any]:
        site = self.q.site(c)
        if site is not None:  # the model's text; a generated image's or song's URL is the provider's, not a choice
            return set() if site[0] in self.k.media_kinds or self.k.media_calls.search(site[1]) else {c}
        fns = [v[1] for v in self.q.repo.values(c.callee, scope) if v[0] == "fn"][:4]
        if fns:
            out: set[Any] = set()
            for fs in fns:
                if self.confines(fs):
                    continue
                for src in self.returns(fs):
                    if isinstance(src, Param) and src.scope is fs:
                        out |= self.sources(arg_for(src, c), scope)
                    else:
                        out.add(src)
            return out
        name = last_name(c.callee)
        if name not in self.k.passthrough:
            return set()
        out = self._union([*c.args, *c.kwargs.values()], scope)
        if isinstance(c.callee, Attr):
            out |= self.sources(c.callee.obj, scope)
        return out

    def _cleans(self, e: Expr, name: str, depth: int = 0) -> bool:
        """``e`` rebinds ``name`` through a call that is not a passthrough (``t = re.sub(p, "", t)``,
        ``p = os.path.basename(p)``, ``title = slugify(title)``): the name holds a cleaned value."""
        if depth > 6:
            return False
        if isinstance(e, (Attr, Elem)):
            return self._cleans(e.obj, name, depth + 1)
        if not isinstance(e, Call) or self.q.site(e) is not None:
            return False
        inner = [*e.args, *e.kwargs.values()] + ([e.callee.obj] if isinstance(e.callee, Attr) else [])
        if last_name(e.callee) in self.k.passthrough:
            return any(self._cleans(x, name, depth + 1) for x in inner)
        return any(isinstance(x, Name) and x.id == name for x in walk(inner, 100))

    def mutations(self, home: Scope, name: str) -> list[tuple[Expr, Scope]]:
        """What ``name`` (bound in ``home``) gets added: ``name.append(x)`` (uses.yaml ``mutators``)."""
        if self._mutations is None:
            self._mutations = {}
            mutators = uses_knowledge().mutators
            for mod in self.q.parsed_modules():
                for c in mod.calls:
                    f = c.callee
                    if isinstance(f, Attr) and f.name in mutators and isinstance(f.obj, Name):
                        at = binding_scope(f.obj.id, c.scope)
                        if at is not None:
                            self._mutations.setdefault((id(at), f.obj.id), []).extend((a, c.scope) for a in c.args)
        return self._mutations.get((id(home), name), [])

    def returns(self, fs: Scope) -> frozenset[Any]:
        got = self._returns.get(id(fs))
        if got is None:
            self._returns[id(fs)] = frozenset()  # recursion
            got = self._returns[id(fs)] = frozenset(self._union([*fs.returns, *fs.yields], fs))
        return got

    def confines(self, fs: Scope) -> bool:
        """A helper that confines a path or checks a URL: named so, or calling such a test."""
        rx = self.k.confine_paths if self.rule == FILE else self.k.confine_urls
        if rx.search(fs.name):
            return True
        return any(rx.search(last_name(c.callee)) or any(
            g.kind == "if" and g.test is not None and _confining_test(g.test, self.rule, self.k) for g in c.guards)
            for s in scopes_in(fs) for c in s.calls)


# ------------------------------------------------------------------------------------------- confinement
def _confined(call: Call, rule: str, k: Knowledge) -> bool:
    """A test that confines the path (or checks the URL's host) guards ``call`` or comes before it in its
    function."""
    rx = k.confine_paths if rule == FILE else k.confine_urls
    for g in call.guards:
        if g.kind == "if" and g.test is not None and _confining_test(g.test, rule, k):
            return True
    fs = function_scope(call.scope)
    if fs is None:
        return False
    return any(c.line <= call.line and rx.search(last_name(c.callee)) for s in scopes_in(fs) for c in s.calls)


def _confining_test(test: Expr, rule: str, k: Knowledge) -> bool:
    for e in walk(test, 200):
        if isinstance(e, Call):
            name = last_name(e.callee)
            if rule == FILE and (k.guard_paths.search(name) or k.confine_paths.search(name)):
                return True
            if rule == URL and k.confine_urls.search(name):
                return True
            if rule == URL and name in ("startswith", "startsWith") and any(
                    _HOST.search(string_value(a) or "") for a in e.args):
                return True  # url.startswith("https://api.github.com/")
            if rule == URL and name in ("includes", "has", "indexOf", "some") and any(
                    isinstance(x, Attr) and x.name in k.url_attrs for x in walk(e, 50)):
                return True  # ALLOWED_HOSTS.includes(new URL(url).hostname)
        if isinstance(e, Cmp) and e.op in ("in", "not in"):
            if rule == FILE:
                return True  # an allow-list of names, or a ".." test
            if any(isinstance(x, Attr) and x.name in k.url_attrs for x in walk([e.left, e.right], 50)):
                return True
        if rule == URL and isinstance(e, Cmp) and e.op in ("==", "!=") and any(
                isinstance(x, Attr) and x.name in k.url_attrs for x in walk([e.left, e.right], 50)):
            return True
    return False


def _fixed_host(e: Expr | None, scope: Scope, reach: _Reach, depth: int = 0) -> bool:
    """The URL's scheme and host are the code's: it starts with a literal URL text up to its path, or with
    a value that is not the model's (a base URL constant, a setting) followed by more text."""
    if e is None or depth > 4:
        return False
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        values = home.bindings.get(e.id, [])[:6] if home is not None else []
        return home is not None and bool(values) and all(_fixed_host(v, home, reach, depth + 1) for v in values)
    head: Expr | str | None = None
    if isinstance(e, Tmpl) and len(e.parts) > 1:
        head = e.parts[0]
    elif isinstance(e, Bin):  # base + path, "https://x.com/%s" % q
        leaves = plus_leaves(e, 8) if e.op == "+" else [e.left, e.right]
        head = leaves[0] if len(leaves) > 1 else None
    elif isinstance(e, Call) and isinstance(e.callee, Attr) and e.callee.name == "format":
        return _fixed_host(e.callee.obj, scope, reach, depth + 1)  # "https://x.com/{}".format(q)
    if head is None:
        return False
    if isinstance(head, str):
        return bool(_HOST.search(head))
    text = string_value(head)
    if text is not None:
        return bool(_HOST.search(text))
    # a base the app holds (a constant, a setting, the environment): it carries neither the model's text nor a
    # parameter (a caller's value, perhaps the model's)
    return not reach.sources(head, scope)


# ------------------------------------------------------------------------------------------- the pass
@dataclass(frozen=True)
class _Found:
    how: str            # what chooses the value
    confidence: Confidence
    server: bool        # the model call or the tool is in server code
    confirmed: bool     # a caller on the way runs only after the user confirms


class _Pass:
    def __init__(self, q: Query, k: Knowledge) -> None:
        self.q, self.k = q, k
        self.reach = {FILE: _Reach(q, k, FILE), URL: _Reach(q, k, URL)}
        self._tools: dict[int, _Tool] | None = None

    @property
    def tools(self) -> dict[int, _Tool]:
        if self._tools is None:
            self._tools = _tools(self.q, self.k, self.reach[FILE])
        return self._tools

    def run(self) -> dict[str, dict[str, list[RuleHit]]]:
        out: dict[str, dict[str, list[RuleHit]]] = {FILE: {}, URL: {}}
        seen: set[tuple[str, str, int]] = set()
        for mod in self.q.parsed_modules():
            if file_role(mod.path) not in _ROLES:
                continue
            names, present = self.q.call_names(mod)  # sink_of's own first test, on the module's index
            if self.k.sink_names.isdisjoint(present):
                continue
            for call, name in zip(mod.calls, names, strict=True):
                if name not in self.k.sink_names:
                    continue
                sink = sink_of(call, self.q, self.k)
                if sink is None:
                    continue
                hit = self._judge(sink, mod)
                if hit is not None and (sink.rule, mod.path, call.line) not in seen:
                    seen.add((sink.rule, mod.path, call.line))
                    out[sink.rule].setdefault(mod.path, []).append(hit)
        return out

    def _judge(self, sink: _Sink, mod: Module) -> RuleHit | None:
        call, rule = sink.call, sink.rule
        for expr in sink.exprs:
            if rule == URL and _fixed_host(expr, call.scope, self.reach[URL]):
                continue
            found = self._chosen(expr, call.scope, rule, 0)
            if found is None or _confined(call, rule, self.k):
                continue
            return self._hit(sink, expr, found, mod)
        return None

    def _chosen(self, expr: Expr | None, scope: Scope, rule: str, level: int) -> _Found | None:
        """How the model chooses ``expr`` (None when it does not): its output, a tool's parameter, or a
        parameter the repository's callers fill with one of those (``LEVELS`` deep)."""
        srcs = self.reach[rule].sources(expr, scope)
        conf: Confidence = "high" if level == 0 else "medium"
        site = min((s for s in srcs if isinstance(s, Call)), key=lambda c: (c.scope.module.path, c.line), default=None)
        if site is not None:
            return _Found(f"the output of the model call {site.text}(...) ({_at(site.scope.module.path, site.line, scope)})",
                          conf, is_server_code(self.q, site.scope.module), False)
        params = sorted((s for s in srcs if isinstance(s, Param)), key=lambda p: (p.scope.module.path, p.scope.line, p.index))
        for p in params:
            tool = self.tools.get(id(p.scope))
            if tool is not None and not _injected(p, self.k):
                arg = "an argument" if p.name.startswith("$") else f"the `{p.name}` argument"  # JS ({ path }) => ...
                return _Found(f"{arg} of the tool {_fn_name(self.q, p.scope)} ({tool.how}), which the model fills in",
                              conf, is_server_code(self.q, p.scope.module), False)
        if level + 1 >= LEVELS:
            return None
        for p in params:
            fs = p.scope
            if id(fs) in self.tools:
                continue  # an injected parameter of a tool
            if not fs.name or fs.name.startswith("<"):
                continue
            for c in self.q.repo.callers(fs.name, ("fn", fs))[:20]:
                if _confined(c, rule, self.k):
                    continue
                passed = arg_for(p, c)
                exprs = [passed] if passed is not None else [  # f(**args): the spread carries every argument
                    v for a in c.args if isinstance(a, Obj) for key, v in a.items if key is None]
                for x in exprs:
                    got = self._chosen(x, c.scope, rule, level + 1)
                    if got is not None:
                        where = _at(c.scope.module.path, c.line, p.scope)
                        return _Found(f"{got.how}, passed to {fs.name}() at {where}", "medium", got.server,
                                      got.confirmed or asks_first(self.q, c))
        return None

    def _hit(self, sink: _Sink, expr: Expr, found: _Found, mod: Module) -> RuleHit:
        call = sink.call
        server = found.server or is_server_code(self.q, mod)
        confirmed = found.confirmed or asks_first(self.q, call)
        where = "confirmed" if confirmed else "server" if server else "local"
        access = sink.access
        if access == "write" and (last_name(call.callee) in self.k.folder_calls or _fixed_name(expr, call.scope)):
            access = "folder"  # a folder created, or a file of the code's name in a model-chosen folder
        severity: Severity = self.k.grades[access][where]  # type: ignore[assignment]
        why = {"server": "in server code", "local": "outside server code (a command-line tool, a script or "
               "a local server on the user's machine)", "confirmed": "only after the person at the terminal confirms"}
        what = {"write": "written, created or deleted", "read": "read", "url": "requested",
                "folder": "created (a folder, or a file of the code's name in a model-chosen folder)"}[access]
        noun = "URL" if sink.rule == URL else "path"
        fn = _fn_name(self.q, call.scope)
        shown = " ".join(render(expr).split())[:60]
        safe = ("no allowed-host check, and no fixed scheme and host before it" if sink.rule == URL else
                "no basename, resolve + is_relative_to, prefix or allow-list test before it")
        evidence = (f"{call.text}(...) in {fn}: the {noun} `{shown}` is {found.how}; the file is {what} "
                    f"{why[where]}; {safe}" if sink.rule == FILE else
                    f"{call.text}(...) in {fn}: the {noun} `{shown}` is {found.how}; {why[where]}; {safe}")
        title = ("Model-chosen file path" if sink.rule == FILE else "Model-chosen URL requested")
        return RuleHit(rule=sink.rule, title=title, evidence=evidence, path=mod.path, line=call.line,
                       severity=severity, confidence=found.confidence)


def _fixed_name(e: Expr | None, scope: Scope, depth: int = 0) -> bool:
    """The path ends with a file name the code writes (``Path(d) / "cache.json"``, ``os.path.join(d, "x.md")``,
    ``f"{d}/cache.json"``): the model chooses the folder only."""
    if e is None or depth > 3:
        return False
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        values = home.bindings.get(e.id, []) if home is not None else []
        return home is not None and len(values) == 1 and _fixed_name(values[0], home, depth + 1)
    if isinstance(e, Bin) and e.op != "+":  # Path(d) / "cache.json" (Python lowers / as a generic operator)
        return string_value(e.right) is not None
    if isinstance(e, Tmpl) and e.parts and isinstance(e.parts[-1], str):
        return bool(re.search(r"/[^/{}]+$", e.parts[-1]))
    if isinstance(e, Call) and last_name(e.callee) in ("join", "joinpath", "Path", "resolve") and e.args:
        return string_value(e.args[-1]) is not None and isinstance(e.callee, (Attr, Name)) and len(e.args) > 1
    return False


def _fn_name(q: Query, scope: Scope) -> str:
    name = q.function_name(scope)
    if name:
        return name
    fs = function_scope(scope)
    return f"the function of line {fs.line}" if fs is not None else "module level code"


def _at(path: str, line: int, scope: Scope) -> str:
    return f"line {line}" if path == scope.module.path else f"{path}:{line}"


def _hits(q: Query, rule: str, mod: Module) -> list[RuleHit]:
    """The hits of ``rule`` in ``mod``: the whole repository is judged once (a sink's model call or tool
    may sit in another file), per query."""
    memo = q.__dict__.setdefault("_facts_memo", {})
    found: dict[str, dict[str, list[RuleHit]]] | None = memo.get("outsink")
    if found is None:
        found = memo["outsink"] = _Pass(q, knowledge()).run()
    return found[rule].get(mod.path, [])


@check(FILE, on="module", roles=_ROLES)
def model_output_to_file_path(mod: Module, q: Query) -> list[RuleHit]:
    """A file path the model chooses (its output, a tool's argument) reaching a file call's path."""
    return _hits(q, FILE, mod)


@check(URL, on="module", roles=_ROLES)
def model_output_to_url(mod: Module, q: Query) -> list[RuleHit]:
    """A URL the model chooses (its output, a tool's argument) reaching an outbound request's URL."""
    return _hits(q, URL, mod)
