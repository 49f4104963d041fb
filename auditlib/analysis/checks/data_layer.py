"""The data layer under real traffic (issue 11): tokens that never expire, a file as the production
database, uploads of any size or type, database pools that wait forever, list endpoints with no bound.

- ``auth.token_without_expiry``: a token signed with no expiry (PyJWT / python-jose ``encode`` of a
  payload with no ``exp``, jsonwebtoken ``sign`` with no ``expiresIn`` nor ``exp``, jose's ``SignJWT``
  with no ``setExpirationTime``), or verified with the expiry check off (``verify_exp: False``,
  ``ignoreExpiration: true``). A payload that cannot be read whole (built elsewhere, spread from a
  parameter) is not reported;
- ``db.file_database_in_production``: SQLite or a JSON file opened by server code (sqlite3,
  ``sqlite:///`` URLs, better-sqlite3, lowdb, TinyDB, Prisma's ``provider = "sqlite"``), medium when a
  deploy file sits above it, low without one. A database opened read-only, one handed to a text-to-SQL
  tool (a data set the model queries), in memory, or in a CLI or a library is not reported;
- ``web.upload_without_limits``: Flask's ``request.files`` read with no ``MAX_CONTENT_LENGTH`` anywhere
  and no size check, a FastAPI ``UploadFile`` read or copied whole with no size check, multer /
  express-fileupload / formidable with no file-size limit (low when a file filter limits the type); the
  evidence says whether the type is checked, and names a client file name kept in the saved path;
- ``db.no_timeouts``: a SQLAlchemy engine on a server database with no ``pool_pre_ping``,
  ``pool_recycle``, ``pool_timeout`` or ``connect_args``, a node-postgres ``Pool`` / ``Client`` with no
  connection or statement timeout, in server code;
- ``performance.unbounded_list_endpoint``: a GET handler that returns every row of a query (``.all()``,
  ``findMany()``, a Supabase ``select()``) with no limit, take, range or pagination in the chain.

What the libraries are called and which options bound them is data: checklists/data_layer.yaml.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any
from weakref import WeakKeyDictionary

from ...collect.roles import file_role
from ...models import Confidence, RuleHit, Severity
from ..ir import Attr, Call, Expr, Fn, Lit, Module, Name, Obj, Scope, Tmpl
from ..irtools import binding_scope, dotted, function_scope, last_name, may_be_external, string_value, walk
from ..query import Query
from ..tables import yaml_knowledge
from ..uses import is_server_code
from ..web import handler_scopes
from . import check
from .deployment import _DEV_NAME
from .web_security import source

TOKEN = "auth.token_without_expiry"
FILE_DB = "db.file_database_in_production"
UPLOAD = "web.upload_without_limits"
TIMEOUTS = "db.no_timeouts"
LISTS = "performance.unbounded_list_endpoint"

_COMMENT = re.compile(r"^\s*(#|//|/\*|\*)")


# ------------------------------------------------------------------------------------- knowledge
class Knowledge:
    """checklists/data_layer.yaml, compiled."""

    def __init__(self, d: dict[str, Any]) -> None:
        t = d["tokens"]
        self.py_encode, self.py_decode = re.compile(t["python_encode"]), re.compile(t["python_decode"])
        self.py_payload_keywords = tuple(t["python_payload_keywords"])
        self.py_no_expiry = str(t["python_no_expiry_option"])
        self.expiry_claim = str(t["expiry_claim"])
        self.js_sign, self.js_verify = re.compile(t["js_sign"]), re.compile(t["js_verify"])
        self.js_sign_options = frozenset(t["js_sign_options"])
        self.js_no_expiry = str(t["js_no_expiry_option"])
        self.js_builder = re.compile(t["js_builder"])
        self.js_builder_expiry = str(t["js_builder_expiry"])
        self.expiry_words = re.compile(t["expiry_words"])
        f = d["file_databases"]
        self.file_dbs = {lang: [(re.compile(e["match"]), str(e["what"]), str(e["arg"])) for e in f[lang]]
                         for lang in ("python", "js")}
        self.url_schemes, self.not_files = re.compile(f["url_schemes"]), re.compile(f["not_files"])
        self.read_only, self.dataset_users = re.compile(f["read_only"]), re.compile(f["dataset_users"])
        self.prisma_provider = re.compile(f["prisma_provider"], re.M)
        self.deploy_files, self.ephemeral = re.compile(f["deploy_files"]), re.compile(f["ephemeral_platforms"])
        u = d["uploads"]
        self.flask_frameworks, self.flask_files = re.compile(u["flask_frameworks"]), re.compile(u["flask_files"])
        self.flask_limits = re.compile(u["flask_limits"])
        self.fastapi_frameworks = re.compile(u["fastapi_frameworks"])
        self.upload_types = frozenset(u["upload_types"])
        self.reads, self.size_checks = re.compile(u["reads"]), re.compile(u["size_checks"])
        self.type_checks, self.safe_names = re.compile(u["type_checks"]), re.compile(u["safe_names"])
        self.client_name_path = re.compile(u["client_name_path"])
        self.upload_js = [(re.compile(e["match"]), list(e["size"]), list(e["filter"]), e["what"]) for e in u["js"]]
        p = d["pools"]
        self.engines, self.engine_options = re.compile(p["python_engines"]), frozenset(p["python_options"])
        self.server_schemes, self.url_names = re.compile(p["server_schemes"]), re.compile(p["url_names"])
        self.workers = re.compile(p["workers"])
        self.pools_js = [(re.compile(e["match"]), frozenset(e["options"]), e["what"]) for e in p["js"]]
        lists = d["lists"]
        self.py_all = frozenset(lists["python_all"])
        self.py_query_roots = re.compile(lists["python_query_roots"])
        self.js_all = frozenset(lists["js_all"])
        self.js_query_roots = re.compile(lists["js_query_roots"])
        self.bounds = re.compile(lists["bounds"])
        self.own_rows = re.compile(lists["own_rows"]) if lists.get("own_rows") else None


def knowledge() -> Knowledge:
    return yaml_knowledge("data_layer.yaml", Knowledge)  # chosen once per analysis (tables.refresh)


# ---------------------------------------------------------------------------------------- helpers
def _hit(rule: str, title: str, evidence: str, path: str, line: int, severity: Severity | None = None,
         confidence: Confidence | None = None) -> RuleHit:
    return RuleHit(rule=rule, title=title, evidence=evidence, path=path, line=line, severity=severity,
                   confidence=confidence)


def _lines(q: Query, path: str, start: int, end: int) -> str:
    """The source lines ``start``..``end`` of ``path`` without comment lines ('' when unreadable)."""
    text = source(q, path)
    if text is None:
        return ""
    rows = text.splitlines()[max(start - 1, 0):max(end, start)]
    return "\n".join(r for r in rows if not _COMMENT.match(r))


def _scope_text(q: Query, fs: Scope) -> str:
    return _lines(q, fs.module.path, fs.line, fs.end_line or fs.line)




def _texts(e: Expr | None, scope: Scope, q: Query) -> set[str]:
    """The string values ``e`` may have (literals, constants, f-strings with their unknown parts empty,
    the default of ``os.getenv(name, default)``)."""
    if e is None:
        return set()
    out = {v[1] for v in q.repo.values(e, scope) if v[0] == "str" and isinstance(v[1], str)}
    for v in q.bound_values(e, scope):
        s = string_value(v)
        if s is not None:
            out.add(s)
        elif isinstance(v, Tmpl) and v.parts and isinstance(v.parts[0], str):
            out.add("".join(p if isinstance(p, str) else "{}" for p in v.parts))
        elif isinstance(v, Call) and last_name(v.callee) in {"getenv", "get"} and len(v.args) > 1:
            d = string_value(v.args[1])
            if d is not None:
                out.add(d)
    return out


def _arg(call: Call, index: int, *names: str) -> Expr | None:
    if len(call.args) > index:
        return call.args[index]
    for n in names:
        if n in call.kwargs:
            return call.kwargs[n]
    return None


def _obj_keys(e: Expr | None, scope: Scope, q: Query) -> dict[str, Expr] | None:
    """The keys of an options object (a literal, or a name bound only to literals); None when unknown."""
    if e is None:
        return {}
    vals = q.bound_values(e, scope)
    if not vals or not all(isinstance(v, Obj) for v in vals):
        return None
    out: dict[str, Expr] = {}
    for v in vals:
        assert isinstance(v, Obj)
        for key, val in v.items:
            if key is None:
                return None  # a spread: not readable whole
            out.setdefault(key, val)
    return out


def _is_literal(e: Expr | None, value: object) -> bool:
    return isinstance(e, Lit) and (e.value is value or e.value == str(value) or
                                   e.value == str(value).lower())


def _ui_app(mod: Module) -> bool:
    return mod.lang == "python" and any(i.split(".", 1)[0] in {"streamlit", "gradio"} for i in mod.imports)


# ======================================================================= auth.token_without_expiry
_TOKEN_WORDS = frozenset({"encode", "decode", "sign", "verify"})


@check(TOKEN, on="call", roles={"app"}, names=lambda q: _TOKEN_WORDS)
def token_without_expiry(call: Call, q: Query) -> RuleHit | None:
    """A JWT signed with no expiry, or verified with the expiry check switched off."""
    name = last_name(call.callee)
    if name not in _TOKEN_WORDS or not may_be_external(call.callee, call.scope):
        return None
    k = knowledge()
    if call.scope.module.lang == "js" and name == "sign" and isinstance(call.callee, Attr):
        builder = _jose_builder(call, q, k)
        if builder is not None:
            return builder
    quals = q.quals(call.callee, call.scope)
    if not quals:
        return None
    path = call.scope.module.path
    if call.scope.module.lang == "python":
        if any(k.py_encode.search(x) for x in quals):
            payload = _arg(call, 0, *k.py_payload_keywords)
            if _signs_without_expiry(call, payload, q, k):
                return _hit(TOKEN, "Token issued without an expiry",
                            f"{call.text}() signs a payload with no \"{k.expiry_claim}\" claim: the token is "
                            "valid forever, so a leaked or stolen one cannot be made to stop working", path, call.line)
        elif any(k.py_decode.search(x) for x in quals):
            opts = _obj_keys(call.kwargs.get("options"), call.scope, q) or {}
            if _is_literal(opts.get(k.py_no_expiry), False) and not _is_literal(opts.get("verify_signature"), False):
                return _hit(TOKEN, "Token expiry not checked",
                            f"{call.text}(options={{\"{k.py_no_expiry}\": False}}) accepts expired tokens: a token "
                            "stays valid forever", path, call.line)
        return None
    if any(k.js_sign.search(x) for x in quals):
        options = _obj_keys(call.args[2], call.scope, q) if len(call.args) > 2 and not isinstance(call.args[2], Fn) else {}
        if options is None or set(options) & k.js_sign_options:
            return None
        if _signs_without_expiry(call, call.args[0] if call.args else None, q, k):
            return _hit(TOKEN, "Token issued without an expiry",
                        f"{call.text}() signs a token with no expiresIn option and no \"{k.expiry_claim}\" claim: "
                        "it is valid forever, so a leaked or stolen one cannot be made to stop working",
                        path, call.line)
    elif any(k.js_verify.search(x) for x in quals) and len(call.args) > 2:
        options = _obj_keys(call.args[2], call.scope, q) or {}
        if _is_literal(options.get(k.js_no_expiry), True):
            return _hit(TOKEN, "Token expiry not checked",
                        f"{call.text}() passes {k.js_no_expiry}: true: expired tokens are accepted, so a token stays "
                        "valid forever", path, call.line)
    return None


def _jose_builder(call: Call, q: Query, k: Knowledge) -> RuleHit | None:
    """``new SignJWT(payload).setProtectedHeader(...)...sign(key)`` with no setExpirationTime."""
    names: list[str] = []
    e: Expr = call.callee.obj if isinstance(call.callee, Attr) else call.callee
    root: Call | None = None
    for _ in range(12):
        if not isinstance(e, Call):
            break
        if e.new:
            if any(k.js_builder.search(x) for x in q.quals(e.callee, e.scope)):
                root = e
            break
        names.append(last_name(e.callee))
        e = e.callee.obj if isinstance(e.callee, Attr) else e.callee
    if root is None or k.js_builder_expiry in names:
        return None
    if not _signs_without_expiry(call, root.args[0] if root.args else None, q, k):
        return None
    return _hit(TOKEN, "Token issued without an expiry",
                f"new SignJWT(...).sign() is called with no {k.js_builder_expiry}() and no \"{k.expiry_claim}\" "
                "claim: the token is valid forever, so a leaked or stolen one cannot be made to stop working",
                call.scope.module.path, call.line)


def _signs_without_expiry(call: Call, payload: Expr | None, q: Query, k: Knowledge) -> bool:
    """The payload is read whole and has no expiry claim, and nothing in the signing function sets one."""
    keys = _payload_keys(payload, call.scope, q, 0)
    if keys is None or k.expiry_claim in keys:
        return False
    fs = function_scope(call.scope)
    text = _scope_text(q, fs) if fs is not None else _lines(q, call.scope.module.path, call.line, call.end_line)
    return not k.expiry_words.search(text)


def _payload_keys(e: Expr | None, scope: Scope, q: Query, depth: int) -> set[str] | None:
    """The keys a token payload may hold; None when it cannot be read whole (a parameter, a call's
    result, a spread of either)."""
    if e is None or depth > 4:
        return None
    if isinstance(e, Obj):
        out: set[str] = set()
        for key, v in e.items:
            if key is None:
                inner = _payload_keys(v, scope, q, depth + 1)
                if inner is None:
                    return None
                out |= inner
            else:
                out.add(key)
        return out
    if isinstance(e, Call):
        if last_name(e.callee) == "dict" and isinstance(e.callee, Name):
            out = set(e.kwargs)
            for a in e.args:
                inner = _payload_keys(a, scope, q, depth + 1)
                if inner is None:
                    return None
                out |= inner
            return out
        return None
    if isinstance(e, Name):
        home = binding_scope(e.id, scope)
        if home is None or home.kind == "class":
            return None
        vals = home.bindings.get(e.id) or []
        if not vals:
            return None
        out = set()
        for v in vals:
            inner = _payload_keys(v, home, q, depth + 1)
            if inner is None:
                return None
            out |= inner
        mod = home.module
        for st in mod.stores:  # payload["exp"] = ...
            if isinstance(st.target, Name) and st.target.id == e.id and binding_scope(e.id, st.scope) is home:
                out.add(st.name)
        for c in mod.calls:  # payload.update({"exp": ...}) / payload.setdefault("exp", ...)
            f = c.callee
            if isinstance(f, Attr) and isinstance(f.obj, Name) and f.obj.id == e.id and \
                    binding_scope(e.id, c.scope) is home:
                if f.name in {"update", "setdefault", "assign"}:
                    out |= set(c.options())
                    out |= {t for a in c.args if (t := string_value(a)) is not None}
                    if any(not isinstance(a, (Obj, Lit)) for a in c.args):
                        return None
        for target, where, _line in mod.item_stores:  # payload[key] = ...: unknown key
            if isinstance(target, Name) and target.id == e.id and binding_scope(e.id, where) is home:
                return None
        return out
    return None


# ================================================================== db.file_database_in_production
_FILE_DBS: WeakKeyDictionary[Query, list[tuple[str, int, str]]] = WeakKeyDictionary()


@check(FILE_DB, on="module", roles={"app"})
def file_database(mod: Module, q: Query) -> Iterator[RuleHit]:
    """SQLite or a JSON file opened by server code: one finding per repository, at the first place."""
    sites = _file_db_sites(q)
    if not sites or sites[0][0] != mod.path:
        return
    path, line, what = sites[0]
    others = sorted({p for p, _l, _w in sites[1:] if p != path})
    more = f" (and in {len(others)} other file{'s' if len(others) > 1 else ''}: {', '.join(others[:3])})" if others else ""
    yield _graded(q, path, line, f"{what}{more}")


@check(FILE_DB, on="file", files=r"(^|/)[\w.-]*\.prisma$", roles={"app", "config", "other"}, languages=("config",))
def prisma_sqlite(path: str, text: str, q: Query) -> Iterator[RuleHit]:
    """Prisma's datasource with ``provider = "sqlite"``."""
    if _DEV_NAME.search(posixpath.basename(path)) or file_role(path) not in {"app", "config", "other"}:
        return
    k = knowledge()
    in_datasource = False
    for n, row in enumerate(text.splitlines(), 1):
        s = row.strip()
        if s.startswith("datasource "):
            in_datasource = True
        elif s.startswith(("model ", "generator ", "enum ")):
            in_datasource = False
        if in_datasource and k.prisma_provider.search(row):
            yield _graded(q, path, n, 'Prisma\'s datasource is provider = "sqlite": the database is a file')
            return


