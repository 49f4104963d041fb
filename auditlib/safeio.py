"""Writing the audit's outputs safely: atomic, owner-only, never over something that is not a file.

Every file auditlib writes (results.json, findings.sarif, answers.yaml, report.html, report.pdf,
executed notebooks) goes through :func:`atomic_write`: a temp file in the same folder, flushed and
fsynced, then renamed over the old one. A kill at any moment leaves the old or the new version,
never a torn file; a failed write (disk full) removes the temp file and keeps the old version.

Outputs hold a client's findings and are created owner-only (files 0600, folders 0700), whatever
the umask; a file that already exists keeps its mode (the user chose it).

A path that names something other than a regular file (a device, a FIFO, a socket, a folder, or a
symlink to one of those) is refused with one line: renaming over it would replace the node (as root,
a device in /dev). A symlink to a regular file is written through: the file it points at is replaced.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from .errors import OutputError

FILE_MODE = 0o600
DIR_MODE = 0o700

_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))


def _kind(mode: int) -> str | None:
    return next((name for test, name in _KINDS if test(mode)), None) if not stat.S_ISREG(mode) else None


def output_path(path: Path | str) -> Path:
    """The regular file to write for ``path``; OutputError when it names anything else.

    Symlinks are followed to the file they point at (a dangling one is written as a new file there).
    """
    path = Path(path)
    try:
        st = os.stat(path)  # follows symlinks
    except FileNotFoundError:
        if path.is_symlink():
            return Path(os.path.realpath(path))
        return path
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    kind = _kind(st.st_mode)
    if kind is not None:
        shown = f"{path} (a symlink to {os.path.realpath(path)})" if path.is_symlink() else str(path)
        raise OutputError(f"refusing to write {shown}: it is {kind}, not a regular file")
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def check_sibling_dir(path: Path | str) -> None:
    """Refuse a path whose folder is not a real folder we may create files in (e.g. under /dev)."""
    parent = Path(path).parent
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"cannot write {path}: {parent} is not a directory")


def make_dir(path: Path | str) -> Path:
    """Create ``path`` (and parents) owner-only; an existing folder is left as it is."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} exists and is not a directory")
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    except FileExistsError:
        raise OutputError(f"{path} exists and is not a directory") from None
    except OSError as exc:
        raise OutputError(f"cannot create {path}: {exc.strerror or exc}") from None
    return path


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return FILE_MODE


def _describe(exc: OSError, path: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"no space left on the device writing {path}; the previous version is kept"
    if exc.errno == errno.EDQUOT:
        return f"disk quota exceeded writing {path}; the previous version is kept"
    return f"cannot write {path}: {exc.strerror or exc}"


def atomic_write(path: Path | str, writer: Callable[[IO[bytes]], None] | bytes | str) -> Path:
    """Write ``path`` atomically and owner-only; ``writer`` is the content or a function of a binary file.

    Returns the path written (a symlink's target). OutputError (one line) on any failure; the
    previous version of the file, if any, is left untouched.
    """
    target = output_path(path)
    with _staged(target, ".tmp") as tmp, os.fdopen(os.open(tmp, os.O_WRONLY | os.O_TRUNC), "wb") as fh:
        if callable(writer):
            writer(fh)
        else:
            fh.write(writer.encode("utf-8") if isinstance(writer, str) else writer)
    return target


@contextlib.contextmanager
def staged(path: Path | str) -> Iterator[Path]:
    """A temp path beside ``path`` for a tool that writes a file itself (Chromium's PDF, papermill's
    notebook); on success it is fsynced and renamed over ``path``, on failure removed."""
    target = output_path(path)
    with _staged(target, target.suffix or ".tmp") as tmp:
        yield tmp


@contextlib.contextmanager
def _staged(target: Path, suffix: str) -> Iterator[Path]:
    """The temp file beside ``target``: created owner-only, then fsynced, given ``target``'s mode and
    renamed over it (and the rename made durable); removed on any failure (OutputError for an OS error)."""
    make_dir(target.parent)
    mode = _mode_for(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}-", suffix=suffix, dir=target.parent)
    except OSError as exc:
        raise OutputError(_describe(exc, target)) from None
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise OutputError(_describe(exc, target)) from None
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable
        dfd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def remove_stale_temps(output: Path) -> list[Path]:
    """Remove the temp files a killed export of ``output`` left beside it (safeio's names,
    ``.<name>-XXXXXXXX.tmp`` or ``.<name>-XXXXXXXX<suffix>``); return what was removed.

    Only regular files with exactly those names are touched: never another output, never another
    file's temp (e.g. answers.yaml's, which the workbook may be writing). Call it only where no other
    writer of ``output`` can be running (the answers save holds its lock; two exports of the same
    output at once in one folder are not supported).
    """
    real = Path(os.path.realpath(output))
    suffixes = {".tmp", real.suffix} if real.suffix else {".tmp"}
    name = re.compile(re.escape(f".{real.name}-") + r"[a-z0-9_]{8}(?:"
                      + "|".join(re.escape(s) for s in sorted(suffixes)) + r")\Z")
    removed: list[Path] = []
    try:
        entries = list(os.scandir(real.parent))
    except OSError:
        return removed
    for entry in entries:
        if name.match(entry.name) and entry.is_file(follow_symlinks=False):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass
    return removed
