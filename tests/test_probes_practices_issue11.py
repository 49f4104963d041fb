"""Issue 11, item 3: practices that were measured (metrics) but never became a finding now do, graded by
what the repository is (probes.practices.deployment_kind): CI without an audit step, an ORM without
migrations, no health check, sign-in forms without rate limiting, no validation library, no structured
logging. Synthetic facts (tests/factories.py); the collector's new facts are tested on files at the end."""

from __future__ import annotations

import pytest

from auditlib.models import CodeFacts, Endpoint, QuotaCheck, RuleHit
from auditlib.probes import PROBES, run_probes
from auditlib.rubric import load_rubric
from tests.factories import make_facts, with_code

RUBRIC = load_rubric()


def hits(rule: str, facts) -> list:
    return list(PROBES[rule](facts, dict(RUBRIC.rule(rule).params)))


def ep(route: str, method: str | None = "POST", framework: str = "flask", path: str = "app.py",
       line: int = 10, function: str = "handler") -> Endpoint:
    public = "health check route" if route.strip("/") in {"health", "healthz", "ready"} else None
    return Endpoint(path=path, line=line, function=function, framework=framework, route=route, method=method,
                    public=public)


def facts_of(endpoints=(), code_kw=None, **practices):
    return make_facts(**with_code(**practices), code=CodeFacts(files_parsed=3, endpoints=list(endpoints),
                                                                **(code_kw or {})))


SERVICE = dict(dockerfiles=["Dockerfile"])


# ---------------------------------------------------------------------------------------- ci.no_audit_gate
@pytest.mark.parametrize("practices, severity", [
    pytest.param(dict(ci_files=[".github/workflows/ci.yml"], **SERVICE), "low", id="service"),
    pytest.param(dict(ci_files=[".github/workflows/ci.yml"]), "info", id="script"),
    pytest.param(dict(ci_files=[".github/workflows/ci.yml"], ci_runs_audit=True, **SERVICE), None, id="audited"),
    pytest.param(dict(ci_files=[".github/workflows/ci.yml"], dependency_bots=[".github/dependabot.yml"], **SERVICE),
                 None, id="dependabot"),
    pytest.param(dict(**SERVICE), None, id="no_ci_is_ci_missing"),
])
def test_ci_no_audit_gate(practices, severity):
    found = hits("ci.no_audit_gate", facts_of(**practices))
    assert [h.severity or RUBRIC.rule("ci.no_audit_gate").severity for h in found] == ([severity] if severity else [])
    if found:
        assert found[0].path == ".github/workflows/ci.yml"


# --------------------------------------------------------------------------------- deployment.no_migrations
@pytest.mark.parametrize("practices, endpoints, severity", [
    pytest.param(dict(orm_schemas=["app/models.py"], **SERVICE), [], "medium", id="service"),
    pytest.param(dict(orm_schemas=["app/models.py"]), [ep("/items")], "low", id="app_without_deploy_file"),
    pytest.param(dict(orm_schemas=["models.py"]), [], None, id="script_not_a_service"),
    pytest.param(dict(orm_schemas=["app/models.py"], migrations=["alembic/versions/1_init.py"], **SERVICE), [], None,
                 id="migrations"),
    pytest.param(dict(**SERVICE), [], None, id="no_orm"),
])
def test_no_migrations(practices, endpoints, severity):
    found = hits("deployment.no_migrations", facts_of(endpoints, **practices))
    assert [h.severity or "medium" for h in found] == ([severity] if severity else [])


def test_no_migrations_leaves_the_app_creating_its_tables_to_schema_by_app():
    hit = RuleHit(rule="deployment.schema_by_app", title="t", evidence="e", path="app.py", line=3)
    facts = facts_of(code_kw={"rule_hits": [hit]}, orm_schemas=["app.py"], **SERVICE)
    assert hits("deployment.no_migrations", facts) == []


