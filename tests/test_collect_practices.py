"""Practices: tests, CI, Dockerfiles, migrations, docs, evaluation sets and libraries by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditlib.collect.files import list_files
from auditlib.collect.practices import (
    LIBRARY_CAPABILITIES,
    collect_practices,
    dockerfile_has_healthcheck,
    dockerfile_runs_nonroot,
    find_libraries,
)


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def practiced(tmp_path: Path) -> Path:
    write(tmp_path, "app/main.py", "import sentry_sdk\n")
    write(tmp_path, "tests/test_x.py", "def test_x():\n\n    assert 1\n")
    write(tmp_path, "tests/conftest.py", "import pytest\n")
    write(tmp_path, "web/src/button.test.tsx", "it('renders', () => {});\n")
    write(tmp_path, ".github/workflows/ci.yml",
          "on: push\njobs:\n  test:\n    steps:\n      - run: python -m pytest -q\n")
    write(tmp_path, "Dockerfile",
          "FROM python:3.11 AS build\nRUN pip wheel .\n\nFROM python:3.11-slim\n"
          "RUN useradd app\nUSER app\n"
          "HEALTHCHECK --interval=30s \\\n  CMD curl -f http://localhost/ || exit 1\n")
    write(tmp_path, ".env.example", "OPENAI_API_KEY=\n")
    write(tmp_path, "README.md", "# App\n")
    write(tmp_path, "docs/RUNBOOK.md", "# When it breaks\n")
    write(tmp_path, "alembic.ini", "[alembic]\n")
    write(tmp_path, "alembic/versions/001_init.py", "revision = '001'\n")
    write(tmp_path, "evals/golden_cases.jsonl", '{"input": "hi"}\n')
    write(tmp_path, "app/retrieval/index.json", "{}\n")  # "retrieval" is not an eval set
    return tmp_path


def test_practiced_repository(practiced: Path):
    messages: list[str] = []
    facts = collect_practices(list_files(practiced), imports=["sentry_sdk", "structlog"],
                              dependency_names=[], progress=messages.append)

    assert facts.available
    assert facts.test_files == ["tests/conftest.py", "tests/test_x.py", "web/src/button.test.tsx"]
    assert facts.test_lines == 4
    assert facts.test_frameworks == ["pytest"]
    assert facts.ci_files == [".github/workflows/ci.yml"]
    assert facts.ci_runs_tests is True
    assert facts.ci_runs_audit is False
    assert facts.dockerfiles == ["Dockerfile"]
    assert facts.docker_nonroot is True
    assert facts.docker_healthcheck is True
    assert facts.env_example == [".env.example"]
    assert facts.readme is True
    assert facts.runbooks == ["docs/RUNBOOK.md"]
    assert facts.migrations == ["alembic.ini", "alembic/versions/001_init.py"]
    assert facts.eval_files == ["evals/golden_cases.jsonl"]
    assert facts.libraries == {"error_tracking": ["sentry-sdk"], "structured_logging": ["structlog"]}
    assert messages


def test_bare_repository(tmp_path: Path):
    write(tmp_path, "main.py", "print('hi')\n")
    write(tmp_path, "docs/guide.md", "# Guide\n")
    facts = collect_practices(list_files(tmp_path), imports=["os", "json"], dependency_names=["flask"])
    assert facts.test_files == [] and facts.test_lines == 0 and facts.test_frameworks == []
    assert facts.ci_files == [] and facts.ci_runs_tests is False and facts.ci_runs_audit is False
    assert facts.dockerfiles == []
    assert facts.docker_nonroot is None and facts.docker_healthcheck is None
    assert facts.migrations == [] and facts.env_example == [] and facts.runbooks == []
    assert facts.readme is False
    assert facts.eval_files == []
    assert facts.libraries == {}


def test_ci_audit_and_other_ci_systems(tmp_path: Path):
    write(tmp_path, ".gitlab-ci.yml", "audit:\n  script:\n    - pip-audit -r requirements.txt\n")
    write(tmp_path, "Jenkinsfile", "sh 'npm run test'\n")
    write(tmp_path, "ci/.travis.yml", "script: pytest\n")  # not at the root: not a CI file
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert facts.ci_files == [".gitlab-ci.yml", "Jenkinsfile"]
    assert facts.ci_runs_audit is True
    assert facts.ci_runs_tests is True


def test_ci_that_only_builds_runs_no_tests(tmp_path: Path):
    write(tmp_path, ".github/workflows/build.yaml",
          "steps:\n  - run: npm ci && npm run build  # type-safety\n")
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert facts.ci_files == [".github/workflows/build.yaml"]
    assert facts.ci_runs_tests is False and facts.ci_runs_audit is False


def test_frameworks_from_dependencies_and_configs(tmp_path: Path):
    write(tmp_path, "web/vitest.config.ts", "export default {}\n")
    write(tmp_path, "pyproject.toml", "[project]\nname='x'\n\n[tool.pytest.ini_options]\naddopts='-q'\n")
    facts = collect_practices(list_files(tmp_path), imports=["unittest"],
                              dependency_names=["@playwright/test", "jest"])
    assert facts.test_frameworks == ["jest", "playwright", "pytest", "unittest", "vitest"]


@pytest.mark.parametrize(("text", "nonroot", "healthcheck"), [
    ("FROM python\nUSER app\nHEALTHCHECK CMD true\n", True, True),
    ("FROM python\nCMD run\n", False, False),
    ("FROM python\nUSER root\n", False, False),
    ("FROM python\nUSER 0:0\n", False, False),
    ("FROM a AS build\nUSER app\nFROM b\nCMD run\n", False, False),  # the final stage runs as root
    ("FROM a\nUSER app\nUSER root\n", False, False),
    ("# USER app\nFROM a\nHEALTHCHECK NONE\n", False, False),
    ("from a\nuser 1000:1000\nhealthcheck \\\n  CMD true\n", True, True),
])
def test_dockerfile_predicates(text: str, nonroot: bool, healthcheck: bool):
    assert dockerfile_runs_nonroot(text) is nonroot
    assert dockerfile_has_healthcheck(text) is healthcheck


def test_one_root_dockerfile_makes_nonroot_false(tmp_path: Path):
    write(tmp_path, "Dockerfile", "FROM a\nUSER app\n")
    write(tmp_path, "worker/Dockerfile.worker", "FROM a\nHEALTHCHECK CMD true\n")
    write(tmp_path, "api.Dockerfile", "FROM a\nUSER app\n")
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert facts.dockerfiles == ["Dockerfile", "api.Dockerfile", "worker/Dockerfile.worker"]
    assert facts.docker_nonroot is False
    assert facts.docker_healthcheck is True


def test_migrations_of_several_frameworks_are_capped(tmp_path: Path):
    write(tmp_path, "shop/migrations/__init__.py", "")
    write(tmp_path, "shop/migrations/0001_initial.py", "x = 1\n")
    write(tmp_path, "prisma/migrations/20240101_init/migration.sql", "create table t (id int);\n")
    for i in range(25):
        write(tmp_path, f"db/migrate/{i:03d}_step.rb", "class Step; end\n")
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert len(facts.migrations) == 20
    assert "shop/migrations/__init__.py" not in facts.migrations
    assert facts.migrations[0] == "db/migrate/000_step.rb"


def test_env_templates_and_nested_readme(tmp_path: Path):
    write(tmp_path, "web/.env.local.sample", "A=\n")
    write(tmp_path, ".env", "A=1\n")  # a real env file is the secrets collector's business
    write(tmp_path, "web/README.md", "# Web\n")
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert facts.env_example == ["web/.env.local.sample"]
    assert facts.readme is False


def test_find_libraries_normalises_and_matches_wildcards():
    found = find_libraries(["Flask_Limiter", "opentelemetry-sdk", "@sentry/nextjs", "langfuse", "PyJWT", "redis",
                            "zod", "tenacity", "unleash-client", "prometheus_client", "requests"])
    assert found == {
        "error_tracking": ["@sentry/nextjs"],
        "tracing": ["langfuse", "opentelemetry-sdk"],
        "metrics": ["prometheus-client"],
        "retry": ["tenacity"],
        "rate_limiting": ["flask-limiter"],
        "feature_flags": ["unleash-client"],
        "validation": ["zod"],
        "auth": ["pyjwt"],
        "caching": ["redis"],
        "token_tracking": ["langfuse"],
    }


def test_capability_table_is_normalised():
    for patterns in LIBRARY_CAPABILITIES.values():
        for pattern in patterns:
            assert pattern == pattern.lower() and "_" not in pattern


# ------------------------------------------------------------------------------ issue 3: deeper checks
from auditlib.collect.practices import (  # noqa: E402
    EVAL_MAX_BYTES,
    count_eval_cases,
    dockerfile_bases,
    image_is_pinned,
)
from auditlib.models import DockerBase, InventoryFacts, PracticeFacts, VendoredDir  # noqa: E402
from auditlib.probes import PROBES  # noqa: E402
from tests.factories import make_facts  # noqa: E402


def probe_hits(rule: str, params: dict | None = None, **parts) -> list:
    return list(PROBES[rule](make_facts(**parts), params or {}))


@pytest.mark.parametrize(("image", "pinned"), [
    ("python:3.11-slim", True), ("node:20-alpine", True), ("ubuntu:22.04", True),
    ("ghcr.io/acme/api@sha256:" + "ab" * 32, True), ("registry:5000/team/app:1.4.2", True),
    ("python", False), ("python:latest", False), ("node:lts-alpine", False), ("alpine:edge", False),
    ("registry:5000/team/app", False), ("debian:bookworm-slim", False),
])
def test_image_is_pinned(image: str, pinned: bool):
    assert image_is_pinned(image) is pinned


def test_dockerfile_bases_skip_stages_scratch_and_unknown_args():
    text = (
        "ARG PY=3.12\nARG BASE\n"
        "FROM --platform=$BUILDPLATFORM python:${PY}-slim AS build\nRUN pip wheel .\n"
        "FROM build AS test\n"
        "FROM ${BASE}\n"
        "FROM node:${NODE:-20}-alpine\n"
        "FROM scratch\n"
        "# a comment\nFROM \\\n    python\n"
    )
    assert dockerfile_bases(text) == [(3, "python:3.12-slim", True), (7, "node:20-alpine", True),
                                      (10, "python", False)]


def test_docker_base_pinned_over_several_dockerfiles(tmp_path: Path):
    write(tmp_path, "Dockerfile", "FROM python:3.12-slim\nUSER app\n")
    write(tmp_path, "worker/Dockerfile.dev", "FROM python:latest AS dev\nFROM dev\n")
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert facts.docker_base_pinned is False
    assert facts.docker_bases == [
        DockerBase(path="Dockerfile", line=1, image="python:3.12-slim", pinned=True),
        DockerBase(path="worker/Dockerfile.dev", line=1, image="python:latest", pinned=False)]
    hits = probe_hits("deployment.docker_base_unpinned", practices=facts)
    assert [(h.path, h.line, h.title) for h in hits] == [
        ("worker/Dockerfile.dev", 1, "Unpinned base image: python:latest")]


def test_pinned_dockerfile_and_no_dockerfile(tmp_path: Path):
    assert collect_practices(list_files(tmp_path), imports=[], dependency_names=[]).docker_base_pinned is None
    write(tmp_path, "Dockerfile", "FROM python:3.12.4-slim@sha256:" + "0" * 64 + "\n")
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert facts.docker_base_pinned is True
    assert probe_hits("deployment.docker_base_unpinned", practices=facts) == []


@pytest.mark.parametrize(("step", "lint"), [
    ("run: ruff check .", True), ("run: python -m flake8 app", True), ("run: mypy --strict app", True),
    ("run: npx eslint . && npx prettier --check .", True), ("run: npx tsc --noEmit", True),
    ("run: pnpm run lint", True), ("uses: pre-commit/action@v3.0.1", True), ("run: black --check .", True),
    ("run: python -m pytest -q", False), ("run: npm ci && npm run build", False), ("run: black .", False),
])
def test_ci_lint_gate(tmp_path: Path, step: str, lint: bool):
    write(tmp_path, ".github/workflows/ci.yml", f"on: push\njobs:\n  check:\n    steps:\n      - {step}\n")
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert facts.ci_runs_lint is lint
    hits = probe_hits("ci.no_lint_gate", practices=facts)
    assert [h.path for h in hits] == ([] if lint else [".github/workflows/ci.yml"])


def test_no_lint_gate_needs_ci():
    assert probe_hits("ci.no_lint_gate", practices=PracticeFacts()) == []


@pytest.mark.parametrize(("suffix", "text", "count"), [
    (".jsonl", '{"q": 1}\n\n{"q": 2}\n{"q": 3}\n', 3),
    (".json", '[{"q": 1}, {"q": 2}]', 2),
    (".json", '{"name": "support", "cases": [{"q": 1}, {"q": 2}, {"q": 3}]}', 3),
    (".json", '{"c1": {"q": 1}, "c2": {"q": 2}}', 2),
    (".yaml", "- q: a\n- q: b\n", 2),
    (".yml", "description: promptfoo\nprompts: [p.txt]\ntests:\n  - vars: {q: a}\n  - vars: {q: b}\n", 2),
    (".csv", 'question,expected\nhi,hello\n"two\nlines",x\n\n', 2),
])
def test_count_eval_cases(suffix: str, text: str, count: int):
    assert count_eval_cases(suffix, text) == (count, None)


@pytest.mark.parametrize(("suffix", "text"), [
    (".json", '{"model": "gpt", "temperature": 0}'), (".json", "{broken"), (".yaml", "a: [b\n"),
    (".json", "[" * 100_000),
])
def test_uncountable_eval_files(suffix: str, text: str):
    count, why = count_eval_cases(suffix, text)
    assert count is None and why


def test_eval_cases_counted_in_the_repository(tmp_path: Path):
    write(tmp_path, "evals/golden.jsonl", "".join(f'{{"i": {i}}}\n' for i in range(30)))
    write(tmp_path, "evals/regressions.csv", "q,a\n" + "".join(f"q{i},a{i}\n" for i in range(12)))
    write(tmp_path, "evals/config.json", '{"model": "x"}')
    write(tmp_path, ".github/workflows/eval.yml", "on: push\njobs: {}\n")  # CI, not cases
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert facts.eval_files == ["evals/config.json", "evals/golden.jsonl", "evals/regressions.csv"]
    assert facts.eval_case_counts == {"evals/golden.jsonl": 30, "evals/regressions.csv": 12}
    assert facts.eval_uncounted == {"evals/config.json": "no list of cases found"}
    assert facts.eval_cases == 42 and facts.eval_cases_partial is False
    hits = probe_hits("testing.eval_suite_too_small", {"min_cases": 200}, practices=facts)
    assert [h.evidence for h in hits] == [
        "42 evaluation cases, fewer than 200: evals/golden.jsonl (30), evals/regressions.csv (12)"]
    assert probe_hits("testing.eval_suite_too_small", {"min_cases": 40}, practices=facts) == []


def test_large_jsonl_is_counted_in_its_head_as_a_lower_bound(tmp_path: Path, monkeypatch):
    import auditlib.collect.practices as practices

    monkeypatch.setattr(practices, "EVAL_MAX_BYTES", 100)
    write(tmp_path, "evals/big.jsonl", "".join(f'{{"i": {i:03d}}}\n' for i in range(50)))  # 11 bytes a line
    write(tmp_path, "evals/big.json", "[" + ",".join("1" for _ in range(100)) + "]")
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert facts.eval_case_counts == {"evals/big.jsonl": 9}
    assert facts.eval_uncounted == {"evals/big.json": "over 100 bytes"}
    assert facts.eval_cases_partial is True
    # A lower bound is no evidence of a small suite.
    assert probe_hits("testing.eval_suite_too_small", {"min_cases": 200}, practices=facts) == []
    assert EVAL_MAX_BYTES == 4_000_000


def test_eval_probe_silent_without_counts():
    assert probe_hits("testing.eval_suite_too_small", practices=PracticeFacts()) == []
    uncounted = PracticeFacts(eval_files=["evals/x.json"], eval_uncounted={"evals/x.json": "no list of cases found"})
    assert probe_hits("testing.eval_suite_too_small", practices=uncounted) == []


def test_vendored_dependencies_probe():
    inv = InventoryFacts(vendored_dirs=[VendoredDir(path="node_modules", files=5120, kind="dependencies"),
                                        VendoredDir(path="dist", files=3, kind="generated")])
    hits = probe_hits("deployment.vendored_dependencies_committed", inventory=inv)
    assert [(h.path, h.title) for h in hits] == [("node_modules", "Installed dependencies committed: node_modules/")]
    assert "5120 files" in hits[0].evidence
    assert probe_hits("deployment.vendored_dependencies_committed",
                      inventory=InventoryFacts(available=False, vendored_dirs=inv.vendored_dirs)) == []


# ------------------------------------------- issue 9, item 6: platform equivalents and graded process rules
from auditlib.models import CodeFacts, Endpoint  # noqa: E402


def test_deploy_files_and_app_frameworks_are_collected(tmp_path: Path):
    write(tmp_path, "app.py", "import streamlit as st\n")
    write(tmp_path, "vercel.json", "{}\n")
    write(tmp_path, "Procfile", "web: gunicorn app:app\n")
    write(tmp_path, "Procfile.dev", "web: flask run\n")  # a development variant deploys nothing
    facts = collect_practices(list_files(tmp_path), imports=["streamlit"], dependency_names=["gradio"])
    assert sorted(facts.deploy_files) == ["Procfile", "vercel.json"]
    assert facts.app_frameworks == ["gradio", "streamlit"]


def test_platform_log_analytics_counts_as_monitoring(tmp_path: Path):
    # Azure-Samples shape: a Container Apps environment sending its logs to a Log Analytics workspace
    write(tmp_path, "src/app.py", "print('hi')\n")
    write(tmp_path, "infra/core/monitor/loganalytics.bicep",
          "resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2021-12-01-preview' = {\n  name: name\n}\n")
    write(tmp_path, "infra/notes.bicep", "// Microsoft.OperationalInsights is mentioned only as a word\n")
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert facts.platform_monitoring == ["infra/core/monitor/loganalytics.bicep: Azure Log Analytics workspace"]
    code = {"inventory": InventoryFacts(files=3, code_files=1, code_lines=200)}
    assert probe_hits("observability.no_monitoring", practices=facts, **code) == []
    bare = collect_practices(list_files(tmp_path / "src"), imports=[], dependency_names=[])
    assert len(probe_hits("observability.no_monitoring", practices=bare, **code)) == 1


def test_platform_tracing_sdk_counts_as_monitoring(tmp_path: Path):
    write(tmp_path, "app.py", "from azure.monitor.opentelemetry import configure_azure_monitor\n")
    facts = collect_practices(list_files(tmp_path), imports=[], dependency_names=["azure-monitor-opentelemetry", "@vercel/otel"])
    assert facts.libraries["tracing"] == ["@vercel/otel", "azure-monitor-opentelemetry"]


ENDPOINT = Endpoint(path="api.py", line=3, function="chat", framework="fastapi", route="/chat")


@pytest.mark.parametrize(("practices", "endpoints", "severity", "says"), [
    (PracticeFacts(dockerfiles=["Dockerfile"]), [], None, "deployed as a service (Dockerfile)"),
    (PracticeFacts(deploy_files=["vercel.json"]), [], None, "deployed as a service (vercel.json)"),
    # web endpoints alone do not show the app is deployed (the labels of real prototypes: medium)
    (PracticeFacts(), [ENDPOINT], "medium", "a web or interactive app (1 web endpoint) with no deploy file"),
    (PracticeFacts(app_frameworks=["streamlit"]), [], "medium", "a web or interactive app (streamlit)"),
    (PracticeFacts(), [], "low", "scripts, notebooks or a command-line tool"),
    (PracticeFacts(dockerfiles=[".devcontainer/Dockerfile"]), [], "low", "scripts, notebooks"),  # a workstation
])
def test_no_tests_is_high_only_for_a_deployed_service(practices, endpoints, severity, says):
    parts = {"inventory": InventoryFacts(files=10, code_files=5, code_lines=900), "practices": practices,
             "code": CodeFacts(files_parsed=5, endpoints=endpoints)}
    [hit] = probe_hits("testing.no_tests", **parts)
    assert hit.severity == severity  # None: the rule's default, high
    assert says in hit.evidence
    [ci] = probe_hits("ci.missing", **parts)
    assert ci.severity == ("low" if severity == "low" else None)  # None: the rule's default, medium
    assert says in ci.evidence


def test_process_rule_defaults_are_at_most_what_issue_9_allows():
    from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric

    rubric = load_rubric(DEFAULT_RUBRIC_DIR)
    assert rubric.rule("ci.missing").severity == "medium"
    assert rubric.rule("llm.call_without_fallback").severity == "low"
    assert rubric.rule("testing.no_tests").severity == "high"  # a deployed service; graded down per hit
