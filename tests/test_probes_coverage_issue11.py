"""Issue 11, "Done means" (coverage map): repository-level rules for catalogue items a repository shows by
its file names, manifests and test text (C019-C023, C037, C049, C068, C080, C094, C106, C111, C112, C119),
graded by what the repository is (probes.practices.deployment_kind). Synthetic facts (tests/factories.py);
the collector's facts are tested on files at the end."""

from __future__ import annotations

import pytest

from auditlib.models import CodeFacts, Endpoint, LLMCallSite
from auditlib.probes import PROBES
from auditlib.probes.practices import floating_alias
from auditlib.rubric import load_rubric
from tests.factories import make_facts, with_code

RUBRIC = load_rubric()
SERVICE = dict(dockerfiles=["Dockerfile"])


def hits(rule: str, facts) -> list:
    return list(PROBES[rule](facts, dict(RUBRIC.rule(rule).params)))


def sev(rule: str, facts) -> list:
    return [h.severity or RUBRIC.rule(rule).severity for h in hits(rule, facts)]


def ep(route="/api/items", method="POST", has_auth=False, path="app.py"):
    return Endpoint(path=path, line=10, function="handler", framework="flask", route=route, method=method,
                    has_auth=has_auth)


def call(model, path="app.py", kind="chat"):
    return LLMCallSite(path=path, line=5, provider="openai", api="client.chat.completions.create", kind=kind,
                       model=model)


def facts_of(endpoints=(), calls=(), **practices):
    return make_facts(**with_code(**practices),
                      code=CodeFacts(files_parsed=3, endpoints=list(endpoints), llm_calls=list(calls)))


TESTS = dict(test_files=["tests/test_app.py"], test_lines=200)