# ------------------------------------------------------------------------------- deployment.no_health_check
@pytest.mark.parametrize("practices, endpoints, fires", [
    pytest.param(dict(**SERVICE), [ep("/chat")], True, id="service_without_check"),
    pytest.param(dict(**SERVICE), [ep("/chat"), ep("/healthz", "GET")], False, id="health_route"),
    pytest.param(dict(docker_healthcheck=True, **SERVICE), [ep("/chat")], False, id="docker_healthcheck"),
    pytest.param(dict(health_checks=["docker-compose.yml: healthcheck"], deploy_files=["docker-compose.yml"]),
                 [ep("/chat")], False, id="compose_healthcheck"),
    pytest.param(dict(), [ep("/chat")], False, id="app_without_deploy_file"),
    pytest.param(dict(deploy_files=["vercel.json"]), [ep("/api/chat")], False, id="serverless"),
    pytest.param(dict(**SERVICE), [], False, id="no_endpoints"),
])
def test_no_health_check(practices, endpoints, fires):
    assert bool(hits("deployment.no_health_check", facts_of(endpoints, **practices))) is fires


# ----------------------------------------------------------------- architecture.auth_endpoint_without_rate_limit
@pytest.mark.parametrize("practices, endpoints, code_kw, severity", [
    pytest.param(SERVICE, [ep("/api/login"), ep("/api/items")], None, "medium", id="service_login"),
    pytest.param(SERVICE, [ep("/auth/signup")], None, "medium", id="signup"),
    pytest.param({}, [ep("/reset-password")], None, "low", id="app_without_deploy_file"),
    pytest.param(SERVICE, [ep("/api/items"), ep("/api/chat")], None, None, id="no_public_form"),
    pytest.param(SERVICE, [ep("/login", "GET")], None, None, id="login_page_get"),
    pytest.param(dict(libraries={"rate_limiting": ["slowapi"]}, **SERVICE), [ep("/login")], None, None, id="limiter"),
    pytest.param(SERVICE, [ep("/login")],
                 {"quota_checks": [QuotaCheck(path="app.py", line=3, detail="attempts > 5 -> 429")]}, None,
                 id="quota"),
])
def test_auth_endpoint_without_rate_limit(practices, endpoints, code_kw, severity):
    rule = "architecture.auth_endpoint_without_rate_limit"
    found = hits(rule, facts_of(endpoints, code_kw, **practices))
    assert [h.severity or RUBRIC.rule(rule).severity for h in found] == ([severity] if severity else [])
    if found:
        assert found[0].line == 10 and "no rate-limiting library" in found[0].evidence


def test_auth_endpoint_without_rate_limit_is_low_confidence():
    assert RUBRIC.rule("architecture.auth_endpoint_without_rate_limit").confidence == "low"


# -------------------------------------------------------------------------- validation.no_validation_library
@pytest.mark.parametrize("practices, endpoints, fires", [
    pytest.param(SERVICE, [ep("/items", "POST")], True, id="flask_post"),
    pytest.param({}, [ep("/api/items", "PUT", framework="express")], True, id="express_put_app"),
    pytest.param(SERVICE, [ep("/items", "POST", framework="fastapi")], False, id="fastapi_validates"),
    pytest.param(SERVICE, [ep("/items", "GET")], False, id="read_only"),
    pytest.param(dict(libraries={"validation": ["zod"]}, **SERVICE), [ep("/items", "POST", framework="nextjs")],
                 False, id="zod"),
])
def test_no_validation_library(practices, endpoints, fires):
    found = hits("validation.no_validation_library", facts_of(endpoints, **practices))
    assert bool(found) is fires
    assert RUBRIC.rule("validation.no_validation_library").severity == "low"


