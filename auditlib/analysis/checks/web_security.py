"""The web-application layer (issue 11): seven rules that prototypes ship with.

- ``secret.exposed_to_client``: a server credential read through a variable the bundler inlines into
  browser code (``NEXT_PUBLIC_``, ``VITE_``, ``REACT_APP_``, ``EXPO_PUBLIC_``...), a model SDK built with
  ``dangerouslyAllowBrowser: true`` on a key of the app's;
- ``auth.token_not_verified``: a JWT decoded without checking its signature (``jwt.decode`` with
  ``verify_signature: False`` or the ``none`` algorithm, ``get_unverified_claims``, jsonwebtoken's
  ``decode`` / jose's ``decodeJwt`` in server code that verifies nothing, the payload base64-decoded by hand);
- ``web.unsafe_html_sink``: model output or request data put into a page as HTML (``innerHTML``,
  ``dangerouslySetInnerHTML``, ``insertAdjacentHTML``, ``st.markdown(..., unsafe_allow_html=True)``,
  ``components.html``, ``Markup``, ``HTMLResponse``, ``render_template_string``);
- ``errors.exception_text_in_response``: an exception's text or a stack trace returned by a handler;
- ``web.cors_any_origin``: CORS open to every origin (CORSMiddleware ``["*"]``, ``CORS(app)``,
  ``cors()``, an ``Access-Control-Allow-Origin: *`` header);
- ``integration.webhook_unverified``: a webhook route whose file never verifies the sender's signature;
- ``auth.weak_password_storage``: a password hashed with a fast hash, compared or stored in plain text.

What the libraries are called, which options matter and which words mark a sanitiser or a verification
is data: checklists/web_security.yaml. Precision first: a value whose origin cannot be followed is not
reported as tainted; each hit is graded by what the code shows, and the evidence says why.
"""

from __future__ import annotations

import ast
import functools
import posixpath
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from ...models import Confidence, Endpoint, RuleHit, Severity
from ...rubric import read_knowledge
from ..ir import (
    Arr,
    Attr,
    Call,
    Expr,
    Lit,
    Module,
    Name,
    Obj,
    Scope,
    Tmpl,
    Union,
    Unknown,
)
from ..irtools import (
    dotted,
    function_scope,
    imported_from,
    may_be_external,
    may_be_import,
    render,
    scopes_in,
    string_value,
    walk,
)
from ..query import Query
from ..tables import knowledge_of
from ..uses import importers, is_server_code
from . import check

SECRET = "secret.exposed_to_client"
TOKEN = "auth.token_not_verified"
HTML = "web.unsafe_html_sink"
ERRORS = "errors.exception_text_in_response"
CORS = "web.cors_any_origin"
WEBHOOK = "integration.webhook_unverified"
PASSWORD = "auth.weak_password_storage"

TAINT = {"request", "model_output"}
_COMMENT = re.compile(r"^\s*(//|/\*|\*|#)")


# ------------------------------------------------------------------------------------------- data
@functools.cache
def _load(path: Path) -> dict[str, Any]:
    return read_knowledge(path) or {}


def data(section: str) -> dict[str, Any]:
    """One section of checklists/web_security.yaml (or the AUDITLIB_RUBRIC folder's copy)."""
    return knowledge_of("web_security.yaml", _load).get(section) or {}


@functools.cache
def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@functools.cache
def _pattern_words(*patterns: str) -> frozenset[str]:
    """Every word of some patterns over qualified names: a method named otherwise cannot match them."""
    return frozenset(w for p in patterns for w in re.findall(r"[A-Za-z_]\w*", p))


def rx(section: str, key: str) -> re.Pattern[str]:
    return _rx(data(section)[key])


# ------------------------------------------------------------------------------------ source text
_TEXTS: WeakKeyDictionary[Query, dict[str, str | None]] = WeakKeyDictionary()


def source(q: Query, path: str) -> str | None:
    """The text of a file of the target (None when the engine was given no files or it cannot be read)."""
    memo = _TEXTS.setdefault(q, {})
    if path not in memo:
        memo[path] = None
        if q.files is not None:
            memo[path] = q.files.read_text(path)  # the FileSet keeps the texts it read: no second read
    return memo[path]


def _code_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number, line) of the lines that are not comments."""
    for n, line in enumerate(text.splitlines(), 1):
        if not _COMMENT.match(line):
            yield n, line


def _string_block_lines(text: str) -> set[int]:
    """The lines of a Python file inside a string spanning several lines (a docstring, a template, the
    source of another program kept as text): what is written there is not this program's code."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return set()
    out: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.end_lineno is not None \
                and node.end_lineno > node.lineno:
            out.update(range(node.lineno, node.end_lineno + 1))
    return out


def _scope_at(mod: Module, line: int) -> Scope:
    """The innermost function scope of ``mod`` spanning ``line`` (the module scope when none does)."""
    best = mod.scope
    for s in mod.scopes:
        if s.kind == "function" and s.line <= line <= (s.end_line or s.line) and \
                (best is mod.scope or s.line >= best.line):
            best = s
    return best


# ---------------------------------------------------------------------------------------- handlers
def _endpoints(q: Query) -> list[Endpoint]:
    from ..web import endpoints

    memo = q.__dict__.setdefault("_web_security_memo", {})
    if "endpoints" not in memo:
        memo["endpoints"] = endpoints(q)
    got: list[Endpoint] = memo["endpoints"]
    return got


def handler_roots(q: Query, mod: Module) -> dict[int, Endpoint]:
    """id(function scope) -> its endpoint, for the functions of ``mod`` that are endpoint handlers."""
    memo = q.__dict__.setdefault("_web_security_memo", {})
    key = ("roots", mod.path)
    if key not in memo:
        eps = [e for e in _endpoints(q) if e.path == mod.path]
        out: dict[int, Endpoint] = {}
        if eps:
            by_name: dict[str, list[Endpoint]] = {}
            for e in eps:
                by_name.setdefault(e.function, []).append(e)
            for s in mod.scopes:
                if s.kind == "function":
                    name = q.function_name(s)
                    if name in by_name:
                        out[id(s)] = by_name[name][0]
        memo[key] = out
    got: dict[int, Endpoint] = memo[key]
    return got


def handler_of(q: Query, scope: Scope) -> Endpoint | None:
    """The endpoint whose handler ``scope`` is in (itself or a function nested in it), else None."""
    roots = handler_roots(q, scope.module)
    s: Scope | None = scope
    while s is not None:
        if id(s) in roots:
            return roots[id(s)]
        s = s.parent
    return None


def _hit(rule: str, title: str, evidence: str, path: str, line: int, severity: Severity | None = None,
         confidence: Confidence | None = None) -> RuleHit:
    return RuleHit(rule=rule, title=title, evidence=evidence, path=path, line=line, severity=severity,
                   confidence=confidence)


