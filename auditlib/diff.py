"""Re-audit comparison: what changed between two audits of the same target (``auditlib diff``).

``compare(old, new)`` is a pure function of two AuditResult objects (results.json, contract
``auditlib.results/1``): it reads nothing else, never the target, and returns a :class:`Diff` (the
``auditlib.diff/1`` JSON written as diff.json). ``load_result`` reads an audit folder or a
results.json with one-line errors; ``write_diff`` writes diff.json, diff.html and optionally diff.pdf
atomically. The portfolio view calls ``compare`` per target.

How findings are matched (MATCHING_RULE, also in diff.json and the HTML): a finding's *fingerprint*
is its rule, its title and its evidence with line numbers (``app.py:25``, ``line 12``), commit ids and
its own path taken out. Pairs are made one-to-one, in this order, each step over what is still
unpaired:

1. ``same_secret``: findings of the secret.* rules whose secret has the same hash (the secret
   collector's ``fingerprint`` of the value, read from ``facts.secrets``), whatever the rule, file or
   line: a key removed from the tree but still in history is the same secret, still open.
2. ``same_file``: same rule, same path, same fingerprint (the line may have moved).
3. ``renamed``: same rule and fingerprint, the path renamed according to the new audit's history
   (``facts.history.files[].previous_paths``).
4. ``same_file_changed``: same rule, same (or renamed) path and same title, evidence changed (a count,
   a trace); several are paired in line order.
5. ``moved``: same rule and fingerprint in another file (a move git did not record as a rename).

An old finding left unpaired is *fixed*; a new one left unpaired is *new*; pairs are *still open*,
with what changed (line, path, severity, rule, evidence).
"""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, Field, ValidationError

from .audit import SCHEMA, AuditResult
from .errors import AuditError
from .fingerprint import fingerprint, normalise  # noqa: F401 - re-exported: auditlib.diff.normalise
from .models import SEVERITIES, Finding

DIFF_SCHEMA = "auditlib.diff/1"
RESULTS_NAME = "results.json"

MATCHING_RULE = (
    "Findings are paired one-to-one, in this order: (1) the same secret (same hash of the value) under any "
    "secret rule, file or line; (2) same rule, same file and same fingerprint (title and evidence without line "
    "numbers, commit ids or the file's own path), wherever the line moved; (3) the same, in a file the new "
    "audit's history records as renamed; (4) same rule, same (or renamed) file and same title with changed "
    "evidence, paired in line order; (5) same rule and fingerprint in another file. Unpaired old findings are "
    "fixed, unpaired new ones are new. A secret removed from the code but still in the git history stays open "
    "(rule secret.in_history) until no audit finds it: the history still holds it, and a rotation cannot be seen "
    "from the repository.")


class DiffError(AuditError):
    """Two results that cannot be compared (missing, not auditlib results, other schema, other target)."""


# ------------------------------------------------------------------------------------------ model
class Side(BaseModel):
    """One of the two audits, as the diff names it."""

    name: str
    source: str
    commit: str | None
    audited_at: str
    auditlib_version: str
    rubric_version: str
    total: int
    """On the 0-40 scale of the bands (``scaled_total``: comparable whatever categories apply)."""
    band: str
    band_label: str
    verdict: str
    provisional: bool
    findings: int
    """Findings that count (accepted ones left out)."""
    by_severity: dict[str, int]
    """Severity -> number of findings that count (every severity listed)."""
    points: int | None = None
    """Points of the categories that apply, out of ``max_total`` (issue 12)."""
    max_total: int = 40
    not_applicable: list[str] = Field(default_factory=list)
    """Categories that do not apply to the target."""
    accepted: int = 0
    """Findings accepted with a written reason (listed, not counted)."""


class Change(BaseModel):
    """A value before and after."""

    old: str | int | None
    new: str | int | None
    changed: bool


class CategoryChange(BaseModel):
    """One scorecard category: its score before and after."""

    id: str
    title: str
    old: int | None
    new: int | None
    delta: int | None
    """``new - old``; None when either is open or not applicable."""
    old_provenance: str
    new_provenance: str
    old_applicable: bool = True
    new_applicable: bool = True


class ScoreDiff(BaseModel):
    categories: list[CategoryChange]
    total: Change
    total_delta: int
    band: Change
    verdict: Change


MatchKind = Literal["same_secret", "same_file", "renamed", "same_file_changed", "moved"]