def _graded(q: Query, path: str, line: int, what: str) -> RuleHit:
    k = knowledge()
    deploy = _deploy_files_above(q, path, k)
    title = "File database (SQLite or JSON) as the application's database"
    if deploy:
        eph = next((d for d in deploy if k.ephemeral.search(d)), None)
        where = (f"and {eph} deploys it to a platform whose instances do not keep their files: writes are lost"
                 if eph else f"and {deploy[0]} deploys it: one file on one machine serves every request, writes "
                 "wait on one lock, a second instance has its own copy, and a lost container or volume loses the data")
        return _hit(FILE_DB, title, f"{what} in server code, {where}", path, line)
    return _hit(FILE_DB, title,
                f"{what} in server code; no deploy file is in the repository, so this may stay a local prototype, "
                "but a deployed service would keep every write in one file on one machine", path, line,
                severity="low", confidence="low")


def _deploy_files_above(q: Query, path: str, k: Knowledge) -> list[str]:
    """Deploy files (not development-named) in the folder of ``path`` or above it."""
    if q.files is None:
        return []
    out = []
    for f in q.files.files:
        if not k.deploy_files.search(f.path) or _DEV_NAME.search(f.name):
            continue
        folder = posixpath.dirname(f.path)
        if (not folder or path.startswith(folder + "/")) and file_role(f.path) not in {"test", "docs", "vendored",
                                                                                         "generated"}:
            out.append(f.path)
    return sorted(out, key=lambda p: (p.count("/"), p))


