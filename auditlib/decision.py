"""Refactor, rebuild, or not ready: a pure function of the rubric, metrics and the auditor's answers.

Rules (checklists/decision.yaml): a readiness condition that is not established gives not_ready; a
refactor precondition that does not hold, or a rebuild trigger, gives rebuild; otherwise the signals
decide. Every rationale line names the condition or signal behind it, and the decision states the
smallest set of answers or fixes that would change it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from .answers import Answers
from .metrics import MetricValue
from .scoring import condition_holds

if TYPE_CHECKING:
    from .rubric import Condition, DecisionRule, Rubric

Verdict = Literal["refactor", "rebuild", "not_ready"]


class ConditionResult(BaseModel):
    text: str
    holds: bool | None
    source: Literal["auditor", "evidence"] | None
    value: Any = None
    flip: str


class SignalResult(BaseModel):
    text: str
    points_to: Literal["refactor", "rebuild"] | None
    source: Literal["auditor", "evidence"] | None
    says: str = ""
    value: Any = None


class Flip(BaseModel):
    to: Verdict
    requires: list[str]


class DecisionResult(BaseModel):
    verdict: Verdict
    readiness: dict[str, ConditionResult]
    preconditions: dict[str, ConditionResult]
    triggers: dict[str, ConditionResult]
    signals: dict[str, SignalResult]
    rationale: list[str]
    flip: Flip | None
    cost_multiplier: tuple[float, float]
    weeks: tuple[int, int]
    cost_money: tuple[float, float] | None = None
    currency: str | None = None
    notes: list[str] = Field(default_factory=list)


def _eval(cond: Condition, metrics: dict[str, MetricValue],
          answers: Answers) -> tuple[bool | None, Literal["auditor", "evidence"] | None, Any]:
    if cond.guard is not None and _eval(cond.guard, metrics, answers)[0] is not True:
        return None, None, None  # too little to measure: not established
    kw: dict[str, Any] = dict(equals=cond.equals, at_least=cond.at_least, at_most=cond.at_most, present=cond.present)
    if cond.question:
        value = answers.question(cond.question)
        if value is not None:
            return condition_holds(value, **kw), "auditor", value
        if cond.default_metric:
            value = metrics.get(cond.default_metric)
            held = condition_holds(value, equals=True)
            return held, ("evidence" if held is not None else None), value
        return None, None, None
    value = metrics.get(cond.metric) if cond.metric is not None else None
    return condition_holds(value, **kw), ("evidence" if value is not None else None), value


def _conditions(rules: list[DecisionRule], metrics: dict[str, MetricValue],
                answers: Answers) -> dict[str, ConditionResult]:
    out = {}
    for r in rules:
        holds, source, value = _eval(r.when, metrics, answers)
        out[r.id] = ConditionResult(text=r.text, holds=holds, source=source, value=value, flip=r.flip)
    return out


def _signals(rubric: Rubric, metrics: dict[str, MetricValue], answers: Answers) -> dict[str, SignalResult]:
    out = {}
    for s in rubric.decision.signals:
        if s.id in answers.signals:
            to = answers.signals[s.id]
            out[s.id] = SignalResult(text=s.text, points_to=to, source="auditor", says=s.says[to])
            continue
        # refactor is tested first, so a value on the boundary counts for refactor
        for side in ("refactor", "rebuild"):
            holds, source, value = _eval(getattr(s, side), metrics, answers)
            if holds:
                out[s.id] = SignalResult(text=s.text, points_to=side, source=source, says=s.says[side], value=value)
                break
        else:
            out[s.id] = SignalResult(text=s.text, points_to=None, source=None, says="not established")
    return out


def _verdict(readiness: dict[str, ConditionResult], preconditions: dict[str, ConditionResult],
             triggers: dict[str, ConditionResult], signals: dict[str, SignalResult]) -> Verdict:
    if not all(c.holds for c in readiness.values()):
        return "not_ready"
    if not all(c.holds for c in preconditions.values()) or any(c.holds for c in triggers.values()):
        return "rebuild"
    rebuild = sum(s.points_to == "rebuild" for s in signals.values())
    refactor = sum(s.points_to == "refactor" for s in signals.values())
    return "rebuild" if rebuild > refactor else "refactor"


def _fmt(value: Any) -> str:
    if value is None:
        return "unanswered"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _line(kind: str, cid: str, c: ConditionResult, good: str, bad: str) -> str:
    state = good if c.holds else ("not established" if c.holds is None else bad)
    src = {"auditor": "auditor's answer", "evidence": "from evidence", None: "no answer, no evidence"}[c.source]
    return f"{kind} {cid}: {state} ({src}: {_fmt(c.value)}). {c.text}"


def _signal_flips(rubric: Rubric, signals: dict[str, SignalResult]) -> list[str]:
    rebuild = [sid for sid, s in signals.items() if s.points_to == "rebuild"]
    refactor = sum(s.points_to == "refactor" for s in signals.values())
    need = max(0, math.ceil((len(rebuild) - refactor) / 2))
    flips = {s.id: s.flip for s in rubric.decision.signals}
    # prefer signals measured from evidence: those are fixes, not opinions
    rebuild.sort(key=lambda sid: signals[sid].source != "evidence")
    return [flips[sid] for sid in rebuild[:need]]


def decide(rubric: Rubric, metrics: dict[str, MetricValue], answers: Answers) -> DecisionResult:
    """The refactor / rebuild / not-ready decision with its reasons, figures and flip conditions."""
    d = rubric.decision
    readiness = _conditions(d.readiness, metrics, answers)
    pre = _conditions(d.preconditions, metrics, answers)
    triggers = _conditions(d.rebuild_triggers, metrics, answers)
    signals = _signals(rubric, metrics, answers)
    verdict = _verdict(readiness, pre, triggers, signals)

    rationale = [_line("readiness", k, c, "met", "not met") for k, c in readiness.items()]
    rationale += [_line("precondition", k, c, "holds", "does not hold") for k, c in pre.items()]
    rationale += [f"rebuild trigger {k}: present ({_fmt(c.value)}). {c.text}" for k, c in triggers.items() if c.holds]
    for sid, s in signals.items():
        if s.points_to:
            src = "auditor" if s.source == "auditor" else f"evidence: {_fmt(s.value)}"
            rationale.append(f"signal {sid}: points to {s.points_to}: {s.says} ({src})")
        else:
            rationale.append(f"signal {sid}: not established")

    if verdict == "not_ready":
        requires = [c.flip for c in readiness.values() if not c.holds]
        ready = {k: c.model_copy(update={"holds": True}) for k, c in readiness.items()}
        flip = Flip(to=_verdict(ready, pre, triggers, signals), requires=requires)
    elif verdict == "rebuild":
        requires = [c.flip for c in pre.values() if not c.holds]
        requires += [f"not: {c.text.lower()}" for c in triggers.values() if c.holds]
        requires += _signal_flips(rubric, signals)
        flip = Flip(to="refactor", requires=requires)
    else:
        options = [f"{c.text.lower().rstrip('.')} turns out false" for c in pre.values()]
        flip = Flip(to="rebuild", requires=["any one of: " + "; ".join(options)])

    notes = [d.cost.note, d.weeks.note]
    multiplier, weeks = d.cost.multiplier, d.weeks.range
    assert multiplier is not None and weeks is not None  # DecisionRubric's validator requires both
    cost_money, currency = None, None
    build_cost = answers.question("original_build_cost")
    if isinstance(build_cost, (int, float)) and not isinstance(build_cost, bool) and build_cost > 0:
        lo, hi = multiplier
        cost_money = (round(build_cost * lo, 2), round(build_cost * hi, 2))
        currency = str(answers.question("currency") or "")
    return DecisionResult(
        verdict=verdict, readiness=readiness, preconditions=pre, triggers=triggers, signals=signals,
        rationale=rationale, flip=flip, cost_multiplier=multiplier, weeks=weeks,
        cost_money=cost_money, currency=currency or None, notes=notes,
    )