class FindingChange(BaseModel):
    """A finding fixed (``old`` only), new (``new`` only) or still open (both)."""

    status: Literal["fixed", "new", "still_open"]
    rule: str
    title: str
    severity: str
    """The new severity for a finding still open or new; the old one for a fixed finding."""
    old: Finding | None = None
    new: Finding | None = None
    match: MatchKind | None = None
    """How the pair was made (still open only; see MATCHING_RULE)."""
    changes: list[str] = Field(default_factory=list)
    """What differs between the pair, one phrase each (``line 15 -> 20``, ``severity critical -> high``)."""
    trend: Literal["better", "worse", "same"] = "same"
    """For a finding still open: its severity went down (better) or up (worse)."""
    note: str = ""


class FindingsDiff(BaseModel):
    fixed: list[FindingChange]
    new: list[FindingChange]
    still_open: list[FindingChange]


class ChecklistChange(BaseModel):
    id: str
    text: str
    old: str | None
    new: str | None


class Diff(BaseModel):
    """What changed between two audits of one target (diff.json, ``auditlib.diff/1``)."""

    schema_: str = Field(default=DIFF_SCHEMA, alias="schema")
    results_schema: str = SCHEMA
    old: Side
    new: Side
    warnings: list[str] = Field(default_factory=list)
    """What may make the comparison misleading (another target with --force, another auditlib or rubric
    version, the old audit newer than the new one)."""
    scores: ScoreDiff
    findings: FindingsDiff
    counts: dict[str, int]
    """fixed, new, still_open, better, worse (the last two among still open)."""
    checklist: list[ChecklistChange]
    """Checklist items whose answer changed."""
    matching: str = MATCHING_RULE

    model_config = {"populate_by_name": True}

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)


# ----------------------------------------------------------------------------------------- loading
def load_result(path: Path | str) -> AuditResult:
    """The AuditResult of an audit folder (its results.json) or of a results.json; DiffError (one line)
    when it is missing, not a regular file, not JSON, not auditlib results, of a schema this version
    does not read, or not valid."""
    data, where = _load_json(Path(path))
    schema = data["schema"]
    if schema != SCHEMA:
        raise DiffError(f"{where}: schema {schema} is not one this auditlib reads ({SCHEMA})")
    return _validate(data, where)


def load_pair(old: Path | str, new: Path | str) -> tuple[AuditResult, AuditResult]:
    """Both results, with the schema versions compared first (a clearer message than 'unsupported')."""
    old_data, old_where = _load_json(Path(old))
    new_data, new_where = _load_json(Path(new))
    if old_data["schema"] != new_data["schema"]:
        raise DiffError(f"different schema versions: {old_where} is {old_data['schema']}, {new_where} is "
                        f"{new_data['schema']}; re-run the older audit with this auditlib")
    for data, where in ((old_data, old_where), (new_data, new_where)):
        if data["schema"] != SCHEMA:
            raise DiffError(f"{where}: schema {data['schema']} is not one this auditlib reads ({SCHEMA})")
    return _validate(old_data, old_where), _validate(new_data, new_where)


def _load_json(path: Path) -> tuple[dict[str, Any], str]:
    where = str(path)
    try:
        if path.is_dir():
            path = path / RESULTS_NAME
            where = str(path)
            if not path.exists():
                raise DiffError(f"{path.parent}: no {RESULTS_NAME} in this folder (not an audit folder)")
        elif not path.exists():
            raise DiffError(f"{path}: no such file or folder")
        if not path.is_file():
            raise DiffError(f"{path}: not a regular file")
        text = path.read_text(encoding="utf-8")
    except DiffError:
        raise
    except UnicodeDecodeError:
        raise DiffError(f"{where}: not an auditlib results file (not UTF-8 text)") from None
    except OSError as exc:
        raise DiffError(f"{where}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError:
        raise DiffError(f"{where}: not an auditlib results file (not JSON)") from None
    schema = data.get("schema") if isinstance(data, dict) else None
    if not isinstance(schema, str) or not schema.startswith("auditlib.results/"):
        raise DiffError(f"{where}: not an auditlib results file (no \"schema\": \"auditlib.results/N\")")
    return data, where


def _validate(data: dict[str, Any], where: str) -> AuditResult:
    try:
        return AuditResult.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first.get("loc", ())) or "(top)"
        raise DiffError(f"{where}: not a valid {SCHEMA} file ({exc.error_count()} error(s), first at {loc}: "
                        f"{first.get('msg', '')})") from None