# -------------------------------------------------------------------------- observability.no_structured_logging
@pytest.mark.parametrize("practices, code_kw, fires", [
    pytest.param(SERVICE, {"logging_calls": 12}, True, id="service_plain_logging"),
    pytest.param({}, {"logging_calls": 12}, False, id="app_without_deploy_file"),
    pytest.param(SERVICE, {"logging_calls": 1, "print_calls": 9}, False, id="print_logging_reports_it"),
    pytest.param(dict(libraries={"structured_logging": ["structlog"]}, **SERVICE), {"logging_calls": 5}, False,
                 id="structlog"),
    pytest.param(dict(libraries={"correlation_id": ["asgi-correlation-id"]}, **SERVICE), {"logging_calls": 5}, False,
                 id="request_ids"),
    pytest.param(dict(libraries={"tracing": ["opentelemetry"]}, **SERVICE), {"logging_calls": 5}, False,
                 id="tracing"),
])
def test_no_structured_logging(practices, code_kw, fires):
    found = hits("observability.no_structured_logging", facts_of([ep("/chat")], code_kw, **practices))
    assert bool(found) is fires


# ------------------------------------------------------------------------------------------------ common
NEW_RULES = ["ci.no_audit_gate", "deployment.no_migrations", "deployment.no_health_check",
             "architecture.auth_endpoint_without_rate_limit", "validation.no_validation_library",
             "observability.no_structured_logging"]


@pytest.mark.parametrize("rule", NEW_RULES)
def test_new_rules_are_low_or_medium_and_say_why_in_their_confidence(rule):
    r = RUBRIC.rule(rule)
    assert r.severity in {"low", "medium"}
    assert r.confidence in {"low", "medium"}


def test_unmeasured_practices_report_nothing():
    facts = make_facts(**with_code(available=False, ci_files=["ci.yml"], orm_schemas=["m.py"], **SERVICE),
                       code=CodeFacts(files_parsed=3, endpoints=[ep("/login")], logging_calls=3))
    assert {f.rule for f in run_probes(facts, RUBRIC)} & set(NEW_RULES) == set()


def test_empty_facts_still_give_no_findings():
    assert run_probes(make_facts(), RUBRIC) == []


# ------------------------------------------------------------------------------------ the collector's facts
def test_collector_finds_orm_schemas_health_checks_and_dependency_bots(tmp_path):
    from auditlib.collect.files import list_files
    from auditlib.collect.practices import collect_practices

    files = {
        "app/models.py": "from sqlalchemy.orm import DeclarativeBase\nclass Base(DeclarativeBase):\n    pass\n"
                         "class User(Base):\n    __tablename__ = 'users'\n",
        "app/schemas.py": "from pydantic import BaseModel\nclass Item(BaseModel):\n    name: str\n",
        "prisma/schema.prisma": "datasource db { provider = \"postgresql\" }\nmodel User {\n  id Int @id\n}\n",
        "web/db/schema.ts": "import { pgTable, text } from 'drizzle-orm/pg-core'\nexport const users = pgTable('users', {})\n",
        "docker-compose.yml": "services:\n  api:\n    build: .\n    healthcheck:\n      test: curl -f localhost\n",
        "fly.toml": "app = 'x'\n[[http_service.checks]]\n  path = '/healthz'\n",
        ".github/dependabot.yml": "version: 2\n",
        "tests/test_models.py": "class FakeUser(Base):\n    pass\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    p = collect_practices(list_files(tmp_path), imports=["sqlalchemy", "pydantic"], dependency_names=["drizzle-orm"])
    assert p.orm_schemas == ["app/models.py", "prisma/schema.prisma", "web/db/schema.ts"] or \
        sorted(p.orm_schemas) == sorted(["app/models.py", "prisma/schema.prisma", "web/db/schema.ts"])
    assert {h.split(":")[0] for h in p.health_checks} == {"docker-compose.yml", "fly.toml"}
    assert p.dependency_bots == [".github/dependabot.yml"]


def test_drizzle_journal_counts_as_migrations(tmp_path):
    from auditlib.collect.files import list_files
    from auditlib.collect.practices import collect_practices

    (tmp_path / "drizzle/meta").mkdir(parents=True)
    (tmp_path / "drizzle/meta/_journal.json").write_text("{}", encoding="utf-8")
    (tmp_path / "drizzle/0000_init.sql").write_text("CREATE TABLE x (id int);", encoding="utf-8")
    p = collect_practices(list_files(tmp_path), imports=[], dependency_names=[])
    assert "drizzle/meta/_journal.json" in p.migrations
