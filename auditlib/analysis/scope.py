"""The role of a source file read from its content, where its path says less (issue 9, item 7).

``auditlib.collect.roles`` classifies a file by its path alone: ``scripts/seed.py`` is a script,
``tests/`` is test code. A command-line tool written as ``cli.py`` at the top or as a package
(``sgpt/app.py`` with typer) reads as application code by its path. Here the engine, which has parsed
every file, says which application files are command-line tools (role ``script``), so that the
request-path rules (timeouts, prompt injection, endpoint authentication, SQL injection...) do not
fire on them:

- **a command-line entry**: a file of the ``app`` role that imports a command-line library
  (``argparse``, ``click``, ``typer``, ``commander``, ``yargs``...: ``cli_modules`` / ``cli_packages`` of
  checklists/web.yaml) or reads ``sys.argv`` / ``process.argv``, has no web layer of its own (no
  endpoint, no web or UI framework import: Flask, FastAPI, Streamlit, Gradio, Express, Next.js...) and,
  beside a web application, is imported by no other module of the repository (a library module that
  borrows ``click.style`` stays application code);
- **a command-line tool as a whole**: when the repository has at least one such entry, no web
  endpoint anywhere, and no file importing a web or UI framework (React, Next.js, Vue...), every
  application file is part of that tool and is a ``script`` too.

Only changes are returned (path -> role), for ``CodeFacts.file_roles``; every other file keeps the role
of its path.
"""

from __future__ import annotations

from ..collect.roles import file_role
from ..models import Endpoint
from .ir import Imp, Module
from .layers import package_of
from .query import Query
from .tables import tables


def file_roles(q: Query, endpoints: list[Endpoint]) -> dict[str, str]:
    """Path -> ``script`` for the application files that are command-line tools (see the module)."""
    with_endpoints = {e.path for e in endpoints}
    app = [m for m in q.parsed_modules() if file_role(m.path) == "app"]
    entries = [m for m in app if m.path not in with_endpoints and not _web_or_ui(m) and _cli_entry(m)]
    if not entries:
        return {}
    whole_tool = not endpoints and not any(_web_or_ui(m) for m in q.parsed_modules())
    if whole_tool:
        chosen = app
    else:  # beside a web application, a module the others import is a library (a logger using click.style)
        imported = _imported_stems(q)
        chosen = [m for m in entries if _stem(m.path) not in imported]
    return {m.path: "script" for m in sorted(chosen, key=lambda m: m.path)}


def _stem(path: str) -> str:
    """The name other modules import a file by: its stem, or its folder's for ``__init__`` / ``index``."""
    parts = path.rsplit("/", 2)
    stem = parts[-1].split(".", 1)[0]
    return parts[-2] if stem in ("__init__", "index") and len(parts) > 1 else stem


def _imported_stems(q: Query) -> set[str]:
    """Every name an import of the repository may load a project module by (over-approximated: the last
    part of each import path and each imported name)."""
    out: set[str] = set()
    for mod in q.parsed_modules():
        for spec in mod.imports:
            out.add(spec.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[-1].split(".", 1)[0])
        for scope in mod.scopes + [mod.scope]:
            for values in scope.bindings.values():
                for v in values:
                    if isinstance(v, Imp):
                        out.add(v.spec.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[-1])
                        if v.name:
                            out.add(v.name)
    return out


def _web_or_ui(mod: Module) -> bool:
    """The file imports a web or user-interface framework (or is a Next.js page, route or middleware)."""
    t = tables()
    if mod.lang == "python":
        tops = {i.split(".", 1)[0] for i in mod.imports}
        return bool(tops & t.py.web_modules) or any(i in t.py.web_module_paths for i in mod.imports)
    ui: frozenset[str] = getattr(t.js, "ui_packages", frozenset())
    for spec in mod.imports:
        pkg = package_of(spec)
        if spec in t.js.web_frameworks or pkg in t.js.web_packages or pkg in ui:
            return True
    return any(rx.search(mod.path) for rx in (t.js.next_pages, t.js.next_app, t.js.next_middleware)) or \
        mod.path.endswith((".jsx", ".tsx"))


def _cli_entry(mod: Module) -> bool:
    """The file imports a command-line library or reads the command line's arguments."""
    t = tables()
    if mod.lang == "python":
        cli: frozenset[str] = getattr(t.py, "cli_modules", frozenset())
        if {i.split(".", 1)[0] for i in mod.imports} & cli:
            return True
    else:
        cli = getattr(t.js, "cli_packages", frozenset())
        if any(package_of(spec) in cli for spec in mod.imports):
            return True
    return _reads_argv(mod)


def _reads_argv(mod: Module) -> bool:
    """``sys.argv`` / ``process.argv`` read anywhere in the file: recorded by the front ends while they
    lower it (walking every expression again here cost a tenth of the engine's time)."""
    return mod.reads_argv
