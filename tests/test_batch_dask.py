"""auditlib batch --scheduler: the same batch with each target a task of a real Dask cluster.

The cluster is a real ``dask scheduler`` and ``dask worker`` (with its nanny), each started as its
own process group on loopback, and stopped (and checked gone) when the test ends. The workers write
OUT/<name>/ themselves (OUT is shared: here, the same machine); the client writes batch.json.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import distributed  # noqa: F401 - a dependency of auditlib: missing, these tests fail (not skip)
import pytest

from auditlib import batch
from auditlib.batch import Job
from auditlib.cli import main

from .gitrepo import git
from .test_batch import _batch_cli, _records, _repo, _slow_env


# ----------------------------------------------------------------------------------- a cluster
class Cluster:
    """A ``dask scheduler`` and (optionally) a ``dask worker`` with ``nworkers`` processes."""

    def __init__(self, tmp: Path, env: dict[str, str], nworkers: int = 2, scheduler_env: dict | None = None) -> None:
        self.tmp, self.env, self.procs = tmp, env, []
        tmp.mkdir(parents=True, exist_ok=True)
        info = tmp / "scheduler.json"
        self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                  "--scheduler-file", str(info)], {**env, **(scheduler_env or {})})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError, ValueError, KeyError):
                self.address = json.loads(info.read_text())["address"]
                break
            assert self.procs[0].poll() is None, (tmp / "scheduler.log").read_text()
            time.sleep(0.1)
        else:
            raise AssertionError("the Dask scheduler did not start: " + (tmp / "scheduler.log").read_text())
        if nworkers:
            self._start("worker", ["worker", self.address, "--nworkers", str(nworkers), "--nthreads", "1",
                                   "--no-dashboard", "--host", "127.0.0.1", "--local-directory", str(tmp / "space")],
                        env)
            self.wait_for_workers(nworkers)

    def _start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        self.procs.append(subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log, stderr=log,
                                           stdin=subprocess.DEVNULL, env=env, start_new_session=True))
        log.close()

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=20, set_as_default=False)

    def wait_for_workers(self, n: int) -> None:
        with self.client() as c:
            c.wait_for_workers(n, timeout=60)

    def stop(self) -> None:
        """SIGTERM every process group (the nanny takes its workers down), SIGKILL what remains, and
        check that nothing of the cluster is left running."""
        for p in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        time.sleep(0.5)
        for p in self.procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
        groups = {p.pid for p in self.procs}
        deadline = time.monotonic() + 10
        while (left := _live_members(groups)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"Dask processes left running: {left}"  # the nanny's worker processes included


def _live_members(groups: set[int]) -> list[str]:
    """The processes (not zombies) whose process group is one of ``groups``: pid and command."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[2]) in groups and fields[0] not in ("Z", "X"):
            found.append(f"{stat.parent.name} {text[text.index('(') + 1:text.rindex(')')]}")
    return found


