"""One classification of the target's files by role, computed once per file (issue 8, item 4).

Every collector and probe that asks "is this test code?", "is this a script run by hand?", "is
this generated?" asks here, so the answers agree (before, three lists of test folders of 3, 8 and
14 names disagreed). The classification reads only the path: it is cheap, stable, and the same for
a file in the tree and in the history.

Roles, in order of precedence (the first that applies wins):

- ``vendored``: third-party code committed into the repository (``node_modules/``, a virtualenv,
  ``vendor/``, ``third_party/``);
- ``generated``: build output and generated code (``dist/``, ``build/``, ``.next/``, ``*.min.js``,
  ``*_pb2.py``, ``*.generated.*``);
- ``test``: test code and test data (``tests/``, ``__tests__/``, ``spec/``, ``e2e/``, ``fixtures/``,
  ``__mocks__/``, ``test_*.py``, ``*_test.go``, ``*.test.ts``, ``conftest.py``...);
- ``evaluation``: evaluation sets and harnesses of the model (a path word starting with ``eval`` or
  ``golden``: ``evals/``, ``evaluation/``, ``golden_set.jsonl``);
- ``migration``: database migrations (``migrations/``, ``alembic/``, ``prisma/migrations/``,
  ``supabase/migrations/``);
- ``script``: code run by hand from a command line, not on a request path (``scripts/``, ``bin/``,
  ``tools/`` at the top only, ``manage.py``, ``seed*.py``, ``setup.py``, ``admin`` or ``cli`` modules at the top);
- ``config``: configuration and deployment files (YAML, TOML, JSON, INI, ``.env*``, Dockerfiles,
  CI files, ``*.config.js``/``ts``);
- ``docs``: documentation (``docs/``, Markdown, reStructuredText, plain text);
- ``app``: any other source file (application code, possibly on a request path);
- ``other``: any other file (data, images, lockfiles are ``config``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Iterable, Literal

Role = Literal["vendored", "generated", "test", "evaluation", "migration", "script", "config", "docs", "app",
               "other"]
ROLES: tuple[Role, ...] = ("vendored", "generated", "test", "evaluation", "migration", "script", "config", "docs",
                           "app", "other")

VENDORED_DIRS = frozenset({"node_modules", "bower_components", "jspm_packages", ".venv", "venv", "site-packages",
                           "vendor", "third_party"})
GENERATED_DIRS = frozenset({"dist", "build", ".next", ".nuxt", ".svelte-kit", ".output", "out", "coverage",
                            "__pycache__", ".mypy_cache", ".pytest_cache", ".tox", ".nox", ".cache", ".terraform"})
TEST_DIRS = frozenset({"test", "tests", "testing", "__tests__", "spec", "specs", "e2e", "fixture", "fixtures",
                       "__fixtures__", "testdata", "test_data", "test-data", "__mocks__", "mocks", "cypress",
                       "playwright"})
MIGRATION_DIRS = frozenset({"migrations", "migration", "alembic", "versions_sql"})
SCRIPT_DIRS = frozenset({"scripts", "script", "bin", "management", "commands", "seeds", "seed"})
TOP_SCRIPT_DIRS = frozenset({"tools"})
"""Script folders only at the top of the repository: deeper, ``tools/`` holds the tools a model calls
(``lib/ai/tools/``, ``app/api/chat/tools/route.ts``), which run on the request path (issue 9)."""
DOC_DIRS = frozenset({"docs", "doc", "documentation"})

_CODE_SUFFIXES = frozenset({".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".mts", ".cts", ".go",
                            ".rb", ".java", ".kt", ".rs", ".php", ".cs", ".c", ".h", ".cpp", ".hpp", ".swift",
                            ".sh", ".bash", ".vue", ".svelte", ".sql", ".ipynb"})
_CONFIG_SUFFIXES = frozenset({".yaml", ".yml", ".toml", ".json", ".ini", ".cfg", ".conf", ".lock", ".properties"})
_DOC_SUFFIXES = frozenset({".md", ".rst", ".txt", ".adoc"})
_GENERATED_NAME = re.compile(r"(?:\.min\.(?:js|css)$|_pb2(?:_grpc)?\.pyi?$|\.pb\.go$|\.generated\.\w+$|"
                             r"\.g\.dart$|^generated[_.-])")
_TEST_NAME = re.compile(r"(?:^test_.+|.+_test\.\w+|.+\.(?:test|spec)\.\w+|^conftest\.py|^pytest\.ini|"
                        r"^jest\.config\.\w+|^vitest\.config\.\w+|^playwright\.config\.\w+)$")
_SCRIPT_NAME = re.compile(r"^(?:manage|setup|seed\w*|populate\w*|ingest\w*|migrate\w*|admin\w*|cli|"
                          r"backfill\w*|bootstrap\w*)\.(?:py|js|ts|mjs|cjs|sh)$")
_CONFIG_NAME = re.compile(r"(?:^\.env(?:\..+)?$|^dockerfile(?:\..+)?$|\.dockerfile$|^docker-compose.*\.ya?ml$|"
                          r"^procfile$|^makefile$|\.config\.(?:js|cjs|mjs|ts)$|^requirements.*\.(?:txt|in)$|"
                          r"^\.(?:eslintrc|prettierrc|babelrc|npmrc|nvmrc|python-version|gitignore|"
                          r"dockerignore|gitattributes|editorconfig)(?:\..+)?$|^vercel\.json$|^netlify\.toml$|"
                          r"^fly\.toml$|^render\.yaml$|^app\.yaml$|^pipfile$|^gemfile$)")
_WORDS = re.compile(r"[/._\-\s]+")


@lru_cache(maxsize=65536)
def file_role(path: str) -> Role:
    """The role of the file at ``path`` (relative, forward slashes); see the module's docstring."""
    pure = PurePosixPath(path.replace("\\", "/").lower())
    dirs, name = pure.parts[:-1], pure.name
    if any(d in VENDORED_DIRS or d.endswith(".egg-info") for d in dirs):
        return "vendored"
    if any(d in GENERATED_DIRS for d in dirs) or _GENERATED_NAME.search(name):
        return "generated"
    if any(d in TEST_DIRS for d in dirs) or _TEST_NAME.match(name):
        return "test"
    if any(w.startswith(("eval", "golden")) for w in _WORDS.split(pure.as_posix()) if w):
        return "evaluation"
    if any(d in MIGRATION_DIRS for d in dirs) or "prisma/migrations" in pure.as_posix():
        return "migration"
    suffix = pure.suffix
    if suffix in _CODE_SUFFIXES and (any(d in SCRIPT_DIRS for d in dirs) or (dirs and dirs[0] in TOP_SCRIPT_DIRS)
                                     or _SCRIPT_NAME.match(name)):
        return "script"
    if ".github" in dirs or ".circleci" in dirs or _CONFIG_NAME.search(name) or suffix in _CONFIG_SUFFIXES:
        return "config"
    if any(d in DOC_DIRS for d in dirs) or suffix in _DOC_SUFFIXES:
        return "docs"
    if suffix in _CODE_SUFFIXES:
        return "app"
    return "other"


