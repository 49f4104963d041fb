"""A second process for the git side of large audits (secrets, then history): ``python -m auditlib.worker``.

It reads a pickled job from the file named on its command line and writes the pickled result to
standard output. It runs as its own module (not through multiprocessing's spawn), so it never
re-imports the caller's ``__main__``: a notebook kernel, a script without a main guard or code
piped to Python stay safe.
Only auditlib's own objects cross the pipe, from a process auditlib itself started.

The worker is started isolated from the caller's folder: ``-P`` keeps the working directory off
``sys.path`` and the working directory is a private temp folder, so ``auditlib scan .`` run inside
a target that holds its own ``auditlib/`` package never imports (runs) the target's code.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import subprocess
import sys
import tempfile
from typing import Any

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
                self._err.seek(0)
                last = (self._err.read().decode("utf-8", "replace").strip().splitlines() or ["no output"])[-1]
                raise RuntimeError(f"worker exited {self.proc.returncode}: {last}")
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


def start(payload: dict[str, Any]) -> Job:
    """Start the worker on ``payload`` (``target``, ``history``, ``files``, ``now``); collect with Job.result()."""
    return Job(payload)


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
