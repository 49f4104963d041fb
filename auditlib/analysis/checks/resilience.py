"""Resilience and cost of a service's outbound calls (issue 11, catalogue C010, C014, C039, C052, C053):
repository-level absences a web service shows in its code.

- ``errors.no_circuit_breaker`` (C014): a web app that calls other services (model SDKs, HTTP APIs)
  and has no circuit breaker or bounded retry anywhere;
- ``errors.no_global_error_handler`` (C010): a web app with no global error handler and no exception
  type of its own, so each route shapes its errors by hand;
- ``llm.no_cost_attribution`` (C053): a web app whose model calls name no user, feature or tag and
  that records no request with an LLM observability tool or gateway;
- ``llm.premium_model_everywhere`` (C052): three or more model calls in application code, every one
  naming a premium model and none a cheaper one;
- ``performance.model_calls_uncached`` (C039): model calls made per request and no cache of any kind
  in the repository.

Each is one finding per repository, reported at the first place that shows it (an endpoint, a model
call). What the libraries, handlers, options and model tiers are is data: checklists/resilience.yaml.
"Web app" means endpoints the engine recognises as route handlers (``web.handler_scopes``) in
application code: a script, a notebook or a command-line tool has no requests to protect.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from ...collect.roles import file_role, is_project_path
from ...models import Endpoint, RuleHit
from ..ir import Call, Expr, Module, Obj
from ..irtools import function_scope
from ..llm import _Site
from ..llm_flow import Ctx
from ..llm_prompt import Prompt
from ..query import Query
from ..tables import yaml_knowledge
from ..uses import is_server_code
from ..web import handler_scopes
from . import check
from .http import _match as http_request

SOURCE_ROLES = frozenset({"app", "script", "config", "other", "migration"})
"""Files whose text counts as the repository's own (tests, docs, vendored and generated files do not)."""
TEXT_KINDS = frozenset({"chat", "completion", "agent", "http"})
NOT_SEARCHED = re.compile(r"(^|/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.ya?ml|bun\.lockb?|"
                          r"poetry\.lock|Pipfile\.lock|uv\.lock|Cargo\.lock|composer\.lock|[^/]+\.lock)$|"
                          r"\.(json|jsonl|csv|svg|map|ipynb)$|(^|/)(public|static|assets)/.*\.m?js$|(^|/)\.[^/]+/")
"""Files not searched for names: lockfiles (a transitive dependency is not the app's choice), data,
notebooks, hidden folders and the built scripts of served folders. package.json is read for its
dependencies only."""
MAX_TEXT = 400_000
"""Characters of one file searched for a library's or a handler's name."""


# ------------------------------------------------------------------------------------- knowledge
class Knowledge:
    """checklists/resilience.yaml, compiled."""

    def __init__(self, d: dict[str, Any]) -> None:
        b = d["breakers"]
        self.breaker_libraries = frozenset(b["libraries"])
        self.breaker_text = re.compile(b["text"])
        self.bounded_retry = re.compile(b["bounded_retry"])
        e = d["error_handlers"]
        self.handlers = {"python": re.compile(e["python"]), "js": re.compile(e["js"])}
        self.error_files = re.compile(e["files"])
        self.error_classes = {lang: re.compile(p) for lang, p in e["classes"].items()}
        a = d["attribution"]
        self.attribution_options = frozenset(a["options"])
        self.attribution_libraries = frozenset(a["libraries"])
        self.attribution_text = re.compile(a["text"])
        t = d["tiers"]
        self.cheap, self.premium = re.compile(t["cheap"]), re.compile(t["premium"])
        self.min_premium_sites = int(t["min_sites"])
        c = d["caches"]
        self.cache_libraries = frozenset(c["libraries"])
        self.cache_text = re.compile(c["text"])


def knowledge() -> Knowledge:
    return yaml_knowledge("resilience.yaml", Knowledge)  # chosen once per analysis (tables.refresh)