def _file_db_sites(q: Query) -> list[tuple[str, int, str]]:
    got = _FILE_DBS.get(q)
    if got is not None:
        return got
    k = knowledge()
    out: list[tuple[str, int, str]] = []
    for mod in q.parsed_modules():
        if file_role(mod.path) != "app":
            continue
        if not is_server_code(q, mod) and not _ui_app(mod):
            continue
        text = source(q, mod.path) or ""
        if k.dataset_users.search(text):
            continue  # a database the model queries (text-to-SQL over a sample): a data set
        for c in mod.calls:
            what = _file_db(c, q, k)
            if what:
                out.append((mod.path, c.line, what))
    _FILE_DBS[q] = out
    return out


_PY_DB_WORDS = frozenset({"connect", "create_engine", "create_async_engine", "Database", "SqliteDatabase",
                          "SqliteExtDatabase", "TinyDB"})
_JS_DB_WORDS = frozenset({"open", "createClient", "Database", "JSONFilePreset", "JSONFileSyncPreset"})


def _file_db(call: Call, q: Query, k: Knowledge) -> str | None:
    lang = call.scope.module.lang
    name = last_name(call.callee)
    if (name not in _PY_DB_WORDS) if lang == "python" else not (call.new or name in _JS_DB_WORDS or
                                                                  isinstance(call.callee, Name)):
        return None  # saves resolving every call of the module
    if not may_be_external(call.callee, call.scope):
        return None
    quals = q.quals(call.callee, call.scope)
    if not quals:
        return None
    for rx, what, kind in k.file_dbs[lang]:
        if not any(rx.search(x) for x in quals):
            continue
        opts = call.options()
        if any(k.read_only.search(t) for a in call.args[:2] for t in _texts(a, call.scope, q)) or \
                any(k.read_only.search(o) and _is_literal(v, True) for o, v in opts.items()):
            return None  # opened read-only: a data set
        if kind == "url":
            texts = _texts(_arg(call, 0, "url"), call.scope, q)
            if not texts or not all(k.url_schemes.search(t) for t in texts):
                return None  # a server database, or a URL read from the environment
            if any(k.not_files.search(t) for t in texts):
                return None
            return f"{what} ({next(iter(sorted(texts)))[:60]})"
        if kind == "url_option":
            texts = _texts(opts.get("url"), call.scope, q)
            if not texts or not all(t.startswith("file:") for t in texts) or any(k.not_files.search(t) for t in texts):
                return None
            return what
        if kind == "file":
            texts = _texts(_arg(call, 0, "database", "filename", "path"), call.scope, q)
            if texts and all(k.not_files.search(t) for t in texts):
                return None  # in memory
            shown = f" ({sorted(texts)[0][:60]})" if texts else ""
            return f"{what}{shown}"
        return what
    return None


