"""ipywidgets forms over the answers model: no logic of their own.

Each form shows what the result says (suggestion, provenance, evidence) and hands every change to
the Session (``set_score``, ``set_checklist``, ``set_question``, ``set_signal``), which validates
it, merges it into the answers file atomically and recomputes the result. The Session then tells
every form to redraw from the new result, so a summary, a marker or a decision never computes
anything here. A refused change (an override or an exception without a written reason) is shown
beside the row and not saved.

Every form starts with a style element that hides the static tables the workbook prints after
it (class ``al-static``): a live frontend that renders the form shows the form only, while an
export, where the form is not rendered, shows the static tables.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING, Any, Callable

import ipywidgets as W

from . import report
from .answers import coerce_question
from .errors import AnswersError

if TYPE_CHECKING:
    from .audit import AuditResult
    from .rubric import Question, Signal
    from .workbook import Session

HIDE_STATIC = ("<style>.al-static { display: none !important; } "
               ".jp-OutputArea-child:has(.al-static) { display: none !important; }</style>")
PROVENANCE_COLOURS = {"auto": "#868e96", "confirmed": "#2b8a3e", "overridden": "#e67700", "attested": "#1c7ed6",
                      "open": "#adb5bd"}
RED = "#c92a2a"
ORANGE = "#e67700"
OPEN = ""
"""The value of a dropdown's "(open)" / "(unanswered)" / "from evidence" choice. Not None: ipywidgets 8
reads a value of None as "nothing selected" and shows an empty box."""


def _shown(value: Any) -> Any:
    """What a dropdown shows for a saved value (None: the open choice)."""
    return OPEN if value is None else value


def _given(value: Any) -> Any:
    """The saved value of a dropdown's choice (the open choice: None)."""
    return None if isinstance(value, str) and value == OPEN else value


_KEY = re.compile(r"^(?:scores|checklist|questions|signals)\.[\w.-]+: ")


def human_message(exc: BaseException) -> str:
    """A refusal as the auditor reads it beside the row: no answers-file key, no field names in code style."""
    text = _KEY.sub("", str(exc)).removesuffix("; not saved")
    text = text.replace("in `note`", "in the note field").replace("`", "")
    return text[:1].upper() + text[1:]


_SHARED: dict[Any, W.Widget] = {}


def _shared(key: Any, factory: Callable[[], W.Widget]) -> W.Widget:
    # one layout / style model per kind, shared by every view: a form is a few hundred widgets, and
    # a model each made the executed notebook's widget state a megabyte
    widget = _SHARED.get(key)
    if widget is None or widget.comm is None:  # closed (Widget.close_all) or never made
        widget = _SHARED[key] = factory()
    return widget


def _make(cls: Any, *args: Any, width: str = "", **kwargs: Any) -> Any:  # ipywidgets is untyped
    """``cls(*args, **kwargs)`` with a shared layout (of ``width``) and a shared style."""
    kwargs.setdefault("layout", _shared(("layout", width), lambda: W.Layout(width=width) if width else W.Layout()))
    style = cls.class_traits().get("style")
    if style is not None:
        kwargs.setdefault("style", _shared(("style", cls), style.klass))
    return cls(*args, **kwargs)


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
PLACEHOLDER = ('<div class="al al-form-placeholder" style="border:1px solid #ced4da;border-left:4px solid #1c7ed6;'
               'padding:6px 10px;margin:4px 0;background:#f8f9fa"><b>The form is not running.</b> To answer, run the '
               'workbook: <i>Run &gt; Run All Cells</i> (the evidence is collected again in seconds and every answer '
               'saved in answers.yaml comes back). Below: the answers as they were when this notebook was saved.</div>')
"""Shown in a form's place wherever the live form is not: a reopened notebook (the session's save hook,
``workbook.strip_live_forms``, keeps only this), a workbook run unattended (``auditlib audit``,
``auditlib batch``: ``context.UNATTENDED``; no form is built there)."""


PLACEHOLDER_TEXT = "(form: run the workbook to answer)"


def show(widget: W.Widget) -> None:
    """Display a widget with a text/html fallback saying how to get the form back (``PLACEHOLDER``)."""
    from IPython.display import display

    bundle = widget._repr_mimebundle_()
    bundle["text/html"] = PLACEHOLDER
    bundle["text/plain"] = PLACEHOLDER_TEXT
    display(bundle, raw=True)  # type: ignore[no-untyped-call]  # IPython's display() is not annotated


