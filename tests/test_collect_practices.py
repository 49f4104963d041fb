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
