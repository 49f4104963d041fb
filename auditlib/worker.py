"""A second process for the git side of large audits (secrets, then history).

Two ways to start it, one result:

- **forked** (``ForkJob``), where that is safe: a Linux process running a single thread, such as
  ``auditlib scan``. The child inherits the modules already imported, so it starts at once (no
  second interpreter, no second import of auditlib: about 0.3 s of CPU on the side that is the
  longer one of a large audit), and imports nothing from the working directory.
- **its own interpreter** (``Job``), everywhere else (a notebook kernel runs threads; forking it
  could copy a lock held by another thread): ``python -m auditlib.worker JOB`` reads a pickled job
  from the file named on its command line and writes the pickled result to standard output. It
  runs as its own module (not through multiprocessing's spawn), so it never re-imports the
  caller's ``__main__``: a notebook kernel, a script without a main guard or code piped to Python
  stay safe. It is started isolated from the caller's folder: ``-P`` keeps the working directory
  off ``sys.path`` and the working directory is a private temp folder, so ``auditlib scan .`` run
  inside a target that holds its own ``auditlib/`` package never imports (runs) the target's code.

Only auditlib's own objects cross the pipe, from a process auditlib itself started.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from typing import IO, Any, Callable

from . import workdirs


class Job:
    """A running worker: its process, and the files of its job and of its error output."""

    def __init__(self, payload: dict[str, Any]) -> None:
        self._dir = workdirs.make("worker")  # owner-only, empty: a neutral cwd
        self._job = tempfile.NamedTemporaryFile(prefix="job-", suffix=".pickle", dir=self._dir, delete=False)
        with self._job:
            pickle.dump(payload, self._job)
        self._err = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(worker_command(self._job.name), cwd=self._dir, env=worker_env(),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._err)

    def result(self, timeout: float | None = None) -> Any:
        """The worker's result; RuntimeError with its last error line when it failed."""
        try:
            out, _ = self.proc.communicate(timeout=timeout)
            if self.proc.returncode != 0 or not out:
                raise RuntimeError(f"worker exited {self.proc.returncode}: {_last_line(self._err)}")
            return pickle.loads(out)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker if it still runs and remove its files."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._err.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._job.name)
        with contextlib.suppress(OSError):
            os.rmdir(self._dir)


