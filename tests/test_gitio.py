"""The git layer (auditlib.collect.gitio): one way to run git on the target, one answer to "shallow?"
and "partial?" for every collector."""

from __future__ import annotations

from pathlib import Path

from auditlib.collect import gitio

from .gitrepo import git, make_repo


def test_run_git_never_raises(tmp_path: Path, monkeypatch) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    assert gitio.run_git(repo, "rev-parse", "HEAD").returncode == 0
    monkeypatch.setattr(gitio, "git_command", lambda *args: ["/nonexistent/git", *args])
    proc = gitio.run_git(repo, "status")
    assert proc.returncode == -1 and b"cannot run git" in proc.stderr


def test_the_targets_configuration_cannot_name_a_program(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    marker = tmp_path / "ran"
    git(repo, "config", "core.fsmonitor", f"touch {marker}; false")
    git(repo, "config", "core.hooksPath", str(tmp_path))
    assert gitio.run_git(repo, "status", "--porcelain").returncode == 0
    assert not marker.exists()


def test_stream_git_stops_early_and_keeps_stderr(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"a.txt": "a\n"})
    for i in range(30):
        (repo / "a.txt").write_text(f"{i}\n")
        git(repo, "commit", "-qam", f"c{i}")
    seen: list[bytes] = []

    def consume(out) -> bool:
        for line in out:
            seen.append(line)
            if len(seen) == 3:
                return True  # a cap: git is killed, not a failure
        return False

    run = gitio.stream_git(repo, ["log", "--format=%H"], consume)
    assert run.capped and not run.failed and len(seen) == 3
    bad = gitio.stream_git(repo, ["log", "no-such-ref", "--"], lambda out: False)
    assert bad.failed and "no-such-ref" in bad.error()


def test_shallow_and_partial_are_decided_in_one_place(tmp_path: Path) -> None:
    origin = make_repo(tmp_path / "origin", {"a.txt": "a\n"})
    (origin / "a.txt").write_text("b\n")
    git(origin, "commit", "-qam", "second")
    assert not gitio.is_shallow(origin) and not gitio.is_partial_clone(origin)
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{origin}", "shallow")
    assert gitio.is_shallow(tmp_path / "shallow")
    git(origin, "config", "uploadpack.allowFilter", "true")
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{origin}", "partial")
    assert gitio.is_partial_clone(tmp_path / "partial") and not gitio.is_shallow(tmp_path / "partial")
    # an empty extensions.partialclone value names no promisor: not a partial clone
    git(origin, "config", "extensions.partialclone", "")
    assert not gitio.is_partial_clone(origin)


def test_read_blobs_bounds_what_it_reads(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "r", {"small.txt": "hello\n", "big.txt": "x" * 5000})
    small = git(repo, "rev-parse", "HEAD:small.txt").strip().encode()
    big = git(repo, "rev-parse", "HEAD:big.txt").strip().encode()
    missing = b"0" * 40
    got = {oid: (data, absent) for oid, data, absent in gitio.read_blobs(repo, [small, big, missing], 1000)}
    assert got[small] == (b"hello\n", False)
    assert got[big] == (None, False)          # over the limit: skipped, not read
    assert got[missing] == (None, True)
    assert gitio.read_blob(repo, small.decode(), 100) == b"hello\n"
    assert gitio.read_blob(repo, "not-a-sha", 100) is None