# ======================================================================= web.upload_without_limits
@check(UPLOAD, on="module", roles={"app"})
def upload_without_limits(mod: Module, q: Query) -> Iterator[RuleHit]:
    """A file upload accepted with no size limit (and graded by its type and name checks)."""
    k = knowledge()
    if mod.lang == "python":
        if any(k.flask_frameworks.search(i) for i in mod.imports):
            yield from _flask_uploads(mod, q, k)
        if any(k.fastapi_frameworks.search(i) for i in mod.imports):
            yield from _fastapi_uploads(mod, q, k)
        return
    for c in mod.calls:
        if not (isinstance(c.callee, Name) or c.new and isinstance(c.callee, Attr)) or \
                not may_be_external(c.callee, c.scope):
            continue
        quals = q.quals(c.callee, c.scope)
        for rx, size, filt, what in k.upload_js:
            if not any(rx.search(x) for x in quals):
                continue
            opts = _obj_keys(c.args[0], c.scope, q) if c.args else {}
            if opts is None:
                break
            if any(_has_option(opts, o, c.scope, q) for o in size):
                break
            typed = any(_has_option(opts, o, c.scope, q) for o in filt)
            yield _hit(UPLOAD, "Uploads accepted without a size limit",
                       f"{what}({'{...}' if c.args else ''}) sets no {' / '.join(size)}: an upload of any size is "
                       "written to memory or disk" + ("" if typed else ", and no file filter limits its type"),
                       mod.path, c.line, severity="low" if typed else None)
            break


