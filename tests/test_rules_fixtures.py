"""Good and bad fixtures for every check of the analysis engine (auditlib/analysis/checks/).

tests/rules/<rule id>/ holds the fixtures of one rule. A fixture is a file or a folder whose name
starts with ``bad`` or ``good``:

- a file (``bad.py``, ``good.ts``, ``bad_session.py``) becomes a repository holding that one file;
- a folder (``bad_deploy/``, ``good_main_block/``) becomes a repository holding its files at their
  paths (for rules that read file names, deploy files or several modules).

In a bad fixture every line the rule must report carries the marker ``expect: <rule id>`` in a comment
on that line (``# expect: ...`` in Python, Dockerfiles, Procfiles, YAML, TOML and .env files;
``// expect: ...`` in JS/TS); the report is on the first line of a statement over several lines. The
test asks that the reported lines are exactly the marked ones; a good fixture must give nothing.
Each rule needs a bad and a good fixture for every language its checks declare (python, js for JS
and TS, config for the other files), counted from the marked files of bad fixtures and from all
files of good ones. A new rule is tested by adding its fixtures: nothing here names a rule.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from auditlib.analysis.checks import load_all
from auditlib.analysis.engine import load, run_checks
from auditlib.analysis.front_js import JS_SUFFIXES
from auditlib.analysis.query import Query
from auditlib.collect.files import list_files

FIXTURES = Path(__file__).parent / "rules"
MARKER = re.compile(r"(?:#|//)\s*expect:\s*([\w.]+(?:\s*,\s*[\w.]+)*)")
CHECKS = load_all()


def _language(path: Path) -> str:
    if path.suffix == ".py":
        return "python"
    if path.name.endswith(JS_SUFFIXES):
        return "js"
    return "config"


def _files(fixture: Path) -> list[tuple[str, Path]]:
    """(path in the repository, file) for every file of a fixture."""
    if fixture.is_file():
        return [(fixture.name, fixture)]
    return sorted((p.relative_to(fixture).as_posix(), p) for p in fixture.rglob("*") if p.is_file())


def _marked(fixture: Path, rule: str) -> set[tuple[str, int]]:
    out = set()
    for rel, path in _files(fixture):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = MARKER.search(line)
            if m and rule in {r.strip() for r in m.group(1).split(",")}:
                out.add((rel, n))
    return out


def _fixtures(rule: str) -> list[Path]:
    folder = FIXTURES / rule
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.startswith(("bad", "good")) and p.name != "__pycache__")


def _cases() -> list:
    return [pytest.param(rule, fx, id=f"{rule}/{fx.name}") for rule in sorted(CHECKS) for fx in _fixtures(rule)]


def _report(rule: str, fixture: Path, tmp_path: Path) -> set[tuple[str, int]]:
    repo_dir = tmp_path / "repo"
    if fixture.is_dir():
        shutil.copytree(fixture, repo_dir, ignore=shutil.ignore_patterns("__pycache__"))
    else:
        repo_dir.mkdir()
        shutil.copy(fixture, repo_dir / fixture.name)
    files = list_files(repo_dir)
    repo, errors = load(files)
    assert errors == [], errors
    hits = run_checks(Query(repo), files, rules=[rule])
    assert all(h.rule == rule and h.path and h.line and h.evidence and h.title for h in hits), hits
    return {(h.path, h.line) for h in hits}


def test_the_registry_has_checks():
    assert CHECKS


@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_every_check_has_good_and_bad_fixtures_for_its_languages(rule):
    declared = {lang for chk in CHECKS[rule] for lang in chk.languages}
    fixtures = _fixtures(rule)
    bad = {_language(Path(rel)) for fx in fixtures if fx.name.startswith("bad") for rel, _line in _marked(fx, rule)}
    good = {_language(p) for fx in fixtures if fx.name.startswith("good") for _rel, p in _files(fx)}
    assert declared <= bad, f"{rule}: no bad fixture with a marked line for {sorted(declared - bad)}"
    assert declared <= good, f"{rule}: no good fixture for {sorted(declared - good)}"


def test_fixture_folders_name_registered_rules():
    assert {p.name for p in FIXTURES.iterdir() if p.is_dir()} <= set(CHECKS)


@pytest.mark.parametrize(("rule", "fixture"), _cases())
def test_fixture(rule, fixture, tmp_path):
    expected = _marked(fixture, rule)
    got = _report(rule, fixture, tmp_path)
    if fixture.name.startswith("bad"):
        assert expected, f"{fixture}: a bad fixture needs at least one 'expect: {rule}' marker"
        assert got == expected, f"missed {sorted(expected - got)}, not expected {sorted(got - expected)}"
    else:
        assert not expected, f"{fixture}: a good fixture carries no marker"
        assert got == set(), f"reported on a good fixture: {sorted(got)}"


# ------------------------------------------------------------------------------ hits to findings
@pytest.mark.parametrize("rule", sorted(CHECKS))
def test_the_engine_probe_turns_a_hit_into_a_finding_of_the_rubric(rule):
    from auditlib.models import CodeFacts, RuleHit
    from auditlib.probes import run_probes
    from auditlib.rubric import load_rubric
    from tests.factories import make_facts

    rubric = load_rubric()
    hits = [RuleHit(rule=rule, title="seen", evidence="what was seen", path="app.py", line=12),
            RuleHit(rule="some.other_rule", title="x", evidence="y", path="app.py", line=1)]
    facts = make_facts(code=CodeFacts(available=True, rule_hits=hits))
    found = [f for f in run_probes(facts, rubric) if f.rule == rule]
    entry = rubric.rule(rule)
    assert len(found) == 1
    f = found[0]
    assert (f.severity, f.category, f.phase, f.effort, f.remediation) == (
        entry.severity, entry.category, entry.phase, entry.effort, entry.remediation)
    assert (f.title, f.evidence, f.path, f.line) == ("seen", "what was seen", "app.py", 12)
    assert not any(x.rule == "some.other_rule" for x in run_probes(facts, rubric))