def show_placeholder() -> None:
    """Display, in a form's place, what ``show`` displays without the widget: the output a saved
    workbook keeps of a form (``workbook.strip_live_forms``). For a workbook run unattended
    (``context.UNATTENDED``), where no one could answer the form."""
    from IPython.display import display

    display({"text/html": PLACEHOLDER, "text/plain": PLACEHOLDER_TEXT}, raw=True)  # type: ignore[no-untyped-call]


def _al(fragment: str) -> str:
    return f'<div class="al">{fragment}</div>'


def _style() -> W.HTML:
    return _make(W.HTML, report.CSS + HIDE_STATIC)


def _marker(provenance: str, review: list[Any]) -> str:
    text = report.PROVENANCE_TEXT[provenance]
    out = report.badge(text, PROVENANCE_COLOURS[provenance])
    if review:
        out += " " + report.badge("review", RED)
    return _al(out)


def _reviews(result: AuditResult, key: str) -> list[Any]:
    return [f for f in result.answers.needs_review if f.key == key]


class _Row:
    """One answerable item: shows the saved state, saves on change, says when a change is refused."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.message = _make(W.HTML)
        self._syncing = False
        self.pending = False
        """A change was refused: keep what the auditor typed until it is saved or reset."""

    def _save(self, action: Callable[[], Any]) -> None:
        if self._syncing:
            return
        try:
            action()
        except (AnswersError, OSError) as exc:  # refused, or the file could not be written: say so, keep the input
            self.pending = True
            self.message.value = _al(f'<span style="color:{RED}"><b>Not saved:</b> {escape(human_message(exc))}</span>')
        else:
            self.pending = False
            self.message.value = _al(f'<span class="muted al-saved">saved {escape(self.session.clock()[11:19])} UTC</span>')

    def _reset(self, action: Callable[[], Any]) -> None:
        """Remove the answer: what a refused change left on screen goes too (the row shows the file again)."""
        self.pending = False
        self._save(action)

    def _text_changed(self, saved: bool) -> None:
        """A note or reason was typed. It is saved at once only as an edit of the answer the row already
        holds (``saved``) or to complete a refused change; otherwise it waits for the score or answer it
        goes with (a choice in the dropdown, or *confirm*), so leaving the field saves nothing by itself."""
        if self._syncing:
            return
        if saved or self.pending:
            self.save()
            return
        self.pending = True  # keep the text through redraws until it is saved or reset
        self.message.value = _al(f'<span style="color:{ORANGE}">Not saved yet: choose a value or press '
                                 '<i>confirm</i> to save it with this text.</span>')

    def save(self) -> None:  # pragma: no cover - every row defines it
        raise NotImplementedError

    def _quietly(self, fn: Callable[[], None]) -> None:
        self._syncing = True
        try:
            fn()
        finally:
            self._syncing = False


def _details(summary: str, body: str) -> str:
    return f"<details><summary>{escape(summary)}</summary>{body}</details>"


def _finding_lines(result: AuditResult, ids: list[str], limit: int = 12) -> str:
    """The findings behind a row; past ``limit`` the rest behind their own disclosure (none is left out)."""
    found = {f.id: f for f in result.findings}
    lines = [report.finding_line(found[i]) for i in ids if i in found]
    out = "<br>".join(lines[:limit])
    if len(lines) > limit:
        out += "<br>" + _details(f"… and {len(lines) - limit} more (show them)", "<br>".join(lines[limit:]))
    return out


# ------------------------------------------------------------------------------------------- scorecard
class ScoreRow(_Row):
    """A category: 0-5 selector pre-set to the current score (the suggestion until answered), note, reason."""

    def __init__(self, session: Session, category: str) -> None:
        super().__init__(session)
        self.category = category
        result = session.current
        cat = result.scorecard.categories[category]
        options: list[tuple[str, Any]] = [(f"{v} (suggested)" if v == cat.suggested else str(v), v) for v in range(6)]
        if cat.suggested is None:
            options.insert(0, ("(not applicable)" if not cat.applicable else "(open)", OPEN))
        given = session.answers.scores.get(category)
        self.select = _make(W.Dropdown, options=options, value=_shown(cat.score), width="150px")
        self.note = _make(W.Text, value=given.note if given else "", placeholder="note", continuous_update=False,
                           width="22%")
        self.reason = _make(W.Text, value=given.reason if given else "", continuous_update=False,
                             placeholder="reason (needed to change the suggestion)", width="26%")
        self.confirm = _make(W.Button, description="confirm", tooltip="save the score shown (confirms the suggestion)",
                                width="80px")
        self.reset = _make(W.Button, description="reset", tooltip="remove the answer: back to the suggestion",
                              width="70px")
        self.marker = _make(W.HTML, width="150px")
        self.evidence = _make(W.HTML)
        title = _make(W.HTML, _al(f"<b>{escape(cat.title)}</b>"), width="230px")
        top = _make(W.HBox, [title, self.select, self.marker, self.note, self.reason, self.confirm, self.reset])
        self.box = _make(W.VBox, [top, self.evidence, self.message])
        self.box.add_class("al-score-row")
        self.box.add_class(f"al-score-{category}")
        self.select.observe(lambda _change: self.save(), "value")
        for w in (self.note, self.reason):
            w.observe(lambda _change: self._text_changed(self._shows_saved()), "value")
        self.confirm.on_click(lambda _b: self.save())
        self.reset.on_click(lambda _b: self._reset(lambda: session.set_score(category, None)))
        self.sync(result)
        session.subscribe(f"row:scores.{category}", self.sync)

    def _shows_saved(self) -> bool:
        given = self.session.answers.scores.get(self.category)
        return given is not None and given.score == _given(self.select.value)

    def save(self) -> None:
        """Save the row as shown (refused with a message when an override has no reason)."""
        if self._syncing:
            return
        score = _given(self.select.value)
        if score is None:
            if self.note.value.strip() or self.reason.value.strip():
                self.pending = True
                self.message.value = _al(f'<span style="color:{RED}">Choose a score to save the note.</span>')
            else:
                self._save(lambda: self.session.set_score(self.category, None))
            return
        self._save(lambda: self.session.set_score(self.category, score, self.note.value, self.reason.value))

    def sync(self, result: AuditResult) -> None:
        """Redraw from ``result``: marker, evidence, and (unless a change is pending) the values."""
        cat = result.scorecard.categories[self.category]
        key = f"scores.{self.category}"
        reviews = _reviews(result, key)
        self.marker.value = _marker(cat.provenance, reviews)
        suggested = ("not applicable" if not cat.applicable else "open (nothing measured)") \
            if cat.suggested is None else str(cat.suggested)
        body = _finding_lines(result, cat.evidence) or '<span class="muted">no findings in this category</span>'
        body += "<br>" + "<br>".join(escape(b) for b in cat.basis)
        body += "".join(f'<br><span style="color:{RED}">{escape(r.message)}</span>' for r in reviews)
        self.evidence.value = _al(_details(f"Evidence: {len(cat.evidence)} finding(s), suggested {suggested}", body))
        if self.pending:
            return
        given = self.session.answers.scores.get(self.category)

        def put() -> None:
            self.select.value = _shown(cat.score)
            self.note.value = given.note if given else ""
            self.reason.value = given.reason if given else ""
        self._quietly(put)


def summary_widget(session: Session, name: str = "summary") -> W.VBox:
    """Total, band and verdict, redrawn after every change; a button re-reads the answers file."""
    html = _make(W.HTML, summary_value(session.current))
    html.add_class("al-summary-widget")
    reload = _make(W.Button, description="reload answers", tooltip="re-read the answers file (saved by another notebook)",
                      width="140px")
    message = _make(W.HTML)

    def on_reload(_button: Any) -> None:
        try:
            session.reload()
            message.value = ""
        except (AnswersError, OSError) as exc:  # a hand edit broke the file: say so, keep the last good answers
            message.value = _al(f'<span style="color:{RED}"><b>Could not reload:</b> {escape(str(exc))}</span>')
    reload.on_click(on_reload)
    session.subscribe(name, lambda result: setattr(html, "value", summary_value(result)))
    return _make(W.VBox, [_style(), html, _make(W.HBox, [reload, message])])


def summary_value(result: AuditResult) -> str:
    """The summary's HTML (rendered by auditlib.workbook)."""
    from .workbook import summary_html

    return _al(summary_html(result).body)