# -------------------------------------------------------------------------------------- comparison
def same_target(old: AuditResult, new: AuditResult) -> bool:
    """Whether two results are of the same target: the same name or the same source."""
    return old.target.name == new.target.name or old.target.source == new.target.source


def compare(old: AuditResult, new: AuditResult, *, force: bool = False) -> Diff:
    """What changed from ``old`` to ``new`` (pure: reads only the two results).

    DiffError when they are of different targets (``same_target``) unless ``force``; a forced
    comparison says so in ``warnings``.
    """
    warnings: list[str] = []
    if not same_target(old, new):
        what = (f"the two results are of different targets ({old.target.name} from {old.target.source}, "
                f"{new.target.name} from {new.target.source})")
        if not force:
            raise DiffError(f"{what}; pass --force to compare them anyway")
        warnings.append(f"Compared although {what}.")
    if old.run.auditlib_version != new.run.auditlib_version:
        warnings.append(f"The audits ran different auditlib versions ({old.run.auditlib_version}, "
                        f"{new.run.auditlib_version}): a finding may appear or go because a rule changed, not the code.")
    if old.run.rubric_version != new.run.rubric_version:
        warnings.append(f"The audits used different rubric versions ({old.run.rubric_version}, "
                        f"{new.run.rubric_version}): scores may move because the rubric changed.")
    if old.target.audited_at > new.target.audited_at:
        warnings.append(f"The old audit ({old.target.audited_at}) is more recent than the new one "
                        f"({new.target.audited_at}): were OLD and NEW swapped?")
    if old.target.commit and old.target.commit == new.target.commit:
        warnings.append("Both audits are of the same commit: what changed comes from the answers, the rubric or "
                        "auditlib, not from the code.")

    changes = match_findings(old, new)
    fixed = [c for c in changes if c.status == "fixed"]
    added = [c for c in changes if c.status == "new"]
    still = [c for c in changes if c.status == "still_open"]
    counts = {"fixed": len(fixed), "new": len(added), "still_open": len(still),
              "better": sum(c.trend == "better" for c in still), "worse": sum(c.trend == "worse" for c in still)}
    return Diff(old=_side(old), new=_side(new), warnings=warnings, scores=_scores(old, new),
                findings=FindingsDiff(fixed=fixed, new=added, still_open=still), counts=counts,
                checklist=_checklist(old, new))


def _side(r: AuditResult) -> Side:
    by = {s: 0 for s in SEVERITIES}
    live = [f for f in r.findings if f.accepted is None]
    for f in live:
        by[f.severity] += 1
    sc = r.scorecard
    return Side(name=r.target.name, source=r.target.source, commit=r.target.commit, audited_at=r.target.audited_at,
                auditlib_version=r.run.auditlib_version, rubric_version=r.run.rubric_version,
                total=sc.scaled_total if sc.scaled_total is not None else sc.total,
                band=sc.band, band_label=sc.band_label, verdict=r.decision.verdict, provisional=sc.provisional,
                findings=len(live), by_severity=by, points=sc.total, max_total=sc.max_total,
                not_applicable=list(sc.not_applicable), accepted=len(r.findings) - len(live))


def _scores(old: AuditResult, new: AuditResult) -> ScoreDiff:
    cats = []
    ids = list(new.scorecard.categories) + [c for c in old.scorecard.categories if c not in new.scorecard.categories]
    for cid in ids:
        o, n = old.scorecard.categories.get(cid), new.scorecard.categories.get(cid)
        os_, ns = (o.score if o else None), (n.score if n else None)
        either = n or o
        assert either is not None  # cid is a category of one result or the other
        cats.append(CategoryChange(id=cid, title=either.title, old=os_, new=ns,
                                   delta=None if os_ is None or ns is None else ns - os_,
                                   old_provenance=o.provenance if o else "absent",
                                   new_provenance=n.provenance if n else "absent",
                                   old_applicable=o.applicable if o else True,
                                   new_applicable=n.applicable if n else True))
    # totals on the 0-40 scale: comparable when the categories that apply differ between the audits
    ot = old.scorecard.scaled_total if old.scorecard.scaled_total is not None else old.scorecard.total
    nt = new.scorecard.scaled_total if new.scorecard.scaled_total is not None else new.scorecard.total
    return ScoreDiff(categories=cats, total=Change(old=ot, new=nt, changed=ot != nt), total_delta=nt - ot,
                     band=Change(old=old.scorecard.band, new=new.scorecard.band,
                                 changed=old.scorecard.band != new.scorecard.band),
                     verdict=Change(old=old.decision.verdict, new=new.decision.verdict,
                                    changed=old.decision.verdict != new.decision.verdict))


