"""One Jupyter kernel kept for many targets: the batch's default path (``auditlib batch``).

``auditlib audit`` starts a kernel for each notebook (papermill), and the kernel imports auditlib,
pandas, matplotlib... again each time; the first chart of a process pays matplotlib's first use.
A batch worker (a thread of the local pool, or a thread of a Dask worker) keeps a
:class:`KernelSlot` instead: one kernel, started once, warmed once (:func:`kernel_warm`), that
executes the workbook and the report notebook of every target it is given, through papermill's own
parameterisation and execution manager (``run.execute`` with a kept kernel: the executed notebooks
are those ``auditlib audit`` writes), and one Chromium (``printer.Printer``) for the PDFs.

**Isolation between targets.** Before each target the kernel is reset (:func:`kernel_reset`): the
user namespace, ``In``/``Out`` and the execution counter (IPython's ``reset(new_session=True)``),
every widget (so the widget state saved in a notebook is that target's), matplotlib's figures and
rcParams, the warning filters and "once" registries, the working folder, ``os.environ`` and
``sys.path`` are put back as they were after the warm-up; and auditlib's own module-level state
is emptied: every ``functools`` cache of an auditlib module except those in :data:`KEEP_CACHES`
(pure functions of their arguments, or of auditlib's own knowledge files), and the module-level
state of :data:`CLEARED_STATE` (the git blobs of the last listed repository, the widgets' shared
layouts, the workbook's current session). Nothing else of auditlib holds state at module level
(:data:`KEPT_STATE` lists what does and why it may stay; ``tests/test_batch_kernel.py`` fails when
a new module-level cache or global appears that is in none of these lists).

**Failures.** The per-target ``--timeout`` is a deadline: a timer kills the kernel's process group
at it (its git workers with it); the notebook under way fails (nbclient sees the kernel die), its
partial notebook is kept as ``<notebook>.partial.ipynb``, and the next target gets a new kernel. A
kernel that dies (a crash, out of memory) fails its target the same way. When a kernel cannot be
started the target runs the old way, in its own process (papermill); after two such failures in a
row the slot gives up (``broken``) and every later target of that worker does.

The kernel runs with the batch's environment (``worker.worker_env``), in an empty private folder
(ipykernel puts its working folder first on ``sys.path``), and dies with the thread that started
it (``PR_SET_PDEATHSIG``; ipykernel also exits when its parent process is gone).
"""

from __future__ import annotations

import contextlib
import contextvars
import gc
import os
import queue
import shutil
import signal
import sys
import tempfile
import threading
import time
import warnings
from typing import Any, Callable, Iterator

from . import workdirs

START_TIMEOUT = 60.0
"""Seconds for a kernel to start and answer."""
WARM_TIMEOUT = 120.0
"""Seconds for the warm-up (imports and the first chart) in a new kernel."""
RESET_TIMEOUT = 60.0
"""Seconds for the reset between two targets."""
KERNEL_NAME = "python3"
KERNEL_ARGUMENTS = ["--IPKernelApp.log_level=ERROR", "--HistoryManager.hist_file=:memory:"]
"""As ``run.execute`` starts papermill's kernel (the TCP-without-encryption notice on loopback is
noise), with IPython's input history in memory: every kernel on the machine shares one SQLite
history file, whose lock made the reset between two targets wait seconds on a busy machine (the
history is no part of any output)."""

WARM_CODE = "__import__('auditlib.kernelpool', fromlist=['kernel_warm']).kernel_warm()"
RESET_CODE = "__import__('auditlib.kernelpool', fromlist=['kernel_reset']).kernel_reset()"