@pytest.fixture
def cluster_factory(tmp_path):
    made: list[Cluster] = []

    def make(**kw) -> Cluster:
        c = Cluster(tmp_path / f"dask{len(made)}", **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _comparable(out: Path) -> dict[str, dict]:
    """batch.json's records without the durations (they differ from run to run), with a partial
    notebook's path relative to the batch's OUT (a timed-out target keeps one in kernel mode)."""
    def same(k: str, v):
        return v.replace(str(out.resolve()), "OUT") if k == "notebook" and isinstance(v, str) else v

    return {n: {k: same(k, v) for k, v in r.items() if k != "seconds"} for n, r in _records(out).items()}


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


# ------------------------------------------------------------------------------ end to end
@pytest.mark.slow
def test_dask_batch_matches_the_local_pool(tmp_path, cluster_factory):
    env = _slow_env(tmp_path)  # a target named slow-target sleeps in its audit process
    alpha = _repo(tmp_path / "alpha")
    _repo(tmp_path / "slow-target")
    f = tmp_path / "targets.yaml"
    f.write_text("targets:\n  - target: alpha\n  - {target: slow-target, timeout: 6}\n  - target: missing\n")
    cluster = cluster_factory(env=env, nworkers=2)
    common = ("--no-pdf", "--offline")
    local_out, dask_out = tmp_path / "local", tmp_path / "dask"
    # both at once: the same three targets through the local pool and through the cluster
    local = subprocess.Popen([sys.executable, "-m", "auditlib", "batch", str(f), "--out", str(local_out),
                              "--workers", "2", *common], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    start = time.monotonic()
    remote = _batch_cli(f, "--out", dask_out, "--scheduler", cluster.address, *common, env=env, timeout=120)
    local_err = local.communicate(timeout=120)[1]
    assert time.monotonic() - start < 90
    assert local.returncode == 1, local_err
    assert remote.returncode == 1, remote.stderr
    assert "Traceback" not in remote.stderr and remote.stderr.count("[batch] ") == 3, remote.stderr
    assert "remaining 0" in remote.stderr

    recs = _comparable(dask_out)
    assert recs == _comparable(local_out)  # the same records: status, commit, error, notebook
    head = git(alpha, "rev-parse", "HEAD").strip()
    assert recs["alpha"]["status"] == "done" and recs["alpha"]["commit"] == head
    assert recs["missing"]["status"] == "failed" and recs["missing"]["error"].endswith("missing: no such directory")
    slow = recs["slow-target"]
    assert slow["status"] == "failed" and slow["error"].startswith("timed out after 6 s (--timeout)")
    assert 6 <= _records(dask_out)["slow-target"]["seconds"] < 40  # enforced on the worker

    # the worker wrote the same outputs where the client reads them
    assert _files(dask_out / "alpha") == _files(local_out / "alpha")
    assert {"results.json", "report.html", "workbook.ipynb", "report.ipynb", "audit.log"} <= _files(dask_out / "alpha")
    res_d = json.loads((dask_out / "alpha" / "results.json").read_text())
    res_l = json.loads((local_out / "alpha" / "results.json").read_text())
    assert res_d["target"]["commit"] == res_l["target"]["commit"] == head
    assert res_d["scorecard"] == res_l["scorecard"] and res_d["decision"] == res_l["decision"]
    data = json.loads((dask_out / "batch.json").read_text())
    assert data["options"]["scheduler"] == cluster.address and data["options"]["workers"] is None
    assert data["summary"] == {"done": 1, "failed": 2, "skipped": 0, "pending": 0, "total": 3}
    assert sorted(p.name for p in dask_out.iterdir()) == ["alpha", "batch.json", "missing", "slow-target"]  # marker gone

    # run again: the finished target is skipped, as with the local pool
    results_before = (dask_out / "alpha" / "results.json").read_bytes()
    again = _batch_cli(f, "--out", dask_out, "--scheduler", cluster.address, *common, env=env, timeout=60)
    assert again.returncode == 1, again.stderr
    recs = _records(dask_out)
    assert recs["alpha"]["status"] == "skipped" and recs["alpha"]["commit"] == head
    assert recs["slow-target"]["error"].startswith("timed out after 6 s")
    assert (dask_out / "alpha" / "results.json").read_bytes() == results_before


@pytest.mark.slow
def test_a_worker_that_dies_fails_its_target_not_the_batch(tmp_path, cluster_factory):
    env = _slow_env(tmp_path)
    _repo(tmp_path / "slow-target")
    f = tmp_path / "targets.txt"
    f.write_text(f"{tmp_path / 'slow-target'}\n")
    # no retry on another worker: the first death of the worker running the task fails it (KilledWorker)
    cluster = cluster_factory(env=env, nworkers=1, scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0"})
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "auditlib", "batch", str(f), "--out", str(out), "--scheduler",
                             cluster.address, "--no-pdf", "--offline"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / "slow-target" / "audit.log").exists():  # the audit process has started
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() else ""
            time.sleep(0.1)
        with cluster.client() as c:
            pids = c.run(os.getpid)
        assert len(pids) == 1
        os.kill(next(iter(pids.values())), signal.SIGKILL)  # the worker process, not its nanny
        err = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, err
    rec = _records(out)["slow-target"]
    assert rec["status"] == "failed" and rec["error"].startswith("the Dask workers running it died (KilledWorker")
    assert "Traceback" not in err and "\n" not in rec["error"]


@pytest.mark.slow
def test_a_lost_scheduler_fails_the_pending_targets_without_hanging(tmp_path, cluster_factory):
    env = _slow_env(tmp_path)
    _repo(tmp_path / "slow-target")
    f = tmp_path / "targets.txt"
    f.write_text(f"{tmp_path / 'slow-target'}\n{tmp_path / 'missing'}\n")
    cluster = cluster_factory(env=env, nworkers=1)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "auditlib", "batch", str(f), "--out", str(out), "--scheduler",
                             cluster.address, "--no-pdf", "--offline"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / "slow-target" / "audit.log").exists():
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.1)
        os.killpg(cluster.procs[0].pid, signal.SIGKILL)  # the scheduler
        err = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1, err
    recs = _records(out)
    lost = f"lost the connection to the Dask scheduler at {cluster.address}; the audit did not finish"
    assert recs["slow-target"] == {"name": "slow-target", "source": str(tmp_path / "slow-target"), "ref": None,
                                   "status": "failed", "seconds": 0.0, "commit": None, "error": lost,
                                   "notebook": None}
    assert recs["missing"]["status"] == "failed"  # finished before, or lost with the scheduler: recorded either way
    assert "Traceback" not in err and "ERROR" not in err, err