def _truthy(e: Expr | None) -> bool:
    return isinstance(e, Lit) and (e.value is True or e.value in ("true", "True"))




def _has_star(e: Expr | None, scope: Scope, q: Query) -> bool:
    """A literal ``"*"`` (or a list holding one, or a name bound to one)."""
    for v in q.bound_values(e, scope):
        if isinstance(v, Lit) and v.value == "*":
            return True
        if isinstance(v, (Arr, Union)) and any(isinstance(x, Lit) and x.value == "*" for x in v.items):
            return True
    return False


# ====================================================================== secret.exposed_to_client
SECRET_TITLE = "Server secret shipped to the browser"
_ENV_READ = re.compile(r"^(import\.meta|\(\.\.\.\)|process)\.env\.")
"""process.env.X, import.meta.env.X (lowered as ``(...).env.X``: ``import.meta`` is no name)."""


def _name_grade(name: str) -> str | None:
    """``server`` (a provider or database credential), ``other`` (a secret-like name of an unknown
    service), or None (public by design, or not secret-like)."""
    d = data("client_env")
    rest = name
    for p in d.get("prefixes") or ():
        if rest.startswith(p):
            rest = rest[len(p):]
            break
    if not _rx(d["secret_words"]).search(rest) or _rx(d["public"]).search(rest):
        return None
    return "server" if _rx(d["server_secrets"]).search(rest) else "other"


@check(SECRET, on="module", roles={"app", "other", "config"}, languages=("js",))
def exposed_to_client(mod: Module, q: Query) -> Iterator[RuleHit]:
    """Client-prefixed secret names read in code; model SDK clients opted into the browser."""
    if mod.lang != "js":
        return
    text = source(q, mod.path)
    client = "use client" in mod.directives or not is_server_code(q, mod)
    latent = _unbundled(q, mod)
    read_here = False  # a server credential already reported in this file: its client is the same flaw
    if text is not None:
        seen: set[str] = set()
        reads = rx("client_env", "reads")
        for n, line in _code_lines(text):
            for m in reads.finditer(line):
                name = m.group(1)
                grade = _name_grade(name)
                if grade is None or name in seen:
                    continue
                seen.add(name)
                prefix = name.split("_", 1)[0] + "_"
                prefix = next((p for p in data("client_env").get("prefixes") or () if name.startswith(p)), prefix)
                bundled = client or prefix != "NEXT_PUBLIC_"  # Vite, CRA, Expo: the whole app is the bundle
                if grade == "server" and bundled and prefix in latent:
                    read_here = True
                    yield _hit(SECRET, SECRET_TITLE, f"{name} is read in browser code that no module imports "
                               f"and no page loads: not in the bundle today, but the {prefix} prefix writes its "
                               "value into the shipped JavaScript as soon as the module is wired in (latent)",
                               mod.path, n, "low", "medium")
                elif grade == "server" and bundled:
                    read_here = True
                    yield _hit(SECRET, SECRET_TITLE, f"{name} is read in browser code: the {prefix} prefix makes "
                               "the bundler write its value into the JavaScript every visitor downloads",
                               mod.path, n, "critical", "high")
                elif not bundled:
                    continue  # read only in server code: the value is not in a bundle (a misleading name)
                else:
                    yield _hit(SECRET, "Secret-like variable shipped to the browser",
                               f"{name} carries the {prefix} prefix, so its value is public in the bundle; "
                               "whether that key is meant to be public depends on the service it belongs to",
                               mod.path, n, "low", "low")
    if not client:
        return  # server code only route handlers import: the SDK's browser opt-in is inert there
    option = data("client_env").get("browser_option") or "dangerouslyAllowBrowser"
    for call in mod.calls:
        opts = call.options()
        if option not in opts or not _truthy(opts[option]):
            continue
        key = opts.get("apiKey") or opts.get("api_key")
        origins = q.origins(key, call.scope) if key is not None else set()
        if key is not None and any(_ENV_READ.match(dotted(v))
                                   for v in q.bound_values(key, call.scope)):
            origins = origins | {"env"}  # Vite's import.meta.env is the build's environment too
        if origins & {"env", "literal"}:
            if read_here and "env" in origins:
                continue
            if latent:
                yield _hit(SECRET, SECRET_TITLE, f"{call.text}({option}: true) is given a key of the app's "
                           f"({render(key)}) in a module no module imports and no page loads: not shipped "
                           "today, sent from every visitor's browser once it is wired in (latent)",
                           mod.path, call.line, "low", "medium")
                continue
            yield _hit(SECRET, SECRET_TITLE, f"{call.text}({option}: true) is given a key of the app's "
                       f"({render(key)}): it is sent from every visitor's browser, where anyone can read it",
                       mod.path, call.line, "critical", "high")
        elif key is None:
            yield _hit(SECRET, SECRET_TITLE, f"{call.text}({option}: true) runs the provider SDK in the browser; "
                       "the key it finds there is readable by every visitor", mod.path, call.line, "high", "medium")
        else:
            yield _hit(SECRET, "Provider SDK used from the browser",
                       f"{call.text}({option}: true) with apiKey {render(key) or 'from elsewhere'}: fine when it "
                       "is the visitor's own key, a leak when it is the app's", mod.path, call.line, "low", "low")


def _unbundled(q: Query, mod: Module) -> frozenset[str]:
    """The client prefixes (``import_graph_prefixes``: Vite, CRA) whose bundle cannot hold ``mod`` today:
    no module of the repository imports it, it is no entry (``main``/``index``) and no HTML file names
    it. Empty when the module may be bundled, or when the repository has a single module (nothing to
    tell an entry by)."""
    d = data("client_env")
    prefixes = frozenset(d.get("import_graph_prefixes") or ())
    stem = posixpath.basename(mod.path).split(".", 1)[0].lower()
    if not prefixes or stem in set(d.get("entry_stems") or ()) or len(q.repo.modules) < 2 \
            or importers(q).get(mod.path):
        return frozenset()
    base, files = posixpath.basename(mod.path), q.files
    if files is not None and any(base in (files.read_text(f) or "") for f in files.by_suffix(".html", ".htm")):
        return frozenset()
    return prefixes


# ====================================================================== auth.token_not_verified
TOKEN_TITLE = "Token decoded without verifying its signature"
_B64_PAYLOAD = re.compile(r"split\(\s*[\"']\.[\"']\s*\)\s*\[\s*1\s*\]")
_B64_DECODE = re.compile(r"\b(atob|b64decode|urlsafe_b64decode|Buffer\.from|base64)\b")


