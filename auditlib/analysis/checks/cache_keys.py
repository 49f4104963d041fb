"""Caches keyed by the name a user gave a file (issue 11, "caches keyed by user-supplied names").

``architecture.cache_keyed_by_user_name``: an expensive artefact built from an uploaded document (a
vector index, embeddings, parsed text) is kept where every user of the server finds it, under the
uploaded file's *name* only. The next user who uploads a different ``report.pdf`` gets the first one's
index (answers from another person's document), and anyone can read a document by uploading any file
with its name. Three shapes:

- a function cached for every session (``@st.cache_resource``, ``@st.cache_data``, the experimental
  singleton/memo, ``functools.lru_cache``/``cache``, cachetools) called with an argument made from an
  uploaded file's name while no hashed argument carries the content (the file object, its bytes, a
  hash of them), something unique to the upload (a temporary path, a uuid) or who asked (a user or
  session id). Streamlit does not hash parameters whose name starts with ``_``: ``build_index(_docs,
  file_name)`` is keyed by ``file_name`` alone;
- a persisted store read back, or added to, under the uploaded name: ``FAISS.load_local(name)``,
  ``Chroma(persist_directory=f"db/{file.name}")``, ``collection_name=uploaded.name``, a pickle opened
  from ``f"{pdf.name[:-4]}.pkl"`` (the "chat with your PDF" tutorial's cache);
- a module-level dict of server code written with the uploaded name as key in a request handler
  (``indexes[file.filename] = ...``), and in JS a module-level ``Map`` ``set`` with ``file.originalname``
  (multer) or a form-data file's ``name``. ``architecture.in_memory_state`` reports the first addition
  to such a dict as state kept in process memory; this rule says what the key costs.

Silent: keys that hold the content or a hash of it, a user or session id, ``st.session_state`` (one
per session), a fixed key, a temporary file's path, and names that identify public content (a URL).
A Streamlit page's module-level names are re-run per session and not shared; its ``st.cache_*``
functions and the disk are.

What uploads are, which caches are shared, what makes a key safe and which stores are persisted: data
in checklists/cache_keys.yaml.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import Any

from ...models import RuleHit, Severity
from ..ir import Arr, Attr, Bin, Call, Elem, Expr, Module, Name, Obj, Param, Scope, Tmpl, Union
from ..irtools import binding_scope, dotted, last_name, string_value
from ..query import Query
from ..tables import yaml_knowledge
from ..uses import is_server_code
from ..uses import knowledge as uses_knowledge
from . import check
from .runtime import _containers, _request_function
from .runtime import knowledge as runtime_knowledge
from .web_security import source

RULE = "architecture.cache_keyed_by_user_name"
MAX_DEPTH = 6
"""Hops followed from a key to the uploaded file's name (names, slices, f-strings, joins)."""


class Knowledge:
    """checklists/cache_keys.yaml, compiled."""

    def __init__(self, d: dict[str, Any]) -> None:
        self.uploads = re.compile(d["uploads"]["python"])
        self.upload_annotations = re.compile(d["upload_annotations"])
        self.name_attrs = frozenset(d["name_attrs"])
        self.name_transforms = frozenset(d["name_transforms"])
        self.string_methods = frozenset(d["string_methods"])
        self.content_calls = frozenset(d["content_calls"])
        self.identity = re.compile(d["identity_names"])
        self.streamlit_caches = re.compile(d["streamlit_caches"])
        self.content_builders = re.compile(d["content_builders"])
        self.content_params = re.compile(d["content_params"])
        self.stores = [(re.compile(e["match"]), e.get("arg"), tuple(e.get("options") or ()), str(e["how"]),
                        str(e["what"])) for e in d["stores"]]
        self.store_names = frozenset(w for rx, *_ in self.stores for w in re.findall(r"[A-Za-z_]\w+", rx.pattern))
        self.pickle_loads = re.compile(d["pickle_loads"])
        self.content_values = re.compile(d["content_values"])
        self.item_store_line = re.compile(d["item_store_line"])