@pytest.mark.parametrize("rule, practices, endpoints, calls, expected", [
    # incident.no_codeowners: services only
    ("incident.no_codeowners", SERVICE, [], [], ["low"]),
    ("incident.no_codeowners", dict(codeowners=[".github/CODEOWNERS"], **SERVICE), [], [], []),
    ("incident.no_codeowners", {}, [ep()], [], []),
    # architecture.no_design_docs
    ("architecture.no_design_docs", dict(readme_lines=40, **SERVICE), [], [], ["low"]),
    ("architecture.no_design_docs", dict(readme_lines=40, architecture_docs=["docs/adr/0001-db.md"], **SERVICE), [], [], []),
    ("architecture.no_design_docs", dict(readme_lines=400, **SERVICE), [], [], []),
    ("architecture.no_design_docs", dict(readme_lines=40), [], [], []),
    # testing.no_load_tests
    ("testing.no_load_tests", SERVICE, [ep()], [], ["low"]),
    ("testing.no_load_tests", dict(load_tests=["locustfile.py"], **SERVICE), [ep()], [], []),
    ("testing.no_load_tests", dict(deploy_files=["vercel.json"]), [ep()], [], []),
    ("testing.no_load_tests", {}, [ep()], [], []),
    ("testing.no_load_tests", SERVICE, [], [], []),
    # testing.no_e2e_tests
    ("testing.no_e2e_tests", dict(app_frameworks=["next", "react"], **TESTS), [], [], ["low"]),
    ("testing.no_e2e_tests", dict(app_frameworks=["next"], e2e_frameworks=["playwright"], **TESTS), [], [], []),
    ("testing.no_e2e_tests", dict(app_frameworks=["streamlit"], **TESTS), [], [], []),
    ("testing.no_e2e_tests", dict(app_frameworks=["react"]), [], [], []),
    # testing.model_sdk_not_mocked
    ("testing.model_sdk_not_mocked", dict(test_signals={"model_ref": ["tests/test_app.py"]}, **TESTS, **SERVICE),
     [], [call("gpt-4o")], ["low"]),
    ("testing.model_sdk_not_mocked", dict(test_signals={"model_ref": ["tests/test_app.py"]}, **TESTS),
     [], [call("gpt-4o")], ["info"]),
    ("testing.model_sdk_not_mocked", dict(test_signals={"model_ref": ["t.py"], "model_mock": ["t.py"]}, **TESTS),
     [], [call("gpt-4o")], []),
    ("testing.model_sdk_not_mocked", dict(**TESTS), [], [call("gpt-4o")], []),
    ("testing.model_sdk_not_mocked", dict(test_signals={"model_ref": ["t.py"]}, **TESTS), [], [], []),
    # testing.no_failure_path_tests
    ("testing.no_failure_path_tests", dict(**TESTS, **SERVICE), [], [], ["low"]),
    ("testing.no_failure_path_tests", dict(**TESTS), [ep()], [], ["low"]),
    ("testing.no_failure_path_tests", dict(test_signals={"failure_path": ["t.py"]}, **TESTS, **SERVICE), [], [], []),
    ("testing.no_failure_path_tests", dict(test_files=["t.py"], test_lines=20, **SERVICE), [], [], []),
    ("testing.no_failure_path_tests", dict(**TESTS), [], [], []),
    # testing.no_auth_boundary_tests
    ("testing.no_auth_boundary_tests", dict(**TESTS, **SERVICE), [ep(has_auth=True)], [], ["low"]),
    ("testing.no_auth_boundary_tests", dict(test_signals={"auth_boundary": ["t.py"]}, **TESTS, **SERVICE),
     [ep(has_auth=True)], [], []),
    ("testing.no_auth_boundary_tests", dict(**TESTS, **SERVICE), [ep()], [], []),
    ("testing.no_auth_boundary_tests", dict(**SERVICE), [ep(has_auth=True)], [], []),
    # testing.no_integration_tests
    ("testing.no_integration_tests", dict(**TESTS, **SERVICE), [ep()], [], ["low"]),
    ("testing.no_integration_tests", dict(test_signals={"app_client": ["t.py"]}, **TESTS, **SERVICE), [ep()], [], []),
    ("testing.no_integration_tests", dict(**TESTS, **SERVICE), [], [], []),
    ("testing.no_integration_tests", dict(e2e_frameworks=["playwright"], **TESTS, **SERVICE), [ep()], [], []),
    ("testing.no_auth_boundary_tests", dict(**TESTS, **SERVICE),
     [Endpoint(path="a.py", line=1, function="login", framework="flask", route="/login", has_auth=True,
               public="the sign-in flow")], [], []),
    # web.analytics_without_consent
    ("web.analytics_without_consent", dict(libraries={"analytics": ["posthog-js"]}, **SERVICE), [], [], ["low"]),
    ("web.analytics_without_consent", dict(libraries={"analytics": ["posthog-js"], "consent": ["klaro"]}),
     [], [], []),
    ("web.analytics_without_consent", dict(**SERVICE), [], [], []),
    # performance.large_static_images
    ("performance.large_static_images", dict(large_static_images=["public/hero.png (2100 KB)"], **SERVICE), [], [],
     ["low"]),
    ("performance.large_static_images", dict(large_static_images=["static/a.png (400 KB)"]), [], [], []),
    # llm.model_alias_unpinned
    ("llm.model_alias_unpinned", dict(**SERVICE), [], [call("gpt-4o"), call("gpt-4o-mini")], ["low"]),
    ("llm.model_alias_unpinned", {}, [], [call("claude-3-5-sonnet-latest")], ["info"]),
    ("llm.model_alias_unpinned", dict(**SERVICE), [], [call("gpt-4o-2024-08-06")], []),
    ("llm.model_alias_unpinned", dict(**SERVICE), [], [call("gpt-4o", path="tests/test_app.py")], []),
    ("llm.model_alias_unpinned", dict(**SERVICE), [], [call("text-embedding-3-small", kind="embedding")], []),
    ("llm.model_alias_unpinned", dict(**SERVICE), [], [call("llama3")], []),
    # web.no_error_boundary
    ("web.no_error_boundary", dict(app_frameworks=["next", "react"], **SERVICE), [], [], ["low"]),
    ("web.no_error_boundary", dict(app_frameworks=["next"], error_boundaries=["app/error.tsx"]), [], [], []),
    ("web.no_error_boundary", dict(app_frameworks=["vue"]), [], [], []),
    # deployment.irreversible_migration
    ("deployment.irreversible_migration", dict(irreversible_migrations=["alembic/versions/1.py"], **SERVICE), [], [],
     ["low"]),
    ("deployment.irreversible_migration", dict(migrations=["alembic/versions/1.py"], **SERVICE), [], [], []),
])
def test_coverage_rules(rule, practices, endpoints, calls, expected):
    assert sev(rule, facts_of(endpoints, calls, **practices)) == expected


