"""The git layer: every git process that reads the audited repository starts here (issue 8, item 3).

One way to run git for every collector: the safe environment (the target's configuration cannot
name a program for git to run, nothing is fetched, no repository is looked for above the target,
messages in English), short commands that never raise (:func:`run_git`), streamed output with an
early stop and a drained stderr (:func:`stream_git`), blobs through one ``cat-file --batch``
(:func:`read_blobs`) or one bounded ``cat-file blob`` (:func:`read_blob`), and one answer to "is
this a shallow or a partial clone?" (:func:`is_shallow`, :func:`is_partial_clone`).

GitPython stays for what it does well and cheaply: opening the repository and reading refs, config
and single objects (:func:`open_repo`, with this environment applied). Long outputs (``git log``,
``rev-list``, ``cat-file --batch``) are streamed here instead, because GitPython buffers a
command's whole output in memory and cannot stop git early.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import git


def git_command(*args: str) -> list[str]:
    """The command line of one git invocation (GitPython's choice of executable, if it has one)."""
    return [git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git", *args]


# git must never run a program named by the target's own configuration.
SAFE_GIT_CONFIG = {
    "core.fsmonitor": "false",
    "core.hooksPath": os.devnull,
    "diff.external": "",
    "core.sshCommand": "false",
    "protocol.ext.allow": "never",
    "filter.lfs.smudge": "",
    "filter.lfs.process": "",
    "filter.lfs.required": "false",
    "log.showSignature": "false",
    "gpg.program": "false",
}


def safe_git_env() -> dict[str, str]:
    """Environment variables that pin the git settings above for every git process we start."""
    env = {"GIT_CONFIG_COUNT": str(len(SAFE_GIT_CONFIG)), "GIT_TERMINAL_PROMPT": "0",
           "GIT_LFS_SKIP_SMUDGE": "1", "GIT_OPTIONAL_LOCKS": "0"}
    for i, (key, value) in enumerate(SAFE_GIT_CONFIG.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


GIT_LOCATION_VARIABLES = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                          "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE",
                          "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM")


def drop_git_location_env() -> list[str]:
    """Remove from this process's environment the variables that tell git which repository to read
    (an auditor's shell may hold a ``GIT_DIR`` from other work): every git process must read the
    target. Returns the names removed."""
    removed = [name for name in GIT_LOCATION_VARIABLES if name in os.environ]
    for name in removed:
        del os.environ[name]
    return removed


def no_fetch_env() -> dict[str, str]:
    """Environment variables that keep git off the network while it reads the target.

    A partial clone (``--filter=blob:none``) fetches a missing object from its promisor remote the
    moment a command needs it, and the target's own ``.git/config`` names that remote (it may point
    anywhere). ``GIT_NO_LAZY_FETCH`` turns lazy fetching off (git 2.44+, and the 2.39.4+ security
    releases); ``GIT_ALLOW_PROTOCOL`` set to nothing refuses every transport on older git, and it
    overrides any ``protocol.<name>.allow`` in the target's configuration. Not for cloning.
    """
    return {"GIT_NO_LAZY_FETCH": "1", "GIT_ALLOW_PROTOCOL": ""}


def no_discovery_env(root: Path) -> dict[str, str]:
    """Keep git from looking above ``root`` for a repository.

    A target whose ``.git`` git does not recognise (a garbage HEAD, say) would otherwise be taken
    for part of whatever repository holds it (the auditor's own workspace), and that one audited.
    """
    return {"GIT_CEILING_DIRECTORIES": str(Path(root).resolve().parent)}


@contextlib.contextmanager
def open_repo(root: Path) -> Iterator[git.Repo]:
    """Open ``root`` as a git repository with the safe, offline environment applied (closed on exit)."""
    with git.Repo(root) as repo:
        repo.git.update_environment(**safe_git_env(), **no_fetch_env(), **no_discovery_env(root))
        yield repo


GIT_TIMEOUT = 120
"""Seconds any one of the short git commands below may take."""


def git_env(root: Path) -> dict[str, str]:
    """The environment of every git process that reads a target: its configuration neutralised, no
    network, no repository looked for above ``root``, and git's messages in English (they are read)."""
    return {**os.environ, "LC_ALL": "C", "LANGUAGE": "C", **safe_git_env(), **no_fetch_env(),
            **no_discovery_env(root)}


def run_git(root: Path, *args: str, input: bytes | None = None,
            timeout: float = GIT_TIMEOUT) -> subprocess.CompletedProcess[Any]:
    """One git command in ``root`` with :func:`git_env` (output as bytes): the one way collectors
    and the clone run a short git command.

    Never raises: git missing, or a command over ``timeout``, comes back as a failed process.
    """
    cmd = git_command(*args)
    try:
        return subprocess.run(cmd, cwd=root, env=git_env(root), input=input,
                              stdin=None if input is not None else subprocess.DEVNULL,
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, -1, b"", f"git {args[0]} took over {timeout:g} s".encode())
    except OSError as exc:
        return subprocess.CompletedProcess(cmd, -1, b"", f"cannot run git: {exc}".encode())


def git_one_line(stderr: bytes | str) -> str:
    """git's complaint on one line: ``fatal:``/``error:`` prefixes dropped, lines joined, bounded."""
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    parts = []
    for line in stderr.splitlines():
        line = line.strip()
        for prefix in ("fatal:", "error:", "warning:"):
            if line.startswith(prefix):
                line = line[len(prefix):].strip()
        if line and line not in parts:
            parts.append(line)
    text = " ".join(parts)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return (text[:200] + "...") if len(text) > 200 else text or "git failed"


def describe_git_error(exc: Exception) -> str:
    """git's complaint in a failed GitPython or subprocess call, on one line (see ``git_one_line``)."""
    stderr = getattr(exc, "stderr", None)
    if isinstance(stderr, str) and stderr.strip().startswith("stderr:"):
        stderr = stderr.strip()[len("stderr:"):].strip().strip("'")
    return git_one_line(stderr) if stderr else git_one_line(str(exc) or type(exc).__name__)



def read_blob(root: Path, blob: str, max_bytes: int) -> bytes | None:
    """Up to ``max_bytes + 1`` bytes of one blob of git's object store (no filter, no textconv)."""
    if not re.fullmatch(r"[0-9a-f]{40,64}", blob):
        return None
    try:
        proc = subprocess.Popen(git_command("cat-file", "blob", blob),
                                cwd=root, env=git_env(root), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL)
    except OSError:
        return None
    data = b""
    try:
        data = proc.stdout.read(max_bytes + 1)  # type: ignore[union-attr]
        if len(data) > max_bytes:  # oversize: the caller only needs to know that
            proc.kill()
        status = proc.wait(timeout=GIT_TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()  # type: ignore[union-attr]
    if status != 0 and len(data) <= max_bytes:  # a missing or unreadable blob
        return None
    return data




def git_error_text(stderr: bytes | str, status: int = 128) -> str:
    """git's complaint as one complete line (every line of it, prefixes dropped: ``describe_git_error``)."""
    return describe_git_error(subprocess.CalledProcessError(status, "git", stderr=stderr))


@dataclass
class GitRun:
    capped: bool
    """The consumer stopped early (a cap) and git was killed: not a failure."""
    status: int
    stderr: str

    @property
    def failed(self) -> bool:
        return self.status != 0 and not self.capped

    def error(self) -> str:
        return git_error_text(self.stderr, self.status)


def stream_git(root: Path, args: list[str], consume: Callable[[IO[bytes]], bool],
                stdin: Iterable[str] | None = None) -> GitRun:
    """Run git with ``args`` and feed its stdout to ``consume`` as it arrives; ``consume`` returns
    True to stop early (a cap), which kills git. ``stdin``: lines written to git's input (revisions
    for ``--stdin``) from a thread, so a long list never blocks on a full pipe."""
    proc = subprocess.Popen(git_command(*args), cwd=root, env=git_env(root), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE,
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL)
    writer = None
    if stdin is not None:
        data = "".join(f"{line}\n" for line in stdin).encode()

        def feed() -> None:
            try:
                proc.stdin.write(data)  # type: ignore[union-attr]
            except (OSError, ValueError):
                pass  # git stopped reading: its status says why
            finally:
                with contextlib.suppress(OSError, ValueError):
                    proc.stdin.close()  # type: ignore[union-attr]

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
    assert proc.stderr is not None  # stderr=PIPE
    _widen(proc.stdout)
    stderr_tail = StderrTail(proc.stderr)
    capped = False
    try:
        capped = consume(proc.stdout)  # type: ignore[arg-type]
        if capped:
            proc.kill()
        status = proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stderr_tail.join()
        if writer is not None:
            writer.join(timeout=5)
        proc.stdout.close()  # type: ignore[union-attr]
    return GitRun(capped, status, stderr_tail.text())


PIPE_BYTES = 1 << 20
"""The size asked for a git output pipe (Linux's default is 64 KiB): git then writes, and this
process reads, in larger pieces, with fewer switches between the two."""


def _widen(pipe: IO[bytes] | None) -> None:
    """Ask for a ``PIPE_BYTES`` pipe (Linux ``F_SETPIPE_SZ``); best effort, the default size works."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)
    if pipe is not None and setsize is not None:
        with contextlib.suppress(OSError):
            fcntl.fcntl(pipe.fileno(), setsize, PIPE_BYTES)


class StderrTail:
    """Drains a pipe in a thread (a chatty stderr must not block git) and keeps its last bytes."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._tail = b""
        self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._thread.start()

    def _run(self, stream: IO[bytes]) -> None:
        try:
            for chunk in iter(lambda: stream.read(65536), b""):
                self._tail = (self._tail + chunk)[-4096:]
        except (OSError, ValueError):
            pass

    def join(self) -> None:
        self._thread.join(timeout=5)

    def text(self) -> str:
        return self._tail.decode("utf-8", "replace")


def is_partial_clone(root: Path) -> bool:
    """A clone made with ``--filter`` (it names a promisor remote): some objects may be absent."""
    proc = run_git(root, "config", "--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$")
    if proc.returncode != 0:  # 1: none of these keys is set
        return False
    for line in proc.stdout.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(" ")
        value = value.strip().lower()
        if (key.lower() == "extensions.partialclone" and value) or value in {"true", "yes", "on", "1"}:
            return True
    return False


def is_shallow(root: Path) -> bool:
    """A shallow clone (``--depth``): the history stops before the first commit. When git cannot
    answer (an old git, a damaged repository), the presence of ``.git/shallow`` decides."""
    proc = run_git(root, "rev-parse", "--is-shallow-repository")
    answer = proc.stdout.strip() if proc.returncode == 0 else b""
    if answer in (b"true", b"false"):
        return answer == b"true"
    return (Path(root) / ".git" / "shallow").exists()


def read_blobs(root: Path, oids: list[bytes], max_bytes: int) -> Iterable[tuple[bytes, bytes | None, bool]]:
    """``(oid, content, absent)`` for each blob through one ``git cat-file --batch``; content None
    when the blob is too large or absent (``absent``: not in the object store)."""
    proc = subprocess.Popen(git_command("cat-file", "--batch"), cwd=root, env=git_env(root), stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stdin, stdout = proc.stdin, proc.stdout
    assert stdin is not None and stdout is not None

    def feed() -> None:
        try:
            for oid in oids:
                stdin.write(oid + b"\n")
            stdin.close()
        except (OSError, ValueError):
            pass  # git stopped reading: the reader below sees why

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    assert proc.stderr is not None  # stderr=PIPE
    _widen(proc.stdout)
    stderr_tail = StderrTail(proc.stderr)
    try:
        for _ in oids:
            header = stdout.readline()
            if not header:
                raise RuntimeError(f"git cat-file stopped: {git_error_text(stderr_tail.text(), 1)}")
            parts = header.split()
            if len(parts) < 3:  # "<oid> missing"
                yield (parts[0] if parts else b""), None, True
                continue
            size = int(parts[2])
            if size > max_bytes:  # not read as text in the tree either: skip it in chunks
                left = size + 1
                while left > 0:
                    chunk = stdout.read(min(left, 1 << 20))
                    if not chunk:
                        break
                    left -= len(chunk)
                yield parts[0], None, False
                continue
            data = stdout.read(size + 1)[:size]
            yield parts[0], data, False
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        writer.join(timeout=5)
        stderr_tail.join()
        stdout.close()