def _checklist(old: AuditResult, new: AuditResult) -> list[ChecklistChange]:
    before = {e.id: e for e in old.checklist}
    out = []
    for e in new.checklist:
        o = before.get(e.id)
        if o is None or o.answer != e.answer:
            out.append(ChecklistChange(id=e.id, text=e.text, old=o.answer if o else None, new=e.answer))
    return out


# ------------------------------------------------------------------------------------- fingerprints
# normalise and fingerprint live in auditlib.fingerprint (shared with accepted findings); imported above.


def _secret_hash(result: AuditResult, f: Finding) -> str | None:
    """The hash of the secret a secret.* finding is about (from the secret collector's facts), or None."""
    if not f.rule.startswith("secret.") or not f.path:
        return None
    for h in result.facts.secrets.hits:
        if h.path == f.path and h.line == f.line and (f.commit is None or h.commit == f.commit) \
                and h.detector.replace("_", " ") in f.title:
            return h.fingerprint
    return None


def renames(new: AuditResult) -> dict[str, str]:
    """Old path -> path at the new audit's HEAD, from the renames its history followed."""
    out: dict[str, str] = {}
    for fh in new.facts.history.files:
        for prev in fh.previous_paths:
            out.setdefault(prev, fh.path)
    return out


def match_findings(old: AuditResult, new: AuditResult) -> list[FindingChange]:
    """Pair the findings of ``old`` and ``new`` (MATCHING_RULE); fixed, new and still-open changes,
    in the order: still open and new as the new audit lists them, then fixed as the old one does."""
    olds, news = list(old.findings), list(new.findings)
    left_old = set(range(len(olds)))
    left_new = set(range(len(news)))
    pairs: dict[int, tuple[int, MatchKind]] = {}  # new index -> (old index, how)
    moved = renames(new)

    def pair(key_old: Callable[[int], object], key_new: Callable[[int], object], how: MatchKind) -> None:
        by_key: dict[object, list[int]] = defaultdict(list)
        for i in sorted(left_old, key=lambda i: (olds[i].path or "", olds[i].line or 0, i)):
            k = key_old(i)
            if k is not None:
                by_key[k].append(i)
        for j in sorted(left_new, key=lambda j: (news[j].path or "", news[j].line or 0, j)):
            k = key_new(j)
            if k is not None and by_key.get(k):
                i = by_key[k].pop(0)
                pairs[j] = (i, how)
                left_old.discard(i)
                left_new.discard(j)

    old_secret = {i: _secret_hash(old, olds[i]) for i in left_old}
    new_secret = {j: _secret_hash(new, news[j]) for j in left_new}
    fp_old = {i: fingerprint(olds[i]) for i in left_old}
    fp_new = {j: fingerprint(news[j]) for j in left_new}

    def renamed_path(i: int) -> str | None:
        p = olds[i].path
        return moved.get(p, p) if p else p

    pair(lambda i: old_secret[i], lambda j: new_secret[j], "same_secret")
    pair(lambda i: (olds[i].path, fp_old[i]), lambda j: (news[j].path, fp_new[j]), "same_file")
    pair(lambda i: (renamed_path(i), fp_old[i]) if olds[i].path in moved else None,
         lambda j: (news[j].path, fp_new[j]), "renamed")
    pair(lambda i: (olds[i].rule, renamed_path(i), normalise(olds[i].title, (olds[i].path or "",))),
         lambda j: (news[j].rule, news[j].path, normalise(news[j].title, (news[j].path or "",))), "same_file_changed")
    pair(lambda i: fp_old[i] if olds[i].path else None, lambda j: fp_new[j] if news[j].path else None, "moved")

    out: list[FindingChange] = []
    for j, f in enumerate(news):
        if j in pairs:
            i, how = pairs[j]
            out.append(_still_open(olds[i], f, how))
        else:
            out.append(FindingChange(status="new", rule=f.rule, title=f.title, severity=f.severity, new=f))
    for i in sorted(left_old):
        f = olds[i]
        out.append(FindingChange(status="fixed", rule=f.rule, title=f.title, severity=f.severity, old=f))
    return out