def scorecard_form(session: Session) -> W.VBox:
    """The summary, then one row per scorecard category."""
    rows = [ScoreRow(session, cid) for cid in session.current.scorecard.categories]
    form = _make(W.VBox, [summary_widget(session, "scorecard.summary"), *[r.box for r in rows]])
    form.add_class("al-scorecard-form")
    return form


# ------------------------------------------------------------------------------------------- checklist
class ChecklistRow(_Row):
    """A checklist item: yes / no / exception, a note (the written reason of an exception or an override)."""

    def __init__(self, session: Session, item: str) -> None:
        super().__init__(session)
        self.item = item
        result = session.current
        entry = next(e for e in result.checklist if e.id == item)
        given = session.answers.checklist.get(item)
        self.select = _make(W.Dropdown, options=[("(open)", OPEN), ("yes", "yes"), ("no", "no"), ("exception", "exception")],
                                 value=_shown(entry.answer), width="120px")
        self.note = _make(W.Text, value=given.note if given else "", continuous_update=False, width="34%",
                           placeholder="note (required for an exception, or to change the evidence's answer)")
        self.confirm = _make(W.Button, description="confirm", tooltip="save the answer shown", width="80px")
        self.reset = _make(W.Button, description="reset", tooltip="remove the answer", width="70px")
        self.marker = _make(W.HTML, width="150px")
        self.evidence = _make(W.HTML)
        text = _make(W.HTML, _al(escape(entry.text)), width="30%")
        top = _make(W.HBox, [text, self.select, self.marker, self.note, self.confirm, self.reset])
        self.box = _make(W.VBox, [top, self.evidence, self.message])
        self.box.add_class("al-check-row")
        self.box.add_class("al-check-" + item.replace(".", "-"))
        self.select.observe(lambda _c: self.save(), "value")
        self.note.observe(lambda _c: self._text_changed(self._shows_saved()), "value")
        self.confirm.on_click(lambda _b: self.save())
        self.reset.on_click(lambda _b: self._reset(lambda: session.set_checklist(item, None)))
        self.sync(result)
        session.subscribe(f"row:checklist.{item}", self.sync)

    def _shows_saved(self) -> bool:
        given = self.session.answers.checklist.get(self.item)
        return given is not None and given.answer == _given(self.select.value)

    def save(self) -> None:
        """Save the row as shown (refused with a message when an exception or override has no note)."""
        if self._syncing:
            return
        answer = _given(self.select.value)
        if answer is None and self.note.value.strip():
            self.pending = True
            self.message.value = _al(f'<span style="color:{RED}">Choose an answer to save the note.</span>')
            return
        self._save(lambda: self.session.set_checklist(self.item, answer, self.note.value))

    def sync(self, result: AuditResult) -> None:
        """Redraw from ``result``."""
        entry = next(e for e in result.checklist if e.id == self.item)
        reviews = _reviews(result, f"checklist.{self.item}")
        self.marker.value = _marker(entry.provenance, reviews)
        body = report.checklist_evidence(result, self.session.rubric, self.item) or '<span class="muted">none</span>'
        body += "".join(f'<br><span style="color:{RED}">{escape(r.message)}</span>' for r in reviews)
        self.evidence.value = _al(_details(f"Evidence ({len(entry.evidence)} finding(s))", body))
        if self.pending:
            return
        given = self.session.answers.checklist.get(self.item)

        def put() -> None:
            self.select.value = _shown(entry.answer)
            self.note.value = given.note if given else ""
        self._quietly(put)