def _identity_use(call: Call, q: Query) -> bool:
    """The decoded claims stand for the caller: the call is in an endpoint handler or in a function
    named for authentication or the user (get_current_user, verifyToken, requireAuth...)."""
    if handler_of(q, call.scope) is not None:
        return True
    name = q.function_name(call.scope) or ""
    return bool(rx("tokens", "identity_functions").search(name.lower()))


def _false_option(e: Expr | None, key: str, scope: Scope, q: Query) -> bool:
    for v in q.bound_values(e, scope):
        if isinstance(v, Obj):
            for k, val in v.items:
                if k == key and isinstance(val, Lit) and val.value in (False, "false", "False"):
                    return True
    return False


def _none_algorithm(e: Expr | None, scope: Scope, q: Query) -> bool:
    for v in q.bound_values(e, scope):
        items = v.items if isinstance(v, (Arr, Union)) else [v]
        if any(isinstance(x, Lit) and isinstance(x.value, str) and x.value.lower() == "none" for x in items):
            return True
    return False


@check(TOKEN, on="module", roles={"app"})
def token_not_verified(mod: Module, q: Query) -> Iterator[RuleHit]:
    server = is_server_code(q, mod) or bool(handler_roots(q, mod))
    if mod.lang == "python":
        yield from _py_tokens(mod, q, server)
    else:
        yield from _js_tokens(mod, q, server)
    if server:
        text = source(q, mod.path)
        if text is not None and "split" in text:  # _B64_PAYLOAD needs a split(".")[1]
            lines = text.splitlines()
            for n, line in _code_lines(text):
                if _B64_PAYLOAD.search(line) and _B64_DECODE.search(" ".join(lines[max(0, n - 2):n + 1])):
                    yield _hit(TOKEN, TOKEN_TITLE, "the token's payload is base64-decoded by hand "
                               "(split('.')[1]) in server code: its claims are read without checking the "
                               "signature, so anyone can write their own", mod.path, n, "high", "medium")


def _py_tokens(mod: Module, q: Query, server: bool) -> Iterator[RuleHit]:
    decode, unverified = rx("tokens", "py_decode"), rx("tokens", "py_unverified")
    for call in mod.calls:
        if not isinstance(call.callee, Attr) or call.callee.name not in {"decode", "get_unverified_claims"}:
            continue
        qual = q.callee_qual(call) or ""
        why = None
        if decode.search(qual):
            if _false_option(call.kwargs.get("options"), "verify_signature", call.scope, q):
                why = "options={'verify_signature': False}"
            elif "verify" in call.kwargs and isinstance(call.kwargs["verify"], Lit) and call.kwargs["verify"].value is False:
                why = "verify=False"
            elif _none_algorithm(call.kwargs.get("algorithms"), call.scope, q):
                why = "the 'none' algorithm allowed"
        elif unverified.search(qual):
            why = "get_unverified_claims"
        if why is None:
            continue
        yield from _grade_token(call, q, server, f"{call.text}() with {why}")


def _js_tokens(mod: Module, q: Query, server: bool) -> Iterator[RuleHit]:
    decode = rx("tokens", "js_decode")
    text = source(q, mod.path) or ""
    verifies = bool(rx("tokens", "js_verify").search(text))
    for call in mod.calls:
        opts = call.options()
        if "algorithms" in opts and _none_algorithm(opts["algorithms"], call.scope, q) and \
                last(call) in {"verify", "jwtVerify", "decode"}:
            yield _hit(TOKEN, TOKEN_TITLE, f"{call.text}() accepts the 'none' algorithm: a token with no "
                       "signature passes", mod.path, call.line, "critical", "high")
            continue
        if not server or verifies:
            continue
        if last(call) not in {"decode", "decodeJwt", "jwtDecode", "jwt_decode", "default"} and \
                not isinstance(call.callee, Name):
            continue
        qual = q.callee_qual(call) or ""
        if decode.search(qual):
            yield _hit(TOKEN, TOKEN_TITLE, f"{call.text}() reads the token's claims without checking its "
                       "signature, and nothing in this server module verifies one (jwt.verify, jwtVerify)",
                       mod.path, call.line, "high", "medium")


def _grade_token(call: Call, q: Query, server: bool, what: str) -> Iterator[RuleHit]:
    if server and _identity_use(call, q):
        yield _hit(TOKEN, TOKEN_TITLE, f"{what} where the caller's identity is decided: anyone can forge a "
                   "token with any user in it", call.scope.module.path, call.line, "critical", "high")
    else:
        yield _hit(TOKEN, TOKEN_TITLE, f"{what}: the claims are read without checking the signature; "
                   "whether anything trusts them is not visible here", call.scope.module.path, call.line,
                   "medium", "low")


def last(call: Call) -> str:
    c = call.callee
    return c.name if isinstance(c, Attr) else c.id if isinstance(c, Name) else ""


# ====================================================================== web.unsafe_html_sink
HTML_TITLE = "Model output or request data rendered as raw HTML"


def _sanitised(e: Expr, scope: Scope, q: Query) -> bool:
    """``e`` (or every value a local name holding it is bound to) passes through a sanitiser."""
    san = rx("html", "sanitizers")
    values = q.bound_values(e, scope) or [e]
    return all(any(isinstance(x, Call) and san.search(dotted(x.callee)) for x in walk(v, 200)) for v in values)


def _markdown_call(e: Expr, scope: Scope, q: Query) -> str | None:
    """The markdown renderer ``e`` calls on a non-literal text (marked, showdown's makeHtml), if any."""
    md = rx("html", "markdown")
    for v in q.bound_values(e, scope):
        if isinstance(v, Call) and v.args and not isinstance(v.args[0], Lit):
            name = dotted(v.callee)
            if md.search(name):
                return name
    return None


_STRING_METHODS = {"replace", "format", "join", "concat", "replaceAll"}


def _text_origins(e: Expr, scope: Scope, q: Query, depth: int = 0) -> set[str]:
    """``q.origins``, where a string method's arguments count too (``template.replace("{{MSG}}", answer)``,
    ``"<b>{}</b>".format(x)``): the origin of the receiver alone is the template's."""
    out = set(q.origins(e, scope))
    if depth < 3 and isinstance(e, Call) and isinstance(e.callee, Attr) and e.callee.name in _STRING_METHODS:
        for a in list(e.args) + list(e.kwargs.values()):
            out |= _text_origins(a, scope, q, depth + 1)
        out |= _text_origins(e.callee.obj, scope, q, depth + 1) - {"unknown"}
    return out


