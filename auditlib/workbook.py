"""The workbook session: what the notebooks call, section by section.

A Session collects the facts once, then every section shows a slice of the same result. Answers
come from the answers file (by default ``<out_dir>/answers.yaml`` when it exists), so the same
notebook runs unchanged in JupyterLab and under papermill.

Interactive sections. In a running kernel, the question, scorecard, checklist, decision, summary
and review cells display ipywidgets forms (auditlib.widgets) and then a static table of the same
answers. The forms write every change at once to the answers file through ``Session.set_*`` (one
item merged under a lock, written atomically) and recompute the result without re-collecting. The
static table is what an exported HTML or PDF shows; a rendered form hides it with CSS, so a live
JupyterLab shows the form only. Under papermill the forms are created from the answers file and
nothing waits for input. Run unattended (``auditlib audit``, ``auditlib batch``: ``context.UNATTENDED``),
no form is built: each form cell shows the note a reopened workbook shows in the form's place (run the
workbook to answer), then the static table. A form built there could never be answered (its widgets'
models die with that kernel), and building them was a third of an unattended workbook's time (about
500 widgets and 1,200 kernel messages a target).
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import secrets
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html import escape
from pathlib import Path
from typing import Any, Callable, TypeVar

from pydantic import BaseModel, ValidationError

from . import report
from .answers import Answers, ChecklistAnswer, ScoreAnswer, Stamp, check_override, load_answers, update_answers
from .audit import AuditResult, assemble, collect
from .context import AuditContext, stdout_progress, unattended
from .errors import AnswersError, AuditError, TargetError
from .rubric import Question, Rubric, load_rubric
from .safeio import atomic_write, make_dir
from .scoring import build_checklist
from .targets import display_source, resolve_target


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


_M = TypeVar("_M", bound=BaseModel)


def _validated(model: type[_M], data: dict[str, Any], key: str) -> _M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
        raise AnswersError(f"{key}: {msg}; not saved") from None


@dataclass
class Session:
    """One audit in progress: context, rubric, collected facts, answers, and the current result."""

    ctx: AuditContext
    rubric: Rubric
    out_dir: Path
    answers_path: Path | None
    answers: Answers
    facts: Any
    record: dict[Any, Any] = field(default_factory=dict)
    result: AuditResult | None = None
    listeners: dict[str, Callable[[AuditResult], None]] = field(default_factory=dict)
    """Forms to update after every change, by form name (a re-run cell replaces its older form)."""
    clock: Callable[[], str] = _now
    """When an answer is given (ISO 8601); replaceable in tests."""

    def refresh(self) -> AuditResult:
        """Re-read the answers file and recompute findings, scores and decision (no re-collection)."""
        if self.answers_path and self.answers_path.exists():
            self.answers = load_answers(self.answers_path, self.rubric)
        return self._evaluate()

    def _evaluate(self) -> AuditResult:
        # assemble flags answers whose evidence changed (needs_review) on the same Answers object
        result = self.result = assemble(self.ctx, self.rubric, self.facts, self.answers, self.record)
        return result

    @property
    def current(self) -> AuditResult:
        """The last result (``result``, set when the session opens): for code that needs one."""
        if self.result is None:
            raise RuntimeError("the session has no result yet: call refresh() first")
        return self.result

    # ------------------------------------------------------------------ answering (the forms call these)
    @property
    def who(self) -> str:
        """Who is answering: the ``auditor`` parameter, else the answers file's auditor, else the login name."""
        if self.ctx.auditor or self.answers.auditor:
            return self.ctx.auditor or self.answers.auditor or ""
        try:
            return getpass.getuser()
        except Exception:  # no login name in some containers
            return "unknown"

    def _given(self, findings: list[str] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"by": self.who, "at": self.clock(), "commit": self.current.target.commit}
        if findings is not None:
            out["findings"] = list(findings)
        return out

    def set_score(self, category: str, score: int | None, note: str = "", reason: str = "") -> AuditResult:
        """Answer (or, with ``score=None``, un-answer) a scorecard category; refuses an override without a reason."""
        cat = self.current.scorecard.categories[category]
        value = None
        if score is not None:
            value = _validated(ScoreAnswer, {"score": score, "note": note.strip(), "reason": reason.strip(),
                                             "suggested": cat.suggested, **self._given(cat.evidence)},
                               f"scores.{category}")
            check_override(f"scores.{category}", value, cat.suggested)
        return self._update("scores", category, value)

    def set_checklist(self, item: str, answer: str | None, note: str = "") -> AuditResult:
        """Answer (or un-answer) a checklist item; refuses an exception or an override without a written note."""
        entry = next(e for e in self.current.checklist if e.id == item)
        auto = self.auto_answer(item)
        value = None
        if answer is not None:
            value = _validated(ChecklistAnswer, {"answer": answer, "note": note.strip(), "suggested": auto,
                                                 **self._given(entry.evidence)}, f"checklist.{item}")
            check_override(f"checklist.{item}", value, auto)
        return self._update("checklist", item, value)

    def auto_answer(self, item: str) -> str | None:
        """The evidence's pre-answer of a checklist item, whatever the auditor answered."""
        bare = build_checklist(self.rubric, self.current.findings, self.current.metrics, Answers())
        return next(e.answer for e in bare if e.id == item)

    def set_question(self, question: str, value: Any) -> AuditResult:
        """Answer (or, with None, un-answer) a judgment question; the value must have the question's type."""
        return self._update("questions", question, value, stamp=Stamp(**self._given()))

    def set_signal(self, signal: str, points_to: str | None) -> AuditResult:
        """Override a decision signal with ``refactor`` or ``rebuild`` (None: back to the evidence)."""
        return self._update("signals", signal, points_to, stamp=Stamp(**self._given()))

    def _update(self, section: str, key: str, value: Any, stamp: Stamp | None = None) -> AuditResult:
        if self.answers_path is None:  # open_session always sets one
            raise RuntimeError("this session has no answers file to write to")
        self.answers = update_answers(self.answers_path, section, key, value, rubric=self.rubric,
                                      auditor=self.who, stamp=stamp)
        self.ctx.answers_path = self.answers_path
        self._evaluate()
        # results.json follows the answers, so the report notebook can be re-run at any time
        self.current.write(self.out_dir / "results.json")
        self.notify()
        return self.current

    def subscribe(self, name: str, callback: Callable[[AuditResult], None]) -> None:
        """Call ``callback(result)`` after every change; a later form of the same ``name`` replaces it."""
        self.listeners[name] = callback

    def notify(self) -> None:
        """Tell every form the result changed."""
        for callback in list(self.listeners.values()):
            callback(self.current)

    def reload(self) -> AuditResult:
        """Re-read the answers file (e.g. after another notebook saved) and update every form."""
        self.refresh()
        self.notify()
        return self.current