def _has_option(opts: dict[str, Expr], dotted_name: str, scope: Scope, q: Query) -> bool:
    head, _, rest = dotted_name.partition(".")
    if head not in opts:
        return False
    if not rest:
        return True
    inner = _obj_keys(opts[head], scope, q)
    return inner is None or rest in inner  # an options object not readable: assume it sets it


def _flask_uploads(mod: Module, q: Query, k: Knowledge) -> Iterator[RuleHit]:
    text = source(q, mod.path)
    if text is None or not k.flask_files.search(text):
        return
    limited = _repo_sets_body_limit(q, k)
    seen: set[int] = set()
    for n, row in enumerate(text.splitlines(), 1):
        if _COMMENT.match(row) or not k.flask_files.search(row):
            continue
        fs = _function_at(mod, n)
        if fs is None or id(fs) in seen:
            continue
        seen.add(id(fs))
        held = {name for name, vals in fs.bindings.items()
                if any(k.flask_files.search(dotted(v)) or any(k.flask_files.search(dotted(x)) for x in walk(v, limit=20)
                                                               if isinstance(x, Attr)) for v in vals)}
        hit = _judge_upload(q, k, fs, held | {"request"}, mod.path, n, "request.files", limited,
                            "MAX_CONTENT_LENGTH is set nowhere, so Flask accepts a body of any size")
        if hit:
            yield hit


