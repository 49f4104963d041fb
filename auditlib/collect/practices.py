"""Practices: the engineering habits a repository shows (tests, CI, containers, migrations, docs,
evaluation sets) and which operational libraries it relies on.

Everything here is found by file names, a little file text and the import / dependency names other
collectors gathered. Nothing is judged: a probe decides whether a missing practice matters.
"""

from __future__ import annotations

import csv
import fnmatch
import functools
import io
import json
import re
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable, Literal

import yaml

from auditlib.collect.files import FileSet, RepoFile, read_head
from auditlib.collect.inventory import count_lines
from auditlib.collect.roles import NOT_PROJECT_ROLES
from auditlib.models import DockerBase, PracticeFacts, RepoConfig
from auditlib.pathglob import path_matches
from auditlib.rubric import knowledge_file, read_knowledge

MAX_MIGRATIONS = 20
EVAL_MAX_BYTES = 4_000_000
"""Largest evaluation file parsed whole; a larger ``.jsonl`` or ``.csv`` is counted in its first
EVAL_MAX_BYTES (a lower bound), a larger JSON or YAML file is not counted."""
EVAL_TOTAL_BYTES = 32_000_000
"""Evaluation files read in all; past this the rest are listed as not counted."""

LIBRARY_CAPABILITIES: dict[str, tuple[str, ...]] = {
    "error_tracking": ("sentry-sdk", "rollbar", "bugsnag", "honeybadger", "@sentry/*"),
    "tracing": ("opentelemetry*", "@opentelemetry/*", "ddtrace", "dd-trace", "langfuse", "langsmith",
                "helicone", "arize*", "phoenix"),
    "metrics": ("prometheus-client", "statsd", "datadog", "prom-client"),
    "structured_logging": ("structlog", "loguru", "python-json-logger", "pythonjsonlogger", "pino",
                           "winston"),
    "retry": ("tenacity", "backoff", "p-retry", "retry", "async-retry"),
    "rate_limiting": ("slowapi", "flask-limiter", "limits", "express-rate-limit", "rate-limiter-flexible",
                      "@upstash/ratelimit"),
    "feature_flags": ("launchdarkly*", "@launchdarkly/*", "ldclient", "unleash*", "flagsmith*", "growthbook*",
                      "@growthbook/*", "openfeature*", "@openfeature/*", "posthog*"),
    "validation": ("pydantic", "marshmallow", "jsonschema", "zod", "joi", "yup", "ajv", "instructor"),
    "auth": ("flask-login", "flask-jwt-extended", "authlib", "python-jose", "jose", "pyjwt", "jwt", "passlib",
             "fastapi-users", "next-auth", "@clerk/*", "passport", "passport-*", "auth0*", "@auth0/*",
             "firebase-admin", "supabase", "@supabase/*"),
    "caching": ("redis", "ioredis", "cachetools", "diskcache", "flask-caching", "aiocache"),
    "token_tracking": ("tiktoken", "langfuse", "helicone", "openlit", "tokencost"),
    "analytics": ("posthog-js", "mixpanel-browser", "@segment/analytics-next", "@segment/analytics.js*",
                  "analytics", "react-ga", "react-ga4", "vue-gtag", "vue-gtag-next", "@next/third-parties",
                  "nextjs-google-analytics", "@amplitude/analytics-browser", "amplitude-js", "@hotjar/browser",
                  "react-hotjar", "logrocket", "@fullstory/browser", "@microsoft/clarity", "react-facebook-pixel",
                  "@analytics/google-analytics", "ga-4-react"),
    "consent": ("react-cookie-consent", "vanilla-cookieconsent", "cookieconsent", "@cookieconsent/*", "klaro",
                "@osano/*", "@iubenda/*", "react-consent-banner", "@c15t/*", "c15t", "cookie-consent*",
                "@consent-manager/*", "@segment/consent-manager", "tarteaucitronjs", "react-cookie-banner"),
    "correlation_id": ("asgi-correlation-id", "django-guid", "django-log-request-id", "flask-request-id",
                       "flask-request-id-header", "starlette-context", "cls-rtracer", "express-request-id",
                       "pino-http", "correlation-id", "express-correlation-id"),
}
"""Capability -> library name patterns (normalised: lower case, ``-`` for ``_``; fnmatch wildcards).

Import names and distribution names both appear, so ``sentry_sdk`` (import) and ``sentry-sdk``
(requirement) meet as ``sentry-sdk``."""

TEST_FRAMEWORKS: dict[str, tuple[str, ...]] = {
    "pytest": ("pytest", "pytest-*"),
    "unittest": ("unittest",),
    "jest": ("jest", "@jest/*", "ts-jest"),
    "vitest": ("vitest", "@vitest/*"),
    "mocha": ("mocha",),
    "playwright": ("playwright", "@playwright/test", "pytest-playwright"),
    "cypress": ("cypress",),
}
"""Test framework -> library name patterns (normalised as for LIBRARY_CAPABILITIES)."""

TEST_FRAMEWORK_CONFIGS: dict[str, tuple[str, ...]] = {
    "pytest": ("pytest.ini", "conftest.py"),
    "jest": ("jest.config.*",),
    "vitest": ("vitest.config.*",),
    "mocha": (".mocharc", ".mocharc.*"),
    "playwright": ("playwright.config.*",),
    "cypress": ("cypress.config.*", "cypress.json"),
}
"""Test framework -> config file name patterns (matched on the base name, anywhere)."""

# Config files whose text may declare pytest's settings ([tool.pytest.ini_options], [pytest], [tool:pytest]).
_PYTEST_SECTION = re.compile(r"^\s*\[(tool\.pytest[^\]]*|pytest|tool:pytest)\]", re.M)
_PYTEST_CONFIG_HOSTS = frozenset({"pyproject.toml", "setup.cfg", "tox.ini"})

_JS_TS_SUFFIXES = frozenset({".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"})
_ENV_EXAMPLE_ENDINGS = (".example", ".sample", ".template", ".dist")
_RUNBOOK_WORDS = ("runbook", "playbook", "oncall", "on-call", "on_call", "incident", "operations")
_EVAL_SUFFIXES = frozenset({".jsonl", ".json", ".yaml", ".yml", ".csv"})
_PATH_TOKENS = re.compile(r"[/._\-\s]+")


def normalise_name(name: str) -> str:
    """A library name as the tables above spell it: lower case, ``_`` replaced by ``-``."""
    return name.strip().lower().replace("_", "-")


def _matches(name: str, patterns: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, p) for p in patterns)