# --------------------------------------------------------------------------- auditlib's module state
KEEP_CACHES = frozenset({
    # pure functions of their arguments, bounded
    "auditlib.resources.checkout_root",
    "auditlib.collect.roles.file_role",
    "auditlib.collect.complexity._ts_query",
    "auditlib.pathglob.compile_glob",
    "auditlib.analysis.llm_flow.words",
    "auditlib.analysis.front_js.parser",
    "auditlib.analysis.sql._last_names",  # last names of a knowledge file's SQL text functions
    "auditlib.analysis.checks.web_security._rx",  # the patterns of a knowledge file
    "auditlib.analysis.checks.web_security._pattern_words",  # words of a knowledge file's patterns
    # auditlib's own knowledge files (the rubric folder's or the shipped ones), read once per kernel
    "auditlib.rubric._knowledge_file",
    "auditlib.rubric._validated",  # the rubric parsed from its files' texts (read again at every load)
    "auditlib.probes.secrets._load_generated_keys",
    "auditlib.collect.practices._platforms",
    "auditlib.collect.practices._ci_knowledge",
    "auditlib.analysis.tables._tables",
    "auditlib.analysis.tables._parsed",  # the check modules' knowledge files (yaml_knowledge)
    "auditlib.analysis.quota._load",
    "auditlib.analysis.resolve._knowledge",
    "auditlib.analysis.uses._knowledge",
    "auditlib.analysis.checks.web_security._load",
    "auditlib.probes.secrets._load_provider_severities",
})
"""``functools`` caches of auditlib kept from one target to the next: none holds anything read from
a target, and those keyed by a target's names are bounded. Every other cache of an auditlib module
is emptied before each target (a new one too), as in a new process: e.g. ``files._real_root`` (a
target's folder resolved) and the models table's per-name lookups (unbounded, keyed by the names of
a target's code)."""

CLEARED_STATE = {
    "auditlib.collect.files": {"_HEAD_BLOBS": "clear"},  # the git blobs of the repository listed last, by its path
    "auditlib.widgets": {"_SHARED": "clear"},  # the shared layout/style widgets (closed with every widget anyway)
    "auditlib.workbook": {"_current": "=NOT_STARTED"},  # the session of the last intake
}
"""Module-level state of auditlib put back before each target: ``clear`` empties a container,
``=NAME`` sets the module's attribute NAME (its value at import)."""

KEPT_STATE = {
    "auditlib.resources": ("_EXTRACTED",),  # auditlib's own resources copied out of a zipped package
    "auditlib.masking": ("_spans",),  # the compiled secret patterns
    "auditlib.collect.complexity": ("_FIELDS",),  # the fields of each Python AST node type the walk enters
    "auditlib.analysis.tables": ("_current", "_KNOWN"),  # the knowledge tables (checklists/web.yaml...), per analysis
    "auditlib.kernelpool": ("_BASELINE",),  # this module's: the state targets start from
    # the charts the target under audit drew, by a digest of their facts, for its report (unattended
    # kernels only); emptied by workbook.start, the start of every target: no other target's chart
    "auditlib.report": ("_DRAWN",),
    "auditlib.batch": ("_ALL_TASK_SLOTS",),  # the batch side (a Dask worker's kept kernels), not in a kernel
    "auditlib.run": ("_LOG_USERS", "_LOG_LEVEL"),  # the batch side: papermill's logger shared by its threads
}
"""Module-level state of auditlib that may stay: none of it comes from a target, but for the charts
of the target under audit (``report._DRAWN``, emptied when the next target's workbook starts)."""

_BASELINE: dict[str, Any] = {}


def _auditlib_modules() -> list[tuple[str, Any]]:
    return [(n, m) for n, m in list(sys.modules.items())
            if m is not None and (n == "auditlib" or n.startswith("auditlib."))]


def module_caches() -> dict[str, Any]:
    """Every ``functools`` cache defined at module level (or on a class) in the imported auditlib
    modules, by qualified name."""
    found: dict[str, Any] = {}
    for name, mod in _auditlib_modules():
        for attr, value in list(vars(mod).items()):
            if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", None) == name:
                found[f"{name}.{attr}"] = value
            elif isinstance(value, type) and value.__module__ == name:
                for key, member in list(vars(value).items()):
                    if callable(getattr(member, "cache_clear", None)):
                        found[f"{name}.{attr}.{key}"] = member
    return found


