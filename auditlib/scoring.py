"""Scorecard and checklist: pure functions of findings, metrics, rubric and answers.

Every number says where it came from: a suggested score lists the evidence lines that earned its
points and the finding that capped it (only a finding of high confidence caps: a less certain one
is named as not capping); each score and checklist answer carries its provenance
(auto from evidence, confirmed or overridden by the auditor, or open).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Literal

from pydantic import BaseModel, Field, model_validator

from .answers import Answers
from .metrics import MetricValue
from .models import CONFIDENCES, SEVERITIES, Finding, Severity

if TYPE_CHECKING:
    from .rubric import Category, EvidenceLine, Rubric

Provenance = Literal["auto", "confirmed", "overridden", "attested", "open"]
"""auto: from evidence, not yet reviewed; confirmed: auditor agreed with the suggestion;
overridden: auditor changed it; attested: auditor answered where the tool had no suggestion;
open: neither."""


class CategoryScore(BaseModel):
    title: str
    score: int | None
    suggested: int | None
    source: Literal["auto", "auditor"] | None
    provenance: Provenance
    note: str = ""
    evidence: list[str] = Field(default_factory=list)
    """Ids of the findings in this category."""
    basis: list[str] = Field(default_factory=list)
    """How the suggestion was reached, one line per evidence line or cap."""
    applicable: bool = True
    """False when the category does not apply to the target (``applies_when`` of scorecard.yaml, issue
    12): its score is None, it is left out of the total, and ``basis`` says why."""


class ScorecardResult(BaseModel):
    categories: dict[str, CategoryScore]
    total: int
    """Points of the categories that apply (0 to ``max_total``)."""
    band: Literal["high", "moderate", "low"]
    """Read from ``scaled_total``."""
    band_label: str
    band_advice: str
    provisional: bool
    """Some categories are open: the total counts them as 0."""
    provenance: dict[str, int]
    """How many of the applicable categories are auto / confirmed / overridden / attested / open."""
    max_total: int = 40
    """5 x the categories that apply (40 when all eight do; results written before issue 12: 40)."""
    scaled_total: int | None = None
    """``total`` on the 0-40 scale of the bands: ``total * 40 // max_total`` (rounded down); equal to
    ``total`` when every category applies. Filled from ``total`` for results written before it existed."""
    not_applicable: list[str] = Field(default_factory=list)
    """Ids of the categories that do not apply (issue 12)."""

    @model_validator(mode="after")
    def _scaled(self) -> "ScorecardResult":
        if self.scaled_total is None:
            self.scaled_total = scale_total(self.total, self.max_total)
        return self

    @property
    def out_of(self) -> str:
        """The total as a reader sees it: ``26 / 40``, or ``26 / 35 (29 / 40 scaled)`` when some
        categories do not apply."""
        return total_text(self.total, self.max_total, self.scaled_total)


def scale_total(total: int, max_total: int, scale: int = 40) -> int:
    """A total out of ``max_total`` on the 0-``scale`` band scale, rounded down (0 when nothing applies)."""
    return total * scale // max_total if max_total > 0 else 0


def total_text(total: int | None, max_total: int | None = 40, scaled: int | None = None) -> str:
    """``26 / 40``, or ``26 / 35 (29 / 40 scaled)`` when the maximum is not 40."""
    if total is None:
        return "—"
    max_total = 40 if max_total is None else max_total
    if max_total == 40:
        return f"{total} / 40"
    scaled = scale_total(total, max_total) if scaled is None else scaled
    return f"{total} / {max_total} ({scaled} / 40 scaled)"


class ChecklistEntry(BaseModel):
    id: str
    group: str
    text: str
    answer: Literal["yes", "no", "exception"] | None
    source: Literal["auto", "auditor"] | None
    provenance: Provenance
    note: str = ""
    evidence: list[str] = Field(default_factory=list)


def condition_holds(value: MetricValue, *, equals: bool | None = None, at_least: float | None = None,
                    at_most: float | None = None, present: bool | None = None) -> bool | None:
    """Compare a value with a rubric condition; None when the value is unknown."""
    if value is None:
        return None
    if present is not None:
        return bool(str(value).strip()) == present
    if equals is not None:
        return bool(value) == equals
    if at_least is not None and not value >= at_least:
        return False
    if at_most is not None and not value <= at_most:
        return False
    return True


def _provenance(suggested: object, answered: bool, answer_value: object) -> Provenance:
    if answered:
        if suggested is None:
            return "attested"
        return "confirmed" if answer_value == suggested else "overridden"
    return "auto" if suggested is not None else "open"


def _severity_rank(f: Finding) -> int:
    return SEVERITIES.index(f.severity)


def _finding_ref(f: Finding) -> str:
    return f"{f.title} ({f.location})" if f.location else f.title


def suggest_category(category: Category, findings: list[Finding], metrics: dict[str, MetricValue], caps: dict[Severity, int],
                     cap_confidence: Iterable[str] = ("high",)) -> tuple[int | None, list[str]]:
    """(suggested score or None, basis lines) for one rubric category.

    A finding caps the score by its severity only when its confidence is in ``cap_confidence``; a
    less certain finding that would have capped lower is named in a ``not capped`` line instead.
    An evidence line whose ``applies_when`` does not hold (no database: no migrations to version) is
    left out, and the points held are scaled to 0-5 over the points of the lines that apply (rounded
    down, as a total over the categories that apply).
    """
    basis, points, measured = [], 0, False
    all_points = sum(line.points for line in category.evidence)
    left_out = 0
    for line in category.evidence:
        if not applies(line, metrics):
            assert line.applies_when is not None  # applies() is False only by it
            left_out += line.points
            value = metrics.get(line.applies_when.metric)
            basis.append(f"not applicable: {line.says} ({line.applies_when.otherwise}; "
                         f"{line.applies_when.metric} = {value})")
            continue
        held = condition_holds(metrics.get(line.metric), equals=line.equals, at_least=line.at_least, at_most=line.at_most)
        if held is None:
            basis.append(f"not measured: {line.says}")
            continue
        measured = True
        if held:
            points += line.points
            basis.append(f"+{line.points}: {line.says}")
        else:
            basis.append(f"+0: not shown that {line.says}")
    mine = [f for f in findings if f.category == category.id]
    if not measured and not mine:
        return None, basis
    score = min(5, points)
    if left_out and all_points > left_out:  # on 0-5 over the lines that apply, rounded down
        score = min(5, points * min(5, all_points) // (all_points - left_out))
        basis.append(f"{points} of {all_points - left_out} point(s) of the lines that apply, scaled to {score} of 5")
    certain = sorted((f for f in mine if f.confidence in cap_confidence), key=_severity_rank)
    if certain and caps[certain[0].severity] < 5:
        worst = certain[0]
        cap = caps[worst.severity]
        same = sum(1 for f in certain if f.severity == worst.severity) - 1
        more = f" (and {same} more of that severity)" if same else ""
        basis.append(f"capped at {cap} by a {worst.severity}-severity finding of {worst.confidence} confidence: "
                     f"{_finding_ref(worst)}{more}")
        score = min(score, cap)
    unsure = sorted((f for f in mine if f.confidence not in cap_confidence and caps[f.severity] < score),
                    key=lambda f: (_severity_rank(f), CONFIDENCES.index(f.confidence)))
    if unsure:
        f = unsure[0]
        more = f" (and {len(unsure) - 1} more)" if len(unsure) > 1 else ""
        basis.append(f"not capped at {caps[f.severity]}: a {f.severity}-severity finding of {f.confidence} confidence "
                     f"is a lead to verify, not proof: {_finding_ref(f)}{more}")
    return score, basis


def applies(category: Category | EvidenceLine, metrics: dict[str, MetricValue]) -> bool:
    """Whether a rubric category (or an evidence line) applies: its ``applies_when`` holds, or cannot be
    measured."""
    cond = category.applies_when
    if cond is None:
        return True
    held = condition_holds(metrics.get(cond.metric), equals=cond.equals, at_least=cond.at_least,
                           at_most=cond.at_most)
    return held is not False


def build_scorecard(rubric: Rubric, findings: list[Finding], metrics: dict[str, MetricValue],
                    answers: Answers) -> ScorecardResult:
    """The scorecard: suggestions from evidence, overridden by the auditor's answers.

    Accepted findings (``Finding.accepted``, auditlib.accept) are left out of the suggestions and the
    evidence lists; a category whose ``applies_when`` does not hold is not applicable (score None, out of
    the total) unless the auditor scored it. The total is out of 5 x the applicable categories; the band
    is read from it scaled to 0-40 (rounded down)."""
    caps = dict(rubric.scorecard.severity_caps)
    cap_confidence = tuple(rubric.scorecard.cap_confidence)
    live = [f for f in findings if f.accepted is None]
    cats: dict[str, CategoryScore] = {}
    for cat in rubric.scorecard.categories:
        ans = answers.scores.get(cat.id)
        suggested, basis = suggest_category(cat, live, metrics, caps, cap_confidence)
        accepted = sum(1 for f in findings if f.category == cat.id and f.accepted is not None)
        if accepted:
            basis.append(f"left out: {accepted} accepted finding(s) (reasons in the appendix)")
        applicable = ans is not None or applies(cat, metrics)
        if not applicable:
            assert cat.applies_when is not None  # applies() is False only by it
            value = metrics.get(cat.applies_when.metric)
            basis = [f"not applicable: {cat.applies_when.otherwise} ({cat.applies_when.metric} = {value})"]
            suggested = None
        elif ans is not None and not applies(cat, metrics) and cat.applies_when is not None:
            basis.insert(0, f"applies because the auditor scored it (the evidence says: {cat.applies_when.otherwise})")
        score = ans.score if ans else suggested
        cats[cat.id] = CategoryScore(
            title=cat.title, score=score, suggested=suggested,
            source="auditor" if ans else ("auto" if suggested is not None or not applicable else None),
            provenance="auto" if not applicable else _provenance(suggested, ans is not None,
                                                                  ans.score if ans else None),
            note=(ans.note or ans.reason) if ans else "",
            evidence=[f.id for f in live if f.category == cat.id], basis=basis, applicable=applicable,
        )
    on = [c for c in cats.values() if c.applicable]
    total = sum(c.score or 0 for c in on)
    max_total = 5 * len(on)
    scaled = scale_total(total, max_total)
    band = rubric.band_for(scaled)
    counts = {p: 0 for p in ("auto", "confirmed", "overridden", "attested", "open")}
    for c in on:
        counts[c.provenance] += 1
    return ScorecardResult(categories=cats, total=total, band=band.id, band_label=band.label, band_advice=band.advice,
                           provisional=counts["open"] > 0, provenance=counts, max_total=max_total,
                           scaled_total=scaled, not_applicable=[cid for cid, c in cats.items() if not c.applicable])


def build_checklist(rubric: Rubric, findings: list[Finding], metrics: dict[str, MetricValue],
                    answers: Answers) -> list[ChecklistEntry]:
    """Checklist entries: auto "no" where evidence shows a gap, the auditor's answers over that."""
    findings = [f for f in findings if f.accepted is None]  # an accepted finding pre-answers nothing
    entries = []
    for item in rubric.checklist.items:
        related_rules = rubric.matching_rules(item.evidence.rules)
        evidence = [f.id for f in findings if f.rule in related_rules]
        auto: Literal["no"] | None = None
        if item.auto_no:
            gap_rules = rubric.matching_rules(item.auto_no.rules)  # once per item, not per finding
            if any(f.rule in gap_rules for f in findings):
                auto = "no"
        ans = answers.checklist.get(item.id)
        answer = ans.answer if ans else auto
        entries.append(ChecklistEntry(
            id=item.id, group=item.group, text=item.text, answer=answer,
            source="auditor" if ans else ("auto" if auto else None),
            provenance=_provenance(auto, ans is not None, ans.answer if ans else None),
            note=ans.note if ans else ("pre-answered from evidence" if auto else ""), evidence=evidence,
        ))
    return entries
