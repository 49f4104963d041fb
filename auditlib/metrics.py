"""Named measurements derived from facts (and, for a few, from findings), read by the rubric.

The rubric's scorecard evidence, checklist hints and decision conditions refer to these names.
A metric returns None when the collector behind it could not measure (no credit, no blame).
Registered once, here, with the @metric decorator; a test checks every name the rubric uses exists.
"""

from __future__ import annotations

from typing import Any, Callable

from .models import Facts, Finding

MetricValue = bool | float | int | None
MetricFn = Callable[[Facts, list[Finding]], MetricValue]
METRICS: dict[str, MetricFn] = {}


def metric(name: str) -> Callable[[MetricFn], MetricFn]:
    """Register a metric under ``name``."""

    def register(fn: MetricFn) -> MetricFn:
        if name in METRICS:
            raise ValueError(f"metric {name} registered twice")
        METRICS[name] = fn
        return fn

    return register


def compute_metrics(facts: Facts, findings: list[Finding]) -> dict[str, MetricValue]:
    """Every registered metric for one target."""
    return {name: fn(facts, findings) for name, fn in METRICS.items()}


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def _lib(capability: str) -> MetricFn:
    def fn(facts: Facts, _: list[Finding]) -> MetricValue:
        if not facts.practices.available:
            return None
        return bool(facts.practices.libraries.get(capability))

    return fn


@metric("token_tracking")
def _token_tracking(facts: Facts, _: list[Finding]) -> MetricValue:
    """A token-tracking library is in use, or the code reads the usage fields of model responses."""
    if not facts.practices.available:
        return None
    reads_usage = facts.code.available and any(u.kind == "usage_read" for u in facts.code.llm_uses)
    return bool(facts.practices.libraries.get("token_tracking")) or reads_usage


for _name, _cap in {
    "auth_library": "auth", "validation_library": "validation", "structured_logging": "structured_logging",
    "error_tracking": "error_tracking", "tracing": "tracing", "metrics_library": "metrics",
    "caching": "caching", "rate_limiting": "rate_limiting",
    "feature_flags": "feature_flags",
}.items():
    metric(_name)(_lib(_cap))


# ----------------------------------------------------------------------------------- secrets
@metric("live_secrets_in_tree")
def _live_secrets(facts: Facts, _: list[Finding]) -> MetricValue:
    s = facts.secrets
    if not s.available:
        return None
    return sum(1 for h in s.hits if h.in_tree and not h.placeholder) + len(s.env_files)


@metric("secrets_only_in_history")
def _history_secrets(facts: Facts, _: list[Finding]) -> MetricValue:
    s = facts.secrets
    if not s.available or not s.history_checked:
        return None
    return sum(1 for h in s.hits if not h.in_tree and not h.placeholder)


# ------------------------------------------------------------------------------ code / model calls
def _calls(facts: Facts) -> list[Any] | None:
    return facts.code.llm_calls if facts.code.available else None


def _call_share(attr: str) -> MetricFn:
    """The share of the model calls of the application and its scripts (``app_calls``) that have ``attr``."""
    def fn(facts: Facts, _: list[Finding]) -> MetricValue:
        calls = app_calls(facts)
        return None if calls is None else _share([getattr(c, attr) for c in calls])

    return fn


for _name, _attr in {
    "llm_timeout_share": "has_timeout", "llm_retry_share": "has_retry", "llm_fallback_share": "has_fallback",
    "llm_structured_share": "structured_output", "llm_max_tokens_share": "max_tokens_set",
}.items():
    metric(_name)(_call_share(_attr))


@metric("llm_calls")
def _llm_calls(facts: Facts, _: list[Finding]) -> MetricValue:
    calls = _calls(facts)
    return None if calls is None else len(calls)


APP_CALL_ROLES = ("app", "script")
"""File roles whose model calls spend money in use (auditlib.collect.roles): the application and the
scripts run against it; calls in tests, evaluation harnesses, examples and docs are left out."""