NOT_PROJECT_ROLES: frozenset[str] = frozenset({"test", "vendored", "generated"})
"""Roles of files that are not the project's own running code or deployment: test code and its fixtures
(a test folder's sample Flask app, Dockerfile or migration is an input of a test, not an endpoint, a
container or a schema of the project), third-party code and build output. Facts about what the project
serves, deploys and uses (endpoints, layers, imports, Dockerfiles, deploy files, migrations, declared
libraries) leave them out (issue 12)."""


def is_project_path(path: str) -> bool:
    """A file of the project itself: not test code or fixtures, vendored or generated (NOT_PROJECT_ROLES)."""
    return file_role(path) not in NOT_PROJECT_ROLES


def is_test_path(path: str) -> bool:
    """Test code or test data (the ``test`` role)."""
    return file_role(path) == "test"


def is_script_path(path: str) -> bool:
    """Code run by hand from a command line (the ``script`` role): seed, admin and maintenance tools."""
    return file_role(path) == "script"


def role_counts(paths: Iterable[str]) -> dict[str, int]:
    """Role -> number of ``paths`` with it (roles with none left out), in ROLES order."""
    counts: dict[str, int] = {}
    for p in paths:
        role = file_role(p)
        counts[role] = counts.get(role, 0) + 1
    return {r: counts[r] for r in ROLES if r in counts}
