"""One file classification (auditlib.collect.roles): every collector and probe agrees on it."""

import pytest

from auditlib.collect.roles import file_role, role_counts


@pytest.mark.parametrize("path, role", [
    ("app.py", "app"), ("src/server/routes.ts", "app"), ("pages/api/chat.ts", "app"),
    ("node_modules/openai/index.js", "vendored"), ("web/vendor/lib.py", "vendored"), (".venv/lib/x.py", "vendored"),
    ("pkg.egg-info/PKG-INFO", "vendored"),
    ("dist/bundle.js", "generated"), ("static/app.min.js", "generated"), ("proto/api_pb2.py", "generated"),
    (".next/server/page.js", "generated"),
    ("tests/test_app.py", "test"), ("test_app.py", "test"), ("app_test.go", "test"), ("src/chat.test.ts", "test"),
    ("src/__tests__/chat.tsx", "test"), ("e2e/login.spec.ts", "test"), ("tests/fixtures/keys.json", "test"),
    ("conftest.py", "test"), ("src/__mocks__/openai.ts", "test"), ("testing/helpers.py", "test"),
    ("evals/golden.jsonl", "evaluation"), ("evaluation/run_eval.py", "evaluation"), ("golden_set.csv", "evaluation"),
    ("migrations/0001_init.py", "migration"), ("alembic/env.py", "migration"),
    ("prisma/migrations/20240101/migration.sql", "migration"), ("supabase/migrations/1_init.sql", "migration"),
    ("scripts/seed.py", "script"), ("bin/run.sh", "script"), ("manage.py", "script"), ("seed_db.py", "script"),
    ("setup.py", "script"), ("tools/backfill.ts", "script"),
    ("pyproject.toml", "config"), ("package.json", "config"), (".env.example", "config"), ("Dockerfile", "config"),
    (".github/workflows/ci.yml", "config"), ("next.config.js", "config"), ("requirements.txt", "config"),
    ("docker-compose.prod.yml", "config"),
    ("README.md", "docs"), ("docs/architecture.png", "docs"),
    ("logo.png", "other"),
])
def test_file_role(path, role):
    assert file_role(path) == role


@pytest.mark.parametrize("path", ["retrieval/search.py", "medieval.py", "src/testimonials.tsx", "contest/app.py",
                                  "latest/app.py", "scripts.css"])
def test_words_that_merely_contain_a_role_word_are_application_code(path):
    assert file_role(path) in ("app", "other")


def test_the_three_former_test_predicates_now_agree():
    from auditlib.collect.files import RepoFile
    from auditlib.collect.practices import is_test_file
    from auditlib.collect.secrets import is_test_path
    from auditlib.probes.llm import in_tests

    for path in ("e2e/flow.spec.ts", "tests/fixtures/data.py", "conftest.py", "spec/model_test.py", "app.py"):
        f = RepoFile(path=path, size=1, language="Python" if path.endswith(".py") else "TypeScript")
        assert is_test_file(f) == is_test_path(path) == in_tests(path), path


def test_role_counts_in_order():
    assert role_counts(["a.py", "tests/test_a.py", "b.py", "README.md"]) == {"test": 1, "docs": 1, "app": 2}
