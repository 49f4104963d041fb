"""The engine's name prefilter of call checks (``@check(..., names=...)``) never changes what a check finds.

A call check that declares ``names=`` is handed only the calls whose callee's last name is among them
(looked up in a per-module index); without it, it sees every call site. These tests run every such
check both ways over the fixtures of every rule (tests/rules/) and over the planted corpus, and ask
for the same hits: a names list that forgets a name the check can match fails here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from auditlib.analysis import engine
from auditlib.analysis.checks import Check, check, load_all
from auditlib.analysis.query import Query
from auditlib.collect.files import list_files

from .factories import copy_rule_fixtures

PREFILTERED = sorted((rule, chk) for rule, chks in load_all().items() for chk in chks if chk.names is not None)


def _hits(chk: Check, q: Query) -> list[tuple[str, str | None, int | None, str]]:
    return sorted((h.rule, h.path, h.line, h.evidence) for h in engine._run(chk, q, q.files))


def _fixture_repos(tmp_path: Path) -> list[Path]:
    """Every fixture of every rule as a repository of its own (the variety the prefilter must survive)."""
    return copy_rule_fixtures(tmp_path)


def test_some_call_checks_are_prefiltered_by_name():
    assert len(PREFILTERED) >= 7, [r for r, _c in PREFILTERED]


def test_the_name_prefilter_loses_no_hit(tmp_path):
    found = 0
    for root in _fixture_repos(tmp_path):
        files = list_files(root)
        repo, _errors = engine.load(files)
        try:
            for rule, chk in PREFILTERED:
                q = Query(repo, files)  # a fresh Query each way: no memo carried from one run to the other
                with_names = _hits(chk, q)
                without = _hits(dataclasses.replace(chk, names=None), Query(repo, files))
                assert with_names == without, f"{rule} on {root.relative_to(tmp_path)}"
                found += len(with_names)
        finally:
            repo.release()
    assert found > 0  # the fixtures hold bad cases of these rules: the comparison saw hits


def test_names_is_only_for_call_checks():
    with pytest.raises(ValueError, match="names= is a prefilter of call checks"):
        check("test.not_registered", on="module", names=lambda q: {"x"})