@pytest.mark.parametrize("model, floating", [
    ("gpt-4o", True), ("gpt-4o-mini", True), ("o3-mini", True), ("claude-3-5-sonnet-latest", True),
    ("gemini-1.5-pro", True), ("claude-2", True),
    ("gpt-4o-2024-08-06", False), ("gpt-4-0613", False), ("gpt-4-0125-preview", False),
    ("claude-3-5-sonnet-20241022", False), ("gemini-1.5-pro-002", False), ("claude-3-5-sonnet@20240620", False),
    ("llama3", False), ("mistral-large-latest", False), ("openai/gpt-4o", True), ("claude-2.1", False),
])
def test_floating_alias(model, floating):
    assert floating_alias(model) is floating


def test_absences_are_never_high():
    for rule in ("incident.no_codeowners", "architecture.no_design_docs", "testing.no_load_tests", "testing.no_e2e_tests",
                 "testing.model_sdk_not_mocked", "testing.no_failure_path_tests", "testing.no_auth_boundary_tests",
                 "testing.no_integration_tests", "web.analytics_without_consent", "performance.large_static_images",
                 "llm.model_alias_unpinned", "web.no_error_boundary", "deployment.irreversible_migration"):
        assert RUBRIC.rule(rule).severity == "low", rule


# ------------------------------------------------------------------------------------ the collector's facts
def test_collector_finds_the_coverage_facts(tmp_path):
    from auditlib.collect.files import list_files
    from auditlib.collect.practices import collect_practices

    files = {
        ".github/CODEOWNERS": "* @team\n",
        "docs/adr/0001-use-postgres.md": "# Use Postgres\n",
        "README.md": "# App\n" * 10,
        "loadtest/locustfile.py": "from locust import HttpUser\n",
        "playwright.config.ts": "export default {}\n",
        "tests/test_api.py": "from fastapi.testclient import TestClient\nimport pytest\n"
                             "def test_x():\n    with pytest.raises(ValueError):\n        pass\n"
                             "def test_y(client):\n    assert client.get('/me').status_code == 401\n",
        "tests/test_llm.py": "from unittest import mock\nimport openai\n"
                             "def test_z():\n    client = mock.Mock()\n"
                             "    client.beta.messages.with_raw_response.create.return_value = mock.Mock()\n",
        "app/error.tsx": "'use client'\nexport default function Error() { return null }\n",
        "alembic/versions/1_init.py": "def upgrade():\n    op.create_table('t')\n\n\ndef downgrade():\n"
                                      "    # ### commands auto generated by Alembic - please adjust! ###\n    pass\n"
                                      "    # ### end Alembic commands ###\n",
        "alembic/versions/2_more.py": "def upgrade():\n    op.add_column('t', c)\n\n\ndef downgrade():\n"
                                      "    op.drop_column('t', 'c')\n",
        "migrations/20240101_init.js": "exports.up = function (knex) { return knex.schema.createTable('a') }\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "hero.png").write_bytes(b"\x89PNG" + b"\0" * 400_000)
    (tmp_path / "docs" / "screenshot.png").write_bytes(b"\x89PNG" + b"\0" * 400_000)
    p = collect_practices(list_files(tmp_path), imports=["react", "next", "posthog_js"], dependency_names=[])
    assert p.codeowners == [".github/CODEOWNERS"]
    assert p.architecture_docs == ["docs/adr/0001-use-postgres.md"] and p.readme_lines == 10
    assert p.load_tests == ["loadtest/locustfile.py"]
    assert p.e2e_frameworks == ["playwright"]
    assert set(p.test_signals) == {"failure_path", "auth_boundary", "model_mock", "model_ref", "app_client"}
    assert p.large_static_images == ["public/hero.png (400 KB)"]
    assert p.error_boundaries == ["app/error.tsx"]
    assert sorted(p.irreversible_migrations) == ["alembic/versions/1_init.py", "migrations/20240101_init.js"]
    assert p.libraries["analytics"] == ["posthog-js"]


def test_collector_reports_absences_as_empty(tmp_path):
    from auditlib.collect.files import list_files
    from auditlib.collect.practices import collect_practices

    (tmp_path / "app.py").write_text("print(1)\n", encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_app.py").write_text("def test_a():\n    assert 1 + 1 == 2\n", encoding="utf-8")
    p = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert (p.codeowners, p.architecture_docs, p.load_tests, p.e2e_frameworks, p.test_signals,
            p.large_static_images, p.error_boundaries, p.irreversible_migrations) == ([], [], [], [], {}, [], [], [])
    assert p.readme_lines is None
