"""Whole-repository resolver over the IR: what each expression may be.

``Repo.values(expr, scope)`` returns a small set of abstract values:

    ("ext", lang, qual)   an external symbol or a value derived from one ("openai.OpenAI", "ai:generateText")
    ("obj", kind, path)   an object of a kind of the knowledge table, and an attribute path on it
    ("out", what)         what a model call returned (model output)
    ("fn", scope)         a function of the repository      ("cls", ClassDef) / ("inst", ClassDef)
    ("mod", path)         a module (file) or package (folder) of the repository
    ("dict", Obj)         an object literal                  ("arr", Arr, scope) a list literal
    ("str", text)         string text ({} where a part is unknown)

It follows names through scopes and imports between modules (Python absolute/relative, JS relative and
tsconfig ``paths`` aliases), assignments (flow-insensitive), ``self.x``/``this.x`` fields and class
fields, attribute stores on other objects (``st.session_state.chain = ...``), function and method
returns, constructor results, parameters (annotation, default, the arguments of the repository's own
calls), and composition in the LangChain/LlamaIndex families. Model knowledge comes from models.yaml.
"""

from __future__ import annotations

import functools
import gc
import json
import posixpath
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..rubric import knowledge_file, read_knowledge
from .front_js import JS_SUFFIXES
from .ir import (
    Arr,
    Attr,
    Bin,
    Call,
    ClassDef,
    ClsRef,
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
    Tmpl,
    Union,
)
from .irtools import binding_scope

if TYPE_CHECKING:
    from ..collect.files import FileSet

EMPTY: frozenset[Any] = frozenset()
MAX_VALUES = 24
MAX_DEPTH = 40
MAX_PATH = 6
_NO_CUT = 1 << 30


# ------------------------------------------------------------------------------------------ knowledge
@functools.cache
def _knowledge(cls: type[Knowledge], path: Path) -> Knowledge:
    return cls(read_knowledge(path))


class Knowledge:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data  # the whole table: checks read their own sections of it (http_clients)
        self.kinds = data["kinds"]
        for spec in self.kinds.values():
            spec.setdefault("calls", {})
            spec.setdefault("returns", {})
            spec["transparent"] = set(spec.get("transparent") or [])
            spec.setdefault("send_when", {})
        self.not_names = re.compile("|".join(f"(?:{p})" for p in (data.get("not_names"), data.get("local_models")) if p)
                                    or r"^$")
        self.implicit_modules = set(data.get("implicit_modules") or [])
        self.constructors = [(re.compile(c["match"]), re.compile(c["arg0"]) if c.get("arg0") else None, c["kind"])
                             for c in data["constructors"]]
        self.functions = [(re.compile(f["match"]), f["what"], f.get("needs")) for f in data["functions"]]
        self.families = {name: {"python": re.compile(f["python"]), "js": re.compile(f["js"]),
                                "default": f["default"]} for name, f in data["families"].items()}
        self.kind_family = {"lc": "langchain", "li": "llama_index"}
        self.http = [re.compile(p) for p in data["http"]["clients"]]
        self.model_url = re.compile(data["http"]["model_url"])
        self.local_model_path = re.compile(data["http"]["local_model_path"])
        self.not_model_url = re.compile(data["http"].get("not_model_url") or r"^$")
        self.shapes = {tuple(k.split(".")): v for k, v in (data.get("shapes") or {}).items()}
        self.wrappers = set(data.get("wrappers") or [])
        # every word the table mentions: a call whose method name is none of these cannot be a model call
        # (a cheap prefilter: item.get(...), log.info(...) are never resolved)
        words: set[str] = {"__call__"} | self.wrappers
        for spec in self.kinds.values():
            for key in list(spec["calls"]) + list(spec["send_when"]):
                words.update(key.split("."))
        for f in data["functions"]:
            words.update(re.findall(r"\w+", f["match"]))
        for p in data["http"]["clients"]:
            words.update(re.findall(r"\w+", p))
        for key in self.shapes:
            words.update(key)
        words |= {"a" + w for w in words}  # the optional async prefix of the patterns (a?create)
        self.interesting = frozenset(words)
        self.callthrough = [(re.compile(c["match"]), int(c["arg"])) for c in data.get("callthrough") or []]
        self.call_sites: dict[str, Any] = data.get("call_sites") or {}  # what a model call site's facts read (llm.py)

    @classmethod
    def load(cls, path: Path | None = None) -> Knowledge:
        """The table of ``path`` (default: checklists/models.yaml), read once per process."""
        # a class is hashable; mypy checks type[...] against Hashable's instance __hash__
        return _knowledge(cls, path or knowledge_file("models.yaml"))  # type: ignore[arg-type]

    @functools.cache  # noqa: B019 - one table per run
    def constructor(self, qual: str) -> tuple[Any, ...]:
        last = re.split(r"[.:]", qual)[-1]
        if self.not_names.search(last):
            return ()
        return tuple((arg0, kind) for rx, arg0, kind in self.constructors if rx.search(qual))

    @functools.cache  # noqa: B019 - one table per run
    def function(self, qual: str) -> tuple[str, str | None] | None:
        for rx, what, needs in self.functions:
            if rx.search(qual):
                return what, needs
        return None

    @functools.cache  # noqa: B019 - one table per run
    def family(self, lang: str, qual: str) -> str | None:
        for name, f in self.families.items():
            if f["python" if lang == "python" else "js"].search(qual):
                family: str = name
                return family
        return None

    @functools.cache  # noqa: B019 - one table per run
    def is_http(self, qual: str) -> bool:
        return any(rx.search(qual) for rx in self.http)

    def family_of_kind(self, kind: str) -> str | None:
        return self.kind_family.get(kind.split(".", 1)[0])


