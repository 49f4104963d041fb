"""Resolve an audit target: a local git repository, or a git URL cloned into a cache folder.

A clone never runs the target's code: no checkout hooks (git runs none from a remote), no
submodules, no LFS smudge, symlinks checked out as plain files, and the safe git environment of
auditlib.collect.files applied.

Hostile URLs and repositories (issue 7):

- Credentials in a URL (``https://user:TOKEN@host/repo.git``) are split off before anything else:
  git gets them only for the clone, through a one-shot credential helper that reads them from its
  environment (never from its command line or ``.git/config``); every name, path, message and
  cache key uses the URL without them.
- The checkout is bounded: the repository is cloned without a checkout, then only blobs up to
  ``MAX_TEXT_BYTES`` (the size the inventory would not read anyway) are written, up to
  ``CLONE_MAX_BYTES`` in all and ``CLONE_MAX_FILES`` files. What was left out is recorded in
  ``.git/auditlib-clone.json`` and reported by the inventory.
- The cache is bounded: clones are owner-only (0700), older than ``AUDITLIB_CACHE_MAX_DAYS`` (14)
  are removed, and the oldest go first when the cache outgrows ``AUDITLIB_CACHE_MAX_BYTES`` (5 GB);
  ``auditlib cache clean`` empties it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .collect.files import MAX_TEXT_BYTES
from .collect.gitio import git_command, run_git, safe_git_env
from .errors import TargetError
from .masking import redact_url_password
from .safeio import make_dir

_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|[\w.-]+@[\w.-]+:)", re.I)



def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


CLONE_MAX_BYTES = _env_int("AUDITLIB_CLONE_MAX_BYTES", 2_000_000_000)
"""At most this many bytes of files are written by the checkout of a clone."""
CLONE_MAX_FILES = _env_int("AUDITLIB_CLONE_MAX_FILES", 200_000)
"""At most this many files are written by the checkout of a clone."""
CLONE_NOTE = "auditlib-clone.json"
"""Inside a clone's .git folder: what the bounded checkout left out."""