def checklist_form(session: Session) -> W.VBox:
    """The summary, then the twenty items by group."""
    titles = {g.id: g.title for g in session.rubric.checklist.groups}
    children: list[W.Widget] = [summary_widget(session, "checklist.summary")]
    for gid, title in titles.items():
        children.append(_make(W.HTML, _al(f"<h3>{escape(title)}</h3>")))
        children += [ChecklistRow(session, e.id).box for e in session.current.checklist if e.group == gid]
    form = _make(W.VBox, children)
    form.add_class("al-checklist-form")
    return form


# ------------------------------------------------------------------------------------------- questions
class QuestionRow(_Row):
    """A judgment-only question with the evidence beside it (the rubric's hint metric)."""

    def __init__(self, session: Session, question: Question) -> None:
        super().__init__(session)
        self.question = question
        value = session.answers.question(question.id)
        if question.type == "bool":
            self.input = _make(W.Dropdown, options=[("(unanswered)", OPEN), ("yes", True), ("no", False)],
                               value=_shown(value), width="120px")
        else:
            self.input = _make(W.Text, value="" if value is None else str(value), continuous_update=False,
                                placeholder=f"{question.type}; press Enter to save", width="40%")
        self.given = _make(W.HTML, width="220px")
        from .workbook import question_hint

        hint = question_hint(session.current, question)
        label = _make(W.HTML, _al(escape(question.text)
                                  + (f'<br><span class="muted">{escape(hint)}</span>' if hint else "")))
        self.box = _make(W.VBox, [label, _make(W.HBox, [self.input, self.given]), self.message])
        self.box.add_class("al-question-row")
        self.box.add_class(f"al-question-{question.id}")
        self.input.observe(lambda _c: self.save(), "value")
        self.sync(session.current)
        session.subscribe(f"row:questions.{question.id}", self.sync)

    def save(self) -> None:
        """Save the answer (refused with a message when it does not parse as the question's type)."""
        q = self.question
        self._save(lambda: self.session.set_question(q.id, coerce_question(q.type, _given(self.input.value))))

    def sync(self, result: AuditResult) -> None:
        """Redraw who answered, and the value unless a change is pending."""
        stamp = self.session.answers.trail.get(f"questions.{self.question.id}")
        value = self.session.answers.question(self.question.id)
        self.given.value = _al('<span class="muted">unanswered</span>' if value is None else
                               f'<span class="muted">answered{" by " + escape(stamp.by) if stamp and stamp.by else ""}'
                               f'{" " + escape((stamp.at or "")[:16]) if stamp else ""}</span>')
        if self.pending:
            return
        shown = _shown(value) if self.question.type == "bool" else ("" if value is None else str(value))
        self._quietly(lambda: setattr(self.input, "value", shown))