STEPS = {
    "import.python": "Python import of a module of the repository (absolute from any enclosing folder, relative)",
    "import.js": "JS/TS relative import/require of a module of the repository",
    "import.alias": "JS/TS import through a tsconfig/jsconfig paths alias (@/lib/x) or the bare @/ convention",
    "field": "self.x / this.x assignments and class fields, read through an instance",
    "property": "@property / get accessor: its return value",
    "store": "attribute or item stored on another object (st.session_state.x = ..., bp.client = ...)",
    "return": "a function's or method's return values at its call (factories, this.helper())",
    "constructor": "calling a class of the repository gives an instance of it",
    "param.default": "a parameter's default value",
    "annotation": "a parameter's or class attribute's type annotation names an SDK class: an instance of it",
    "constructor.kwargs": "a class without __init__ (dataclass, pydantic): constructor keywords become fields",
    "implicit.import": "a Python name bound nowhere that is an SDK module's name (exec'd plugins, injected imports)",
    "param.callers": "a parameter's values: the arguments at the repository's own calls of the function",
    "composition": "LangChain/LlamaIndex object built from a model (LCEL |, .pipe, from_llm, agents)",
    "wrapper": "object literal whose call/invoke/... forwards to a model is used like one",
    "shape": "distinctive call path (chat.completions.create) on a receiver that resolves to nothing",
    "super": "super() / super in a method: the base classes' members",
}
"""Resolution steps beyond plain local names and SDK constructors; each can be switched off (ablation)."""


# --------------------------------------------------------------------------------------- file system
MAX_BYTES = 1_000_000
MAX_LINE = 5_000
"""A JS/TS file with a line longer than this is minified or generated: not parsed."""


def is_source(path: str) -> bool:
    """A file the engine parses: Python, or JS/TS that is not a type declaration (``.d.ts``)."""
    return path.endswith(".py") or (path.endswith(JS_SUFFIXES) and not path.endswith(".d.ts"))


def _json_loose(text: str) -> dict[str, Any]:
    text = re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', lambda m: m.group(1) or "", text, flags=re.DOTALL)
    text = re.sub(r",(\s*[}\]])", r"\1", text)
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


_ITERATING = {"list", "tuple", "sorted", "reversed", "iter", "set", "enumerate", "zip", "frozenset"}


class _Const(Expr):
    """An expression whose values are given (used to 'construct' an annotated type)."""

    __slots__ = ("v",)

    def __init__(self, v: tuple[Any, ...]) -> None:
        self.v = v


def _stable(x: Any) -> str:
    """A key for an abstract value that is the same in every run (value sets iterate in hash order,
    and IR objects hash by address): what a capped set keeps must not change between runs."""
    if isinstance(x, tuple):
        return "(" + ",".join(_stable(i) for i in x) + ")"
    if isinstance(x, (frozenset, set)):
        return "{" + ",".join(sorted(_stable(i) for i in x)) + "}"
    if isinstance(x, (Scope, ClassDef)):
        return f"{type(x).__name__}:{x.module.path}:{x.line}:{x.name}"
    if isinstance(x, Obj):
        return f"Obj:{x.scope.module.path}:{x.scope.line}:{','.join(str(k) for k, _ in x.items)}"
    if isinstance(x, Expr):
        return f"{type(x).__name__}:{getattr(x, 'line', '')}:{getattr(x, 'name', '')}:{getattr(x, 'id', '')}"
    if isinstance(x, Module):
        return f"Module:{x.path}"
    return repr(x)


def _identity(x: Any) -> str:
    """A short key that tells abstract values apart within one analysis (IR objects by identity): never
    ``repr``, which prints an IR object's whole graph (a scope, its module, every scope of the module...):
    minutes and gigabytes on a 400-file repository whose imported names resolve to functions."""
    if isinstance(x, tuple):
        return "(" + ",".join(_identity(i) for i in x) + ")"
    if isinstance(x, (frozenset, set)):
        return "{" + ",".join(sorted(_identity(i) for i in x)) + "}"
    if isinstance(x, (str, int, float, bool, type(None))):
        return repr(x)
    return f"{type(x).__name__}@{id(x):x}"


def _capped(out: Iterable[Any], cap: int) -> frozenset[Any]:
    """``out`` as a frozenset of at most ``cap`` values, the same ones in every run."""
    out = out if isinstance(out, (set, frozenset)) else set(out)
    if len(out) <= cap:
        return frozenset(out)
    return frozenset(sorted(out, key=_stable)[:cap])


def _call_order(c: Call) -> tuple[Any, ...]:
    return c.scope.module.path, c.line, c.text