def _fastapi_uploads(mod: Module, q: Query, k: Knowledge) -> Iterator[RuleHit]:
    found: list[tuple[Scope, str]] = []
    for fs in mod.scopes:
        if fs.kind != "function":
            continue
        param = next((p for p in fs.params if p.annotation is not None and any(
            last_name(x) in k.upload_types for x in walk(p.annotation, limit=20) if isinstance(x, (Name, Attr)))), None)
        if param is not None:
            found.append((fs, param.name))
    helpers = {id(h) for fs, name in found for h in _helpers(q, fs, {name})}
    for fs, pname in found:
        if id(fs) in helpers:
            continue  # a helper handed the upload by a handler reported here
        hit = _judge_upload(q, k, fs, {pname}, mod.path, fs.line, f"the UploadFile {pname}", False,
                            "Starlette sets no limit on an uploaded file")
        if hit:
            yield hit


def _judge_upload(q: Query, k: Knowledge, fs: Scope, names: set[str], path: str, line: int, what: str,
                  limited: bool, why: str) -> RuleHit | None:
    """Judge one function that receives an upload (held in ``names``), with the helpers it hands it to."""
    text = "\n".join([_scope_text(q, fs), *(_scope_text(q, h) for h in _helpers(q, fs, names))])
    if not k.reads.search(text):
        return None  # the upload is not read here (handed to something not followed)
    sized = limited or bool(k.size_checks.search(text))
    typed = bool(k.type_checks.search(text))
    unsafe_name = next((m.group(0) for m in k.client_name_path.finditer(text)
                        if not k.safe_names.search(_line_of(text, m.start()))), None)
    if sized and not unsafe_name:
        return None
    name = q.function_name(fs) or fs.name
    parts = []
    if not sized:
        parts.append(f"{what} is read in {name}() with no size check, and {why}: one large upload fills the "
                     "memory or the disk of the server" + ("" if typed else ", and no extension or MIME type is checked"))
    if unsafe_name:
        parts.append(f"the client's file name is kept in the saved path ({unsafe_name.strip()[:60]}): a name "
                     "with ../ writes outside the upload folder")
    title = "Uploads accepted without a size limit" if not sized else "Upload saved under the client's file name"
    return _hit(UPLOAD, title, "; ".join(parts), path, line)