def _still_open(o: Finding, n: Finding, how: MatchKind) -> FindingChange:
    changes = []
    if o.rule != n.rule:
        changes.append(f"rule {o.rule} -> {n.rule}")
    if o.path != n.path:
        changes.append(f"file {o.path or '(repository)'} -> {n.path or '(repository)'}")
    if o.line != n.line and (o.line or n.line):
        changes.append(f"line {o.line or '-'} -> {n.line or '-'}")
    if o.severity != n.severity:
        changes.append(f"severity {o.severity} -> {n.severity}")
    if o.confidence != n.confidence:
        changes.append(f"confidence {o.confidence} -> {n.confidence}")
    if how in ("same_file_changed",) or (how == "same_secret" and o.evidence != n.evidence and o.rule == n.rule):
        changes.append("evidence changed")
    if (o.accepted is None) != (n.accepted is None):
        changes.append(f"accepted: {n.accepted.reason}" if n.accepted else "no longer accepted")
    rank_o, rank_n = SEVERITIES.index(o.severity), SEVERITIES.index(n.severity)
    trend: Literal["better", "worse", "same"] = "better" if rank_n > rank_o else "worse" if rank_n < rank_o else "same"
    note = ""
    if o.rule == "secret.committed_credential" and n.rule == "secret.in_history":
        note = ("Removed from the code, but still in the git history: rotate the key (a rotation cannot be seen from "
                "the repository) and, if required, rewrite the history.")
    elif o.rule == "secret.in_history" and n.rule == "secret.committed_credential":
        note = "Back in the code: the secret was committed again."
    return FindingChange(status="still_open", rule=n.rule, title=n.title, severity=n.severity, old=o, new=n,
                         match=how, changes=changes, trend=trend, note=note)


# ----------------------------------------------------------------------------------------- rendering
VERDICT_LABEL = {"refactor": "refactor", "rebuild": "rebuild", "not_ready": "not ready"}
MATCH_LABEL = {"same_secret": "same secret", "same_file": "same file", "renamed": "file renamed",
               "same_file_changed": "same file, evidence changed", "moved": "moved to another file"}