def declared_names(dependencies: Iterable[Any]) -> list[str]:
    """The names of the dependencies the project declares itself (its manifests: ``package.json``,
    ``pyproject.toml``, requirements files), for the libraries "in use". A lockfile also lists what
    those pull in (``jose`` under an SDK, ``express-rate-limit`` under a dev server): a transitive
    dependency is not an authentication or rate-limiting library the code uses (issue 9, llamacoder).
    A lockfile's names count only for an ecosystem no manifest declares."""
    from .dependencies import _FIXED_NAMES

    def locked(d: Any) -> bool:
        entry = _FIXED_NAMES.get(d.path.rsplit("/", 1)[-1].lower())
        return bool(entry and entry[2])

    from .roles import is_project_path

    # a manifest of a test fixture (tests/rules/x/package.json) declares the fixture's libraries, not the project's
    deps = [d for d in dependencies if is_project_path(d.path)]
    declared = {d.ecosystem for d in deps if not locked(d)}
    return [d.name for d in deps if not locked(d) or d.ecosystem not in declared]


def find_libraries(names: Iterable[str]) -> dict[str, list[str]]:
    """Capability -> sorted library names among ``names``; capabilities with no hit are left out."""
    normalised = {normalise_name(n) for n in names if n and n.strip()}
    found: dict[str, list[str]] = {}
    for capability, patterns in LIBRARY_CAPABILITIES.items():
        hits = sorted(n for n in normalised if _matches(n, patterns))
        if hits:
            found[capability] = hits
    return found