class NotStarted:
    """What ``session`` holds until the intake cell has run (or when it failed): every section then says
    what to do, in one message, instead of a NameError or a traceback."""

    def __init__(self, reason: str = "") -> None:
        self.reason = reason

    def error(self) -> WorkbookNotStarted:
        if self.reason:
            return WorkbookNotStarted(f"The intake cell failed: {self.reason}\n{AFTER_FIX}")
        return WorkbookNotStarted("The workbook has not been run yet: run it from the top (Run > Run All Cells). "
                                  "The intake cell collects the evidence every section shows.")

    def __repr__(self) -> str:
        return "<the workbook has not been run: Run > Run All Cells>"


class WorkbookNotStarted(AuditError):
    """A section was run before the intake cell completed."""


AFTER_FIX = "Fix it, then run the workbook again from the top (Run > Run All Cells)."
NOT_STARTED = NotStarted()
_current: Session | NotStarted = NOT_STARTED


def current_session() -> Session | NotStarted:
    """The session the intake cell started in this kernel (for the workbook's first cell: a section run
    before intake then says to run the workbook instead of failing with a NameError)."""
    return _current


def _needs_session(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def section(session: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(session, Session):
            raise (session.error() if isinstance(session, NotStarted) else NOT_STARTED.error())
        return fn(session, *args, **kwargs)
    return section


def _failed_start(message: str) -> AuditError:
    """Record a failed intake (later sections say so) and return the one-message error to raise."""
    global _current
    _current = NotStarted(message)
    try:  # the notebook's `session` still holds the previous session: later sections must not show it
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None and "session" in shell.user_ns:
            shell.user_ns["session"] = _current
    except ImportError:
        pass
    return WorkbookNotStarted(message + "\n" + AFTER_FIX)


def start(target: str, *, out_dir: str = "", client: str = "", auditor: str = "", answers: str = "",
          offline: bool = False, vuln_db: str = "", source: str = "") -> Session:
    """Resolve the target, load rubric and answers, run every collector once, and evaluate.

    A target, answers file or rubric that cannot be used raises one message (no traceback in a
    notebook) saying what is wrong and what to do; until the intake succeeds every section says so too."""
    global _current
    report.forget_charts()  # a new target: no chart of the last one is shown again
    try:
        session = _start(target, out_dir=out_dir, client=client, auditor=auditor, answers=answers, offline=offline,
                         vuln_db=vuln_db, source=source)
    except AnswersError as exc:
        raise _failed_start(f"the answers file cannot be used: {exc}") from None
    except AuditError as exc:  # no target, a target that cannot be read, a malformed rubric
        raise _failed_start(str(exc)) from None
    _current = session
    return session


def _start(target: str, *, out_dir: str, client: str, auditor: str, answers: str, offline: bool, vuln_db: str,
           source: str) -> Session:
    if not target:
        raise TargetError("no target: set `target` in the parameters cell to the repository to audit "
                         "(or prepare the workbook with `auditlib open TARGET --out DIR`)")
    repo = resolve_target(target, offline=offline)
    out = make_dir(Path(out_dir or f"audits/{repo.name}").resolve())
    answers_path = Path(answers).resolve() if answers else (out / "answers.yaml")
    rubric = load_rubric()
    loaded = load_answers(answers_path, rubric) if answers_path.exists() else Answers()
    ctx = AuditContext(target=repo, source=display_source(source or target), client=client, auditor=auditor, offline=offline,
                       vuln_db=Path(vuln_db) if vuln_db else None,
                       answers_path=answers_path if answers_path.exists() else None, progress=stdout_progress)
    session = Session(ctx=ctx, rubric=rubric, out_dir=out, answers_path=answers_path, answers=loaded, facts=None)
    session.facts = collect(ctx, rubric, session.record)
    ctx.progress("evaluate: probes, scorecard, checklist, decision")
    session.refresh()
    if session.answers.needs_review:
        ctx.progress(f"{len(session.answers.needs_review)} answer(s) to review: the evidence changed since they "
                     "were given, or an override has no reason (see the review cell)")
    return session


@_needs_session
def intake(session: Session) -> report.HTML:
    """What is being audited: target, commit, size, languages, authors, and what could not be measured."""
    r = session.current
    f = r.facts
    langs = sorted(f.inventory.languages.items(), key=lambda kv: -kv[1].lines)[:8]
    lang = ", ".join(f"{k} {v.lines} lines" for k, v in langs) or "none"
    h = f.history
    authors = ", ".join(f"{a.name} ({report.plural(a.commits, 'commit')}, last {a.last_commit[:10]}"
                        f"{', active' if a.active_recently else ''})" for a in h.authors[:5]) or "none"
    rows = [["Target", f"{r.target.name} ({r.target.source})"], ["Commit", report.commit_label(r)],
            ["Files", f"{f.inventory.files} ({f.inventory.code_files} code files, {f.inventory.code_lines} lines of code)"],
            ["Languages", lang],
            ["History", f"{report.plural(h.commits, 'commit')}, {(h.first_commit or '—')[:10]} to "
                        f"{(h.last_commit or '—')[:10]}"
                                  + (" (shallow clone: partial)" if h.shallow else "")],
            ["Authors", authors]]
    if h.prototype_mode:
        rows.append(["Note", "Prototype mode (" + "; ".join(h.prototype_reasons) + "). This is normal for a "
                             "prototype and says nothing by itself about quality; what matters is what the code "
                             "and history show."])
    missing = [f"{k}: {v['reason']}" for k, v in r.run.collectors.items() if not v["available"]]
    body = report.kv_table(rows)
    if missing:
        body += "<p><b>Could not measure:</b> " + escape("; ".join(missing)) + "</p>"
    return report.HTML(body)


def _join(*parts: report.HTML) -> report.HTML:
    return report.HTML("".join(p.body for p in parts))


@_needs_session
def history_overview(session: Session) -> report.HTML:
    """Who owns the code and when it was written: ownership chart and table, commit timeline."""
    from . import charts

    h = session.current.facts.history
    return _join(charts.ownership_chart(h), charts.ownership_table(h), charts.timeline_chart(h))


@_needs_session
def findings_overview(session: Session) -> report.HTML:
    """How many findings of each severity each phase addresses."""
    return report.findings_by_phase_chart(session.current, session.rubric)


@_needs_session
def code_health(session: Session) -> report.HTML:
    """Hotspots (churn x complexity) and the spread of complexity."""
    from . import charts

    f = session.current.facts
    return _join(charts.hotspots_chart(f.history, f.complexity), charts.hotspots_table(f.history, f.complexity),
                 charts.complexity_distribution_table(f.complexity))


@_needs_session
def phase(session: Session, number: int) -> report.HTML:
    """One playbook phase: its goal and steps, the findings addressed in it, and its open questions."""
    r, rubric = session.current, session.rubric
    ph = rubric.phases.phases[number - 1]
    steps = "".join(f"<li>{escape(s)}</li>" for s in ph.steps)
    findings = [f for f in r.findings if f.phase == number]
    accepted = sum(1 for f in findings if f.accepted is not None)
    body = f"<p><b>Goal:</b> {escape(ph.goal)}</p><ol>{steps}</ol>"
    body += (f"<h3>Evidence: {len(findings)} finding(s) addressed in this phase"
             f"{f' ({accepted} accepted with a reason: out of the score)' if accepted else ''}</h3>")
    body += report.findings_table(r, findings).body
    return report.HTML(body)


def question_hint(result: AuditResult, question: Question) -> str:
    """The evidence shown beside a judgment question (its rubric ``hint`` metric), or ''."""
    if not question.hint:
        return ""
    return "Evidence: " + report.metric_text(question.hint, result.metrics.get(question.hint))


@_needs_session
def questions_html(session: Session, number: int) -> report.HTML:
    """The judgment-only questions of one phase with their answers, who gave them, and the evidence beside them."""
    rows = []
    for q in (q for q in session.rubric.questions.questions if q.phase == number):
        value = session.answers.question(q.id)
        stamp = session.answers.trail.get(f"questions.{q.id}")
        given = f" ({stamp.by}, {(stamp.at or '')[:16]})" if stamp and stamp.by else ""
        rows.append([escape(q.text), escape(("unanswered" if value is None else str(value)) + given), escape(q.id),
                     escape(question_hint(session.current, q))])
    if not rows:
        return report.HTML('<p class="muted">No judgment questions in this phase.</p>')
    return report.HTML("<h3>Questions only the auditor can answer</h3>" + report.table(
        ["Question", "Answer", "Answers-file key (questions:)", "Evidence beside it"], rows, raw=True))


def summary_html(result: AuditResult) -> report.HTML:
    """Total, band and verdict in one line, with how much of it the auditor has reviewed."""
    sc, d = result.scorecard, result.decision
    provisional = " (provisional: open categories count as 0)" if sc.provisional else ""
    review = len(result.answers.needs_review)
    flag = f' &nbsp; {report.badge(f"{review} to review", "#e67700")}' if review else ""
    notes = [report.provenance_line(result), report.not_applicable_line(result), report.accepted_line(result)]
    return report.HTML(
        f'<div class="box al-summary"><span class="big">{escape(sc.out_of)}</span> &nbsp; '
        f'{report.badge(sc.band_label, report.BAND_COLOURS[sc.band])}{escape(provisional)} &nbsp; '
        f'<b>Verdict: {escape(d.verdict.replace("_", " "))}</b>{flag}'
        + "".join(f'<p class="muted">{escape(n)}</p>' for n in notes if n) + "</div>")


@_needs_session
def review_html(session: Session) -> report.HTML:
    """Answers given against other evidence than the current (new commits) or overriding without a reason."""
    r, a = session.current, session.answers
    given_at = {s.commit for s in a.scores.values() if s.commit} | {c.commit for c in a.checklist.values() if c.commit}
    head = r.target.commit or "—"
    lines = []
    if given_at - {r.target.commit}:
        lines.append(f"Some answers were given at commit {', '.join(sorted(c[:10] for c in given_at))}; "
                     f"the target is now at {head[:10]}.")
    if not a.needs_review:
        lines.append("No answer to review: every answer was given against the current evidence"
                     + (", and every override has a reason." if a.scores or a.checklist else "."))
        return report.HTML("".join(f"<p>{escape(x)}</p>" for x in lines))
    found = {f.id: f for f in r.findings}
    names = report._question_names(r)
    rows = []
    for flag in a.needs_review:
        added = "<br>".join(report.finding_line(found[i]) for i in flag.added if i in found)
        rows.append([escape(names.get(flag.key, flag.key)), escape(flag.message),
                     escape(", ".join(flag.gone)) or "—", added or "—"])
    return report.HTML("".join(f"<p>{escape(x)}</p>" for x in lines)
                       + f"<p><b>{len(rows)} answer(s) to review</b> (answer the item again to clear it):</p>"
                       + report.table(["Answer", "Why", "Findings gone", "New findings"], rows, raw=True))


# ----------------------------------------------------------------------------- forms + static tables
class Static(report.HTML):
    """A static table shown after a form: what exports show; a rendered form hides it (CSS class al-static)."""

    def _repr_html_(self) -> str:
        return report.CSS + f'<div class="al al-static">{self.body}</div>'


def in_kernel() -> bool:
    """Whether we run in an IPython kernel (a notebook, or papermill), where widgets can be displayed."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _with_form(build: Callable[[], Any], static: report.HTML) -> Static:
    if in_kernel():
        from .widgets import show, show_placeholder

        if unattended():
            show_placeholder()
        else:
            show(build())
    return Static(static.body)


@_needs_session
def questions(session: Session, number: int) -> Static:
    """The phase's judgment questions: a form (in a kernel), then the static table."""
    from . import widgets

    return _with_form(lambda: widgets.questions_form(session, number), questions_html(session, number))


@_needs_session
def summary(session: Session) -> Static:
    """Total, band and verdict, recomputed live as answers change."""
    from . import widgets

    return _with_form(lambda: widgets.summary_widget(session), summary_html(session.current))


@_needs_session
def review(session: Session) -> Static:
    """Which answers need review since the target changed (or lack a reason), kept current as answers change."""
    from . import widgets

    return _with_form(lambda: widgets.review_widget(session), review_html(session))


@_needs_session
def scorecard(session: Session) -> Static:
    """The scorecard: one form row per category (in a kernel), then the table with suggestions, provenance and basis."""
    from . import widgets

    return _with_form(lambda: widgets.scorecard_form(session),
                      report.scorecard_table(session.current, full_basis=True))


@_needs_session
def checklist(session: Session) -> Static:
    """The readiness checklist: a form row per item (in a kernel), then the static table."""
    from . import widgets

    return _with_form(lambda: widgets.checklist_form(session),
                      report.checklist_table(session.current, session.rubric, with_evidence=True))


@_needs_session
def decision(session: Session) -> Static:
    """The refactor / rebuild / not-ready decision: signal overrides and a live decision (in a kernel), then static."""
    from . import widgets

    return _with_form(lambda: widgets.decision_form(session), report.decision_section(session.current))


@_needs_session
def save(session: Session) -> Path:
    """Write ``<out_dir>/results.json`` and ``findings.sarif`` (the last cell of the workbook)."""
    from .sarif import write_sarif

    path = session.current.write(session.out_dir / "results.json")
    sarif = write_sarif(session.current, session.rubric, session.out_dir / "findings.sarif")
    session.ctx.progress(f"wrote {path} and {sarif.name}")
    return path


# ------------------------------------------------------------------------------- auditlib open
def prepare_workspace(target: str | Path, out_dir: Path, *, source: str = "", client: str = "", auditor: str = "",
                      answers: str = "", offline: bool = False, vuln_db: str = "") -> Path:
    """Copy the workbook into ``out_dir`` with its parameters set (papermill's parameterize, not executed).

    The notebook is rewritten each time (it is a view: the answers live in the answers file).
    """
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from .run import NOTEBOOK_DIR, WORKBOOK

    out_dir = make_dir(Path(out_dir).resolve())
    params = {"target": str(target), "out_dir": str(out_dir), "client": client, "auditor": auditor,
              "answers": str(Path(answers).resolve()) if answers else "", "offline": bool(offline),
              "vuln_db": str(Path(vuln_db).resolve()) if vuln_db else "", "source": display_source(source or str(target))}
    nb = parameterize_notebook(load_notebook_node(str(NOTEBOOK_DIR / WORKBOOK)), params)
    path = out_dir / WORKBOOK
    atomic_write(path, nbformat.writes(nb))  # type: ignore[no-untyped-call]  # nbformat.writes is not annotated
    return path


LAB_OVERRIDES = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
                 "@jupyterlab/docmanager-extension:plugin": {"lastModifiedCheckMargin": 10 ** 13}}
"""JupyterLab settings of an audit session: no "receive official Jupyter news?" prompt in front of a
client, no update check, and no "File changed on disk: overwrite / revert" dialog (two tabs on the
workbook, each autosaving: the notebook is only a view, the answers live in answers.yaml, and the save
hook ``strip_live_forms`` makes every saved copy the same kind of snapshot, so the last save may win).
Written as the session's ``overrides.json``: the user's own settings stay."""


def strip_live_forms(model: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """The workbook's JupyterLab save hook (``ContentsManager.pre_save_hook``, set by ``auditlib open`` and
    registered on any Jupyter server of the environment by ``auditlib.jupyter_ext``): a saved notebook
    keeps no reference to a live form. Each form output keeps its text/html fallback (how to get the
    form back) and loses its widget view, whose model exists only in the kernel that drew it: reopened
    later (a reload, a second tab, a restarted kernel or server) such a view would show "Error
    displaying widget: model not found". Only auditlib's forms are touched (their text/html is the
    placeholder ``widgets.show`` gives them); a notebook that had any also loses its saved widget state,
    for the same reason. Other notebooks and other widgets are saved as they are."""
    from .widgets import PLACEHOLDER, WIDGET_VIEW

    if not model or model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
        return
    nb = model["content"]
    stripped = False
    for cell in nb.get("cells") or []:
        for output in (cell.get("outputs") or []) if isinstance(cell, dict) else []:
            data = output.get("data") if isinstance(output, dict) else None
            if isinstance(data, dict) and WIDGET_VIEW in data and _is_form_fallback(data.get("text/html"), PLACEHOLDER):
                del data[WIDGET_VIEW]
                stripped = True
    metadata = nb.get("metadata")
    if stripped and isinstance(metadata, dict):
        metadata.pop("widgets", None)


def _is_form_fallback(html: Any, placeholder: str) -> bool:
    """Whether a saved output's text/html is a form's placeholder (a string, or nbformat's list of lines)."""
    text = "".join(html) if isinstance(html, list) else html
    return isinstance(text, str) and text == placeholder


KERNEL_STARTUP = '''# auditlib workbook session: `wb` and `session` exist before any cell runs, so a section run
# before the intake cell says to run the workbook instead of failing with a NameError.
try:
    from auditlib import workbook as wb
    session = wb.current_session()
except Exception:  # never stop a kernel from starting
    pass
'''


def kernel_env(workspace: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of the session's JupyterLab (its kernels inherit it): ``IPYTHONDIR`` is a hidden
    folder of the workspace whose startup file defines ``wb`` and ``session`` (KERNEL_STARTUP)."""
    folder = Path(workspace).resolve() / ".ipython"
    startup = folder / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-auditlib-workbook.py").write_text(KERNEL_STARTUP, encoding="utf-8")
    return {**(os.environ if env is None else env), "IPYTHONDIR": str(folder)}


def lab_settings_dir(workspace: Path) -> Path:
    """The session's JupyterLab app-settings folder (``overrides.json``), a hidden folder of the workspace
    (JupyterLab's file browser does not list it)."""
    folder = Path(workspace).resolve() / ".lab-settings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(LAB_OVERRIDES, indent=1) + "\n", encoding="utf-8")
    return folder


def lab_command(workspace: Path, port: int, token: str | None = None) -> tuple[list[str], str]:
    """The JupyterLab command serving ``workspace`` on 127.0.0.1:``port``, and the URL of its workbook."""
    token = token or secrets.token_hex(16)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", "--ServerApp.port_retries=0",  # a busy port fails, so the URL stays right
           f"--ServerApp.root_dir={Path(workspace).resolve()}", f"--IdentityProvider.token={token}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           "--ContentsManager.pre_save_hook=auditlib.workbook.strip_live_forms",
           f"--LabApp.app_settings_dir={lab_settings_dir(workspace)}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd, f"http://127.0.0.1:{port}/lab/tree/workbook.ipynb?token={token}"


# ------------------------------------------------------------------------------- auditlib report
SESSION_MARK = ".lab-settings"
"""A folder `auditlib open` prepared holds this hidden folder (the session's JupyterLab settings)."""


def is_session_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a workbook session prepared by ``auditlib open``."""
    return (Path(folder) / SESSION_MARK).is_dir()


def session_parameters(folder: Path) -> dict[str, Any]:
    """The parameters of the workbook in ``folder`` (prepared by ``auditlib open`` or run by ``audit``):
    the injected-parameters cell as it is now (the auditor may have edited it), else the parameters
    papermill recorded. TargetError when the folder holds no parameterised workbook."""
    import ast

    from .run import WORKBOOK

    path = Path(folder) / WORKBOOK
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        raise TargetError(f"{path}: no workbook to take the session's parameters from (prepare the folder with "
                          "`auditlib open TARGET --out DIR`)") from None
    params: dict[str, Any] = {}
    recorded = (nb.get("metadata") or {}).get("papermill") or {}
    if isinstance(recorded.get("parameters"), dict):
        params.update(recorded["parameters"])
    for cell in nb.get("cells") or []:
        if "injected-parameters" not in ((cell.get("metadata") or {}).get("tags") or []):
            continue
        source = cell.get("source")
        try:
            tree = ast.parse("".join(source) if isinstance(source, list) else str(source or ""))
        except SyntaxError:
            break
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                try:
                    params[node.targets[0].id] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    if not params.get("target"):
        raise TargetError(f"{path}: the workbook names no target (prepare the folder with "
                          "`auditlib open TARGET --out DIR`)")
    return params


def report_session(folder: Path, *, pdf: bool = True, progress: Callable[[str], None] = lambda _m: None) -> dict[str, Path]:
    """The deliverable of a workbook session, beside it: ``results.json`` and ``findings.sarif`` computed
    again from the session's parameters (target, client, auditor, offline, vulnerability data) and its
    answers file as saved now, then ``report.ipynb``, ``report.html`` and ``report.pdf``. The workbook
    notebook is neither executed nor written (it may be open in JupyterLab)."""
    from .audit import audit
    from .run import REPORT, execute, export_html, export_pdf
    from .sarif import write_sarif

    folder = Path(folder).resolve()
    p = session_parameters(folder)
    answers = Path(p["answers"]) if p.get("answers") else folder / "answers.yaml"
    offline = bool(p.get("offline"))
    target = resolve_target(str(p["target"]), offline=offline)
    ctx = AuditContext(target=target, source=display_source(p.get("source") or str(p["target"])),
                       client=str(p.get("client") or ""), auditor=str(p.get("auditor") or ""), offline=offline,
                       vuln_db=Path(p["vuln_db"]) if p.get("vuln_db") else None,
                       answers_path=answers if answers.exists() else None, progress=progress)
    progress(f"report: the session's evidence and answers ({answers.name if answers.exists() else 'no answers file'})")
    result = audit(ctx)
    results = result.write(folder / "results.json")
    write_sarif(result, load_rubric(), folder / "findings.sarif")
    progress("report: rendering the deliverable notebook (papermill)")
    report_nb = execute(REPORT, folder / REPORT, {"results": str(results)}, progress)
    progress("report: exporting report.html (nbconvert, code hidden)")
    outputs = {"results": results, "report_notebook": report_nb, "html": export_html(report_nb, folder / "report.html")}
    if pdf:
        progress("report: printing report.pdf (headless chromium)")
        outputs["pdf"] = export_pdf(outputs["html"], folder / "report.pdf")
    return outputs