def _helpers(q: Query, fs: Scope, names: set[str], hops: int = 2) -> list[Scope]:
    """The repository's functions ``fs`` hands the upload to (an argument named in ``names``), and theirs."""
    out: list[Scope] = []
    frontier: list[tuple[Scope, set[str]]] = [(fs, names)]
    seen = {id(fs)}
    for _ in range(hops):
        nxt: list[tuple[Scope, set[str]]] = []
        for s, held in frontier:
            for c in s.calls:
                idx = [i for i, a in enumerate(c.args) if any(isinstance(x, Name) and x.id in held
                                                               for x in walk(a, limit=10))]
                if not idx:
                    continue
                for v in q.repo.values(c.callee, c.scope):
                    if v[0] != "fn" or id(v[1]) in seen:
                        continue
                    callee: Scope = v[1]
                    seen.add(id(callee))
                    params = [p for p in callee.params if p.name not in {"self", "cls"}]
                    got = {params[i].name for i in idx if i < len(params)}
                    out.append(callee)
                    if got:
                        nxt.append((callee, got))
        frontier = nxt
    return out[:8]


def _line_of(text: str, pos: int) -> str:
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    return text[start:end if end >= 0 else len(text)]


def _function_at(mod: Module, line: int) -> Scope | None:
    best: Scope | None = None
    for s in mod.scopes:
        if s.kind == "function" and s.name != "<lambda>" and s.line <= line <= (s.end_line or s.line) and \
                (best is None or s.line >= best.line):
            best = s
    return best


_LIMITS: WeakKeyDictionary[Query, bool] = WeakKeyDictionary()


def _repo_sets_body_limit(q: Query, k: Knowledge) -> bool:
    """MAX_CONTENT_LENGTH (or a proxy's body limit) is set in a file of the repository."""
    got = _LIMITS.get(q)
    if got is not None:
        return got
    found = False
    if q.files is not None:
        for f in q.files.files:
            if f.suffix not in {".py", ".cfg", ".toml", ".yaml", ".yml", ".ini", ".conf", ".json", ""} and \
                    not f.name.startswith(".env"):
                continue
            if f.size > 500_000 or file_role(f.path) in {"test", "vendored", "generated", "docs"}:
                continue
            text = q.files.read_text(f)
            if text and k.flask_limits.search(text):
                found = True
                break
    _LIMITS[q] = found
    return found


# ======================================================================= db.no_timeouts
_ENGINE_WORDS = {"python": frozenset({"create_engine", "create_async_engine"}), "js": frozenset({"Pool", "Client"})}
"""The calls that build a database engine or pool (the module of each is checked after)."""


@check(TIMEOUTS, on="call", roles={"app"}, names=lambda q: _ENGINE_WORDS["python"] | _ENGINE_WORDS["js"])
def no_timeouts(call: Call, q: Query) -> RuleHit | None:
    """A database engine or pool on a server database with nothing that bounds a wait or replaces a dead
    connection, in server code."""
    name = last_name(call.callee)
    lang = call.scope.module.lang
    if name not in _ENGINE_WORDS[lang]:
        return None
    if not may_be_external(call.callee, call.scope):
        return None
    quals = q.quals(call.callee, call.scope)
    k = knowledge()
    if not quals or not _long_running(q, call.scope.module, k):
        return None
    path = call.scope.module.path
    if lang == "python":
        if not any(k.engines.search(x) for x in quals):
            return None
        if set(call.kwargs) & k.engine_options:
            return None
        url = _arg(call, 0, "url")
        if url is None or not _server_url(url, call.scope, q, k):
            return None
        return _hit(TIMEOUTS, "Database engine without timeouts or reconnect",
                    f"{call.text}() sets no pool_pre_ping, pool_recycle, pool_timeout or connect_args: a connection "
                    "dropped by the database or a proxy fails the next request that borrows it, and a database "
                    "that stops answering holds the request with no connect or statement timeout", path, call.line)
    for rx, options, what in k.pools_js:
        if not any(rx.search(x) for x in quals):
            continue
        opts = _obj_keys(call.args[0], call.scope, q) if call.args else {}
        if opts is None or set(opts) & options:
            return None  # a connection string (its ?options are not read) or a timeout set
        return _hit(TIMEOUTS, "Database pool without timeouts",
                    f"{what} {call.text}() sets no connectionTimeoutMillis or statement_timeout: by default a "
                    "connection attempt and a query wait forever when the database stops answering", path, call.line)
    return None


