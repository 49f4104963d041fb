"""Command line: thin; parses arguments and calls the orchestrator, the runner and the demo.

    auditlib audit TARGET --out DIR [--client C] [--auditor A] [--answers FILE] [--offline] [--vuln-db DIR]
    auditlib scan TARGET --json FILE [...]
    auditlib demo [--out audits/demo]
    auditlib open TARGET --out DIR [--port N] [--dry-run]
    auditlib report DIR [--no-pdf]
    auditlib cache list | clean [--older-than DAYS]
    auditlib batch TARGETS --out DIR [--workers N] [--timeout S] [--force] [--offline] [--no-pdf] [--scheduler ADDR]
    auditlib portfolio FOLDER [--since PREVIOUS_FOLDER] [--no-pdf]
    auditlib diff OLD NEW --out DIR [--pdf] [--force]

Errors people can act on (bad target, malformed rubric or answers, a failed export) end with one
line on standard error and exit status 2 (bad input) or 1 (the run failed); never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .context import AuditContext, stderr_progress
from .errors import AnswersError, AuditError, RubricError, RunError, TargetError

if TYPE_CHECKING:
    from .audit import AuditResult
    from .batch import BatchResult

Progress = Callable[[str], None]


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", help="local git repository or git URL (a URL is cloned into a cache folder)")
    p.add_argument("--client", default="", help="client name for the report cover")
    p.add_argument("--auditor", default="", help="auditor name for the report cover")
    p.add_argument("--answers", type=Path, help="YAML file of the auditor's answers (see README)")
    p.add_argument("--offline", action="store_true", help="skip every network lookup; those parts are 'not checked'")
    p.add_argument("--vuln-db", type=Path, help="folder of OSV vulnerability records for offline matching")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for tests and documentation)."""
    parser = argparse.ArgumentParser(prog="auditlib", description="Audit an AI prototype repository for production readiness.")
    parser.add_argument("--version", action="version", version=f"auditlib {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    a = sub.add_parser("audit", help="run the workbook notebooks and write results.json, report.html and report.pdf")
    _common(a)
    a.add_argument("--out", type=Path, required=True, help="output folder")
    a.add_argument("--no-pdf", action="store_true", help="skip the PDF export")

    s = sub.add_parser("scan", help="collectors, probes, scoring and decision without Jupyter: write results.json")
    _common(s)
    s.add_argument("--json", type=Path, required=True, dest="json_out",
                   help="where to write results.json ('-' for stdout); findings.sarif is written beside it")

    o = sub.add_parser("open", help="prepare DIR with the workbook parameterised for TARGET and start JupyterLab on it")
    _common(o)
    o.add_argument("--out", type=Path, required=True, help="the audit's folder (workbook.ipynb, answers.yaml, results.json)")
    o.add_argument("--port", type=int, default=8888, help="port on 127.0.0.1 (default 8888; a busy port is an error)")
    o.add_argument("--dry-run", action="store_true", help="prepare the folder, print the command and URL, start nothing")

    rp = sub.add_parser("report", help="the deliverable of a workbook session (a folder `open` prepared): results.json, "
                                       "report.html and report.pdf from its parameters and answers; the open "
                                       "workbook is left alone")
    rp.add_argument("folder", type=Path, help="the session's folder (the --out of `auditlib open`)")
    rp.add_argument("--no-pdf", action="store_true", help="skip the PDF export")
    rp.add_argument("-q", "--quiet", action="store_true", help="no progress lines")

    d = sub.add_parser("demo", help="build the bundled sample prototype and audit it (no network needed)")
    d.add_argument("--out", type=Path, default=Path("audits/demo"), help="output folder (default audits/demo)")
    d.add_argument("--no-pdf", action="store_true", help="skip the PDF export")
    d.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    b = sub.add_parser("batch", help="audit every target of a targets file into DIR/<name>/ (batch.json records each)")
    b.add_argument("targets", type=Path, help="targets file: YAML (defaults, targets) or one path or git URL a line")
    b.add_argument("--out", type=Path, required=True, help="output folder: one folder per target, and batch.json")
    b.add_argument("--workers", type=int, default=2, help="targets audited at the same time (default 2)")
    b.add_argument("--timeout", type=float, metavar="SECONDS", help="per target: its audit process is killed after this")
    b.add_argument("--force", action="store_true", help="redo targets already audited at the same commit")
    b.add_argument("--offline", action="store_true", help="every target offline (as `audit --offline`)")
    b.add_argument("--no-pdf", action="store_true", help="skip the PDF export of every target")
    b.add_argument("--mode", choices=("kernel", "process"),
                   help="kernel: one kept Jupyter kernel per worker (the default, or AUDITLIB_BATCH_MODE); "
                        "process: a process per target")
    b.add_argument("--scheduler", metavar="ADDRESS",
                   help="run each target as a task of the Dask distributed cluster at ADDRESS (tcp://HOST:PORT); "
                        "its workers write DIR/<name>/, so DIR must be shared with them at the same path; "
                        "--workers is then unused (the cluster's worker threads run the targets)")
    b.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    c = sub.add_parser("cache", help="the cache of cloned URL targets: list its clones or remove them")
    c.add_argument("action", choices=("list", "clean"), help="list: show the clones; clean: remove them")
    c.add_argument("--older-than", type=float, metavar="DAYS",
                   help="(clean) remove only clones older than DAYS days (default: all)")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    pf = sub.add_parser("portfolio", help="every results.json under FOLDER as one view: FOLDER/portfolio.html, "
                                          "portfolio.pdf and portfolio.csv")
    pf.add_argument("folder", type=Path, help="the audits folder (one subfolder per target; batch.json is read too)")
    pf.add_argument("--since", type=Path, metavar="PREVIOUS_FOLDER",
                    help="a previous portfolio folder: show per-target changes of total, band and verdict")
    pf.add_argument("--no-pdf", action="store_true", help="skip the PDF export")
    pf.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    df = sub.add_parser("diff", help="compare two audits of the same target: scores, verdict, findings fixed, new "
                                     "and still open (diff.json, diff.html)")
    df.add_argument("old", type=Path, help="the earlier audit: its folder or its results.json")
    df.add_argument("new", type=Path, help="the later audit: its folder or its results.json")
    df.add_argument("--out", type=Path, required=True, help="output folder (diff.json, diff.html, diff.pdf)")
    df.add_argument("--pdf", action="store_true", help="also print diff.pdf (headless chromium)")
    df.add_argument("--force", action="store_true", help="compare results of different targets anyway")
    df.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    pr = sub.add_parser("present", help="serve a code-free, read-only view of an audit (Voilà) for the read-out")
    pr.add_argument("folder", type=Path, help="the audit folder (its results.json) or a results.json")
    pr.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (default 8866)")
    pr.add_argument("--dry-run", action="store_true", help="print the command and the URL, start nothing")
    pr.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
    return parser


def _cache(args: argparse.Namespace, progress: Progress) -> int:
    from .targets import cache_entries, default_cache_dir, prune_cache

    cache = default_cache_dir()
    if args.action == "list":
        entries = cache_entries(cache)
        for e in entries:
            sys.stdout.write(f"{e.size / 1e6:10.1f} MB  {time.strftime('%Y-%m-%d %H:%M', time.localtime(e.mtime))}  "
                             f"{e.path}\n")
        sys.stdout.write(f"{len(entries)} clone(s), {sum(e.size for e in entries) / 1e6:.1f} MB in {cache}\n")
        return 0
    removed = prune_cache(cache, max_days=args.older_than if args.older_than is not None else -1,
                          max_bytes=1 << 62)
    progress(f"cache: removed {len(removed)} clone(s), {sum(e.size for e in removed) / 1e6:.1f} MB, from {cache}")
    return 0


class InputError(AuditError):
    """A command-line argument that cannot be used (exit 2)."""


def _check_inputs(args: argparse.Namespace) -> None:
    """Refuse unusable arguments with one line before any long work starts."""
    from .errors import OutputError
    from .safeio import check_sibling_dir, output_path

    if getattr(args, "vuln_db", None) and not args.vuln_db.is_dir():
        raise TargetError(f"--vuln-db {args.vuln_db}: not a directory")
    if getattr(args, "answers", None):
        if not args.answers.exists():
            raise AnswersError(f"--answers {args.answers}: no such file")
        if not args.answers.is_file():
            raise AnswersError(f"--answers {args.answers}: not a regular file")
    try:
        if getattr(args, "json_out", None) is not None and str(args.json_out) != "-":
            check_sibling_dir(args.json_out)
            real = output_path(args.json_out)
            output_path(real.with_name(SARIF_NAME))  # the sibling must be writable as a plain file too
            probe_writable(real.parent)
        out = getattr(args, "out", None)
        if out is not None:
            existing = out
            while not existing.exists() and not existing.is_symlink() and existing != existing.parent:
                existing = existing.parent
            if not existing.is_dir():
                which = "exists" if existing == out else f"is inside {_short(existing)}, which exists"
                raise OutputError(f"--out {_short(out)}: {which} and is not a directory")
    except OutputError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:  # a name too long, a loop of symlinks, no permission...
        raise InputError(f"{_short(exc.filename)}: {exc.strerror or exc}") from None


_CONTROL = {c: f"\\x{c:02x}" for c in range(32)} | {10: "\\n", 13: "\\r", 9: "\\t", 127: "\\x7f"}


def _error(message: str) -> None:
    """The one error line: control characters of names from the command line shown escaped."""
    print(f"auditlib: error: {message.translate(_CONTROL)}", file=sys.stderr)


def _short(name: object) -> str:
    text = str(name or "")
    return text if len(text) <= 120 else text[:60] + "…" + text[-40:]


def probe_writable(folder: Path) -> None:
    """Fail now, not after the audit, when no file can be created in ``folder`` (a missing folder is
    created later, by the write)."""
    import tempfile

    from .errors import OutputError

    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=".auditlib-probe-", dir=existing)
    except OSError as exc:
        raise OutputError(f"cannot write in {_short(existing)}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(tmp)


SARIF_NAME = "findings.sarif"


def _scan(args: argparse.Namespace, progress: Progress) -> int:
    from .audit import audit
    from .targets import display_source, resolve_target

    target = resolve_target(args.target, offline=args.offline)
    ctx = AuditContext(target=target, source=display_source(args.target), client=args.client, auditor=args.auditor,
                       offline=args.offline, vuln_db=args.vuln_db, answers_path=args.answers, progress=progress,
                       exits_after=True)
    result = audit(ctx)
    if str(args.json_out) == "-":
        sys.stdout.write(result.to_json() + "\n")
    else:
        from .rubric import load_rubric
        from .sarif import write_sarif

        written = result.write(args.json_out)
        sarif = write_sarif(result, load_rubric(), written.with_name(SARIF_NAME))
        progress(f"wrote {written} and {sarif}")
    _summary(result, progress)
    return 0


def _summary(result: AuditResult, progress: Progress) -> None:
    sc, d = result.scorecard, result.decision
    live = [f for f in result.findings if f.accepted is None]
    accepted = f" (and {len(result.findings) - len(live)} accepted)" if len(live) < len(result.findings) else ""
    progress(f"{len(live)} findings{accepted}; scorecard {sc.out_of.replace(' / ', '/')} ({sc.band_label}); "
             f"verdict: {d.verdict}")
    for r in result.acceptances:  # what the user can act on: an acceptance that did not apply
        if r.status in ("refused", "expired"):
            where = f"{r.file}" + (f": accept[{r.number}]" if r.number and not r.message.startswith("accept[") else "")
            print(f"auditlib: warning: {where}: {r.message}", file=sys.stderr)


def _audit(args: argparse.Namespace, progress: Progress, target_source: str | None = None, target: Path | None = None,
           vuln_db: Path | None = None, answers: Path | None = None, offline: bool | None = None) -> int:
    from .audit import AuditResult
    from .batch import skip_unused_imports
    from .context import UNATTENDED
    from .run import run_audit
    from .safeio import make_dir
    from .targets import display_source, resolve_target
    from .workbook import is_session_folder

    if is_session_folder(args.out):
        raise InputError(f"--out {_short(args.out)}: a workbook session (`auditlib open`) works in this folder and "
                         f"its workbook.ipynb would be replaced: run `auditlib report {_short(args.out)}` for its "
                         "deliverable, or choose another --out")
    source = target_source or args.target
    offline = args.offline if offline is None else offline
    target = target or resolve_target(source, offline=offline)
    make_dir(args.out)
    start = time.perf_counter()
    skip_unused_imports()
    before = os.environ.get(UNATTENDED)
    os.environ[UNATTENDED] = "1"  # papermill's kernels inherit it: no one answers the workbook's forms
    try:
        outputs = run_audit(target=target, source=display_source(source), out_dir=args.out,
                            client=getattr(args, "client", ""), auditor=getattr(args, "auditor", ""),
                            answers=answers or getattr(args, "answers", None), offline=offline,
                            vuln_db=vuln_db or getattr(args, "vuln_db", None), pdf=not args.no_pdf, progress=progress)
    finally:  # only for these kernels (a caller in this process may start a JupyterLab next)
        if before is None:
            os.environ.pop(UNATTENDED, None)
        else:
            os.environ[UNATTENDED] = before
    _summary(AuditResult.read(outputs["results"]), progress)
    progress(f"done in {time.perf_counter() - start:.0f} s: " + ", ".join(str(p) for p in outputs.values()))
    return 0


def _open(args: argparse.Namespace, progress: Progress) -> int:
    import shlex

    from .targets import display_source, resolve_target
    from .workbook import kernel_env, lab_command, prepare_workspace

    target = resolve_target(args.target, offline=args.offline)
    notebook = prepare_workspace(target, args.out, source=display_source(args.target), client=args.client, auditor=args.auditor,
                                 answers=str(args.answers or ""), offline=args.offline, vuln_db=str(args.vuln_db or ""))
    progress(f"open: prepared {notebook}")
    cmd, url = lab_command(notebook.parent, args.port)
    if args.dry_run:
        sys.stdout.write(shlex.join(cmd) + "\n" + url + "\n")
        return 0
    from .present import run_server

    progress("open: starting JupyterLab")
    # the URL is printed once JupyterLab answers, not while it starts
    return run_server(cmd, url, "JupyterLab", env=kernel_env(notebook.parent), cwd=notebook.parent)


def _report(args: argparse.Namespace, progress: Progress) -> int:
    from .audit import AuditResult
    from .workbook import report_session

    if not args.folder.is_dir():
        raise InputError(f"{_short(args.folder)}: not a directory")
    start = time.perf_counter()
    outputs = report_session(args.folder, pdf=not args.no_pdf, progress=progress)
    _summary(AuditResult.read(outputs["results"]), progress)
    progress(f"done in {time.perf_counter() - start:.0f} s: " + ", ".join(str(p) for p in outputs.values()))
    return 0


def _demo(args: argparse.Namespace, progress: Progress) -> int:
    from .demo import DEMO_ADVISORIES, DEMO_ANSWERS, build_demo_target
    from .safeio import atomic_write, make_dir

    target = args.out.parent / f"{args.out.name}-target"
    progress(f"demo: building the sample prototype in {target}")
    build_demo_target(target)
    make_dir(args.out)
    answers = args.out / "answers.yaml"
    if not answers.exists():  # never overwrite answers the user edited
        atomic_write(answers, Path(DEMO_ANSWERS).read_bytes())  # owner-only, like every output
    args.client, args.auditor = "Acme Support (demo)", ""
    return _audit(args, progress, target_source=str(target), target=target.resolve(), vuln_db=DEMO_ADVISORIES,
                  answers=answers, offline=True)


def _diff(args: argparse.Namespace, progress: Progress) -> int:
    from .diff import DiffError, compare, load_pair, write_diff

    try:
        old, new = load_pair(args.old, args.new)
        diff = compare(old, new, force=args.force)
    except DiffError as exc:
        raise InputError(str(exc)) from None
    for warning in diff.warnings:
        print(f"auditlib: warning: {warning}", file=sys.stderr)
    outputs = write_diff(diff, args.out, pdf=args.pdf)
    s, c = diff.scores, diff.counts
    progress(f"diff: scorecard {s.total.old}/40 -> {s.total.new}/40; verdict {s.verdict.old} -> {s.verdict.new}; "
             f"{c['fixed']} fixed, {c['new']} new, {c['still_open']} still open")
    progress("wrote " + ", ".join(str(p) for p in outputs.values()))
    return 0


def _present(args: argparse.Namespace, progress: Progress) -> int:
    from .diff import DiffError
    from .present import serve

    try:
        return serve(args.folder, args.port, progress, dry_run=args.dry_run)
    except DiffError as exc:
        raise InputError(str(exc)) from None


def _portfolio(args: argparse.Namespace, progress: Progress) -> int:
    from .portfolio import BATCH_NAME, discover, run_portfolio

    for flag, folder in (("", args.folder), ("--since ", args.since)):
        if folder is not None and not folder.is_dir():
            raise InputError(f"{flag}{_short(folder)}: not a directory")
    found, empty = discover(args.folder)
    if not found and not empty and not (args.folder / BATCH_NAME).is_file():
        raise InputError(f"{_short(args.folder)}: no results.json, batch.json or audit folder under it")
    from .errors import OutputError

    try:
        probe_writable(args.folder)
    except OutputError as exc:
        raise InputError(str(exc)) from None
    start = time.perf_counter()
    outputs = run_portfolio(args.folder, since=args.since, pdf=not args.no_pdf, progress=progress)
    progress(f"portfolio: {len(found)} results.json read; done in {time.perf_counter() - start:.0f} s: "
             + ", ".join(str(p) for p in outputs.values()))
    return 0


def _batch_on_dask(args: argparse.Namespace) -> BatchResult:
    """``batch --scheduler``: the same batch with each target a task of a Dask cluster (exit 2 when
    the scheduler cannot be reached or has no worker)."""
    import logging

    from .batch import SchedulerError, run_batch_dask

    # Dask logs (and prints tracebacks of) its reconnection attempts: every failure is in a target's record.
    # It sets its loggers' levels when imported: import it first, then quiet each of them.
    try:
        import distributed  # noqa: F401
    except ImportError:
        pass  # run_batch_dask says so in one line
    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        return run_batch_dask(args.targets, args.out, scheduler=args.scheduler, timeout=args.timeout,
                              force=args.force, offline=args.offline, pdf=not args.no_pdf, quiet=args.quiet,
                              mode=args.mode)
    except SchedulerError as exc:
        raise InputError(str(exc)) from None


def _batch(args: argparse.Namespace, progress: Progress) -> int:
    from .batch import BatchFileError, run_batch

    if args.workers < 1:
        raise InputError(f"--workers {args.workers}: at least 1")
    if args.timeout is not None and not args.timeout > 0:
        raise InputError(f"--timeout {args.timeout:g}: a positive number of seconds")
    try:
        if args.scheduler:
            result = _batch_on_dask(args)
        else:
            result = run_batch(args.targets, args.out, workers=args.workers, timeout=args.timeout, force=args.force,
                               offline=args.offline, pdf=not args.no_pdf, quiet=args.quiet, mode=args.mode)
    except BatchFileError as exc:
        raise InputError(str(exc)) from None
    progress(f"batch: {len(result.records) - result.failed} of {len(result.records)} targets audited or up to date, "
             f"{result.failed} failed; {result.path}")
    return 1 if result.failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``auditlib`` command."""
    args = build_parser().parse_args(argv)
    progress = (lambda _msg: None) if args.quiet else stderr_progress
    try:
        _check_inputs(args)
        if args.command == "cache":
            return _cache(args, progress)
        if args.command == "batch":
            return _batch(args, progress)
        if args.command == "portfolio":
            return _portfolio(args, progress)
        if args.command == "diff":
            return _diff(args, progress)
        if args.command == "present":
            return _present(args, progress)
        if args.command == "demo":
            return _demo(args, progress)
        if args.command == "open":
            return _open(args, progress)
        if args.command == "report":
            return _report(args, progress)
        return _scan(args, progress) if args.command == "scan" else _audit(args, progress)
    except (TargetError, AnswersError, RubricError, InputError) as exc:
        _error(str(exc))
        return 2
    except (RunError, AuditError) as exc:
        _error(str(exc))
        return 1
    except OSError as exc:  # anything the checks above did not foresee: still one line, no traceback
        _error(f"{_short(exc.filename) + ': ' if exc.filename else ''}{exc.strerror or exc}")
        return 1
    except KeyboardInterrupt:
        print("auditlib: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
