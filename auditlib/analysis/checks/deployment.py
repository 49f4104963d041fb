"""deployment.debug_enabled: a web framework's debug mode, or a development server flag, switched on in
code or in a committed deploy file.

Debug mode on a deployed service shows tracebacks, settings and source to whoever triggers an error,
and Flask's (Werkzeug's) debugger runs the Python typed into its error page. Reported:

- code (Python, ``on="module"``): ``app.run(debug=True)``, ``app.debug = True``,
  ``app.config["DEBUG"] = True``, ``app.config.update(DEBUG=True)`` (Flask, Quart, Flask-SocketIO),
  ``FastAPI(debug=True)`` / ``Starlette(debug=True)``, ``uvicorn.run(..., reload=True)`` and
  ``werkzeug.serving.run_simple(use_debugger=True | use_reloader=True)``, with a value that is a
  literal (or a name bound only to one): ``debug=os.getenv("DEBUG")`` is configuration, not reported;
- Django settings modules (``on="file"``, read with ``ast``): ``DEBUG = True`` when every assignment
  of ``DEBUG`` in the file is a true literal and no sibling settings module sets it otherwise
  (``production.py`` after ``from .base import *``); development-named modules are left out;
- deploy files (``on="file"``): Dockerfiles (CMD, ENTRYPOINT, ENV; stages named dev/test left out),
  Procfile, docker-compose, render.yaml, app.yaml, fly.toml, railway.toml, nixpacks.toml and
  committed ``.env`` / ``.env.production`` files: ``FLASK_DEBUG=1``, ``FLASK_ENV=development``,
  ``DEBUG=True`` (when the code reads ``DEBUG`` from the environment or is a Django project), and
  commands that start flask with ``--debug``, a server with ``--reload``, or ``fastapi dev``.

Precision first: files named for development (``Procfile.dev``, ``docker-compose.override.yml``,
``.env.local``, ``settings/dev.py``, ``.env.example``) are not read, nor a compose service that mounts
the project folder into the container (a live-reload development setup). A development server
started from code only when the file is run by hand (under ``if __name__ == "__main__":``, or in a
function) is reported only when no deploy file starts a production server (gunicorn, uvicorn,
hypercorn, waitress, daphne, granian, uwsgi, ``fastapi run``): with one, that block is the developer's
path, not the deployed one; without one, the evidence says the block may be how the service is run.
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import yaml

from ...collect.practices import dockerfile_lines, is_dockerfile
from ...models import RuleHit
from ..ir import Attr, Call, Cmp, Expr, Guard, Imp, Lit, Module, Name, Obj, Scope
from ..query import Query
from . import check

RULE = "deployment.debug_enabled"
TITLE = "Debug mode or development server enabled"

FLASK = ("switches on Flask debug mode: tracebacks, and the Werkzeug debugger that runs Python typed into the "
         "error page")
STARLETTE = "switches on debug mode: server errors send their tracebacks to the client"
RELOAD = "starts the development auto-reloader, which watches the source and restarts the server"
DJANGO = "switches on Django debug mode: error pages show tracebacks, settings and the SQL run"
DEBUG_ENV = "switches on the application's debug setting, which the code reads from the environment"

# qualified callee -> (option, meaning, starts a development server)
_CALLS: tuple[tuple[re.Pattern[str], str, str, bool], ...] = tuple((re.compile(rx), opt, meaning, launcher) for rx, opt, meaning, launcher in (  # noqa: E501
    (r"^(flask\.Flask|quart\.Quart)\(\)\.run$", "debug", FLASK, True),
    (r"^flask_socketio\.SocketIO\(\)\.run$", "debug", FLASK, True),
    (r"^uvicorn\.run$", "reload", RELOAD, True),
    (r"^werkzeug\.serving\.run_simple$", "use_debugger", FLASK, True),
    (r"^werkzeug\.serving\.run_simple$", "use_reloader", RELOAD, True),
    (r"^(fastapi\.FastAPI|starlette\.applications\.Starlette|starlette\.Starlette)$", "debug", STARLETTE, False),
    (r"^(flask\.Flask|quart\.Quart)\(\)\.config\.(update|from_mapping)$", "DEBUG", FLASK, False),
))
_METHODS = {"run", "update", "from_mapping", "run_simple", "FastAPI", "Starlette"}
"""The last names of the calls above: a method of any other name is not resolved."""
# qualified store target -> (attribute, meaning)
_STORES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^(flask\.Flask|quart\.Quart)\(\)$"), "debug", FLASK),
    (re.compile(r"^(flask\.Flask|quart\.Quart)\(\)\.config$"), "DEBUG", FLASK),
)
_STORE_NAMES = frozenset(name for _rx, name, _m in _STORES)
_TRUE = {"True", "true", "1", "yes", "on"}

# ------------------------------------------------------------------------------------- deploy files
_DEV_NAME = re.compile(r"(^|[._/-])(dev|develop|development|local|test|tests|testing|ci|example|examples|sample|"
                       r"samples|template|override|debug)([._/-]|$)", re.IGNORECASE)
_DOCKERFILE = re.compile(r"(^|/)((docker|container)file(\.[\w.-]+)?|[\w.-]+\.dockerfile)$", re.IGNORECASE)
"""Which files the check asks for (the registry matches paths); is_dockerfile decides how one is read."""
_PROCFILE = re.compile(r"(^|/)procfile$", re.IGNORECASE)
_ENV_FILE = re.compile(r"(^|/)\.env(\.[\w.-]+)?$", re.IGNORECASE)
_YAML = re.compile(r"(^|/)((docker-)?compose[\w.-]*|render|app)\.ya?ml$", re.IGNORECASE)
_TOML = re.compile(r"(^|/)(fly|railway|nixpacks)\.toml$", re.IGNORECASE)
_SETTINGS = re.compile(r"(^|/)(settings|[\w]+_settings)\.py$|(^|/)settings/[\w]+\.py$")
DEPLOY = re.compile("|".join(f"(?:{p.pattern})" for p in (_DOCKERFILE, _PROCFILE, _ENV_FILE, _YAML, _TOML)), re.IGNORECASE)
FILES = f"(?i:{DEPLOY.pattern})|(?:{_SETTINGS.pattern})"

_PROD_SERVERS = {"gunicorn", "uvicorn", "hypercorn", "waitress-serve", "daphne", "granian", "uwsgi"}
_RELOAD_SERVERS = {"uvicorn", "gunicorn", "hypercorn", "flask", "granian"}
_SEPARATORS = {"&&", "||", ";", "|", "&"}
_WRAPPERS = {"exec", "env", "sh", "bash", "-c", "--", "poetry", "uv", "pipenv", "pdm", "hatch", "run", "dumb-init",
             "tini"}
"""Words before the program a command starts: sh -c "...", poetry run, exec, env."""
_DEV_STAGE = re.compile(r"^(dev|develop|development|local|test|tests|testing|debug)$", re.IGNORECASE)
_YAML_COMMAND_KEYS = {"command", "entrypoint", "startcommand", "cmd"}
_YAML_ENV_KEYS = {"environment", "env_variables", "env"}
_TOML_COMMAND_KEYS = {"cmd", "startcommand", "command", "start"}


@dataclass(frozen=True)
class Fact:
    """What a deploy file says on one line: an environment variable, or a command (as tokens)."""

    line: int
    kind: str            # env | cmd
    name: str = ""       # env: variable name; cmd: where (CMD, web process, command)
    value: str = ""      # env: value
    tokens: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------------- code
@check(RULE, on="module", roles={"app"}, languages=("python",))
def debug_in_code(mod: Module, q: Query) -> Iterator[RuleHit]:
    """Debug mode or a development server switched on in Python code."""
    if mod.lang != "python":
        return
    for call in mod.calls:
        if isinstance(call.callee, Attr) and call.callee.name not in _METHODS:
            continue  # saves resolving every log.info(...)
        if not call.kwargs and not any(isinstance(a, Obj) for a in call.args):
            continue  # every switch above is an option: a call with none is not resolved
        quals = q.quals(call.callee, call.scope)
        for rx, option, meaning, launcher in _CALLS:
            if not any(rx.search(x) for x in quals):
                continue
            value = _option(call, option)
            if value is None or not _truthy(value, call.scope, q):
                continue
            dev_only = _main_guarded(call.guards) or (launcher and call.scope.kind == "function")
            note = _dev_note(q, mod.path, call.guards, dev_only)
            if note is None:
                continue
            yield _hit(mod.path, call.line, f"{call.text}({option}=True) {meaning}{note}")
            break
    for st in mod.stores:
        if st.name not in _STORE_NAMES:
            continue
        quals = q.quals(st.target, st.scope)
        for rx, name, meaning in _STORES:
            if st.name != name or not any(rx.search(x) for x in quals) or not _truthy(st.value, st.scope, q):
                continue
            note = _dev_note(q, mod.path, st.guards, _main_guarded(st.guards))
            if note is None:
                continue
            target = f"{_text(st.target)}.debug" if name == "debug" else f'{_text(st.target)}["DEBUG"]'
            yield _hit(mod.path, st.line, f"{target} = True {meaning}{note}")
            break


def _text(e: Expr) -> str:
    if isinstance(e, Name):
        return e.id
    if isinstance(e, Attr):
        return f"{_text(e.obj)}.{e.name}"
    return "app"


def _option(call: Call, name: str) -> Expr | None:
    if name in call.kwargs:
        return call.kwargs[name]
    for a in call.args:  # config.update({"DEBUG": True})
        if isinstance(a, Obj):
            for k, v in a.items:
                if k == name:
                    return v
    return None


def _truthy(e: Expr | None, scope: Scope, q: Query, depth: int = 0) -> bool:
    """A literal true value, or a name bound only to such literals (DEBUG = True; app.run(debug=DEBUG))."""
    if isinstance(e, Lit):
        return str(e.value) in _TRUE
    if isinstance(e, Name) and depth < 4:
        binds = list(q.bindings_of(e, scope))
        return bool(binds) and all(_truthy(b, scope, q, depth + 1) for b in binds)
    return False


def _main_guarded(guards: tuple[Guard, ...]) -> bool:
    """Under ``if __name__ == "__main__":``: runs only when the file is started by hand."""
    for g in guards:
        if g.kind == "if" and g.branch and isinstance(g.test, Cmp) and g.test.op == "==":
            sides = (g.test.left, g.test.right)
            if any(isinstance(s, Name) and s.id == "__name__" for s in sides) and \
                    any(isinstance(s, Lit) and s.value == "__main__" for s in sides):
                return True
    return False


def _dev_note(q: Query, path: str, guards: tuple[Guard, ...], dev_only: bool) -> str | None:
    """None: a development-only path while a production server is deployed (not reported); else the
    note the evidence carries ("" for code that runs whatever starts the service)."""
    if not dev_only:
        return ""
    where = 'under if __name__ == "__main__"' if _main_guarded(guards) else "in a function"
    started = started_by(q, path)
    if started is not None:
        return f" ({where}, and {started[0]}:{started[1]} starts this file)"
    if production_server(q) is not None:
        return None
    return f" ({where}, and no deploy file starts a production server such as gunicorn or uvicorn)"


def _hit(path: str, line: int | None, evidence: str) -> RuleHit:
    return RuleHit(rule=RULE, title=TITLE, evidence=evidence, path=path, line=line)


# ------------------------------------------------------------------------------------ deploy files
@check(RULE, on="file", files=FILES, roles={"app", "config", "other"}, languages=("config", "python"))
def debug_in_files(path: str, text: str, q: Query) -> Iterator[RuleHit]:
    """Debug mode or a development server in a committed deploy file or a Django settings module."""
    if _DEV_NAME.search(posixpath.basename(path)) or _DEV_NAME.search(posixpath.dirname(path) + "/"):
        return
    if path.endswith(".py"):
        yield from _django_settings(path, text, q)
        return
    seen: set[int] = set()
    for fact in deploy_facts(path, text):
        got = _judge(fact, q) if fact.line not in seen else None
        if got:  # one hit a line (web: FLASK_DEBUG=1 flask run --debug)
            seen.add(fact.line)
            yield _hit(path, fact.line, got)


def _judge(fact: Fact, q: Query) -> str | None:
    if fact.kind == "env":
        name, value = fact.name.upper(), fact.value.strip()
        if name == "FLASK_DEBUG" and value in _TRUE:
            return f"{fact.name}={value} {FLASK}"
        if name == "FLASK_ENV" and value.lower() == "development":
            return f"{fact.name}={value} (Flask before 2.3) {FLASK}"
        if name in {"DEBUG", "DJANGO_DEBUG"} and value in _TRUE and _reads_debug_env(q):
            return f"{fact.name}={value} {DEBUG_ENV}"
        return None
    prog, args = _program(fact.tokens)
    if prog is None:
        return None
    if prog == "flask" and "--debug" in fact.tokens:
        return f"{fact.name} runs flask --debug, which {FLASK}"
    if prog in _RELOAD_SERVERS and any(t == "--reload" or t.startswith("--reload=") for t in args):
        return f"{fact.name} runs {prog} --reload, which {RELOAD}"
    if prog == "fastapi" and args[:1] == ["dev"]:
        return f"{fact.name} runs fastapi dev, which {RELOAD}"
    return None


def _program(tokens: tuple[str, ...]) -> tuple[str | None, list[str]]:
    """The server a command starts (``gunicorn``, ``flask``...) and its arguments; None when none is."""
    segment: list[str] = []
    for t in list(tokens) + [";"]:
        if t in _SEPARATORS:
            got = _segment_program(segment)
            if got[0] is not None:
                return got
            segment = []
        else:
            segment.append(t)
    return None, []


def _segment_program(seg: list[str]) -> tuple[str | None, list[str]]:
    i = 0
    while i < len(seg) and (re.match(r"^[A-Za-z_]\w*=", seg[i]) or posixpath.basename(seg[i]) in _WRAPPERS):
        i += 1
    if i >= len(seg):
        return None, []
    prog = posixpath.basename(seg[i])
    rest = seg[i + 1:]
    if re.match(r"^python(\d(\.\d+)?)?$", prog) and len(rest) >= 2 and rest[0] == "-m":
        prog, rest = rest[1], rest[2:]
    if prog in _PROD_SERVERS | _RELOAD_SERVERS | {"fastapi"}:
        return prog, rest
    return None, []


def production_server(q: Query) -> tuple[str, int] | None:
    """Where a deploy file starts a production server (gunicorn, uvicorn, ``fastapi run``...), if any."""
    for path, line, tokens in deploy_commands(q):
        prog, args = _program(tokens)
        if prog in _PROD_SERVERS or (prog == "fastapi" and args[:1] == ["run"]):
            return path, line
    return None


def started_by(q: Query, module_path: str) -> tuple[str, int] | None:
    """Where a deploy file runs ``python <module_path>`` (the file's __main__ block is then deployed)."""
    name = posixpath.basename(module_path)
    for path, line, tokens in deploy_commands(q):
        for i, tok in enumerate(tokens[:-1]):
            script = tokens[i + 1].removeprefix("./")
            if re.match(r"^python(\d(\.\d+)?)?$", posixpath.basename(tok)) and \
                    (script == module_path or posixpath.basename(script) == name):
                return path, line
    return None


def deploy_commands(q: Query) -> list[tuple[str, int, tuple[str, ...]]]:
    """Every command of the target's deploy files (development-named files left out), once per query."""
    memo = _COMMANDS.get(q)
    if memo is None:
        memo = _COMMANDS[q] = []
        for f in q.files.files if q.files is not None else ():
            if not DEPLOY.search(f.path) or _DEV_NAME.search(posixpath.basename(f.path)):
                continue
            assert q.files is not None  # the loop runs over q.files
            text = q.files.read_text(f)
            if text is not None:
                memo += [(f.path, fact.line, fact.tokens) for fact in deploy_facts(f.path, text) if fact.kind == "cmd"]
    return memo


_COMMANDS: WeakKeyDictionary[Query, list[Any]] = WeakKeyDictionary()


# ------------------------------------------------------------------------------------------ Django
def _django_settings(path: str, text: str, q: Query) -> Iterator[RuleHit]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    assigns = list(_module_assigns(tree.body, "DEBUG"))
    if not assigns or not all(_true_const(v) for _line, v in assigns):
        return
    names = {n for st in tree.body for n in _assigned_names(st)}
    if not ({"INSTALLED_APPS", "ROOT_URLCONF", "MIDDLEWARE"} & names or _uses_django(q)):
        return
    if _overridden_by_sibling(path, q):
        return
    yield _hit(path, assigns[0][0], f"DEBUG = True in {posixpath.basename(path)} {DJANGO}")


def _module_assigns(body: list[ast.stmt], name: str) -> Iterator[tuple[int, ast.expr | None]]:
    """Assignments of ``name`` at module level (also inside module-level if/try blocks)."""
    for st in body:
        targets = st.targets if isinstance(st, ast.Assign) else [st.target] if isinstance(st, ast.AnnAssign) else []
        if isinstance(st, (ast.Assign, ast.AnnAssign)) and any(isinstance(t, ast.Name) and t.id == name for t in targets):
            yield st.lineno, st.value
        elif isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name) and st.target.id == name:
            yield st.lineno, None
        elif isinstance(st, (ast.If, ast.Try, ast.With)):
            for block in (st.body, getattr(st, "orelse", []), getattr(st, "finalbody", []),
                          *[h.body for h in getattr(st, "handlers", [])]):
                yield from _module_assigns(block, name)


