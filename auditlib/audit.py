"""The one orchestrator: collect -> probe -> score -> decide, for the CLI, the notebooks and batch.

``audit(ctx)`` returns an AuditResult, the in-memory form of results.json (``auditlib.results/1``).
Each collector runs once; a collector that crashes is recorded as not available with the reason,
and the audit carries on (the report's appendix lists what could not run).
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field

from . import __version__
from .accept import AcceptanceRecord, active, apply_acceptances, scoring_facts
from .answers import Answers, load_answers, review_answers
from .collect.files import FileSet, list_files
from .context import AuditContext
from .decision import DecisionResult, decide
from .metrics import MetricValue, compute_metrics
from .models import (
    Availability,
    CodeFacts,
    ComplexityFacts,
    DependencyFacts,
    Facts,
    Finding,
    HistoryFacts,
    InventoryFacts,
    PracticeFacts,
    SecretFacts,
)
from .rubric import Rubric, load_rubric
from .scoring import ChecklistEntry, ScorecardResult, build_checklist, build_scorecard

SCHEMA = "auditlib.results/1"
TOOLS = ("GitPython", "radon", "lizard", "pip-audit", "pydantic", "papermill", "nbconvert", "pandas", "matplotlib")


class TargetInfo(BaseModel):
    name: str
    source: str
    commit: str | None
    audited_at: str
    client: str = ""
    auditor: str = ""
    branch: str | None = None


class RunInfo(BaseModel):
    rubric_version: str
    auditlib_version: str
    tools: dict[str, str]
    collectors: dict[str, dict[str, Any]]
    """Collector -> {available, reason, seconds}."""
    offline: bool
    vuln_db: str | None = None
    answers_file: str | None = None


class AuditResult(BaseModel):
    """The machine-readable result; serialised as results.json."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: str = Field(default=SCHEMA, alias="schema")
    target: TargetInfo
    facts: Facts
    metrics: dict[str, MetricValue]
    findings: list[Finding]
    scorecard: ScorecardResult
    checklist: list[ChecklistEntry]
    decision: DecisionResult
    run: RunInfo
    answers: Answers = Field(default_factory=Answers)
    """The auditor's answers this result was computed with (the judgment-only inputs included)."""
    acceptances: list[AcceptanceRecord] = Field(default_factory=list)
    """What became of every ``accept:`` entry of the repository's ``.auditlib.yaml`` and of the answers
    file (auditlib.accept; issue 12): applied, expired, unmatched, refused or ignored. The accepted
    findings themselves are in ``findings``, with ``accepted`` set."""

    def to_json(self) -> str:
        """results.json text."""
        return self.model_dump_json(by_alias=True, indent=2)

    def write(self, path: Path | str) -> Path:
        """Write results.json atomically and owner-only (see auditlib.safeio); OutputError on failure."""
        from .safeio import atomic_write

        return atomic_write(path, self.to_json())

    @classmethod
    def read(cls, path: Path | str) -> "AuditResult":
        """Load a results.json written by this version of auditlib."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("schema") != SCHEMA:
            raise ValueError(f"{path}: not an {SCHEMA} file (schema={data.get('schema')!r})")
        return cls.model_validate(data)


def target_name(source: str) -> str:
    """A display name for the target: the last path segment, without query, fragment, .git or credentials."""
    tail = source.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    tail = tail.rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return tail.removesuffix(".git")


def tool_versions() -> dict[str, str]:
    """Versions of the libraries the audit relies on (for the reproducibility appendix)."""
    out = {}
    for name in TOOLS:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _run(name: str, fn: Callable[[], Availability], fallback: type[Availability], ctx: AuditContext,
         record: dict[str, dict[str, Any]]) -> Any:
    ctx.progress(f"collect: {name}")
    start = time.perf_counter()
    try:
        facts = fn()
    except Exception as exc:  # a crashed collector must not sink the audit; it is reported instead
        facts = fallback(available=False, reason=f"collector failed: {type(exc).__name__}: {str(exc)[:200]}")
    record[name] = {"available": facts.available, "reason": facts.reason,
                    "seconds": round(time.perf_counter() - start, 2)}
    if not facts.available:
        ctx.progress(f"collect: {name}: not available ({facts.reason})")
    return facts


PARALLEL_MIN_COMMITS = 2000
"""From this many commits on, history and secrets run in a second process (see collect)."""


def _commit_count(root: Path) -> int:
    """Commits reachable from any ref (cheap: git walks commit objects only); 0 when unknown."""
    from .collect.gitio import no_fetch_env, open_repo

    try:
        with open_repo(root) as repo:
            repo.git.update_environment(**no_fetch_env())
            return int(repo.git.rev_list("--count", "--all").strip() or 0)
    except Exception:
        return 0


def _git_side(target: Path, history: bool, files: FileSet, now: datetime | None = None
              ) -> tuple[SecretFacts, dict[str, Any], HistoryFacts]:
    """The git side of a large audit, run in a second process (auditlib.worker): the secrets collector
    (its history pass is the longest git stream), then the history collector, while the first process
    parses the tree. Results are picklable."""
    from .context import AuditContext

    ctx = AuditContext(target=target, source=str(target), history=history, progress=lambda _m: None)
    record: dict[str, dict[str, Any]] = {}
    sec, hist = _secrets_and_history(ctx, files, record, now)
    return sec, record, hist


def _secrets_and_history(ctx: AuditContext, files: FileSet, record: dict[str, dict[str, Any]], now: datetime | None
                         ) -> tuple[SecretFacts, HistoryFacts]:
    """The secrets collector, then the history collector, over one ``git log -p`` pass when both read
    the history: the history's line counts come from the secrets scan's stream (history.PatchTap);
    when that pass was not read whole, the history collector reads git's log itself."""
    from .collect.history import collect_history, patch_tap
    from .collect.secrets import collect_secrets

    p = ctx.progress
    now = now or ctx.now
    tap = None
    if ctx.history:
        try:
            tap = patch_tap(ctx.target, now=now)
        except Exception:  # noqa: BLE001 - no shared pass: each collector reads git itself
            tap = None
    secrets = _run("secrets", lambda: collect_secrets(files, history=ctx.history, progress=p, tap=tap), SecretFacts,
                   ctx, record)
    history = _run("history", lambda: collect_history(ctx.target, now=now, progress=p, tap=tap), HistoryFacts,
                   ctx, record)
    return secrets, history


