"""Rendering: the sections of the deliverable and the workbook's tables, as HTML and matplotlib.

Everything here reads an AuditResult (results.json) and the rubric; nothing computes a score or a
verdict. Text from the target (paths, evidence) is escaped; evidence is already masked upstream.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections import defaultdict
from html import escape
from typing import TYPE_CHECKING, Any, Callable, Iterable

from .audit import AuditResult
from .context import unattended
from .models import CONFIDENCES, SEVERITIES, Finding

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

    from .answers import ChecklistAnswer, ScoreAnswer, Stamp
    from .coverage import Tally
    from .decision import DecisionResult, Flip, SignalResult
    from .rubric import Rubric

SEVERITY_COLOURS = {"critical": "#8b0000", "high": "#d9480f", "medium": "#e8a317", "low": "#4a7bb7", "info": "#868e96"}
BAND_COLOURS = {"high": "#c92a2a", "moderate": "#e67700", "low": "#2b8a3e"}
VERDICT_TEXT = {
    "refactor": "Refactor: harden the existing code base.",
    "rebuild": "Rebuild: build a production system in parallel and deprecate the prototype.",
    "not_ready": "Not ready for production planning: the prototype needs more iteration first.",
}
CONFIDENCE_TEXT = {"high": "proven by the evidence", "medium": "a pattern that is usually right",
                   "low": "a heuristic to verify"}
"""What each confidence of a finding means, for the reader of the report."""
PROVENANCE_TEXT = {"auto": "from evidence", "confirmed": "auditor confirmed", "overridden": "auditor overrode",
                   "attested": "auditor attested", "open": "open"}

CSS = """
<style>
.al { font-family: 'DejaVu Sans', Arial, sans-serif; font-size: 13px; color: #212529; }
.al h1 { font-size: 26px; margin: 0 0 6px 0; } .al h3 { margin: 14px 0 6px 0; }
.al table { border-collapse: collapse; margin: 6px 0 12px 0; width: 100% !important; table-layout: auto !important; font-size: 12px; }
.al th, .al td { border: 1px solid #dee2e6 !important; padding: 4px 6px !important; text-align: left !important;
  vertical-align: top !important; overflow-wrap: anywhere; }
.al th { background: #f1f3f5; white-space: nowrap; }
.al .loc { white-space: nowrap; }
.al .badge { white-space: nowrap; display: inline-block; padding: 2px 8px; border-radius: 10px; color: #fff; font-weight: bold; font-size: 12px; }
.al .big { font-size: 20px; font-weight: bold; }
.al .muted { color: #6c757d; } .al code { font-size: 12px; word-break: break-all; }
.al code.loc, .al code .loc { word-break: normal; overflow-wrap: normal; white-space: nowrap; }
.al .cover { border-left: 6px solid #343a40; padding: 8px 16px; margin-bottom: 10px; }
.al .box { border: 1px solid #dee2e6; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
@media print { .al table { page-break-inside: auto; } .al tr { page-break-inside: avoid; } .al img { break-inside: avoid; }
  /* JupyterLab keeps each output on one page (break-inside: avoid-page on a table-display box): a long
     table then starts on a new page and leaves the previous one half blank under a chart */
  .jp-OutputArea-child { break-inside: auto !important; display: block !important; overflow: visible !important; }
  .jp-OutputArea-child .jp-OutputArea-output { display: block !important; } .jp-OutputArea { overflow: visible !important; } }
</style>
"""  # noqa: E501 (CSS rules, one per line)


class HTML:
    """A fragment of HTML that renders in Jupyter (and so in nbconvert exports)."""

    def __init__(self, body: str) -> None:
        self.body = body

    def _repr_html_(self) -> str:
        return CSS + f'<div class="al">{self.body}</div>'

    def __str__(self) -> str:
        return self.body


PLAIN_TEXT: dict[RcKeyType, Any] = {"text.parse_math": False, "text.usetex": False}
"""matplotlib settings under which every chart is drawn: labels are shown as written (author names,
paths and messages come from the target; ``$...$`` must not be parsed as mathtext, nor sent to TeX)."""


_DRAWN: dict[str, HTML] = {}
"""Charts drawn in this kernel for the target under audit, by a digest of what each was drawn from:
in an unattended kernel (``context.UNATTENDED``: ``auditlib batch``'s kept kernel) the report
notebook shows three of the charts its workbook drew, from the same facts. Emptied by
:func:`forget_charts` when a workbook's intake starts (the start of every target), at most
:data:`DRAWN_MAX` entries."""
DRAWN_MAX = 8


def forget_charts() -> None:
    """Empty :data:`_DRAWN` (a new target's audit starts)."""
    _DRAWN.clear()


def _digest(name: str, parts: Iterable[Any]) -> str:
    """A digest of what a chart is drawn from: pydantic models (alone or in lists) as their JSON,
    anything else as its ``repr``."""
    import hashlib

    from pydantic import BaseModel

    h = hashlib.sha256(name.encode())
    for part in parts:
        items = part if isinstance(part, (list, tuple)) else [part]
        for item in items:
            h.update(item.model_dump_json().encode() if isinstance(item, BaseModel) else repr(item).encode())
            h.update(b"\x1f")
        h.update(b"\x1e")
    return h.hexdigest()


def chart(what: str, reuse: Callable[..., tuple[Any, ...]] | None = None,
          ) -> Callable[[Callable[..., HTML]], Callable[..., HTML]]:
    """Decorate a function that draws a matplotlib chart and returns HTML.

    The chart is drawn with mathtext and TeX off (PLAIN_TEXT: the labels from the target are shown
    verbatim, whatever ``$`` or backslash they hold) and its warnings silenced (a missing glyph
    is not the client's business). A chart never stops the audit: any error is returned as a
    short note naming ``what`` could not be drawn, and the figures it opened are closed.

    ``reuse(*args, **kwargs)``: everything the chart is drawn from. In an unattended kernel (see
    :data:`_DRAWN`) a chart drawn before from the same things (the same digest) is not drawn again:
    its HTML is the same (the same code and facts, matplotlib's settings reset before each notebook).
    """

    def decorate(draw: Callable[..., HTML]) -> Callable[..., HTML]:
        name = f"{draw.__module__}.{draw.__qualname__}"

        @functools.wraps(draw)
        def wrapper(*args: Any, **kwargs: Any) -> HTML:
            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt

            key = None
            if reuse is not None and unattended():
                try:
                    key = _digest(name, reuse(*args, **kwargs))
                except Exception:  # noqa: BLE001 - then it is drawn
                    key = None
                if key is not None and key in _DRAWN:
                    return _DRAWN[key]
            before = set(plt.get_fignums())
            try:
                with matplotlib.rc_context(PLAIN_TEXT), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    drawn = draw(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - a chart must never stop the audit
                for num in set(plt.get_fignums()) - before:
                    plt.close(num)
                return chart_failed(what, exc)
            if key is not None:
                if len(_DRAWN) >= DRAWN_MAX:
                    _DRAWN.pop(next(iter(_DRAWN)))
                _DRAWN[key] = drawn
            return drawn

        return wrapper

    return decorate


def chart_failed(what: str, exc: BaseException) -> HTML:
    """The one-line note shown instead of a chart that could not be drawn."""
    detail = " ".join(str(exc).split())
    detail = detail if len(detail) <= 160 else detail[:159] + "…"
    return HTML(f'<p class="muted">The {escape(what)} could not be drawn ({escape(type(exc).__name__)}'
                f'{": " + escape(detail) if detail else ""}).</p>')


def badge(text: str, colour: str) -> str:
    """An inline coloured label."""
    return f'<span class="badge" style="background:{colour}">{escape(text)}</span>'


def severity_badge(severity: str) -> str:
    """A severity label in its colour."""
    return badge(severity, SEVERITY_COLOURS.get(severity, "#868e96"))


def confidence_cell(confidence: str) -> str:
    """A finding's confidence for a table cell: the word, and what it means in muted text."""
    return f'{escape(confidence)}<br><span class="muted">{escape(CONFIDENCE_TEXT.get(confidence, ""))}</span>'


def finding_line(f: Finding) -> str:
    """One finding on one line (HTML): severity badge, title, confidence, where."""
    return (f"{severity_badge(f.severity)} {escape(f.title)} "
            f'<span class="muted">({escape(f.confidence)} confidence)</span> <code>{escape(where(f))}</code>')


def table(headers: list[str], rows: Iterable[list[str]], raw: bool = False) -> str:
    """An HTML table; cells are escaped unless ``raw``."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c if raw else escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def kv_table(rows: Iterable[list[str]]) -> str:
    """A two-column table of labels and values, without a header row."""
    body = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table><tbody>{body}</tbody></table>"


def code_loc(text: str) -> str:
    """A file location in code style; short ones never wrap, nor does a line number, a commit hash or
    "(repository)" (a long path breaks at its slashes only)."""
    if len(text) <= 40 or " " not in text and "/" not in text:
        return f'<code class="loc">{escape(text)}</code>'
    parts = [escape(p) for p in text.split("/")]
    return "<code>" + "/<wbr>".join(f'<span class="loc">{p}</span>' for p in parts) + "</code>"


def where(f: Finding) -> str:
    """``path:line`` of a finding, with the commit for history-only evidence."""
    return f.location or "(repository)"


def live_findings(result: AuditResult) -> list[Finding]:
    """The findings that count: every finding but those accepted with a written reason (issue 12)."""
    return [f for f in result.findings if f.accepted is None]


def accepted_findings(result: AuditResult) -> list[Finding]:
    """The findings accepted with a written reason (listed in the appendix, out of the score)."""
    return [f for f in result.findings if f.accepted is not None]


def top_findings(result: AuditResult, n: int = 5) -> list[Finding]:
    """The n most severe findings that count (results are already sorted by severity)."""
    return [f for f in live_findings(result) if f.severity != "info"][:n]


METRIC_TEXT = {
    "top_authors_active": "the main authors committed in the last 90 days",
    "eval_cases": "cases found in the evaluation suite",
    "eval_suite_present": "an evaluation suite exists",
    "structural_security_findings": "structural security findings",
    "no_structural_security_findings": "no structural security finding",
    "endpoint_auth_share": "share of the endpoints with authentication",
    "feature_flags": "feature flags in use",
    "live_secrets_in_tree": "live secrets in the files",
    "secrets_only_in_history": "secrets only in the git history",
    "mixed_layer_files": "files mixing web, model and data code",
    "tests_present": "tests exist",
    "test_ratio": "test code per line of code",
    "tracing": "tracing in place",
    "validation_library": "a validation library in use",
    "metrics_library": "a metrics library in use",
    "token_tracking": "model token usage tracked",
    "ci_runs_tests": "CI runs the tests",
    "bus_factor": "bus factor",
}
"""How a metric is named for people (the workbook's evidence beside a question or a checklist item)."""


def metric_text(name: str, value: object) -> str:
    """``the main authors committed in the last 90 days: no`` for ``top_authors_active = False``."""
    if value is None:
        shown = "not measured"
    elif isinstance(value, bool):
        shown = "yes" if value else "no"
    elif isinstance(value, float):
        shown = f"{value:.0%}" if name.endswith("_share") else f"{value:g}"
    else:
        shown = str(value)
    return f"{METRIC_TEXT.get(name, name.replace('_', ' '))}: {shown}"


def answer_text(value: object) -> str:
    """An auditor's answer for people: yes / no for booleans, numbers without a trailing .0."""
    if value is None or value == "":
        return "unanswered"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 author``, ``2 authors``."""
    return f"{n} {word if n == 1 else (words or word + 's')}"


def signal_state(signal: SignalResult) -> str:
    """Where a decision signal points and why, for people (never "not established: not established")."""
    if not signal.points_to:
        return "not established (no evidence and no answer yet)"
    return f"points to {signal.points_to}: {signal.says}"


# -------------------------------------------------------------------------------------------- cover
def provenance_line(result: AuditResult) -> str:
    """How much of the scorecard and checklist is evidence-backed, attested by the auditor, or open."""
    sc = result.scorecard.provenance
    cats = result.scorecard.categories
    applicable = sum(1 for c in cats.values() if c.applicable)
    of = f"{applicable} applicable" if applicable != len(cats) else str(len(cats))
    cl: defaultdict[str, int] = defaultdict(int)
    for item in result.checklist:
        cl[item.provenance] += 1
    return (f"Scorecard: {sc['auto']} of {of} categories from evidence only, {sc['confirmed']} confirmed and "
            f"{sc['overridden']} overridden by the auditor, {sc['attested']} attested, {sc['open']} open. "
            f"Checklist: {cl['auto']} of {len(result.checklist)} items pre-answered from evidence, "
            f"{cl['confirmed'] + cl['overridden'] + cl['attested']} answered by the auditor, {cl['open']} open.")


def commit_label(result: AuditResult) -> str:
    """The audited commit for a reader; a broken or unreadable repository says so, never "no commits"."""
    t, h = result.target, result.facts.history
    if t.commit:
        return t.commit[:12] + (f" on {t.branch}" if t.branch else "")
    if h.damaged:
        return f"unknown: {h.damaged}"
    if not h.available:
        return f"unknown: {h.reason or 'the history could not be read'}"
    return "no commits"


def not_applicable_line(result: AuditResult) -> str:
    """Which categories do not apply and what the total is out of, or '' when all apply."""
    sc = result.scorecard
    na = [c for c in sc.categories.values() if not c.applicable]
    if not na:
        return ""
    names = ", ".join(c.title for c in na)
    # the basis ends with the metric read, "(app_llm_calls = 0)": an internal id, not for the cover
    why = "; ".join(c.basis[0].removeprefix("not applicable: ").rsplit(" (", 1)[0] for c in na if c.basis)
    return (f"Not applicable: {names} ({why}). The total is out of {sc.max_total} for the "
            f"{len(sc.categories) - len(na)} categories that apply; the band is read from it scaled to 40 "
            f"({sc.scaled_total} / 40).")


def accepted_line(result: AuditResult) -> str:
    """How many findings were accepted with a written reason, by whom, or '' when none."""
    acc = accepted_findings(result)
    if not acc:
        return ""
    repo = [a.file for f in acc if (a := f.accepted) is not None and a.source == "repository"]
    parts = ([f"{len(repo)} by the repository's own {repo[0]}"] if repo else []) \
        + ([f"{len(acc) - len(repo)} by the auditor"] if len(acc) > len(repo) else [])
    worst = [s for s in SEVERITIES if any(f.severity == s for f in acc)][0]
    return (f"{len(acc)} finding(s) accepted with a written reason ({', '.join(parts)}; the most severe: {worst}): "
            "listed with their reasons in the appendix, left out of the scorecard, the counts and the decision.")


def cover(result: AuditResult) -> HTML:
    """Client, target, commit, date, auditor, the evidence/attestation balance, the categories that do
    not apply and the findings accepted with a reason."""
    t = result.target
    rows = [["Client", t.client or "—"],
            ["Target", t.name if _source_text(t.source).startswith("local copy") else f"{t.name} ({t.source})"],
            ["Commit", commit_label(result)],
            ["Audit date", t.audited_at[:10]], ["Auditor", t.auditor or "—"],
            ["Rubric", f"version {result.run.rubric_version}"]]
    notes = [provenance_line(result), not_applicable_line(result), accepted_line(result)]
    return HTML(f'<div class="cover"><h1>Production-readiness audit: {escape(t.name)}</h1>{kv_table(rows)}'
                + "".join(f'<p class="muted">{escape(n)}</p>' for n in notes if n) + "</div>")


def executive_summary(result: AuditResult) -> HTML:
    """Band, total, verdict and the top five findings."""
    sc, d = result.scorecard, result.decision
    band = badge(sc.band_label, BAND_COLOURS[sc.band])
    provisional = " (provisional: some categories are open and count as 0)" if sc.provisional else ""
    live = live_findings(result)
    counts: defaultdict[str, int] = defaultdict(int)
    for f in live:
        counts[f.severity] += 1
    count_line = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
    by_confidence: defaultdict[str, int] = defaultdict(int)
    for f in live:
        by_confidence[f.confidence] += 1
    if by_confidence:
        count_line += "; by confidence: " + ", ".join(f"{by_confidence[c]} {c}" for c in CONFIDENCES if by_confidence[c])
    tops = [[severity_badge(f.severity), confidence_cell(f.confidence), escape(f.title), code_loc(where(f)),
             escape(f.evidence)] for f in top_findings(result)]
    flip = ""
    if d.flip and d.flip.requires:
        flip = f"<p>{flip_sentence(d.verdict, d.flip)}</p>"
    accepted = len(result.findings) - len(live)
    accepted_note = f" Also {accepted} accepted with a written reason (see the appendix)." if accepted else ""
    na = [c.title for c in sc.categories.values() if not c.applicable]
    na_note = (f'<p class="muted">Out of {sc.max_total}: {escape(", ".join(na))} '
               f'{"does" if len(na) == 1 else "do"} not apply to this repository.</p>' if na else "")
    return HTML(
        f'<div class="box"><span class="big">{escape(sc.out_of)}</span> &nbsp; {band}{escape(provisional)}{na_note}'
        f'<p>{escape(sc.band_advice)}</p>'
        f'<p class="big">{escape(VERDICT_TEXT[d.verdict])}</p>{flip}'
        f'<p>{len(live)} findings: {escape(count_line or "none")}.{escape(accepted_note)}</p></div>'
        "<h3>Top findings</h3>" + table(["Severity", "Confidence", "Finding", "Where", "Evidence"], tops, raw=True)
    )


def flip_sentence(verdict: str, flip: Flip) -> str:
    """What would change the verdict, in one sentence (HTML-escaped)."""
    needs = escape("; ".join(flip.requires))
    if verdict == "not_ready":
        return f"To be ready for production planning: {needs}. The evidence then points to <b>{escape(flip.to)}</b>."
    return f"What would change the verdict to <b>{escape(flip.to)}</b>: {needs}."


# ---------------------------------------------------------------------------------------- scorecard
@chart("scorecard chart")
def scorecard_chart(result: AuditResult) -> HTML:
    """A horizontal bar chart of the eight category scores (drawn with matplotlib, embedded as PNG).

    Embedding the PNG keeps the chart in the notebook, the HTML and the PDF whatever the kernel's
    matplotlib backend is.
    """

    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    cats = list(result.scorecard.categories.values())
    fig, ax = plt.subplots(figsize=(8, 3.6), dpi=110)
    names = [c.title for c in cats][::-1]
    scores = [c.score or 0 for c in cats][::-1]
    colours = ["#2b8a3e" if s >= 4 else "#e67700" if s >= 2 else "#c92a2a" for s in scores]
    colours = ["#adb5bd" if not c.applicable else col for c, col in zip(cats[::-1], colours, strict=False)]
    bars = ax.barh(names, scores, color=colours)
    for bar, c in zip(bars, cats[::-1], strict=False):
        if not c.applicable:
            label = "not applicable"
        else:
            label = f"{c.score if c.score is not None else 'open'}  ({PROVENANCE_TEXT[c.provenance]})"
        ax.text(bar.get_width() + 0.08, bar.get_y() + bar.get_height() / 2, label, va="center", fontsize=8)
    ax.set_xlim(0, 7)
    ax.set_xticks(range(0, 6))
    ax.set_xlabel("score (0 missing, 3 partial, 5 complete and tested)")
    ax.set_title(f"Launch-risk scorecard: {result.scorecard.out_of.replace(' / ', '/')} "
                 f"({result.scorecard.band_label})", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    tight_layout(fig)
    return figure_html(fig, "scorecard chart")


def scorecard_table(result: AuditResult, full_basis: bool = False) -> HTML:
    """Category, score, suggestion, provenance, and how the suggestion was reached.

    ``full_basis`` lists every evidence line (for the auditor); otherwise only the lines that earned
    points, capped the score (a finding of high confidence) or say that a less certain finding did not.
    """
    rows = []
    for c in result.scorecard.categories.values():
        lines = c.basis if full_basis else [b for b in c.basis if b.startswith(("+", "capped", "not capped",
                                                                                 "left out", "applies because"))
                                            and not b.startswith("+0")]
        basis = "<br>".join(escape(b) for b in lines) or '<span class="muted">no positive evidence found</span>'

        note = f"<b>Auditor:</b> {escape(c.note)}<br>" if c.note else ""
        if not c.applicable:
            basis = "<br>".join(escape(b if full_basis else b.rsplit(" (", 1)[0])
                                for b in c.basis if b.startswith("not applicable"))
            rows.append([escape(c.title), "n/a", "—", "not applicable", basis])
            continue
        rows.append([escape(c.title), str(c.score if c.score is not None else "open"),
                     str(c.suggested if c.suggested is not None else "—"), escape(PROVENANCE_TEXT[c.provenance]),
                     note + basis])
    return HTML(table(["Category", "Score", "Suggested", "Source", "Basis"], rows, raw=True))


# ----------------------------------------------------------------------------------------- findings
def tight_layout(fig: Figure) -> None:
    """``fig.tight_layout()``, the same subplot parameters, without leaving a layout engine on the
    figure: ``Figure.tight_layout`` leaves a placeholder engine, which makes ``savefig`` draw the
    whole figure once more before the real draw (a third of each chart's time; the PNG is the same)."""
    from matplotlib.layout_engine import TightLayoutEngine

    TightLayoutEngine().execute(fig)


def figure_html(fig: Figure, alt: str) -> HTML:
    """A matplotlib figure as an embedded PNG (renders in notebooks, HTML and PDF alike); closes it."""
    import base64
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return HTML(f'<img alt="{escape(alt)}" style="max-width:100%" src="data:image/png;base64,{data}">')


@chart("findings-by-phase chart", reuse=lambda result, rubric: (live_findings(result), rubric.phases))
def findings_by_phase_chart(result: AuditResult, rubric: Rubric) -> HTML:
    """Stacked bars: how many findings of each severity each playbook phase addresses."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    phases = rubric.phases.phases
    fig, ax = plt.subplots(figsize=(8, 2.8), dpi=110)
    labels = [f"{p.id}. {p.title}" for p in phases][::-1]
    left = [0] * len(phases)
    live = live_findings(result)
    for severity in SEVERITIES:
        counts = [sum(1 for f in live if f.phase == p.id and f.severity == severity) for p in phases][::-1]
        ax.barh(labels, counts, left=left, color=SEVERITY_COLOURS[severity], label=severity)
        left = [a + b for a, b in zip(left, counts, strict=False)]
    ax.set_xlabel("findings")
    # the legend in its own row above the bars (inside the axes it covered the longest bar)
    ax.legend(ncols=5, fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False, borderaxespad=0.2)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Findings by playbook phase", fontsize=10, pad=18)
    tight_layout(fig)
    return figure_html(fig, "findings by phase")


def accepted_mark(f: Finding) -> str:
    """The note on an accepted finding (HTML): accepted, by whom, why."""
    a = f.accepted
    if a is None:
        return ""
    who = f" by {a.by}" if a.by else ""
    src = "the repository's " + a.file if a.source == "repository" else "the auditor"
    return (f'<br><span class="muted"><b>Accepted</b>{escape(who)} ({escape(src)}): {escape(a.reason)}'
            f'{escape(f" (until {a.until})" if a.until else "")}</span>')


def findings_table(result: AuditResult, findings: list[Finding] | None = None, limit: int | None = None) -> HTML:
    """Findings sorted by severity, with file:line evidence. By default the findings that count (the
    accepted ones are in the appendix); a list passed in is shown whole, accepted findings marked."""
    items = live_findings(result) if findings is None else findings
    shown = items[:limit] if limit else items
    rows = [[severity_badge(f.severity), confidence_cell(f.confidence),
             escape(f.title) + (f' <span class="muted">({escape(f.owasp)})</span>' if f.owasp else "")
             + accepted_mark(f),
             code_loc(where(f)), escape(f.evidence), str(f.phase), f.effort] for f in shown]
    more = f'<p class="muted">… and {len(items) - len(shown)} more.</p>' if len(shown) < len(items) else ""
    if not rows:
        return HTML('<p class="muted">No findings.</p>')
    return HTML(table(["Severity", "Confidence", "Finding", "Where", "Evidence", "Phase", "Effort"], rows, raw=True) + more)


# ---------------------------------------------------------------------------------------- checklist
def checklist_evidence(result: AuditResult, rubric: Rubric, item_id: str) -> str:
    """What bears on one checklist item: its findings, metric values and judgment answers (HTML)."""
    item = next(i for i in rubric.checklist.items if i.id == item_id)
    entry = next(e for e in result.checklist if e.id == item_id)
    found = {f.id: f for f in result.findings}
    parts = [finding_line(found[fid]) for fid in entry.evidence[:4] if fid in found]
    if len(entry.evidence) > 4:
        parts.append(f'<span class="muted">+{len(entry.evidence) - 4} more findings</span>')
    for m in item.evidence.metrics:
        parts.append(escape("Evidence: " + metric_text(m, result.metrics.get(m))))
    texts = {q.id: q.text for q in rubric.questions.questions}
    for q in item.evidence.questions:
        parts.append(escape(f"Asked: {texts.get(q, q)} Answer: {answer_text(result.answers.question(q))}"))
    return "<br>".join(parts)


def checklist_table(result: AuditResult, rubric: Rubric, with_evidence: bool = False) -> HTML:
    """The twenty items by group with yes / no / exception and where each answer came from.

    ``with_evidence`` adds what bears on each item (for the auditor's workbook).
    """
    titles = {g.id: g.title for g in rubric.checklist.groups}
    colours = {"yes": "#2b8a3e", "no": "#c92a2a", "exception": "#e67700"}
    headers = ["Item", "Answer", "Source", "Note"] + (["Evidence", "Answers-file key (checklist:)"] if with_evidence else [])
    out = []
    for gid, title in titles.items():
        rows = []
        for item in (i for i in result.checklist if i.group == gid):
            ans = badge(item.answer, colours[item.answer]) if item.answer else '<span class="muted">open</span>'
            row = [escape(item.text), ans, escape(PROVENANCE_TEXT[item.provenance]), escape(item.note)]
            if with_evidence:
                row += [checklist_evidence(result, rubric, item.id), f"<code>{escape(item.id)}</code>"]
            rows.append(row)
        out.append(f"<h3>{escape(title)}</h3>" + table(headers, rows, raw=True))
    return HTML("".join(out))


# ----------------------------------------------------------------------------------------- decision
def _state(holds: bool | None) -> str:
    return {True: "yes", False: "no", None: "not established"}[holds]


def _src(source: str | None) -> str:
    return {"auditor": "auditor", "evidence": "evidence", None: "—"}[source]


def decision_section(result: AuditResult) -> HTML:
    """Verdict, conditions, signals, rationale, what would flip it, cost and weeks."""
    d = result.decision
    cond_rows = []
    for kind, group in (("Ready for planning", d.readiness), ("Refactor precondition", d.preconditions),
                        ("Rebuild trigger", d.triggers)):
        for c in group.values():
            cond_rows.append([kind, c.text, _state(c.holds), _src(c.source)])
    sig_rows = [[s.text, s.points_to or "not established",
                 s.says if s.points_to else "no evidence and no answer yet", _src(s.source)] for s in d.signals.values()]
    lo, hi = d.cost_multiplier
    money = ""
    if d.cost_money:
        cur = f" {d.currency}" if d.currency else ""
        money = f" ({d.cost_money[0]:,.0f}{cur} to {d.cost_money[1]:,.0f}{cur} given the original build cost)"
    flip = ""
    if d.flip and d.flip.requires:
        flip = f"<h3>What would change it</h3><p>{flip_sentence(d.verdict, d.flip)}</p>"
    return HTML(
        f'<p class="big">{escape(VERDICT_TEXT[d.verdict])}</p>'
        + table(["Kind", "Condition", "Holds", "Source"], cond_rows)
        + "<h3>Signals</h3>" + table(["Signal", "Points to", "Meaning", "Source"], sig_rows)
        + "<h3>Reasons</h3><ul>" + "".join(f"<li>{escape(x)}</li>" for x in decision_reasons(d)) + "</ul>" + flip
        + f"<h3>Cost and timeline</h3><p>Cost: {lo:g}x to {hi:g}x the original build{escape(money)}. "
        f"Timeline: {d.weeks[0]} to {d.weeks[1]} weeks after the audit.</p>"
        + "".join(f'<p class="muted">{escape(n)}</p>' for n in d.notes)
    )


def decision_reasons(d: DecisionResult) -> list[str]:
    """The decision's reasons for people: each condition and signal in words, with where it comes from
    (results.json keeps the id-keyed ``rationale`` for machines)."""
    out = []
    for kind, group, good, bad in (("Ready for planning", d.readiness, "met", "not met"),
                                   ("Refactor precondition", d.preconditions, "holds", "does not hold"),
                                   ("Rebuild trigger", d.triggers, "present", "absent")):
        for c in group.values():
            if kind == "Rebuild trigger" and not c.holds:
                continue
            state = good if c.holds else ("not established" if c.holds is None else bad)
            if c.source == "auditor":
                src = f"auditor's answer: {answer_text(c.value)}"
            elif c.source == "evidence":
                src = "from the evidence" + (f": {answer_text(c.value)}" if c.value is not None else "")
            else:
                src = "no answer and no evidence yet"
            out.append(f"{kind}: {c.text.rstrip('.')}: {state} ({src}).")
    for s in d.signals.values():
        if s.points_to:
            src = "auditor" if s.source == "auditor" else "from the evidence"
            out.append(f"Signal: {s.text.rstrip('.')}: points to {s.points_to}, {s.says} ({src}).")
        else:
            out.append(f"Signal: {s.text.rstrip('.')}: not established (no evidence and no answer yet).")
    return out


# ------------------------------------------------------------------------------------------ roadmap
def roadmap(result: AuditResult, rubric: Rubric) -> HTML:
    """Remediation in the agreed order (security, error handling, observability, performance, then the rest)."""
    by_stage: dict[str, dict[str, list[Finding]]] = defaultdict(lambda: defaultdict(list))
    for f in live_findings(result):
        if f.severity == "info":
            continue
        by_stage[rubric.rule(f.rule).roadmap][f.rule].append(f)
    out = []
    for n, stage in enumerate(rubric.rules.roadmap_stages, 1):
        rules = by_stage.get(stage.id)
        if not rules:
            continue
        rows = []
        for _rule_id, fs in sorted(rules.items(), key=lambda kv: SEVERITIES.index(kv[1][0].severity)):
            f = fs[0]
            rows.append([severity_badge(f.severity), escape(f.title if len(fs) == 1 else f"{f.title} (×{len(fs)})"),
                         escape(f.remediation), f.effort, str(f.phase)])
        out.append(f"<h3>{n}. {escape(stage.title)} <span class=\"muted\">— {escape(stage.why)}</span></h3>"
                   + table(["Severity", "Issue", "Action", "Effort", "Phase"], rows, raw=True))
    return HTML("".join(out) or '<p class="muted">Nothing to remediate.</p>')


# ----------------------------------------------------------------------------------------- appendix
_LOCAL_PATH = re.compile(r"(?<![\w./~-])(?:~/|/)(?:[^\s/:;,'\"()]+/)*([^\s/:;,'\"()]+)/?")


def local_path_text(text: str) -> str:
    """``text`` without the auditor's machine: every absolute (or ``~``) path becomes its last part
    (``/tmp/tmpab12/answers.yaml`` reads ``answers.yaml``); URLs are left as they are."""
    return _LOCAL_PATH.sub(lambda m: m.group(1), text)


def _source_text(source: str) -> str:
    """A target as the client reads it: a URL as it is, a folder of the auditor's machine by its name."""
    if re.match(r"^[a-z][a-z0-9+.-]*://|^[\w.-]+@[\w.-]+:", source, re.IGNORECASE):
        return source
    return f"local copy of {local_path_text(source)}" if source.startswith(("/", "~")) else source


def appendix(result: AuditResult) -> HTML:
    """What makes the audit reproducible: commit, rubric and tool versions, collectors that could not run.
    No path of the auditor's machine is printed (the client reads it): folders and files by their name."""
    run, t = result.run, result.target
    vuln_db = f"local advisory records ({local_path_text(run.vuln_db)})" if run.vuln_db else "online services"
    answers = f"{local_path_text(run.answers_file)}" if run.answers_file else "none"
    rows = [["Target commit", t.commit or "—"], ["Source", _source_text(t.source)], ["Audited at", t.audited_at],
            ["Rubric version", run.rubric_version], ["auditlib", run.auditlib_version],
            ["Offline", "yes" if run.offline else "no"], ["Vulnerability data", vuln_db],
            ["Auditor's answers", answers]]
    rows += [[name, version] for name, version in run.tools.items()]
    coll = [[name, "ran" if c["available"] else "could not run", local_path_text(c.get("reason") or ""),
             f"{c.get('seconds', 0)} s"] for name, c in run.collectors.items()]
    vc = result.facts.dependencies.vuln_check
    vuln = f"Vulnerability check: {vc.status}" + (f" ({vc.source})" if vc.source else "") \
        + (f": {vc.reason}" if vc.reason else "")
    hist = result.facts.history
    notes = [vuln]
    if hist.shallow:
        notes.append("The repository is a shallow clone: history-based evidence is partial.")
    if hist.dirty:
        notes.append("The working tree had uncommitted changes: file evidence may differ from the commit.")
    if not result.facts.secrets.history_checked:
        why = result.facts.secrets.history_reason or "not requested"
        if why.startswith("history partly checked"):
            notes.append(f"Git history was only partly scanned for secrets: {why.removeprefix('history partly checked: ')}.")
        else:
            notes.append(f"Git history was not scanned for secrets: {why}.")
    for name, facts in result.facts:
        notes += [f"{name.capitalize()}: {limit}" for limit in getattr(facts, "limits", [])]
    return HTML(kv_table(rows) + "<h3>Collectors</h3>" + table(["Collector", "Status", "Reason", "Time"], coll)
                + "".join(f"<p>{escape(local_path_text(n))}</p>" for n in notes) + accepted_section(result).body)


ACCEPT_STATUS_TEXT = {"expired": "expired", "unmatched": "names no finding", "refused": "refused",
                      "ignored": "not honoured"}


def accepted_section(result: AuditResult) -> HTML:
    """Accepted findings with their reasons (issue 12), then the ``accept:`` entries that did not apply
    (expired, naming no finding, refused, not honoured); empty when there is neither."""
    acc = accepted_findings(result)
    other = [r for r in result.acceptances if r.status != "applied"]
    if not acc and not other:
        return HTML("")
    body = "<h3>Accepted findings</h3>"
    if acc:
        rows = []
        for f in acc:
            a = f.accepted
            if a is None:  # accepted_findings keeps the accepted ones only
                continue
            src = (f"repository ({a.file}, entry {a.entry})" if a.source == "repository"
                   else f"auditor (answers, entry {a.entry})")
            rows.append([severity_badge(f.severity), escape(f.title), code_loc(where(f)), escape(a.reason),
                         _nowrap(a.by or "—"), escape(src) + (f"<br>until {escape(a.until)}" if a.until else "")])
        body += ("<p>Accepted with a written reason: listed here, left out of the scorecard, the severity counts, "
                 "the roadmap and the decision.</p>"
                 + table(["Severity", "Finding", "Where", "Reason", "By", "Source"], rows, raw=True))
    else:
        body += '<p class="muted">No finding is accepted.</p>'
    if other:
        rows = [[escape(f"{r.file}" + (f", entry {r.number}" if r.number else "")),
                 _nowrap(ACCEPT_STATUS_TEXT.get(r.status, r.status)),
                 escape(r.entry.describe() if r.entry else "—"), escape(r.message)] for r in other]
        body += ("<p>Acceptances that did not apply (the findings they name count as usual):</p>"
                 + table(["Entry", "Status", "Names", "Why"], rows, raw=True))
    return HTML(body)


def _nowrap(text: str) -> str:
    """A short cell that must not break inside its words (a name, a status); long text wraps as usual."""
    return f'<span style="white-space: nowrap">{escape(text)}</span>' if len(text) <= 24 else escape(text)


def answers_trail(result: AuditResult) -> HTML:
    """The auditor's inputs with who gave each, when, at which commit and (for overrides) why; then what needs review."""
    from .answers import review_answers

    a = result.answers

    def given(g: ScoreAnswer | ChecklistAnswer | Stamp | None) -> list[str]:
        return [g.by or "—", (g.at or "—").replace("T", " ")[:16], (g.commit or "—")[:10]] if g else ["—", "—", "—"]

    names = _question_names(result)
    rows = [[names.get(f"questions.{k}", k), answer_text(v), "", *given(a.trail.get(f"questions.{k}"))]
            for k, v in a.questions.items() if v not in (None, "")]
    rows += [[names.get(f"scores.{k}", k),
              str(s.score) + (f" (suggested {s.suggested})" if s.suggested not in (None, s.score) else ""),
              s.reason or s.note, *given(s)] for k, s in a.scores.items()]
    rows += [[names.get(f"checklist.{k}", k), c.answer, c.note, *given(c)] for k, c in a.checklist.items()]
    rows += [[names.get(f"signals.{k}", k), v, "", *given(a.trail.get(f"signals.{k}"))] for k, v in a.signals.items()]
    if not rows:
        return HTML('<p class="muted">No auditor answers were given: every score and answer above comes from evidence '
                    'or is open.</p>')
    who = f"<p>Answered by {escape(a.auditor)}.</p>" if a.auditor else ""
    body = who + table(["Answer", "Value", "Why (reason / note)", "By", "When (UTC)", "At commit"], rows)
    flags = review_answers(a, result)
    if flags:
        body += (f"<p><b>{len(flags)} answer(s) to review</b> (the evidence changed since they were given, or an "
                 "override has no written reason):</p>"
                 + table(["Answer", "Why"], [[names.get(f.key, f.key), f.message] for f in flags]))
    return HTML(body)


def _question_names(result: AuditResult) -> dict[str, str]:
    """What each answer key is, for people: the question asked, the category's or item's title, the
    signal's text (``questions.eval_set_size``: "Questions: How many inputs ...?")."""
    from .rubric import load_rubric

    try:
        rubric = load_rubric()
    except Exception:  # noqa: BLE001 - a report still renders with the keys
        return {}
    names = {f"questions.{q.id}": q.text for q in rubric.questions.questions}
    names |= {f"scores.{cid}": f"Score: {c.title}" for cid, c in result.scorecard.categories.items()}
    names |= {f"checklist.{e.id}": f"Checklist: {e.text}" for e in result.checklist}
    names |= {f"signals.{s.id}": f"Signal: {s.text}" for s in rubric.decision.signals}
    return names


# ------------------------------------------------------------------------- appendix: what was covered
_OPEN_LABELS = {"missing": "not seen by the tool", "judgment": "for a person to judge",
                "unanswered": "asked, not answered", "not_run": "not checked (collector did not run)"}


def coverage_appendix(result: AuditResult, rubric: Rubric, titles: int | None = 5) -> HTML:
    """Appendix "What this audit covered" (issue 11): the catalogue of production failure patterns
    (checklists/coverage.yaml) counted per production dimension and per playbook phase: what was
    checked from evidence (a rule ran: its collector was available), how many of those gave findings,
    what the auditor answered, and what remains open (no rule yet, judgment only, unanswered, a
    collector that did not run), with the open items' titles per dimension (``titles`` per dimension,
    None: all)."""
    from .coverage import item_states, tally

    states = item_states(result, rubric)
    count = {k: sum(s.state == k for s in states) for k in
             ("checked", "not_run", "answered", "unanswered", "judgment", "missing")}
    found = sum(s.state == "checked" and s.findings > 0 for s in states)
    asked = count["answered"] + count["unanswered"]
    by_auditor = sum(s.state == "answered" and s.by == "auditor" for s in states)
    pre = count["answered"] - by_auditor
    summary = (f"The catalogue behind this audit lists {len(states)} ways an AI prototype fails in production. "
               f"<b>{count['checked']}</b> were checked against the repository's evidence ({found} gave findings); "
               f"<b>{count['answered']}</b> of the {asked} asked of the auditor have an answer"
               + (f" ({by_auditor} from the auditor, {pre} a checklist \"no\" pre-answered from findings)" if pre else "")
               + ". "
               f"<b>{count['missing'] + count['judgment'] + count['unanswered'] + count['not_run']}</b> remain open: "
               f"{count['missing']} the tool cannot see yet, {count['judgment']} only a person can judge, "
               f"{count['unanswered']} unanswered" + (f", {count['not_run']} not checked because a collector could not run"
                                                      if count["not_run"] else "") + ".")

    def cells(t: Tally) -> list[str]:
        return [f"{t.checked}", f"{t.found}", f"{t.answered} / {t.asked}" if t.asked else "—", f"{len(t.open)}"]

    by_dim = tally(states, "dimension")
    dim_rows = [[f"<b>{escape(d.title)}</b><br><span class=\"muted\">{escape(d.asks)}</span>", str(by_dim[d.id].items),
                 *cells(by_dim[d.id])] for d in rubric.coverage.dimensions if d.id in by_dim]
    heads = ["Checked from evidence", "With findings", "Answered", "Open"]
    out = [f"<p>{summary}</p>", table(["Dimension", "Items", *heads], dim_rows, raw=True)]

    lines = []
    for d in rubric.coverage.dimensions:
        t = by_dim.get(d.id)
        if not t or not t.open:
            continue
        parts = []
        for state, label in _OPEN_LABELS.items():
            names = [s.title for s in t.open if s.state == state]
            if not names:
                continue
            shown = names if titles is None else names[:titles]
            more = f" and {len(names) - len(shown)} more" if len(shown) < len(names) else ""
            parts.append(f"<i>{escape(label)}</i>: {escape('; '.join(shown))}{escape(more)}")
        lines.append(f"<li><b>{escape(d.title)}</b> — {' · '.join(parts)}</li>")
    if lines:
        out.append("<h3>What remains open, by dimension</h3><ul>" + "".join(lines) + "</ul>")

    by_phase = tally(states, "phase")
    phase_rows = [[f"{p.id}. {escape(p.title)}", str(by_phase[p.id].items), *cells(by_phase[p.id])]
                  for p in rubric.phases.phases if p.id in by_phase]
    out.append("<h3>By playbook phase</h3>" + table(["Phase", "Items", *heads], phase_rows, raw=True))
    out.append('<p class="muted">Checked from evidence: a rule of the rubric looks for the failure and the '
               "collector it reads ran (a check finds what it is written for; a clean result is not proof of "
               "absence). Answered: a checklist item or judgment question asking it has an answer, the auditor's "
               "or a checklist \"no\" from findings. The full map is checklists/coverage.yaml.</p>")
    return HTML("".join(out))