def _html_grade(value: Expr, scope: Scope, q: Query, streamlit: bool,
                server: bool) -> tuple[Severity, Confidence, str] | None:
    """(severity, confidence, what) for a value put into HTML, or None when it is not shown to be tainted."""
    if _sanitised(value, scope, q):
        return None
    origins = _text_origins(value, scope, q)
    if "model_output" in origins:
        if streamlit:
            return ("medium", "high", ("model output (text a prompt injection can steer, e.g. from a document) is "
                    "rendered as HTML in the visitor's page: an <img onerror> in it runs script there"))
        return ("high", "medium", ("model output is put into the page as HTML: a prompt injection becomes "
                "cross-site scripting (OWASP LLM05)"))
    if "request" in origins:
        if streamlit:
            return ("low", "medium", ("what the visitor typed is rendered back to them as HTML (their own "
                    "session only, unless it is stored and shown to others)"))
        return ("high", "medium", "request data is put into the page as HTML: cross-site scripting")
    md = _markdown_call(value, scope, q)
    if md is not None and not server:
        return ("medium", "low", (f"text rendered by {md}() (which keeps raw HTML) is put into the page as HTML; "
                "when that text is model output or another user's input, script in it runs"))
    return None


@check(HTML, on="module", roles={"app"})
def unsafe_html_sink(mod: Module, q: Query) -> Iterator[RuleHit]:
    if mod.lang == "python":
        yield from _py_html(mod, q)
    else:
        yield from _js_html(mod, q)


def _py_html(mod: Module, q: Query) -> Iterator[RuleHit]:
    flag_sinks, sinks = rx("html", "py_flag_sinks"), rx("html", "py_sinks")
    flag = data("html").get("py_flag") or "unsafe_allow_html"
    words = _pattern_words(flag_sinks.pattern, sinks.pattern)
    for call in mod.calls:
        if (not call.args and not call.kwargs) or (isinstance(call.callee, Attr) and call.callee.name not in words):
            continue  # a method named like no sink (log.info, item.get) is not resolved
        if not may_be_import(call.callee, call.scope):
            continue  # the sinks are library functions called through their import (st.markdown, Markup)
        qual = q.callee_qual(call) or ""
        if flag_sinks.search(qual):
            if not _truthy(call.kwargs.get(flag)):
                continue
            streamlit = True
        elif sinks.search(qual):
            streamlit = qual.startswith(("streamlit.", "gradio."))
        else:
            continue
        value = call.args[0] if call.args else call.kwargs.get("html") or call.kwargs.get("content") or \
            call.kwargs.get("body") or call.kwargs.get("source")
        if value is None:
            continue
        if qual == "flask.render_template_string" and "request" in q.origins(value, call.scope):
            yield _hit(HTML, "Request data rendered as a template", f"{call.text}() renders a template built "
                       "from request data: template injection, which runs code on the server", mod.path,
                       call.line, "critical", "high")
            continue
        grade = _html_grade(value, call.scope, q, streamlit, server=False)
        if grade is not None:
            sev, conf, what = grade
            yield _hit(HTML, HTML_TITLE, f"{call.text}({flag + '=True' if streamlit and flag in call.kwargs else '...'}): "
                       f"{what}", mod.path, call.line, sev, conf)


_JSX_HTML = re.compile(r"dangerouslySetInnerHTML\s*=\s*\{\{\s*__html\s*:\s*([^}]*?)\s*,?\s*\}\}", re.DOTALL)
_IDENT = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")


def _js_html(mod: Module, q: Query) -> Iterator[RuleHit]:
    server = is_server_code(q, mod)
    props = set(data("html").get("js_properties") or ("innerHTML", "outerHTML"))
    for st in mod.stores:
        if st.name not in props or isinstance(st.value, Lit):
            continue
        grade = _html_grade(st.value, st.scope, q, streamlit=False, server=server)
        if grade is not None:
            sev, conf, what = grade
            yield _hit(HTML, HTML_TITLE, f"{dotted(st.target)}.{st.name} = {render(st.value) or '...'}: {what}",
                       mod.path, st.line, sev, conf)
    calls_rx = rx("html", "js_calls")
    for call in mod.calls:
        name = dotted(call.callee)
        if not calls_rx.search(name) or not call.args:
            continue
        if name.endswith((".write", ".writeln")) and not name.startswith("document."):
            continue
        value = call.args[-1] if name.endswith("insertAdjacentHTML") else call.args[0]
        grade = _html_grade(value, call.scope, q, streamlit=False, server=server)
        if grade is not None:
            sev, conf, what = grade
            yield _hit(HTML, HTML_TITLE, f"{name}({render(value) or '...'}): {what}", mod.path, call.line, sev, conf)
    text = source(q, mod.path)
    if text is None or "dangerouslySetInnerHTML" not in text:
        return
    for m in _JSX_HTML.finditer(text):
        expr = m.group(1).strip()
        line = text.count("\n", 0, m.start()) + 1
        if not expr or expr[0] in "\"'`" and "${" not in expr:
            continue
        if rx("html", "sanitizers").search(expr):
            continue
        scope = _scope_at(mod, line)
        shown: Expr | None = None
        if _IDENT.match(expr):
            parts = expr.split(".")
            shown = Name(parts[0])
            for p in parts[1:]:
                shown = Attr(shown, p)
        elif re.match(r"^[\w$.]+\(", expr):  # marked(x), md.makeHtml(x): the renderer by its name
            fn = expr.split("(", 1)[0]
            arg = expr.split("(", 1)[1].rstrip(")").strip()
            if arg and arg[0] not in "\"'`" and rx("html", "markdown").search(fn):
                yield _hit(HTML, HTML_TITLE, f"dangerouslySetInnerHTML={{{{ __html: {expr[:60]} }}}}: text rendered "
                           f"by {fn}() (which keeps raw HTML) goes into the page; when it is model output or "
                           "another user's input, script in it runs", mod.path, line, "medium", "low")
            continue
        if shown is None:
            continue
        grade = _html_grade(shown, scope, q, streamlit=False, server=server)
        if grade is not None:
            sev, conf, what = grade
            yield _hit(HTML, HTML_TITLE, f"dangerouslySetInnerHTML={{{{ __html: {expr[:60]} }}}}: {what}",
                       mod.path, line, sev, conf)


# ====================================================================== errors.exception_text_in_response
ERRORS_TITLE = "Exception text returned to the client"
_PY_RESPONSE_NAMES = {"jsonify", "make_response", "HTTPException", "JSONResponse", "Response", "PlainTextResponse",
                      "HTMLResponse", "abort", "JsonResponse", "HttpResponse", "HttpResponseServerError",
                      "StreamingResponse", "ORJSONResponse"}
_BROAD = {"Exception", "BaseException"}


@check(ERRORS, on="module", roles={"app"})
def exception_text_in_response(mod: Module, q: Query) -> Iterator[RuleHit]:
    if mod.lang == "python":
        yield from _py_errors(mod, q)
    else:
        yield from _js_errors(mod, q)