class Started:
    """The first step of collecting: the target's files listed and, for a large history, the git side
    already running in a second process (auditlib.worker). Made before the rubric and the answers
    are read, so that git starts as early as it can; ``close`` stops a side that was not used."""

    def __init__(self, ctx: AuditContext) -> None:
        from .collect.gitio import drop_git_location_env

        dropped = drop_git_location_env()
        if dropped:
            ctx.progress(f"collect: ignoring {', '.join(dropped)} from the environment (git must read the target)")
        ctx.progress(f"collect: listing files of {ctx.target}")
        self.files = list_files(ctx.target)
        # Large histories: the secrets scan (the longest git stream) runs in a second process (see
        # auditlib.worker) while this one reads the tree (code, complexity), so both cores work.
        # Threads do not help: a reader thread waits for the GIL held by the CPU-bound tree
        # collectors and git stalls on a full pipe. Small histories stay in one process: they are read
        # in a second or two, and a second interpreter (where forking is not safe) costs about 0.4 s of
        # imports.
        from . import worker

        self.side: worker.Job | worker.ForkJob | None = None
        if ctx.parallel and _commit_count(ctx.target) >= PARALLEL_MIN_COMMITS:
            ctx.progress("collect: history and secrets in a second process (large history)")
            self.side = worker.start({"target": ctx.target, "history": ctx.history, "files": self.files,
                                      "now": ctx.now})

    def close(self) -> None:
        if self.side is not None:
            self.side.close()


