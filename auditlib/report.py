"""Rendering: the sections of the deliverable and the workbook's tables, as HTML and matplotlib.

Everything here reads an AuditResult (results.json) and the rubric; nothing computes a score or a
verdict. Text from the target (paths, evidence) is escaped; evidence is already masked upstream.
"""

from __future__ import annotations

import functools
import warnings
from collections import defaultdict
from html import escape
from typing import Callable, Iterable

from .audit import AuditResult
from .models import CONFIDENCES, SEVERITIES, Finding

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
.al .cover { border-left: 6px solid #343a40; padding: 8px 16px; margin-bottom: 10px; }
.al .box { border: 1px solid #dee2e6; border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
@media print { .al table { page-break-inside: auto; } .al tr { page-break-inside: avoid; } }
</style>
"""


class HTML:
    """A fragment of HTML that renders in Jupyter (and so in nbconvert exports)."""

    def __init__(self, body: str) -> None:
        self.body = body

    def _repr_html_(self) -> str:
        return CSS + f'<div class="al">{self.body}</div>'

    def __str__(self) -> str:
        return self.body


PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}
"""matplotlib settings under which every chart is drawn: labels are shown as written (author names,
paths and messages come from the target; ``$...$`` must not be parsed as mathtext, nor sent to TeX)."""


def chart(what: str) -> Callable[[Callable[..., HTML]], Callable[..., HTML]]:
    """Decorate a function that draws a matplotlib chart and returns HTML.

    The chart is drawn with mathtext and TeX off (PLAIN_TEXT: the labels from the target are shown
    verbatim, whatever ``$`` or backslash they hold) and its warnings silenced (a missing glyph
    is not the client's business). A chart never stops the audit: any error is returned as a
    short note naming ``what`` could not be drawn, and the figures it opened are closed.
    """

    def decorate(draw: Callable[..., HTML]) -> Callable[..., HTML]:
        @functools.wraps(draw)
        def wrapper(*args, **kwargs) -> HTML:
            import matplotlib

            matplotlib.use("Agg", force=False)
            import matplotlib.pyplot as plt

            before = set(plt.get_fignums())
            try:
                with matplotlib.rc_context(PLAIN_TEXT), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return draw(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - a chart must never stop the audit
                for num in set(plt.get_fignums()) - before:
                    plt.close(num)
                return chart_failed(what, exc)

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
    """A file location in code style; short ones never wrap."""
    cls = ' class="loc"' if len(text) <= 40 else ""
    return f"<code{cls}>{escape(text)}</code>"


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


# -------------------------------------------------------------------------------------------- cover
def provenance_line(result: AuditResult) -> str:
    """How much of the scorecard and checklist is evidence-backed, attested by the auditor, or open."""
    sc = result.scorecard.provenance
    cats = result.scorecard.categories
    applicable = sum(1 for c in cats.values() if c.applicable)
    of = f"{applicable} applicable" if applicable != len(cats) else str(len(cats))
    cl = defaultdict(int)
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
    repo = [f.accepted.file for f in acc if f.accepted.source == "repository"]
    parts = ([f"{len(repo)} by the repository's own {repo[0]}"] if repo else []) \
        + ([f"{len(acc) - len(repo)} by the auditor"] if len(acc) > len(repo) else [])
    worst = [s for s in SEVERITIES if any(f.severity == s for f in acc)][0]
    return (f"{len(acc)} finding(s) accepted with a written reason ({', '.join(parts)}; the most severe: {worst}): "
            "listed with their reasons in the appendix, left out of the scorecard, the counts and the decision.")


def cover(result: AuditResult) -> HTML:
    """Client, target, commit, date, auditor, the evidence/attestation balance, the categories that do
    not apply and the findings accepted with a reason."""
    t = result.target
    rows = [["Client", t.client or "—"], ["Target", f"{t.name} ({t.source})"],
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
    counts = defaultdict(int)
    for f in live:
        counts[f.severity] += 1
    count_line = ", ".join(f"{counts[s]} {s}" for s in SEVERITIES if counts[s])
    by_confidence = defaultdict(int)
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


def flip_sentence(verdict: str, flip) -> str:
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
    colours = ["#adb5bd" if not c.applicable else col for c, col in zip(cats[::-1], colours)]
    bars = ax.barh(names, scores, color=colours)
    for bar, c in zip(bars, cats[::-1]):
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
    fig.tight_layout()
    return figure_html(fig, "scorecard chart")


def scorecard_table(result: AuditResult, full_basis: bool = False) -> HTML:
    """Category, score, suggestion, provenance, and how the suggestion was reached.

    ``full_basis`` lists every evidence line (for the auditor); otherwise only the lines that earned
    points, capped the score (a finding of high confidence) or say that a less certain finding did not.
    """
    rows = []
    for cid, c in result.scorecard.categories.items():
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
def figure_html(fig, alt: str) -> HTML:
    """A matplotlib figure as an embedded PNG (renders in notebooks, HTML and PDF alike); closes it."""
    import base64
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode()
    return HTML(f'<img alt="{escape(alt)}" style="max-width:100%" src="data:image/png;base64,{data}">')


@chart("findings-by-phase chart")
def findings_by_phase_chart(result: AuditResult, rubric) -> HTML:
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
        left = [a + b for a, b in zip(left, counts)]
    ax.set_xlabel("findings")
    ax.legend(ncols=5, fontsize=7, loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Findings by playbook phase", fontsize=10)
    fig.tight_layout()
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
def checklist_evidence(result: AuditResult, rubric, item_id: str) -> str:
    """What bears on one checklist item: its findings, metric values and judgment answers (HTML)."""
    item = next(i for i in rubric.checklist.items if i.id == item_id)
    entry = next(e for e in result.checklist if e.id == item_id)
    found = {f.id: f for f in result.findings}
    parts = [finding_line(found[fid]) for fid in entry.evidence[:4] if fid in found]
    if len(entry.evidence) > 4:
        parts.append(f'<span class="muted">+{len(entry.evidence) - 4} more findings</span>')
    for m in item.evidence.metrics:
        value = result.metrics.get(m)
        parts.append(escape(f"{m} = {'not measured' if value is None else value}"))
    for q in item.evidence.questions:
        value = result.answers.question(q)
        parts.append(escape(f"{q}: {'unanswered' if value is None else value}"))
    return "<br>".join(parts)


def checklist_table(result: AuditResult, rubric, with_evidence: bool = False) -> HTML:
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
def _state(holds) -> str:
    return {True: "yes", False: "no", None: "not established"}[holds]


def _src(source) -> str:
    return {"auditor": "auditor", "evidence": "evidence", None: "—"}[source]


def decision_section(result: AuditResult) -> HTML:
    """Verdict, conditions, signals, rationale, what would flip it, cost and weeks."""
    d = result.decision
    cond_rows = []
    for kind, group in (("Ready for planning", d.readiness), ("Refactor precondition", d.preconditions),
                        ("Rebuild trigger", d.triggers)):
        for c in group.values():
            cond_rows.append([kind, c.text, _state(c.holds), _src(c.source)])
    sig_rows = [[s.text, s.points_to or "not established", s.says, _src(s.source)] for s in d.signals.values()]
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
        + "<h3>Reasons</h3><ul>" + "".join(f"<li>{escape(x)}</li>" for x in d.rationale) + "</ul>" + flip
        + f"<h3>Cost and timeline</h3><p>Cost: {lo:g}x to {hi:g}x the original build{escape(money)}. "
        f"Timeline: {d.weeks[0]} to {d.weeks[1]} weeks after the audit.</p>"
        + "".join(f'<p class="muted">{escape(n)}</p>' for n in d.notes)
    )


# ------------------------------------------------------------------------------------------ roadmap
def roadmap(result: AuditResult, rubric) -> HTML:
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
        for rule_id, fs in sorted(rules.items(), key=lambda kv: SEVERITIES.index(kv[1][0].severity)):
            f = fs[0]
            rows.append([severity_badge(f.severity), escape(f.title if len(fs) == 1 else f"{f.title} (×{len(fs)})"),
                         escape(f.remediation), f.effort, str(f.phase)])
        out.append(f"<h3>{n}. {escape(stage.title)} <span class=\"muted\">— {escape(stage.why)}</span></h3>"
                   + table(["Severity", "Issue", "Action", "Effort", "Phase"], rows, raw=True))
    return HTML("".join(out) or '<p class="muted">Nothing to remediate.</p>')


# ----------------------------------------------------------------------------------------- appendix
def appendix(result: AuditResult) -> HTML:
    """What makes the audit reproducible: commit, rubric and tool versions, collectors that could not run."""
    run, t = result.run, result.target
    rows = [["Target commit", t.commit or "—"], ["Source", t.source], ["Audited at", t.audited_at],
            ["Rubric version", run.rubric_version], ["auditlib", run.auditlib_version],
            ["Offline", "yes" if run.offline else "no"], ["Vulnerability data", run.vuln_db or "online services"],
            ["Answers file", run.answers_file or "none"]]
    rows += [[name, version] for name, version in run.tools.items()]
    coll = [[name, "ran" if c["available"] else "could not run", c.get("reason") or "", f"{c.get('seconds', 0)} s"]
            for name, c in run.collectors.items()]
    vc = result.facts.dependencies.vuln_check
    vuln = f"Vulnerability check: {vc.status}" + (f" ({vc.source})" if vc.source else "") + (f": {vc.reason}" if vc.reason else "")
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
                + "".join(f"<p>{escape(n)}</p>" for n in notes) + accepted_section(result).body)


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

    def given(g) -> list[str]:
        return [g.by or "—", (g.at or "—").replace("T", " ")[:16], (g.commit or "—")[:10]] if g else ["—", "—", "—"]

    rows = [[f"question: {k}", str(v), "", *given(a.trail.get(f"questions.{k}"))]
            for k, v in a.questions.items() if v not in (None, "")]
    rows += [[f"score: {k}", str(s.score) + (f" (suggested {s.suggested})" if s.suggested not in (None, s.score) else ""),
              s.reason or s.note, *given(s)] for k, s in a.scores.items()]
    rows += [[f"checklist: {k}", c.answer, c.note, *given(c)] for k, c in a.checklist.items()]
    rows += [[f"signal: {k}", v, "", *given(a.trail.get(f"signals.{k}"))] for k, v in a.signals.items()]
    if not rows:
        return HTML('<p class="muted">No auditor answers were given: every score and answer above comes from evidence or is open.</p>')
    who = f"<p>Answered by {escape(a.auditor)}.</p>" if a.auditor else ""
    body = who + table(["Answer", "Value", "Why (reason / note)", "By", "When (UTC)", "At commit"], rows)
    flags = review_answers(a, result)
    if flags:
        body += (f"<p><b>{len(flags)} answer(s) to review</b> (the evidence changed since they were given, or an "
                 "override has no written reason):</p>" + table(["Answer", "Why"], [[f.key, f.message] for f in flags]))
    return HTML(body)
