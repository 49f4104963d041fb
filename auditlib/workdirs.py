"""Private work folders in the system temp folder, and the sweep of those a killed run left behind.

auditlib's short-lived work folders (a batch target's job file, which may carry a token; Chromium's
profile and the page it prints, which hold the client's report) are removed when their run ends. A run
killed with SIGKILL (a batch's ``--timeout``, an out-of-memory kill, a CI runner stopped) cannot remove
them, and they would pile up in /tmp with a client's data in them.

Each folder's name carries the process id of its owner: ``auditlib-<kind>-<pid>-<random>``. Whenever a
new one is made, the folders of the same kind whose owner process no longer exists are removed (only
those of the current user; a folder of a live process is never touched). Folders from versions before
the pid was in the name (``auditlib-<kind>-<random>``) are removed once they are a day old.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

OLD_AFTER_S = 24 * 3600
"""Age after which a folder without an owner pid in its name counts as left behind."""


def make(kind: str) -> str:
    """A new owner-only (0700) work folder ``auditlib-<kind>-<pid>-<random>``, after sweeping the
    left-behind folders of ``kind``."""
    sweep(kind)
    return tempfile.mkdtemp(prefix=f"auditlib-{kind}-{os.getpid()}-")


def temporary(kind: str) -> tempfile.TemporaryDirectory[str]:
    """Like :func:`make`, as a ``TemporaryDirectory`` (removed when the ``with`` block or the object ends)."""
    sweep(kind)
    return tempfile.TemporaryDirectory(prefix=f"auditlib-{kind}-{os.getpid()}-")


def sweep(kind: str, root: str | Path | None = None) -> list[Path]:
    """Remove the ``auditlib-<kind>-*`` folders of ``root`` (the temp folder) whose owner is gone;
    return them. Never raises: a folder that cannot be removed stays."""
    base = Path(root or tempfile.gettempdir())
    named = re.compile(rf"^auditlib-{re.escape(kind)}-(?:(\d+)-)?[\w]+$")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        m = named.match(entry.name)
        if m is None:
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not entry.is_dir(follow_symlinks=False) or st.st_uid != os.getuid():
            continue  # another user's folder, or not a folder (a symlink planted in /tmp): left alone
        pid = int(m.group(1)) if m.group(1) else None
        gone = not _alive(pid) if pid is not None else now - st.st_mtime > OLD_AFTER_S
        if gone:
            shutil.rmtree(entry.path, ignore_errors=True)
            if not os.path.exists(entry.path):
                removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: a process of another user holds that pid: alive
        return True
    with contextlib.suppress(OSError):  # a zombie (exited, not yet reaped) owns nothing any more
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    return True