def knowledge() -> Knowledge:
    return yaml_knowledge("cache_keys.yaml", Knowledge)  # chosen once per analysis (tables.refresh)


def _hit(title: str, evidence: str, path: str, line: int, severity: Severity) -> RuleHit:
    return RuleHit(rule=RULE, title=title, evidence=evidence, path=path, line=line, severity=severity,
                   confidence="medium")


# ------------------------------------------------------------------------------ where a name comes from
def _is_upload(e: Expr, scope: Scope, q: Query, k: Knowledge, depth: int = 0) -> bool:
    """``e`` is an uploaded file object (a Streamlit ``file_uploader`` result or one of its files, a
    FastAPI ``UploadFile`` parameter, a Flask ``request.files`` item)."""
    if depth > MAX_DEPTH or isinstance(e, Attr) and e.name in k.name_attrs:
        return False  # the file's name, not the file
    if any(k.uploads.search(x) for x in q.quals(e, scope)):
        return True
    if isinstance(e, Elem):
        return _is_upload(e.obj, scope, q, k, depth + 1)
    if isinstance(e, Call) and isinstance(e.callee, Attr) and e.callee.name in {"get", "getlist"}:
        return _is_upload(e.callee.obj, scope, q, k, depth + 1)
    if isinstance(e, Param):
        anns = [e.annotation] if e.annotation is not None else []
        while anns:  # UploadFile, UploadFile | None, Optional[UploadFile]
            a = anns.pop()
            if any(k.upload_annotations.search(x) for x in q.quals(a, e.scope)):
                return True
            if isinstance(a, Union):
                anns.extend(a.items)
            elif isinstance(a, Elem):
                anns.append(a.obj)
        return False
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        if home is None:
            return False
        for p in home.params:
            if p.name == e.id:
                return _is_upload(p, home, q, k, depth + 1)
        return any(_is_upload(b, home, q, k, depth + 1) for b in home.bindings.get(e.id, [])[:4])
    return False


def _uploaded_name(e: Expr | None, scope: Scope, q: Query, k: Knowledge, depth: int = 0) -> str | None:
    """The uploaded file's name ``e`` is made of (``pdf.name``, ``file.filename``), as written, or None."""
    if e is None or depth > MAX_DEPTH:
        return None
    if isinstance(e, Attr):
        if e.name in k.name_attrs and _is_upload(e.obj, scope, q, k):
            return dotted(e) or e.name
        return None
    if isinstance(e, Elem):
        return _uploaded_name(e.obj, scope, q, k, depth + 1)
    if isinstance(e, Tmpl):
        return next((got for p in e.parts if isinstance(p, Expr)
                     if (got := _uploaded_name(p, scope, q, k, depth + 1))), None)
    if isinstance(e, Bin):
        return _uploaded_name(e.left, scope, q, k, depth + 1) or _uploaded_name(e.right, scope, q, k, depth + 1)
    if isinstance(e, Union):
        return next((got for p in e.items if (got := _uploaded_name(p, scope, q, k, depth + 1))), None)
    if isinstance(e, Call):
        f = e.callee
        if isinstance(f, Attr) and f.name in k.string_methods:
            return _uploaded_name(f.obj, scope, q, k, depth + 1)
        if last_name(f) in k.name_transforms:
            return next((got for a in [*e.args, *e.kwargs.values()]
                         if (got := _uploaded_name(a, scope, q, k, depth + 1))), None)
        return None
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        if home is None:
            return None
        return next((got for b in home.bindings.get(e.id, [])[:4]
                     if (got := _uploaded_name(b, home, q, k, depth + 1))), None)
    return None


