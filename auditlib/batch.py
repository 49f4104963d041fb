"""Many targets through the same pipeline as ``auditlib audit``: ``auditlib batch TARGETS --out DIR``.

The targets file is YAML (``defaults`` and ``targets``, validated with pydantic) or plain text (one
local path or git URL a line; blank lines and ``#`` comments ignored). Relative paths in it (targets,
answers, vuln_db) are read from the targets file's folder.

Each target is resolved (a local repository, a clone of a URL, or a private clone of a ``ref``) and
goes through :func:`auditlib.run.run_audit` into ``OUT/<name>/``, exactly as ``auditlib audit``
does, in one of two modes:

- ``kernel`` (the default, :func:`run_in_kernel`): each worker keeps one Jupyter kernel and one
  Chromium for all its targets (``kernelpool.KernelSlot``). The kernel is reset between targets (a
  fresh namespace, auditlib's module-level caches emptied); the per-target ``--timeout`` kills it
  and a new one serves the next target; a kernel that dies fails its target only.
- ``process`` (``AUDITLIB_BATCH_MODE=process``, or ``mode="process"``; :func:`run_target`): each
  target in its own process (``python -P -m auditlib.batch JOB``, in a new session), which runs
  papermill (a kernel per notebook); the ``--timeout`` kills the process group. Used too by a worker
  whose kernel cannot be started twice in a row.

The local pool is a ``concurrent.futures`` pool of ``--workers`` threads; :func:`check_or_run` is a
plain top-level function of a JSON-able job, so it can be handed to another executor (a Dask
``Client.submit``, :func:`run_shared`, whose kept kernel is per thread of the Dask worker process).

``OUT/batch.json`` (``auditlib.batch/1``) is rewritten atomically (``safeio``) after every target:
a SIGKILL of the batch loses no finished target and leaves no torn file. Running the same command
again skips targets whose audit is complete and whose commit has not moved (``--force`` redoes them).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import workdirs
from .errors import AuditError

SCHEMA = "auditlib.batch/1"
BATCH_FILE = "batch.json"
MODES = ("kernel", "process")
"""How targets run (see the module's docstring); ``AUDITLIB_BATCH_MODE`` chooses, default kernel."""
LOG_FILE = "audit.log"
"""Inside each target's folder: the progress and error lines of its audit process."""
MAX_TARGETS_BYTES = 10_000_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
_RESERVED = {BATCH_FILE.lower(), "portfolio.html", "portfolio.pdf", "portfolio.csv"}


class BatchFileError(AuditError):
    """The targets file cannot be used (exit 2): one line saying what and where."""


# ----------------------------------------------------------------------------------- targets file
class Defaults(BaseModel):
    """Options shared by every target of the file (command-line flags override offline and pdf)."""

    model_config = ConfigDict(extra="forbid")
    client: str = ""
    auditor: str = ""
    offline: bool = False
    vuln_db: str | None = None
    pdf: bool = True


class TargetEntry(BaseModel):
    """One target: a local path or git URL, and optionally its folder name, answers file and ref."""

    model_config = ConfigDict(extra="forbid")
    target: str = Field(min_length=1)
    name: str | None = None
    answers: str | None = None
    ref: str | None = None
    timeout: float | None = Field(default=None, gt=0)
    """Seconds for this target (overrides ``--timeout``): a known-large repository may need more."""

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str | None) -> str | None:
        if value is not None and (not _NAME.match(value) or value.lower() in _RESERVED):
            raise ValueError(f"{value!r} is not a usable folder name (letters, digits, '.', '_', '-'; "
                             "at most 80; not batch.json or portfolio.*)")
        return value

    @field_validator("ref")
    @classmethod
    def _safe_ref(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or value.startswith("-") or any(c in value for c in " \t\n\r~^:?*[\\")):
            raise ValueError(f"{value!r} is not a branch, tag or commit name")
        return value


class TargetsFile(BaseModel):
    """The whole targets file."""

    model_config = ConfigDict(extra="forbid")
    defaults: Defaults = Field(default_factory=Defaults)
    targets: list[TargetEntry] = Field(min_length=1)


@dataclass(frozen=True)
class Job:
    """One target of a batch, everything its audit process needs (JSON-able: it crosses processes)."""

    name: str
    source: str
    """As written in the targets file (a URL may carry credentials: never shown or stored)."""
    shown: str
    """The source as shown and stored: a URL without credentials."""
    out_dir: str
    ref: str | None = None
    answers: str | None = None
    client: str = ""
    auditor: str = ""
    offline: bool = False
    vuln_db: str | None = None
    pdf: bool = True
    timeout: float | None = None