def default_cache_dir() -> Path:
    """Where URL targets are cloned (``AUDITLIB_CACHE`` overrides)."""
    base = os.environ.get("AUDITLIB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "auditlib")
    return Path(base) / "clones"


def is_url(source: str) -> bool:
    """Whether ``source`` names a remote repository rather than a local path."""
    return bool(_URL.match(source))


# ------------------------------------------------------------------------------------- credentials
@dataclass(frozen=True)
class Credentials:
    username: str
    password: str

    def __repr__(self) -> str:  # never shown, not even in a traceback's locals
        return "Credentials(<hidden>)"


def split_credentials(source: str) -> tuple[str, Credentials | None]:
    """``source`` without any ``user:password@`` part, and the credentials it carried.

    A user name alone (``ssh://git@host/x``, ``git@host:x``) is not a secret and is kept.
    """
    if not re.match(r"^[a-z][a-z0-9+.-]*://", source, re.I):
        return source, None
    try:
        parts = urlsplit(source)
        password = parts.password
        username = parts.username
        host = parts.hostname
        port = parts.port
    except ValueError:  # a malformed port or bracket: strip anything before '@' in the authority
        scheme, rest = source.split("://", 1)
        authority, sep, path = rest.partition("/")
        if "@" in authority:
            authority = authority.rsplit("@", 1)[1]
        return f"{scheme}://{authority}{sep}{path}", None
    if password is None:
        return source, None
    netloc = host or ""
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    if port is not None:
        netloc += f":{port}"
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    from urllib.parse import unquote

    return clean, Credentials(unquote(username or ""), unquote(password))


def display_source(source: str) -> str:
    """The target as shown and stored anywhere: a URL without its credentials."""
    return redact_url_password(split_credentials(source)[0]) if is_url(source) else source


_HELPER = ('!f() { test "$1" = get || exit 0; '
           'printf "username=%s\\npassword=%s\\n" "$AUDITLIB_GIT_USERNAME" "$AUDITLIB_GIT_PASSWORD"; }; f')


# ------------------------------------------------------------------------------------------- clone
def _repo_name(source: str) -> str:
    tail = source.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    name = re.sub(r"[^\w.-]", "_", re.sub(r"\.git$", "", tail))[:60].lstrip(".")
    return name or "target"


def _bounded_checkout(repo: Path, timeout: float) -> dict[str, Any]:
    """Check out HEAD's files, leaving out blobs over MAX_TEXT_BYTES and anything past the totals."""
    proc = run_git(repo, "ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD", timeout=timeout)
    if proc.returncode != 0:  # an empty repository or a broken HEAD: nothing to check out
        return {"checked_out": 0, "left_out": [], "reason": proc.stderr.decode("utf-8", "replace").strip()[:200]}
    keep: list[bytes] = []
    left_out: list[dict[Any, Any]] = []
    total = 0
    for record in proc.stdout.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        fields = meta.split()
        if len(fields) < 4 or fields[1] != b"blob":
            continue  # submodules (commit entries) are never fetched
        size = int(fields[3]) if fields[3].isdigit() else 0
        name = path.decode("utf-8", "surrogateescape")
        if size > MAX_TEXT_BYTES:
            left_out.append({"path": name, "size": size, "why": "larger than the files auditlib reads"})
        elif total + size > CLONE_MAX_BYTES or len(keep) >= CLONE_MAX_FILES:
            left_out.append({"path": name, "size": size, "why": "past the checkout's total size or file count"})
        else:
            keep.append(path)
            total += size
    # The index names every file of HEAD; the files left out are marked skip-worktree, so git
    # neither writes them nor reports them as deleted.
    steps: list[tuple[list[str], bytes | None]] = [(["read-tree", "HEAD"], None)]
    if left_out:
        steps.append((["update-index", "--skip-worktree", "-z", "--stdin"],
                      b"".join(d["path"].encode("utf-8", "surrogateescape") + b"\0" for d in left_out)))
    steps.append((["checkout-index", "--all", "--quiet"], None))
    for args, data in steps:
        step = run_git(repo, *args, input=data, timeout=timeout)
        if step.returncode != 0:
            msg = step.stderr.decode("utf-8", "replace").strip().splitlines()
            raise TargetError(f"cannot check out the clone: git {args[0]}: {(msg or ['failed'])[-1][:200]}")
    return {"checked_out": len(keep), "checked_out_bytes": total, "left_out": left_out[:1000],
            "left_out_count": len(left_out), "left_out_bytes": sum(d["size"] for d in left_out)}


def clone(url: str, cache_dir: Path, timeout: float = 900) -> Path:
    """Clone ``url`` (full history, no submodules, bounded checkout) into the cache, replacing an older clone."""
    from .collect.gitio import drop_git_location_env

    drop_git_location_env()  # a GIT_DIR of the auditor's shell would make git clone into it
    clean, creds = split_credentials(url)
    shown = redact_url_password(clean)
    if clean.startswith("ext::") or "::" in clean.split("/")[0]:
        raise TargetError(f"refusing git transport in {shown!r}")
    make_dir(cache_dir)
    prune_cache(cache_dir)
    dest = cache_dir / f"{_repo_name(clean)}-{hashlib.sha1(clean.encode()).hexdigest()[:8]}"
    tmp = dest.with_name(dest.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    env = {**os.environ, **safe_git_env()}
    config = ["-c", "core.symlinks=false", "-c", "protocol.allow=user", "-c", "protocol.ext.allow=never"]
    if creds is not None:
        # An empty value first clears the user's own helpers (a "store" helper would save the token).
        config += ["-c", "credential.helper=", "-c", f"credential.helper={_HELPER}"]
        env.update(AUDITLIB_GIT_USERNAME=creds.username, AUDITLIB_GIT_PASSWORD=creds.password)
    else:
        env.update(GIT_ASKPASS="true", SSH_ASKPASS="true")  # never prompt
    cmd = git_command(*config, "clone", "--quiet", "--no-checkout", "--no-recurse-submodules", "--", clean, str(tmp))
    started = time.monotonic()
    old = os.umask(0o077)  # the clone of a client's code is owner-only
    try:
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            shutil.rmtree(tmp, ignore_errors=True)
            raise TargetError(f"cloning {shown} took longer than {timeout:.0f} s") from None
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            msg = next((ln for ln in proc.stderr.splitlines() if ln.strip()), "git clone failed")
            msg = redact_url_password(msg.removeprefix("fatal: "))
            if creds is not None:
                msg = msg.replace(creds.password, "********")
            raise TargetError(f"cannot clone {shown}: {msg}")
        try:
            note = _bounded_checkout(tmp, max(30.0, timeout - (time.monotonic() - started)))
        except TargetError:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        (tmp / ".git" / CLONE_NOTE).write_text(json.dumps({"source": shown, **note}), encoding="utf-8")
    finally:
        os.umask(old)
    shutil.rmtree(dest, ignore_errors=True)
    tmp.rename(dest)
    return dest


def clone_note(root: Path) -> dict[str, Any] | None:
    """What the bounded checkout of a cached clone left out (None for a repository auditlib did not clone)."""
    try:
        data = json.loads((Path(root) / ".git" / CLONE_NOTE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# ------------------------------------------------------------------------------------------- cache
def _tree_size(path: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(path, followlinks=False):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


@dataclass(frozen=True)
class CacheEntry:
    path: Path
    size: int
    mtime: float


def cache_entries(cache_dir: Path | None = None) -> list[CacheEntry]:
    """The clones in the cache, oldest first."""
    cache_dir = cache_dir or default_cache_dir()
    if not cache_dir.is_dir():
        return []
    out = []
    for child in cache_dir.iterdir():
        if child.is_dir() and not child.is_symlink():
            out.append(CacheEntry(child, _tree_size(child), child.stat().st_mtime))
    return sorted(out, key=lambda e: e.mtime)


def prune_cache(cache_dir: Path | None = None, *, max_days: float | None = None, max_bytes: int | None = None,
                keep: Path | None = None) -> list[CacheEntry]:
    """Remove clones older than ``max_days`` and the oldest while the cache is over ``max_bytes``."""
    max_days = _env_int("AUDITLIB_CACHE_MAX_DAYS", 14) if max_days is None else max_days
    max_bytes = _env_int("AUDITLIB_CACHE_MAX_BYTES", 5_000_000_000) if max_bytes is None else max_bytes
    entries = cache_entries(cache_dir)
    now = time.time()
    removed = []
    total = sum(e.size for e in entries)
    for e in entries:
        if keep is not None and e.path == keep:
            continue
        stale_partial = e.path.name.endswith(".partial") and now - e.mtime > 3600  # an abandoned clone
        if now - e.mtime > max_days * 86400 or total > max_bytes or stale_partial:
            shutil.rmtree(e.path, ignore_errors=True)
            total -= e.size
            removed.append(e)
    return removed


# ------------------------------------------------------------------------------------------ target
def resolve_target(source: str, *, offline: bool = False, cache_dir: Path | None = None) -> Path:
    """The local repository to audit for ``source``; raises TargetError with a one-line reason."""
    if is_url(source):
        if offline:
            raise TargetError(f"{display_source(source)} is a URL and --offline forbids network access; "
                              "clone it first")
        return clone(source, cache_dir or default_cache_dir())
    shown = source if len(source) <= 120 else source[:60] + "…" + source[-40:]
    try:
        path = Path(source).expanduser()
        if not path.exists():
            raise TargetError(f"{shown}: no such directory")
        if not path.is_dir():
            raise TargetError(f"{shown}: not a directory")
        path = path.resolve()
        if not (path / ".git").exists():
            raise TargetError(f"{shown}: not a git repository (no .git at its top level)")
    except OSError as exc:  # a name too long, a loop of symlinks, no permission
        raise TargetError(f"{shown}: {exc.strerror or exc}") from None
    from .collect.files import NOT_OWNER, repository_problem

    problem = repository_problem(path)
    if problem and problem.startswith(NOT_OWNER):  # the auditor can lift this one; damage is audited and stated
        raise TargetError(f"{source}: {problem}")
    return path