# ------------------------------------------------------------------------------------------- the repo
class Repo:
    def __init__(self, root: Path, knowledge: Knowledge | None = None, disabled: Iterable[str] = ()) -> None:
        self.root = Path(root)
        self.disabled = set(disabled)
        self.prefilter = True
        """Skip a call ``obj.name(...)`` when ``name`` is a word the knowledge table never mentions and no
        object of the repository ever stores an attribute of that name (``st.session_state.chain = ...``,
        ``self.llm = ...``): ``log.info(...)``, ``item.get(...)`` are then never resolved. Measured on
        the 30 labelled repositories: the same call sites, in an eighth of the time."""
        self._stored: frozenset[str] | None = None
        self._js_modules: dict[tuple[str, str], str | None] = {}
        self._py_modules: dict[tuple[str, int, str], str | None] = {}
        self.k = knowledge or Knowledge.load()
        self.modules: dict[str, Module] = {}
        self.dirs: set[str] = {""}
        self.tsconfigs: dict[str, dict[str, Any]] = {}
        self.errors: dict[str, str] = {}
        self._memo: dict[Any, Any] = {}
        self._active: dict[tuple[int, int], int] = {}
        """The queries under evaluation -> their stack position (``_depth`` when they started)."""
        self._depth = 0
        self._low = _NO_CUT
        """The outermost stack position a cycle or the depth limit cut back to under the current query."""
        self._building: dict[str, int] = {}
        self._scratch: dict[Any, Any] = {}
        """Partial results (a cut reached an outer query) -> (value, that query's stack position)."""
        self._scratch_by_low: dict[int, list[Any]] = {}
        self._scratch_low = _NO_CUT
        self._stores: dict[str, list[Any]] | None = None
        self._calls_by_name: dict[str, list[Call]] | None = None
        self._site_memo: dict[int, tuple[Any, ...] | None] = {}
        self._contains_memo: dict[int, bool] = {}
        self.steps_used: dict[str, int] = {}

    # ---------------------------------------------------------------------------------- loading
    def release(self) -> None:
        """Break the IR's reference cycles (scope <-> call, scope <-> module, class <-> scope), so that
        reference counting frees it at once. Letting the cyclic collector find it instead walks every
        object of the IR first (measured: 1.4 s for 3,000 files, against 0.3 s this way). The Repo is
        unusable afterwards."""
        for m in self.modules.values():
            for s in m.scopes:
                s.__dict__.clear()
            for c in m.classes:
                c.__dict__.clear()
            for st in m.stores:
                st.__dict__.clear()
            if m.scope is not None:
                m.scope.__dict__.clear()
            m.__dict__.clear()
        self.__dict__.clear()

    def load_files(self, files: FileSet, progress: Callable[[str], None] | None = None,
                   on_parsed: Callable[[str, str, Module], None] | None = None) -> list[str]:
        """Lower every Python and JS/TS file of a FileSet (the audit's way in: committed files, read
        through git's object store when missing from the tree). Returns one line per file not parsed.

        ``on_parsed(path, text, module)`` is called for every parsed file while ``module.syntax`` still
        holds its parse tree (the complexity collector reuses it: one parse per file); the tree is
        dropped afterwards."""
        errors: list[str] = []
        from .front_js import lower_js
        from .front_py import lower_python

        for f in files.files:
            d = posixpath.dirname(f.path)
            while d not in self.dirs:
                self.dirs.add(d)
                d = posixpath.dirname(d)
            if f.name in {"tsconfig.json", "jsconfig.json"} and f.size <= MAX_BYTES:
                text = files.read_text(f)
                if text is not None:
                    self.tsconfigs[posixpath.dirname(f.path)] = _json_loose(text)
        sources = [f for f in files.files if is_source(f.path)]
        gc_was = gc.isenabled()
        gc.disable()  # the IR is many small objects kept to the end: collection passes only cost
        try:
            for i, f in enumerate(sources, 1):
                if progress and i % 500 == 0:
                    progress(f"code: parsed {i}/{len(sources)} source files")
                if f.size > MAX_BYTES:
                    errors.append(f"{f.path}: not parsed (larger than {MAX_BYTES // 1_000_000} MB)")
                    continue
                if f.suffix != ".py" and re.search(r"[.-]min\.[mc]?js$", f.path):
                    errors.append(f"{f.path}: not parsed (minified)")
                    continue
                text = files.read_text(f)
                if text is None:
                    errors.append(f"{f.path}: not parsed (unreadable, binary or a link)")
                    continue
                try:
                    if f.suffix == ".py":
                        mod = lower_python(f.path, text)
                    else:
                        longest = max((len(x) for x in text.splitlines()), default=0) if len(text) > MAX_LINE else 0
                        if longest > MAX_LINE:
                            errors.append(f"{f.path}: not parsed (minified or generated: a line of {longest} chars)")
                            continue
                        mod = lower_js(f.path, text.encode("utf-8", "surrogatepass"))
                except RecursionError:
                    errors.append(f"{f.path}: not analysed (nesting too deep)")
                    continue
                if mod.error and mod.error_line:  # a Python syntax error: path:line: SyntaxError: message
                    errors.append(f"{f.path}:{mod.error_line}: {mod.error}")
                elif mod.error:
                    errors.append(f"{f.path}: not parsed ({mod.error})")
                elif on_parsed is not None:
                    on_parsed(f.path, text, mod)
                mod.syntax = None
                self._add(mod)
        finally:
            if gc_was:
                gc.enable()
        return errors

    def _add(self, mod: Module) -> None:
        if mod.error:
            self.errors[mod.path] = mod.error
        self.modules[mod.path] = mod
        self._py_modules.clear()

    # --------------------------------------------------------------------------- module lookup
    def _py_module(self, spec: str, level: int, importer: str) -> str | None:
        """The repository module (or package folder) ``import spec`` names in ``importer``, memoised by
        the importer's folder (every module of a folder resolves an import alike)."""
        key = (spec, level, posixpath.dirname(importer))
        if key in self._py_modules:
            return self._py_modules[key]
        got = self._py_modules[key] = self._find_py_module(spec, level, importer)
        return got

    def _find_py_module(self, spec: str, level: int, importer: str) -> str | None:
        parts = [p for p in spec.split(".") if p] if spec else []
        if level:
            base = posixpath.dirname(importer)
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            roots = [base]
        else:
            roots = []
            d = posixpath.dirname(importer)
            while True:
                roots.append(d)
                if not d:
                    break
                d = posixpath.dirname(d)
            roots += [r for r in ("src",) if r in self.dirs]
        for root in roots:
            p = posixpath.join(root, *parts) if parts else root
            if p + ".py" in self.modules:
                return p + ".py"
            if posixpath.join(p, "__init__.py") in self.modules:
                return posixpath.join(p, "__init__.py")
            if parts and p in self.dirs:
                return p
        return None

    def _tsconfig_for(self, path: str) -> tuple[str, dict[str, Any]] | None:
        d = posixpath.dirname(path)
        while True:
            if d in self.tsconfigs:
                return d, self.tsconfigs[d]
            if not d:
                return None
            d = posixpath.dirname(d)

    def _js_file(self, base: str) -> str | None:
        base = posixpath.normpath(base)
        if base.startswith(".."):
            return None
        base = "" if base == "." else base
        stem, ext = posixpath.splitext(base)
        cands = [base] + [base + s for s in JS_SUFFIXES] + [posixpath.join(base, "index" + s) for s in JS_SUFFIXES]
        if ext in {".js", ".jsx", ".mjs", ".cjs"}:  # TS sources imported with their compiled suffix
            cands += [stem + s for s in (".ts", ".tsx", ".mts", ".cts")]
        for c in cands:
            if c in self.modules:
                return c
        return None

    def js_module(self, spec: str, importer: str) -> str | None:
        """The repository file a JS/TS import specifier names (memoised per Repo: a class-level cache
        would keep every Repo, and its whole IR, alive for the life of the process)."""
        key = (spec, importer)
        if key not in self._js_modules:
            self._js_modules[key] = self._js_module(spec, importer)
        return self._js_modules[key]

    def _js_module(self, spec: str, importer: str) -> str | None:
        if spec.startswith("."):
            return self._js_file(posixpath.join(posixpath.dirname(importer), spec))
        cfg = self._tsconfig_for(importer)
        if cfg is not None:
            cdir, data = cfg
            opts = data.get("compilerOptions") or {}
            base = posixpath.normpath(posixpath.join(cdir, opts.get("baseUrl") or "."))
            for pattern, targets in (opts.get("paths") or {}).items():
                if not isinstance(targets, list):
                    continue
                if pattern.endswith("*") and spec.startswith(pattern[:-1]):
                    rest = spec[len(pattern) - 1:]
                elif pattern == spec:
                    rest = ""
                else:
                    continue
                for t in targets:
                    hit = self._js_file(posixpath.join(base, str(t).replace("*", rest)))
                    if hit:
                        return hit
            if opts.get("baseUrl"):
                hit = self._js_file(posixpath.join(base, spec))
                if hit:
                    return hit
        if spec.startswith(("@/", "~/")):  # the common alias, without a tsconfig saying so
            d = posixpath.dirname(importer)
            while True:
                for sub in ("", "src"):
                    hit = self._js_file(posixpath.join(d, sub, spec[2:]))
                    if hit:
                        return hit
                if not d:
                    break
                d = posixpath.dirname(d)
        return None

    # ------------------------------------------------------------------------------ values API
    def on(self, step: str, count: bool = True) -> bool:
        """Whether a resolution step is enabled (an ablation switches steps off); counts its uses."""
        if step in self.disabled:
            return False
        if count:
            self.steps_used[step] = self.steps_used.get(step, 0) + 1
        return True

    def values(self, expr: Expr | None, scope: Scope) -> frozenset[Any]:
        if expr is None:
            return EMPTY
        if isinstance(expr, _Const):
            return frozenset({expr.v})
        key = (id(expr), id(scope))
        hit: frozenset[Any] | None = self._memo.get(key)
        if hit is not None:
            return hit
        held: tuple[frozenset[Any], int] | None = self._scratch.get(key)
        if held is not None:  # partial, computed under the outer query at ``held[1]``, still running
            self._low = min(self._low, held[1])
            return held[0]
        at = self._active.get(key)
        if at is not None or self._depth > MAX_DEPTH:
            # a cycle back to the query at stack position ``at``, or the depth limit (as deep as the
            # outermost query): the results between here and there are partial
            self._low = min(self._low, at if at is not None else 0)
            return EMPTY
        pos, outer_low = self._depth, self._low
        self._low = _NO_CUT
        self._active[key] = pos
        self._depth += 1
        try:
            found = self._values(expr, scope)
        finally:
            self._depth -= 1
            del self._active[key]
            low, self._low = self._low, outer_low
        out = _capped(found, MAX_VALUES)
        if self._scratch_low <= pos:
            self._drop_scratch(pos)
        if low >= pos:
            self._memo[key] = out
        else:
            self._keep_scratch(key, out, low)
            # A cycle or the depth limit cut this evaluation short at an outer query still running:
            # ``out`` depends on the path the outer query came by, and that path follows the iteration
            # order of value sets (IR objects hash by address, so it changes between runs). Memoised, it
            # would answer later queries from other paths with what one path saw: code found in one run
            # and missed in the next (issue 9, gpt-researcher's /ws). Only results whose cuts all close
            # at or below this query are kept (the head of a cycle keeps its value; its members do not).
            # Until that outer query ends, the partial result is reused (``_scratch``): without it, a
            # large cycle is walked again along every path into it.
            self._low = min(self._low, low)
        return out

    def _keep_scratch(self, key: tuple[Any, ...], value: Any, low: int) -> None:
        self._scratch[key] = (value, low)
        self._scratch_by_low.setdefault(low, []).append(key)
        self._scratch_low = min(self._scratch_low, low)

    def _drop_scratch(self, pos: int) -> None:
        """Forget the partial results that depend on queries at stack position ``pos`` or deeper (the
        query at ``pos`` has just ended)."""
        for low in [lw for lw in self._scratch_by_low if lw >= pos]:
            for k in self._scratch_by_low.pop(low):
                self._scratch.pop(k, None)
        self._scratch_low = min(self._scratch_by_low, default=_NO_CUT)

    def _values(self, e: Expr, scope: Scope) -> set[Any]:
        if isinstance(e, _Const):
            return {e.v}
        if isinstance(e, Name):
            return self.lookup(e.id, scope)
        if isinstance(e, Attr):
            out = set()
            for v in self.values(e.obj, scope):
                out |= self.attr(v, e.name)
            out |= self.heap(e, scope)
            return out
        if isinstance(e, Call):
            return self.call_result(e, scope)
        if isinstance(e, Lit):
            return {("str", e.value)} if isinstance(e.value, str) else set()
        if isinstance(e, Tmpl):
            return {("str", t) for t in self.texts(e, scope)}
        if isinstance(e, Bin):
            if e.op == "|":
                return self.compose(self.values(e.left, scope) | self.values(e.right, scope), EMPTY, member=False)
            if e.op in {"+", "%"}:
                return {("str", t) for t in self.texts(e, scope)}
            return set()
        if isinstance(e, Union):
            out = set()
            for item in e.items:
                out |= self.values(item, scope)
            return out
        if isinstance(e, Obj):
            return {("dict", e)}
        if isinstance(e, Arr):
            return {("arr", e, scope)}
        if isinstance(e, Elem):
            out = set()
            for v in self.values(e.obj, scope):
                if v[0] == "arr":
                    for item in v[1].items:
                        out |= self.values(item, v[2])
                elif v[0] == "out":
                    out.add(v)
                elif v[0] == "dict":  # table[key] with a key we cannot know: any of its values
                    for _k, item in v[1].items:
                        out |= self.values(item, v[1].scope)
                elif v[0] == "iter":
                    out |= set(v[1])
            return out
        if isinstance(e, Fn):
            return {("fn", e.scope)}
        if isinstance(e, ClsRef):
            return {("cls", e.cls)}
        if isinstance(e, Imp):
            return self.import_values(e, scope.module)
        if isinstance(e, Param):
            return self.param_values(e)
        return set()

    def texts(self, e: Expr, scope: Scope, depth: int = 0) -> set[str]:
        """Possible texts of a string expression; an unknown part is written {NAME} after the name it
        was read from ({OLLAMA_URL}), or {}. An options object gives the URL it describes
        (host/hostname/baseURL + path, or url)."""
        if depth > 6:
            return {"{}"}
        if isinstance(e, Lit):
            return {e.value} if isinstance(e.value, str) else {"{}"}
        if isinstance(e, Obj):
            keys = {k: v for k, v in e.items if k}
            host = next((keys[k] for k in ("url", "baseURL", "baseUrl", "hostname", "host") if k in keys), None)
            if host is not None:
                base = self.texts(host, scope, depth + 1)
                path = self.texts(keys["path"], scope, depth + 1) if "path" in keys else {""}
                return {b + p for b in sorted(base)[:3] for p in sorted(path)[:3]}
            return {"{}"}
        if isinstance(e, Tmpl):
            acc = {""}
            for p in e.parts:
                opts = {p} if isinstance(p, str) else self.texts(p, scope, depth + 1)
                acc = {a + b for a in acc for b in sorted(opts)[:3]}
                if len(acc) > 6:
                    acc = set(sorted(acc)[:6])
            return acc
        if isinstance(e, Bin) and e.op in {"+", "%"}:
            left = self.texts(e.left, scope, depth + 1)
            right = self.texts(e.right, scope, depth + 1) if e.op == "+" else {""}
            return {a + b for a in sorted(left)[:3] for b in sorted(right)[:3]}
        out = set()
        for v in self.values(e, scope):
            if v[0] == "str" and isinstance(v[1], str):
                out.add(v[1])
            elif v[0] == "dict" and depth < 6:
                out |= {t for t in self.texts(v[1], v[1].scope, depth + 1) if t != "{}"}
        if out:
            return out
        hint = e.id if isinstance(e, Name) else e.name if isinstance(e, Attr) else ""
        return {"{" + hint + "}"}

    # --------------------------------------------------------------------------------- names
    def lookup(self, name: str, scope: Scope) -> set[Any]:
        home = binding_scope(name, scope)
        if home is not None:
            out: set[Any] = set()
            for e in home.bindings[name]:
                out |= self.values(e, home)
            return out
        if name == "super" and self.on("super", count=False):
            got = self.super_values(scope)
            if got:
                self.on("super")
            return got
        if scope.module.lang == "python":
            if name in self.k.implicit_modules and self.on("implicit.import"):
                return {("ext", "python", name)}
            return set()
        if scope.module.lang == "js":
            if name == "this":
                return self.this_values(scope)
            if name in {"require", "import"}:
                return {("ext", "js", ":" + name)}
            return {("ext", "js", ":" + name)}
        return set()

    def super_values(self, scope: Scope) -> set[Any]:
        """``super()`` (Python) / ``super`` (JS) in a method: an instance of each base class of the
        enclosing class, so ``super().ask(q)`` reaches the base's ``ask`` (its ``self`` is then read as
        the base's instance: fields the subclass adds are not seen there)."""
        out: set[Any] = set()
        for v in self.this_values(scope):
            if v[0] in {"inst", "cls"}:
                cls = v[1]
                for b in cls.bases:
                    for bv in self.values(b, cls.scope.parent or cls.scope):
                        if bv[0] == "cls":
                            out.add((v[0], bv[1]))
        return out

    def this_values(self, scope: Scope) -> set[Any]:
        s: Scope | None = scope
        while s is not None:
            if s.kind == "class" and s.cls is not None:
                return {("inst", s.cls)}
            if s.kind == "function" and not s.arrow:
                if s.cls is not None:
                    return {("cls", s.cls)} if s.static else {("inst", s.cls)}
                if s.obj is not None:
                    return {("dict", s.obj)}
                return set()
            s = s.parent
        return set()

    def import_values(self, imp: Imp, mod: Module) -> set[Any]:
        if mod.lang == "python":
            target = self._py_module(imp.spec, imp.level, mod.path)
            if target is None:
                if imp.level or not imp.spec:
                    return set()
                qual = imp.spec if imp.name is None else f"{imp.spec}.{imp.name}"
                return {("ext", "python", qual)}
            if not self.on("import.python"):
                return set()
            if imp.name is None:
                return {("mod", target)}
            return self.module_attr(target, imp.name)
        target = self.js_module(imp.spec, mod.path)
        if target is None:
            if imp.spec.startswith((".", "/")) or imp.spec.startswith(("@/", "~/")):
                return set()
            if imp.name is None:
                return {("ext", "js", imp.spec + ":")}
            return {("ext", "js", f"{imp.spec}:{imp.name}")}
        if not self.on("import.js" if imp.spec.startswith(".") else "import.alias"):
            return set()
        if imp.name is None:
            return {("mod", target)}
        return self.js_export(target, imp.name, set())

    def js_export(self, path: str, name: str, seen: set[Any]) -> set[Any]:
        if (path, name) in seen:
            return set()
        seen.add((path, name))
        mod = self.modules.get(path)
        if mod is None:
            return set()
        if name in mod.exports:
            return set(self.values(mod.exports[name], mod.scope))
        out: set[Any] = set()
        for spec, n, alias in mod.reexports:
            target = self.js_module(spec, path)
            if n is not None and alias == name:
                if target is not None:
                    out |= self.js_export(target, n, seen)
                elif not spec.startswith("."):
                    out.add(("ext", "js", f"{spec}:{n}"))
            elif n is None and alias is None and target is not None:
                out |= self.js_export(target, name, seen)
        if not out and name != "default" and "default" in mod.exports:
            for v in self.values(mod.exports["default"], mod.scope):
                if v[0] == "dict":
                    out |= self.attr(v, name)
        return out

    def module_attr(self, path: str, name: str) -> set[Any]:
        mod = self.modules.get(path)
        if mod is not None:
            if mod.lang == "js":
                return self.js_export(path, name, set())
            if name in mod.scope.bindings:
                out: set[Any] = set()
                for e in mod.scope.bindings[name]:
                    out |= self.values(e, mod.scope)
                return out
            pkg = posixpath.dirname(path) if path.endswith("__init__.py") else None
        else:
            pkg = path
        if pkg is not None:
            sub = posixpath.join(pkg, name)
            if sub + ".py" in self.modules:
                return {("mod", sub + ".py")}
            if posixpath.join(sub, "__init__.py") in self.modules:
                return {("mod", posixpath.join(sub, "__init__.py"))}
            if sub in self.dirs:
                return {("mod", sub)}
        return set()

    # ---------------------------------------------------------------------------- attributes
    def attr(self, v: tuple[Any, ...], name: str, depth: int = 0) -> set[Any]:
        tag = v[0]
        if tag == "ext":
            lang, qual = v[1], v[2]
            if qual.count(".") > 10:
                return set()
            if lang == "js":
                if qual.endswith(":"):
                    return {("ext", lang, qual + name)}
                if qual.endswith(":default"):
                    return {("ext", lang, f"{qual}.{name}"), ("ext", lang, qual[:-7] + name)}
            return {("ext", lang, f"{qual}.{name}")}
        if tag == "obj":
            spec = self.k.kinds.get(v[1], {})
            if name in spec.get("transparent", ()):
                return {v}
            if len(v[2]) >= MAX_PATH:
                return set()
            return {("obj", v[1], v[2] + (name,))}
        if tag == "inst":
            return self.member(v[1], name, instance=True)
        if tag == "cls":
            return self.member(v[1], name, instance=False)
        if tag == "mod":
            return self.module_attr(v[1], name)
        if tag == "dict":
            out: set[Any] = set()
            obj: Obj = v[1]
            for k, item in obj.items:
                if k == name:
                    out |= self.values(item, obj.scope)
                elif k is None and depth < 4:  # a spread: {...base, key: value}
                    for sv in self.values(item, obj.scope):
                        if sv != v:
                            out |= self.attr(sv, name, depth + 1)
            return out
        if tag == "out":
            return {v}
        return set()

    def _mro(self, cls: ClassDef, seen: set[Any] | None = None) -> list[ClassDef]:
        seen = seen if seen is not None else set()
        if id(cls) in seen:
            return []
        seen.add(id(cls))
        out = [cls]
        for b in cls.bases:
            for bv in self.values(b, cls.scope.parent or cls.scope):
                if bv[0] == "cls":
                    out += self._mro(bv[1], seen)
        return out

    def member(self, cls: ClassDef, name: str, instance: bool) -> set[Any]:
        out: set[Any] = set()
        for c in self._mro(cls):
            if name in c.fields and self.on("field"):
                for value, scope in c.fields[name]:
                    out |= self.values(value, scope)
            m = c.methods.get(name)
            if m is not None:
                if {"property", "cached_property", "get"} & set(m.decorators):
                    if self.on("property"):
                        out |= self.returns(m)
                else:
                    out.add(("fn", m))
            if out:
                break
        if not instance:
            return out
        for c in self._mro(cls):
            if name in c.annotations and self.on("annotation", count=False):
                got = self.construct(c.annotations[name], c.scope)
                if got:
                    self.on("annotation")
                    out |= got
                    break
        if out:
            return out
        if not any("__init__" in c.methods or "constructor" in c.methods for c in self._mro(cls)) \
                and self.on("constructor.kwargs", count=False):
            for call in self.callers(cls.name, ("cls", cls)):
                if name in call.kwargs:
                    passed = self.values(call.kwargs[name], call.scope)
                    if passed:
                        self.on("constructor.kwargs")
                    out |= passed
        return out

    def construct(self, annotation: Expr, scope: Scope) -> set[Any]:
        """The values an annotation names: an instance of the SDK class or repository class."""
        out: set[Any] = set()
        for v in self.values(annotation, scope):
            if v[0] == "ext":
                out |= {x for x in self.call_result(Call(_Const(v), [], {}, 0, 0, False, scope, ""), scope)
                        if x[0] == "obj"}
            elif v[0] == "cls":
                out.add(("inst", v[1]))
        return out

    def access_key(self, e: Expr, scope: Scope, depth: int = 0) -> tuple[Any, ...] | None:
        """Identity of an access path (``st.session_state.chain``), for matching stores with reads."""
        if depth > 8:
            return None
        if isinstance(e, Attr):
            base = self.access_key(e.obj, scope, depth + 1)
            return None if base is None else base + (e.name,)
        if isinstance(e, Name):
            s: Scope | None = scope
            while s is not None:
                if e.id in s.bindings:
                    binds = s.bindings[e.id]
                    if binds and all(isinstance(b, Imp) for b in binds):
                        vals = self.values(binds[0], s)
                        return (("imp", tuple(sorted(map(_identity, vals)))),) if vals else None
                    if s.kind == "function" and s.self_name == e.id and s.cls is not None:
                        return (("inst", id(s.cls)),)
                    return (("var", id(s), e.id),)
                s = s.parent
            if e.id == "this":
                tv = self.this_values(scope)
                return (("this", tuple(sorted(id(x[1]) for x in tv))),) if tv else None
            return (("global", scope.module.lang, e.id),)
        return None

    def heap(self, e: Attr, scope: Scope) -> set[Any]:
        if self._stores is None:
            self._stores = {}
            for mod in self.modules.values():
                for st in mod.stores:
                    self._stores.setdefault(st.name, []).append(st)
        cands = self._stores.get(e.name)
        if not cands or not self.on("store", count=False):
            return set()
        key = self.access_key(e.obj, scope)
        if key is None:
            return set()
        out: set[Any] = set()
        for st in cands:
            if self.access_key(st.target, st.scope) == key:
                self.on("store")
                out |= self.values(st.value, st.scope)
        return out

    # --------------------------------------------------------------------------------- calls
    def returns(self, fs: Scope) -> set[Any]:
        out: set[Any] = set()
        for r in fs.returns:
            out |= self.values(r, fs)
        return out

    def carries(self, vals: Iterable[Any], what: str, depth: int = 0) -> bool:
        if depth > 3:
            return False
        for v in vals:
            if v[0] == "obj" and self.k.kinds.get(v[1], {}).get("carries") == what and not v[2]:
                return True
            if v[0] == "dict" and self.carries(
                    (x for _, item in v[1].items for x in self.values(item, v[1].scope)), what, depth + 1):
                return True
            if v[0] == "arr" and self.carries(
                    (x for item in v[1].items for x in self.values(item, v[2])), what, depth + 1):
                return True
        return False

    def arg_values(self, call: Call, scope: Scope) -> list[frozenset[Any]]:
        return [self.values(a, scope) for a in call.args] + [self.values(v, scope) for v in call.kwargs.values()]

    def compose(self, parts: frozenset[Any] | set[Any], receiver: frozenset[Any] | set[Any], family: str = "langchain",
                member: bool = True) -> set[Any]:
        """A LangChain/LlamaIndex composition: carries a model when any part does. ``member``: the
        result is a family object even without a model (a call into the family, a method of one of
        its objects); otherwise (``a | b``) only when an operand is one."""
        allv = set(parts) | set(receiver)
        if self.carries(allv, "model") and self.on("composition"):
            return {("obj", "lc.chain" if family == "langchain" else "li.engine", ())}
        if family == "langchain" and self.carries(allv, "embedder") and self.on("composition"):
            return {("obj", "lc.vectorstore", ())}
        fam_kinds = {v[1] for v in allv if v[0] == "obj"}
        if member or any(self.k.family_of_kind(kd) for kd in fam_kinds):
            return {("obj", self.k.families[family]["default"], ())}
        return set()

    def elements(self, vals: Iterable[Any]) -> frozenset[Any]:
        out: set[Any] = set()
        for v in vals:
            if v[0] == "arr":
                for item in v[1].items:
                    out |= self.values(item, v[2])
            elif v[0] == "dict":
                for _k, item in v[1].items:
                    out |= self.values(item, v[1].scope)
            elif v[0] == "iter":
                out |= set(v[1])
            elif v[0] == "out":
                out.add(v)
        return _capped(out, MAX_VALUES)

    def call_result(self, call: Call, scope: Scope) -> set[Any]:
        out: set[Any] = set()
        if (scope.module.lang == "python" and isinstance(call.callee, Name) and call.args
                and call.callee.id in _ITERATING and not self.lookup(call.callee.id, scope)):
            # list(x), sorted(x), enumerate(x), zip(a, b): what they iterate flows through
            elems = self.elements(set().union(*(self.values(a, scope) for a in call.args)))
            if call.callee.id in {"enumerate", "zip"}:
                return {("iter", frozenset({("iter", elems)}))}
            return {("iter", elems)}
        if isinstance(call.callee, Name) and call.callee.id == "super" and not call.args \
                and binding_scope("super", scope) is None:
            return self.lookup("super", scope)  # super(): the base classes' instance
        callee = self.values(call.callee, scope)
        for v in callee:
            tag = v[0]
            if tag == "ext":
                lang, qual = v[1], v[2]
                if lang == "python" and qual in {"typing.cast", "typing_extensions.cast"} and len(call.args) > 1:
                    out |= self.values(call.args[1], scope)
                    continue
                if lang == "js" and qual in {":require", ":import"} and call.args and isinstance(call.args[0], Lit):
                    spec = str(call.args[0].value)
                    target = self.js_module(spec, scope.module.path)
                    if target is not None:
                        out.add(("mod", target))
                        out |= self.js_export(target, "default", set())
                    else:
                        out.add(("ext", "js", f"{spec}:default"))
                    continue
                ctor = self.k.constructor(qual)
                made = False
                for arg0, kind in ctor:
                    if arg0 is not None:
                        texts = self.texts(call.args[0], scope) if call.args else set()
                        if not any(arg0.search(t) for t in texts):
                            continue
                    out.add(("obj", kind, ()))
                    made = True
                fn = self.k.function(qual)
                if fn is not None and not made:
                    out.add(("out", fn[0]))
                    made = True
                if made:
                    continue
                fam = self.k.family(lang, qual)
                if fam is not None:
                    parts = set().union(*self.arg_values(call, scope)) if call.args or call.kwargs else set()
                    named = any(k in {"model", "llm"} for k in call.options())
                    if named and self.on("composition"):  # create_agent(model="openai:gpt-4o"), model named
                        out.add(("obj", "lc.chain", ()))
                        continue
                    out |= self.compose(parts, set(), fam)
                    continue
                if qual.count("(") < 3:
                    out.add(("ext", lang, qual + "()"))
            elif tag == "obj":
                kind, path = v[1], v[2]
                spec = self.k.kinds.get(kind, {})
                p = ".".join(path) if path else "__call__"
                if p in spec["calls"]:
                    out.add(("out", spec["calls"][p]))
                elif p in spec["returns"]:
                    out.add(("obj", spec["returns"][p], ()))
                elif path and (fam := self.k.family_of_kind(kind)):
                    recv = {("obj", kind, ())} if len(path) == 1 else set()
                    out |= self.compose(set().union(*self.arg_values(call, scope)) if call.args or call.kwargs
                                        else set(), recv, fam)
            elif tag == "fn":
                if self.on("return"):
                    out |= self.returns(v[1])
            elif tag == "cls":
                if self.on("constructor"):
                    out.add(("inst", v[1]))
            elif tag == "inst":
                m = None
                for c in self._mro(v[1]):
                    m = c.methods.get("__call__")
                    if m:
                        break
                if m is not None:
                    out |= self.returns(m)
        return out

    # ---------------------------------------------------------------------------- parameters
    def callers(self, name: str, target: tuple[Any, ...]) -> list[Call]:
        """The repository's calls whose callee is ``target`` (a function or class), found among the
        calls spelled with the same last name; each name's callees are resolved once."""
        if self._calls_by_name is None:
            self._calls_by_name = {}
            for mod in self.modules.values():
                for c in mod.calls:
                    last = c.callee.name if isinstance(c.callee, Attr) else (
                        c.callee.id if isinstance(c.callee, Name) else None)
                    if last:
                        self._calls_by_name.setdefault(last, []).append(c)
            self._callers_index: dict[Any, dict[Any, Any]] = {}
        index = self._callers_index.get(name)
        held = self._scratch.get(("callers", name)) if index is None else None
        if held is not None:
            self._low = min(self._low, held[1])
            index = held[0]
        if index is None:
            at = self._building.get(name)
            if at is not None:  # asked again while its index is built: partial, like a cycle
                self._low = min(self._low, at)
                return []
            index = {}
            pos, outer_low = self._depth, self._low
            self._low = _NO_CUT
            self._building[name] = pos
            self._depth += 1
            try:
                for c in self._calls_by_name.get(name, []):
                    for v in self.values(c.callee, c.scope):
                        if v[0] in {"fn", "cls"}:
                            index.setdefault(v, []).append(c)
            finally:
                self._depth -= 1
                del self._building[name]
                low, self._low = self._low, outer_low
            if self._scratch_low <= pos:
                self._drop_scratch(pos)
            if low >= pos:  # an index an outer cut touched is not kept (see ``values``)
                self._callers_index[name] = index
            else:
                self._keep_scratch(("callers", name), index, low)
                self._low = min(self._low, low)
        return sorted(index.get(target, []), key=_call_order)

    def param_values(self, p: Param) -> set[Any]:
        fs = p.scope
        if fs.self_name == p.name and fs.cls is not None:
            if "classmethod" in fs.decorators:
                return {("cls", fs.cls)}
            return {("inst", fs.cls)}
        out: set[Any] = set()
        outer = fs.parent or fs
        if p.default is not None and self.on("param.default", count=False):
            got = self.values(p.default, outer)
            if got:
                self.on("param.default")
            out |= got
        if p.annotation is not None and self.on("annotation", count=False):
            built = self.construct(p.annotation, outer)
            if built:
                self.on("annotation")
            out |= built
        # the arguments of the repository's own calls of this function
        name = fs.name
        target: tuple[Any, ...] = ("fn", fs)
        offset = 0
        names = [name]
        if fs.cls is not None and fs.name in {"__init__", "constructor"}:
            names = [fs.cls.name, "cls"]  # Cls(...), and `return cls(...)` in a classmethod factory
            target = ("cls", fs.cls)
        if fs.self_name:
            offset = 1
        if name and not name.startswith("<") and self.on("param.callers", count=False):
            for c in [c for n in names for c in self.callers(n, target)]:
                arg = None
                if p.name in c.kwargs:
                    arg = c.kwargs[p.name]
                elif not p.kw_only and 0 <= p.index - offset < len(c.args):
                    arg = c.args[p.index - offset]
                if arg is not None:
                    got = self.values(arg, c.scope)
                    if got:
                        self.on("param.callers")
                    out |= got
        return out

    # --------------------------------------------------------------------------- model calls
    def stored_names(self) -> frozenset[str]:
        """Attribute names the repository stores a value under: ``x.name = ...``, ``x["name"] = ...``,
        ``self.name = ...``, class fields (an object kept there may be a model called as ``x.name()``)."""
        if self._stored is None:
            names: set[str] = set()
            for mod in self.modules.values():
                names.update(st.name for st in mod.stores)
                for cls in mod.classes:
                    names.update(cls.fields)
            self._stored = frozenset(names)
        return self._stored

    def site(self, call: Call) -> tuple[str, str] | None:
        """(what, how) when this call sends a model request, else None."""
        key = id(call)
        if key in self._site_memo:
            return self._site_memo[key]
        self._site_memo[key] = None  # recursion guard (a wrapper calling itself)
        got = self._site(call)
        self._site_memo[key] = got
        return got

    def _site(self, call: Call) -> tuple[str, str] | None:
        if self.prefilter and isinstance(call.callee, Attr) and call.callee.name not in self.k.interesting \
                and call.callee.name not in self.stored_names() \
                and call.callee.name not in {"to_thread", "run_in_executor", "submit"}:
            return None
        scope = call.scope
        callee = self.values(call.callee, scope)
        for v in callee:  # asyncio.to_thread(f, ...), loop.run_in_executor(None, f, ...): f is what runs
            if v[0] == "ext":
                for rx, idx in self.k.callthrough:
                    if rx.search(v[2]) and len(call.args) > idx:
                        inner = Call(call.args[idx], call.args[idx + 1:], call.kwargs, call.line, call.end_line,
                                     False, scope, call.text)
                        got = self._site(inner)
                        if got:
                            return got[0], "through " + got[1]
        for v in callee:
            if v[0] == "ext":
                qual = v[2]
                fn = self.k.function(qual)
                if fn is not None:
                    what, needs = fn
                    if needs is None or self.carries(set().union(*self.arg_values(call, scope)), needs):
                        return what, f"{qual}()"
                if self.k.is_http(qual):
                    url_args = call.args[:1] + ([call.kwargs["url"]] if "url" in call.kwargs else [])
                    if qual.endswith((":default", ".request", "request()")):
                        url_args = call.args[:2] + url_args
                    for a in url_args:
                        for t in self.texts(a, scope):
                            if self.k.not_model_url.search(t):
                                continue
                            if self.k.model_url.search(t) or self.k.local_model_path.search(t):
                                return "http", f"{qual}({t[:60]})"
            elif v[0] == "obj":
                kind, path = v[1], v[2]
                spec = self.k.kinds.get(kind, {})
                p = ".".join(path) if path else "__call__"
                if p in spec["calls"]:
                    return spec["calls"][p], f"{kind}.{p}"
                if p in spec["send_when"] and call.args:
                    want = set(spec["send_when"][p])
                    if any(a[0] == "obj" and a[1] in want for a in self.values(call.args[0], scope)):
                        return "chat", f"{kind}.{p}(command)"
        # an object literal standing in for a model: { call: async (m) => model.call(m) }
        if isinstance(call.callee, Attr) and call.callee.name in self.k.wrappers and self.on("wrapper", False):
            for v in self.values(call.callee.obj, scope):
                if v[0] != "dict":
                    continue
                for k, item in v[1].items:
                    if k == call.callee.name and isinstance(item, Fn) and self.contains_site(item.scope):
                        self.on("wrapper")
                        return "chat", f"wrapper.{k}"
        # distinctive shapes when the receiver resolves to nothing at all
        if not callee and isinstance(call.callee, Attr) and self.on("shape", False):
            tail: list[str] = []
            e: Expr = call.callee
            while isinstance(e, Attr) and len(tail) < 4:
                tail.insert(0, e.name)
                e = e.obj
            for n in range(len(tail), 0, -1):
                shape = tuple(tail[-n:])
                if shape in self.k.shapes and not self.values(e, scope):
                    self.on("shape")
                    return self.k.shapes[shape], "shape " + ".".join(shape)
        return None

    def contains_site(self, fs: Scope) -> bool:
        key = id(fs)
        if key in self._contains_memo:
            return self._contains_memo[key]
        self._contains_memo[key] = False
        got = any(self.site(c) for c in fs.calls) or any(self.contains_site(ch) for ch in fs.children)
        self._contains_memo[key] = got
        return got

    def model_calls(self) -> list[dict[str, Any]]:
        out = []
        for path in sorted(self.modules):
            for c in self.modules[path].calls:
                s = self.site(c)
                if s is not None:
                    out.append({"path": path, "line": c.line, "what": s[0], "how": s[1], "text": c.text})
        return out