# ----------------------------------------------------------------------------- what the repository is
@dataclass
class _Repo:
    names: frozenset[str]
    """Import specifiers (and each dotted prefix) and dependency names of the repository's own files."""
    texts: list[tuple[str, str]]
    """(path, text) of the repository's source and configuration files (SOURCE_ROLES)."""
    endpoints: list[Endpoint]
    """Route handlers in application code, in path order."""
    sites: list[tuple[Call, _Site]]
    """Model calls in application code, in path order."""


_REPOS: WeakKeyDictionary[Query, _Repo] = WeakKeyDictionary()
_VERDICTS: WeakKeyDictionary[Query, dict[str, RuleHit | None]] = WeakKeyDictionary()
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)", re.M)
_PYPROJECT_DEP = re.compile(r"""["']([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*(?:[<>=!~;].*?)?["']""")


def _repo(q: Query) -> _Repo:
    got = _REPOS.get(q)
    if got is not None:
        return got
    names: set[str] = set()
    for mod in q.parsed_modules():
        if file_role(mod.path) not in SOURCE_ROLES:
            continue
        for spec in mod.imports:
            parts = re.split(r"[./]", spec) if mod.lang == "python" else [spec]
            names.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
            if mod.lang == "js" and spec.startswith("@"):
                names.add("/".join(spec.split("/")[:2]))
            elif mod.lang == "js":
                names.add(spec.split("/")[0])
    texts: list[tuple[str, str]] = []
    if q.files is not None:
        for f in q.files.files:
            if file_role(f.path) not in SOURCE_ROLES or f.size > 4 * MAX_TEXT:
                continue
            text = q.files.read_text(f)
            if text is None:
                continue
            names.update(_dependencies(f.name, text))
            if not NOT_SEARCHED.search(f.path):
                texts.append((f.path, text[:MAX_TEXT]))
    endpoints = sorted((ep for _scope, ep in handler_scopes(q).values()
                        if is_project_path(ep.path) and file_role(ep.path) == "app"),
                       key=lambda e: (e.path, e.line))
    ctx, prompt = Ctx(q), None
    sites: list[tuple[Call, _Site]] = []
    for mod in q.parsed_modules():
        if file_role(mod.path) != "app":
            continue
        for call in mod.calls:
            site = q.site(call)
            if site is None:
                continue
            prompt = prompt or Prompt(ctx)
            sites.append((call, _Site(ctx, prompt, call, site)))
    got = _REPOS[q] = _Repo(frozenset(n.lower() for n in names), texts, endpoints, sites)
    return got


def _dependencies(name: str, text: str) -> set[str]:
    """Dependency names of a manifest (package.json, requirements*.txt, pyproject.toml, Pipfile)."""
    lower = name.lower()
    if lower == "package.json":
        try:
            data = json.loads(text)
        except ValueError:
            return set()
        out: set[str] = set()
        if isinstance(data, dict):
            for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
                deps = data.get(key)
                if isinstance(deps, dict):
                    out.update(str(k) for k in deps)
        return out
    if lower.startswith("requirements") and lower.endswith((".txt", ".in")):
        return {m.group(1).replace("-", "_") for m in _REQUIREMENT.finditer(text)} | \
            {m.group(1) for m in _REQUIREMENT.finditer(text)}
    if lower in {"pyproject.toml", "pipfile", "setup.py", "setup.cfg"}:
        return {m.group(1) for m in _PYPROJECT_DEP.finditer(text)} | \
            {m.group(1).replace("-", "_") for m in _PYPROJECT_DEP.finditer(text)}
    return set()


def _uses(r: _Repo, libraries: frozenset[str]) -> list[str]:
    return sorted(lib for lib in libraries if lib.lower() in r.names)


def _search(r: _Repo, rx: re.Pattern[str]) -> tuple[str, str] | None:
    """(path, matched text) of the first file whose text ``rx`` matches."""
    for path, text in r.texts:
        m = rx.search(text)
        if m:
            return path, m.group(0).strip()[:60]
    return None


def _verdict(q: Query, rule: str, decide: Any) -> RuleHit | None:
    memo = _VERDICTS.setdefault(q, {})
    if rule not in memo:
        memo[rule] = decide(q)
    return memo[rule]


