"""auditlib batch: the targets file, names, progress, resume, isolation of failures, SIGKILL.

The target that exceeds its timeout is made slow without any hook in auditlib: the test puts a
``sitecustomize.py`` on PYTHONPATH (absolute entries reach the audit process and the kernels) that
sleeps when the job file the audit process is started with names a target containing
``slow-target`` (``process`` mode), and, in a Jupyter kernel (the batch's kept kernel, ``kernel``
mode, or papermill's), when a cell naming such a target is compiled (the parameters cell). Nothing
else is delayed, so the timeout is deterministic and the other targets are unaffected.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditlib import batch
from auditlib.batch import BatchFileError, Job, Progress, load_targets, plan_jobs
from auditlib.cli import main
from auditlib.errors import TargetError

from .gitrepo import git, make_repo

APP = "import os\n\n\ndef handler(event):\n    return {'ok': True, 'region': os.environ.get('REGION')}\n"
BAD_ANSWERS = "checklist:\n  product.staged_rollout: exception\n"  # an exception without its reason

SLOW_SITECUSTOMIZE = '''import sys, time
if len(sys.argv) > 1 and sys.argv[-1].endswith("job.json"):
    try:
        _text = open(sys.argv[-1], encoding="utf-8").read()
    except OSError:
        _text = ""
    if "slow-target" in _text:
        time.sleep(600)
elif "JPY_PARENT_PID" in __import__("os").environ:  # a Jupyter kernel
    def _slow(event, args, _sleep=time.sleep):
        if event == "compile" and args and isinstance(args[0], (str, bytes)) and (
                ("slow-target" if isinstance(args[0], str) else b"slow-target") in args[0]):
            _sleep(600)
    sys.addaudithook(_slow)
'''


def _repo(path: Path) -> Path:
    return make_repo(path, {"app.py": APP, "README.md": "# tiny\n"})


def _slow_env(tmp_path: Path) -> dict[str, str]:
    hook = tmp_path / "slowhook"
    hook.mkdir(exist_ok=True)
    (hook / "sitecustomize.py").write_text(SLOW_SITECUSTOMIZE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(hook), os.environ.get("PYTHONPATH")]))}
    env["AUDITLIB_CACHE"] = str(tmp_path / "cache")
    return env


def _batch_cli(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "auditlib", "batch", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=timeout)


def _records(out: Path) -> dict[str, dict]:
    data = json.loads((out / "batch.json").read_text())
    assert data["schema"] == "auditlib.batch/1"
    return {r["name"]: r for r in data["targets"]}


# ------------------------------------------------------------------------------- targets file
def test_yaml_targets_file(tmp_path):
    f = tmp_path / "targets.yaml"
    (tmp_path / "answers").mkdir()
    f.write_text("defaults: {client: Acme, auditor: J. Doe, offline: true, vuln_db: null, pdf: false}\n"
                 "targets:\n"
                 "  - target: repos/bot\n    name: support-bot\n    answers: answers/bot.yaml\n    ref: main\n"
                 "  - target: https://user:tok@example.com/acme/bot.git\n"
                 "  - target: repos/other/bot\n")
    jobs = plan_jobs(load_targets(f), f, tmp_path / "out")
    assert [j.name for j in jobs] == ["support-bot", "bot", "bot-2"]
    first = jobs[0]
    assert first.source == str(tmp_path / "repos/bot") and first.ref == "main"
    assert first.answers == str(tmp_path / "answers/bot.yaml")
    assert first.client == "Acme" and first.offline is True and first.pdf is False
    assert first.out_dir == str((tmp_path / "out" / "support-bot").resolve())
    # the token stays in the job's source (git needs it) and nowhere that is shown or stored
    assert "tok" in jobs[1].source and "tok" not in jobs[1].shown and jobs[1].shown.startswith("https://")


def test_plain_text_targets_file(tmp_path):
    f = tmp_path / "targets.txt"
    f.write_text("# the portfolio\n\n/srv/repos/alpha\n  git@github.com:acme/beta.git  \n/srv/other/alpha/\n")
    jobs = plan_jobs(load_targets(f), f, tmp_path / "out")
    assert [(j.name, j.source) for j in jobs] == [("alpha", "/srv/repos/alpha"),
                                                   ("beta", "git@github.com:acme/beta.git"),
                                                   ("alpha-2", "/srv/other/alpha")]
    assert all(j.pdf and not j.offline for j in jobs)


def test_flags_override_defaults_and_ref_names(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("targets:\n  - {target: r, ref: v1.0}\n  - {target: r, ref: feature/x}\n  - {target: r, timeout: 5}\n")
    jobs = plan_jobs(load_targets(f), f, tmp_path / "o", offline=True, pdf=False, timeout=60)
    assert [j.name for j in jobs] == ["r-v1.0", "r-feature_x", "r"]
    assert all(j.offline and not j.pdf for j in jobs)
    assert [j.timeout for j in jobs] == [60, 60, 5]  # a target's own timeout wins


@pytest.mark.parametrize("text,suffix,expected", [
    ("targets:\n  - name: x\n", ".yaml", "targets[0].target: Field required"),
    ("targets:\n  - target: a\n    colour: red\n", ".yaml", "targets[0].colour: Extra inputs are not permitted"),
    ("defaults: {pdf: maybe}\ntargets: [{target: a}]\n", ".yaml", "defaults.pdf: Input should be a valid boolean"),
    ("targets:\n  - {target: a, name: ../escape}\n", ".yaml", "targets[0].name: '../escape' is not a usable folder name"),
    ("targets:\n  - {target: a, name: batch.json}\n", ".yaml", "is not a usable folder name"),
    ("targets:\n  - {target: a, ref: --upload-pack=x}\n", ".yaml", "is not a branch, tag or commit name"),
    ("targets:\n  - {target: a, name: x}\n  - {target: b, name: X}\n", ".yaml", "targets[1].name: 'X' is also the name of targets[0]"),
    ("targets: []\n", ".yaml", "targets: List should have at least 1 item"),
    ("targets:\n  - target: a\n  bad: [\n", ".yaml", "line 3: not valid YAML"),
    ("- a\n- b\n", ".yaml", "top level: expected a mapping"),
    ("# nothing here\n\n", ".txt", "no targets"),
    ("defaults: {vuln_db: nowhere}\ntargets: [{target: a}]\n", ".yaml", "defaults.vuln_db: nowhere is not a directory"),
])
def test_bad_targets_file_is_one_line_and_exit_2(tmp_path, capsys, text, suffix, expected):
    f = tmp_path / f"targets{suffix}"
    f.write_text(text)
    code = main(["batch", str(f), "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("auditlib: error:") and str(f) in lines[0], err
    assert expected in lines[0], lines[0]
    assert not (tmp_path / "out" / "batch.json").exists()


def test_missing_or_binary_targets_file(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "no such file" in capsys.readouterr().err
    (tmp_path / "bin.yaml").write_bytes(b"\xff\xfe\x00targets")
    assert main(["batch", str(tmp_path / "bin.yaml"), "--out", str(tmp_path / "o"), "-q"]) == 2
    assert "not a UTF-8 text file" in capsys.readouterr().err
    with pytest.raises(BatchFileError, match="control character"):
        (tmp_path / "c.txt").write_text("a\x1bb\n")
        load_targets(tmp_path / "c.txt")


# ------------------------------------------------------------------------------------ progress
def _rec(name, status, seconds=10.0, error=None):
    return {"name": name, "status": status, "seconds": seconds, "error": error}


def test_progress_plain_lines_when_not_a_terminal():
    s = io.StringIO()
    p = Progress(total=4, workers=2, stream=s, tty=False)
    p.update(_rec("a", "done", 20))
    p.update(_rec("b", "skipped", 0))
    p.update(_rec("c", "failed", 10, "c: no such directory"))
    lines = s.getvalue().splitlines()
    assert lines[0] == "[batch] 1/4  done 1  failed 0  skipped 0  remaining 3  ETA 30s  a: done (20 s)"
    assert lines[1].startswith("[batch] 2/4  done 1  failed 0  skipped 1  remaining 2") and "b: skipped" in lines[1]
    # mean 15 s per audited target, one left, one worker busy with it
    assert lines[2] == ("[batch] 3/4  done 1  failed 1  skipped 1  remaining 1  ETA 15s  "
                        "c: failed (10 s): c: no such directory")
    assert "\r" not in s.getvalue()


def test_progress_bar_updates_one_line_on_a_terminal():
    s = io.StringIO()
    p = Progress(total=2, workers=2, stream=s, tty=True)
    p.update(_rec("a", "done"))
    assert "\n" not in s.getvalue() and s.getvalue().startswith("\r\033[K[##########..........] 1/2")
    p.update(_rec("b", "failed", error="boom"))
    text = s.getvalue()
    assert "b: failed (10 s): boom\n" in text  # a failure stays on screen
    assert text.endswith("\n") and "[####################] 2/2" in text


# ------------------------------------------------------------------------- resume decisions
def _fake_audit(job: Job, commit: str | None, pdf: bool = False) -> None:
    out = Path(job.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps({"schema": "auditlib.results/1",
                                                  "target": {"commit": commit, "audited_at": "2026-11-01T00:00:00"}}))
    time.sleep(0.01)
    for name in ["workbook.ipynb", "report.ipynb", "report.html"] + (["report.pdf"] if pdf else []):
        (out / name).write_text("x")


def test_resume_skips_only_complete_audits_at_the_same_commit(tmp_path, monkeypatch):
    repo = _repo(tmp_path / "repo")
    ran = []
    monkeypatch.setattr(batch, "run_target", lambda job, on_start=None: ran.append(job["name"]) or {"status": "ran"})
    job = Job(name="repo", source=str(repo), shown=str(repo), out_dir=str(tmp_path / "out" / "repo"), pdf=False)
    head = git(repo, "rev-parse", "HEAD").strip()

    assert batch.check_or_run(vars(job) | {}, force=False)["status"] == "ran"  # nothing audited yet
    _fake_audit(job, head)
    rec = batch.check_or_run(vars(job) | {}, force=False)
    assert rec["status"] == "skipped" and rec["commit"] == head and rec["error"] is None
    assert batch.check_or_run(vars(job) | {}, force=True)["status"] == "ran"  # --force
    pdf_job = Job(**(vars(job) | {"pdf": True}))
    assert batch.check_or_run(vars(pdf_job), force=False)["status"] == "ran"  # the PDF was not made then
    os.utime(Path(job.out_dir) / "report.html", (0, 0))  # older than results.json: an interrupted export
    assert batch.check_or_run(vars(job), force=False)["status"] == "ran"
    _fake_audit(job, head)
    (repo / "new.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "moved")
    assert batch.check_or_run(vars(job), force=False)["status"] == "ran"  # the commit moved
    _fake_audit(job, None)  # a damaged repository's audit has no commit: always redone
    assert batch.check_or_run(vars(job), force=False)["status"] == "ran"
    (Path(job.out_dir) / "results.json").write_text('{"schema": "auditlib.results/1", "tar')  # torn
    assert batch.check_or_run(vars(job), force=False)["status"] == "ran"
    assert len(ran) == 7


def test_current_commit_of_a_url_and_of_a_ref(tmp_path):
    repo = _repo(tmp_path / "repo")
    git(repo, "tag", "-a", "v1", "-m", "v1")
    v1 = git(repo, "rev-parse", "v1^{commit}").strip()
    (repo / "b.py").write_text("b = 2\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "two")
    head = git(repo, "rev-parse", "HEAD").strip()
    url = repo.as_uri()
    mk = lambda **kw: Job(**({"name": "r", "source": url, "shown": url, "out_dir": str(tmp_path / "o")} | kw))
    assert batch.current_commit(mk()) == head
    assert batch.current_commit(mk(ref="v1")) == v1  # an annotated tag: the commit it points at
    assert batch.current_commit(mk(offline=True)) is None
    assert batch.current_commit(mk(source=str(repo), ref="v1")) == v1
    assert batch.current_commit(mk(source=str(tmp_path / "nowhere"))) is None


def test_ref_of_a_local_repository_is_a_private_clone(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITLIB_CACHE", str(tmp_path / "cache"))
    repo = _repo(tmp_path / "repo")
    git(repo, "tag", "v1")
    (repo / "app.py").write_text("changed = True\n")
    git(repo, "commit", "-qam", "later")
    (repo / "app.py").write_text("uncommitted = True\n")  # the user's work in progress
    before = {p: (repo / ".git" / p).read_bytes() for p in ("HEAD", "config", "index")}
    job = Job(name="r", source=str(repo), shown=str(repo), out_dir=str(tmp_path / "o"), ref="v1")
    copy = batch.prepare_target(job, timeout=60)
    assert copy.is_relative_to(tmp_path / "cache" / "clones" / "at-ref")
    assert (copy / "app.py").read_text() == APP
    assert git(copy, "rev-parse", "HEAD").strip() == git(repo, "rev-parse", "v1").strip()
    assert {p: (repo / ".git" / p).read_bytes() for p in before} == before
    assert (repo / "app.py").read_text() == "uncommitted = True\n"
    assert not (repo / ".git" / "worktrees").exists()
    with pytest.raises(TargetError, match="no branch, tag"):
        batch.prepare_target(Job(**(vars(job) | {"ref": "nope"})), timeout=60)


def test_batch_json_lists_pending_targets_and_is_replaced_whole(tmp_path):
    jobs = [Job(name=n, source=n, shown=n, out_dir=str(tmp_path / n)) for n in ("a", "b")]
    meta = {"targets_file": "t.yaml", "started_at": "x", "options": {}}
    batch.write_batch_json(tmp_path, jobs, {}, meta)
    data = json.loads((tmp_path / "batch.json").read_text())
    assert data["targets"] == [] and [p["name"] for p in data["pending"]] == ["a", "b"]
    rec = {"name": "a", "source": "a", "ref": None, "status": "done", "seconds": 1.0, "commit": "c" * 40,
           "error": None, "notebook": None}
    batch.write_batch_json(tmp_path, jobs, {"a": rec}, meta)
    data = json.loads((tmp_path / "batch.json").read_text())
    assert data["targets"] == [rec] and [p["name"] for p in data["pending"]] == ["b"]
    assert data["summary"] == {"done": 1, "failed": 0, "skipped": 0, "pending": 1, "total": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["batch.json"]  # no temp file left beside it


# -------------------------------------------------------------- failures without any notebook
def test_timeout_and_bad_targets_fail_fast_and_exit_1(tmp_path):
    env = _slow_env(tmp_path)
    slow = _repo(tmp_path / "slow-target")
    f = tmp_path / "t.txt"
    f.write_text(f"{slow}\n{tmp_path / 'missing'}\n{(tmp_path / 'nowhere.git').as_uri()}\n")
    start = time.monotonic()
    proc = _batch_cli(f, "--out", tmp_path / "out", "--timeout", "4", "--workers", "2", "--no-pdf", env=env)
    assert proc.returncode == 1, proc.stderr
    assert time.monotonic() - start < 60
    recs = _records(tmp_path / "out")
    assert recs["slow-target"]["status"] == "failed"
    assert recs["slow-target"]["error"].startswith("timed out after 4 s (--timeout)")
    assert 4 <= recs["slow-target"]["seconds"] < 30
    assert recs["missing"]["error"].endswith("missing: no such directory")
    assert recs["nowhere"]["status"] == "failed" and "cannot clone" in recs["nowhere"]["error"]
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("[batch] ") == 3 and "remaining 0" in proc.stderr


# ------------------------------------------------------------------------------ end to end
@pytest.mark.slow
def test_batch_finishes_despite_failures(tmp_path):
    env = _slow_env(tmp_path)
    good = _repo(tmp_path / "good")
    broken = _repo(tmp_path / "broken")
    (broken / ".git" / "HEAD").write_text("garbage\n")
    (tmp_path / "bad-answers.yaml").write_text(BAD_ANSWERS)
    _repo(tmp_path / "slow-target")
    f = tmp_path / "targets.yaml"
    f.write_text("defaults: {client: Acme, offline: true}\n"
                 "targets:\n"
                 "  - target: good\n"
                 "  - target: broken\n"
                 "  - target: missing\n"
                 "  - {target: good, name: good-bad-answers, answers: bad-answers.yaml}\n"
                 "  - {target: slow-target, timeout: 5}\n")
    out = tmp_path / "audits"
    proc = _batch_cli(f, "--out", out, "--workers", "2", "--no-pdf", env=env)
    assert proc.returncode == 1, proc.stderr
    recs = _records(out)
    assert set(recs) == {"good", "broken", "missing", "good-bad-answers", "slow-target"}
    head = git(good, "rev-parse", "HEAD").strip()
    assert recs["good"]["status"] == "done" and recs["good"]["commit"] == head and recs["good"]["error"] is None
    results = json.loads((out / "good" / "results.json").read_text())
    assert results["schema"] == "auditlib.results/1" and results["target"]["source"] == str(good)
    assert results["target"]["client"] == "Acme"
    assert (out / "good" / "report.html").exists() and not (out / "good" / "report.pdf").exists()
    # a damaged repository goes through the pipeline like `auditlib audit`: audited, the damage named,
    # no commit (so it is redone on every run)
    assert recs["broken"]["status"] == "done" and recs["broken"]["commit"] is None
    damaged = json.loads((out / "broken" / "results.json").read_text())
    assert "damaged" in damaged["facts"]["history"]["reason"]
    assert recs["missing"]["status"] == "failed" and "no such directory" in recs["missing"]["error"]
    nb = recs["good-bad-answers"]
    assert nb["status"] == "failed" and "workbook.ipynb failed in cell" in nb["error"]
    assert nb["notebook"] == str((out / "good-bad-answers" / "workbook.ipynb").resolve())
    assert json.loads(Path(nb["notebook"]).read_text())["cells"]  # the partial notebook is kept
    assert recs["slow-target"]["status"] == "failed" and "timed out after 5 s" in recs["slow-target"]["error"]
    data = json.loads((out / "batch.json").read_text())
    assert data["summary"] == {"done": 2, "failed": 3, "skipped": 0, "pending": 0, "total": 5}
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_resume_after_sigkill_then_force(tmp_path):
    env = _slow_env(tmp_path)
    (tmp_path / "tmp").mkdir()
    env["TMPDIR"] = str(tmp_path / "tmp")  # the work folders the killed batch leaves, seen here
    a, b = _repo(tmp_path / "alpha"), _repo(tmp_path / "beta")
    f = tmp_path / "targets.txt"
    f.write_text(f"{a}\n{b}\n")
    out = tmp_path / "audits"
    cmd = [sys.executable, "-m", "auditlib", "batch", str(f), "--out", str(out), "--workers", "1", "--no-pdf",
           "--offline"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            try:
                if any(r["status"] == "done" for r in _records(out).values()):
                    break
            except (OSError, ValueError):
                pass
            assert proc.poll() is None, "the batch ended before it could be killed"
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    data = json.loads((out / "batch.json").read_text())  # parses: never torn
    assert [(r["name"], r["status"]) for r in data["targets"]] == [("alpha", "done")]
    assert [p["name"] for p in data["pending"]] == ["beta"]
    assert not list(out.glob(".batch.json-*"))
    time.sleep(2)  # beta's audit process died with the batch (PR_SET_PDEATHSIG): nothing more is written
    assert not (out / "beta" / "results.json").exists()
    alpha_results = (out / "alpha" / "results.json").read_bytes()
    left = list((tmp_path / "tmp").glob(f"auditlib-*-{proc.pid}-*"))
    assert left  # the killed batch's work folder (its kernel's, or a target's job file): SIGKILL leaves it

    again = _batch_cli(f, "--out", out, "--workers", "1", "--no-pdf", "--offline", env=env)
    assert again.returncode == 0, again.stderr
    assert not any(p.exists() for p in left)  # the next batch swept the killed one's work folder
    recs = _records(out)
    assert recs["alpha"]["status"] == "skipped" and recs["beta"]["status"] == "done"
    assert (out / "alpha" / "results.json").read_bytes() == alpha_results  # kept, not redone

    forced = _batch_cli(f, "--out", out, "--workers", "2", "--no-pdf", "--offline", "--force", env=env)
    assert forced.returncode == 0, forced.stderr
    recs = _records(out)
    assert recs["alpha"]["status"] == "done" and recs["beta"]["status"] == "done"
    assert (out / "alpha" / "results.json").read_bytes() != alpha_results  # audited again (a new audited_at)
