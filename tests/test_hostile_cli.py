"""Issue 7: hostile targets and bad command-line input handled by the CLI, the worker and the clone.

Each test reproduces one defect of the hostile-input campaign; it failed before the fix.
"""

from __future__ import annotations

import importlib
import json
import os
import stat
import subprocess
import time
from pathlib import Path

import pytest

from auditlib.cli import main
from tests.gitrepo import basic_auth_git_server, git, make_repo

audit_mod = importlib.import_module("auditlib.audit")




# ------------------------------------------------------------------------------ 2. target code runs
def test_worker_never_imports_the_targets_own_auditlib_package(tmp_path, monkeypatch, capsys):
    marker = tmp_path / "PWNED"
    payload = f"open({str(marker)!r}, 'w').write('ran')\n"
    target = make_repo(tmp_path / "target", {"auditlib/__init__.py": payload, "auditlib/worker.py": payload,
                                             "app.py": "print('hello')\n"})
    monkeypatch.setattr(audit_mod, "PARALLEL_MIN_COMMITS", 1)  # the second process starts for any history
    monkeypatch.chdir(target)  # `auditlib scan .` started inside the target
    out = tmp_path / "out" / "results.json"
    assert main(["scan", ".", "--json", str(out), "--offline"]) == 0
    err = capsys.readouterr().err
    assert "history and secrets in a second process" in err
    assert "second process failed" not in err  # the worker ran auditlib's code, not the target's
    assert not marker.exists()


def test_worker_environment_drops_relative_python_path_entries(monkeypatch):
    from auditlib import worker

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["", ".", "src", "/opt/lib"]))
    monkeypatch.setenv("PYTHONSTARTUP", "/tmp/startup.py")
    env = worker.worker_env()
    assert env["PYTHONPATH"] == "/opt/lib" and "PYTHONSTARTUP" not in env
    assert worker.worker_command("job")[1] == "-P"


# ------------------------------------------------------------------ 3 and 11. output paths that are not files
@pytest.fixture
def small_target(tmp_path):
    return make_repo(tmp_path / "small", {"app.py": "import os\nprint(os.getcwd())\n"})


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.strip() and not ln.startswith("[auditlib]")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def test_json_to_a_character_device_is_refused_and_the_device_kept(small_target, tmp_path, capsys):
    link = tmp_path / "out" / "link.json"
    link.parent.mkdir()
    link.symlink_to("/dev/null")
    for path in ("/dev/null", str(link)):
        assert main(["scan", str(small_target), "--json", path, "--offline", "-q"]) == 2
        line = one_error_line(capsys.readouterr().err)
        assert "character device" in line and "refusing" in line
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert link.is_symlink() and not (tmp_path / "out" / "findings.sarif").exists()
    assert not Path("/dev/findings.sarif").exists()


def test_json_beside_a_fifo_named_findings_sarif_is_refused(small_target, tmp_path, capsys):
    os.mkfifo(tmp_path / "findings.sarif")
    assert main(["scan", str(small_target), "--json", str(tmp_path / "r.json"), "--offline", "-q"]) == 2
    assert "FIFO" in one_error_line(capsys.readouterr().err)
    assert stat.S_ISFIFO(os.lstat(tmp_path / "findings.sarif").st_mode) and not (tmp_path / "r.json").exists()


def test_json_through_a_symlink_to_a_regular_file_writes_that_file(small_target, tmp_path):
    real = tmp_path / "real" / "results.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    assert main(["scan", str(small_target), "--json", str(link), "--offline", "-q"]) == 0
    assert link.is_symlink() and json.loads(real.read_text())["schema"] == "auditlib.results/1"
    assert (real.parent / "findings.sarif").exists()