def _safe_key(e: Expr | None, scope: Scope, q: Query, k: Knowledge, depth: int = 0) -> str | None:
    """Why a key made with ``e`` is not the name alone (it holds the content, a hash, a value unique to
    the upload, a user or session id, per-session state), or None."""
    if e is None or depth > MAX_DEPTH:
        return None
    if isinstance(e, (Name, Param)):
        n = e.id if isinstance(e, Name) else e.name
        if k.identity.search(n):
            return f"it holds {n}"
        if isinstance(e, Name):
            home = binding_scope(n, scope)
            if home is not None:
                for b in home.bindings.get(n, [])[:4]:
                    got = _safe_key(b, home, q, k, depth + 1)
                    if got:
                        return got
        return None
    if isinstance(e, Attr):
        text = dotted(e)
        if "session_state" in text:
            return "it is kept per session (st.session_state)"
        if k.identity.search(e.name) and e.name not in k.name_attrs:
            return f"it holds {text or e.name}"
        return _safe_key(e.obj, scope, q, k, depth + 1)
    if isinstance(e, Call):
        name = last_name(e.callee)
        if name in k.content_calls:
            return f"it holds {name}() (the content, a hash or a value unique to the upload)"
        parts: list[Expr] = [*e.args, *e.kwargs.values()]
        if isinstance(e.callee, Attr):
            parts.append(e.callee.obj)
        for a in parts:
            got = _safe_key(a, scope, q, k, depth + 1)
            if got:
                return got
        return None
    if isinstance(e, Elem):
        return _safe_key(e.obj, scope, q, k, depth + 1)
    if isinstance(e, (Tmpl, Bin, Union, Arr, Obj)):
        items = (e.parts if isinstance(e, Tmpl) else [e.left, e.right] if isinstance(e, Bin)
                 else e.items if isinstance(e, (Union, Arr)) else [v for _k, v in e.items])
        for p in items:
            if isinstance(p, Expr):
                got = _safe_key(p, scope, q, k, depth + 1)
                if got:
                    return got
    return None


# ================================================================ shared caches and persisted stores
def _cached_names(q: Query) -> frozenset[str]:
    """Names of the repository's Python functions with a cache shared by every session (memoised)."""
    memo = q.__dict__.setdefault("_facts_memo", {})
    got: frozenset[str] | None = memo.get("cache_keys_cached")
    if got is None:
        shared = uses_knowledge().shared_caches
        names = set()
        for mod in q.parsed_modules():
            if mod.lang != "python":
                continue
            for s in mod.scopes:
                if s.kind == "function" and s.decorator_exprs and _shared_cache(s, q, shared):
                    names.add(s.name)
        got = memo["cache_keys_cached"] = frozenset(names)
    return got


def _shared_cache(fs: Scope, q: Query, shared: re.Pattern[str]) -> str | None:
    """The qualified name of ``fs``'s decorator that caches it for every session, or None; None too when
    the decorator is given its own key function (``cached(cache, key=...)``)."""
    for d in fs.decorator_exprs:
        target = d.callee if isinstance(d, Call) else d
        for x in q.quals(target, fs.parent or fs):
            if shared.search(x):
                if isinstance(d, Call) and "key" in d.options():
                    return None
                return x
    return None


@check(RULE, on="call", roles={"app"}, languages=("python",),
       names=lambda q: _cached_names(q) | knowledge().store_names | {"open"})
def cache_keyed_by_user_name(call: Call, q: Query) -> RuleHit | None:
    """A shared cache called with an uploaded file's name as its only key, or a persisted store opened
    (or added to) under that name."""
    name = last_name(call.callee)
    if not name:
        return None
    k = knowledge()
    if name in _cached_names(q):
        return _cached_call(call, q, k)
    if name in k.store_names or name == "open":
        return _store_call(call, name, q, k)
    return None