def collect(ctx: AuditContext, rubric: Rubric, record: dict[str, dict[str, Any]] | None = None,
            started: Started | None = None) -> Facts:
    """Run every collector once over the target. ``started``: the listing and git side begun before
    (see ``Started``); it is closed here."""
    from .analysis import analyse
    from .collect.complexity import collect_complexity, keep_parsed_metrics
    from .collect.dependencies import collect_dependencies
    from .collect.inventory import collect_inventory
    from .collect.practices import collect_practices, declared_names

    record = {} if record is None else record
    started = started or Started(ctx)
    files, side = started.files, started.side
    p = ctx.progress
    try:
        inventory = _run("inventory", lambda: collect_inventory(files, progress=p), InventoryFacts, ctx, record)
        if side is None:
            secrets, history = _secrets_and_history(ctx, files, record, ctx.now)
        deps = _run("dependencies", lambda: collect_dependencies(files, offline=ctx.offline, vuln_db=ctx.vuln_db,
                                                                 progress=p), DependencyFacts, ctx, record)
        parsed: dict[Any, Any] = {}  # one parse per source file: the engine's trees give the complexity too
        code = _run("code", lambda: analyse(files, progress=p, on_parsed=keep_parsed_metrics(parsed),
                                          release=not ctx.exits_after, parallel=ctx.parallel), CodeFacts, ctx,
                    record)
        practices = _run("practices", lambda: collect_practices(
            files, imports=code.imports, dependency_names=declared_names(deps.dependencies), progress=p),
            PracticeFacts, ctx, record)
        threshold = int(rubric.rule("complexity.complex_function").params.get("threshold", 10))
        complexity = _run("complexity", lambda: collect_complexity(files, threshold=threshold, progress=p,
                                                                   parsed=parsed), ComplexityFacts, ctx, record)
        if side is not None:
            try:
                secrets, side_record, history = side.result()
                record.update(side_record)
                p("collect: history and secrets read in the second process")
            except Exception as exc:  # the second process died: fall back to this one
                p(f"collect: second process failed ({exc}); reading history and secrets here")
                secrets, history = _secrets_and_history(ctx, files, record, ctx.now)
    finally:
        started.close()
    order = ("inventory", "history", "secrets", "dependencies", "code", "practices", "complexity")
    ordered = {name: record[name] for name in order if name in record}
    record.clear()
    record.update(ordered)
    return Facts(inventory=inventory, history=history, secrets=secrets, dependencies=deps, code=code,
                 practices=practices, complexity=complexity)


def evaluate(facts: Facts, rubric: Rubric, answers: Answers, today: date | None = None
             ) -> tuple[list[Finding], dict[str, Any], ScorecardResult, list[ChecklistEntry], DecisionResult,
                        list[AcceptanceRecord]]:
    """Probes, accepted findings, metrics, scorecard, checklist and decision for collected facts (pure).

    Accepted findings (auditlib.accept: the repository's ``.auditlib.yaml`` and the answers' ``accept:``,
    as of ``today``, the audit date) stay in the findings but leave the metrics, the scorecard, the
    checklist's pre-answers and the decision."""
    # imported here: the probes load the analysis engine's checks, which the git-side worker process
    # (auditlib.worker, that imports this module) never needs
    from .probes import run_probes

    findings, acceptances = apply_acceptances(run_probes(facts, rubric), facts, rubric, answers, today)
    live = active(findings)
    metrics = compute_metrics(scoring_facts(facts, findings), live)
    scorecard = build_scorecard(rubric, findings, metrics, answers)
    checklist = build_checklist(rubric, live, metrics, answers)
    decision = decide(rubric, metrics, answers)
    return findings, metrics, scorecard, checklist, decision, acceptances


def audit(ctx: AuditContext) -> AuditResult:
    """Audit one target end to end (without Jupyter)."""
    started = Started(ctx)  # git's long pass begins while the rubric and the answers are read
    try:
        rubric = load_rubric(ctx.rubric_dir)
        answers = load_answers(ctx.answers_path, rubric)
    except BaseException:
        started.close()
        raise
    record: dict[str, dict[str, Any]] = {}
    facts = collect(ctx, rubric, record, started)
    ctx.progress("evaluate: probes, scorecard, checklist, decision")
    return assemble(ctx, rubric, facts, answers, record)


def assemble(ctx: AuditContext, rubric: Rubric, facts: Facts, answers: Answers,
             record: dict[str, dict[str, Any]]) -> AuditResult:
    """Build the result from collected facts and (possibly updated) answers."""
    findings, metrics, scorecard, checklist, decision, acceptances = evaluate(facts, rubric, answers, ctx.now.date())
    target = TargetInfo(
        name=target_name(ctx.source) or ctx.target.name,
        source=ctx.source, commit=facts.history.head, audited_at=ctx.now.isoformat(timespec="seconds"),
        client=ctx.client, auditor=ctx.auditor or (answers.auditor or ""), branch=facts.history.branch,
    )
    run = RunInfo(rubric_version=rubric.version, auditlib_version=__version__, tools=tool_versions(),
                  collectors=record, offline=ctx.offline, vuln_db=str(ctx.vuln_db) if ctx.vuln_db else None,
                  answers_file=str(ctx.answers_path) if ctx.answers_path else None)
    result = AuditResult(target=target, facts=facts, metrics=metrics, findings=findings, scorecard=scorecard,
                         checklist=checklist, decision=decision, run=run, answers=answers, acceptances=acceptances)
    # answers given against evidence that has since changed are flagged, in scan results too
    result.answers.needs_review = review_answers(result.answers, result)
    from .masking import scrub_model  # every output is built from this result: no secret-shaped value leaves
    result = scrub_model(result)
    return result