def _py_errors(mod: Module, q: Query) -> Iterator[RuleHit]:
    roots = handler_roots(q, mod)
    if not roots:
        return
    text = source(q, mod.path)
    if text is None:
        return
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    names = {s.name for s in mod.scopes if id(s) in roots}
    own = set(data("responses").get("own_errors") or ())
    lines = {s.line for s in mod.scopes if id(s) in roots}
    reported: set[int] = set()
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) or fn.name not in names:
            continue
        if not any(abs(fn.lineno - ln) <= len(fn.decorator_list) + 1 for ln in lines):
            continue
        for node in ast.walk(fn):
            if isinstance(node, ast.ExceptHandler):
                broad = node.type is None or _names_of(node.type) & _BROAD
                if not broad and node.type is not None and _names_of(node.type) <= own:
                    continue  # ValueError, KeyError, HTTPException...: the code's own message, meant for the caller
                for sink, line in _py_sinks(node.body):
                    why = _py_exception_text(sink, node.name)
                    if why and line not in reported:
                        reported.add(line)
                        yield _py_error_hit(mod, line, why, broad, node)
            elif isinstance(node, (ast.Return, ast.Call, ast.Yield, ast.Raise)):
                for sink, line in _py_sinks([node]) if not isinstance(node, ast.Call) else ():
                    if line not in reported and _py_trace(sink):
                        reported.add(line)
                        yield _hit(ERRORS, "Stack trace returned to the client", "the handler returns "
                                   "traceback.format_exc(): file paths, code and library versions to whoever "
                                   "triggers the error", mod.path, line, "medium", "high")


def _names_of(e: ast.expr) -> set[str]:
    if isinstance(e, ast.Tuple):
        return set().union(*(_names_of(x) for x in e.elts))
    if isinstance(e, ast.Name):
        return {e.id}
    if isinstance(e, ast.Attribute):
        return {e.attr}
    return set()


def _py_sinks(body: Sequence[ast.AST]) -> Iterator[tuple[ast.expr, int]]:
    """What a handler's statements send back: returned, yielded or raised values, and the arguments of
    response calls (jsonify, HTTPException, JSONResponse...)."""
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Return, ast.Yield)) and node.value is not None:
                yield node.value, node.lineno
            elif isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
                if name in _PY_RESPONSE_NAMES:
                    for a in list(node.args) + [k.value for k in node.keywords]:
                        yield a, node.lineno


def _py_trace(e: ast.expr) -> bool:
    for n in ast.walk(e):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and \
                n.func.attr in {"format_exc", "format_exception", "format_tb"}:
            return True
    return False


def _py_exception_text(e: ast.expr, name: str | None) -> str | None:
    if _py_trace(e):
        return "trace"
    if not name:
        return None
    for n in ast.walk(e):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in {"str", "repr", "format"} and \
                n.args and isinstance(n.args[0], ast.Name) and n.args[0].id == name:
            return f"{n.func.id}({name})"
        if isinstance(n, ast.FormattedValue) and isinstance(n.value, ast.Name) and n.value.id == name:
            return f"{{{name}}} in an f-string"
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == name and \
                n.attr in {"args", "message", "msg", "orig", "__traceback__"}:
            return f"{name}.{n.attr}"
    return None


def _py_error_hit(mod: Module, line: int, why: str, broad: bool | set[str], handler: ast.ExceptHandler) -> RuleHit:
    if why == "trace":
        return _hit(ERRORS, "Stack trace returned to the client", "the handler returns traceback.format_exc(): "
                    "file paths, code and library versions to whoever triggers the error", mod.path, line,
                    "medium", "high")
    caught = ast.unparse(handler.type) if handler.type is not None else "everything"
    if broad:
        return _hit(ERRORS, ERRORS_TITLE, f"the handler catches {caught} and sends {why} to the client: "
                    "database errors, file paths and provider messages reach whoever triggers them", mod.path,
                    line, "medium", "high")
    return _hit(ERRORS, ERRORS_TITLE, f"the handler sends {why} of a {caught} to the client: usually the code's "
                "own message, but a library's text can carry internals", mod.path, line, "low", "medium")


def _catch_names(scope: Scope) -> set[str]:
    """Names bound only to an unknown value in a function (a catch clause's parameter among them)."""
    fs = function_scope(scope)
    if fs is None:
        return set()
    return {n for n, bs in fs.bindings.items() if bs and all(isinstance(b, Unknown) for b in bs)}


def _js_exception_text(e: Expr, caught: set[str]) -> str | None:
    for x in walk(e, 300):
        if isinstance(x, Attr) and isinstance(x.obj, Name) and x.obj.id in caught and x.name in {"message", "stack"}:
            return f"{x.obj.id}.{x.name}"
        if isinstance(x, Call) and isinstance(x.callee, Name) and x.callee.id == "String" and x.args and \
                isinstance(x.args[0], Name) and x.args[0].id in caught:
            return f"String({x.args[0].id})"
        if isinstance(x, Tmpl) and any(isinstance(p, Name) and p.id in caught for p in x.parts):
            return "the error in a template string"
    return None


def _js_errors(mod: Module, q: Query) -> Iterator[RuleHit]:
    quals, texts = rx("responses", "js_quals"), rx("responses", "js_text")
    for call in mod.calls:
        if not any(g.kind == "except" for g in call.guards) or not call.args:
            continue
        name = dotted(call.callee)
        resolved = q.callee_qual(call) or ""
        if quals.search(resolved) or (call.new and quals.search(":" + name)):
            pass
        elif texts.search(name):
            root = call.callee
            while isinstance(root, (Attr, Call)):
                root = root.obj if isinstance(root, Attr) else root.callee
            is_param = isinstance(root, Name) and any(p.name == root.id for s in _up(call.scope) for p in s.params)
            if not (is_param or handler_of(q, call.scope) is not None):
                continue
        else:
            continue
        caught = _catch_names(call.scope)
        if not caught:
            continue
        why = None
        for a in call.args[:1] if not name.endswith("NextResponse") else call.args:
            why = _js_exception_text(a, caught)
            if why:
                break
        if why is None:
            continue
        if why.endswith(".stack"):
            yield _hit(ERRORS, "Stack trace returned to the client", f"{name}(...) sends {why} to the client: "
                       "file paths and code to whoever triggers the error", mod.path, call.line, "medium", "high")
        else:
            yield _hit(ERRORS, ERRORS_TITLE, f"{name}(...) in a catch sends {why} to the client: database errors, "
                       "file paths and provider messages reach whoever triggers them", mod.path, call.line,
                       "medium", "high")


def _up(scope: Scope) -> Iterator[Scope]:
    s: Scope | None = scope
    while s is not None and s.kind == "function":
        yield s
        s = s.parent