def _at_module(mod: Module, q: Query, rule: str, decide: Any) -> RuleHit | None:
    """The repository's one hit of ``rule`` when it sits in ``mod`` (the check runs once per module)."""
    hit = _verdict(q, rule, decide)
    return hit if hit is not None and hit.path == mod.path else None


def _some(items: list[str], n: int = 3) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _where(ep: Endpoint) -> str:
    return f"{ep.method + ' ' if ep.method else ''}{ep.route or ep.function}"


def _routes(r: _Repo) -> str:
    n = len(r.endpoints)
    return f"{n} route{'s' if n != 1 else ''} ({_some(sorted({_where(e) for e in r.endpoints}))})"


def _per_request(call: Call, q: Query) -> bool:
    """Whether ``call`` runs per request: in a route handler, a UI callback or a function they call."""
    from .runtime import per_request

    fs = function_scope(call.scope)
    return fs is not None and id(fs) in per_request(q)


def _first(calls: list[Call], q: Query) -> Call:
    """Where a repository-level hit is reported: the first call made per request, else the first call."""
    return min(calls, key=lambda c: (not _per_request(c, q), c.scope.module.path, c.line))


def _is_browser(call: Call, q: Query) -> bool:
    mod = call.scope.module
    return mod.lang == "js" and not is_server_code(q, mod)


# ===================================================================== errors.no_circuit_breaker (C014)
BREAKER = "errors.no_circuit_breaker"


@check(BREAKER, on="module", roles={"app"})
def no_circuit_breaker(mod: Module, q: Query) -> RuleHit | None:
    """A web app that calls other services (model SDKs, HTTP APIs) from its server code and has no
    circuit breaker (pybreaker, aiobreaker, circuitbreaker, opossum, cockatiel, a breaker written by
    hand, a mesh's outlier detection, LiteLLM's cooldowns) and no bounded retry (tenacity with a stop
    condition, backoff with max_tries, p-retry): when a dependency is down, every request still waits
    for it and the failures pile up."""
    return _at_module(mod, q, BREAKER, _decide_breaker)


def _decide_breaker(q: Query) -> RuleHit | None:
    r = _repo(q)
    if not r.endpoints:
        return None
    k = knowledge()
    if _uses(r, k.breaker_libraries) or _search(r, k.breaker_text) or _search(r, k.bounded_retry):
        return None
    calls: list[tuple[Call, str]] = [(c, "model") for c, _s in r.sites if not _is_browser(c, q)]
    for mod in q.parsed_modules():
        if file_role(mod.path) != "app":
            continue
        for call in mod.calls:
            if q.site(call) is None and not _is_browser(call, q) and http_request(call, q) is not None:
                calls.append((call, "http"))
    if not calls:
        return None
    first = _first([c for c, _w in calls], q)
    kinds = {what for _c, what in calls}
    what = " and ".join(w for w in ("model", "http") if w in kinds).replace("model", "model-provider").replace(
        "http", "HTTP")
    return RuleHit(rule=BREAKER, title="No circuit breaker or retry budget on outbound calls",
                   evidence=f"{len(calls)} {what} call(s) from the server code (first {first.text}() here) and "
                            f"{_routes(r)}; no circuit-breaker library (pybreaker, aiobreaker, opossum, cockatiel), "
                            "no breaker written by hand and no bounded retry (tenacity stop_after_attempt, backoff "
                            "max_tries): when the dependency is down, every request still waits on it",
                   path=first.scope.module.path, line=first.line)


# ===================================================================== errors.no_global_error_handler (C010)
ERRORS = "errors.no_global_error_handler"


@check(ERRORS, on="module", roles={"app"})
def no_global_error_handler(mod: Module, q: Query) -> RuleHit | None:
    """A web app with no global error handler (Flask errorhandler, FastAPI exception_handler, Django
    handler500, a 4-argument Express middleware, Fastify setErrorHandler, Hono onError, a NestJS
    exception filter, a Next.js error.tsx or global-error.tsx) and no exception class of its own: each
    route builds its own error responses, or the framework's default page goes to the client."""
    return _at_module(mod, q, ERRORS, _decide_errors)


