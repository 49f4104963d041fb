"""Resolve an audit target: a local git repository, or a git URL cloned into a cache folder.

A clone never runs the target's code: no checkout hooks (git runs none from a remote), no
submodules, no LFS smudge, symlinks checked out as plain files, and the safe git environment of
auditlib.collect.files applied.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

from .collect.files import safe_git_env
from .errors import TargetError

_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.I)


def default_cache_dir() -> Path:
    """Where URL targets are cloned (``AUDITLIB_CACHE`` overrides)."""
    base = os.environ.get("AUDITLIB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "auditlib")
    return Path(base) / "clones"


def is_url(source: str) -> bool:
    """Whether ``source`` names a remote repository rather than a local path."""
    return bool(_URL.match(source))


def _repo_name(source: str) -> str:
    tail = source.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return re.sub(r"\.git$", "", tail) or "target"


def clone(url: str, cache_dir: Path, timeout: float = 900) -> Path:
    """Clone ``url`` (full history, no submodules) into the cache, replacing an older clone."""
    if url.startswith("ext::") or "::" in url.split("/")[0]:
        raise TargetError(f"refusing git transport in {url!r}")
    dest = cache_dir / f"{_repo_name(url)}-{hashlib.sha1(url.encode()).hexdigest()[:8]}"
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **safe_git_env()}
    cmd = ["git", "-c", "core.symlinks=false", "-c", "protocol.allow=user", "-c", "protocol.ext.allow=never",
           "clone", "--quiet", "--no-recurse-submodules", "--", url, str(tmp)]
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        shutil.rmtree(tmp, ignore_errors=True)
        raise TargetError(f"cloning {url} took longer than {timeout:.0f} s") from None
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        msg = next((ln for ln in proc.stderr.splitlines() if ln.strip()), "git clone failed")
        raise TargetError(f"cannot clone {url}: {msg.removeprefix('fatal: ')}")
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def resolve_target(source: str, *, offline: bool = False, cache_dir: Path | None = None) -> Path:
    """The local repository to audit for ``source``; raises TargetError with a one-line reason."""
    if is_url(source):
        if offline:
            raise TargetError(f"{source} is a URL and --offline forbids network access; clone it first")
        return clone(source, cache_dir or default_cache_dir())
    path = Path(source).expanduser()
    if not path.exists():
        raise TargetError(f"{source}: no such directory")
    if not path.is_dir():
        raise TargetError(f"{source}: not a directory")
    path = path.resolve()
    if not (path / ".git").exists():
        raise TargetError(f"{source}: not a git repository (no .git at its top level)")
    return path