def app_calls(facts: Facts) -> list[Any] | None:
    """The model calls in application code and scripts (APP_CALL_ROLES); None when the code was not read."""
    from .collect.roles import file_role

    calls = _calls(facts)
    if calls is None:
        return None
    roles = facts.code.file_roles
    return [c for c in calls if (roles.get(c.path) or file_role(c.path)) in APP_CALL_ROLES]


@metric("app_llm_calls")
def _app_llm_calls(facts: Facts, _: list[Finding]) -> MetricValue:
    """Model calls in application code and scripts (tests, evaluations, docs left out): whether the
    repository has a model cost to govern (``applies_when`` of cost_governance in scorecard.yaml)."""
    calls = app_calls(facts)
    return None if calls is None else len(calls)


@metric("app_endpoints")
def _app_endpoints(facts: Facts, _: list[Finding]) -> MetricValue:
    """Web endpoints of the application and its scripts (test fixtures never reach the facts): whether
    there is an endpoint whose authentication can be measured (scorecard.yaml, ``endpoint_auth_share``)."""
    from .collect.roles import file_role

    if not facts.code.available:
        return None
    roles = facts.code.file_roles
    return sum(1 for e in facts.code.endpoints if (roles.get(e.path) or file_role(e.path)) in APP_CALL_ROLES)


@metric("service_or_app")
def _service_or_app(facts: Facts, _: list[Finding]) -> MetricValue:
    """The repository deploys a service or is a web or interactive app (a Dockerfile or deploy file, a web
    endpoint, a web or UI framework: ``deployment_kind`` of the practice probes), as opposed to scripts,
    notebooks, a command-line tool or a library. Unknown when the code or the practices were not read
    and nothing was found."""
    from .probes.practices import deployment_kind

    if not facts.practices.available:
        return None
    kind, _why = deployment_kind(facts)
    if kind == "script" and not facts.code.available:
        return None
    return kind != "script"


@metric("service_or_model")
def _service_or_model(facts: Facts, findings: list[Finding]) -> MetricValue:
    """A service or app (``service_or_app``), or model calls in the application code or its scripts
    (``app_llm_calls``): something runs that can be observed and held to latency targets. A command-line
    tool or library that calls no model has neither."""
    service, calls = _service_or_app(facts, findings), app_calls(facts)
    if service or calls:
        return True
    if service is None or calls is None:
        return None
    return False


@metric("database_in_use")
def _database_in_use(facts: Facts, _: list[Finding]) -> MetricValue:
    """The project uses a database: versioned migrations or ORM tables, SQL built in its code, or a database
    driver or ORM imported by its own (not its tests') code (``db_modules`` of checklists/web.yaml)."""
    from .analysis.tables import tables
    from .collect.roles import is_project_path

    p, c = facts.practices, facts.code
    if p.available and (p.migrations or p.orm_schemas):
        return True
    if not c.available:
        return None
    if any(is_project_path(site.path) for site in c.sql_sites):
        return True
    t = tables()
    db = set(t.py.db_modules) | set(t.js.db_modules)
    return bool(set(c.imports) & db)


@metric("llm_user_input_sites")
def _user_input(facts: Facts, _: list[Finding]) -> MetricValue:
    calls = app_calls(facts)
    return None if calls is None else sum(c.user_input_in_prompt for c in calls)


@metric("sql_string_sites")
def _sql(facts: Facts, _: list[Finding]) -> MetricValue:
    return len(facts.code.sql_sites) if facts.code.available else None


@metric("endpoint_auth_share")
def _endpoint_auth(facts: Facts, _: list[Finding]) -> MetricValue:
    return _share([e.has_auth for e in facts.code.endpoints]) if facts.code.available else None


@metric("mixed_layer_files")
def _mixed(facts: Facts, _: list[Finding]) -> MetricValue:
    return len(facts.code.mixed_files) if facts.code.available else None


@metric("logging_over_print")
def _logging_over_print(facts: Facts, _: list[Finding]) -> MetricValue:
    c = facts.code
    if not c.available or (c.print_calls == 0 and c.logging_calls == 0):
        return None
    return c.logging_calls > c.print_calls


# ------------------------------------------------------------------------------------- practices
@metric("tests_present")
def _tests_present(facts: Facts, _: list[Finding]) -> MetricValue:
    return bool(facts.practices.test_files) if facts.practices.available else None