def _cached_call(call: Call, q: Query, k: Knowledge) -> RuleHit | None:
    fs = next((v[1] for v in q.repo.values(call.callee, call.scope) if v[0] == "fn"), None)
    if not isinstance(fs, Scope):
        return None
    deco = _shared_cache(fs, q, uses_knowledge().shared_caches)
    if deco is None:
        return None
    streamlit = bool(k.streamlit_caches.search(deco))
    params = [p for p in fs.params if p.name not in {"self", "cls"}]
    bound: list[tuple[Param, Expr]] = []
    for i, a in enumerate(call.args):
        if i < len(params):
            bound.append((params[i], a))
    by_name = {p.name: p for p in params}
    for key, a in call.kwargs.items():
        if key in by_name:
            bound.append((by_name[key], a))
    hashed = [(p, a) for p, a in bound if not (streamlit and p.name.startswith("_"))]
    named = [(p, a, got) for p, a in hashed if (got := _uploaded_name(a, call.scope, q, k))]
    if not named:
        return None
    for _p, a in hashed:
        if _is_upload(a, call.scope, q, k) or _safe_key(a, call.scope, q, k):
            return None  # the file itself (hashed by content), a hash, a user or session id: not the name alone
    unhashed = [p.name for p, a in bound if streamlit and p.name.startswith("_")]
    builds = _builds_from_content(fs, q, k)
    content_unhashed = [n for n in unhashed if k.content_params.search(n)]
    shown = ", ".join(f"{p.name}={got}" for p, _a, got in named)
    deco_shown = "@" + deco.replace("streamlit.", "st.")
    if content_unhashed:
        why = (f"{deco_shown} does not hash {', '.join(content_unhashed)} (a leading underscore), so "
               f"{fs.name}() is cached by {shown} alone")
    else:
        why = f"{deco_shown} caches {fs.name}() for every session, keyed by {shown} alone"
    severity: Severity = "high" if content_unhashed or builds else "medium"
    what = (" it builds from the document" + (f" ({builds})" if builds else "")) if severity == "high" else \
        " what it returns"
    return _hit("Cache shared by every user, keyed by the uploaded file's name",
                f"{why}: the next user who uploads a different file with the same name gets{what} of the "
                "first one (another person's document), and anyone can read it by uploading a file of that name",
                call.scope.module.path, call.line, severity)


def _builds_from_content(fs: Scope, q: Query, k: Knowledge) -> str | None:
    """A library call in the cached function (or its nested functions) that builds from a document."""
    stack = [fs]
    while stack:
        s = stack.pop()
        for c in s.calls:
            for x in q.quals(c.callee, c.scope):
                if k.content_builders.search(x):
                    return x.replace("builtins.", "") + "()"
        stack.extend(s.children)
    return None


def _store_call(call: Call, name: str, q: Query, k: Knowledge) -> RuleHit | None:
    mod = call.scope.module
    if name == "open":  # the commonest name here: its literal mode first
        mode = string_value(call.args[1]) if len(call.args) > 1 else string_value(call.kwargs.get("mode"))
        if not mode or "r" not in mode or "b" not in mode or not call.args:
            return None
    if mod.lang != "python" or not is_server_code(q, mod) and not _imports_streamlit(mod):
        return None
    quals = q.quals(call.callee, call.scope) or [dotted(call.callee)]
    if name == "open":
        if not any(x == "builtins.open" for x in quals) and quals != ["open"] or not _unpickles(mod, q, k):
            return None
        spec: tuple[int | None, tuple[str, ...], str, str] = (0, (), "reads", "the pickle saved under that name is loaded")
    else:
        found = next(((arg, opts, how, what) for rx, arg, opts, how, what in k.stores
                      if any(rx.search(x) for x in quals)), None)
        if found is None:
            return None
        spec = found
    arg, opts, how, what = spec
    values: list[Expr] = []
    if arg is not None and len(call.args) > arg:
        values.append(call.args[arg])
    options = call.options()
    values += [options[o] for o in opts if o in options]
    for v in values:
        got = _uploaded_name(v, call.scope, q, k)
        if not got or _safe_key(v, call.scope, q, k):
            continue
        if how == "adds":
            tail = ("a second user's file of the same name is added to the first user's collection, and each one's "
                    "questions are answered from both documents")
        else:
            tail = ("the next user who uploads a different file with the same name is answered from the first one's "
                    "document, and anyone can read a document by uploading a file of that name")
        return _hit("Stored index keyed by the uploaded file's name",
                    f"{call.text}(): {what}, and the name is {got}, chosen by whoever uploads; the disk is shared "
                    f"by every user of the server: {tail}", mod.path, call.line, "high")
    return None