def questions_form(session: Session, number: int) -> W.VBox:
    """The judgment-only questions of one playbook phase."""
    rows = [QuestionRow(session, q) for q in session.rubric.questions.questions if q.phase == number]
    header = _make(W.HTML, _al("<h3>Questions only the auditor can answer</h3>"))
    form = _make(W.VBox, [_style(), header, *[r.box for r in rows]])
    form.add_class("al-questions-form")
    return form


# -------------------------------------------------------------------------------------------- decision
class SignalRow(_Row):
    """A decision signal: from evidence, or set to refactor / rebuild by the auditor."""

    def __init__(self, session: Session, signal: Signal) -> None:
        super().__init__(session)
        self.signal = signal
        self.select = _make(W.Dropdown, options=[("from evidence", OPEN), ("refactor", "refactor"), ("rebuild", "rebuild")],
                            value=_shown(session.answers.signals.get(signal.id)), width="150px")
        self.state = _make(W.HTML)
        self.box = _make(W.VBox, [_make(W.HBox, [_make(W.HTML, _al(escape(signal.text)), width="40%"), self.select,
                                   self.state]), self.message])
        self.box.add_class(f"al-signal-{signal.id}")
        self.select.observe(lambda _c: self._save(lambda: session.set_signal(signal.id, _given(self.select.value))), "value")
        self.sync(session.current)
        session.subscribe(f"row:signals.{signal.id}", self.sync)

    def sync(self, result: AuditResult) -> None:
        """Redraw where the signal points now."""
        s = result.decision.signals[self.signal.id]
        self.state.value = _al(f'<span class="muted">{escape(report.signal_state(s))}</span>')
        if not self.pending:
            self._quietly(lambda: setattr(self.select, "value", _shown(self.session.answers.signals.get(self.signal.id))))


def decision_form(session: Session) -> W.VBox:
    """The summary, signal overrides, and the decision section redrawn after every change."""
    rows = [SignalRow(session, s) for s in session.rubric.decision.signals]
    live = _make(W.HTML, _al(report.decision_section(session.current).body))

    session.subscribe("decision", lambda result: setattr(live, "value", _al(report.decision_section(result).body)))
    header = _make(W.HTML, _al("<h3>Signals</h3><p class='muted'>Leave a signal to the evidence, or set it after "
                        "discussing it with the client.</p>"))
    form = _make(W.VBox, [summary_widget(session, "decision.summary"), header, *[r.box for r in rows], live])
    form.add_class("al-decision-form")
    return form


def review_widget(session: Session) -> W.VBox:
    """The answers to review (evidence changed since they were given, or no reason), redrawn after every change."""
    from .workbook import review_html

    html = _make(W.HTML, _al(review_html(session).body))
    session.subscribe("review", lambda _result: setattr(html, "value", _al(review_html(session).body)))
    return _make(W.VBox, [_style(), html])