class ForkJob:
    """A worker forked from this process (see the module's docstring): the same ``result`` and
    ``close`` as ``Job``. It runs ``fn()`` and sends back its pickled return value; ``yield_cpu``:
    at a lower priority than this process (``yield_to_caller``)."""

    def __init__(self, fn: Callable[[], Any], *, yield_cpu: bool = False) -> None:
        self._err = tempfile.TemporaryFile()
        read, write = os.pipe()
        parent, die_with_parent = os.getpid(), pdeathsig_hook()
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            self._err.close()
            raise
        if pid == 0:  # the child: never returns
            os.close(read)
            if die_with_parent is not None:
                die_with_parent()
            if os.getppid() != parent:  # the parent died before that: nobody waits for the result
                os._exit(1)
            _child(fn, write, self._err, yield_cpu)
        os.close(write)
        self.pid: int | None = pid
        self._read: int | None = read

    def result(self, timeout: float | None = None) -> Any:
        """The worker's result; RuntimeError with its last error line when it failed, TimeoutError
        after ``timeout`` seconds."""
        try:
            assert self._read is not None and self.pid is not None
            chunks = []
            deadline = None if timeout is None else time.monotonic() + timeout
            while True:
                if deadline is not None:
                    left = deadline - time.monotonic()
                    if left <= 0 or not select.select([self._read], [], [], left)[0]:
                        raise TimeoutError(f"worker still running after {timeout:g} s")
                chunk = os.read(self._read, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
            _, status = os.waitpid(self.pid, 0)
            self.pid = None
            code = os.waitstatus_to_exitcode(status)
            out = b"".join(chunks)
            if code != 0 or not out:
                raise RuntimeError(f"worker exited {code}: {_last_line(self._err)}")
            return pickle.loads(out)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker if it still runs and release its pipe and error file."""
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, 9)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = None
        if self._read is not None:
            os.close(self._read)
            self._read = None
        self._err.close()


def pdeathsig_hook() -> Callable[[], None] | None:
    """A function a child process calls first (between fork and exec, or at the start of a forked
    worker): Linux then kills it when the process that started it dies (``PR_SET_PDEATHSIG``), so a
    run killed with SIGKILL leaves no child running on. ctypes is looked up here, in the parent: the
    child imports nothing and takes no lock. None where there is no such thing (not Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def child() -> None:
        prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    return child


def _child(fn: Callable[[], Any], write: int, err: IO[bytes], yield_cpu: bool) -> None:
    """The forked worker's whole life: ``fn()``, its pickled result on ``write``, ``os._exit`` (no
    exit handlers, no flush of the parent's buffered output)."""
    code = 1
    try:
        os.dup2(err.fileno(), 2)  # git's complaints and ours go to the job's error file
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)  # the caller's standard output (results.json on ``--json -``) is not ours
        # Every other descriptor inherited from the caller is closed: a pipe to one of its git
        # processes held open here would keep that process from seeing its end of input.
        os.closerange(3, write)
        os.closerange(write + 1, max(write + 1, os.sysconf("SC_OPEN_MAX")))
        if yield_cpu:
            yield_to_caller()
        data = pickle.dumps(fn())
        with os.fdopen(write, "wb") as fh:
            fh.write(data)
        code = 0
    except BaseException:  # noqa: BLE001 - anything: say it on the error file, exit non-zero
        with contextlib.suppress(BaseException):
            os.write(2, traceback.format_exc().encode("utf-8", "replace"))
    finally:
        os._exit(code)


def _last_line(err: IO[bytes]) -> str:
    """The last line a failed worker wrote on its error file."""
    err.seek(0)
    return (err.read().decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]


def can_fork() -> bool:
    """Forking is safe here: Linux, and this process runs one thread (another thread could hold a
    lock, of the allocator or of logging, that the child would then wait on forever)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork") and threading.active_count() == 1


def fork_call(fn: Callable[[], Any], *, yield_cpu: bool = False) -> ForkJob | None:
    """``fn()`` in a forked child (``ForkJob``), or None where forking is not safe (``can_fork``) or the
    system refuses it (a process limit, no memory to commit): the caller then does the work itself."""
    if not can_fork():
        return None
    try:
        return ForkJob(fn, yield_cpu=yield_cpu)
    except OSError:
        return None


def worker_command(job: str) -> list[str]:
    """The worker's command line: ``-P`` (no script or working directory on ``sys.path``)."""
    return [sys.executable, "-P", "-m", "auditlib.worker", job]


def worker_env() -> dict[str, str]:
    """The caller's environment without ``PYTHONSTARTUP``-style hooks and with no relative entry on
    PYTHONPATH (an empty or relative entry would put the working directory back on ``sys.path``)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONSTARTUP", "PYTHONINSPECT")}
    if env.get("PYTHONPATH"):
        parts = [p for p in env["PYTHONPATH"].split(os.pathsep) if p and os.path.isabs(p)]
        env["PYTHONPATH"] = os.pathsep.join(parts)
        if not parts:
            del env["PYTHONPATH"]
    return env


def start(payload: dict[str, Any], *, fork: bool | None = None) -> Job | ForkJob:
    """Start the worker on ``payload`` (``target``, ``history``, ``files``, ``now``); collect with
    ``result()``. ``fork``: None forks where ``can_fork`` says it is safe; True or False forces a way."""
    if fork is False:
        return Job(payload)
    import importlib

    from .collect import history, secrets  # noqa: F401 - imported before the fork: the child imports nothing

    audit = importlib.import_module(".audit", __package__)  # the module (the package exports a function)

    def side() -> Any:
        return audit._git_side(payload["target"], payload["history"], payload["files"], payload["now"])

    if fork:  # forced (tests): a refused fork still falls back to a worker of its own
        try:
            return ForkJob(side, yield_cpu=True)
        except OSError:
            return Job(payload)
    return fork_call(side, yield_cpu=True) or Job(payload)


NICENESS = 5
"""How much lower the worker's CPU priority is than its caller's (git inherits it)."""


def yield_to_caller() -> None:
    """Lower this process's priority (and that of the git it starts) below the caller's.

    The caller's tree pass is one thread and the longer part of a large audit; this side runs two
    processes (git and the reader of its output). At equal priority three busy processes share two
    cores, two thirds of a core each, so the tree pass, the critical path, runs at two thirds of its
    speed. At a lower priority the side still has the other core to itself and the caller gets a whole
    one; once the caller is done, the side gets both. Measured on the 20,000-commit benchmark: 1.95x to
    2.14x git's time instead of 2.14x to 2.36x (README, Performance). Best effort: a system that
    refuses leaves the priority as it is."""
    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICENESS)


def main() -> None:
    """Run one job from standard input and write its result to standard output."""
    from .audit import _git_side

    with open(sys.argv[1], "rb") as fh:
        job = pickle.load(fh)
    yield_to_caller()
    result = _git_side(job["target"], job["history"], job["files"], job["now"])
    sys.stdout.buffer.write(pickle.dumps(result))
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