def _true_const(v: ast.expr | None) -> bool:
    return isinstance(v, ast.Constant) and (v.value is True or v.value == 1 and not isinstance(v.value, str))


def _assigned_names(st: ast.stmt) -> Iterator[str]:
    if isinstance(st, ast.Assign):
        for t in st.targets:
            if isinstance(t, ast.Name):
                yield t.id
    elif isinstance(st, ast.AnnAssign) and isinstance(st.target, ast.Name):
        yield st.target.id


def _uses_django(q: Query) -> bool:
    memo = _DJANGO.get(q)
    if memo is None:
        memo = _DJANGO[q] = [any(
            isinstance(b, Imp) and (b.spec == "django" or b.spec.startswith("django."))
            for m in q.repo.modules.values() if m.lang == "python"
            for binds in m.scope.bindings.values() for b in binds)]
    return memo[0]


_DJANGO: WeakKeyDictionary[Query, list[bool]] = WeakKeyDictionary()


def _overridden_by_sibling(path: str, q: Query) -> bool:
    """Another settings module of the same folder (production.py importing base.py) sets DEBUG to
    something other than a true literal."""
    folder = posixpath.dirname(path)
    for other, mod in q.repo.modules.items():
        if other == path or posixpath.dirname(other) != folder or mod.lang != "python":
            continue
        if _DEV_NAME.search(posixpath.basename(other)):
            continue
        binds = mod.scope.bindings.get("DEBUG")
        if binds and not all(isinstance(b, Lit) and str(b.value) in _TRUE for b in binds):
            return True
    return False