# ====================================================================== web.cors_any_origin
CORS_TITLE = "CORS open to any origin"
_HEADER_ANY = re.compile(r"""["']Access-Control-Allow-Origin["']\s*(?:[:,]|\]\s*=)\s*["']\*["']|"""
                         r"""key\s*:\s*["']Access-Control-Allow-Origin["']\s*,\s*value\s*:\s*["']\*["']""",
                         re.IGNORECASE)


def _cookie_auth(q: Query, path: str) -> bool:
    """Whether the server code beside ``path`` (its top folder, when it is in one: a repository may hold
    several apps) authenticates with something the browser sends by itself (a cookie, a session): only
    then can another site's page call the API as the logged-in visitor."""
    top = path.split("/", 1)[0] + "/" if "/" in path else ""
    memo = q.__dict__.setdefault("_facts_memo", {}).setdefault("cookie_auth", {})
    if top not in memo:
        words = _rx(data("cors")["cookie_auth"])
        memo[top] = any(words.search(source(q, m.path) or "") for m in q.parsed_modules()
                        if m.path.startswith(top) and (is_server_code(q, m) or m.lang == "python"))
    return bool(memo[top])


def _cors_grade(q: Query, credentials: bool, literal_star: bool = False,
                path: str = "") -> tuple[Severity, Confidence, str]:
    eps = _endpoints(q)
    note = ""
    if credentials and literal_star:
        credentials = False  # the cors package answers a literal '*', which browsers refuse with credentials
        note = " (credentials are allowed, but a literal '*' makes browsers drop credentialed responses)"
    if credentials and any(e.has_auth for e in eps):
        if _cookie_auth(q, path):
            return ("high", "medium", ("with credentials allowed, and endpoints that authenticate with a cookie or "
                    "session: any web page can call them as the logged-in visitor"))
        credentials = False
        note = (" (credentials are allowed, but the endpoints authenticate with a header the browser does not "
                "send by itself: no session for another site to ride)")
    reaches = {r.kind for e in eps for r in (e.reaches or ()) if not e.has_auth}
    if "model" in reaches:
        return ("medium", "high", ("unauthenticated endpoints spend the server's model key, so any web page can "
                f"use this API through its visitors' browsers (an open relay){note}"))
    if credentials:
        return ("medium", "high", ("with credentials allowed; no endpoint authenticates yet, so no cookie "
                "unlocks anything today"))
    if eps and not reaches & {"write", "provider", "read", "file"}:
        return ("low", "medium", ("the endpoints found read nothing private and change nothing (a public read-only "
                f"API may be meant for any site){note}"))
    return ("medium", "high", f"any web page can call this API from its visitors' browsers and read the answers{note}")


@check(CORS, on="module", roles={"app", "config", "other"})
def cors_any_origin(mod: Module, q: Query) -> Iterator[RuleHit]:
    d = data("cors")
    star, flask, express = _rx(d["starlette"]), _rx(d["flask"]), _rx(d["express"])
    found: list[tuple[Call, str, bool, bool]] = []
    for call in mod.calls:
        got = _py_cors(call, q, star, flask) if mod.lang == "python" else _js_cors(call, q, express)
        if got is not None:
            found.append((call, *got))
    # flask-cors' @cross_origin on a route repeats a policy: one finding for the module's app-wide policy
    # (CORS(app)), or the first decorator when there is none, naming the other decorators' lines.
    decorators = [f for f in found if (q.callee_qual(f[0]) or "").endswith("cross_origin")]
    policies = [f for f in found if f not in decorators] or decorators[:1]
    folded = [f for f in decorators if f not in policies]
    for i, (call, what, _cred, _literal) in enumerate(policies):
        group = [policies[i]] + (folded if i == 0 else [])
        others = sorted(f[0].line for f in group[1:])
        sev, conf, why = _cors_grade(q, any(f[2] for f in group), all(f[3] for f in group if f[2]), mod.path)
        more = (f" (and {len(others)} @cross_origin decorator{'s' if len(others) > 1 else ''} repeating it, "
                f"line{'s' if len(others) > 1 else ''} {', '.join(map(str, others))})") if others else ""
        yield _hit(CORS, CORS_TITLE, f"{what}{more}: {why}", mod.path, call.line, sev, conf)
    if mod.lang == "python":
        for name in d.get("django_settings") or ():
            binds = mod.scope.bindings.get(name)
            if binds and all(_truthy(b) for b in binds):
                settings = source(q, mod.path) or ""
                line = next((n for n, ln in _code_lines(settings) if re.match(rf"\s*{name}\s*=", ln)), 1)
                sev, conf, why = _cors_grade(q, bool(mod.scope.bindings.get("CORS_ALLOW_CREDENTIALS")), path=mod.path)
                yield _hit(CORS, CORS_TITLE, f"{name} = True: {why}", mod.path, line, sev, conf)
    text = source(q, mod.path)
    if text is not None and "Access-Control-Allow-Origin" in text:
        lines = []
        quoted = _string_block_lines(text) if mod.lang == "python" else set()
        for n, ln in _code_lines(text):
            if not _HEADER_ANY.search(ln) or n in quoted:
                continue  # (a line of a multi-line string: another program's source kept as text, no policy)
            ep = handler_of(q, _scope_at(mod, n))
            if ep is not None and not ep.reaches:
                continue  # a handler that reaches nothing (a discovery document, a static answer): public by design
            lines.append(n)
        if lines:
            credentials = bool(re.search(r"Access-Control-Allow-Credentials[\"']\s*[:,=\]]\s*[\"']?true", text, re.IGNORECASE))
            sev, conf, why = _cors_grade(q, credentials, path=mod.path)
            more = f" (and {len(lines) - 1} more in this file)" if len(lines) > 1 else ""
            yield _hit(CORS, CORS_TITLE, f"Access-Control-Allow-Origin: *{more}: {why}", mod.path, lines[0], sev, conf)


_FLASK_CORS = frozenset({"flask_cors"})
_CORS_PACKAGE = frozenset({"cors"})