def _decide_errors(q: Query) -> RuleHit | None:
    r = _repo(q)
    if not r.endpoints:
        return None
    k = knowledge()
    if any(k.error_files.search(p) for p, _t in r.texts) or q.files is not None and any(
            k.error_files.search(f.path) and file_role(f.path) in SOURCE_ROLES for f in q.files.files):
        return None
    for path, text in r.texts:
        lang = "python" if path.endswith(".py") else "js" if path.endswith(
            (".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".mts", ".cts")) else None
        if lang and (k.handlers[lang].search(text) or k.error_classes[lang].search(text)):
            return None
    first = r.endpoints[0]
    frameworks = sorted({e.framework for e in r.endpoints if e.framework})
    return RuleHit(rule=ERRORS, title="No global error handler or error types",
                   evidence=f"{_routes(r)} ({_some(frameworks)}) and no global error handler (errorhandler, "
                            "exception_handler, 4-argument Express middleware, setErrorHandler, onError, Next.js "
                            "error.tsx) and no exception class of the app's own: each route shapes its errors, "
                            "and an unexpected one gets the framework's default response",
                   path=first.path, line=first.line)


# ===================================================================== llm.no_cost_attribution (C053)
ATTRIBUTION = "llm.no_cost_attribution"


@check(ATTRIBUTION, on="module", roles={"app"})
def no_cost_attribution(mod: Module, q: Query) -> RuleHit | None:
    """A web app whose model calls on the app's own key (not a local model, not the user's key) pass no
    ``user``, ``metadata``, ``tags`` or ``safety_identifier``, and which records its requests with no
    LLM observability tool or gateway (Langfuse, LangSmith, Helicone, Portkey...): what each user,
    tenant or feature costs cannot be told."""
    return _at_module(mod, q, ATTRIBUTION, _decide_attribution)


def _decide_attribution(q: Query) -> RuleHit | None:
    r = _repo(q)
    if not r.endpoints:
        return None
    sites = [(c, s) for c, s in r.sites if s.site[0] in TEXT_KINDS | {"embedding", "image", "audio", "video"}
             and not _is_browser(c, q) and _app_pays(c, s, q)]
    if not sites:
        return None
    k = knowledge()
    if _uses(r, k.attribution_libraries) or _search(r, k.attribution_text):
        return None
    if any(s.keys & k.attribution_options for _c, s in sites):
        return None
    first = _first([c for c, _s in sites], q)
    return RuleHit(rule=ATTRIBUTION, title="Model spend not attributed to users or features",
                   evidence=f"{len(sites)} model call(s) (first {first.text}() here) serving {_routes(r)}; none "
                            "passes user=, metadata or tags, and no Langfuse, LangSmith, Helicone or Portkey "
                            "records the requests: what each user, tenant or feature costs cannot be told",
                   path=first.scope.module.path, line=first.line)


_KEY_HEADER = re.compile(r"(?i)^(authorization|x-api-key|api-key|x-goog-api-key)$")


def _from_caller(value: Expr, call: Call, s: _Site, q: Query) -> bool:
    """A key header built from request data, or from a parameter named like a key (``apiKey``: the
    helper is handed the caller's key; when it is handed the server's, the miss is the safe side)."""
    if s.ctx.tainted(value, call.scope):
        return True
    origins = q.origins(value, call.scope)
    return "request" in origins or any(o.startswith("param:") and re.search(r"(?i)key|token", o) for o in origins)


def _app_pays(call: Call, s: _Site, q: Query) -> bool:
    """The request is paid with the app's own key: not a local model, not a key the user sends (an SDK
    option or, for raw HTTP, an Authorization header built from request data)."""
    if s.key_source != "server":
        return False
    if s.site[0] == "http":
        for opts in [call.options(), *(v.options() for v in call.args if isinstance(v, Call))]:
            headers = opts.get("headers")
            if isinstance(headers, Obj):
                for key, value in headers.items:
                    if key and _KEY_HEADER.match(key) and _from_caller(value, call, s, q):
                        return False
    return True


# ===================================================================== llm.premium_model_everywhere (C052)
PREMIUM = "llm.premium_model_everywhere"


def tier(model: str, k: Knowledge | None = None) -> str:
    """``cheap``, ``premium`` or ``other`` (a local, open or unknown model) for a model name."""
    k = k or knowledge()
    name = model.strip().lower().split("/")[-1]
    if k.cheap.search(name):
        return "cheap"
    return "premium" if k.premium.search(name) else "other"


@check(PREMIUM, on="module", roles={"app"})
def premium_model_everywhere(mod: Module, q: Query) -> RuleHit | None:
    """Three or more model calls in application code that name their model, every one a premium tier
    (gpt-4o, gpt-4.1, o1, Claude Sonnet or Opus, Gemini Pro...), none a cheaper one (mini, nano,
    Haiku, Flash) and no cheaper model named anywhere in the code or configuration: simple tasks pay
    the top price."""
    return _at_module(mod, q, PREMIUM, _decide_premium)


def _decide_premium(q: Query) -> RuleHit | None:
    r = _repo(q)
    k = knowledge()
    named: list[tuple[Call, str]] = []
    unnamed = 0
    for c, s in r.sites:
        if s.site[0] not in TEXT_KINDS:
            continue
        model = s.model
        if model:
            named.append((c, model))
        else:
            unnamed += 1
    if len(named) < k.min_premium_sites or unnamed > len(named):
        return None
    if any(tier(m, k) != "premium" for _c, m in named):
        return None
    cheaper = re.compile(r"""["'`](?:[\w.-]+/)?((gpt|o\d|claude|gemini|mistral|command)[\w.:-]*)["'`]""", re.I)
    for _path, text in r.texts:
        for m in cheaper.finditer(text):
            if tier(m.group(1), k) == "cheap":
                return None  # a cheaper model is named (a model picker, a setting): routing is possible
    first = named[0][0]
    models = sorted({m for _c, m in named})
    return RuleHit(rule=PREMIUM, title="Premium model on every call",
                   evidence=f"all {len(named)} model calls that name their model use a premium tier ({_some(models)}), "
                            "and no cheaper model (mini, nano, Haiku, Flash) is named anywhere: routing, "
                            "summarising and classifying pay the top price",
                   path=first.scope.module.path, line=first.line)


# ===================================================================== performance.model_calls_uncached (C039)
UNCACHED = "performance.model_calls_uncached"


@check(UNCACHED, on="module", roles={"app"})
def model_calls_uncached(mod: Module, q: Query) -> Iterator[RuleHit]:
    """Model calls in the handlers of a web app and no cache of any kind in the repository (redis,
    lru_cache, cachetools, LangChain's set_llm_cache, GPTCache, Next.js unstable_cache, Streamlit's
    cache_data): a repeated question is paid for and waited on again."""
    hit = _verdict(q, UNCACHED, _decide_uncached)
    if hit is not None and hit.path == mod.path:
        yield hit


def _decide_uncached(q: Query) -> RuleHit | None:
    from .runtime import per_request

    r = _repo(q)
    if not r.endpoints:
        return None
    k = knowledge()
    if _uses(r, k.cache_libraries) or _search(r, k.cache_text):
        return None
    reached = per_request(q)
    sites = []
    for c, s in r.sites:
        if _is_browser(c, q) or s.site[0] not in {"chat", "completion", "http", "embedding"}:
            continue  # an agent's run (Assistants threads, tool loops) has state: nothing to reuse
        fs = function_scope(c.scope)
        if fs is not None and id(fs) in reached:
            sites.append((c, reached[id(fs)]))
    if not sites:
        return None
    first, how = sites[0]
    return RuleHit(rule=UNCACHED, title="Model calls never cached",
                   evidence=f"{len(sites)} model call(s) made per request (first {first.text}() here, {how}) and no "
                            "cache anywhere (redis, lru_cache, cachetools, set_llm_cache, unstable_cache, "
                            "Streamlit cache_data): a repeated request is paid for and waited on again",
                   path=first.scope.module.path, line=first.line)
