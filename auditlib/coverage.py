"""What an audit covered (issue 11, item 4): the catalogue items of checklists/coverage.yaml, each with
what this result says of it.

For one result, every item is in one state:

- ``checked``: a rule detects it and the collector that rule reads ran (``run.collectors``), so the
  evidence was looked at (``findings`` says how many live findings it gave);
- ``not_run``: a rule detects it but its collector could not run: nothing was looked at;
- ``answered``: a checklist item or question asks it and has an answer (``by``: ``auditor``, or
  ``evidence`` for a checklist "no" pre-answered from findings);
- ``unanswered``: asked, not answered yet;
- ``judgment``: only a person can judge it (its phase of the playbook);
- ``missing``: the tool does not look at it yet.

The report's appendix "What this audit covered" (``report.coverage_appendix``) counts these per
production dimension and per playbook phase. Nothing here scores or decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .audit import AuditResult
    from .rubric import Rubric

OPEN_STATES = ("not_run", "unanswered", "judgment", "missing")

_BY_NAMESPACE = {"secret": "secrets", "dependency": "dependencies", "history": "history",
                 "complexity": "complexity"}
_BY_MODULE = {"code": "code", "llm": "code", "secrets": "secrets", "dependencies": "dependencies",
              "history": "history", "practices": "practices"}


def rule_collector(rule_id: str) -> str:
    """The collector whose facts a rule is decided from: the analysis engine's checks and the code and
    model-call probes read ``code``; ``secret.*`` the secrets scan, ``dependency.*`` the dependencies,
    ``history.*`` the history, ``complexity.*`` the complexity; the other practice probes ``practices``."""
    from .probes import PROBES

    ns = rule_id.split(".", 1)[0]
    if ns in _BY_NAMESPACE:
        return _BY_NAMESPACE[ns]
    fn = PROBES.get(rule_id)
    module = (getattr(fn, "__module__", "") or "").rsplit(".", 1)[-1]
    return _BY_MODULE.get(module, "code")


@dataclass
class ItemState:
    id: str
    title: str
    dimension: str
    phase: int
    state: str
    findings: int = 0
    by: str | None = None
    """For ``answered``: ``auditor`` or ``evidence``."""
    why: str = ""
    """For ``not_run``: the collectors that could not run; for ``missing``: the detection idea."""


@dataclass
class Tally:
    items: int = 0
    checked: int = 0
    found: int = 0
    """Checked items with at least one live finding."""
    findings: int = 0
    asked: int = 0
    answered: int = 0
    open: list[ItemState] = field(default_factory=list)


def item_states(result: AuditResult, rubric: Rubric) -> list[ItemState]:
    """Every catalogue item of the rubric's coverage map, with its state for ``result``."""
    collectors = result.run.collectors or {}
    live: dict[str, int] = {}
    for f in result.findings:
        if f.accepted is None:
            live[f.rule] = live.get(f.rule, 0) + 1
    checklist = {e.id: e for e in result.checklist}
    out = []
    for cid in sorted(rubric.coverage.items):
        item = rubric.coverage.items[cid]
        s = ItemState(cid, item.title, item.dimension, item.phase, item.status)
        if item.rules:
            ran = [r for r in item.rules if (collectors.get(rule_collector(r)) or {}).get("available", True)]
            if ran:
                s.state = "checked"
                s.findings = sum(live.get(r, 0) for r in ran)
            else:
                s.state = "not_run"
                s.why = ", ".join(sorted({rule_collector(r) for r in item.rules}))
        elif item.asks:
            s.state = "unanswered"
            for ask in item.asks:
                entry = checklist.get(ask)
                if entry is not None and entry.answer is not None:
                    by = "auditor" if entry.source == "auditor" else "evidence"
                    s.state, s.by = "answered", "auditor" if s.by == "auditor" or by == "auditor" else by
                elif entry is None and result.answers.question(ask) is not None:
                    s.state, s.by = "answered", "auditor"
        elif item.missing is not None:
            s.why = item.missing
        out.append(s)
    return out


def tally(states: list[ItemState], key: str) -> dict[Any, Tally]:
    """States counted per ``key`` (``dimension`` or ``phase``)."""
    out: dict[Any, Tally] = {}
    for s in states:
        t = out.setdefault(getattr(s, key), Tally())
        t.items += 1
        if s.state == "checked":
            t.checked += 1
            t.found += s.findings > 0
            t.findings += s.findings
        if s.state in ("answered", "unanswered"):
            t.asked += 1
            t.answered += s.state == "answered"
        if s.state in OPEN_STATES:
            t.open.append(s)
    return out
