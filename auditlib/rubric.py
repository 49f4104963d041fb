"""Load and validate the rubric in checklists/: the single source of ids, thresholds and wording.

A malformed rubric is rejected with a message naming the file and the field (pydantic does the
checking); cross-references (categories named by rules, rules named by checklist items, metrics
and questions named by conditions) are checked after loading.
"""

from __future__ import annotations

import fnmatch
import functools
import os
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from . import resources
from .collect.roles import Role
from .errors import RubricError
from .models import Confidence, Effort, Severity

DEFAULT_RUBRIC_DIR = resources.shipped_rubric_dir()
"""The rubric shipped with auditlib: the repository's checklists/ folder (in the package when installed)."""


def knowledge_file(name: str) -> Path:
    """A knowledge file of the analysis engine (``models.yaml``, ``web.yaml``, ``uses.yaml``): from the
    ``AUDITLIB_RUBRIC`` folder when it holds one (a consultancy's own SDK entries), else the shipped
    one. Asked on hot paths (once per call site): the file system is looked at once per folder."""
    return _knowledge_file(os.environ.get("AUDITLIB_RUBRIC") or "", name)


YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it: the same data as ``yaml.safe_load``, about 6x faster (the
knowledge files are read by every scan: about a second of CPU with the pure-Python loader)."""


def read_knowledge(path: Path) -> Any:
    """The data of one of auditlib's own YAML files (a knowledge file or a rubric file), or None if empty."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=YAML_LOADER)


@functools.lru_cache(maxsize=64)
def _knowledge_file(custom: str, name: str) -> Path:
    if custom and (Path(custom) / name).is_file():
        return Path(custom) / name
    return DEFAULT_RUBRIC_DIR / name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Band(_Strict):
    id: Literal["high", "moderate", "low"]
    min: int
    max: int
    label: str
    advice: str


class Applicability(_Strict):
    """When a category applies (issue 12): a condition on a metric, as an evidence line's. A category
    whose condition does not hold is not applicable (no model call: no model cost to govern) and
    leaves the total; an unmeasured metric keeps it applicable."""

    metric: str
    equals: bool | None = None
    at_least: float | None = None
    at_most: float | None = None
    otherwise: str
    """Why the category does not apply when the condition does not hold, for the reader."""


class EvidenceLine(_Strict):
    metric: str
    equals: bool | None = None
    at_least: float | None = None
    at_most: float | None = None
    points: int = Field(ge=0, le=5)
    says: str
    applies_when: Applicability | None = None
    """None: the line always applies. A line whose condition does not hold (no database: no migrations to
    version) leaves the category's points: the points held are scaled to 0-5 over the lines that apply
    (auditlib.scoring.suggest_category); an unmeasured metric keeps the line."""


class Category(_Strict):
    id: str
    title: str
    covers: str
    levels: dict[int, str]
    evidence: list[EvidenceLine]
    applies_when: Applicability | None = None
    """None: the category always applies."""

    @model_validator(mode="after")
    def _anchors(self) -> "Category":
        if not {0, 3, 5} <= set(self.levels):
            raise ValueError(f"category {self.id}: levels must describe 0, 3 and 5")
        return self


class Scorecard(_Strict):
    scale: dict[str, Any]
    severity_caps: dict[Severity, int]
    cap_confidence: list[Confidence] = Field(default_factory=lambda: list[Confidence](["high"]))
    """The confidences at which a finding caps its category (a rubric written before confidence
    existed caps with high-confidence findings only, like the shipped one)."""
    bands: list[Band]
    categories: list[Category]

    @model_validator(mode="after")
    def _check(self) -> "Scorecard":
        if len(self.categories) != 8:
            raise ValueError(f"the scorecard has {len(self.categories)} categories; it must have 8")
        ids = [c.id for c in self.categories]
        if len(set(ids)) != len(ids):
            raise ValueError("category ids must be unique")
        covered = sorted((b.min, b.max) for b in self.bands)
        expected_min = 0
        for lo, hi in covered:
            if lo != expected_min or hi < lo:
                raise ValueError("bands must cover 0-40 without gaps or overlaps")
            expected_min = hi + 1
        if expected_min != 41:
            raise ValueError("bands must cover 0-40 without gaps or overlaps")
        return self


class ChecklistGroup(_Strict):
    id: str
    title: str


class EvidenceRef(_Strict):
    rules: list[str] = Field(default_factory=list)
    metrics: list[str] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list)


class ChecklistItem(_Strict):
    id: str
    group: str
    text: str
    evidence: EvidenceRef = EvidenceRef()
    auto_no: EvidenceRef | None = None


