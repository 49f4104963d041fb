"""The workbook session: what the notebooks call, section by section.

A Session collects the facts once, then every section shows a slice of the same result. Answers
come from the answers file (by default ``<out_dir>/answers.yaml`` when it exists), so the same
notebook runs unchanged in JupyterLab and under papermill.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from . import report
from .answers import Answers, load_answers
from .audit import AuditResult, assemble, collect
from .context import AuditContext, stdout_progress
from .rubric import Rubric, load_rubric
from .targets import resolve_target


@dataclass
class Session:
    """One audit in progress: context, rubric, collected facts, answers, and the current result."""

    ctx: AuditContext
    rubric: Rubric
    out_dir: Path
    answers_path: Path | None
    answers: Answers
    facts: Any
    record: dict = field(default_factory=dict)
    result: AuditResult | None = None

    def refresh(self) -> AuditResult:
        """Re-read the answers file and recompute findings, scores and decision (no re-collection)."""
        if self.answers_path and self.answers_path.exists():
            self.answers = load_answers(self.answers_path, self.rubric)
        self.result = assemble(self.ctx, self.rubric, self.facts, self.answers, self.record)
        return self.result


def start(target: str, *, out_dir: str = "", client: str = "", auditor: str = "", answers: str = "",
          offline: bool = False, vuln_db: str = "", source: str = "") -> Session:
    """Resolve the target, load rubric and answers, run every collector once, and evaluate."""
    if not target:
        raise ValueError("set `target` in the parameters cell to the repository to audit")
    repo = resolve_target(target, offline=offline)
    out = Path(out_dir or f"audits/{repo.name}").resolve()
    out.mkdir(parents=True, exist_ok=True)
    answers_path = Path(answers).resolve() if answers else (out / "answers.yaml")
    rubric = load_rubric()
    loaded = load_answers(answers_path, rubric) if answers_path.exists() else Answers()
    ctx = AuditContext(target=repo, source=source or target, client=client, auditor=auditor, offline=offline,
                       vuln_db=Path(vuln_db) if vuln_db else None,
                       answers_path=answers_path if answers_path.exists() else None, progress=stdout_progress)
    session = Session(ctx=ctx, rubric=rubric, out_dir=out, answers_path=answers_path, answers=loaded, facts=None)
    session.facts = collect(ctx, rubric, session.record)
    ctx.progress("evaluate: probes, scorecard, checklist, decision")
    session.refresh()
    return session


def intake(session: Session) -> report.HTML:
    """What is being audited: target, commit, size, languages, authors, and what could not be measured."""
    r = session.result
    f = r.facts
    langs = sorted(f.inventory.languages.items(), key=lambda kv: -kv[1].lines)[:8]
    lang = ", ".join(f"{k} {v.lines} lines" for k, v in langs) or "none"
    h = f.history
    authors = ", ".join(f"{a.name} ({a.commits} commits, last {a.last_commit[:10]}"
                        f"{', active' if a.active_recently else ''})" for a in h.authors[:5]) or "none"
    rows = [["Target", f"{r.target.name} ({r.target.source})"], ["Commit", (h.head or "—")[:12]],
            ["Files", f"{f.inventory.files} ({f.inventory.code_files} code files, {f.inventory.code_lines} lines of code)"],
            ["Languages", lang], ["History", f"{h.commits} commits, {(h.first_commit or '—')[:10]} to {(h.last_commit or '—')[:10]}"
                                  + (" (shallow clone: partial)" if h.shallow else "")],
            ["Authors", authors]]
    if len(h.authors) == 1 and h.commits:
        rows.append(["Note", "Prototype mode: a single author. This is normal for a prototype and says nothing "
                             "by itself about quality; what matters is what the code and history show."])
    missing = [f"{k}: {v['reason']}" for k, v in r.run.collectors.items() if not v["available"]]
    body = report.kv_table(rows)
    if missing:
        body += "<p><b>Could not measure:</b> " + escape("; ".join(missing)) + "</p>"
    return report.HTML(body)


def phase(session: Session, number: int) -> report.HTML:
    """One playbook phase: its goal and steps, the findings addressed in it, and its open questions."""
    r, rubric = session.result, session.rubric
    ph = rubric.phases.phases[number - 1]
    steps = "".join(f"<li>{escape(s)}</li>" for s in ph.steps)
    findings = [f for f in r.findings if f.phase == number]
    body = f"<p><b>Goal:</b> {escape(ph.goal)}</p><ol>{steps}</ol>"
    body += f"<h3>Evidence: {len(findings)} finding(s) addressed in this phase</h3>"
    body += report.findings_table(r, findings).body
    questions = [q for q in rubric.questions.questions if q.phase == number]
    if questions:
        rows = []
        for q in questions:
            value = session.answers.question(q.id)
            hint = ""
            if q.hint:
                hv = r.metrics.get(q.hint)
                hint = f"evidence: {q.hint} = {'not measured' if hv is None else hv}"
            rows.append([escape(q.text), escape("unanswered" if value is None else str(value)), escape(q.id),
                         escape(hint)])
        body += "<h3>Questions only the auditor can answer</h3>"
        body += report.table(["Question", "Answer", "Answers-file key (questions:)", "Evidence beside it"], rows, raw=True)
    return report.HTML(body)


def scorecard(session: Session) -> report.HTML:
    """The scorecard with suggestions, provenance and basis."""
    return report.scorecard_table(session.result, full_basis=True)


def checklist(session: Session) -> report.HTML:
    """The readiness checklist."""
    return report.checklist_table(session.result, session.rubric, with_evidence=True)


def decision(session: Session) -> report.HTML:
    """The refactor / rebuild / not-ready decision."""
    return report.decision_section(session.result)


def save(session: Session) -> Path:
    """Write ``<out_dir>/results.json`` (the last cell of the workbook) and return its path."""
    path = session.result.write(session.out_dir / "results.json")
    session.ctx.progress(f"wrote {path}")
    return path