@pytest.mark.slow
def test_scheduler_without_workers_is_exit_2(tmp_path, cluster_factory, capsys, monkeypatch):
    cluster = cluster_factory(env=dict(os.environ), nworkers=0)
    monkeypatch.setattr(batch, "NO_WORKER_GRACE", 1.0)
    f = tmp_path / "t.txt"
    f.write_text(f"{tmp_path}\n")
    code = main(["batch", str(f), "--out", str(tmp_path / "out"), "--scheduler", cluster.address, "-q"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert lines == [f"auditlib: error: the Dask scheduler at {cluster.address} has no worker (waited 1 s)"]
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- without a cluster
def test_unreachable_scheduler_is_one_line_and_exit_2_before_anything_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(batch, "SCHEDULER_CONNECT_TIMEOUT", 1.0)
    f = tmp_path / "t.txt"
    f.write_text(f"{tmp_path}\n")
    address = f"tcp://127.0.0.1:{_free_port()}"
    code = main(["batch", str(f), "--out", str(tmp_path / "out"), "--scheduler", address])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert lines == [f"auditlib: error: cannot reach the Dask scheduler at {address}: no answer within 1 s"]
    assert not (tmp_path / "out").exists()
    code = main(["batch", str(f), "--out", str(tmp_path / "out"), "--scheduler", "nonsense"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1
    assert lines[0].startswith("auditlib: error: cannot reach the Dask scheduler at nonsense: ") and "port" in lines[0]


def test_bad_targets_file_is_refused_before_the_scheduler_is_asked(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(batch, "connect_scheduler", lambda *a, **k: pytest.fail("the scheduler was contacted"))
    f = tmp_path / "t.yaml"
    f.write_text("targets: []\n")
    assert main(["batch", str(f), "--out", str(tmp_path / "out"), "--scheduler", "tcp://127.0.0.1:1"]) == 2
    assert "targets: List should have at least 1 item" in capsys.readouterr().err


def test_task_refuses_an_output_folder_the_worker_does_not_share(tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(batch, "check_or_run", lambda job, force: ran.append((job["name"], force)) or {"status": "x"})
    job = vars(Job(name="r", source=str(tmp_path), shown=str(tmp_path), out_dir=str(tmp_path / "out" / "r")))
    mark = tmp_path / "out" / ".auditlib-batch-client-abc"
    rec = batch.run_shared(job, False, str(mark))  # the client's marker is not there: not the same folder
    assert rec["status"] == "failed" and rec["name"] == "r" and rec["commit"] is None and not ran
    assert rec["error"].startswith(f"{tmp_path / 'out'}: not the batch's output folder on the Dask worker at ")
    assert "shared with every worker at the same path" in rec["error"]
    mark.parent.mkdir()
    mark.write_text("x")
    assert batch.run_shared(job, True, str(mark)) == {"status": "x"} and ran == [("r", True)]
