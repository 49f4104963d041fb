"""What a repository's own tests carry is not the project (issue 12, self-audit): a test folder's sample
Flask app, Dockerfile, migrations, .env.example or package.json are inputs of the tests, not the project's
endpoints, container, schema or libraries. And the scorecard's categories and evidence lines that need a
service, a database or a model call do not apply to a command-line tool that has none."""

from __future__ import annotations

from auditlib.answers import Answers
from auditlib.collect.files import list_files
from auditlib.collect.practices import collect_practices
from auditlib.collect.roles import is_project_path
from auditlib.metrics import compute_metrics
from auditlib.models import CodeFacts, Endpoint, PracticeFacts
from auditlib.rubric import load_rubric
from auditlib.scoring import build_scorecard

from .factories import analyse_files, make_facts, with_code

RUBRIC = load_rubric()

CLI = {
    "tool/cli.py": """
        import argparse
        import logging

        def main():
            parser = argparse.ArgumentParser()
            parser.add_argument("path")
            logging.getLogger(__name__).info("scanning %s", parser.parse_args().path)
    """,
    # fixtures of the tool's own tests: a sample web app with a model call and a database, and its deployment
    "tests/fixtures/app/app.py": """
        import sqlite3
        from flask import Flask, request
        from openai import OpenAI
        import redis

        app = Flask(__name__)

        @app.route("/chat", methods=["POST"])
        def chat():
            db = sqlite3.connect("x.db")
            db.execute("insert into log values (?)", (request.json["q"],))
            return OpenAI().chat.completions.create(model="gpt-4o", messages=[])
    """,
}
FIXTURE_FILES = {
    "tests/fixtures/app/Dockerfile": "FROM python:3.12-slim\nCMD [\"flask\", \"run\"]\n",
    "tests/fixtures/app/Procfile": "web: flask run\n",
    "tests/fixtures/app/migrations/001_init.sql": "create table log (q text);\n",
    "tests/fixtures/app/.env.example": "OPENAI_API_KEY=\n",
    "tests/fixtures/app/package.json": '{"dependencies": {"@sentry/node": "^7.0.0"}}\n',
}


def _collect(tmp_path, extra: dict[str, str] | None = None):
    code = analyse_files(tmp_path, CLI)
    for name, text in {**FIXTURE_FILES, **(extra or {})}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    files = list_files(tmp_path)
    practices = collect_practices(files, imports=code.imports, dependency_names=[])
    return code, practices


def test_test_fixtures_are_not_the_projects_endpoints_layers_or_deployment(tmp_path):
    code, practices = _collect(tmp_path)
    assert not is_project_path("tests/fixtures/app/app.py") and is_project_path("tool/cli.py")
    assert code.endpoints == [] and code.mixed_files == []
    assert "flask" not in code.imports and "redis" not in code.imports and "argparse" in code.imports
    assert code.llm_sdks == []
    assert practices.dockerfiles == [] and practices.deploy_files == [] and practices.migrations == []
    assert practices.env_example == []
    assert "caching" not in practices.libraries
    assert practices.test_files  # still the project's tests


def test_the_same_files_outside_tests_are_the_project(tmp_path):
    code = analyse_files(tmp_path, {"app/app.py": CLI["tests/fixtures/app/app.py"]})
    assert [e.route for e in code.endpoints] == ["/chat"] and code.mixed_files
    (tmp_path / "Dockerfile").write_text(FIXTURE_FILES["tests/fixtures/app/Dockerfile"], encoding="utf-8")
    practices = collect_practices(list_files(tmp_path), imports=code.imports, dependency_names=[])
    assert practices.dockerfiles == ["Dockerfile"] and "caching" in practices.libraries


def test_environment_variables_documented_in_a_docs_section(tmp_path):
    doc = "# Operating\n\nText.\n\n## Environment variables\n\n- `TOOL_CACHE`: where clones go.\n\n## Next\n"
    _code, practices = _collect(tmp_path, {"docs/runbook.md": doc})
    assert practices.env_example == ["docs/runbook.md#environment-variables"]
    assert practices.runbooks == ["docs/runbook.md"]
    # a heading alone, or the words in passing, is no documentation of the variables
    _code, bare = _collect(tmp_path / "b", {"docs/notes.md": "## Environment variables\n\nSee the code.\n",
                                            "README.md": "Set environment variables `TOOL_CACHE` as you like.\n"})
    assert bare.env_example == []


def test_a_command_line_tool_without_model_or_database_leaves_out_what_it_cannot_have():
    facts = make_facts(code=CodeFacts(), **with_code(test_files=["tests/test_x.py"], test_lines=200))
    m = compute_metrics(facts, [])
    assert (m["service_or_app"], m["service_or_model"], m["app_endpoints"], m["database_in_use"]) == \
        (False, False, 0, False)
    card = build_scorecard(RUBRIC, [], m, Answers())
    assert set(card.not_applicable) == {"observability", "performance", "cost_governance"}
    assert card.max_total == 25
    deployment = card.categories["deployment"].basis
    assert any(b.startswith("not applicable: database migrations are versioned (no database") for b in deployment)
    assert any(b.startswith("not applicable: a container build is defined") for b in deployment)
    testing = card.categories["testing"].basis
    assert any(b.startswith("not applicable: an evaluation suite") for b in testing)


def test_a_service_keeps_every_category_and_line():
    facts = make_facts(code=CodeFacts(endpoints=[Endpoint(path="app.py", line=3, function="x", framework="flask", route="/x",
                                                          has_auth=False)]),
                       **with_code(dockerfiles=["Dockerfile"], migrations=["migrations/001.sql"]))
    m = compute_metrics(facts, [])
    assert m["service_or_app"] is True and m["service_or_model"] is True and m["app_endpoints"] == 1
    assert m["database_in_use"] is True
    card = build_scorecard(RUBRIC, [], m, Answers())
    assert card.not_applicable == ["cost_governance"]
    left_out = [b for c in card.categories.values() if c.applicable for b in c.basis if b.startswith("not applicable")]
    assert left_out and all("(no model call in the application code" in b for b in left_out)  # no model: its lines only


def test_points_of_the_lines_that_apply_are_scaled_rounded_down():
    # deployment: CI (+1) and audit (+1) hold, lockfile does not; container and migrations do not apply: 2 of 3
    metrics = {"service_or_app": False, "database_in_use": False, "ci_present": True, "ci_runs_audit": True,
               "lockfile_for_every_ecosystem": False}
    card = build_scorecard(RUBRIC, [], metrics, Answers())
    dep = card.categories["deployment"]
    assert dep.score == 3 and "2 of 3 point(s) of the lines that apply, scaled to 3 of 5" in dep.basis
    metrics["lockfile_for_every_ecosystem"] = True
    assert build_scorecard(RUBRIC, [], metrics, Answers()).categories["deployment"].score == 5
    # unmeasured applicability keeps the line (no credit, no blame)
    del metrics["database_in_use"]
    assert build_scorecard(RUBRIC, [], metrics, Answers()).categories["deployment"].score == 3


def test_practices_fixture_dependencies_are_not_declared_libraries():
    from auditlib.collect.practices import declared_names
    from auditlib.models import Dependency

    deps = [Dependency(name="redis", ecosystem="PyPI", spec="", path="tests/fixtures/app/requirements.txt"),
            Dependency(name="pydantic", ecosystem="PyPI", spec=">=2", path="pyproject.toml")]
    assert declared_names(deps) == ["pydantic"]
    assert PracticeFacts().env_example == []