def _reads_debug_env(q: Query) -> bool:
    """The code reads DEBUG from the environment (os.getenv("DEBUG"), config("DEBUG"), env.bool(...)),
    or is a Django project (whose settings conventionally do)."""
    memo = _READS_DEBUG.get(q)
    if memo is None:
        found = _uses_django(q)
        if not found:
            for m in q.repo.modules.values():
                for c in m.calls:
                    if c.args and isinstance(c.args[0], Lit) and c.args[0].value in {"DEBUG", "DJANGO_DEBUG"} \
                            and c.text.rsplit(".", 1)[-1] in _ENV_READERS:
                        found = True
                        break
                if found:
                    break
        memo = _READS_DEBUG[q] = [found]
    return memo[0]


_READS_DEBUG: WeakKeyDictionary[Query, list[bool]] = WeakKeyDictionary()
_ENV_READERS = {"getenv", "get", "config", "env", "bool", "str", "int", "getboolean"}
"""os.getenv, os.environ.get, decouple's config, django-environ's env / env.bool..."""


# ------------------------------------------------------------------------------- deploy file facts
def deploy_facts(path: str, text: str) -> list[Fact]:
    """The environment variables and commands a deploy file sets, with their lines."""
    if is_dockerfile(path):
        return list(_dockerfile(text))
    if _PROCFILE.search(path):
        return list(_procfile(text))
    if _ENV_FILE.search(path):
        return list(_env_file(text))
    if _YAML.search(path):
        return list(_yaml(text))
    if _TOML.search(path):
        return list(_toml(text))
    return []