def skip_unused_imports() -> None:
    """Keep this process from importing what nothing here uses and costs a second to import:
    ``rfc3987_syntax``, which jsonschema imports when it is installed (for its "iri" formats: it
    compiles a grammar at import, 1.2 CPU seconds) and nbformat's validation of every notebook
    papermill writes brings in; neither nbformat's schemas nor auditlib check an "iri" format.
    A process that already imported it keeps it."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # None: "not installed"


def _where(loc: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(loc))


def _read_text(path: Path) -> str:
    try:
        if not path.is_file():
            raise BatchFileError(f"{path}: {'no such file' if not path.exists() else 'not a regular file'}")
        if path.stat().st_size > MAX_TARGETS_BYTES:
            raise BatchFileError(f"{path}: larger than a targets file can be ({MAX_TARGETS_BYTES // 1_000_000} MB)")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BatchFileError(f"{path}: not a UTF-8 text file (a targets file is YAML or one target a line)") from None
    except OSError as exc:
        raise BatchFileError(f"{path}: cannot be read: {exc.strerror or exc}") from None


def load_targets(path: Path | str) -> TargetsFile:
    """Read and validate a targets file; BatchFileError with one line saying what and where."""
    path = Path(path)
    text = _read_text(path)
    data: Any = None
    if path.suffix.lower() not in (".txt", ".list"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            if path.suffix.lower() in (".yaml", ".yml"):
                mark = getattr(exc, "problem_mark", None)
                at = f"line {mark.line + 1}: " if mark is not None else ""
                problem = getattr(exc, "problem", None) or "not valid YAML"
                raise BatchFileError(f"{path}: {at}not valid YAML: {problem}") from None
        except RecursionError:
            raise BatchFileError(f"{path}: nested too deeply to be a targets file") from None
    if isinstance(data, dict):
        from .answers import _expanded_size

        if _expanded_size(data, 200_001) > 200_000:
            raise BatchFileError(f"{path}: more than 200000 values once YAML aliases are expanded")
        try:
            return TargetsFile.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
            msg = " ".join(str(err["msg"]).split()).removeprefix("Value error, ")
            raise BatchFileError(f"{path}: {_where(err['loc']) or 'top level'}: {msg}{more}") from None
    if isinstance(data, list) or (path.suffix.lower() in (".yaml", ".yml") and data is not None
                                  and not isinstance(data, str)):
        raise BatchFileError(f"{path}: top level: expected a mapping with 'targets' (and optional 'defaults')")
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if any(ord(c) < 32 for c in line):
            raise BatchFileError(f"{path}: line {number}: control character in a target")
        entries.append(TargetEntry(target=line))
    if not entries:
        raise BatchFileError(f"{path}: no targets (one local path or git URL a line, or YAML with 'targets')")
    return TargetsFile(targets=entries)


def derive_name(shown: str, ref: str | None = None) -> str:
    """A folder name for a target: its last path segment (``target_name``), safe characters only,
    with the ref appended when there is one."""
    from .audit import target_name

    base = re.sub(r"[^A-Za-z0-9._-]+", "_", target_name(shown)).strip("._-") or "target"
    if ref:
        base += "-" + re.sub(r"[^A-Za-z0-9._-]+", "_", ref)[:40]
    return base[:80]


def plan_jobs(spec: TargetsFile, targets_file: Path, out: Path, *, offline: bool = False, pdf: bool = True,
              timeout: float | None = None) -> list[Job]:
    """The jobs of a targets file: names unique, relative paths read from the targets file's folder.

    ``offline`` (the flag) forces offline on; ``pdf`` False (``--no-pdf``) forces the PDF off.
    """
    from .targets import display_source, is_url

    base = targets_file.resolve().parent
    d = spec.defaults

    def local(p: str | None) -> str | None:
        return None if p is None else str((base / Path(p).expanduser()).resolve())

    vuln_db = local(d.vuln_db)
    if vuln_db is not None and not Path(vuln_db).is_dir():
        raise BatchFileError(f"{targets_file}: defaults.vuln_db: {d.vuln_db} is not a directory")
    given: dict[str, int] = {}
    for i, t in enumerate(spec.targets):
        if t.name:
            if t.name.lower() in given:
                raise BatchFileError(f"{targets_file}: targets[{i}].name: {t.name!r} is also the name of "
                                     f"targets[{given[t.name.lower()]}]")
            given[t.name.lower()] = i
    taken = set(given)
    jobs = []
    for t in spec.targets:
        shown = display_source(t.target)
        name = t.name
        if name is None:
            stem = derive_name(shown, t.ref)
            name, n = stem, 2
            while name.lower() in taken or name.lower() in _RESERVED:
                name, n = f"{stem}-{n}", n + 1
            taken.add(name.lower())
        source = t.target if is_url(t.target) else str((base / Path(t.target).expanduser()))
        jobs.append(Job(name=name, source=source, shown=shown if is_url(t.target) else source,
                        out_dir=str((out / name).resolve()), ref=t.ref, answers=local(t.answers),
                        client=d.client, auditor=d.auditor, offline=offline or d.offline, vuln_db=vuln_db,
                        pdf=pdf and d.pdf, timeout=t.timeout or timeout))
    return jobs


# ------------------------------------------------------------------------------------ commits
def _git_quiet(cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> str | None:
    from .collect.gitio import git_command, git_env

    try:
        proc = subprocess.run(git_command(*args), cwd=cwd, env={**git_env(cwd), **(env or {})},
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (subprocess.TimeoutExpired, OSError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")


def current_commit(job: Job, timeout: float = 60) -> str | None:
    """The commit the target's audit would read now, without cloning: ``rev-parse`` in a local
    repository (read-only), ``ls-remote`` for a URL; None when it cannot be told (a damaged
    repository, an unreachable URL, offline)."""
    from .targets import _HELPER, is_url, split_credentials

    if not is_url(job.source):
        path = Path(job.source)
        if not (path / ".git").exists():
            return None
        out = _git_quiet(path, "rev-parse", "--verify", "-q", "--end-of-options", f"{job.ref or 'HEAD'}^{{commit}}",
                         timeout=timeout)
        return out if out and _SHA.match(out) else None
    if job.offline:
        return None
    if job.ref and _SHA.match(job.ref):
        return job.ref
    clean, creds = split_credentials(job.source)
    config, env = ["-c", "protocol.ext.allow=never"], {"GIT_ASKPASS": "true", "SSH_ASKPASS": "true",
                                                         "GIT_ALLOW_PROTOCOL": "file:git:http:https:ssh"}
    if creds is not None:
        config += ["-c", "credential.helper=", "-c", f"credential.helper={_HELPER}"]
        env.update(AUDITLIB_GIT_USERNAME=creds.username, AUDITLIB_GIT_PASSWORD=creds.password)
    with workdirs.temporary("lsremote") as tmp:
        out = _git_quiet(Path(tmp), *config, "ls-remote", "--", clean, *( [job.ref, f"{job.ref}^{{}}"] if job.ref else ["HEAD"]),
                         env=env, timeout=timeout)
    if not out:
        return None
    rows = [ln.split("\t") for ln in out.splitlines() if "\t" in ln]
    peeled = [sha for sha, ref in rows if ref.endswith("^{}")]
    return (peeled or [rows[0][0]])[0] if rows else None


def complete_audit(job: Job) -> dict[str, Any] | None:
    """The target's results.json when its audit is complete (results.json of ``auditlib.results/1``,
    the report notebook, report.html, and report.pdf when the PDF is wanted, none older than the
    results), else None."""
    out = Path(job.out_dir)
    results = out / "results.json"
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
        made = results.stat().st_mtime
        wanted = ["workbook.ipynb", "report.ipynb", "report.html"] + (["report.pdf"] if job.pdf else [])
        if any((out / w).stat().st_mtime < made for w in wanted):
            return None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != "auditlib.results/1" or not isinstance(data.get("target"), dict):
        return None
    return data


# ------------------------------------------------------------------------------------ one target
def _one_line(text: object, limit: int = 300) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _rescue_partial(out: Path) -> str | None:
    """After a kill: papermill's temp notebook (``.workbook.ipynb-XXXX.ipynb``, saved after every cell)
    renamed to ``<notebook>.partial.ipynb``; its path, or None."""
    found = None
    for stem in ("report", "workbook"):  # the report runs second: its partial one is the later
        temps = sorted(out.glob(f".{stem}.ipynb-*.ipynb"), key=lambda p: p.stat().st_mtime)
        if temps and found is None:
            dest = out / f"{stem}.partial.ipynb"
            with contextlib.suppress(OSError):
                os.replace(temps[-1], dest)
                found = str(dest)
        for t in temps:
            with contextlib.suppress(OSError):
                t.unlink()
    return found


def _begin(j: Job) -> dict[str, Any]:
    """A target's record, failed until its audit completes, with its output folder made; the record's
    ``error`` says why when the folder cannot be made (the target is not run)."""
    from .safeio import make_dir

    record: dict[str, Any] = {"name": j.name, "source": j.shown, "ref": j.ref, "status": "failed", "seconds": 0.0,
                              "commit": None, "error": None, "notebook": None}
    try:
        make_dir(Path(j.out_dir))
    except AuditError as exc:
        record["error"] = _one_line(str(exc))
    return record


def run_target(job: dict[str, Any], *, on_start: Callable[[subprocess.Popen[Any]], None] | None = None,
               printer: Any = None) -> dict[str, Any]:
    """Audit one target in its own process (its own session, killed as a group at ``timeout``) and
    return its batch.json record. Never raises for a failure of the target: it is in the record.

    A plain function of a JSON-able job, so any executor (a thread pool here, Dask later) can run it.
    With ``printer`` (an :class:`auditlib.printer.Printer`, the local pool's: one Chromium per worker)
    the audit process stops at report.html and the PDF is printed here, by that kept Chromium, from
    the same page with the same flags; without it the audit process prints it as ``auditlib audit`` does.
    """
    j = Job(**job)
    parent_prints = printer is not None and j.pdf
    out = Path(j.out_dir)
    start = time.monotonic()
    record = _begin(j)
    if record["error"]:
        return record
    from .worker import pdeathsig_hook, worker_env

    workdir = workdirs.make("batch")  # neutral cwd; holds the job (may carry a token)
    jobfile = Path(workdir) / "job.json"
    fd = os.open(jobfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({**asdict(j), "pdf": False} if parent_prints else asdict(j), fh)
    timed_out = False
    try:
        with contextlib.suppress(FileNotFoundError):
            (out / LOG_FILE).unlink()  # a new log, created owner-only like every output
        with os.fdopen(os.open(out / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as log:
            proc = subprocess.Popen([sys.executable, "-P", "-m", "auditlib.batch", str(jobfile)], cwd=workdir,
                                    env=worker_env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                    start_new_session=True,
                                    preexec_fn=pdeathsig_hook())  # not Linux: it outlives a killed batch
            if on_start is not None:
                on_start(proc)
            try:
                proc.wait(timeout=j.timeout)
            except subprocess.TimeoutExpired:
                timed_out = True
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    except OSError as exc:
        record["error"] = _one_line(f"could not start the audit process: {exc.strerror or exc}")
        return record
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        record["seconds"] = round(time.monotonic() - start, 1)
    if parent_prints and proc.returncode == 0 and complete_audit(Job(**{**asdict(j), "pdf": False})) is not None:
        if (error := _print_pdf(printer, j, out, start)) is not None:
            record["error"] = error
            return record
        record["seconds"] = round(time.monotonic() - start, 1)
    if proc.returncode == 0 and (data := complete_audit(j)) is not None:
        record.update(status="done", commit=data["target"].get("commit"))
        return record
    if timed_out:
        record["error"] = f"timed out after {j.timeout:g} s (--timeout); the audit process was killed"
        record["notebook"] = _rescue_partial(out)
        return record
    try:
        lines = (out / LOG_FILE).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    errors = [ln.removeprefix("auditlib: error: ") for ln in lines if ln.startswith("auditlib: error: ")]
    if errors:
        message = errors[-1]
        m = re.search(r" \(the partial notebook is in (.+?)\)$", message)
        if m:  # the path goes in its own field, the error keeps the cause
            record["notebook"] = m.group(1)
            message = message[:m.start()]
        record["error"] = _one_line(message)
    else:
        tail = next((ln for ln in reversed(lines) if ln.strip()), "no output")
        how = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exited {proc.returncode}"
        record["error"] = _one_line(f"the audit process {how}: {tail}")
    if record["notebook"] is None:
        record["notebook"] = _rescue_partial(out)
    return record


def _print_pdf(printer: Any, j: Job, out: Path, start: float) -> str | None:
    """report.pdf of a target whose audit process wrote report.html, by the worker's kept Chromium
    (within what is left of the target's ``timeout``); the one-line error, or None. Logged in
    audit.log like the audit process's own lines."""
    from .errors import RunError

    left = None if j.timeout is None else j.timeout - (time.monotonic() - start)
    error = None
    if left is not None and left <= 0:
        error = f"timed out after {j.timeout:g} s (--timeout) before the PDF was printed"
    else:
        try:
            printer.print(out / "report.html", out / "report.pdf", timeout=min(120.0, left) if left else 120.0)
        except AuditError as exc:  # RunError, OutputError
            error = _one_line(str(exc))
            if isinstance(exc, RunError) and j.timeout is not None and time.monotonic() - start >= j.timeout:
                error = f"timed out after {j.timeout:g} s (--timeout) printing the PDF"
    with contextlib.suppress(OSError), open(out / LOG_FILE, "a", encoding="utf-8") as log:
        log.write("[auditlib] report: printed report.pdf (headless chromium, kept by the batch worker)\n"
                  if error is None else f"auditlib: error: {error}\n")
    return error


def _partial_in(message: str) -> tuple[str, str | None]:
    """An error message without its "(the partial notebook is in PATH)" tail, and that path."""
    m = re.search(r" \(the partial notebook is in (.+?)\)$", message)
    return (message[:m.start()], m.group(1)) if m else (message, None)


def run_in_kernel(job: dict[str, Any], slot: Any,
                  on_start: Callable[[subprocess.Popen[Any]], None] | None = None) -> dict[str, Any]:
    """Audit one target in the worker's kept kernel (``slot``, a ``kernelpool.KernelSlot``) and return
    its batch.json record: the same pipeline, outputs, records and errors as :func:`run_target`,
    without a process and two kernel starts per target. Never raises for a failure of the target.

    The target's seconds and its ``timeout`` do not count the start of a kernel (the worker's, not
    the target's: the first target of a worker, and the one after a kernel was lost). At the
    deadline the kernel is killed: the target fails with its partial notebook kept as
    ``<notebook>.partial.ipynb``, and the next target gets a new kernel. A kernel that dies fails
    its target the same way (the partial notebook replaces ``<notebook>.ipynb``, as papermill does).
    When no kernel can be started the target runs in its own process (:func:`run_target`), and
    after two such failures in a row every target of this worker does.
    """
    from .errors import RunError, TargetError
    from .kernelpool import KernelError
    from .run import run_audit

    if slot.broken:  # this worker cannot have a kernel: a process per target, as before
        return run_target(job, on_start=on_start, printer=slot.printer)
    j = Job(**job)
    out = Path(j.out_dir)
    record = _begin(j)
    if record["error"]:
        return record
    slot.deadline_passed(False)
    slot.notes.clear()
    start = time.monotonic()
    paused = 0.0  # starting a kernel: the worker's time, not the target's
    error: str | None = None
    logged = False
    try:
        with contextlib.suppress(FileNotFoundError):
            (out / LOG_FILE).unlink()  # a new log, created owner-only like every output
        log = os.fdopen(os.open(out / LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w",
                        encoding="utf-8", errors="replace")
    except OSError as exc:
        record["error"] = _one_line(f"cannot write {out / LOG_FILE}: {exc.strerror or exc}")
        return record

    def progress(message: str) -> None:
        log.write(f"[auditlib] {message}\n")
        log.flush()

    with log:
        try:
            target = prepare_target(j, timeout=j.timeout or 900)
            began = time.monotonic()
            try:
                fresh = slot.ensure()
            except KernelError as exc:
                if slot.stopped:  # the batch is ending
                    raise
                if slot.start_failures >= 2:  # after two in a row, every target of this worker in its own process
                    slot.broken = str(exc)
                log.close()  # this target in its own process
                return run_target(job, on_start=on_start, printer=slot.printer)
            paused = time.monotonic() - began
            slot.note_target()
            deadline = None if j.timeout is None else start + paused + j.timeout
            progress(f"batch: auditing {target} in kernel {slot.kernel_id} (target {slot.targets_in_kernel} of it; "
                     f"kernel {slot.starts} of this worker" + (f", started in {paused:.1f} s)" if fresh else ")"))
            with slot.deadline(deadline):  # run.execute resets the kernel before each notebook
                slot.run(run_audit, target=target, source=j.shown, out_dir=out, client=j.client, auditor=j.auditor,
                         answers=Path(j.answers) if j.answers else None, offline=j.offline,
                         vuln_db=Path(j.vuln_db) if j.vuln_db else None, pdf=False, progress=progress, kernel=slot)
        except (TargetError, RunError, KernelError, AuditError) as exc:
            error = _one_line(str(exc), 4000)
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            error = _one_line(where + str(exc.strerror or exc))
        except Exception as exc:  # noqa: BLE001 - a bug of ours for one target must not stop the worker
            error = _one_line(f"{type(exc).__name__}: {exc}")
        spent = time.monotonic() - start - paused
        for note in slot.notes:
            progress(f"batch: {note}")
        slot.notes.clear()
        if error is not None and j.timeout is not None and (slot.expired or spent >= j.timeout):
            progress(f"batch: at the deadline: {error}")
            cause, partial = _partial_in(error)
            error = (f"timed out after {j.timeout:g} s (--timeout); "
                     + ("the kernel running it was killed" if slot.expired else cause))
            if partial:
                error += f" (the partial notebook is in {partial})"
        kernel_said = slot.kernel_output()
        if kernel_said:
            log.write(kernel_said.decode("utf-8", "replace"))
        if error is None and j.pdf:
            log.flush()
            error = _print_pdf(slot.printer, j, out, start + paused)  # logs its own line
            logged = True
        if error is not None and not logged:
            log.write(f"auditlib: error: {error}\n")
        if slot.expired or error is not None and "DeadKernelError" in error:
            slot.kill()  # the next target starts a new kernel (not counted in its time)
    record["seconds"] = round(time.monotonic() - start - paused, 1)
    if error is None:
        data = complete_audit(j)
        if data is not None:
            record.update(status="done", commit=data["target"].get("commit"))
            return record
        error = f"the audit ended without a complete result in {out}"
    message, partial = _partial_in(error)
    record.update(error=_one_line(message), notebook=partial)
    return record


def prepare_target(job: Job, timeout: float = 900) -> Path:
    """The local repository to audit for ``job`` (TargetError with one line when there is none).

    Without a ref: the local repository itself, or the clone of the URL (``resolve_target``). With a
    ref: a private clone of the repository (a local one too: git clones it with hard links, and the
    user's checkout and refs are never touched) under the clone cache, ``AUDITLIB_CACHE/clones/
    at-ref/``, with HEAD detached at the ref and the same bounded checkout as any clone.
    """
    from .errors import TargetError
    from .targets import _bounded_checkout, clone, default_cache_dir, is_url, resolve_target

    if not job.ref:
        return resolve_target(job.source, offline=job.offline)
    if is_url(job.source) and job.offline:
        resolve_target(job.source, offline=True)  # raises the usual one line
    if not is_url(job.source):
        resolve_target(job.source)  # the usual checks and messages for a local path
    key = hashlib.sha1(f"{job.shown}\0{job.ref}".encode()).hexdigest()[:12]
    started = time.monotonic()
    repo = clone(job.source, default_cache_dir() / "at-ref" / key, timeout=timeout)
    sha = None
    for candidate in (job.ref, f"origin/{job.ref}"):
        sha = _git_quiet(repo, "rev-parse", "--verify", "-q", "--end-of-options", f"{candidate}^{{commit}}")
        if sha:
            break
    if not sha:
        raise TargetError(f"{job.shown}: no branch, tag or commit named {job.ref!r}")
    if _git_quiet(repo, "update-ref", "--no-deref", "HEAD", sha) is None:
        raise TargetError(f"{job.shown}: cannot detach the clone at {job.ref!r}")
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    with contextlib.suppress(FileNotFoundError):
        (repo / ".git" / "index").unlink()
    note = _bounded_checkout(repo, max(30.0, timeout - (time.monotonic() - started)))
    (repo / ".git" / "auditlib-clone.json").write_text(json.dumps({"source": job.shown, "ref": job.ref, **note}),
                                                       encoding="utf-8")
    return repo


def _child_main(jobfile: str) -> int:
    """The audit process of one target: prepare it and run the same pipeline as ``auditlib audit``."""
    from .context import UNATTENDED, stderr_progress
    from .errors import RunError, TargetError
    from .run import run_audit

    os.environ[UNATTENDED] = "1"  # papermill's kernels inherit it: no one answers the workbook's forms
    skip_unused_imports()
    with open(jobfile, encoding="utf-8") as fh:
        job = Job(**json.load(fh))
    with contextlib.suppress(OSError):
        os.unlink(jobfile)  # it may carry a URL's credentials
    try:
        target = prepare_target(job, timeout=job.timeout or 900)
        stderr_progress(f"batch: auditing {target}")
        run_audit(target=target, source=job.shown, out_dir=Path(job.out_dir), client=job.client, auditor=job.auditor,
                  answers=Path(job.answers) if job.answers else None, offline=job.offline,
                  vuln_db=Path(job.vuln_db) if job.vuln_db else None, pdf=job.pdf, progress=stderr_progress)
    except (TargetError, RunError, AuditError) as exc:
        print(f"auditlib: error: {_one_line(str(exc), 4000)}", file=sys.stderr, flush=True)
        return 1
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"auditlib: error: {_one_line(where + str(exc.strerror or exc))}", file=sys.stderr, flush=True)
        return 1
    return 0


# ------------------------------------------------------------------------------------ the batch
@dataclass
class Progress:
    """The progress line: done, failed, remaining and ETA; an updating bar on a terminal."""

    total: int
    workers: int
    stream: Any = field(default_factory=lambda: sys.stderr)
    tty: bool | None = None
    quiet: bool = False
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    failed: int = 0
    skipped: int = 0
    run_seconds: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.tty is None:
            self.tty = bool(getattr(self.stream, "isatty", lambda: False)())

    @property
    def remaining(self) -> int:
        return self.total - self.done - self.failed - self.skipped

    def eta(self) -> str:
        if not self.remaining:
            return "0s"
        if not self.run_seconds:
            return "?"
        per = sum(self.run_seconds) / len(self.run_seconds)
        left = per * self.remaining / max(1, min(self.workers, self.remaining))
        return f"{int(left // 60)}m{int(left % 60):02d}s" if left >= 60 else f"{left:.0f}s"

    def line(self, record: dict[str, Any] | None = None) -> str:
        what = ""
        if record is not None:
            what = f"  {record['name']}: {record['status']}"
            if record["status"] != "skipped":
                what += f" ({record['seconds']:.0f} s)"
            if record.get("error"):
                what += f": {record['error']}"
        return (f"[batch] {self.total - self.remaining}/{self.total}  done {self.done}  failed {self.failed}  "
                f"skipped {self.skipped}  remaining {self.remaining}  ETA {self.eta()}{what}")

    def update(self, record: dict[str, Any]) -> None:
        status = record["status"]
        setattr(self, status, getattr(self, status) + 1)
        if status != "skipped":
            self.run_seconds.append(record["seconds"])
        if self.quiet:
            return
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            bar_w = 20
            filled = int(bar_w * (self.total - self.remaining) / max(1, self.total))
            text = f"[{'#' * filled}{'.' * (bar_w - filled)}] " + self.line(record).removeprefix("[batch] ")
            if status == "failed":  # a failure stays on screen, on its own line
                self.stream.write("\r\033[K" + self.line(record)[:width] + "\n")
            self.stream.write("\r\033[K" + text[:width])
            if not self.remaining:
                self.stream.write("\n")
        else:
            self.stream.write(self.line(record) + "\n")
        self.stream.flush()


def write_batch_json(out: Path, jobs: list[Job], records: dict[str, dict[str, Any]], meta: dict[str, Any]) -> Path:
    """``OUT/batch.json``: every finished target in ``targets``, the others in ``pending``; atomic."""
    from .safeio import atomic_write

    finished = [records[j.name] for j in jobs if j.name in records]
    counts = {s: sum(1 for r in finished if r["status"] == s) for s in ("done", "failed", "skipped")}
    data = {"schema": SCHEMA, **meta, "updated_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "summary": {**counts, "pending": len(jobs) - len(finished), "total": len(jobs)},
            "targets": finished,
            "pending": [{"name": j.name, "source": j.shown, "ref": j.ref} for j in jobs if j.name not in records]}
    return atomic_write(out / BATCH_FILE, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def check_or_run(job: dict[str, Any], force: bool = False,
                 on_start: Callable[[subprocess.Popen[Any]], None] | None = None, printer: Any = None,
                 slot: Any = None) -> dict[str, Any]:
    """A skipped record when the target's audit is complete and its commit has not moved (unless
    ``force``); otherwise :func:`run_in_kernel` in ``slot`` (a ``kernelpool.KernelSlot``), or
    :func:`run_target` without one."""
    if not force:
        j = Job(**job)
        data = complete_audit(j)
        if data is not None:
            audited = data["target"].get("commit")
            now = current_commit(j, timeout=min(60.0, j.timeout or 60.0))
            if audited and now == audited:
                return {"name": j.name, "source": j.shown, "ref": j.ref, "status": "skipped", "seconds": 0.0,
                        "commit": audited, "error": None, "notebook": None,
                        "audited_at": data["target"].get("audited_at")}
    if slot is not None:
        return run_in_kernel(job, slot, on_start)
    if printer is None:
        return run_target(job, on_start=on_start)
    return run_target(job, on_start=on_start, printer=printer)


@dataclass
class BatchResult:
    records: dict[str, dict[str, Any]]
    path: Path
    kernel_starts: int = 0
    """Kernels started by the local pool's workers (``kernel`` mode): one per worker unless a target
    timed out or lost its kernel."""

    @property
    def failed(self) -> int:
        return sum(1 for r in self.records.values() if r["status"] == "failed")


def batch_mode(mode: str | None = None) -> str:
    """``mode``, else ``AUDITLIB_BATCH_MODE``, else ``kernel``; BatchFileError (exit 2) for another value."""
    chosen = mode or os.environ.get("AUDITLIB_BATCH_MODE") or "kernel"
    if chosen not in MODES:
        where = "mode" if mode else "AUDITLIB_BATCH_MODE"
        raise BatchFileError(f"{where}: {chosen!r} is not a batch mode (kernel or process)")
    return chosen


def run_batch(targets_file: Path, out: Path, *, workers: int = 2, timeout: float | None = None, force: bool = False,
              offline: bool = False, pdf: bool = True, quiet: bool = False, stream: Any = None,
              mode: str | None = None) -> BatchResult:
    """Run every target of ``targets_file`` into ``out/<name>/`` and record them in ``out/batch.json``.

    ``mode``: ``kernel`` (one kept kernel per worker) or ``process`` (a process per target); see
    :func:`batch_mode`."""
    from .safeio import make_dir

    mode = batch_mode(mode)
    skip_unused_imports()
    spec = load_targets(targets_file)
    out = Path(out)
    jobs = plan_jobs(spec, targets_file, out, offline=offline, pdf=pdf, timeout=timeout)
    make_dir(out)
    meta = {"targets_file": str(Path(targets_file).resolve()),
            "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "options": {"workers": workers, "timeout": timeout, "force": force, "offline": offline, "pdf": pdf,
                        "mode": mode}}
    records: dict[str, dict[str, Any]] = {}
    path = write_batch_json(out, jobs, records, meta)
    progress = Progress(total=len(jobs), workers=workers, stream=stream or sys.stderr, quiet=quiet)
    running: set[subprocess.Popen[Any]] = set()
    lock = threading.Lock()

    def started(proc: subprocess.Popen[Any]) -> None:
        with lock:
            running.add(proc)

    from .kernelpool import KernelSlot
    from .printer import Printer

    printers: list[Printer] = []  # one Chromium per worker thread, started at its first PDF
    slots: list[KernelSlot] = []  # kernel mode: one kept kernel (and that Chromium) per worker thread
    mine = threading.local()

    def one(job: dict[str, Any]) -> dict[str, Any]:
        if getattr(mine, "printer", None) is None:
            mine.printer = Printer()
            with lock:
                printers.append(mine.printer)
                if mode == "kernel":
                    mine.slot = KernelSlot(printer=mine.printer)
                    slots.append(mine.slot)
        if mode == "kernel":
            return check_or_run(job, force, started, printer=mine.printer, slot=mine.slot)
        return check_or_run(job, force, started, printer=mine.printer)

    pool = cf.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="auditlib-batch")
    futures: dict[cf.Future[dict[str, Any]], Job] = {}
    try:
        futures = {pool.submit(one, asdict(j)): j for j in jobs}
        for fut in cf.as_completed(futures):
            j = futures[fut]
            try:
                record = fut.result()
            except Exception as exc:  # noqa: BLE001 - a bug of ours for one target must not stop the rest
                record = {"name": j.name, "source": j.shown, "ref": j.ref, "status": "failed", "seconds": 0.0,
                          "commit": None, "error": _one_line(f"{type(exc).__name__}: {exc}"), "notebook": None}
            records[j.name] = record
            path = write_batch_json(out, jobs, records, meta)
            progress.update(record)
    except BaseException:
        for f in futures:
            f.cancel()
        with lock:
            for proc in running:
                if proc.poll() is not None:
                    continue
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
            for slot in slots:
                slot.stop()
            for printer in printers:
                printer.stop()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for slot in slots:
            slot.kill()
        for printer in printers:
            printer.close()
    return BatchResult(records=records, path=path, kernel_starts=sum(slot.starts for slot in slots))


# ------------------------------------------------------------------------- on a Dask cluster
# ``--scheduler ADDRESS``: each target is one task, ``run_shared(job, force, mark)``, submitted to an
# existing Dask distributed cluster. The worker runs check_or_run exactly as a thread of the local
# pool does (the skip decision, the audit process, the per-target timeout) and writes OUT/<name>/
# itself, so OUT must be a folder shared with every worker at the same absolute path; the client
# collects the records and writes OUT/batch.json after each, as run_batch does.
SCHEDULER_CONNECT_TIMEOUT = 10.0
"""Seconds to reach the scheduler (``--scheduler``) before the batch ends with exit 2."""
NO_WORKER_GRACE = 120.0
"""Seconds the cluster may go without any worker (at the start, or while targets are pending, or
without its scheduler) before the batch gives up: exit 2 at the start, the pending targets failed later."""
_POLL = 2.0
_SHARED_MARK = ".auditlib-batch-client-"


class SchedulerError(AuditError):
    """``--scheduler`` cannot be used (exit 2): one line saying why."""


def _failed_record(j: Job, error: str) -> dict[str, Any]:
    return {"name": j.name, "source": j.shown, "ref": j.ref, "status": "failed", "seconds": 0.0, "commit": None,
            "error": _one_line(error), "notebook": None}


_TASK_SLOTS = threading.local()
_ALL_TASK_SLOTS: list[Any] = []
_TASK_SLOTS_LOCK = threading.Lock()


def _close_task_slots() -> None:
    with _TASK_SLOTS_LOCK:
        slots, _ALL_TASK_SLOTS[:] = list(_ALL_TASK_SLOTS), []
    for slot in slots:
        with contextlib.suppress(Exception):
            slot.close()


def _task_slot() -> Any:
    """The kept kernel (and Chromium) of this thread of a Dask worker process, made at its first
    task and kept for the next ones; closed when the worker process exits (and killed with it)."""
    slot = getattr(_TASK_SLOTS, "slot", None)
    if slot is None:
        import atexit

        from .kernelpool import KernelSlot
        from .printer import Printer

        slot = _TASK_SLOTS.slot = KernelSlot(printer=Printer())
        with _TASK_SLOTS_LOCK:
            if not _ALL_TASK_SLOTS:
                atexit.register(_close_task_slots)
            _ALL_TASK_SLOTS.append(slot)
    return slot


def run_shared(job: dict[str, Any], force: bool, mark: str, mode: str = "process") -> dict[str, Any]:
    """The Dask task of one target, run on a worker: :func:`check_or_run`, once the worker has seen
    the file ``mark`` that the client made in OUT (so OUT is the client's folder, shared).

    ``mode`` (the client's :func:`batch_mode`): ``kernel`` runs the target in the kept kernel of this
    thread of the worker process (:func:`_task_slot`: a kernel and a Chromium per worker thread, kept
    across tasks); ``process`` (what a task without one means) in its own process."""
    if not os.path.isfile(mark):
        import socket

        j = Job(**job)
        return _failed_record(j, f"{os.path.dirname(mark)}: not the batch's output folder on the Dask worker at "
                                 f"{socket.gethostname()} (--scheduler needs OUT on a folder shared with every "
                                 "worker at the same path)")
    if mode == "kernel":
        return check_or_run(job, force, slot=_task_slot())
    return check_or_run(job, force)


def connect_scheduler(address: str, timeout: float | None = None) -> Any:
    """A ``distributed.Client`` of the scheduler at ``address``; SchedulerError with one line when it
    cannot be reached within ``timeout`` seconds (default :data:`SCHEDULER_CONNECT_TIMEOUT`)."""
    import asyncio

    timeout = SCHEDULER_CONNECT_TIMEOUT if timeout is None else timeout
    try:
        from distributed import Client
        from distributed.comm.core import connect
    except ImportError:
        raise SchedulerError("--scheduler needs Dask distributed (pip install 'distributed>=2024.8')") from None

    async def probe() -> None:  # a failed Client leaves a traceback at exit: reach the scheduler first
        comm = await connect(address, timeout=timeout)  # type: ignore[no-untyped-call]  # distributed is not annotated
        await comm.close()

    try:
        asyncio.run(probe())
        return Client(address, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        why = f"no answer within {timeout:g} s" if "Timed out" in str(exc) else str(exc)
        raise SchedulerError(f"cannot reach the Dask scheduler at {address}: {_one_line(why, 200)}") from None
    except Exception as exc:  # noqa: BLE001 - a bad address (ValueError) or Dask's own errors
        raise SchedulerError(f"cannot reach the Dask scheduler at {address}: {_one_line(exc, 200)}") from None


def _cluster_threads(client: Any) -> int | None:
    """Worker threads of the cluster now; None when the scheduler does not answer."""
    try:
        return sum(client.nthreads().values()) if client.status == "running" else None
    except Exception:  # noqa: BLE001 - a lost scheduler
        return None


def _task_error(fut: Any, client: Any, scheduler: str) -> str:
    status = fut.status
    if status == "error":
        exc = fut.exception()
        if type(exc).__name__ == "KilledWorker":
            return ("the Dask workers running it died (KilledWorker: the scheduler's allowed-failures were used up); "
                    "the audit did not finish")
        return f"the Dask task failed: {type(exc).__name__}: {exc}"
    if client.status != "running":
        return f"lost the connection to the Dask scheduler at {scheduler}; the audit did not finish"
    return f"the Dask task was {status} (the scheduler lost it); the audit did not finish"


def run_batch_dask(targets_file: Path, out: Path, *, scheduler: str, timeout: float | None = None,
                   force: bool = False, offline: bool = False, pdf: bool = True, quiet: bool = False,
                   stream: Any = None, mode: str | None = None) -> BatchResult:
    """:func:`run_batch` with every target as a task of the Dask cluster at ``scheduler``.

    Workers write ``out/<name>/`` themselves (``out`` must be shared, same path); this process writes
    ``out/batch.json`` after each record. SchedulerError (exit 2) before anything is written when the
    scheduler cannot be reached or has no worker within :data:`NO_WORKER_GRACE` seconds.
    """
    import uuid

    from .safeio import make_dir

    mode = batch_mode(mode)
    spec = load_targets(targets_file)
    out = Path(out)
    jobs = plan_jobs(spec, targets_file, out, offline=offline, pdf=pdf, timeout=timeout)
    client = connect_scheduler(scheduler)
    mark: Path | None = None
    futures: dict[Any, Job] = {}
    try:
        from distributed import wait

        threads = _cluster_threads(client) or 0
        if not threads:
            try:
                client.wait_for_workers(1, timeout=NO_WORKER_GRACE)
            except Exception:  # noqa: BLE001 - TimeoutError, or the scheduler went away
                raise SchedulerError(f"the Dask scheduler at {scheduler} has no worker "
                                     f"(waited {NO_WORKER_GRACE:g} s)") from None
            threads = _cluster_threads(client) or 1
        make_dir(out)
        mark = out.resolve() / f"{_SHARED_MARK}{uuid.uuid4().hex}"
        mark.write_text("made by the auditlib batch client while it runs: tells its Dask workers that this "
                        "folder is shared\n", encoding="utf-8")
        meta = {"targets_file": str(Path(targets_file).resolve()),
                "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "options": {"workers": None, "scheduler": scheduler, "timeout": timeout, "force": force,
                            "offline": offline, "pdf": pdf, "mode": mode}}
        records: dict[str, dict[str, Any]] = {}
        path = write_batch_json(out, jobs, records, meta)
        progress = Progress(total=len(jobs), workers=threads, stream=stream or sys.stderr, quiet=quiet)
        token = uuid.uuid4().hex[:8]
        futures = {client.submit(run_shared, asdict(j), force, str(mark), mode, key=f"auditlib-batch-{j.name}-{token}",
                                 pure=False): j for j in jobs}
        pending = set(futures)
        alone_since: float | None = None
        while pending:
            try:
                done = wait(list(pending), timeout=_POLL, return_when="FIRST_COMPLETED").done  # type: ignore[no-untyped-call]
            except TimeoutError:
                done = set()
            except Exception:  # noqa: BLE001 - the scheduler connection broke: judged below
                done = {f for f in pending if f.done()}
            for fut in sorted(done, key=lambda f: jobs.index(futures[f])):
                j = futures[fut]
                pending.discard(fut)
                try:
                    record = fut.result() if fut.status == "finished" else _failed_record(j, _task_error(fut, client, scheduler))
                except Exception as exc:  # noqa: BLE001 - one target's failure never stops the rest
                    record = _failed_record(j, f"{type(exc).__name__}: {exc}")
                records[j.name] = record
                path = write_batch_json(out, jobs, records, meta)
                progress.update(record)
            if done or not pending:
                alone_since = None
                continue
            if _cluster_threads(client):
                alone_since = None
            elif alone_since is None:
                alone_since = time.monotonic()
            elif time.monotonic() - alone_since > NO_WORKER_GRACE:
                why = (f"no Dask worker (or no scheduler at {scheduler}) for {NO_WORKER_GRACE:g} s; "
                       "the audit did not finish")
                for fut in sorted(pending, key=lambda f: jobs.index(futures[f])):
                    j = futures[fut]
                    records[j.name] = _failed_record(j, why)
                    path = write_batch_json(out, jobs, records, meta)
                    progress.update(records[j.name])
                pending.clear()
        return BatchResult(records=records, path=path)
    finally:
        with contextlib.suppress(Exception):
            client.cancel([f for f in futures if not f.done()])
        with contextlib.suppress(Exception):
            client.close(timeout=10)
        if mark is not None:
            with contextlib.suppress(OSError):
                mark.unlink()


if __name__ == "__main__":
    # The audit process of one target (run_target). jsonschema (imported by papermill's nbformat)
    # imports rfc3987_syntax when it is installed, which builds a grammar at import time: more than a
    # second of CPU per target, for the "iri" format check that nothing here uses (nbformat,
    # papermill and nbconvert validate without a format checker). This process only: a library
    # user's process keeps its jsonschema as it is.
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
    sys.exit(_child_main(sys.argv[1]))