def _long_running(q: Query, mod: Module, k: Knowledge) -> bool:
    """Server code, or a repository that runs a task worker (Celery, RQ...)."""
    if is_server_code(q, mod):
        return True
    memo = q.__dict__.setdefault("_data_layer_workers", [])
    if not memo:
        memo.append(any(k.workers.search(i) for m in q.parsed_modules() for i in m.imports))
    return bool(memo[0])


def _server_url(url: Expr, scope: Scope, q: Query, k: Knowledge) -> bool:
    """The URL names a server database: a literal with a server scheme, the environment, or a
    setting named like a database URL; never when a file database may be meant."""
    texts = _texts(url, scope, q)
    if any(re.match(r"^(sqlite|file|duckdb)", t) for t in texts):
        return False
    if any(k.server_schemes.search(t) for t in texts):
        return True
    if texts:
        return False
    if "env" in q.origins(url, scope):
        return True
    return bool(k.url_names.search(last_name(url) or dotted(url).rsplit(".", 1)[-1]))


# ======================================================================= performance.unbounded_list_endpoint
@check(LISTS, on="call", roles={"app"}, names=lambda q: knowledge().py_all | knowledge().js_all)
def unbounded_list_endpoint(call: Call, q: Query) -> RuleHit | None:
    """A GET handler returns every row of a query: ``.all()`` / ``findMany()`` / ``select()`` with no limit,
    take, range or pagination anywhere in the chain."""
    name = last_name(call.callee)
    k = knowledge()
    lang = call.scope.module.lang
    if not isinstance(call.callee, Attr):
        return None
    if (lang == "python" and name not in k.py_all) or (lang == "js" and name not in k.js_all):
        return None
    fs = function_scope(call.scope)
    if fs is None:
        return None
    found = handler_scopes(q).get(id(fs))
    if found is None:
        return None
    _scope, ep = found
    if (ep.method or "").upper() != "GET":
        return None
    chain = _chain(call)
    if lang == "python":
        if not any(k.py_query_roots.search(n) for n in chain[1:]) or call.args or call.kwargs:
            return None
    else:
        if name == "find" and not (call.args and isinstance(call.args[0], Obj)):
            return None  # Array.prototype.find / a find with a filter callback
        if not any(k.js_query_roots.search(x) for x in q.quals(call.callee, call.scope)):
            return None
    root = _returned(call, fs, q)
    if root is None:
        return None
    words = set(chain)
    for e in walk(root, limit=200):
        if isinstance(e, Attr):
            words.add(e.name)
        elif isinstance(e, Call):
            words |= set(e.options())
    if any(k.bounds.search(w) for w in words):
        return None
    if k.own_rows is not None and not words & {"join", "outerjoin"} and any(
            isinstance(e, (Name, Attr)) and k.own_rows.search(dotted(e))
            for e in walk([call.callee, *call.args, *call.kwargs.values()], limit=200)):
        # filtered to the caller's own rows (Note.owner_id == current_user.id): bounded by one owner. Across a
        # join the caller owns the parent (a department's students): the list is not the caller's rows.
        return None
    route = f"{ep.method} {ep.route or ep.function}"
    return _hit(LISTS, "List endpoint without pagination",
                f"{route} returns {call.text}() with no limit, take, range or page: every row is read and sent on "
                "each request, and the response grows with the table", call.scope.module.path, call.line)


def _chain(call: Call) -> list[str]:
    """The method names of a call chain, outermost first (``db.query(X).filter(...).all`` ->
    ``[all, filter, query, db]``)."""
    out: list[str] = []
    e: Expr = call.callee
    for _ in range(16):
        if isinstance(e, Attr):
            out.append(e.name)
            e = e.obj
        elif isinstance(e, Call):
            e = e.callee
        elif isinstance(e, Name):
            out.append(e.id)
            break
        else:
            break
    return out


def _returned(call: Call, fs: Scope, q: Query) -> Expr | None:
    """What the handler returns that holds the call's result (directly, awaited, or through a local
    name bound to it), or None."""
    for r in fs.returns:
        for e in walk(r, limit=60):
            if e is call:
                return r
            if isinstance(e, Name):
                for b in q.bound_values(e, fs):
                    if any(x is call for x in walk(b, limit=40)):
                        return b
    return None
