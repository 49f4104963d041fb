"""The second process for the git side of large audits: secrets and history (auditlib.worker)."""

import importlib
from datetime import datetime, timezone

audit_mod = importlib.import_module("auditlib.audit")  # the package exports a function of the same name
from auditlib import AuditContext, audit  # noqa: E402
from auditlib.demo import DEMO_ADVISORIES  # noqa: E402

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def run(target, parallel, messages):
    ctx = AuditContext(target=target, source=str(target), offline=True, vuln_db=DEMO_ADVISORIES, now=NOW,
                       parallel=parallel, progress=messages.append)
    return audit(ctx)


def test_worker_gives_the_same_result_as_one_process(demo_target, monkeypatch):
    monkeypatch.setattr(audit_mod, "PARALLEL_MIN_COMMITS", 1)  # the demo has 4 commits
    messages: list[str] = []
    serial = run(demo_target, False, [])
    parallel = run(demo_target, True, messages)
    assert "collect: history and secrets in a second process (large history)" in messages
    assert not any("second process failed" in m for m in messages)
    assert parallel.facts.secrets == serial.facts.secrets
    assert parallel.facts.history == serial.facts.history
    assert [f.id for f in parallel.findings] == [f.id for f in serial.findings]
    assert list(parallel.run.collectors) == ["inventory", "history", "secrets", "dependencies", "code",
                                             "practices", "complexity"]


def test_a_failed_worker_falls_back_to_this_process(demo_target, monkeypatch):
    import auditlib.worker as worker

    monkeypatch.setattr(audit_mod, "PARALLEL_MIN_COMMITS", 1)
    monkeypatch.setattr(worker.sys, "executable", "/bin/false")  # the second process dies at once
    messages: list[str] = []
    result = run(demo_target, True, messages)
    assert any("second process failed" in m for m in messages)
    assert any(f.rule == "secret.in_history" for f in result.findings)
    assert result.facts.history.available and result.facts.history.commits > 0


def test_the_worker_runs_below_its_callers_priority():
    """The second process (and the git it starts) yields the CPU to the caller's tree pass: it lowers
    its own priority by ``NICENESS`` before its work (README, Performance)."""
    import subprocess
    import sys

    from auditlib import worker

    code = ("import os; from auditlib.worker import yield_to_caller; before = os.nice(0); yield_to_caller(); "
            "import subprocess; print(os.nice(0) - before, subprocess.check_output(['sh', '-c', 'nice']).decode().strip())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert int(out[0]) == worker.NICENESS > 0
    assert int(out[1]) >= worker.NICENESS  # a child (git) inherits it