def _py_cors(call: Call, q: Query, star: re.Pattern[str], flask: re.Pattern[str]) -> tuple[str, bool, bool] | None:
    """(what, credentials allowed, answers a literal '*'): Starlette and flask-cors echo the caller's
    origin when credentials are allowed, so the '*' is never literal then."""
    if not isinstance(call.callee, (Attr, Name)):
        return None
    callee_name = call.callee.name if isinstance(call.callee, Attr) else call.callee.id
    if callee_name in {"add_middleware", "Middleware"} and call.args:
        if not any(star.search(x) for x in q.quals(call.args[0], call.scope)):
            return None
        origins = call.kwargs.get("allow_origins")
        regex = call.kwargs.get("allow_origin_regex")
        any_origin = _has_star(origins, call.scope, q) or (
            isinstance(regex, Lit) and regex.value in {".*", "^.*$", ".+", "^.*", "https?://.*"})
        if not any_origin:
            return None
        return 'CORSMiddleware(allow_origins=["*"])', _truthy(call.kwargs.get("allow_credentials")), False
    if not imported_from(call.callee, call.scope, _FLASK_CORS):
        return None  # flask-cors is called through its import: nothing else needs resolving
    qual = q.callee_qual(call) or ""
    if not flask.search(qual):
        return None
    credentials = _truthy(call.kwargs.get("supports_credentials"))
    origins = call.kwargs.get("origins")
    if origins is not None:
        return (f"{call.text}(origins='*')", credentials, False) if _has_star(origins, call.scope, q) else None
    resources = call.kwargs.get("resources")
    if resources is not None:
        for v in q.bound_values(resources, call.scope):
            if isinstance(v, Obj):
                for _k, opts in v.items:
                    for o in q.bound_values(opts, call.scope):
                        if isinstance(o, Obj) and any(k == "origins" and _has_star(x, call.scope, q) for k, x in o.items):
                            return f"{call.text}(resources={{...: {{'origins': '*'}}}})", credentials, False
        return None
    if qual.endswith("cross_origin") or call.args:  # CORS(app) / cross_origin(): flask-cors' default is '*'
        return f"{call.text}({'app' if call.args else ''}) with no origins (flask-cors then allows '*')", credentials, False
    return None


def _js_cors(call: Call, q: Query, express: re.Pattern[str]) -> tuple[str, bool, bool] | None:
    """(what, credentials allowed, answers a literal '*'): the cors package sends '*' itself for no origin
    or origin '*', and echoes the caller's origin for origin: true."""
    if not isinstance(call.callee, Name) or not imported_from(call.callee, call.scope, _CORS_PACKAGE):
        return None
    qual = q.callee_qual(call) or ""
    if not express.search(qual):
        return None
    if not call.args:
        return "cors() with no options (the cors package then allows '*')", False, True
    opts = call.options()
    if not isinstance(call.args[0], Obj):
        return None
    if "origin" not in opts:
        return "cors({...}) with no origin (the cors package then allows '*')", _truthy(opts.get("credentials")), True
    o = opts["origin"]
    if _has_star(o, call.scope, q):
        return "cors({ origin: '*' })", _truthy(opts.get("credentials")), True
    if _truthy(o):
        return "cors({ origin: true }) (reflects every origin)", _truthy(opts.get("credentials")), False
    return None


# ====================================================================== integration.webhook_unverified
WEBHOOK_TITLE = "Webhook accepted without verifying its signature"


def _imported_texts(mod: Module, q: Query) -> Iterator[str]:
    """The text of the repository's own modules that ``mod`` imports (a verifying helper)."""
    stems = {posixpath.basename(s.replace(".", "/") if mod.lang == "python" else s).rsplit(".", 1)[0]
             for s in mod.imports}
    for path in q.repo.modules:
        if path != mod.path and posixpath.basename(path).rsplit(".", 1)[0] in stems:
            t = source(q, path)
            if t:
                yield t


@check(WEBHOOK, on="module", roles={"app"})
def webhook_unverified(mod: Module, q: Query) -> Iterator[RuleHit]:
    eps = [e for e in _endpoints(q) if e.path == mod.path]
    if not eps:
        return
    d = data("webhooks")
    route, providers, verify = _rx(d["route"]), _rx(d["providers"]), _rx(d["verify"])
    manage = _rx(d.get("manage") or r"(?!)")
    hooks = [e for e in eps if (route.search(e.route or "") or route.search(e.function or "")
                                or (e.framework == "nextjs" and route.search(mod.path)))
             and not manage.search(e.route or "") and not manage.search(e.function or "")]
    if not hooks:
        return
    text = source(q, mod.path) or ""
    if verify.search(text) or any(verify.search(t) for t in _imported_texts(mod, q)):
        return
    if not _rx(d["body"]).search(text):
        return
    for e in hooks:
        if (e.method or "POST").upper() not in {"POST", "PUT", "ANY", "ALL", "USE", "ROUTE"} and e.method:
            continue
        named = providers.search(" ".join((e.route or "", e.function or "", mod.path))) or \
            providers.search(" ".join(mod.imports))
        where = e.route or e.function
        if named:
            yield _hit(WEBHOOK, WEBHOOK_TITLE, f"the {named.group(0)} webhook {where} reads the body and nothing in "
                       "this file (or the modules it imports) checks the sender's signature: anyone can post a "
                       "forged event", mod.path, e.line, "high", "medium")
        else:
            yield _hit(WEBHOOK, WEBHOOK_TITLE, f"the webhook {where} reads the body and nothing in this file checks "
                       "a signature or shared secret: anyone who finds the URL can post events", mod.path, e.line,
                       "medium", "low")


# ====================================================================== auth.weak_password_storage
PW_TITLE = "Passwords stored in plain text or with a fast hash"
_JS_PLAIN_CMP = re.compile(r"\b\w+\.password\s*[!=]==?\s*(?:\w+\.)*\w*pass(?:word)?\b|"
                           r"\b\w*pass(?:word)?\s*[!=]==?\s*\w+\.password\b", re.IGNORECASE)
_JS_PLAIN_STORE = re.compile(r"\bpassword\s*:\s*(?:req\.body|body|data|input|args|credentials|values|formData)"
                             r"\.password\b", re.IGNORECASE)