def _imports_streamlit(mod: Module) -> bool:
    return any(i.split(".", 1)[0] == "streamlit" for i in mod.imports)


def _unpickles(mod: Module, q: Query, k: Knowledge) -> bool:
    memo = q.__dict__.setdefault("_facts_memo", {}).setdefault("cache_keys_unpickles", {})
    got: bool | None = memo.get(mod.path)
    if got is None:
        got = memo[mod.path] = any(last_name(c.callee) == "load" and any(k.pickle_loads.search(x)
                                                                          for x in q.quals(c.callee, c.scope))
                                   for c in mod.calls)
    return got


# ===================================================================== module-level dicts and Maps
@check(RULE, on="module", roles={"app"})
def module_cache_keyed_by_user_name(mod: Module, q: Query) -> Iterator[RuleHit]:
    """A module-level dict (Python) or Map (JS) of server code written, in code that runs per request,
    with an uploaded file's name as the key."""
    k = knowledge()
    text = source(q, mod.path)
    if not text:
        return
    if mod.lang == "python":
        if _imports_streamlit(mod) or not k.item_store_line.search(text):
            return  # a Streamlit page's module-level names are per session
        yield from _python_item_stores(mod, text, q, k)
    elif "originalname" in text or "formData" in text:
        yield from _js_map_sets(mod, q, k)


def _python_item_stores(mod: Module, text: str, q: Query, k: Knowledge) -> Iterator[RuleHit]:
    containers = _containers(mod, q, runtime_knowledge())
    if not containers:
        return
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    seen: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                    and target.value.id in containers) or target.lineno in seen:
                continue
            scope = _scope_at(mod, target.lineno)
            if scope is None or binding_scope(target.value.id, scope) is not mod.scope:
                continue
            found = _request_function(scope, q)
            if found is None:
                continue
            key = _ir_key(target.slice)
            got = next((g for e in key if (g := _uploaded_name(e, scope, q, k))), None)
            if got is None or any(_safe_key(e, scope, q, k) for e in key) or _ast_safe(target.slice, k):
                continue
            seen.add(target.lineno)
            value = ast.get_source_segment(text, node.value) or ""
            holds = bool(k.content_values.search(value))
            cname = target.value.id
            yield _hit("Process-wide cache keyed by the uploaded file's name",
                       f"the module-level {cname}{_at(containers[cname])} is written in {found[0].name}(), "
                       f"{found[1]}, under {got}, the name whoever uploads chose: every user of the process reads "
                       f"and overwrites the same entries, so a second upload of a different file with that name "
                       f"{'replaces or is answered from' if holds else 'collides with'} the first user's "
                       f"{'document' if holds else 'entry'}", mod.path, target.lineno,
                       "high" if holds else "medium")


def _at(line: int) -> str:
    return f" (line {line})" if line else ""


def _scope_at(mod: Module, line: int) -> Scope | None:
    """The innermost function scope of ``mod`` spanning ``line``."""
    best: Scope | None = None
    for s in mod.scopes:
        if s.kind == "function" and s.line <= line <= (s.end_line or s.line):
            if best is None or s.line >= best.line:
                best = s
    return best


def _ir_key(node: ast.AST) -> list[Expr]:
    """The names and ``x.name`` / ``x.filename`` reads of a subscript key, as IR expressions."""
    out: list[Expr] = []
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name):
            out.append(Attr(Name(n.value.id), n.attr))
        elif isinstance(n, ast.Name):
            out.append(Name(n.id))
    return out


