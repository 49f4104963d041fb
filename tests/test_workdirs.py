"""Work folders carry their owner's pid, and the folders of a run that was killed are swept."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

from auditlib import workdirs


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # reaped: no process has it (until the pid is reused, which takes a while)


def test_make_names_the_owner_and_is_private(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    path = workdirs.make("batch")
    try:
        assert os.path.basename(path).startswith(f"auditlib-batch-{os.getpid()}-")
        assert os.path.dirname(path) == str(tmp_path)
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    finally:
        os.rmdir(path)


def test_sweep_removes_only_folders_whose_owner_is_gone(tmp_path):
    dead = tmp_path / f"auditlib-batch-{_dead_pid()}-abc123"
    mine = tmp_path / f"auditlib-batch-{os.getpid()}-def456"
    parent = tmp_path / f"auditlib-batch-{os.getppid()}-ghi789"  # another live process
    other_kind = tmp_path / f"auditlib-chromium-{_dead_pid()}-xyz"
    for d in (dead, mine, parent, other_kind):
        d.mkdir()
        (d / "job.json").write_text("{}")
    removed = workdirs.sweep("batch", tmp_path)
    assert removed == [dead] and not dead.exists()
    assert mine.exists() and parent.exists() and other_kind.exists()
    assert workdirs.sweep("chromium", tmp_path) == [other_kind]


def test_sweep_removes_old_unnamed_folders_after_a_day(tmp_path):
    old, new = tmp_path / "auditlib-batch-k2o1x_9a", tmp_path / "auditlib-batch-p3q4r5s6"
    for d in (old, new):
        d.mkdir()
    day_ago = time.time() - workdirs.OLD_AFTER_S - 60
    os.utime(old, (day_ago, day_ago))
    assert workdirs.sweep("batch", tmp_path) == [old]
    assert new.exists()


def test_sweep_leaves_files_and_symlinks_alone(tmp_path):
    target = tmp_path / "keep"
    target.mkdir()
    (target / "precious").write_text("x")
    link = tmp_path / f"auditlib-batch-{_dead_pid()}-lnk"
    link.symlink_to(target)
    plain = tmp_path / f"auditlib-batch-{_dead_pid()}-file"
    plain.write_text("x")
    assert workdirs.sweep("batch", tmp_path) == []
    assert (target / "precious").exists() and link.is_symlink() and plain.exists()