@check(PASSWORD, on="module", roles={"app"})
def weak_password_storage(mod: Module, q: Query) -> Iterator[RuleHit]:
    d = data("passwords")
    name, good, stores = _rx(d["name"]), _rx(d["good"]), _rx(d["stores"])
    fast = _rx(d["py_fast_hashes"] if mod.lang == "python" else d["js_fast_hashes"])
    text = source(q, mod.path) or ""
    for call in mod.calls:
        if not call.args or not isinstance(call.callee, (Attr, Name)):
            continue
        if (call.callee.name if isinstance(call.callee, Attr) else call.callee.id) not in \
                {"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "new", "update", "blake2b", "blake2s"} and \
                not last(call).startswith("sha3_"):
            continue
        if not may_be_external(call.callee, call.scope):
            continue  # row.update(...) in a loop: no hash object
        qual = q.callee_qual(call) or ""
        if not fast.search(qual):
            continue
        arg = call.args[-1] if last(call) == "new" else call.args[0]
        shown = render(arg) or dotted(arg)
        if not name.search(shown):
            continue
        algo = _hash_name(call, qual)
        if "salt" in shown.lower():
            yield _hit(PASSWORD, PW_TITLE, f"{algo} over a salted password ({shown}): a fast hash, so a leaked "
                       "table is brute-forced at billions of guesses a second", mod.path, call.line, "medium", "high")
            continue
        fs = function_scope(call.scope)
        stored = fs is not None and any(stores.search(last(c)) for s in scopes_in(fs) for c in s.calls)
        if stored:
            yield _hit(PASSWORD, PW_TITLE, f"{algo}({shown}) without a salt, and the function stores the result: "
                       "one leak of the table gives every password back (lookup tables)", mod.path, call.line,
                       "critical", "high")
        else:
            yield _hit(PASSWORD, PW_TITLE, f"{algo}({shown}) without a salt: a fast hash is not a password hash; "
                       "where the result is kept is not in this function", mod.path, call.line, "medium", "medium")
    low = text.lower() if text else ""
    if ("pass" not in low and "pw" not in low) or not _rx(d["hint"]).search(low) or good.search(text):
        return  # no password named at all, or a password hash library: nothing stored as typed here
    if mod.lang == "python":
        yield from _py_plain(mod, text, name)
    else:
        if _client_component(mod, text, q):
            return  # a form in the browser checks what the user typed; it stores nothing (heldout2)
        if _hashing_hook(q, d):
            return  # the model hashes on save (Mongoose pre('save'), Sequelize beforeCreate...): heldout2
        for n, line in _code_lines(text):
            cmp = _JS_PLAIN_CMP.search(line)
            if cmp and not _CONFIRM.search(line) and not _env_password(cmp.group(0), text):
                yield _hit(PASSWORD, PW_TITLE, f"{line.strip()[:80]}: the stored password is compared as it was "
                           "typed, so the table holds passwords in plain text", mod.path, n, "critical", "medium")
            elif _JS_PLAIN_STORE.search(line):
                yield _hit(PASSWORD, PW_TITLE, f"{line.strip()[:80]}: the password from the request is stored "
                           "as it was typed (no bcrypt/argon2 in this file)", mod.path, n, "critical", "medium")


_JS_ENV_READ = re.compile(r"(?:process\.env|import\.meta\.env|\benv\.|\bconfig\.)", re.IGNORECASE)


def _env_password(compared: str, text: str) -> bool:
    """The comparison's stored side comes from the environment (targeted.yaml: an admin login that checks
    ``password === admin.password`` with ``admin = { password: process.env.ADMIN_PASS }``): a secret of
    the deployment compared, no table of users' passwords."""
    if _JS_ENV_READ.search(compared):
        return True
    for root in {m.group(1) for m in re.finditer(r"\b([A-Za-z_$][\w$]*)(?:\.[\w$]+)*", compared)}:
        if root in {"req", "request", "body", "data", "input", "args", "credentials", "values", "formData"}:
            continue
        bound = re.search(rf"\b{re.escape(root)}\s*=\s*(\{{[^}}]*\}}|[^;\n]+)", text)
        if bound and _JS_ENV_READ.search(bound.group(1)) and (
                not bound.group(1).startswith("{") or re.search(
                    r"\bpass(?:word|wd)?\s*:\s*(?:process\.env|import\.meta\.env|env\.|config\.)",
                    bound.group(1), re.IGNORECASE)):
            return True
    return False


# data.password !== data.confirmPassword: the form's two fields compared, nothing read back from storage
_CONFIRM = re.compile(r"(confirm|repeat|retype|verify|again|password2|passwordcheck)\w*\b", re.IGNORECASE)
_CLIENT_IMPORTS = re.compile(r"^(react|react-dom|react-native|react-hook-form|vue|svelte|@angular/core|formik|"
                             r"solid-js|preact)(/|$)")


def _client_component(mod: Module, text: str, q: Query) -> bool:
    """``mod`` is browser code: a "use client" file, or a UI component (.jsx/.tsx/.vue/.svelte or one that
    imports React, Vue...) that is not server code. A client form stores no password."""
    head = text.lstrip()[:40]
    if head.startswith(("'use client'", '"use client"')):
        return True
    if is_server_code(q, mod):
        return False
    return mod.path.endswith((".jsx", ".tsx", ".vue", ".svelte")) or \
        any(_CLIENT_IMPORTS.match(i) for i in mod.imports)


def _hashing_hook(q: Query, d: dict[str, Any]) -> str | None:
    """The path of a JS/TS module of the repository whose model hashes the password when it is saved (a
    Mongoose ``schema.pre('save')``, a Sequelize/TypeORM/Objection ``beforeCreate`` / ``@BeforeInsert``
    hook) with a password hash library: a create elsewhere stores the hash, not the typed text."""
    memo = q.__dict__.setdefault("_web_security_memo", {})
    if "hashing_hook" not in memo:
        memo["hashing_hook"] = None
        hook, good = _rx(d["save_hooks"]), _rx(d["good"])
        for path, m in q.repo.modules.items():
            if m.lang == "python" or m.error:
                continue
            t = source(q, path) or ""
            if hook.search(t) and good.search(t) and "password" in t.lower():
                memo["hashing_hook"] = path
                break
    found: str | None = memo["hashing_hook"]
    return found


def _hash_name(call: Call, qual: str) -> str:
    if qual.endswith("update") and isinstance(call.callee, Attr) and isinstance(call.callee.obj, Call):
        algo = string_value(call.callee.obj.args[0]) if call.callee.obj.args else None
        return f"createHash('{algo or '?'}')"
    return qual.replace(":default", "").replace(":", ".")


_ENV_OBJECTS = re.compile(r"(environ|getenv|secrets|config|settings|env)\b", re.IGNORECASE)


def _py_plain(mod: Module, text: str, name: re.Pattern[str]) -> Iterator[RuleHit]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], (ast.Eq, ast.NotEq)):
            sides = [node.left, node.comparators[0]]
            stored = [s for s in sides if _stored_password(s)]
            if stored and not any(_ENV_OBJECTS.search(ast.unparse(s)) for s in sides):
                other = sides[1] if stored[0] is sides[0] else sides[0]
                if name.search(ast.unparse(other)) or "request" in ast.unparse(other):
                    yield _hit(PASSWORD, PW_TITLE, f"{ast.unparse(node)[:80]}: the stored password is compared as "
                               "it was typed, so the table holds passwords in plain text", mod.path, node.lineno,
                               "critical", "medium")


def _stored_password(e: ast.expr) -> bool:
    """``user.password`` / ``row["password"]``: a password read back from a stored record."""
    if isinstance(e, ast.Attribute) and e.attr in {"password", "passwd", "pwd"} and \
            not (isinstance(e.value, ast.Name) and e.value.id in {"request", "form", "args", "data", "body", "st", "self"}):
        return True
    if isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Constant) and e.slice.value in {"password", "passwd"}:
        root = e.value
        return isinstance(root, ast.Name) and root.id in {"user", "row", "record", "account", "existing", "db_user",
                                                         "u", "result", "found"}
    return False