def _split(command: str) -> tuple[str, ...]:
    try:
        tokens = shlex.split(command, comments=True)
    except ValueError:
        tokens = command.split()
    out: list[str] = []
    for t in tokens:  # sh -c "gunicorn app:app --reload": the quoted command's own words
        out += _split(t) if " " in t.strip() else [t]
    return tuple(out)


def _tokens(value: str) -> tuple[str, ...]:
    value = value.strip()
    if value.startswith("["):  # exec form: ["uvicorn", "main:app", "--reload"]
        try:
            items = json.loads(re.sub(r"\]\s*#.*$", "]", value))  # a comment after it is no part of it
        except ValueError:
            items = None
        if isinstance(items, list):
            out: list[str] = []
            for t in items:
                out += _split(str(t)) if " " in str(t).strip() else [str(t)]
            return tuple(out)
    return _split(value)


def _dockerfile(text: str) -> Iterator[Fact]:
    dev_stage = False
    for line, word, rest in dockerfile_lines(text):  # continuation lines joined, comments dropped
        if word == "FROM":
            m = re.search(r"\s+AS\s+(\S+)", rest, re.IGNORECASE)
            dev_stage = bool(m and _DEV_STAGE.match(m.group(1)))
        elif dev_stage:
            continue
        elif word in {"CMD", "ENTRYPOINT"}:
            yield Fact(line, "cmd", word, tokens=_tokens(rest))
        elif word == "ENV":
            if "=" in rest.split(" ", 1)[0]:
                for tok in _split(rest):
                    name, _, value = tok.partition("=")
                    yield Fact(line, "env", name, value)
            else:  # ENV NAME value (the legacy form)
                name, _, value = rest.partition(" ")
                yield Fact(line, "env", name, " ".join(_split(value)))