@metric("test_ratio")
def _test_ratio(facts: Facts, _: list[Finding]) -> MetricValue:
    p, inv = facts.practices, facts.inventory
    if not p.available or not inv.available:
        return None
    app_lines = inv.code_lines - p.test_lines
    if app_lines <= 0:
        return None
    return round(p.test_lines / app_lines, 3)


def _practice_flag(fn: Callable[[Facts], MetricValue]) -> MetricFn:
    return lambda facts, _: fn(facts) if facts.practices.available else None


for _name, _fn in {
    "ci_present": lambda f: bool(f.practices.ci_files),
    "ci_runs_tests": lambda f: f.practices.ci_runs_tests,
    "ci_runs_audit": lambda f: f.practices.ci_runs_audit,
    "dockerfile_present": lambda f: bool(f.practices.dockerfiles),
    "docker_healthcheck": lambda f: f.practices.docker_healthcheck,
    "migrations_present": lambda f: bool(f.practices.migrations),
    "env_documented": lambda f: bool(f.practices.env_example),
    "runbook_present": lambda f: bool(f.practices.runbooks),
    "eval_suite_present": lambda f: bool(f.practices.eval_files),
    "ci_runs_lint": lambda f: f.practices.ci_runs_lint,
    "docker_base_pinned": lambda f: f.practices.docker_base_pinned,
}.items():
    metric(_name)(_practice_flag(_fn))


@metric("eval_cases")
def _eval_cases(facts: Facts, _: list[Finding]) -> MetricValue:
    """Cases counted in evaluation files; None when not counted or only a lower bound."""
    p = facts.practices
    if not p.available or p.eval_cases is None or p.eval_cases_partial:
        return None
    return p.eval_cases


@metric("bus_factor")
def _bus_factor(facts: Facts, _: list[Finding]) -> MetricValue:
    h = facts.history
    return h.bus_factor if h.available and h.bus_factor else None


@metric("lockfile_for_every_ecosystem")
def _lockfiles(facts: Facts, _: list[Finding]) -> MetricValue:
    """Every dependency is pinned or covered by a lockfile in its directory or above (same scoping
    as the dependency probes)."""
    from .probes.dependencies import loose_dependencies

    d = facts.dependencies
    if not d.available or not any(not m.lockfile for m in d.manifests):
        return None
    return not loose_dependencies(d.dependencies, d.manifests)


# --------------------------------------------------------------------------------- history / code
@metric("top_authors_active")
def _top_authors(facts: Facts, _: list[Finding]) -> MetricValue:
    return facts.history.top_authors_active if facts.history.available else None


@metric("functions_measured")
def _functions(facts: Facts, _: list[Finding]) -> MetricValue:
    c = facts.complexity
    return c.functions if c.available else None


@metric("complex_function_share")
def _complex_share(facts: Facts, _: list[Finding]) -> MetricValue:
    c = facts.complexity
    if not c.available or not c.functions:
        return None
    return round(len(c.over_threshold) / c.functions, 3)


# -------------------------------------------------------------------------------------- findings
def _security_findings(findings: list[Finding]) -> list[Finding]:
    """Critical and high security findings that count for the decision: a low-confidence finding (a
    heuristic) is a lead for the auditor, not evidence of a wide attack surface."""
    return [f for f in findings if f.category == "security_access" and f.severity in ("critical", "high")
            and f.confidence != "low"]


@metric("severe_security_findings")
def _severe(facts: Facts, findings: list[Finding]) -> MetricValue:
    return len(_security_findings(findings))


@metric("structural_security_findings")
def _structural(facts: Facts, findings: list[Finding]) -> MetricValue:
    return sum(1 for f in findings if f.structural)


@metric("no_structural_security_findings")
def _no_structural(facts: Facts, findings: list[Finding]) -> MetricValue:
    """True without structural findings, False with one of high confidence; unknown (None) when the
    only structural findings are patterns or heuristics: one of them alone must not decide a rebuild,
    so the auditor answers ``security_debt_patchable``."""
    structural = [f for f in findings if f.structural]
    if any(f.confidence == "high" for f in structural):
        return False
    return None if structural else True