def _ast_safe(node: ast.AST, k: Knowledge) -> bool:
    """The key calls something that gives the content, a hash or a unique value (``md5(data)``)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Call):
            f = n.func
            name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
            if name in k.content_calls:
                return True
    return False


def _js_map_sets(mod: Module, q: Query, k: Knowledge) -> Iterator[RuleHit]:
    maps = {n for n, vals in mod.scope.bindings.items()
            if vals and all(isinstance(v, Call) and v.new and last_name(v.callee) == "Map" for v in vals)}
    if not maps or not is_server_code(q, mod):
        return
    for c in mod.calls:
        f = c.callee
        if not (isinstance(f, Attr) and f.name == "set" and isinstance(f.obj, Name) and f.obj.id in maps
                and c.args) or binding_scope(f.obj.id, c.scope) is not mod.scope:
            continue
        found = _request_function(c.scope, q)
        if found is None:
            continue
        got = _js_uploaded_name(c.args[0], c.scope, q, k)
        if got is None or _safe_key(c.args[0], c.scope, q, k):
            continue
        value = c.args[1] if len(c.args) > 1 else None
        holds = bool(value is not None and k.content_values.search(dotted(value)))
        yield _hit("Process-wide cache keyed by the uploaded file's name",
                   f"the module-level Map {f.obj.id} is set in {found[0].name or 'a handler'}(), {found[1]}, under "
                   f"{got}, the name whoever uploads chose: every user of the process reads and overwrites the same "
                   "entries, so a second upload of a different file with that name "
                   f"{'replaces or is answered from' if holds else 'collides with'} the first user's "
                   f"{'document' if holds else 'entry'}", mod.path, c.line, "high" if holds else "medium")


def _js_uploaded_name(e: Expr | None, scope: Scope, q: Query, k: Knowledge, depth: int = 0) -> str | None:
    """JS: ``file.originalname`` (multer) or the ``name`` of a file read from form data, through
    template literals, concatenation and local names."""
    if e is None or depth > MAX_DEPTH:
        return None
    if isinstance(e, Attr):
        if e.name == "originalname":
            return dotted(e)
        if e.name == "name" and _form_file(e.obj, scope, depth):
            return dotted(e)
        return None
    if isinstance(e, Tmpl):
        return next((g for p in e.parts if isinstance(p, Expr) if (g := _js_uploaded_name(p, scope, q, k, depth + 1))),
                    None)
    if isinstance(e, Bin):
        return _js_uploaded_name(e.left, scope, q, k, depth + 1) or _js_uploaded_name(e.right, scope, q, k, depth + 1)
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        if home is None or home.kind == "module":
            return None
        return next((g for b in home.bindings.get(e.id, [])[:4] if (g := _js_uploaded_name(b, home, q, k, depth + 1))),
                    None)
    return None


def _form_file(e: Expr, scope: Scope, depth: int) -> bool:
    """``formData.get("file")`` (a File), directly or through a local name or a type cast."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(e, Union):
        return any(_form_file(x, scope, depth + 1) for x in e.items)
    if isinstance(e, Call) and isinstance(e.callee, Attr) and e.callee.name in {"get", "getAll"}:
        return "formdata" in dotted(e.callee.obj).lower() or _bound_to_form(e.callee.obj, scope)
    if isinstance(e, Elem):
        return _form_file(e.obj, scope, depth + 1)
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        return home is not None and any(_form_file(b, home, depth + 1) for b in home.bindings.get(e.id, [])[:4])
    return False


def _bound_to_form(e: Expr, scope: Scope) -> bool:
    if not isinstance(e, Name):
        return False
    home = binding_scope(e.id, scope)
    return home is not None and any(isinstance(b, Call) and last_name(b.callee) == "formData"
                                    for b in home.bindings.get(e.id, [])[:4])