def _procfile(text: str) -> Iterator[Fact]:
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^([\w-]+)\s*:\s*(.+)$", line)
        if m:
            tokens = _split(m.group(2))
            for t in tokens:  # web: FLASK_DEBUG=1 flask run
                if re.match(r"^[A-Za-z_]\w*=", t):
                    name, _, value = t.partition("=")
                    yield Fact(n, "env", name, value)
            yield Fact(n, "cmd", f"the Procfile's {m.group(1)} process", tokens=tokens)


def _env_file(text: str) -> Iterator[Fact]:
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^\s*(?:export\s+)?([A-Za-z_]\w*)\s*=\s*(.*)$", line)
        if not m:
            continue
        value = m.group(2).strip()
        if value[:1] in {'"', "'"}:
            value = value[1:].split(value[0], 1)[0]
        else:
            value = re.split(r"\s+#", value, maxsplit=1)[0].strip()
        yield Fact(n, "env", m.group(1), value)


def _yaml(text: str) -> Iterator[Fact]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return
    if root is not None:
        yield from _yaml_node(root)


def _scalar(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def _yaml_node(node: yaml.Node, depth: int = 0) -> Iterator[Fact]:
    if depth > 12:
        return
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _yaml_node(item, depth + 1)
        return
    if not isinstance(node, yaml.MappingNode):
        return
    pairs = [(_scalar(k), k, v) for k, v in node.value]
    keys = {(k or "").lower(): v for k, _kn, v in pairs}
    if _mounts_project(keys.get("volumes")):
        return  # a service with the project folder mounted in: a live-reload development setup
    if "key" in keys and "value" in keys:  # render.yaml envVars: [{key: FLASK_DEBUG, value: "1"}]
        name, value = _scalar(keys["key"]), _scalar(keys["value"])
        if name is not None and value is not None:
            yield Fact(keys["key"].start_mark.line + 1, "env", name, value)
    for key, knode, value in pairs:
        low = (key or "").lower()
        if low in _YAML_COMMAND_KEYS:
            line = knode.start_mark.line + 1
            if isinstance(value, yaml.ScalarNode):
                yield Fact(line, "cmd", f"the {key}", tokens=_split(str(value.value)))
            elif isinstance(value, yaml.SequenceNode):
                words = [w for item in value.value if (w := _scalar(item)) is not None]
                yield Fact(line, "cmd", f"the {key}", tokens=_tokens(json.dumps(words)))
        elif low in _YAML_ENV_KEYS:
            if isinstance(value, yaml.MappingNode):
                for k, v in value.value:
                    if (env_name := _scalar(k)) is not None and (env_value := _scalar(v)) is not None:
                        yield Fact(k.start_mark.line + 1, "env", env_name, env_value)
            elif isinstance(value, yaml.SequenceNode):
                for item in value.value:
                    s = _scalar(item)
                    if s and "=" in s:
                        name, _, val = s.partition("=")
                        yield Fact(item.start_mark.line + 1, "env", name.strip(), val.strip())
        else:
            yield from _yaml_node(value, depth + 1)


def _mounts_project(volumes: yaml.Node | None) -> bool:
    if not isinstance(volumes, yaml.SequenceNode):
        return False
    for item in volumes.value:
        s = _scalar(item)
        if s is None and isinstance(item, yaml.MappingNode):  # long syntax: {type: bind, source: .}
            s = next((_scalar(v) for k, v in item.value if _scalar(k) == "source"), None)
            s = f"{s}:" if s else None
        if s and re.match(r"^\.{1,2}/?:", s):
            return True
    return False


def _toml(text: str) -> Iterator[Fact]:
    import tomllib

    section = ""
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        m = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?", stripped)
        if m:
            section = m.group(1).lower()
            continue
        m = re.match(r"^([\w.\"'-]+)\s*=\s*(.+)$", stripped)
        if not m:
            continue
        key = m.group(1).strip("\"'")
        try:
            value = tomllib.loads(f"v = {m.group(2)}")["v"]
        except (tomllib.TOMLDecodeError, ValueError):
            continue
        last = section.rsplit(".", 1)[-1]
        if last in {"env", "variables", "environment"}:
            yield Fact(n, "env", key, str(value).lower() if isinstance(value, bool) else str(value))
        elif last == "processes" or key.lower() in _TOML_COMMAND_KEYS:
            if isinstance(value, str):
                yield Fact(n, "cmd", f"the {key} command", tokens=_split(value))
            elif isinstance(value, list):
                yield Fact(n, "cmd", f"the {key} command", tokens=_tokens(json.dumps([str(v) for v in value])))