def clear_auditlib_state() -> list[str]:
    """Empty auditlib's module-level caches and state except what :data:`KEEP_CACHES` keeps; the
    names of what was emptied."""
    cleared = []
    for qual, fn in module_caches().items():
        if qual not in KEEP_CACHES:
            fn.cache_clear()
            cleared.append(qual)
    for modname, attrs in CLEARED_STATE.items():
        mod = sys.modules.get(modname)
        if mod is None:
            continue
        for attr, how in attrs.items():
            if how == "clear":
                value: Any = getattr(mod, attr, None)
                if hasattr(value, "clear"):
                    value.clear()
                    cleared.append(f"{modname}.{attr}")
            elif how.startswith("=") and hasattr(mod, how[1:]):
                setattr(mod, attr, getattr(mod, how[1:]))
                cleared.append(f"{modname}.{attr}")
    return cleared


# ------------------------------------------------------------------------------- in the kernel
def kernel_warm() -> None:
    """In a new kernel, once: import what the workbook and the report import, draw one chart
    (matplotlib's first use: fonts, the Agg renderer), then note the state every target starts
    from (:func:`kernel_reset` puts it back)."""
    import io

    import auditlib.audit  # noqa: F401
    import auditlib.charts  # noqa: F401
    import auditlib.report  # noqa: F401
    import auditlib.rubric  # noqa: F401
    import auditlib.widgets  # noqa: F401
    import auditlib.workbook  # noqa: F401

    matplotlib: Any = None
    plt: Any = None
    try:
        import matplotlib
        import matplotlib.pyplot as plt
    except ImportError:  # pragma: no cover - a dependency of auditlib
        pass
    if plt is not None:
        fig, ax = plt.subplots(figsize=(3, 2))
        ax.barh(["warm-up"], [1.0])
        ax.set_title("warm-up")
        fig.savefig(io.BytesIO(), format="png")
        plt.close(fig)
    _BASELINE.clear()
    _BASELINE.update(cwd=os.getcwd(), environ=dict(os.environ), path=list(sys.path),
                     warnings=list(warnings.filters),
                     rc=dict(matplotlib.rcParams) if matplotlib is not None else None)
    # what is alive now (modules, classes, the warm-up's caches) lives as long as the kernel: out of
    # the collector's sight, so that a full collection looks at a target's objects only (0.14 s less
    # for each of the reset's and the targets' own full collections)
    gc.collect()
    gc.freeze()