# ------------------------------------------------------------------------------ platform knowledge
class Platforms:
    """checklists/platforms.yaml: deploy files, app frameworks and platform monitoring (issue 9)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.deploy_files = tuple(n.lower() for n in data.get("deploy_files") or ())
        self.app_frameworks = tuple(normalise_name(n) for n in data.get("app_frameworks") or ())
        mon = data.get("monitoring") or {}
        self.monitoring_libraries = tuple(normalise_name(n) for n in mon.get("libraries") or ())
        self.monitoring_files = re.compile(mon.get("files") or r"(?!)", re.I)
        self.markers = [(m["what"], re.compile(m["match"])) for m in mon.get("markers") or ()]


def platforms() -> Platforms:
    """checklists/platforms.yaml (or the AUDITLIB_RUBRIC folder's copy), read once per file."""
    return _platforms(knowledge_file("platforms.yaml"))


@functools.cache
def _platforms(path: Path) -> Platforms:
    return Platforms(read_knowledge(path) or {})


class CIKnowledge:
    """checklists/ci.yaml: which files are CI, which commands in them run tests, an audit or a linter,
    and which wrappers they call are read too (issue 12)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.hosted = tuple(str(p) for p in data.get("hosted") or ())
        self.scripts = tuple(str(p) for p in data.get("scripts") or ())
        self.script_ignore = tuple(str(p).lower() for p in data.get("script_ignore") or ())
        runs = data.get("runs") or {}

        def rx(kind: str) -> re.Pattern[str]:
            return re.compile("|".join(f"(?:{p})" for p in runs.get(kind) or ()) or r"(?!)", re.I | re.M)

        self.tests, self.audit, self.lint = rx("tests"), rx("audit"), rx("lint")
        follow = data.get("follow") or {}
        self.makefiles = tuple(str(n) for n in follow.get("makefiles") or ())
        self.package_json = bool(follow.get("package_json"))
        self.repository_scripts = bool(follow.get("repository_scripts"))
        self.max_depth = int(follow.get("max_depth", 3))
        self.max_bytes = int(follow.get("max_bytes", 1_000_000))

        # patterns by their first path part when it is literal (".github", "jenkinsfile"), so a file is
        # compared with the few patterns that can match it (kind() runs on every file of the target)
        self._index: dict[str, list[tuple[str, str]]] = {}
        self._wild: list[tuple[str, str]] = []
        for kind, patterns in (("hosted", self.hosted), ("script", self.scripts)):
            for p in patterns:
                head = p.lower().split("/", 1)[0]
                if any(c in head for c in "*?["):
                    self._wild.append((kind, p))
                else:
                    self._index.setdefault(head, []).append((kind, p))

    def kind(self, path: str) -> Literal["hosted", "script"] | None:
        """``hosted`` or ``script`` for a CI file's path, else None."""
        candidates = self._index.get(path.split("/", 1)[0].lower(), []) + self._wild
        kinds = {kind for kind, p in candidates if path_matches(p, path, ignore_case=True)}
        if "hosted" in kinds:
            return "hosted"
        name = path.rsplit("/", 1)[-1].lower()
        if "script" in kinds and not any(fnmatch.fnmatchcase(name, p) for p in self.script_ignore):
            return "script"
        return None


def ci_knowledge() -> CIKnowledge:
    """checklists/ci.yaml (or the AUDITLIB_RUBRIC folder's copy), read once per file."""
    return _ci_knowledge(knowledge_file("ci.yaml"))


@functools.cache
def _ci_knowledge(path: Path) -> CIKnowledge:
    return CIKnowledge(read_knowledge(path) or {})


MONITORING_MAX_FILES = 200
"""Infrastructure files read for platform monitoring at most (the shallowest first)."""


def is_deploy_file(f: RepoFile, known: Platforms | None = None) -> bool:
    """A file that deploys the code as a service (Procfile, vercel.json, fly.toml...), Dockerfiles aside."""
    return _matches(f.name.lower(), (known or platforms()).deploy_files)


def platform_monitoring(files: FileSet, known: Platforms | None = None) -> list[str]:
    """``path: what`` for each infrastructure file that declares platform monitoring (a Log Analytics
    workspace, Application Insights, CloudWatch alarms...), one line per file and kind."""
    known = known or platforms()
    found: list[str] = []
    infra = sorted((f for f in files.files if f.role not in NOT_PROJECT_ROLES and known.monitoring_files.search(f.path)),
                   key=lambda f: (f.path.count("/"), f.path))
    for f in infra[:MONITORING_MAX_FILES]:
        text = files.read_text(f)
        if not text:
            continue
        found += [f"{f.path}: {what}" for what, rx in known.markers if rx.search(text)]
    return found


# ---------------------------------------------------------------------------------------- predicates
def is_test_file(f: RepoFile) -> bool:
    """Source file that holds tests or test fixtures: the ``test`` role of auditlib.collect.roles
    (``test_*.py``, ``*_test.go``, ``*.test.ts``, ``conftest.py``, under ``tests/``, ``e2e/``...)."""
    return f.is_code and f.role == "test"


def is_ci_file(f: RepoFile, known: CIKnowledge | None = None) -> bool:
    """A continuous-integration definition (GitHub Actions, GitLab, CircleCI, Azure, Jenkins, ...) or a
    script entry point a CI runner calls (``.ci/run``, ``ci/test.sh``): ``hosted`` and ``scripts`` of
    checklists/ci.yaml."""
    return (known or ci_knowledge()).kind(f.path) is not None


def is_dockerfile(f: RepoFile | str) -> bool:
    """``Dockerfile``, ``Dockerfile.prod``, ``api.Dockerfile`` (and the Podman ``Containerfile``); a
    RepoFile or a path."""
    name = (f.name if isinstance(f, RepoFile) else f.rsplit("/", 1)[-1]).lower()
    return (name in {"dockerfile", "containerfile"} or name.startswith(("dockerfile.", "containerfile."))
            or name.endswith(".dockerfile"))


def is_migration(f: RepoFile) -> bool:
    """A database migration: Alembic, Django, Flask-Migrate, Prisma, knex, Rails, Supabase, ..."""
    parts = PurePosixPath(f.path.lower()).parts
    if parts[-1] == "alembic.ini":
        return True
    if parts[-1] in {"__init__.py", ".gitkeep", ".keep"} or f.suffix == ".pyc":
        return False
    dirs = parts[:-1]
    if "migrations" in dirs:
        return True
    if any(dirs[i:i + 2] == ("alembic", "versions") for i in range(len(dirs) - 1)):
        return True
    if parts[-1] == "_journal.json" and dirs[-1:] == ("meta",):
        return True  # drizzle-kit's migration journal (drizzle/meta/_journal.json beside the .sql files)
    return any(dirs[i:i + 2] == ("db", "migrate") for i in range(len(dirs) - 1))


def is_env_example(f: RepoFile) -> bool:
    """A committed template of environment variables (``.env.example``, ``.env.local.sample``...)."""
    name = f.name.lower()
    return name.startswith(".env") and name.endswith(_ENV_EXAMPLE_ENDINGS)


_ENV_HEADING = re.compile(r"^(?:#{1,6}[ \t]+(?P<md>[^\n]*)|(?P<rst>[^\n]+)\n[=\-~^]{3,}[ \t]*)$", re.M)
_ENV_WORDS = re.compile(r"\benvironment[ \t]+variables?\b", re.I)
_ENV_NAME = re.compile(r"`[A-Z][A-Z0-9]*_[A-Z0-9_]+`|``[A-Z][A-Z0-9]*_[A-Z0-9_]+``")
_ENV_DOC_MAX_BYTES = 512_000


def env_documentation(files: FileSet, f: RepoFile) -> str | None:
    """``path#heading`` when ``f``, a README at the root or a document under ``docs/``, has a section headed
    "Environment variables" that names at least one variable in code style (`` `APP_SECRET` ``): documented
    environment variables in prose, the equivalent of a ``.env.example`` for a tool that reads no .env file."""
    path = f.path.lower()
    if f.suffix.lower() not in {".md", ".rst"} or f.size > _ENV_DOC_MAX_BYTES or f.role in NOT_PROJECT_ROLES \
            or not (is_readme(f) or path.startswith(("docs/", "doc/"))):
        return None
    text = files.read_text(f)
    if not text or not _ENV_WORDS.search(text):
        return None
    headings = list(_ENV_HEADING.finditer(text))
    for i, m in enumerate(headings):
        title = (m.group("md") or m.group("rst") or "").strip()
        if not _ENV_WORDS.search(title):
            continue
        end = headings[i + 1].start() if i + 1 < len(headings) else len(text)
        if _ENV_NAME.search(text, m.end(), end):
            return f"{f.path}#{title.strip('# ').lower().replace(' ', '-')}"
    return None


def is_readme(f: RepoFile) -> bool:
    """A README at the repository root."""
    return "/" not in f.path and f.name.lower().startswith("readme")


def is_runbook(f: RepoFile) -> bool:
    """Operational documentation (not code) at the root or under ``docs/``: runbook, on-call..."""
    path = f.path.lower()
    if f.is_code or ("/" in path and not path.startswith(("docs/", "doc/"))):
        return False
    return any(word in f.name.lower() for word in _RUNBOOK_WORDS)


def is_eval_file(f: RepoFile) -> bool:
    """A data file of prompt test cases: a path word starting with ``eval`` or ``golden``.

    Whole path words, not substrings, so ``retrieval/`` or ``medieval.json`` do not count.
    """
    if f.suffix not in _EVAL_SUFFIXES or is_ci_file(f):
        return False
    tokens = _PATH_TOKENS.split(f.path.lower())
    return any(t.startswith(("eval", "golden")) for t in tokens)


# ---------------------------------------------------------------------------------------- dockerfile
def dockerfile_lines(text: str) -> list[tuple[int, str, str]]:
    """``(line, INSTRUCTION, arguments)`` with comments dropped and continuation lines joined."""
    instructions: list[tuple[int, str, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):  # comments may sit inside a continued instruction
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        if line.strip():
            keyword, _, args = line.strip().partition(" ")
            instructions.append((start, keyword.upper(), args.strip()))
    if pending.strip():
        keyword, _, args = pending.strip().partition(" ")
        instructions.append((start, keyword.upper(), args.strip()))
    return instructions


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs, with comments dropped and continuation lines joined."""
    return [(keyword, args) for _line, keyword, args in dockerfile_lines(text)]


_ARG_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)")
_FLOATING_TAGS = frozenset({"latest", "stable", "lts", "current", "edge", "nightly", "mainline", "rolling"})


def image_is_pinned(image: str) -> bool:
    """A digest (``@sha256:...``) or a tag that names a version (has a digit and is not ``latest``).

    ``python:3.11-slim`` and ``node:20-alpine`` are pinned; ``python``, ``python:latest``,
    ``node:lts-alpine`` and ``alpine:edge`` are not (they move under the same name).
    """
    if "@sha256:" in image or "@sha512:" in image:
        return True
    name, sep, tag = image.rpartition(":")
    if not sep or "/" in tag:  # no tag, or the colon was a registry port (host:5000/app)
        return False
    words = set(re.split(r"[-_.]", tag.lower()))
    return any(c.isdigit() for c in tag) and not (words & _FLOATING_TAGS)


def dockerfile_bases(text: str) -> list[tuple[int, str, bool]]:
    """``(line, image, pinned)`` for every ``FROM`` of an external image.

    ``FROM`` of an earlier stage (``FROM build AS final``) and ``FROM scratch`` are left out, and
    so is an image named by a build argument without a default (the build command decides it).
    ``ARG`` defaults declared before the first ``FROM`` are substituted.
    """
    args: dict[str, str] = {}
    stages: set[str] = set()
    bases: list[tuple[int, str, bool]] = []
    seen_from = False
    for line, keyword, rest in dockerfile_lines(text):
        if keyword == "ARG" and not seen_from:
            for decl in rest.split():
                name, eq, value = decl.partition("=")
                if eq:
                    args[name] = value.strip("\"'")
        if keyword != "FROM":
            continue
        seen_from = True
        words = [w for w in rest.split() if not w.startswith("--")]
        if not words:
            continue
        unresolved = False

        def substitute(m: re.Match[str]) -> str:
            nonlocal unresolved
            name = m.group(1) or m.group(3)
            if name in args:
                return args[name]
            if m.group(2) is not None:  # ${NAME:-default}
                return m.group(2)
            unresolved = True
            return ""

        image = _ARG_REF.sub(substitute, words[0])
        unresolved = unresolved or "$" in image
        if len(words) >= 3 and words[1].lower() == "as":
            stages.add(words[2].lower())
        if unresolved or image.lower() in stages or image.lower() == "scratch":
            continue
        bases.append((line, image, image_is_pinned(image)))
    return bases


def dockerfile_runs_nonroot(text: str) -> bool:
    """Whether the final stage's last ``USER`` names someone other than root (``root`` or uid 0)."""
    user: str | None = None
    for keyword, args in dockerfile_instructions(text):
        if keyword == "FROM":
            user = None  # each stage starts as root again
        elif keyword == "USER" and args:
            user = args.split()[0].split(":", 1)[0]
    return user is not None and user.lower() not in {"root", "0"}


def dockerfile_has_healthcheck(text: str) -> bool:
    """Whether a ``HEALTHCHECK`` instruction is present (``HEALTHCHECK NONE`` does not count)."""
    return any(
        keyword == "HEALTHCHECK" and args.split()[:1] != ["NONE"] and bool(args)
        for keyword, args in dockerfile_instructions(text)
    )


# ------------------------------------------------------------------- health checks, schemas, dependency bots
_HEALTH_DECLARED = re.compile(
    r"^\s*(healthcheck|health_check|readinessProbe|livenessProbe|startupProbe)\s*:"  # compose, k8s, Helm
    r"|\b(healthCheckPath|healthcheckPath|health_check_path|HealthCheckPath|HealthCheckConfiguration)\b"  # render, railway, AWS
    r"|^\s*\[\[?\s*(http_service\.checks|services\.http_checks|services\.tcp_checks|checks)[\].]",  # fly.toml
    re.M)
_HEALTH_SUFFIXES = (".yml", ".yaml", ".toml", ".json")
_HEALTH_MAX_BYTES = 256_000


def declared_health_checks(files: FileSet, dockerfile_checks: list[str]) -> list[str]:
    """Where a health check of the running service is declared outside the code, as ``path: what``: a
    Dockerfile ``HEALTHCHECK`` (``dockerfile_checks``), a compose ``healthcheck:``, Kubernetes or Helm
    probes, render/railway ``healthCheckPath``, fly.toml ``checks``, AWS health-check settings
    (issue 11: ``deployment.no_health_check``). Lock files and files over 256 KB are not read."""
    out = [f"{path}: HEALTHCHECK" for path in dockerfile_checks]
    for f in files.files:
        if f.suffix not in _HEALTH_SUFFIXES or f.size > _HEALTH_MAX_BYTES or "lock" in f.name.lower() \
                or f.role in {"test", "docs", "vendored", "generated"}:
            continue
        text = files.read_text(f)
        m = _HEALTH_DECLARED.search(text) if text else None
        if m:
            out.append(f"{f.path}: {m.group(0).strip().strip('[]:').strip()}")
    return out


_DEPENDENCY_BOTS = re.compile(r"(^|/)(\.github/dependabot\.ya?ml|renovate\.json5?|\.renovaterc(\.json5?)?|"
                              r"\.github/renovate\.json5?|\.gitlab/renovate\.json)$", re.I)


def dependency_bots(files: FileSet) -> list[str]:
    """Dependabot or Renovate configuration: a service that audits the dependencies outside the CI file."""
    return [f.path for f in files.files if _DEPENDENCY_BOTS.search(f.path)]


_PY_CLASS = re.compile(r"^[ \t]*class\s+\w+\s*\((?P<bases>[^)]*)\)\s*:", re.M)
_JS_SCHEMA = re.compile(r"\b(pgTable|mysqlTable|sqliteTable)\s*\(|@Entity\s*\(|\bsequelize\.define\s*\(|"
                        r"\.init\s*\(\s*\{[^}]*DataTypes\.")
_PRISMA_MODEL = re.compile(r"^\s*model\s+\w+\s*\{", re.M)
_ORM_MAX_BYTES = 512_000


def orm_schemas(files: FileSet, names: set[str]) -> list[str]:
    """Files that declare database tables through an ORM (issue 11: ``deployment.no_migrations``): Python
    classes on SQLAlchemy's declarative base (``Base``, ``DeclarativeBase``), Flask-SQLAlchemy's
    ``db.Model``, ``SQLModel, table=True``, Django's or Tortoise's ``models.Model``; a Prisma
    ``schema.prisma`` with a ``model``; drizzle ``pgTable``/``mysqlTable``/``sqliteTable``; TypeORM or
    MikroORM ``@Entity``; Sequelize ``define`` / ``Model.init`` with ``DataTypes``. Application and
    config files only (tests, docs and vendored code left out); at most 20 paths."""
    sqlalchemy = bool(names & {"sqlalchemy", "flask-sqlalchemy", "sqlmodel"})
    django = bool(names & {"django", "tortoise", "tortoise-orm"})
    out: list[str] = []
    for f in files.files:
        if len(out) >= 20:
            break
        if f.size > _ORM_MAX_BYTES or f.role not in {"app", "script", "config", "other"}:
            continue
        if f.name == "schema.prisma" or f.suffix == ".prisma":
            text = files.read_text(f)
            if text and _PRISMA_MODEL.search(text):
                out.append(f.path)
            continue
        if f.suffix == ".py" and (sqlalchemy or django):
            text = files.read_text(f)
            if not text or "class " not in text or "Model" not in text and "Base" not in text:
                continue
            for m in _PY_CLASS.finditer(text):
                bases = m.group("bases")
                if (sqlalchemy and (re.search(r"\bdb\.Model\b|\bDeclarativeBase\b|\bBase\b", bases)
                                    or re.search(r"\bSQLModel\b.*\btable\s*=\s*True", bases))) \
                        or (django and re.search(r"\bmodels\.Model\b", bases)):
                    out.append(f.path)
                    break
        elif f.suffix in {".ts", ".js", ".mjs", ".cjs", ".mts"} and names & {
                "drizzle-orm", "typeorm", "sequelize", "@mikro-orm/core", "mikro-orm"}:
            text = files.read_text(f)
            if text and _JS_SCHEMA.search(text):
                out.append(f.path)
    return out


# --------------------------------------------------------------------------------------- eval cases
_CASE_KEYS = ("cases", "test_cases", "tests", "examples", "samples", "data", "dataset", "items", "records",
              "rows", "questions", "prompts", "inputs", "evals", "scenarios")


def _cases_in(doc: Any) -> int | None:
    """Cases in a parsed JSON/YAML document: a list, or a mapping holding the list of cases."""
    if isinstance(doc, list):
        return len(doc)
    if not isinstance(doc, dict):
        return None
    for key in _CASE_KEYS:
        if isinstance(doc.get(key), list):
            return len(doc[key])
    lists = [v for v in doc.values() if isinstance(v, list)]
    if len(lists) == 1:
        return len(lists[0])
    # {"case-1": {...}, "case-2": {...}}: a mapping of cases by id.
    if len(doc) >= 2 and all(isinstance(v, dict) for v in doc.values()):
        return len(doc)
    return None


def count_eval_cases(suffix: str, text: str, *, truncated: bool = False) -> tuple[int | None, str | None]:
    """Cases in an evaluation file's text: ``(count, None)`` or ``(None, why not)``.

    ``.jsonl``: non-blank lines; ``.csv``: rows minus the header; ``.json`` and ``.yaml``: the length
    of the top-level list, or of the list of cases a mapping holds (``cases``, ``tests``,
    ``examples``...). With ``truncated`` (only the head of the file was read) a line-based count
    drops the last, partial line, and a JSON or YAML document is not counted.
    """
    if suffix == ".jsonl":
        lines = text.splitlines()
        if truncated and lines:
            lines = lines[:-1]
        return sum(1 for line in lines if line.strip()), None
    if suffix == ".csv":
        if truncated:
            text = text[: text.rfind("\n") + 1]
        try:
            rows = sum(1 for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row))
        except (csv.Error, ValueError) as exc:
            return None, f"unreadable CSV ({exc})"[:120]
        return max(rows - 1, 0), None
    if truncated:
        return None, f"over {EVAL_MAX_BYTES} bytes"
    try:
        if suffix == ".json":
            doc = json.loads(text)
            count = _cases_in(doc)
        else:
            docs = [d for d in yaml.safe_load_all(text) if d is not None]
            count = _cases_in(docs[0]) if len(docs) == 1 else (len(docs) or None)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        return None, f"unparseable ({type(exc).__name__})"
    if count is None:
        return None, "no list of cases found"
    return count, None


def _count_evals(files: FileSet, evals: list[RepoFile]) -> tuple[dict[str, int], dict[str, str], bool]:
    counts: dict[str, int] = {}
    uncounted: dict[str, str] = {}
    partial = False
    budget = EVAL_TOTAL_BYTES
    for f in evals:
        if budget <= 0:
            uncounted[f.path] = "not read (evaluation files over the reading budget)"
            partial = True
            continue
        text, truncated = read_head(files.root, f.path, min(EVAL_MAX_BYTES, budget))
        budget -= min(f.size, EVAL_MAX_BYTES)
        if text is None:
            uncounted[f.path] = "binary or unreadable"
            continue
        count, why = count_eval_cases(f.suffix, text, truncated=truncated)
        if truncated:
            partial = True  # a lower bound, or no count at all, for a file that may hold many cases
        if count is None:
            uncounted[f.path] = why or "not counted"
        else:
            counts[f.path] = count
    return counts, uncounted, partial


# ------------------------------------------------------------------------------------ CI wrappers
_MAKE_CALL = re.compile(r"(?:^|[\s;&|`(])(?:g?make|\$\(MAKE\)|\$\{MAKE\})(?=[ \t]|$)([^\n;&|`)#]*)", re.M)
_MAKE_RULE = re.compile(r"^([^\s:=#][^:=#]*?)[ \t]*::?(?!=)(.*)$")
_MAKE_OPT_WITH_ARG = frozenset({"-C", "-f", "-I", "-o", "-W", "--directory", "--file", "--makefile"})
_PKG_CALL = re.compile(r"\b(?:npm\s+(?:run(?:-script)?\s+)?|yarn\s+(?:run\s+)?|pnpm\s+(?:run\s+)?|bun\s+run\s+)"
                       r"([A-Za-z0-9:_.-]+)")
_NPM_ALIASES = {"t": "test", "tst": "test"}
_SCRIPT_TOKEN = re.compile(r"(?<![\w/.$-])(?:\./)?([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*)")
_SCRIPT_SUFFIXES = frozenset({"", ".sh", ".bash", ".zsh", ".ps1"})


def makefile_rules(text: str) -> tuple[dict[str, tuple[list[str], str]], str | None]:
    """A Makefile's explicit rules, ``target -> (prerequisites, recipe text)``, and its default goal
    (the first target not starting with a dot). Read as text: nothing is run, no include is followed."""
    rules: dict[str, tuple[list[str], str]] = {}
    default = None
    current: list[str] = []
    joined = re.sub(r"\\\r?\n", " ", text)
    for line in joined.splitlines():
        if line.startswith("\t"):
            for t in current:
                pre, recipe = rules[t]
                rules[t] = (pre, recipe + line[1:] + "\n")
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _MAKE_RULE.match(line)
        if not m:
            current = []
            continue
        rest, _, inline = m.group(2).partition(";")
        current = m.group(1).split()
        for t in current:
            pre, recipe = rules.get(t, ([], ""))
            rules[t] = (pre + rest.split(), recipe + (inline.strip() + "\n" if inline.strip() else ""))
            if default is None and not t.startswith(".") and "%" not in t:
                default = t
    return rules, default


def make_targets(args: str) -> list[str]:
    """The targets of a ``make`` command line (options, their arguments and VAR=value left out)."""
    words, out, skip = args.split(), [], False
    for w in words:
        if skip:
            skip = False
            continue
        if w in _MAKE_OPT_WITH_ARG:
            skip = True
            continue
        if w.startswith("-") or "=" in w or w.isdigit():
            continue
        if re.fullmatch(r"[A-Za-z0-9_.%/-]+", w):
            out.append(w)
    return out


def follow_ci(files: FileSet, texts: dict[str, str], known: CIKnowledge) -> tuple[str, list[str]]:
    """The text of what the CI files call (``follow`` of checklists/ci.yaml): Makefile targets and
    their prerequisites, package.json scripts, repository scripts named in the text, wrappers of
    wrappers up to ``max_depth``, at most ``max_bytes``; and what was read (``Makefile: test``)."""
    by_path = {f.path: f for f in files.files}
    budget = known.max_bytes
    cache: dict[str, str | None] = {}

    def read(path: str) -> str | None:
        nonlocal budget
        if path not in cache:
            f = by_path.get(path)
            text = files.read_text(f) if f is not None and f.size <= budget else None
            if text is not None:
                budget -= len(text)
            cache[path] = text
        return cache[path]

    makefile = next((n for n in known.makefiles if n in by_path), None)
    rules, default = makefile_rules(read(makefile) or "") if makefile else ({}, None)
    scripts: dict[str, str] = {}
    if known.package_json and "package.json" in by_path:
        try:
            doc = json.loads(read("package.json") or "{}")
            raw = doc.get("scripts") if isinstance(doc, dict) else None
            scripts = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
        except (ValueError, RecursionError):
            scripts = {}
    followed: list[str] = []
    seen: set[str] = set(texts)
    out: list[str] = []
    frontier = list(texts.values())
    for _depth in range(max(known.max_depth, 0)):
        nxt: list[str] = []
        for text in frontier:
            if rules:
                goals = []
                for m in _MAKE_CALL.finditer(text):
                    goals += make_targets(m.group(1)) or ([default] if default else [])
                stack = list(goals)
                while stack:
                    t = stack.pop()
                    key = f"{makefile}: {t}"
                    if key in seen or t not in rules:
                        continue
                    seen.add(key)
                    followed.append(key)
                    pre, recipe = rules[t]
                    stack += [p for p in pre if p in rules]
                    nxt.append(recipe)
            for m in _PKG_CALL.finditer(text):
                name = _NPM_ALIASES.get(m.group(1), m.group(1))
                key = f"package.json: {name}"
                if name in scripts and key not in seen:
                    seen.add(key)
                    followed.append(key)
                    nxt.append(scripts[name])
            if known.repository_scripts:
                for m in _SCRIPT_TOKEN.finditer(text):
                    path = m.group(1)
                    if path in seen or path not in by_path or PurePosixPath(path).suffix.lower() not in _SCRIPT_SUFFIXES:
                        continue
                    if path in known.makefiles or path == "package.json":
                        continue
                    body = read(path)
                    seen.add(path)
                    if body is not None:
                        followed.append(path)
                        nxt.append(body)
        out += nxt
        frontier = nxt
        if not frontier or budget <= 0:
            break
    return "\n".join(out), followed


# ------------------------------------------------------------------------------------------ collector
def _frameworks(files: FileSet, names: set[str]) -> list[str]:
    found = {fw for fw, patterns in TEST_FRAMEWORKS.items() if any(_matches(n, patterns) for n in names)}
    for f in files.files:
        name = f.name.lower()
        for fw, patterns in TEST_FRAMEWORK_CONFIGS.items():
            if fw not in found and _matches(name, patterns):
                found.add(fw)
        if "pytest" not in found and name in _PYTEST_CONFIG_HOSTS and "/" not in f.path:
            text = files.read_text(f)
            if text and _PYTEST_SECTION.search(text):
                found.add("pytest")
    return sorted(found)


def collect_practices(
    files: FileSet,
    *,
    imports: list[str],
    dependency_names: list[str],
    progress: Callable[[str], None] | None = None,
) -> PracticeFacts:
    """Find the repository's tests, CI, Dockerfiles, migrations, docs, evaluation sets and libraries.

    ``imports`` are the top-level modules the code imports and ``dependency_names`` the declared
    dependencies (both gathered by other collectors). With several Dockerfiles, ``docker_nonroot``
    is True only when every readable one ends in a non-root stage (one root image is enough to
    matter), ``docker_healthcheck`` when any declares a HEALTHCHECK, and ``docker_base_pinned``
    when every external base image is pinned; all are None when there is no readable Dockerfile.
    The cases of the evaluation files are counted (``eval_cases``; see ``count_eval_cases``).
    """
    if progress:
        progress(f"practices: looking at {len(files.files)} files")
    names = {normalise_name(n) for n in [*imports, *dependency_names] if n and n.strip()}

    test_files = [f for f in files.files if is_test_file(f)]
    # what the project deploys (Dockerfiles, deploy files, migrations, environment templates, monitoring):
    # not the fixtures of its tests (a sample app's Dockerfile under tests/), vendored or generated files
    own = [f for f in files.files if f.role not in NOT_PROJECT_ROLES]
    test_lines = 0
    for f in test_files:
        text = files.read_text(f)
        if text is not None:
            test_lines += count_lines(text)

    config = _repo_config(files)
    ci = ci_knowledge()
    ci_kinds: dict[str, Literal["hosted", "script", "declared"]] = {}
    for f in files.files:
        kind = ci.kind(f.path)
        if kind:
            ci_kinds[f.path] = kind
    for path in config.ci if config else ():
        ci_kinds.setdefault(path, "declared")
    ci_files = list(ci_kinds)
    ci_texts = {path: text for path in ci_files if (text := files.read_text(path)) is not None}
    followed_text, ci_followed = follow_ci(files, ci_texts, ci) if ci_texts else ("", [])
    everything = "\n".join([*ci_texts.values(), followed_text])
    ci_runs_tests = bool(ci_texts) and bool(ci.tests.search(everything))
    ci_runs_audit = bool(ci_texts) and bool(ci.audit.search(everything))
    ci_runs_lint = bool(ci_texts) and bool(ci.lint.search(everything))

    dockerfiles = [f for f in own if is_dockerfile(f)]
    nonroot: list[bool] = []
    healthcheck: list[bool] = []
    health_files: list[str] = []
    bases: list[DockerBase] = []
    for f in dockerfiles:
        text = files.read_text(f)
        if text is None:
            continue
        nonroot.append(dockerfile_runs_nonroot(text))
        healthcheck.append(dockerfile_has_healthcheck(text))
        if healthcheck[-1]:
            health_files.append(f.path)
        bases.extend(DockerBase(path=f.path, line=line, image=image, pinned=pinned)
                     for line, image, pinned in dockerfile_bases(text))
    evals = [f for f in files.files if is_eval_file(f)]
    eval_counts, eval_uncounted, eval_partial = _count_evals(files, evals)

    migrations = [f.path for f in own if is_migration(f)][:MAX_MIGRATIONS]

    known = platforms()
    libraries = find_libraries(names)
    monitoring_libs = sorted(n for n in names if _matches(n, known.monitoring_libraries))
    if monitoring_libs:  # APM and platform tracing SDKs (Azure Monitor, @vercel/otel, X-Ray...)
        libraries["tracing"] = sorted(set(libraries.get("tracing", [])) | set(monitoring_libs))

    return PracticeFacts(
        test_files=[f.path for f in test_files],
        test_lines=test_lines,
        test_frameworks=_frameworks(files, names),
        ci_files=ci_files,
        ci_runs_tests=ci_runs_tests,
        ci_runs_audit=ci_runs_audit,
        dockerfiles=[f.path for f in dockerfiles],
        docker_nonroot=all(nonroot) if nonroot else None,
        docker_healthcheck=any(healthcheck) if healthcheck else None,
        migrations=migrations,
        env_example=[f.path for f in own if is_env_example(f)]
        + [doc for f in own if (doc := env_documentation(files, f))],
        readme=any(is_readme(f) for f in files.files),
        runbooks=[f.path for f in files.files if is_runbook(f)],
        eval_files=[f.path for f in evals],
        libraries=libraries,
        ci_runs_lint=ci_runs_lint,
        docker_bases=bases,
        docker_base_pinned=all(b.pinned for b in bases) if bases else None,
        eval_cases=sum(eval_counts.values()) if eval_counts else None,
        eval_case_counts=eval_counts,
        eval_uncounted=eval_uncounted,
        eval_cases_partial=eval_partial,
        deploy_files=[f.path for f in own if is_deploy_file(f, known)],
        app_frameworks=sorted(n for n in names if n in known.app_frameworks),
        platform_monitoring=platform_monitoring(files, known),
        ci_kinds=ci_kinds,
        ci_followed=ci_followed,
        config=config,
        health_checks=declared_health_checks(files, health_files),
        orm_schemas=orm_schemas(files, names),
        dependency_bots=dependency_bots(files),
        **coverage_facts(files, names, test_files, migrations),
    )


def _repo_config(files: FileSet) -> RepoConfig | None:
    """The repository's ``.auditlib.yaml`` (auditlib.accept), or None; a failure to read it is one of
    its problems, never a failure of this collector."""
    from auditlib.accept import CONFIG_NAMES, read_repo_config
    from auditlib.models import RepoConfig

    try:
        return read_repo_config(files)
    except Exception as exc:  # noqa: BLE001 - hostile input must not sink the practices collector
        return RepoConfig(path=CONFIG_NAMES[0], problems=[f"could not be read: {type(exc).__name__}"])


# ------------------------------------------------------------- issue 11, coverage: facts for the repository-level
# practice rules of the coverage map (C019-C023, C037, C049, C068, C094, C106, C111, C119)
_CODEOWNERS_DIRS = ("", ".github/", ".gitlab/", "docs/", ".bitbucket/")
_ARCH_NAMES = re.compile(r"^(architecture|design|system[-_ ]?design|technical[-_ ]?design|decisions?)(\.[a-z]+)?$",
                         re.I)
_ARCH_DIRS = re.compile(r"(^|/)(adrs?|decisions|decision[-_]records|architecture|arch)/", re.I)
_LOAD_TEST_NAME = re.compile(r"^(locustfile.*\.py|.*\.jmx|artillery[^/]*\.ya?ml|k6[-_.][^/]*\.(js|ts)|[^/]*\.k6\.(js|ts))$",
                             re.I)
_LOAD_TEST_DIR = re.compile(r"(^|/)(load[-_]?tests?|loadtesting|perf[-_]?tests?|stress[-_]?tests?|locust|k6|artillery)/",
                            re.I)
LOAD_TEST_LIBRARIES = ("locust", "artillery", "autocannon", "k6", "@grafana/k6", "loadtest", "vegeta")
E2E_FRAMEWORKS: dict[str, tuple[str, ...]] = {
    "playwright": ("playwright", "@playwright/test", "pytest-playwright", "playwright.config.*"),
    "cypress": ("cypress", "cypress.config.*", "cypress.json"),
    "selenium": ("selenium", "selenium-webdriver", "pytest-selenium", "seleniumbase"),
    "puppeteer": ("puppeteer", "jest-puppeteer", "pyppeteer"),
    "webdriverio": ("webdriverio", "@wdio/*", "wdio.conf.*"),
    "testcafe": ("testcafe", ".testcaferc.*"),
    "nightwatch": ("nightwatch", "nightwatch.conf.*"),
    "detox": ("detox", ".detoxrc*"),
}
"""End-to-end framework -> dependency names and config file names (normalised; fnmatch)."""
TEST_SIGNALS: dict[str, re.Pattern[str]] = {
    "failure_path": re.compile(
        r"pytest\.raises|assertRaises|self\.assertRaises|\.toThrow|\.rejects\b|toThrowError|mockRejectedValue"
        r"|side_effect\s*=\s*\w*(Error|Exception|Timeout)|status(_code)?\s*[!=]=\s*[45]\d\d|\.status\)?\s*\.\s*to(Be|Equal)\(\s*[45]\d\d"
        r"|\.expect\(\s*[45]\d\d|toHaveStatus\(\s*[45]\d\d|assert_called_with\(.*Error|with\s+raises\(|\bexpect\(\s*\(\)\s*=>"
        r"|HTTPStatus\.(BAD_REQUEST|UNAUTHORIZED|FORBIDDEN|NOT_FOUND|UNPROCESSABLE|INTERNAL)|assert\s+\w+\.status_code\s*>=\s*400"
        r"|\bstatus:\s*[45]\d\d|exit_code\s*(!=\s*0|==\s*[1-9])|\bok:\s*false"),
    "auth_boundary": re.compile(r"\b40[13]\b|unauthori[sz]ed|forbidden|HTTPStatus\.(UNAUTHORIZED|FORBIDDEN)"
                                r"|not\s+authenticated|PermissionDenied", re.I),
    "model_mock": re.compile(
        r"\brespx\b|\bvcr\b|pytest[_.]recording|cassette|\bmsw\b|\bnock\b|setupServer\("
        r"|(mock\.patch|patch|patch\.object|monkeypatch\.setattr|mocker\.patch)\([^)\n]*(openai|anthropic|gemini|genai|llm|chat|"
        r"completion|langchain|litellm|groq|mistral|ollama|model|client)"
        r"|(jest|vi)\.mock\(\s*['\"](openai|@anthropic-ai/sdk|ai|@ai-sdk/[\w-]+|@google/generative-ai|langchain[^'\"]*|@langchain/[\w-]+)['\"]"
        r"|Fake(List)?(Chat)?(LLM|Model|ChatModel)|GenericFakeChatModel|MockLLM|FakeEmbeddings|mock_openai|openai_mock"
        r"|MockLanguageModel|simulateReadableStream|TestModel\(|FunctionModel\("
        r"|\b(messages|completions|responses)\.[\w.]*?create\.(return_value|side_effect)"
        r"|\.(invoke|ainvoke|generate_content|chat|complete)\.(return_value|side_effect)", re.I),
    "model_ref": re.compile(r"\b(openai|anthropic|gemini|genai|langchain|litellm|llama_index|ollama|chat\.completions|"
                            r"messages\.create|generate_content|ChatOpenAI|ChatAnthropic|invoke\(|llm)\b", re.I),
    "app_client": re.compile(r"\bTestClient\b|\.test_client\(|\bsupertest\b|AsyncClient\(\s*app\s*=|ASGITransport|"
                             r"\bAPIClient\(|\bself\.client\.(get|post|put|patch|delete)\(|\bclient\.(get|post|put|patch|delete)\(\s*['\"/]"
                             r"|request\(\s*app\s*\)|\bapp\.inject\(|testcontainers|sqlite:///:memory:|pytest_postgresql"
                             r"|\bLiveServerTestCase\b|next-test-api-route-handler|createMocks\("),
}
"""Test file text -> what it shows (``test_signals``)."""
_STATIC_DIR = re.compile(r"(^|/)(public|static|staticfiles|wwwroot)/", re.I)
_RASTER = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff"})
LARGE_IMAGE_BYTES = 300_000
_BOUNDARY_TEXT = re.compile(r"componentDidCatch|getDerivedStateFromError|react-error-boundary|<ErrorBoundary\b|"
                            r"\bErrorBoundary\b\s*(=|extends|\()|withErrorBoundary")
_NEXT_ERROR_FILE = re.compile(r"(^|/)app/(.*/)?(global-)?error\.(t|j)sx?$")
_UI_SUFFIXES = frozenset({".jsx", ".tsx", ".js", ".ts"})
MAX_UI_FILES_READ = 1500
_ALEMBIC_EMPTY_DOWN = re.compile(r"^def downgrade\([^)]*\)[^:\n]*:\s*(?:(?:\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|#[^\n]*)\s*)*"
                                 r"(?:pass|\.\.\.)(?:[ \t]*\n?[ \t]*#[^\n]*)*\s*(?=\n\S|\Z)", re.M)
_KNEX_UP = re.compile(r"exports\.up\b|export\s+(async\s+)?function\s+up\b|export\s+const\s+up\b")
_KNEX_DOWN = re.compile(r"exports\.down\b|export\s+(async\s+)?function\s+down\b|export\s+const\s+down\b")


def _is_codeowners(f: RepoFile) -> bool:
    name = f.name
    folder = f.path[: len(f.path) - len(name)]
    return name in {"CODEOWNERS", "OWNERS", "OWNERS.md", "MAINTAINERS", "MAINTAINERS.md"} and folder in _CODEOWNERS_DIRS


def _is_architecture_doc(f: RepoFile) -> bool:
    if f.is_code or f.suffix not in {".md", ".rst", ".txt", ".adoc", ""}:
        return False
    if _ARCH_NAMES.match(f.name):
        return True
    return bool(_ARCH_DIRS.search(f.path.lower())) and f.suffix in {".md", ".rst", ".adoc"}


def coverage_facts(files: FileSet, names: set[str], test_files: list[RepoFile],
                   migrations: list[str]) -> dict[str, Any]:
    """The facts of the coverage map's repository-level rules (issue 11): see the PracticeFacts fields
    ``codeowners`` to ``irreversible_migrations``. File names, the test files' text, the root README's
    length, the migrations already found and, in a React code base, the text of its UI files."""
    readmes = [files.read_text(f) for f in files.files if is_readme(f)]
    readme_lines = max((count_lines(t) for t in readmes if t is not None), default=None) if readmes else None
    load = [f.path for f in files.files if _LOAD_TEST_NAME.match(f.name) or
            (_LOAD_TEST_DIR.search(f.path) and (f.is_code or f.suffix in {".yml", ".yaml", ".jmx"}))]
    load += sorted(n for n in names if n in LOAD_TEST_LIBRARIES)
    e2e = set()
    base_names = {f.name.lower() for f in files.files}
    for fw, patterns in E2E_FRAMEWORKS.items():
        if any(_matches(n, patterns) for n in names) or any(_matches(b, patterns) for b in base_names):
            e2e.add(fw)
    signals: dict[str, list[str]] = {}
    for f in test_files:
        text = files.read_text(f)
        if not text:
            continue
        for kind, rx in TEST_SIGNALS.items():
            if len(signals.get(kind, [])) < 5 and rx.search(text):
                signals.setdefault(kind, []).append(f.path)
    big = sorted((f for f in files.files if f.suffix in _RASTER and f.size > LARGE_IMAGE_BYTES
                  and _STATIC_DIR.search(f.path) and "node_modules/" not in f.path), key=lambda f: -f.size)
    boundaries: list[str] = []
    if names & {"react", "react-dom", "next"}:
        if "react-error-boundary" in names:
            boundaries.append("react-error-boundary")
        boundaries += [f.path for f in files.files if _NEXT_ERROR_FILE.search(f.path)]
        if not boundaries:
            ui = [f for f in files.files if f.suffix in _UI_SUFFIXES and f.role in ("app", "other")]
            for f in ui[:MAX_UI_FILES_READ]:
                text = files.read_text(f)
                if text and _BOUNDARY_TEXT.search(text):
                    boundaries.append(f.path)
                    break
    irreversible: list[str] = []
    for path in migrations:
        if not path.endswith((".py", ".js", ".ts", ".mjs", ".cjs")):
            continue
        text = files.read_text(path) or ""
        if path.endswith(".py"):
            if "def upgrade(" in text and _ALEMBIC_EMPTY_DOWN.search(text):
                irreversible.append(path)
        elif _KNEX_UP.search(text) and not _KNEX_DOWN.search(text):
            irreversible.append(path)
    return dict(
        codeowners=[f.path for f in files.files if _is_codeowners(f)],
        architecture_docs=[f.path for f in files.files if _is_architecture_doc(f)][:20],
        readme_lines=readme_lines,
        load_tests=load[:20],
        e2e_frameworks=sorted(e2e),
        test_signals=signals,
        large_static_images=[f"{f.path} ({f.size // 1000} KB)" for f in big[:20]],
        error_boundaries=boundaries,
        irreversible_migrations=irreversible,
    )
