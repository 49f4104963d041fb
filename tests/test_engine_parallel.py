"""The checks of a large repository run in a forked child (``engine._fork_checks``) while the first
process traces model output: the code facts must be the same as when everything runs in one process,
and a child that fails must lose nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from auditlib.analysis import engine
from auditlib.collect.files import list_files

from .factories import copy_rule_fixtures


@pytest.fixture(scope="module")
def many_rules(tmp_path_factory) -> Path:
    """Every bad and good fixture of every rule in one repository: hits of nearly every check."""
    return copy_rule_fixtures(tmp_path_factory.mktemp("parallel") / "repo", together=True)[0]


def _analyse(root: Path, parallel: bool, messages: list[str] | None = None):
    return engine.analyse(list_files(root), parallel=parallel, progress=None if messages is None else messages.append)


def test_forked_checks_give_the_same_facts(many_rules, monkeypatch):
    monkeypatch.setattr(engine, "PARALLEL_CHECKS_MIN_MODULES", 1)
    forked: list[object] = []
    real = engine._fork_checks

    def spy(q, files):
        job = real(q, files)
        forked.append(job)
        return job

    monkeypatch.setattr(engine, "_fork_checks", spy)
    together = _analyse(many_rules, parallel=False)
    apart = _analyse(many_rules, parallel=True)
    assert forked and forked[0] is not None  # the checks did run in a child
    assert len(together.rule_hits) >= 100
    assert len({h.rule for h in together.rule_hits}) >= 30
    assert apart.model_dump() == together.model_dump()


def test_small_repositories_keep_the_checks_in_one_process(many_rules, monkeypatch):
    forked: list[object] = []
    monkeypatch.setattr(engine, "_fork_checks", lambda q, files: forked.append(1))
    _analyse(many_rules, parallel=True)  # fewer files than PARALLEL_CHECKS_MIN_MODULES
    assert not forked


def test_a_failed_child_runs_the_checks_here(many_rules, monkeypatch):
    monkeypatch.setattr(engine, "PARALLEL_CHECKS_MIN_MODULES", 1)
    parent = os.getpid()
    real = engine.run_checks

    def dies_in_the_child(q, files=None, rules=None):
        if os.getpid() != parent:
            raise MemoryError("the child ran out")
        return real(q, files, rules)

    monkeypatch.setattr(engine, "run_checks", dies_in_the_child)
    messages: list[str] = []
    got = _analyse(many_rules, parallel=True, messages=messages)
    assert any("checks' second process failed" in m and "MemoryError" in m for m in messages), messages
    monkeypatch.setattr(engine, "run_checks", real)
    assert got.rule_hits == _analyse(many_rules, parallel=False).rule_hits