class Checklist(_Strict):
    groups: list[ChecklistGroup]
    items: list[ChecklistItem]

    @model_validator(mode="after")
    def _check(self) -> "Checklist":
        groups = {g.id for g in self.groups}
        if len(self.items) != 20:
            raise ValueError(f"the checklist has {len(self.items)} items; it must have 20")
        for item in self.items:
            if item.group not in groups:
                raise ValueError(f"checklist item {item.id}: unknown group {item.group!r}")
            ev = item.evidence
            if not (ev.rules or ev.metrics or ev.questions):
                raise ValueError(f"checklist item {item.id}: name the evidence (rules, metrics or questions) that bears on it")
        ids = [i.id for i in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("checklist item ids must be unique")
        return self


class Phase(_Strict):
    id: int = Field(ge=1, le=5)
    title: str
    goal: str
    steps: list[str]
    duration: str | None = None


class Phases(_Strict):
    phases: list[Phase]

    @model_validator(mode="after")
    def _check(self) -> "Phases":
        if [p.id for p in self.phases] != [1, 2, 3, 4, 5]:
            raise ValueError("phases must be 1 to 5, in order")
        return self


class Question(_Strict):
    id: str
    phase: int = Field(ge=1, le=5)
    type: Literal["bool", "int", "number", "text"]
    text: str
    hint: str | None = None
    default_from: str | None = None


class Questions(_Strict):
    questions: list[Question]


class Condition(_Strict):
    """A test on an auditor answer or a metric: true, false, or unknown (None)."""

    question: str | None = None
    metric: str | None = None
    equals: bool | None = None
    at_least: float | None = None
    at_most: float | None = None
    present: bool | None = None
    default_metric: str | None = None
    """With `question`: the metric to use until the auditor answers (the answer then overrides it)."""
    guard: "Condition | None" = None
    """A precondition of the measurement itself (e.g. enough functions to judge a share): when it
    does not hold, this condition is unknown rather than true or false."""

    @model_validator(mode="after")
    def _one_source(self) -> "Condition":
        if (self.question is None) == (self.metric is None):
            raise ValueError("a condition reads exactly one of `question` or `metric`")
        return self


class DecisionRule(_Strict):
    id: str
    text: str
    when: Condition
    flip: str


class Signal(_Strict):
    id: str
    text: str
    refactor: Condition
    rebuild: Condition
    says: dict[Literal["refactor", "rebuild"], str]
    flip: str


class Figure(_Strict):
    note: str
    multiplier: tuple[float, float] | None = None
    range: tuple[int, int] | None = None


class DecisionRubric(_Strict):
    readiness: list[DecisionRule]
    preconditions: list[DecisionRule]
    rebuild_triggers: list[DecisionRule]
    signals: list[Signal]
    cost: Figure
    weeks: Figure

    @model_validator(mode="after")
    def _check(self) -> "DecisionRubric":
        if len(self.readiness) != 3 or len(self.preconditions) != 3:
            raise ValueError("the decision needs 3 readiness conditions and 3 refactor preconditions")
        if self.cost.multiplier is None or self.weeks.range is None:
            raise ValueError("cost needs `multiplier` and weeks needs `range`")
        return self


class Rule(_Strict):
    category: str
    severity: Severity
    phase: int = Field(ge=1, le=5)
    effort: Effort
    roadmap: str
    remediation: str
    owasp: str | None = None
    structural: bool = False
    confidence: Confidence = "medium"
    """The default confidence of the rule's findings; a probe may grade one hit up or down."""
    roles: list[Role] | None = None
    """The file roles the rule is about (auditlib.collect.roles: app, script, test, evaluation...): a hit
    in a file of another role is dropped by ``run_probes``. None (the default): every role, as for
    secrets, which leak from any file, and repository-level rules."""
    params: dict[str, float] = Field(default_factory=dict)


class RoadmapStage(_Strict):
    id: str
    title: str
    why: str


class Rules(_Strict):
    roadmap_stages: list[RoadmapStage]
    rules: dict[str, Rule]


class Meta(_Strict):
    version: str
    name: str


VERDICTS = ("refactor", "rebuild", "not_ready")
"""The decision's verdicts (auditlib.decision), for the portfolio's triage rules."""


class TriageRule(_Strict):
    """One triage of the portfolio view: the targets whose band and verdict are listed get it."""

    id: str
    label: str
    bands: list[Literal["high", "moderate", "low"]]
    verdicts: list[Literal["refactor", "rebuild", "not_ready"]]
    says: str


class FixFirst(_Strict):
    """How the portfolio's "fix first" list weighs severity and the business impact of a target."""

    severity_weights: dict[Severity, float]
    impact_question: str
    """The judgment question whose answer gives a target's business impact (a key of impact_weights)."""
    impact_weights: dict[str, float]
    unknown_impact_weight: float


class PortfolioRubric(_Strict):
    """checklists/portfolio.yaml: the triage per target and the ranking of the "fix first" list."""

    triage: list[TriageRule]
    fix_first: FixFirst

    @model_validator(mode="after")
    def _check(self) -> "PortfolioRubric":
        ids = [t.id for t in self.triage]
        if len(set(ids)) != len(ids):
            raise ValueError("triage ids must be unique")
        missing = [f"{b}/{v}" for b in ("high", "moderate", "low") for v in VERDICTS
                   if not any(b in t.bands and v in t.verdicts for t in self.triage)]
        if missing:
            raise ValueError(f"triage covers no rule for band/verdict {', '.join(missing)}")
        if set(self.fix_first.severity_weights) != {"critical", "high", "medium", "low", "info"}:
            raise ValueError("fix_first.severity_weights needs a weight for each severity")
        return self

    def triage_for(self, band: str | None, verdict: str | None) -> TriageRule | None:
        """The triage of a target with this band and verdict (first rule that holds both); None
        when either is unknown."""
        return next((t for t in self.triage if band in t.bands and verdict in t.verdicts), None)


COVERAGE_STATUSES = ("detected", "asked", "judgment", "missing")
"""How the rubric covers a catalogue item (checklists/coverage.yaml): a rule detects it, a checklist item
or a question asks it, only a person can judge it, or nothing looks at it yet."""


class CoverageDimension(_Strict):
    """One of the ten production dimensions (concurrency, data volume, network...)."""

    id: str
    title: str
    asks: str
    """What production asks of the code in this dimension, in a few words, for the report's table."""


class CoverageItem(_Strict):
    """One catalogue item (C001-C150) and how the rubric covers it (issue 11, item 4)."""

    title: str
    dimension: str
    phase: int = Field(ge=1, le=5)
    rules: list[str] = Field(default_factory=list)
    """Rules of rules.yaml that detect the item."""
    asks: list[str] = Field(default_factory=list)
    """Checklist item ids or question ids that ask the auditor about it."""
    judgment: int | None = Field(None, ge=1, le=5)
    """Only a person can judge it, in this playbook phase."""
    missing: str | None = None
    """Not covered yet: how a rule could detect it."""
    idea: str | None = None
    """Asked of the auditor, not detected yet: how a rule could detect it (only with ``asks`` and no rules)."""

    @model_validator(mode="after")
    def _one_status(self) -> "CoverageItem":
        kinds = [bool(self.rules or self.asks), self.judgment is not None, self.missing is not None]
        if sum(kinds) != 1:
            raise ValueError("an item is covered by rules and/or asks, or is judgment, or is missing: exactly one")
        if self.idea is not None and (self.rules or not self.asks):
            raise ValueError("idea (a detection idea) goes with an item that is asked and not detected")
        if self.judgment is not None and self.judgment != self.phase:
            raise ValueError(f"judgment names phase {self.judgment} but the item's phase is {self.phase}")
        return self

    @property
    def status(self) -> str:
        """``detected`` (a rule), ``asked`` (only a checklist item or question), ``judgment`` or ``missing``."""
        if self.rules:
            return "detected"
        if self.asks:
            return "asked"
        return "judgment" if self.judgment is not None else "missing"


class Coverage(_Strict):
    """checklists/coverage.yaml: the catalogue items, their production dimension, phase and coverage."""

    dimensions: list[CoverageDimension]
    items: dict[str, CoverageItem]

    @model_validator(mode="after")
    def _check(self) -> "Coverage":
        ids = [d.id for d in self.dimensions]
        if len(ids) != 10 or len(set(ids)) != 10:
            raise ValueError(f"the coverage map needs the ten production dimensions, each once (found {len(ids)})")
        for cid, item in self.items.items():
            if not (len(cid) == 4 and cid[0] == "C" and cid[1:].isdigit()):
                raise ValueError(f"item {cid!r}: catalogue ids are C001 to C999")
            if item.dimension not in ids:
                raise ValueError(f"item {cid}: unknown dimension {item.dimension!r}")
        return self

    def by_status(self) -> dict[str, list[str]]:
        """Status -> catalogue ids, in id order."""
        out: dict[str, list[str]] = {s: [] for s in COVERAGE_STATUSES}
        for cid in sorted(self.items):
            out[self.items[cid].status].append(cid)
        return out


_FILES: dict[str, tuple[str, type[BaseModel]]] = {
    "meta": ("meta.yaml", Meta),
    "scorecard": ("scorecard.yaml", Scorecard),
    "checklist": ("checklist.yaml", Checklist),
    "phases": ("phases.yaml", Phases),
    "questions": ("questions.yaml", Questions),
    "decision": ("decision.yaml", DecisionRubric),
    "rules": ("rules.yaml", Rules),
    "portfolio": ("portfolio.yaml", PortfolioRubric),
    "coverage": ("coverage.yaml", Coverage),
}
_FALLBACK = {"portfolio", "coverage"}
"""Parts a custom rubric folder (AUDITLIB_RUBRIC) may leave out: the shipped file is read instead."""


class Rubric:
    """The validated rubric. Attributes mirror the files of checklists/."""

    def __init__(self, directory: Path, parts: dict[str, Any]) -> None:
        self.directory = directory
        self.meta: Meta = parts["meta"]
        self.scorecard: Scorecard = parts["scorecard"]
        self.checklist: Checklist = parts["checklist"]
        self.phases: Phases = parts["phases"]
        self.questions: Questions = parts["questions"]
        self.decision: DecisionRubric = parts["decision"]
        self.rules: Rules = parts["rules"]
        self.portfolio: PortfolioRubric = parts["portfolio"]
        self.coverage: Coverage = parts["coverage"]

    @property
    def version(self) -> str:
        """The rubric version recorded in every result."""
        return self.meta.version

    @cached_property
    def categories(self) -> dict[str, Category]:
        """Scorecard categories by id, in rubric order."""
        return {c.id: c for c in self.scorecard.categories}

    @cached_property
    def question_ids(self) -> set[str]:
        """Ids of the judgment-only questions."""
        return {q.id for q in self.questions.questions}

    def rule(self, rule_id: str) -> Rule:
        """The rubric entry of one finding rule."""
        return self.rules.rules[rule_id]

    def band_for(self, total: int) -> Band:
        """The launch-risk band of a scorecard total."""
        for band in self.scorecard.bands:
            if band.min <= total <= band.max:
                return band
        raise RubricError(f"no band covers a total of {total}")

    def matching_rules(self, patterns: list[str]) -> set[str]:
        """Rule ids matched by glob patterns such as ``secret.*``."""
        return {r for r in self.rules.rules if any(fnmatch.fnmatchcase(r, p) for p in patterns)}

    def conditions(self) -> list[Condition]:
        """Every condition of the decision rubric (for cross-checks)."""
        d = self.decision
        out = [r.when for r in d.readiness + d.preconditions + d.rebuild_triggers]
        for s in d.signals:
            out += [s.refactor, s.rebuild]
        return out

    def _cross_check(self, metric_names: set[str], probe_names: set[str]) -> list[str]:
        problems = [f"rules.yaml: {rid}: no probe is registered for this rule"
                    for rid in self.rules.rules if rid not in probe_names]
        cats = set(self.categories)
        stages = {s.id for s in self.rules.roadmap_stages}
        for rid, rule in self.rules.rules.items():
            if rule.category not in cats:
                problems.append(f"rules.yaml: {rid}: unknown category {rule.category!r}")
            if rule.roadmap not in stages:
                problems.append(f"rules.yaml: {rid}: unknown roadmap stage {rule.roadmap!r}")
        for item in self.checklist.items:
            for ref in filter(None, [item.evidence, item.auto_no]):
                for pat in ref.rules:
                    if not self.matching_rules([pat]):
                        problems.append(f"checklist.yaml: {item.id}: no rule matches {pat!r}")
                for m in ref.metrics:
                    if m not in metric_names:
                        problems.append(f"checklist.yaml: {item.id}: unknown metric {m!r}")
                for q in ref.questions:
                    if q not in self.question_ids:
                        problems.append(f"checklist.yaml: {item.id}: unknown question {q!r}")
        for cat in self.scorecard.categories:
            for line in cat.evidence:
                if line.metric not in metric_names:
                    problems.append(f"scorecard.yaml: {cat.id}: unknown metric {line.metric!r}")
                if line.applies_when and line.applies_when.metric not in metric_names:
                    problems.append(f"scorecard.yaml: {cat.id}: {line.metric}: applies_when: unknown metric "
                                    f"{line.applies_when.metric!r}")
            if cat.applies_when and cat.applies_when.metric not in metric_names:
                problems.append(f"scorecard.yaml: {cat.id}: applies_when: unknown metric {cat.applies_when.metric!r}")
        for cond in self.conditions():
            if cond.question and cond.question not in self.question_ids:
                problems.append(f"decision.yaml: unknown question {cond.question!r}")
            for metric in (cond.metric, cond.default_metric, cond.guard.metric if cond.guard else None):
                if metric and metric not in metric_names:
                    problems.append(f"decision.yaml: unknown metric {metric!r}")
        if self.portfolio.fix_first.impact_question not in self.question_ids:
            problems.append(f"portfolio.yaml: fix_first.impact_question: unknown question "
                            f"{self.portfolio.fix_first.impact_question!r}")
        for question in self.questions.questions:
            for metric in (question.hint, question.default_from):
                if metric and metric not in metric_names:
                    problems.append(f"questions.yaml: {question.id}: unknown metric {metric!r}")
        checklist_ids = {i.id for i in self.checklist.items}
        for cid, cov in self.coverage.items.items():
            for rid in cov.rules:
                if rid not in self.rules.rules:
                    problems.append(f"coverage.yaml: {cid}: unknown rule {rid!r} (not in rules.yaml)")
            for ask in cov.asks:
                if ask not in checklist_ids and ask not in self.question_ids:
                    problems.append(f"coverage.yaml: {cid}: {ask!r} is neither a checklist item (checklist.yaml) "
                                    "nor a question (questions.yaml)")
        return problems


def load_rubric(directory: Path | str | None = None) -> Rubric:
    """Load and validate the rubric from ``directory`` (default: the shipped checklists/).

    ``AUDITLIB_RUBRIC`` in the environment points to another folder when no directory is given.
    Raises RubricError naming the file and the problem when anything is malformed.

    The files are read at every call; the rubric parsed and validated from the same texts is reused
    (:func:`_validated`: a batch's kernel loads it twice per target, 40 ms each)."""
    from .metrics import METRICS  # the registries are filled when their modules are imported
    from .probes import PROBES

    directory = Path(directory or resources.rubric_dir())
    if not directory.is_dir():
        raise RubricError(f"rubric folder not found: {directory}")
    files: list[tuple[str, str, str]] = []
    for key, (name, _model) in _FILES.items():
        path = directory / name
        if key in _FALLBACK and not path.exists():
            path = DEFAULT_RUBRIC_DIR / name
        try:
            files.append((key, str(path), path.read_text(encoding="utf-8")))
        except (FileNotFoundError, UnicodeDecodeError, OSError, RecursionError) as exc:
            _parse(files)  # a problem in a file before this one is named first, as they are read in order
            if isinstance(exc, FileNotFoundError):
                raise RubricError(f"{path}: missing rubric file") from None
            if isinstance(exc, UnicodeDecodeError):
                raise RubricError(f"{path}: not a UTF-8 text file") from None
            raise RubricError(f"{path}: cannot be read: {getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    return _validated(str(directory), tuple(files), tuple(sorted(METRICS)), tuple(sorted(PROBES)))


@functools.lru_cache(maxsize=2)
def _validated(directory: str, files: tuple[tuple[str, str, str], ...], metrics: tuple[str, ...],
               probes: tuple[str, ...]) -> Rubric:
    """The rubric of these file texts (key, path, text), cross-checked against the metric and probe
    registries: a pure function of its arguments (the texts themselves, not their paths or times).
    Nothing mutates a Rubric (its models are frozen), so one is shared by every caller."""
    rubric = Rubric(Path(directory), _parse(list(files)))
    problems = rubric._cross_check(set(metrics), set(probes))
    if problems:
        raise RubricError(f"{directory}: " + "; ".join(problems))
    return rubric


def _parse(files: list[tuple[str, str, str]]) -> dict[str, Any]:
    """The models of the rubric files read (key, path, text); RubricError for the first bad one."""
    parts: dict[str, Any] = {}
    for key, path, text in files:
        model = _FILES[key][1]
        try:
            data = yaml.load(text, Loader=YAML_LOADER)
        except yaml.YAMLError as exc:
            raise RubricError(f"{path}: not valid YAML: {' '.join(str(exc).split())[:300]}") from None
        except RecursionError:
            raise RubricError(f"{path}: cannot be read: RecursionError") from None
        try:
            parts[key] = model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            raise RubricError(f"{path}: {where}: {first['msg']} ({exc.error_count()} problem(s))") from None
    return parts
