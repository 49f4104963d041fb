"""Per-file summary: which layers (web / llm / db) a file mixes, print vs logging counts, imports, SDKs."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from types import SimpleNamespace

from ..collect.roles import is_project_path
from ..models import Endpoint, LLMCallSite, MixedFile, SQLSite
from .ir import Attr, Call, Expr, Module, Name
from .irtools import last_name
from .query import Query
from .tables import tables


@dataclass
class Summary:
    sdks: list[str] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    mixed_files: list[MixedFile] = field(default_factory=list)
    prints: int = 0
    logs: int = 0


def summarise(q: Query, *, calls: list[LLMCallSite], endpoints: list[Endpoint],
              sql_sites: list[SQLSite] | None = None) -> Summary:
    """Imports, SDKs, print/log counts and the layers of every parsed file of the project (test code and
    fixtures, vendored and generated files left out: ``auditlib.collect.roles.is_project_path``).
    ``calls``, ``endpoints`` and ``sql_sites`` place the llm, web and db layers; SQL sites are found here
    when not given."""
    from .sql import db_call
    from .sql import sql_sites as find_sql

    sites = find_sql(q) if sql_sites is None else sql_sites
    placed = {"llm": {c.path for c in calls}, "web": {e.path for e in endpoints}, "db": {s.path for s in sites}}
    out = Summary()
    imports: set[str] = set()
    sdks: set[str] = set()
    for mod in q.parsed_modules():
        if not is_project_path(mod.path):
            continue  # tests, their fixtures, vendored and generated code: not the project's layers or libraries
        tops = _imports(mod)
        imports |= tops
        sdks |= {s for s in (sdk_label(mod.lang, i) for i in mod.imports) if s}
        prints, logs = _counts(mod, q)
        out.prints += prints
        out.logs += logs
        found = {layer for layer, paths in placed.items() if mod.path in paths}
        if _web_by_imports(mod, tops):
            found.add("web")
        if "db" not in found and (_db_by_imports(mod, tops) or any(db_call(q, c) for c in mod.calls)):
            found.add("db")
        if len(found) >= 2:  # the one-layer prototype: handlers, model calls and data access together
            out.mixed_files.append(MixedFile(path=mod.path, layers=sorted(found)))
    out.imports = sorted(imports)
    out.sdks = sorted(sdks)
    return out


# ------------------------------------------------------------------------------------------- imports
def _imports(mod: Module) -> set[str]:
    """Top-level modules (Python, absolute imports) or packages (JS/TS) a file imports."""
    if mod.lang == "python":
        return {p.split(".", 1)[0] for p in mod.imports}
    return {p for p in map(package_of, mod.imports) if p}


def _web_by_imports(mod: Module, tops: set[str]) -> bool:
    t = tables()
    if mod.lang == "python":
        return bool(tops & t.py.web_modules) or any(p in t.py.web_module_paths for p in mod.imports)
    return any(m in t.js.web_frameworks or package_of(m) in t.js.web_packages for m in mod.imports)


def _db_by_imports(mod: Module, tops: set[str]) -> bool:
    t = tables()
    if mod.lang == "python":
        return bool(tops & t.py.db_modules)
    for m in mod.imports:
        pkg = package_of(m)
        if m in t.js.db_modules or pkg in t.js.db_modules:
            return True
        if pkg is None and posixpath.basename(m.rstrip("/")).lower() in t.js.local_db_names:
            return True  # the project's own data layer: @/lib/db, ../prisma
    return False


# -------------------------------------------------------------------------------------------- counts
def _counts(mod: Module, q: Query | None = None) -> tuple[int, int]:
    """(print calls, logging calls): print() against a logger's level methods. JS ``console.x()`` is the
    logging of a JS service (issue 9: the platform collects it, with levels): it counts as logging in
    server code and not at all elsewhere (a browser's console, a command-line tool's output)."""
    lang = tables().lang(mod.lang)
    prints = logs = 0
    server: bool | None = None
    for c in mod.calls:
        callee = c.callee
        if _is_print(callee, mod.lang, lang):
            if mod.lang == "python":
                prints += 1
                continue
            if server is None:
                from .uses import is_server_code  # uses imports this module

                server = q is not None and is_server_code(q, mod)
            logs += 1 if server else 0
        elif isinstance(callee, Attr) and callee.name in lang.log_levels and _is_logger(callee.obj, lang):
            logs += 1
    return prints, logs


def _is_print(callee: Expr, lang_name: str, lang: SimpleNamespace) -> bool:
    """Python ``print(...)``; JS ``console.x(...)``."""
    if lang_name == "python":
        return isinstance(callee, Name) and callee.id in lang.prints
    return isinstance(callee, Attr) and isinstance(callee.obj, Name) and callee.obj.id in lang.prints


def _is_logger(e: Expr, lang: SimpleNamespace) -> bool:
    if isinstance(e, Call):  # logging.getLogger(__name__).info(...)
        return last_name(e.callee) in getattr(lang, "logger_factories", ())
    name = last_name(e).lower()
    return name in lang.logger_names or name.endswith("logger")


# ------------------------------------------------------------------------------------------- tables
def sdk_of(module: str) -> str | None:
    """The model SDK label (as in ``CodeFacts.llm_sdks``) a dotted Python module path belongs to, or None."""
    top = module.split(".", 1)[0]
    for prefix, sdk in tables().sdks_py.items():
        if prefix.endswith("*"):
            if top.startswith(prefix[:-1]):
                return sdk
        elif module == prefix or module.startswith(prefix + "."):
            return sdk
    return None


def sdk_of_module(module: str) -> str | None:
    """The model SDK label (as in ``CodeFacts.llm_sdks``) a JS/TS import specifier belongs to, or None."""
    for prefix, sdk in tables().sdks_js.items():
        if prefix.endswith("/"):
            if module.startswith(prefix):
                return sdk
        elif module == prefix or module.startswith(prefix + "/"):
            return sdk
    return None


def sdk_label(lang: str, name: str) -> str | None:
    """The model SDK label of a Python module path or external name (``sdk_of``), or of a JS/TS
    specifier or external name (``openai:default.chat``: ``sdk_of_module`` of its specifier)."""
    memo = tables().sdk_memo
    key = (lang, name)
    if key not in memo:
        if len(memo) > 100_000:  # the tables outlive one target in a batch kernel: bounded
            memo.clear()
        memo[key] = sdk_of(name) if lang == "python" else sdk_of_module(name.split(":", 1)[0])
    return memo[key]


def package_of(spec: str) -> str | None:
    """Top-level package of a JS/TS import specifier (``@org/pkg``, ``pkg``); None for project modules."""
    if not spec or spec.startswith(tables().js_local_prefixes):
        return None
    spec = spec.removeprefix("node:")
    parts = spec.split("/")
    if spec.startswith("@"):
        return "/".join(parts[:2]) if len(parts) >= 2 and parts[1] else None
    return parts[0] or None