def test_json_naming_a_directory_is_one_line_and_leaves_no_temp_file(small_target, tmp_path, capsys):
    d = tmp_path / "dir"
    d.mkdir()
    assert main(["scan", str(small_target), "--json", str(d), "--offline", "-q"]) == 2
    assert "directory" in one_error_line(capsys.readouterr().err)
    assert list(d.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["dir", "small"]


def test_audit_out_naming_a_file_is_one_line(small_target, tmp_path, capsys):
    f = tmp_path / "file"
    f.write_text("keep me")
    assert main(["audit", str(small_target), "--out", str(f), "--offline", "-q", "--no-pdf"]) == 2
    assert "not a directory" in one_error_line(capsys.readouterr().err)
    assert f.read_text() == "keep me"


def test_binary_answers_file_is_one_line_and_exit_2(small_target, tmp_path, capsys):
    bad = tmp_path / "answers.yaml"
    bad.write_bytes(bytes(range(256)) * 8)
    assert main(["scan", str(small_target), "--json", str(tmp_path / "r.json"), "--offline", "-q",
                 "--answers", str(bad)]) == 2
    assert "not a UTF-8 text file" in one_error_line(capsys.readouterr().err)


def test_answers_that_is_a_fifo_is_refused_without_hanging(small_target, tmp_path, capsys):
    fifo = tmp_path / "answers.yaml"
    os.mkfifo(fifo)
    assert main(["scan", str(small_target), "--json", str(tmp_path / "r.json"), "--offline", "-q",
                 "--answers", str(fifo)]) == 2
    assert "not a regular file" in one_error_line(capsys.readouterr().err)


def test_write_error_keeps_the_previous_results_and_says_so(small_target, tmp_path, capsys, monkeypatch):
    import errno

    import auditlib.safeio as safeio

    out = tmp_path / "results.json"
    out.write_text("previous")

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(safeio.os, "fsync", full)
    assert main(["scan", str(small_target), "--json", str(out), "--offline", "-q"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "no space left" in line and "previous version is kept" in line
    assert out.read_text() == "previous" and sorted(p.name for p in tmp_path.iterdir()) == ["results.json", "small"]


# ------------------------------------------------------------------------------- 14. owner-only outputs
def test_outputs_are_owner_only_whatever_the_umask(small_target, tmp_path):
    old = os.umask(0o022)
    try:
        out = tmp_path / "new" / "deeper" / "results.json"
        assert main(["scan", str(small_target), "--json", str(out), "--offline", "-q"]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE((out.parent / "findings.sarif").stat().st_mode) == 0o600
    assert stat.S_IMODE(out.parent.stat().st_mode) == 0o700


def test_answers_save_is_owner_only_and_keeps_a_chosen_mode(tmp_path):
    from auditlib.answers import Answers, save_answers

    path = tmp_path / "answers.yaml"
    save_answers(Answers(auditor="J"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o640)
    save_answers(Answers(auditor="K"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and "K" in path.read_text()


# ------------------------------------------------------------------------ 4. credentials in a URL target
TOKEN = "tok" + "en" + "Zq7VbN3xK9wLp2Rt"  # built at run time: not a secret, never committed as one


@pytest.fixture
def auth_server(tmp_path):
    """A dumb-HTTP git server on loopback that wants Basic auth user:TOKEN; yields its base URL."""

    src = make_repo(tmp_path / "src", {"app.py": "print('hi')\n", "README.md": "hello\n"})
    served = tmp_path / "served"
    served.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(served / "repo.git")], check=True)
    git(served / "repo.git", "update-server-info")
    server = basic_auth_git_server(served, "user", TOKEN)
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _all_text_under(*roots: Path) -> str:
    out = []
    for root in roots:
        for p in root.rglob("*"):
            if p.is_file() and not p.is_symlink():
                out.append(p.read_bytes().decode("utf-8", "replace"))
    return "\n".join(out)


def test_url_credentials_are_used_for_the_clone_and_never_stored(auth_server, tmp_path, monkeypatch, capsys):
    from auditlib.targets import default_cache_dir

    monkeypatch.setenv("AUDITLIB_CACHE", str(tmp_path / "cache"))
    url = auth_server.replace("http://", f"http://user:{TOKEN}@") + "/repo.git"
    out = tmp_path / "out" / "results.json"
    assert main(["scan", url, "--json", str(out)]) == 0
    err = capsys.readouterr().err
    data = json.loads(out.read_text())
    assert data["target"]["source"] == auth_server + "/repo.git" and data["target"]["name"] == "repo"
    assert data["facts"]["inventory"]["files"] == 2  # the clone really worked with the credentials
    clone = next(default_cache_dir().iterdir())
    assert TOKEN not in (clone / ".git" / "config").read_text()
    assert TOKEN not in _all_text_under(tmp_path / "out", clone / ".git") and TOKEN not in err
    assert stat.S_IMODE(clone.stat().st_mode) == 0o700
    assert stat.S_IMODE((clone / ".git" / "config").stat().st_mode) & 0o077 == 0


def test_wrong_credentials_give_one_line_without_the_token(auth_server, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUDITLIB_CACHE", str(tmp_path / "cache"))
    url = auth_server.replace("http://", f"http://user:{TOKEN}x@") + "/repo.git"
    assert main(["scan", url, "--json", str(tmp_path / "r.json"), "-q"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "cannot clone" in line and TOKEN not in line
    assert not (tmp_path / "r.json").exists()


def test_unreachable_url_error_line_has_no_token(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUDITLIB_CACHE", str(tmp_path / "cache"))
    assert main(["scan", f"http://user:{TOKEN}@127.0.0.1:9/repo.git", "--json", str(tmp_path / "r.json"), "-q"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "cannot clone http://127.0.0.1:9/repo.git" in line and TOKEN not in line


def test_audit_notebooks_and_report_carry_no_url_credentials(tmp_path, monkeypatch):
    """The workbook and report parameters get the URL without its credentials (no Jupyter run needed)."""
    from auditlib.targets import display_source, split_credentials

    url = f"https://user:{TOKEN}@example.com/acme/repo.git?x=1"
    assert display_source(url) == "https://example.com/acme/repo.git?x=1"
    clean, creds = split_credentials(url)
    assert creds is not None and creds.password == TOKEN and TOKEN not in repr(creds)
    assert split_credentials("git@github.com:acme/repo.git") == ("git@github.com:acme/repo.git", None)
    assert display_source("https://user:p%40ss@[::1]:8443/r.git") == "https://[::1]:8443/r.git"
    assert TOKEN not in display_source(f"https://user:{TOKEN}@host:notaport/r.git")
    from auditlib.workbook import prepare_workspace

    nb = prepare_workspace(tmp_path / "clone", tmp_path / "ws", source=display_source(url))
    assert TOKEN not in nb.read_text()


# --------------------------------------------------------------------------- 7. clone disk bomb, cache
def test_clone_checks_out_no_blob_the_audit_would_not_read(tmp_path, monkeypatch):
    from auditlib.collect.files import MAX_TEXT_BYTES
    from auditlib.targets import clone, clone_note

    src = tmp_path / "bomb"
    src.mkdir()
    git(src, "init", "-q")
    big = b"\0" * (MAX_TEXT_BYTES + 1)  # compresses to almost nothing in the pack
    for i in range(10):
        (src / f"copy{i}.bin").write_bytes(big)
    (src / "app.py").write_text("print('hi')\n")
    git(src, "add", "-A")
    git(src, "commit", "-q", "-m", "bomb")
    dest = clone(src.as_uri(), tmp_path / "cache")
    on_disk = sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())
    assert on_disk < MAX_TEXT_BYTES  # was 10 x 2 MB checked out
    assert (dest / "app.py").read_text() == "print('hi')\n" and not (dest / "copy0.bin").exists()
    note = clone_note(dest)
    assert note["left_out_count"] == 10 and note["left_out_bytes"] == 10 * len(big)
    status = subprocess.run(["git", "status", "--porcelain"], cwd=dest, capture_output=True, text=True).stdout
    assert status == ""  # left-out files are not "deleted" (no dirty-tree note)
    from auditlib.collect.files import list_files
    from auditlib.collect.inventory import collect_inventory

    inventory = collect_inventory(list_files(dest))
    assert sorted(o.path for o in inventory.oversize) == [f"copy{i}.bin" for i in range(10)]
    assert any("bounded clone" in limit for limit in inventory.limits)


def test_clone_respects_the_total_checkout_budget(tmp_path, monkeypatch):
    import auditlib.targets as targets

    src = make_repo(tmp_path / "many", {f"f{i}.txt": "x" * 1000 for i in range(20)})
    monkeypatch.setattr(targets, "CLONE_MAX_BYTES", 5_500)
    dest = targets.clone(src.as_uri(), tmp_path / "cache")
    assert len(list(dest.glob("f*.txt"))) == 5 and targets.clone_note(dest)["left_out_count"] == 15


def test_cache_is_bounded_by_age_and_size_and_cleaned_on_request(tmp_path, monkeypatch, capsys):
    from auditlib.targets import cache_entries, clone, prune_cache

    monkeypatch.setenv("AUDITLIB_CACHE", str(tmp_path / "cache"))
    cache = tmp_path / "cache" / "clones"
    a = clone(make_repo(tmp_path / "a", {"a.py": "a = 1\n"}).as_uri(), cache)
    b = clone(make_repo(tmp_path / "b", {"b.py": "b = 1\n"}).as_uri(), cache)
    old = time.time() - 30 * 86400
    os.utime(a, (old, old))
    assert [e.path for e in prune_cache(cache)] == [a]  # older than 14 days
    assert [e.path for e in cache_entries(cache)] == [b]
    c = clone(make_repo(tmp_path / "c", {"c.py": "c = 1\n"}).as_uri(), cache)
    os.utime(b, (old + 86400 * 20, old + 86400 * 20))
    assert [e.path for e in prune_cache(cache, max_bytes=1)] == [b, c]
    clone(make_repo(tmp_path / "d", {"d.py": "d = 1\n"}).as_uri(), cache)
    assert main(["cache", "list"]) == 0
    assert "1 clone(s)" in capsys.readouterr().out
    assert main(["cache", "clean"]) == 0
    assert cache_entries(cache) == []


@pytest.mark.slow
def test_audit_with_out_inside_the_target_never_imports_its_code(tmp_path, monkeypatch):
    """`auditlib audit . --out .` inside a target that ships its own auditlib/ and ipykernel_launcher.py."""
    marker = tmp_path / "PWNED"
    payload = f"open({str(marker)!r}, 'a').write('ran')\n"
    target = make_repo(tmp_path / "target", {"auditlib/__init__.py": payload, "auditlib/worker.py": payload,
                                             "ipykernel_launcher.py": payload, "sitecustomize.py": payload,
                                             "app.py": "print('hello')\n"})
    monkeypatch.chdir(target)
    assert main(["audit", ".", "--out", ".", "--offline", "--no-pdf", "-q"]) == 0
    assert not marker.exists()
    assert json.loads((target / "results.json").read_text())["schema"] == "auditlib.results/1"


@pytest.mark.skipif(os.geteuid() != 0, reason="chown to another user needs root")
def test_repository_of_another_user_is_refused_with_what_to_do(small_target, tmp_path, capsys):
    for dirpath, dirs, files in os.walk(small_target):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(dirpath, name), 65534, 65534)
    os.lchown(small_target, 65534, 65534)
    assert main(["scan", str(small_target), "--json", str(tmp_path / "r.json"), "--offline", "-q"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "belongs to another user" in line and "safe.directory" in line


def test_report_cover_says_a_broken_head_is_broken_not_empty(demo_scan):
    from auditlib.report import commit_label

    history = demo_scan.facts.history.model_copy(update={"damaged": "HEAD points to a missing commit",
                                                         "head": None})
    facts = demo_scan.facts.model_copy(update={"history": history})
    broken = demo_scan.model_copy(update={"facts": facts,
                                          "target": demo_scan.target.model_copy(update={"commit": None})})
    assert commit_label(broken) == "unknown: HEAD points to a missing commit"
    assert commit_label(demo_scan).startswith(demo_scan.target.commit[:12])


# ------------------------------------------- found by benchmarks/hostile_campaign.py after the fixes above
def test_file_names_that_are_not_utf8_do_not_stop_the_scan(tmp_path):
    repo = tmp_path / "names"
    repo.mkdir()
    git(repo, "init", "-q")
    for raw in (b"bad\xff\xfe.py", b"latin1_caf\xe9.py", b"surrogate\xed\xa0\x80.py"):
        (repo / os.fsdecode(raw)).write_bytes(b"import os\nKEY = os.environ['K']\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "names")
    out = tmp_path / "r.json"
    assert main(["scan", str(repo), "--json", str(out), "--offline", "-q"]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["facts"]["inventory"]["files"] == 3


@pytest.mark.parametrize("where", ["target", "json"])
def test_a_path_too_long_is_one_line_and_exit_2(small_target, tmp_path, capsys, where):
    long = str(tmp_path / ("x" * 300) / ("y" * 5000))
    args = ["scan", long if where == "target" else str(small_target), "--json",
            long if where == "json" else str(tmp_path / "r.json"), "--offline", "-q"]
    assert main(args) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "too long" in line and len(line) < 300


def test_json_in_a_folder_nothing_can_be_created_in_fails_before_the_scan(small_target, capsys):
    assert main(["scan", str(small_target), "--json", "/proc/self/results.json", "--offline"]) == 2
    err = capsys.readouterr().err
    assert "cannot write in /proc/self" in one_error_line(err) and "collect:" not in err


def test_an_auditors_git_dir_in_the_environment_does_not_redirect_the_audit(small_target, tmp_path, monkeypatch):
    other = make_repo(tmp_path / "other", {"other.py": "x = 1\n", "more.py": "y = 2\n"})
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    out = tmp_path / "r.json"
    assert main(["scan", str(small_target), "--json", str(out), "--offline", "-q"]) == 0
    assert json.loads(out.read_text())["facts"]["inventory"]["files"] == 1  # app.py of the target only
    assert "GIT_DIR" not in os.environ


def test_out_inside_a_file_is_exit_2(small_target, tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert main(["audit", str(small_target), "--out", str(tmp_path / "file" / "sub"), "--offline", "-q"]) == 2
    assert "is not a directory" in one_error_line(capsys.readouterr().err)


def test_a_newline_in_a_target_name_stays_on_the_error_line(tmp_path, capsys):
    assert main(["scan", str(tmp_path / "no\nsuch"), "--json", str(tmp_path / "r.json"), "-q"]) == 2
    assert "no\\nsuch: no such directory" in one_error_line(capsys.readouterr().err)
