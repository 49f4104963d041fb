"""CI entry points that are not hosted CI files (issue 12): a script a runner calls (``.ci/run``), the
Makefile targets, package.json scripts and repository scripts it calls, and CI declared by the
repository's ``.auditlib.yaml``; a lone Makefile with a ``test`` target is still no CI."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from auditlib.collect.files import list_files
from auditlib.collect.practices import ci_knowledge, collect_practices, make_targets, makefile_rules
from auditlib.rubric import DEFAULT_RUBRIC_DIR, knowledge_file, load_rubric

MAKEFILE = textwrap.dedent("""\
    PYTHON ?= python3
    BIN    := .venv/bin
    SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

    .PHONY: setup test lint ci

    setup: .venv/.installed

    .venv/.installed: pyproject.toml
    \t$(PYTHON) -m venv .venv
    \t$(BIN)/pip install -e .

    test: setup
    \t$(BIN)/python -m pytest -q

    lint:
    \t$(BIN)/ruff check . && \\
    \t  $(BIN)/mypy auditlib

    audit:
    \t$(BIN)/pip-audit

    ci: lint test
    \t$(MAKE) audit
    """)


def practices(root: Path, files: dict[str, str]):
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return collect_practices(list_files(root), imports=[], dependency_names=[])


def test_a_ci_script_calling_make_test_is_ci_that_runs_the_tests(tmp_path: Path):
    p = practices(tmp_path, {".ci/run": "#!/bin/sh\nset -e\ncd \"$(dirname \"$0\")/..\"\nmake test\n",
                             ".ci/README.md": "How CI runs.\n", "Makefile": MAKEFILE})
    assert p.ci_files == [".ci/run"] and p.ci_kinds == {".ci/run": "script"}
    assert p.ci_runs_tests is True
    assert p.ci_runs_lint is False and p.ci_runs_audit is False  # `make test` runs neither
    assert p.ci_followed[:2] == ["Makefile: test", "Makefile: setup"]


def test_make_targets_are_followed_through_prerequisites_and_recursive_make(tmp_path: Path):
    p = practices(tmp_path, {".github/workflows/ci.yml": "jobs:\n  b:\n    steps:\n      - run: make -j4 ci\n",
                             "Makefile": MAKEFILE})
    assert p.ci_kinds == {".github/workflows/ci.yml": "hosted"}
    assert (p.ci_runs_tests, p.ci_runs_lint, p.ci_runs_audit) == (True, True, True)
    assert {"Makefile: ci", "Makefile: lint", "Makefile: test", "Makefile: audit"} <= set(p.ci_followed)


def test_a_lone_makefile_with_a_test_target_is_not_ci(tmp_path: Path):
    p = practices(tmp_path, {"Makefile": MAKEFILE, "scripts/test.sh": "pytest\n", "package.json":
                             '{"scripts": {"test": "vitest", "lint": "eslint ."}}'})
    assert p.ci_files == [] and p.ci_kinds == {} and p.ci_followed == []
    assert (p.ci_runs_tests, p.ci_runs_lint, p.ci_runs_audit) == (False, False, False)


def test_package_json_scripts_and_repository_scripts_are_followed(tmp_path: Path):
    p = practices(tmp_path, {
        "ci/build.sh": "#!/bin/bash\nnpm ci\nnpm run check\n./scripts/secrets.sh\n",
        "package.json": '{"scripts": {"check": "eslint . && npm test", "test": "vitest run"}}',
        "scripts/secrets.sh": "gitleaks detect --no-git\n",
        "scripts/unrelated.sh": "semgrep --config auto\n"})
    assert p.ci_kinds == {"ci/build.sh": "script"}
    assert (p.ci_runs_tests, p.ci_runs_lint, p.ci_runs_audit) == (True, True, True)
    assert set(p.ci_followed) == {"package.json: check", "package.json: test", "scripts/secrets.sh"}


def test_the_repository_may_declare_its_ci_entry_point(tmp_path: Path):
    p = practices(tmp_path, {
        ".auditlib.yaml": "ci:\n  - tools/pipeline.sh\n  - tools/missing.sh\n",
        "tools/pipeline.sh": "ruff check .\npython -m pytest\n"})
    assert p.ci_kinds == {"tools/pipeline.sh": "declared"}
    assert p.ci_runs_tests is True and p.ci_runs_lint is True
    assert p.config is not None and p.config.ci == ["tools/pipeline.sh"]
    assert p.config.problems == ["ci[2]: tools/missing.sh is not a file of the repository; ignored"]


@pytest.mark.parametrize("path, kind", [
    (".ci/run", "script"), (".ci/lint.sh", "script"), ("ci/test.sh", "script"), ("scripts/ci.sh", "script"),
    (".ci/notes.md", None), (".ci/config.yml", None), ("ci/README.txt", None), ("src/ci/run.sh", None),
    (".github/workflows/x.yml", "hosted"), (".github/workflows/sub/x.yml", None), ("Jenkinsfile", "hosted"),
    (".drone.yml", "hosted"), (".buildkite/pipeline.yml", "hosted"), ("buildspec.yml", "hosted"),
    ("Makefile", None), ("scripts/test.sh", None), ("docs/ci.md", None),
])
def test_ci_vocabulary(path: str, kind: str | None):
    assert ci_knowledge().kind(path) == kind


def test_makefile_rules_are_read_as_text():
    rules, default = makefile_rules(MAKEFILE)
    assert default == "setup"
    assert "PYTHON" not in rules and "BIN" not in rules and "SUDO" not in rules  # assignments are no rules
    assert rules["test"][0] == ["setup"] and "pytest" in rules["test"][1]
    assert "mypy" in rules["lint"][1]  # a continued recipe line
    assert rules["ci"] == (["lint", "test"], "$(MAKE) audit\n")
    assert make_targets(" -C sub -j 4 --keep-going VERBOSE=1 test lint") == ["test", "lint"]


def test_the_ci_vocabulary_follows_the_rubric_folder(tmp_path: Path, monkeypatch):
    rubric = tmp_path / "rubric"
    shutil.copytree(DEFAULT_RUBRIC_DIR, rubric)
    text = (rubric / "ci.yaml").read_text(encoding="utf-8")
    (rubric / "ci.yaml").write_text(text.replace("\nscripts:\n", "\nscripts:\n  - pipelines/*.sh\n", 1),
                                    encoding="utf-8")
    monkeypatch.setenv("AUDITLIB_RUBRIC", str(rubric))
    assert knowledge_file("ci.yaml") == rubric / "ci.yaml"
    load_rubric()
    target = tmp_path / "t"
    p = practices(target, {"pipelines/main.sh": "pytest\n"})
    assert p.ci_kinds == {"pipelines/main.sh": "script"} and p.ci_runs_tests is True


def test_the_following_is_bounded(tmp_path: Path):
    chain = {f"scripts/s{i}.sh": f"./scripts/s{i + 1}.sh\n" for i in range(10)}
    chain["scripts/s10.sh"] = "pytest\n"
    p = practices(tmp_path, {".ci/run": "./scripts/s0.sh\n", **chain})
    assert p.ci_runs_tests is False  # ten wrappers deep: past max_depth
    assert len(p.ci_followed) == ci_knowledge().max_depth