def kernel_reset() -> None:
    """In the kept kernel, before each target: a fresh user namespace and execution counter, no
    widget, no figure, auditlib's module-level state emptied, and the process state the warm-up
    noted put back (see the module's docstring)."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - always there in a kernel
        shell = None
    if "ipywidgets" in sys.modules:
        sys.modules["ipywidgets"].Widget.close_all()
    clear_auditlib_state()
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
    if shell is not None:
        shell.reset(new_session=True)  # its displayhook's flush ends with a full collection
    else:  # pragma: no cover
        gc.collect()
    base = _BASELINE
    if base.get("rc") is not None and "matplotlib" in sys.modules:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sys.modules["matplotlib"].rcParams.update(base["rc"])
    if "warnings" in base:
        warnings.filters[:] = base["warnings"]  # type: ignore[index]  # typeshed: a Sequence; a list at run time
        mutated = getattr(warnings, "_filters_mutated", None) or getattr(warnings, "_filters_mutated_lock_held", None)
        if mutated is not None:  # the "default"/"once" registries start again, as in a new process
            mutated()
        if hasattr(warnings, "onceregistry"):
            warnings.onceregistry.clear()
    if "cwd" in base:
        with contextlib.suppress(OSError):
            os.chdir(base["cwd"])
    if "environ" in base:
        for key in set(os.environ) - set(base["environ"]):
            del os.environ[key]
        for key, value in base["environ"].items():
            if os.environ.get(key) != value:
                os.environ[key] = value
    if "path" in base:
        sys.path[:] = base["path"]


# ------------------------------------------------------------------------------- the batch side
class KernelError(Exception):
    """The kept kernel could not be started, warmed or reset (the message is one line)."""


class KernelSlot:
    """One batch worker's kept kernel (and its Chromium, ``printer``).

    Used by one thread at a time (its worker); :meth:`stop` may be called from another thread. The
    kernel's asyncio work runs in the slot's own ``contextvars.Context``, so the same event loop
    serves every target even when the executor runs each task in a fresh context (Dask does).
    """

    def __init__(self, printer: Any = None) -> None:
        self.printer = printer
        self.km: Any = None
        self.kc: Any = None
        self.kernel_id: str | None = None
        self.starts = 0
        """How many kernels this slot started (1 unless a target timed out or killed its kernel)."""
        self.targets_in_kernel = 0
        self.start_failures = 0
        self.broken: str | None = None
        """Why the kernel path cannot be used by this slot (two starts in a row failed), else None."""
        self.stopped = False
        self.notes: list[str] = []
        """What happened to the kernel during the current target (for its audit.log)."""
        self._ctx = contextvars.Context()
        self._inside = False
        self._cwd: str | None = None
        self._output: Any = None  # the kernel's stdout and stderr
        self._output_read = 0
        self._pgid: int | None = None
        self._proc: Any = None
        self._expired = threading.Event()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ kernel
    @property
    def expired(self) -> bool:
        """Whether the current target's deadline passed (its kernel was killed)."""
        return self._expired.is_set()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None and self.kc is not None

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """``fn(*args, **kwargs)`` in the slot's context (its event loop: the kernel client's)."""
        if self._inside:
            return fn(*args, **kwargs)
        self._inside = True
        try:
            return self._ctx.run(fn, *args, **kwargs)
        finally:
            self._inside = False

    def ensure(self) -> bool:
        """A live, warmed kernel; True when one was started for it. KernelError when none can be."""
        if self.stopped:
            raise KernelError("the batch is ending")
        if self.alive():
            return False
        self.kill()
        try:
            self.run(self._start)
        except KernelError:
            self.kill()
            self.start_failures += 1
            raise
        self.start_failures = 0
        return True

    def _start(self) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        from .context import UNATTENDED
        from .run import import_for_kept_kernels
        from .worker import pdeathsig_hook, worker_env

        self._cwd = workdirs.make("kernel")  # empty, private: first on the kernel's sys.path
        self._output = tempfile.TemporaryFile()
        self._output_read = 0
        km = AsyncKernelManager(kernel_name=KERNEL_NAME)
        preexec = pdeathsig_hook()

        async def start() -> Any:
            env = {**worker_env(), UNATTENDED: "1"}  # no one answers the workbook's forms: none is built
            await km.start_kernel(cwd=self._cwd, env=env, extra_arguments=list(KERNEL_ARGUMENTS),
                                  stdout=self._output, stderr=self._output,
                                  **({"preexec_fn": preexec} if preexec else {}))
            self.km = km
            provisioner = km.provisioner
            self._proc = getattr(provisioner, "process", None)
            self._pgid = getattr(provisioner, "pgid", None)
            import_for_kept_kernels()  # this side's imports while the kernel process starts (once: then a no-op)
            kc = km.client()
            kc.start_channels()
            self.kc = kc
            await kc.wait_for_ready(timeout=START_TIMEOUT)
            kc.allow_stdin = False
            return kc

        try:
            run_sync(start)()
        except Exception as exc:  # noqa: BLE001 - no kernelspec, the kernel died at start, no answer...
            raise KernelError(f"could not start the Jupyter kernel: {_one_line(f'{type(exc).__name__}: {exc}')}") from None
        self.kernel_id = km.kernel_id
        self.starts += 1
        self.targets_in_kernel = 0
        self._execute(WARM_CODE, WARM_TIMEOUT, "warm up")

    def _execute(self, code: str, timeout: float, what: str) -> None:
        """Run ``code`` silently in the kernel (no output, no history, no execution count); KernelError."""
        from jupyter_core.utils import run_sync

        kc = self.kc

        async def call() -> dict[str, Any]:
            msg_id = kc.execute(code, silent=True, store_history=False, allow_stdin=False)
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer within {timeout:g} s")
                try:
                    msg = await kc.get_shell_msg(timeout=min(left, 1.0))
                except queue.Empty:
                    if not self.alive():
                        raise KernelError("the kernel died") from None
                    continue
                if msg.get("parent_header", {}).get("msg_id") == msg_id:
                    content: dict[str, Any] = msg["content"]
                    return content

        try:
            content = run_sync(call)()
        except Exception as exc:  # noqa: BLE001
            raise KernelError(f"could not {what} the Jupyter kernel: {_one_line(f'{type(exc).__name__}: {exc}')}") from None
        if content.get("status") != "ok":
            raise KernelError(f"could not {what} the Jupyter kernel: "
                              f"{_one_line(content.get('ename', content.get('status')))}: {_one_line(content.get('evalue', ''))}")

    def reset(self) -> None:
        """A clean kernel for the next target (:func:`kernel_reset`); a kernel that cannot be reset
        is replaced by a new one. KernelError when none can be had."""
        if self._cwd:
            for entry in os.scandir(self._cwd):  # nothing of the last target in the kernel's folder
                with contextlib.suppress(OSError):
                    shutil.rmtree(entry.path) if entry.is_dir(follow_symlinks=False) else os.unlink(entry.path)
        try:
            self.run(self._execute, RESET_CODE, RESET_TIMEOUT, "reset")
        except KernelError as exc:
            if self.expired or self.stopped:
                raise
            self.notes.append(f"{exc}; a new kernel replaces it")
            self.kill()
            self.ensure()
            self.run(self._execute, RESET_CODE, RESET_TIMEOUT, "reset")

    def deadline_passed(self, passed: bool) -> None:
        """Set or clear :attr:`expired` (cleared at the start of each target)."""
        if passed:
            self._expired.set()
        else:
            self._expired.clear()

    @contextlib.contextmanager
    def deadline(self, at: float | None) -> Iterator[None]:
        """Within the block, the kernel is killed at ``at`` (monotonic seconds); :attr:`expired` says so."""
        self._expired.clear()
        if at is None:
            yield
            return
        timer = threading.Timer(max(0.0, at - time.monotonic()), self._expire)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _expire(self) -> None:
        self._expired.set()
        self._signal_kernel()

    def _signal_kernel(self) -> None:
        with self._lock:
            proc, pgid = self._proc, self._pgid
            if proc is None or proc.returncode is not None:
                return
            with contextlib.suppress(OSError):
                if pgid:
                    os.killpg(pgid, signal.SIGKILL)  # the kernel and its git workers
                else:
                    proc.kill()

    def kernel_output(self) -> bytes:
        """What the kernel wrote on its stdout/stderr since the last call (for the target's audit.log)."""
        out = self._output
        if out is None:
            return b""
        with contextlib.suppress(OSError, ValueError):
            out.seek(self._output_read)
            data: bytes = out.read(1 << 20)
            self._output_read += len(data)
            return data
        return b""

    def kill(self) -> None:
        """End the kernel (its process group) and its client; the next :meth:`ensure` starts another."""
        kc, km = self.kc, self.km
        self.kc = self.km = None
        if kc is not None:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        self._signal_kernel()
        with self._lock:
            proc, self._proc, self._pgid = self._proc, None, None
        if proc is not None:
            with contextlib.suppress(Exception):
                proc.wait(timeout=10)
        if km is not None:
            with contextlib.suppress(Exception):
                km.cleanup_connection_file()
            with contextlib.suppress(Exception):
                km.cleanup_ipc_files()
        if self._output is not None:
            with contextlib.suppress(OSError):
                self._output.close()
            self._output = None
        if self._cwd:
            shutil.rmtree(self._cwd, ignore_errors=True)
            self._cwd = None

    def stop(self) -> None:
        """From another thread (the batch is interrupted): kill the kernel and the Chromium, start no
        other; the target under way fails. :meth:`close` still has to be called."""
        self.stopped = True
        self._signal_kernel()
        if self.printer is not None:
            self.printer.stop()

    def close(self) -> None:
        """End the kernel and the Chromium."""
        self.kill()
        if self.printer is not None:
            self.printer.close()

    def note_target(self) -> None:
        self.targets_in_kernel += 1


def _one_line(what: object, limit: int = 300) -> str:
    text = " ".join(str(what).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
