"""Probes over engineering practice, complexity and history facts."""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from ..models import Endpoint, Facts, Hit
from . import grader, probe, role_of


@probe("complexity.complex_function")
def complex_function(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Functions whose cyclomatic complexity passes the rubric's threshold."""
    threshold = params.get("threshold", 10)
    for fn in facts.complexity.over_threshold:
        if fn.complexity > threshold:
            yield Hit(rule="complexity.complex_function", title=f"Complex function: {fn.name}",
                      evidence=f"cyclomatic complexity {fn.complexity} (threshold {int(threshold)})",
                      path=fn.path, line=fn.line)


def _code_exists(facts: Facts) -> bool:
    return facts.inventory.available and facts.inventory.code_lines > 0


def _some(items: list[str], n: int = 3) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _deploy_files(facts: Facts) -> list[str]:
    p = facts.practices
    # a dev container's Dockerfile builds the developer's workstation, not the service
    return [d for d in [*p.dockerfiles, *p.deploy_files] if not d.startswith(".devcontainer/")]


def deployment_kind(facts: Facts) -> tuple[str, str]:
    """What the code is, for grading process findings (issue 9): ``("service", why)`` when the repository
    deploys it as a service (a Dockerfile or another deploy file: Procfile, vercel.json, fly.toml...);
    ``("app", why)`` for a web or interactive app with no deploy file (web endpoints, Streamlit, Gradio, a
    front end): it may be hosted, the repository does not show it; ``("script", why)`` for the rest:
    scripts, notebooks, command-line tools, libraries."""
    p, c = facts.practices, facts.code
    deploy = _deploy_files(facts)
    endpoints = c.endpoints if c.available else []
    if deploy:
        return "service", f"deployed as a service ({_some(deploy)})"
    if endpoints or p.app_frameworks:
        what = ([f"{len(endpoints)} web endpoint{'s' if len(endpoints) != 1 else ''}"] if endpoints else []) \
            + ([_some(p.app_frameworks)] if p.app_frameworks else [])
        return "app", f"a web or interactive app ({'; '.join(what)}) with no deploy file"
    return "script", "no deploy file, web endpoint or app framework: scripts, notebooks or a command-line tool"


def local_only(facts: Facts) -> str | None:
    """Why the web app runs on the developer's machine only, or None: its endpoints are all Python (the
    development servers of Flask, uvicorn and Django listen on 127.0.0.1 by default), no call starts a
    server on every interface (``host="0.0.0.0"``) and no deploy file runs it elsewhere. Such an
    app's endpoints and debug mode are reachable from that machine only: graded one step lower."""
    c = facts.code
    if not c.available or not c.endpoints or _deploy_files(facts) or c.public_binds:
        return None
    if not all(e.path.endswith(".py") for e in c.endpoints):
        return None  # Node servers listen on every interface by default; Next.js routes are hosted
    return "only on 127.0.0.1 (the development server's default; no deploy file, no host=\"0.0.0.0\")"


STEP_DOWN = {"critical": "high", "high": "medium", "medium": "low", "low": "low", "info": "info"}


@grader("deployment.debug_enabled")
def debug_on_the_developers_machine(facts: Facts, hit: Hit) -> Hit:
    """Debug mode of an app that runs on the developer's machine only (``local_only``) is medium: its
    debugger and tracebacks are reachable from that machine, not from the internet."""
    local = local_only(facts)
    if local is None:
        return hit
    return hit.model_copy(update={"severity": "medium", "evidence": f"{hit.evidence}; the app runs {local}"})


@probe("testing.no_tests")
def no_tests(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Application code with no test files at all: high (the rule's default) for a deployed service,
    medium for a web or interactive app with no deploy file, low for scripts, notebooks and command-line
    tools."""
    if facts.practices.available and _code_exists(facts) and not facts.practices.test_files:
        kind, why = deployment_kind(facts)
        yield Hit(rule="testing.no_tests", title="No automated tests",
                  evidence=f"{facts.inventory.code_lines} lines of code and no test files; {why}",
                  severity={"service": None, "app": "medium", "script": "low"}[kind])


@probe("testing.low_test_ratio")
def low_test_ratio(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Tests exist but are small beside the application code."""
    p, inv = facts.practices, facts.inventory
    if not p.test_files or not inv.available:
        return
    app = inv.code_lines - p.test_lines
    if app > 0 and p.test_lines / app < params.get("min_ratio", 0.1):
        yield Hit(rule="testing.low_test_ratio", title="Little test code",
                  evidence=f"{p.test_lines} test lines for {app} lines of application code ({p.test_lines / app:.0%})")


@probe("testing.no_eval_suite")
def no_eval_suite(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """The application or its scripts call a model (calls in tests and their fixtures do not count:
    ``app_calls``) but there is no file of evaluation cases."""
    from ..metrics import app_calls

    calls = app_calls(facts) or []
    if calls and facts.practices.available and not facts.practices.eval_files:
        yield Hit(rule="testing.no_eval_suite", title="No evaluation suite for model output",
                  evidence=f"{len(calls)} model call(s) and no evaluation cases in the repository")


@probe("ci.no_test_gate")
def ci_no_test_gate(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """CI exists but does not run tests."""
    p = facts.practices
    if p.ci_files and not p.ci_runs_tests:
        yield Hit(rule="ci.no_test_gate", title="CI does not run the tests",
                  evidence=f"{', '.join(p.ci_files[:3])}: no test command found", path=p.ci_files[0])


@probe("deployment.container_runs_as_root")
def container_root(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """The container image runs as root."""
    p = facts.practices
    if p.dockerfiles and p.docker_nonroot is False:
        yield Hit(rule="deployment.container_runs_as_root", title="Container runs as root",
                  evidence="no non-root USER in the final image stage", path=p.dockerfiles[0])


@probe("observability.print_logging")
def print_logging(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """print() used more than logging."""
    c = facts.code
    if c.available and c.print_calls > c.logging_calls:
        yield Hit(rule="observability.print_logging", title="print statements instead of logs",
                  evidence=f"{c.print_calls} print() calls, {c.logging_calls} logging calls")


@probe("history.authors_inactive")
def authors_inactive(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """The authors who wrote most of the code have not committed recently."""
    h = facts.history
    if h.available and h.top_authors_active is False:
        top = ", ".join(h.owners[:3] or [a.name for a in h.authors[:3]])
        last = max((a.last_commit for a in h.authors), default="?")
        yield Hit(rule="history.authors_inactive", title="Main authors inactive",
                  evidence=f"no commit by the main authors ({top}) in the last {h.activity_window_days} days; "
                           f"last commit {last[:10]}")


@probe("deployment.docker_base_unpinned")
def docker_base_unpinned(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Base images named by ``latest``, no tag, or a tag with no version: each build may differ."""
    for b in facts.practices.docker_bases:
        if not b.pinned:
            yield Hit(rule="deployment.docker_base_unpinned", title=f"Unpinned base image: {b.image}",
                      evidence=f"FROM {b.image}: no version tag or digest, so the image can change under the same name",
                      path=b.path, line=b.line)


@probe("ci.no_lint_gate")
def ci_no_lint_gate(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """CI exists but runs no linter or type checker."""
    p = facts.practices
    if p.ci_files and not p.ci_runs_lint:
        yield Hit(rule="ci.no_lint_gate", title="CI runs no linter or type checker",
                  evidence=f"{', '.join(p.ci_files[:3])}: no ruff, flake8, pylint, mypy, eslint, prettier, tsc "
                           "or similar step found", path=p.ci_files[0])


@probe("deployment.vendored_dependencies_committed")
def vendored_dependencies_committed(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Third-party packages (node_modules, a virtualenv, vendor/) committed to the repository."""
    inv = facts.inventory
    if not inv.available:
        return
    for d in inv.vendored_dirs:
        if d.kind == "dependencies":
            yield Hit(rule="deployment.vendored_dependencies_committed",
                      title=f"Installed dependencies committed: {d.path}/",
                      evidence=f"{d.files} files under {d.path}/ are tracked by git (skipped by this audit, "
                               "so their versions were not checked)", path=d.path)


@probe("testing.eval_suite_too_small")
def eval_suite_too_small(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Evaluation files exist but hold fewer cases than the rubric's bar.

    Silent when a file was too large to count in full (the total is then only a lower bound) or
    when no file could be counted at all.
    """
    p = facts.practices
    min_cases = int(params.get("min_cases", 200))
    if not p.available or not p.eval_files or p.eval_cases is None or p.eval_cases_partial:
        return
    if p.eval_cases < min_cases:
        counted = ", ".join(f"{path} ({n})" for path, n in sorted(p.eval_case_counts.items())[:3])
        more = f" and {len(p.eval_case_counts) - 3} more" if len(p.eval_case_counts) > 3 else ""
        yield Hit(rule="testing.eval_suite_too_small", title="Evaluation suite too small",
                  evidence=f"{p.eval_cases} evaluation cases, fewer than {min_cases}: {counted}{more}",
                  path=min(p.eval_case_counts) if p.eval_case_counts else None)


def _lib(facts: Facts, capability: str) -> bool:
    return bool(facts.practices.libraries.get(capability))


def _missing_practice(rule: str, title: str, evidence: str, present: Callable[[Facts], bool]) -> None:
    """Register a probe that fires when a code base shows no sign of a practice.

    It fires only when the practices collector ran and there is code to speak of: an absent
    measurement is never reported as an absent practice.
    """

    def fn(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
        if facts.practices.available and _code_exists(facts) and not present(facts):
            yield Hit(rule=rule, title=title, evidence=evidence)

    fn.__name__ = rule.replace(".", "_")
    fn.__doc__ = title
    probe(rule)(fn)


@probe("ci.missing")
def ci_missing(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """No CI pipeline: medium (the rule's default) for a deployed service or an app, low for scripts,
    notebooks and command-line tools."""
    p = facts.practices
    if p.available and _code_exists(facts) and not p.ci_files:
        kind, why = deployment_kind(facts)
        yield Hit(rule="ci.missing", title="No CI pipeline",
                  evidence=f"no GitHub Actions, GitLab CI or other CI configuration found; {why}",
                  severity="low" if kind == "script" else None)


_missing_practice("deployment.no_container", "No container build defined",
                  "no Dockerfile; how the service is built and deployed is not in the repository",
                  lambda f: bool(f.practices.dockerfiles))
_missing_practice("deployment.no_env_documentation", "Environment variables not documented",
                  "no .env.example or equivalent", lambda f: bool(f.practices.env_example))
_missing_practice("observability.no_error_tracking", "No error tracking", "no Sentry or similar error-tracking library",
                  lambda f: _lib(f, "error_tracking"))
_missing_practice("observability.no_monitoring", "No tracing or metrics",
                  "no OpenTelemetry, Prometheus, Langfuse or similar library, and no platform monitoring "
                  "(log analytics, APM, alarms) declared in infrastructure files",
                  lambda f: _lib(f, "tracing") or _lib(f, "metrics") or bool(f.practices.platform_monitoring))
_missing_practice("incident.no_runbook", "No runbooks", "no runbook, on-call or incident document",
                  lambda f: bool(f.practices.runbooks))


# ------------------------------------------------------- practices measured but never reported (issue 11, item 3)
_SERVERLESS_DEPLOY = ("vercel.json", "netlify.toml", "serverless.yml", "serverless.yaml", "wrangler.toml",
                      "wrangler.json", "samconfig.toml")
"""Deploy files of platforms that run functions, not a long-lived process: nothing to health-check."""


def _app_endpoints(facts: Facts) -> list[Any]:
    if not facts.code.available:
        return []
    return [e for e in facts.code.endpoints if role_of(facts, e.path) in ("app", "script")]


@probe("ci.no_audit_gate")
def ci_no_audit_gate(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """CI exists but runs no dependency or secret audit (``ci_runs_audit``; pip-audit, npm audit, osv-scanner,
    gitleaks, trufflehog, snyk, semgrep... as ``audit`` in checklists/ci.yaml) and no Dependabot or
    Renovate configuration audits the dependencies instead. Low for a service or an app, info for scripts,
    notebooks and libraries (a pipeline that ships nothing to users)."""
    p = facts.practices
    if not p.available or not p.ci_files or p.ci_runs_audit or p.dependency_bots or not _code_exists(facts):
        return
    kind, why = deployment_kind(facts)
    yield Hit(rule="ci.no_audit_gate", title="CI runs no dependency or secret audit",
              evidence=f"{', '.join(p.ci_files[:3])}: no pip-audit, npm audit, osv-scanner, gitleaks, trufflehog or "
                       f"similar step, and no Dependabot or Renovate configuration; {why}",
              path=p.ci_files[0], severity="info" if kind == "script" else None)


@probe("deployment.no_migrations")
def no_migrations(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """The code declares database tables through an ORM (``orm_schemas``) and the repository holds no
    versioned migration. Medium for a deployed service, low for an app with no deploy file; not reported
    for scripts and notebooks (a local database a script rebuilds is not a production schema), nor when
    ``deployment.schema_by_app`` already reports the app creating its tables (the stronger form)."""
    p = facts.practices
    if not p.available or not p.orm_schemas or p.migrations:
        return
    if facts.code.available and any(h.rule == "deployment.schema_by_app" for h in facts.code.rule_hits):
        return
    kind, why = deployment_kind(facts)
    if kind == "script":
        return
    yield Hit(rule="deployment.no_migrations", title="Database schema without versioned migrations",
              evidence=f"tables declared in {_some(p.orm_schemas)} and no migrations folder (Alembic, Django, Prisma, "
                       f"drizzle-kit, Supabase...); {why}",
              path=p.orm_schemas[0], severity="low" if kind == "app" else None)


@probe("deployment.no_health_check")
def no_health_check(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """A web service deployed as a long-lived process (a deploy file other than a serverless platform's,
    and web endpoints in its code) with no health route (``/health``, ``/healthz``, ``/ready``, ``/ping``...:
    ``public_routes.health`` of web.yaml) and no health check declared (Dockerfile ``HEALTHCHECK``,
    compose ``healthcheck``, Kubernetes probes, render/railway/fly settings). Apps without a deploy file
    and scripts are not services: not reported."""
    p = facts.practices
    if not p.available or not facts.code.available:
        return
    endpoints = _app_endpoints(facts)
    deploy = [d for d in _deploy_files(facts) if d.rsplit("/", 1)[-1].lower() not in _SERVERLESS_DEPLOY]
    if not endpoints or not deploy or p.health_checks or p.docker_healthcheck:
        return
    if any(e.public == "health check route" for e in facts.code.endpoints):
        return
    yield Hit(rule="deployment.no_health_check", title="No health check",
              evidence=f"deployed with {_some(deploy)}; {len(endpoints)} endpoint(s), none a health route "
                       "(/health, /healthz, /ready...), and no HEALTHCHECK, compose healthcheck or Kubernetes probe",
              path=deploy[0])


_SIGN_IN = ("login", "signin", "sign-in", "signup", "sign-up", "register", "forgot-password", "reset-password",
            "password-reset", "forgot", "reset", "otp", "verify-email", "magic-link", "contact", "invite")
"""Route segments (or handler names) of the public forms bots hammer: sign-in, sign-up, resets, one-time
codes, contact and invite forms."""


def _public_form(e: Endpoint) -> bool:
    segments = {s.strip("[]") for s in (e.route or "").lower().replace("_", "-").strip("/").split("/") if s}
    if segments & set(_SIGN_IN):
        return True
    fn = (e.function or "").lower().replace("_", "")
    return fn in {"login", "signin", "signup", "register", "forgotpassword", "resetpassword", "verifyotp"}


@probe("architecture.auth_endpoint_without_rate_limit")
def auth_endpoint_without_rate_limit(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Sign-in, sign-up, password-reset, one-time-code or contact endpoints, and nothing in the repository
    rate-limits (no rate-limiting library, no hand-written quota refusing a request): credential stuffing
    and form spam. ``architecture.no_rate_limiting`` only looks at endpoints that reach a model. One
    finding per repository, at the first such endpoint. Medium for a deployed service, low for an app with
    no deploy file or one that runs on the developer's machine only."""
    p = facts.practices
    if not p.available or not facts.code.available or _lib(facts, "rate_limiting") or facts.code.quota_checks:
        return
    forms = [e for e in _app_endpoints(facts) if _public_form(e) and (e.method or "POST").upper() != "GET"]
    if not forms:
        return
    kind, why = deployment_kind(facts)
    local = local_only(facts)
    routes = _some([e.route or e.function for e in forms])
    yield Hit(rule="architecture.auth_endpoint_without_rate_limit",
              title="Sign-in and public form endpoints without rate limiting",
              evidence=f"{routes}: no rate-limiting library and no quota check; {local and f'the app runs {local}' or why}",
              path=forms[0].path, line=forms[0].line,
              severity="low" if kind != "service" or local else None)


_VALIDATING_FRAMEWORKS = {"fastapi", "litestar"}
"""Frameworks that validate typed request parameters and bodies themselves (pydantic, msgspec)."""


@probe("validation.no_validation_library")
def no_validation_library(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Web endpoints that take a body (POST, PUT, PATCH) and no schema-validation library anywhere
    (pydantic, marshmallow, jsonschema, zod, joi, yup, ajv...: ``validation_library``), in a framework that
    does not validate typed parameters itself (FastAPI does). Repository level, low: hand-written checks
    validate too, so the library's absence is a lead, not proof. Not reported for scripts (no endpoint)."""
    p = facts.practices
    if not p.available or not facts.code.available or _lib(facts, "validation"):
        return
    writes = [e for e in _app_endpoints(facts) if (e.method or "").upper() in {"POST", "PUT", "PATCH"}
              and e.framework not in _VALIDATING_FRAMEWORKS]
    if not writes:
        return
    kind, why = deployment_kind(facts)
    yield Hit(rule="validation.no_validation_library", title="No schema validation of request bodies",
              evidence=f"{len(writes)} endpoint(s) take a body ({_some([e.route or e.function for e in writes])}) "
                       f"and no validation library (pydantic, marshmallow, zod, joi, yup, ajv...) is used; {why}",
              path=writes[0].path, line=writes[0].line)


@probe("observability.no_structured_logging")
def no_structured_logging(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """A deployed service (``deployment_kind``: service) with web endpoints logs without structure and
    without request ids: no structured-logging library (structlog, loguru, python-json-logger, pino,
    winston), no request-id middleware (asgi-correlation-id, django-guid, cls-rtracer, pino-http...) and
    no tracing library (its trace ids correlate requests). Not reported when ``observability.print_logging``
    fires (its remediation says the same), nor for apps without a deploy file and scripts."""
    p, c = facts.practices, facts.code
    if not p.available or not c.available or not _app_endpoints(facts):
        return
    if _lib(facts, "structured_logging") or _lib(facts, "correlation_id") or _lib(facts, "tracing"):
        return
    if c.print_calls > c.logging_calls:
        return
    kind, why = deployment_kind(facts)
    if kind != "service":
        return
    yield Hit(rule="observability.no_structured_logging", title="No structured logs or request ids",
              evidence=f"{c.logging_calls} logging call(s); no structured-logging library, request-id middleware or "
                       f"tracing library, so one request's lines cannot be found among others; {why}")


# ------------------------------------------------- coverage map (issue 11, "Done means"): repository-level absences
_JS_FRONT_ENDS = frozenset({"next", "react", "react-dom", "vue", "svelte", "@sveltejs/kit", "nuxt", "@remix-run/react"})
"""app_frameworks of a browser front end written in JavaScript (what end-to-end browser tests drive)."""


def _front_end(facts: Facts) -> list[str]:
    return sorted(set(facts.practices.app_frameworks) & _JS_FRONT_ENDS)


def _tested(facts: Facts) -> bool:
    p = facts.practices
    return p.available and bool(p.test_files) and _code_exists(facts)


def _signal(facts: Facts, kind: str) -> list[str]:
    return facts.practices.test_signals.get(kind, [])


@probe("incident.no_codeowners")
def no_codeowners(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """A deployed service (``deployment_kind``: service) with no CODEOWNERS or OWNERS file: nobody is named
    for a part of the code, and no review is requested from an owner. Not reported for apps without a
    deploy file and scripts."""
    p = facts.practices
    if not p.available or not _code_exists(facts) or p.codeowners:
        return
    kind, why = deployment_kind(facts)
    if kind == "service":
        yield Hit(rule="incident.no_codeowners", title="No code owners named",
                  evidence=f"no CODEOWNERS or OWNERS file (root, .github/, .gitlab/, docs/); {why}")


@probe("architecture.no_design_docs")
def no_architecture_docs(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """A deployed service with no architecture document or decision record (ARCHITECTURE.md, DESIGN.md,
    docs/adr/, decisions/...) and a short README (under ``min_readme_lines``): the next engineer has to
    rebuild the design from the code."""
    p = facts.practices
    min_lines = int(params.get("min_readme_lines", 150))
    if not p.available or not _code_exists(facts) or p.architecture_docs or (p.readme_lines or 0) >= min_lines:
        return
    kind, why = deployment_kind(facts)
    if kind == "service":
        readme = f"a README of {p.readme_lines} lines" if p.readme_lines is not None else "no README"
        yield Hit(rule="architecture.no_design_docs", title="Architecture and decisions undocumented",
                  evidence=f"no ARCHITECTURE.md, design document or decision records, and {readme}; {why}")


@probe("testing.no_load_tests")
def no_load_tests(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """A deployed service with web endpoints (not a serverless function platform) and no load test: no
    locustfile, k6 script, artillery config or JMeter plan, and no load-testing library."""
    p = facts.practices
    if not p.available or p.load_tests or not _app_endpoints(facts):
        return
    kind, why = deployment_kind(facts)
    deploy = _deploy_files(facts)
    if kind != "service" or all(d.rsplit("/", 1)[-1].lower() in _SERVERLESS_DEPLOY for d in deploy):
        return
    yield Hit(rule="testing.no_load_tests", title="No load or concurrency test",
              evidence=f"{len(_app_endpoints(facts))} web endpoint(s) and no locustfile, k6 script, artillery or JMeter "
                       f"plan; how many users it holds at once is unknown; {why}")


@probe("testing.no_e2e_tests")
def no_e2e_tests(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """A browser front end (React, Next.js, Vue, Svelte...) whose repository has tests but no end-to-end
    browser tests (Playwright, Cypress, Selenium, Puppeteer, WebdriverIO...). Without any test,
    ``testing.no_tests`` says more."""
    p = facts.practices
    front = _front_end(facts)
    if not front or not _tested(facts) or p.e2e_frameworks:
        return
    kind, why = deployment_kind(facts)
    yield Hit(rule="testing.no_e2e_tests", title="No end-to-end tests of the user flows",
              evidence=f"a {', '.join(front)} front end and {len(p.test_files)} test file(s), none driving a browser "
                       f"(no Playwright, Cypress, Selenium or Puppeteer); {why}",
              severity="info" if kind == "script" else None)


@probe("testing.model_sdk_not_mocked")
def model_sdk_not_mocked(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Model calls in the code, tests that name the model SDK or model code (``test_signals``: model_ref),
    and nothing in the tests mocks, records or fakes the model (respx, vcrpy, a patched SDK, msw, nock, a
    fake chat model): the tests call the live API (cost, flakiness) or do not run in CI at all. Info for
    scripts and notebooks."""
    if not _tested(facts) or not facts.code.available or not facts.code.llm_calls:
        return
    refs = _signal(facts, "model_ref")
    if not refs or _signal(facts, "model_mock"):
        return
    kind, why = deployment_kind(facts)
    yield Hit(rule="testing.model_sdk_not_mocked", title="Tests reach the model without a mock",
              evidence=f"{_some(refs)} name the model SDK or model code, and no test mocks, records or fakes the model "
                       f"(respx, vcrpy, mock.patch of the client, msw, nock, a fake chat model); {why}",
              path=refs[0], severity="info" if kind == "script" else None)


@probe("testing.no_failure_path_tests")
def no_failure_path_tests(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """A service or an app with at least ``min_test_lines`` of tests, none of which checks a failure: no
    pytest.raises or assertRaises, no toThrow or rejects, no side_effect raising, no 4xx or 5xx status
    asserted. Not reported for scripts."""
    p = facts.practices
    if not _tested(facts) or p.test_lines < int(params.get("min_test_lines", 50)) or _signal(facts, "failure_path"):
        return
    kind, why = deployment_kind(facts)
    if kind != "script":
        yield Hit(rule="testing.no_failure_path_tests", title="Only happy-path tests",
                  evidence=f"{len(p.test_files)} test file(s), {p.test_lines} lines: no test expects an exception, a "
                           f"rejected promise or a 4xx/5xx response; {why}")


@probe("testing.no_auth_boundary_tests")
def no_auth_boundary_tests(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Endpoints that require authentication, tests, and no test that expects a 401 or a 403 (or names
    unauthorized, forbidden): nothing shows that a request without credentials, or with another user's,
    is refused. Not reported for scripts."""
    if not _tested(facts) or not facts.code.available or _signal(facts, "auth_boundary"):
        return
    guarded = [e for e in _app_endpoints(facts) if e.has_auth and not e.public]
    if not guarded:
        return
    kind, why = deployment_kind(facts)
    if kind != "script":
        yield Hit(rule="testing.no_auth_boundary_tests", title="No test of the security boundary (401/403)",
                  evidence=f"{len(guarded)} endpoint(s) require authentication "
                           f"({_some([e.route or e.function for e in guarded])}) and no test expects a 401 or 403; {why}",
                  path=guarded[0].path, line=guarded[0].line)


@probe("testing.no_integration_tests")
def no_integration_tests(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Web endpoints, tests, and no test that calls the app through a test client (TestClient, test_client,
    supertest, httpx ASGITransport, Django's client) or a test database: the tests stop at the units,
    the request-to-database path is untested. Not reported for scripts."""
    if not _tested(facts) or _signal(facts, "app_client") or facts.practices.e2e_frameworks:
        return  # end-to-end tests drive the app through its routes too
    endpoints = _app_endpoints(facts)
    if not endpoints:
        return
    kind, why = deployment_kind(facts)
    if kind != "script":
        yield Hit(rule="testing.no_integration_tests", title="No integration tests through the app",
                  evidence=f"{len(endpoints)} web endpoint(s) and {len(facts.practices.test_files)} test file(s), none "
                           f"calling the app through a test client (TestClient, test_client, supertest...) or a test "
                           f"database; {why}")


@probe("web.analytics_without_consent")
def analytics_without_consent(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """A browser analytics or session-recording SDK (PostHog, Mixpanel, Segment, Google Analytics
    wrappers, Amplitude, Hotjar, LogRocket, Clarity...) and no cookie-consent library: under the GDPR and
    the ePrivacy rules tracking needs consent first. Low: a hand-written banner is not seen."""
    p = facts.practices
    trackers = p.libraries.get("analytics", [])
    if not p.available or not trackers or _lib(facts, "consent"):
        return
    kind, why = deployment_kind(facts)
    yield Hit(rule="web.analytics_without_consent", title="Analytics without a consent mechanism",
              evidence=f"{_some(trackers)} and no cookie-consent library (react-cookie-consent, vanilla-cookieconsent, "
                       f"klaro...); {why}", severity="info" if kind == "script" else None)


@probe("performance.large_static_images")
def large_static_images(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Raster images over 300 KB in a served static folder (public/, static/) of a service or an app: every
    visitor downloads them uncompressed."""
    p = facts.practices
    if not p.available or not p.large_static_images:
        return
    kind, why = deployment_kind(facts)
    if kind == "script":
        return
    first = p.large_static_images[0].rsplit(" (", 1)[0]
    yield Hit(rule="performance.large_static_images", title="Large images served as they are",
              evidence=f"{len(p.large_static_images)} image(s) over 300 KB in a served folder: "
                       f"{_some(p.large_static_images)}; {why}", path=first)


_CHAT_KINDS = frozenset({"chat", "completion", "agent", "http"})
"""Azure OpenAI is left out: its ``model`` names a deployment, whose model version is pinned in Azure."""


class _Aliases:
    """``aliases`` of checklists/models.yaml, compiled."""

    def __init__(self, d: dict[str, Any]) -> None:
        a = d["aliases"]
        self.aliasable, self.pinned = re.compile(a["aliasable"], re.I), re.compile(a["pinned"])
        self.legacy_fixed = re.compile(a["legacy_fixed"])
        self.ignored_suffixes = tuple(a["ignored_suffixes"])


def floating_alias(model: str) -> bool:
    """A hosted model name that moves under the same string: OpenAI, Anthropic and Google names without a
    dated snapshot or a version suffix (``gpt-4o``, ``claude-3-5-sonnet-latest``, ``gemini-1.5-pro``), as
    opposed to ``gpt-4o-2024-08-06``, ``claude-3-5-sonnet-20241022``, ``gemini-1.5-pro-002``. The patterns
    are ``aliases`` in checklists/models.yaml."""
    from ..analysis.tables import yaml_knowledge

    k = yaml_knowledge("models.yaml", _Aliases)
    name = model.strip().split("/")[-1].lower()
    for tail in k.ignored_suffixes:
        name = name.removesuffix(tail)
    if not k.aliasable.match(name) or k.legacy_fixed.match(name):
        return False
    return name.endswith("-latest") or not k.pinned.search(name)


@probe("llm.model_alias_unpinned")
def model_alias_unpinned(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Model calls in application code that name a floating alias (``floating_alias``): the provider can
    move the alias to a new snapshot and output, cost and refusals change with no change in the repository.
    One finding per repository, at the first such call; info for scripts."""
    c = facts.code
    if not c.available:
        return
    sites = [s for s in c.llm_calls if s.model and s.kind in _CHAT_KINDS and "azure" not in s.provider.lower()
             and floating_alias(s.model) and role_of(facts, s.path) == "app"]
    if not sites:
        return
    kind, why = deployment_kind(facts)
    names = sorted({s.model for s in sites if s.model})
    yield Hit(rule="llm.model_alias_unpinned", title="Model version not pinned",
              evidence=f"{len(sites)} model call(s) name a floating alias ({_some(names)}) rather than a dated snapshot; "
                       f"{why}", path=sites[0].path, line=sites[0].line,
              severity="info" if kind == "script" else None)


@probe("web.no_error_boundary")
def no_error_boundary(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """A React or Next.js front end with no error boundary (componentDidCatch, getDerivedStateFromError,
    react-error-boundary, a Next.js app/error.tsx): one component that throws while rendering blanks the
    whole page."""
    p = facts.practices
    front = sorted(set(p.app_frameworks) & {"react", "react-dom", "next"})
    if not p.available or not front or p.error_boundaries or not _code_exists(facts):
        return
    kind, why = deployment_kind(facts)
    yield Hit(rule="web.no_error_boundary", title="No React error boundary",
              evidence=f"a {', '.join(front)} front end and no componentDidCatch, react-error-boundary or Next.js "
                       f"error.tsx; {why}", severity="info" if kind == "script" else None)


@probe("deployment.irreversible_migration")
def irreversible_migration(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Migrations that cannot be rolled back: an Alembic ``downgrade()`` that only passes, a knex migration
    without ``down``. One finding at the first, counting the rest."""
    p = facts.practices
    if not p.available or not p.irreversible_migrations:
        return
    kind, why = deployment_kind(facts)
    yield Hit(rule="deployment.irreversible_migration", title="Migrations cannot be rolled back",
              evidence=f"{len(p.irreversible_migrations)} migration(s) without a working downgrade: "
                       f"{_some(p.irreversible_migrations)}; {why}", path=p.irreversible_migrations[0],
              severity="info" if kind == "script" else None)