def render_html(diff: Diff) -> str:
    """diff.html: a self-contained page for the client (no code, no script, nothing loaded from elsewhere),
    with the report's styles. Every text is escaped; evidence is the results' masked evidence."""
    from .report import BAND_COLOURS, CSS, badge, code_loc, severity_badge, table
    from .run import PRINT_CSS, self_contained

    o, n, s = diff.old, diff.new, diff.scores

    def signed(d: int | None) -> str:
        return "—" if d is None else f"{d:+d}"

    def where(f: Finding | None) -> str:
        return code_loc(f.location or "(repository)") if f else ""

    title = f"Re-audit comparison: {n.name}"
    head = [["Target", f"{n.name} ({n.source})"],
            ["Before", f"{o.audited_at[:10]}, commit {(o.commit or 'unknown')[:12]}"],
            ["After", f"{n.audited_at[:10]}, commit {(n.commit or 'unknown')[:12]}"]]
    cover = ('<div class="cover"><h1>' + escape(title) + "</h1><table><tbody>"
             + "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in head)
             + "</tbody></table></div>")
    band = (badge(o.band_label, BAND_COLOURS.get(o.band, "#868e96")) + " &rarr; "
            + badge(n.band_label, BAND_COLOURS.get(n.band, "#868e96")))
    c = diff.counts
    def total(side: Side) -> str:
        if side.max_total == 40 or side.points is None:
            return f"{side.total} / 40"
        return f"{side.total} / 40 ({side.points} / {side.max_total})"

    summary = (f'<div class="box"><span class="big">{escape(total(o))} &rarr; {escape(total(n))} '
               f"({signed(s.total_delta)})</span> &nbsp; {band}"
               f'<p class="big">Verdict: {escape(VERDICT_LABEL.get(o.verdict, o.verdict))} &rarr; '
               f"{escape(VERDICT_LABEL.get(n.verdict, n.verdict))}"
               f"{'' if s.verdict.changed else ' (unchanged)'}</p>"
               f"<p>{c['fixed']} finding(s) fixed, {c['new']} new, {c['still_open']} still open "
               f"({c['better']} less severe, {c['worse']} more severe than before). "
               f"Findings before: {o.findings}, after: {n.findings}"
               + (f" (accepted with a reason and not counted: {o.accepted} before, {n.accepted} after)"
                  if o.accepted or n.accepted else "")
               + ".</p>"
               + ('<p class="muted">Totals on the 0-40 scale; a category that does not apply (n/a) is left out and '
                  "the rest scaled.</p>" if o.max_total != 40 or n.max_total != 40 else "")
               + "</div>")
    warn = "".join(f"<p><b>Note:</b> {escape(w)}</p>" for w in diff.warnings)
    def cell(value: int | None, applicable: bool) -> str:
        return str(value) if value is not None else ("open" if applicable else "n/a")

    cat_rows = [[escape(x.title), cell(x.old, x.old_applicable), cell(x.new, x.new_applicable), signed(x.delta)]
                for x in s.categories]
    cat_rows.append(["<b>Total</b>", f"<b>{o.total}</b>", f"<b>{n.total}</b>", f"<b>{signed(s.total_delta)}</b>"])
    scores = "<h2>Scorecard</h2>" + table(["Category", "Before", "After", "Change"], cat_rows, raw=True)

    def rows(items: list[FindingChange], kind: str) -> str:
        if not items:
            return '<p class="muted">None.</p>'
        if kind == "still_open":
            body = [[severity_badge(x.severity), escape(x.title), where(x.new),
                     escape("; ".join(x.changes).replace(" -> ", " → ") or "unchanged")
                     + (f"<br>was: {escape(x.old.title)}" if x.old and x.old.title != x.title else "")
                     + (f"<br><b>{escape(x.note)}</b>" if x.note else ""),
                     escape(x.new.evidence if x.new else "")] for x in items]
            return table(["Severity", "Finding", "Where now", "What changed", "Evidence"], body, raw=True)
        def f_of(x: FindingChange) -> Finding:
            f = x.old if kind == "fixed" else x.new
            assert f is not None  # a fixed finding has its old side, a new one its new side
            return f
        body = [[severity_badge(x.severity), escape(x.title), where(f_of(x)), escape(f_of(x).evidence)]
                for x in items]
        return table(["Severity", "Finding", "Where" + (" (before)" if kind == "fixed" else ""), "Evidence"], body,
                     raw=True)

    def by_severity(items: list[FindingChange]) -> list[FindingChange]:
        return sorted(items, key=lambda x: SEVERITIES.index(x.severity))

    findings = ("<h2>Findings fixed</h2>" + rows(by_severity(diff.findings.fixed), "fixed")
                + "<h2>New findings</h2>" + rows(by_severity(diff.findings.new), "new")
                + "<h2>Still open</h2>" + rows(by_severity(diff.findings.still_open), "still_open"))
    checklist = ""
    if diff.checklist:
        checklist = "<h2>Checklist answers that changed</h2>" + table(
            ["Item", "Before", "After"], [[x.text, x.old or "open", x.new or "open"] for x in diff.checklist])
    method = (f"<h2>How findings were matched</h2><p>{escape(diff.matching)}</p>"
              f'<p class="muted">Before: auditlib {escape(o.auditlib_version)}, rubric {escape(o.rubric_version)}; '
              f"after: auditlib {escape(n.auditlib_version)}, rubric {escape(n.rubric_version)}.</p>")
    body = cover + summary + warn + scores + findings + checklist + method
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"{CSS}{PRINT_CSS}<style>.al h2 {{ font-size: 18px; margin: 18px 0 6px 0; }}</style></head>"
            f'<body><div class="al">{body}</div></body></html>\n')
    return self_contained(page)


def write_diff(diff: Diff, out_dir: Path | str, *, pdf: bool = False) -> dict[str, Path]:
    """Write diff.json and diff.html (and diff.pdf) into ``out_dir``, atomically and owner-only
    (auditlib.safeio); every string passes the secret scrubber first, as every output does."""
    from .masking import scrub_model
    from .run import export_pdf
    from .safeio import atomic_write, make_dir, remove_stale_temps

    diff = scrub_model(diff)
    out = make_dir(Path(out_dir))
    outputs = {"json": atomic_write(out / "diff.json", diff.to_json() + "\n")}
    html = out / "diff.html"
    remove_stale_temps(html)
    outputs["html"] = atomic_write(html, render_html(diff))
    if pdf:
        outputs["pdf"] = export_pdf(outputs["html"], out / "diff.pdf")
    return outputs
