"""The second process for the git side of large audits: secrets and history (auditlib.worker)."""

import importlib
import os
import threading
import time
from datetime import datetime, timezone

import pytest

audit_mod = importlib.import_module("auditlib.audit")  # the package exports a function of the same name
from auditlib import AuditContext, audit  # noqa: E402
from auditlib.demo import DEMO_ADVISORIES  # noqa: E402

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


def run(target, parallel, messages):
    ctx = AuditContext(target=target, source=str(target), offline=True, vuln_db=DEMO_ADVISORIES, now=NOW,
                       parallel=parallel, progress=messages.append)
    return audit(ctx)


WAYS = ("fork", "spawn")


@pytest.fixture(params=WAYS)
def way(request, monkeypatch):
    """Each test runs with the forked worker and with its own interpreter."""
    import auditlib.worker as worker

    monkeypatch.setattr(worker, "can_fork", lambda: request.param == "fork")
    return request.param


def test_worker_gives_the_same_result_as_one_process(demo_target, monkeypatch, way):
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


def test_a_failed_worker_falls_back_to_this_process(demo_target, monkeypatch, way):
    import auditlib.worker as worker

    monkeypatch.setattr(audit_mod, "PARALLEL_MIN_COMMITS", 1)
    if way == "spawn":
        monkeypatch.setattr(worker.sys, "executable", "/bin/false")  # the second process dies at once
    else:
        def broken(*_a):
            raise OSError("disk on fire")

        monkeypatch.setattr(audit_mod, "_git_side", broken)  # the forked child inherits it
    messages: list[str] = []
    result = run(demo_target, True, messages)
    failed = [m for m in messages if "second process failed" in m]
    assert failed
    if way == "fork":
        assert "worker exited 1: OSError: disk on fire" in failed[0]
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


def test_fork_only_where_one_thread_runs(monkeypatch):
    """A process with other threads (a notebook kernel's) starts its own interpreter instead: a fork
    could copy a lock another thread holds."""
    from auditlib import worker

    assert worker.can_fork()  # pytest's main thread alone
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        assert not worker.can_fork()
    finally:
        stop.set()
        t.join()


def test_closing_a_forked_worker_stops_it(demo_target, monkeypatch):
    """An audit that fails elsewhere closes its worker: the child is killed and reaped, no zombie."""
    from auditlib import worker

    def slow(*_a):
        time.sleep(60)

    monkeypatch.setattr(audit_mod, "_git_side", slow)
    job = worker.start({"target": demo_target, "history": True, "files": None, "now": NOW}, fork=True)
    assert isinstance(job, worker.ForkJob)
    pid = job.pid
    assert pid is not None
    with pytest.raises(TimeoutError):
        job.result(timeout=0.2)
    assert job.pid is None  # result() closes on any outcome
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped already


def test_a_refused_fork_starts_a_worker_of_its_own(demo_target, monkeypatch):
    """When the system refuses a fork (a process limit, memory), the git side still runs, in its own
    interpreter."""
    from auditlib import worker

    def refused():
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(worker.os, "fork", refused)
    job = worker.start({"target": demo_target, "history": True, "files": None, "now": NOW}, fork=True)
    try:
        assert isinstance(job, worker.Job)
    finally:
        job.close()


def test_a_forked_worker_dies_with_its_parent(tmp_path):
    """A scan killed with SIGKILL (no cleanup runs) leaves no forked worker behind."""
    import signal
    import subprocess
    import sys

    code = ("import time; from auditlib import worker; "
            "job = worker.ForkJob(lambda: time.sleep(60)); print(job.pid, flush=True); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        os.kill(child, 0)  # running
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _alive(child):
            time.sleep(0.05)
        assert not _alive(child), "the forked worker outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for whoever adopted it to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False
