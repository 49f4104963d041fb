"""The auditor's answers: scores, checklist answers, judgment-only questions and signal overrides.

File format (YAML, keyed by rubric ids; every section optional)::

    auditor: J. Doe
    scores:
      security_access: 2                       # or {score: 2, note: "...", reason: "why it differs"}
    checklist:
      security.secrets_manager: no             # yes | no | exception, or {answer: exception, note: "why"}
    questions:
      use_case_validated: true
      eval_set_size: 250
    signals:
      core_logic: refactor                     # refactor | rebuild: overrides a decision signal
    accept:                                    # findings accepted with a written reason (auditlib.accept)
      - rule: secret.committed_credential      # or fingerprint: fp-... (as results.json shows it)
        path: tests/fixtures/keys.py           # optional (a glob), with an optional line
        reason: Fake key of the detector tests # required
        until: 2027-06-30                      # optional expiry
    accept_repository: false                   # refuse the target's own .auditlib.yaml acceptances

An answer overrides the evidence-based suggestion; results mark it ``source: auditor``.

The trail. Answers given through the workbook's forms also record who gave them and when
(``by``, ``at``), the target commit and the finding ids they were given against (``commit``,
``findings``), and the suggestion they confirmed or overrode (``suggested``); judgment questions and
signals keep theirs under ``trail:`` (keyed ``questions.<id>`` / ``signals.<id>``). An override of a
suggested score or of an auto-answered checklist item needs a written reason: the forms refuse to
save one without it (``check_override``). A hand-written file is not refused for it (the suggestion
depends on the evidence, which the file does not know): ``review_answers`` flags such answers, and
answers whose evidence changed since they were given, for review.

Concurrency. ``update_answers`` changes one answer: under an exclusive lock on a ``.<name>.lock``
file beside the answers file (``fcntl.flock``), it re-reads the file, replaces that one item and
writes the file atomically. Two notebooks of the same audit therefore merge per item; for the same
item the last writer wins.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import AnswersError
from .models import AcceptEntry

if TYPE_CHECKING:
    from .audit import AuditResult
    from .rubric import Rubric


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreAnswer(_Model):
    score: int = Field(ge=0, le=5)
    note: str = ""
    reason: str = ""
    """Why the auditor's score differs from the suggestion."""
    suggested: int | None = None
    """The suggested score when the answer was given."""
    by: str | None = None
    """The auditor who gave the answer."""
    at: str | None = None
    """When (ISO 8601)."""
    commit: str | None = None
    """The target commit the answer was given against."""
    findings: list[str] | None = None
    """Ids of the findings that bore on the category when the answer was given (None: not recorded)."""


class ChecklistAnswer(_Model):
    answer: Literal["yes", "no", "exception"]
    note: str = ""
    """The written reason of an exception or of an override; otherwise a remark."""
    suggested: Literal["yes", "no", "exception"] | None = None
    """The evidence's pre-answer when the answer was given."""
    by: str | None = None
    at: str | None = None
    commit: str | None = None
    findings: list[str] | None = None
    """Ids of the findings that bore on the item when the answer was given (None: not recorded)."""

    @field_validator("answer", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare yes/no as a boolean.
        if value is True:
            return "yes"
        if value is False:
            return "no"
        return value.lower() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _exception_needs_reason(self) -> "ChecklistAnswer":
        if self.answer == "exception" and not self.note.strip():
            raise ValueError("an exception needs a written reason in `note`")
        return self


class Stamp(_Model):
    """Who answered a judgment question or set a signal, and when."""

    by: str | None = None
    at: str | None = None
    commit: str | None = None


class ReviewFlag(_Model):
    """An answer to look at again: its evidence changed since it was given, or an override has no reason."""

    key: str
    """``scores.<id>`` or ``checklist.<id>``."""
    kind: Literal["evidence_gone", "evidence_added", "no_reason"]
    message: str
    gone: list[str] = Field(default_factory=list)
    """Finding ids the answer was given against that no longer exist."""
    added: list[str] = Field(default_factory=list)
    """Finding ids bearing on the item now that did not when the answer was given."""


class Answers(_Model):
    auditor: str | None = None
    scores: dict[str, ScoreAnswer] = Field(default_factory=dict)
    checklist: dict[str, ChecklistAnswer] = Field(default_factory=dict)
    questions: dict[str, Any] = Field(default_factory=dict)
    signals: dict[str, Literal["refactor", "rebuild"]] = Field(default_factory=dict)
    trail: dict[str, Stamp] = Field(default_factory=dict)
    """Who answered each question and signal, and when: keys ``questions.<id>`` and ``signals.<id>``."""
    accept: list[AcceptEntry] = Field(default_factory=list)
    """Findings the auditor accepts with a written reason (issue 12; auditlib.accept): they stay listed
    but leave the score. Each entry needs ``reason``."""
    accept_repository: bool = True
    """Whether the target's own ``.auditlib.yaml`` acceptances apply (false: listed as ignored)."""
    needs_review: list[ReviewFlag] = Field(default_factory=list)
    """Computed against the current result when the workbook evaluates (``review_answers``); never
    read from or written to the answers file."""

    @field_validator("scores", mode="before")
    @classmethod
    def _bare_scores(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"score": v} if isinstance(v, int) and not isinstance(v, bool) else v for k, v in value.items()}
        return value

    @field_validator("checklist", mode="before")
    @classmethod
    def _bare_answers(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: v if isinstance(v, (dict, ChecklistAnswer)) else {"answer": v} for k, v in value.items()}
        return value

    def question(self, qid: str) -> Any:
        """The answer to a judgment question, or None when unanswered (blank counts as unanswered)."""
        value = self.questions.get(qid)
        if isinstance(value, str) and not value.strip():
            return None
        return value


def validate_answers(answers: Answers, rubric: Rubric) -> None:
    """Check every id in ``answers`` exists in ``rubric``; raise AnswersError listing the unknown ones."""
    problems = []
    problems += [f"scores.{k}" for k in answers.scores if k not in rubric.categories]
    items = {i.id for i in rubric.checklist.items}
    problems += [f"checklist.{k}" for k in answers.checklist if k not in items]
    problems += [f"questions.{k}" for k in answers.questions if k not in rubric.question_ids]
    signals = {s.id for s in rubric.decision.signals}
    problems += [f"signals.{k}" for k in answers.signals if k not in signals]
    known = {f"questions.{q}" for q in rubric.question_ids} | {f"signals.{s}" for s in signals}
    problems += [f"trail.{k}" for k in answers.trail if k not in known]
    problems += [f"accept[{n}] (rule {e.rule!r})" for n, e in enumerate(answers.accept, 1)
                 if e.rule and not rubric.matching_rules([e.rule])]
    if problems:
        raise AnswersError("unknown ids in the answers file (not in the rubric): " + ", ".join(problems))
    types = {q.id: q.type for q in rubric.questions.questions}
    for qid, value in answers.questions.items():
        if value is None:
            continue
        kind = types[qid]
        ok = {
            "bool": isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "text": isinstance(value, (str, int, float)),
        }[kind]
        if not ok:
            raise AnswersError(f"questions.{qid}: expected {kind}, got {value!r}")
        if kind in ("int", "number"):
            problem = number_problem(value)
            if problem:
                raise AnswersError(f"questions.{qid}: {problem}")


def number_problem(value: float) -> str:
    """Why a number cannot answer a question ('' when it can): every number question is a count or an
    amount (cases in the evaluation set, the build cost), so it is finite and not negative."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r} is not a usable number: give a finite amount (0 or more)"
    if value < 0:
        return f"{value:g} is negative: give 0 or more (a count or an amount)"
    return ""


MAX_ANSWERS_BYTES = 5_000_000
"""An answers file of weeks of work is tens of kilobytes; anything this large is not one."""


MAX_ANSWERS_NODES = 200_000
"""Values in an answers file once YAML aliases are expanded (a "billion laughs" file expands to billions)."""


def _expanded_size(data: Any, budget: int = MAX_ANSWERS_NODES + 1) -> int:
    """How many values ``data`` holds with shared (aliased) parts counted each time; stops past ``budget``."""
    seen, stack = 0, [data]
    while stack and seen <= budget:
        item = stack.pop()
        seen += 1
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set)):
            stack.extend(item)
    return seen


def _first_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


def load_answers(path: Path | str | None, rubric: Rubric | None = None) -> Answers:
    """Read an answers file (a missing path gives empty answers); validate it against ``rubric``."""
    if path is None:
        return Answers()
    path = Path(path)
    if not path.exists():
        raise AnswersError(f"answers file not found: {path}")
    if not path.is_file():
        raise AnswersError(f"{path}: not a regular file")
    if path.stat().st_size > MAX_ANSWERS_BYTES:
        raise AnswersError(f"{path}: {path.stat().st_size} bytes, larger than an answers file can be "
                           f"({MAX_ANSWERS_BYTES // 1_000_000} MB)")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except UnicodeDecodeError:
        raise AnswersError(f"{path}: not a UTF-8 text file (an answers file is YAML)") from None
    except yaml.YAMLError as exc:
        raise AnswersError(f"{path}: not valid YAML: {_first_line(exc)}") from None
    except (OSError, RecursionError) as exc:
        raise AnswersError(f"{path}: cannot be read: {getattr(exc, 'strerror', None) or type(exc).__name__}") from None
    if _expanded_size(data) > MAX_ANSWERS_NODES:
        raise AnswersError(f"{path}: more than {MAX_ANSWERS_NODES} values once YAML aliases are expanded; "
                           "not an answers file")
    if isinstance(data, dict):
        data.pop("needs_review", None)  # computed, never an input
    answers = parse_answers(data, str(path))
    if rubric is not None:
        validate_answers(answers, rubric)
    return answers


def parse_answers(data: Any, where: str = "answers") -> Answers:
    """Validate a mapping as Answers; AnswersError naming the first bad field."""
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = err["loc"]
        if len(loc) >= 2 and loc[0] == "accept" and isinstance(loc[1], int):
            from .accept import describe_entry_error  # the same one line as for the repository's file

            raise AnswersError(f"{where}: accept[{loc[1] + 1}]: {describe_entry_error(err, skip=2)}") from None
        dotted = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        raise AnswersError(f"{where}: {dotted}: {msg}" if dotted else f"{where}: {msg}") from None



def save_answers(answers: Answers, path: Path | str) -> None:
    """Write the answers atomically and owner-only: a temp file in the same folder, fsync, then a
    rename (see auditlib.safeio); a kill leaves the old or the new file, never a torn one."""
    from .safeio import atomic_write

    data = answers.model_dump(exclude_defaults=True, exclude={"needs_review"})
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if yaml.safe_load(text) != data:  # a line-break-like character (NEL, LS, PS) read back as a break
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False)  # escapes every non-ASCII one
    atomic_write(path, text)


# ------------------------------------------------------------------------------- overrides, review
def override_reason(answer: ScoreAnswer | ChecklistAnswer) -> str:
    """The written why of an answer: its ``reason`` (scores), else its ``note``."""
    return (getattr(answer, "reason", "") or answer.note or "").strip()


def is_override(suggested: Any, given: Any) -> bool:
    """Whether an answer changes a suggestion (answering where nothing was suggested is not an override)."""
    return suggested is not None and given != suggested


def check_override(key: str, answer: ScoreAnswer | ChecklistAnswer, suggested: Any) -> None:
    """Refuse (AnswersError) an override of a suggestion that carries no written reason."""
    given = answer.score if isinstance(answer, ScoreAnswer) else answer.answer
    if is_override(suggested, given) and not override_reason(answer):
        field = "reason" if isinstance(answer, ScoreAnswer) else "note"
        raise AnswersError(f"{key}: changing the suggested {suggested!r} to {given!r} needs a written reason "
                           f"(the {field} field); not saved")


def review_answers(answers: Answers, result: AuditResult) -> list[ReviewFlag]:
    """Answers to review against ``result`` (an AuditResult, read duck-typed to avoid an import cycle).

    Flags an answer whose recorded findings no longer exist (evidence_gone), one whose item has
    findings it was not given against (evidence_added), and an override without a written reason.
    Answers without recorded findings (hand-written) are checked for the reason only.
    """
    current = {f.id for f in result.findings}
    flags: list[ReviewFlag] = []

    def compare(key: str, given: ScoreAnswer | ChecklistAnswer, evidence: list[str], what: str) -> None:
        if given.findings is None:
            return
        gone = [fid for fid in given.findings if fid not in current]
        added = [fid for fid in evidence if fid not in given.findings]
        since = f" since it was given at {given.commit[:10]}" if given.commit else " since it was given"
        if gone:
            flags.append(ReviewFlag(key=key, kind="evidence_gone", gone=gone, added=added,
                                    message=f"{what}: {len(gone)} finding(s) it was given against no longer exist{since}"))
        elif added:
            flags.append(ReviewFlag(key=key, kind="evidence_added", added=added,
                                    message=f"{what}: {len(added)} new finding(s) bear on it{since}"))

    for cid, ans in answers.scores.items():
        cat = result.scorecard.categories.get(cid)
        if cat is None:
            continue
        compare(f"scores.{cid}", ans, cat.evidence, f"score of {cat.title}")
        if cat.provenance == "overridden" and not override_reason(ans):
            flags.append(ReviewFlag(key=f"scores.{cid}", kind="no_reason",
                                    message=f"score of {cat.title}: {ans.score} overrides the suggested "
                                            f"{cat.suggested} without a written reason"))
    entries = {e.id: e for e in result.checklist}
    for iid, item_ans in answers.checklist.items():
        entry = entries.get(iid)
        if entry is None:
            continue
        what = f"checklist item \u201c{getattr(entry, 'text', iid)}\u201d"
        compare(f"checklist.{iid}", item_ans, entry.evidence, what)
        if entry.provenance == "overridden" and not override_reason(item_ans):
            flags.append(ReviewFlag(key=f"checklist.{iid}", kind="no_reason",
                                    message=f"{what}: {item_ans.answer!r} overrides the evidence's "
                                            "pre-answer without a written reason"))
    return flags


# ---------------------------------------------------------------------------- merge one answer in
@contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock (fcntl.flock) on ``.<name>.lock`` beside ``path``, for a read-modify-write."""
    import fcntl

    from .safeio import make_dir

    lock = path.with_name(f".{path.name}.lock")
    make_dir(lock.parent)
    with open(lock, "a+") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


SECTIONS = ("scores", "checklist", "questions", "signals")


def update_answers(path: Path | str, section: str, key: str, value: Any, *, rubric: Rubric | None = None,
                   auditor: str | None = None, stamp: Stamp | None = None) -> Answers:
    """Set (or, with ``value=None``, remove) one answer in the answers file and return the merged answers.

    Under the lock the file is re-read, only ``section.key`` is changed, and the file is written
    atomically, so answers another notebook saved meanwhile are kept (last writer per item wins).
    ``stamp`` records who/when for a question or signal; ``auditor`` fills the file's ``auditor``
    when it has none. Refuses (AnswersError) a value the answers model or the rubric rejects.
    """
    if section not in SECTIONS:
        raise ValueError(f"unknown answers section {section!r}")
    from .safeio import remove_stale_temps

    path = Path(path)
    with locked(path):
        remove_stale_temps(path)  # a save killed earlier left its temp file; under the lock none is live
        current = load_answers(path) if path.exists() else Answers()
        data = current.model_dump(exclude_defaults=True, exclude={"needs_review"})
        items = data.setdefault(section, {})
        if isinstance(value, BaseModel):
            value = value.model_dump(exclude_defaults=True)
        trail = data.setdefault("trail", {})
        if value is None:
            items.pop(key, None)
            trail.pop(f"{section}.{key}", None)
        else:
            items[key] = value
            if stamp is not None and section in ("questions", "signals"):
                trail[f"{section}.{key}"] = stamp.model_dump(exclude_defaults=True)
        if auditor and not data.get("auditor"):
            data["auditor"] = auditor
        data = {k: v for k, v in data.items() if v not in ({}, None)}
        merged = parse_answers(data, f"{section}.{key}")
        if rubric is not None:
            validate_answers(merged, rubric)
        save_answers(merged, path)
    return merged


def coerce_question(kind: str, raw: Any) -> Any:
    """A typed answer from a form's raw value: '' or None is unanswered; "int"/"number" text is parsed.

    AnswersError when text does not parse as the question's type.
    """
    if raw is None:
        return None
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if not text:
        return None
    if kind == "int":
        try:
            return int(text.replace(",", "").replace("_", ""))
        except ValueError:
            raise AnswersError(f"{text!r} is not a whole number") from None
    if kind == "number":
        try:
            number = float(text.replace(",", "").replace("_", ""))
        except ValueError:
            raise AnswersError(f"{text!r} is not a number") from None
        if not math.isfinite(number):
            raise AnswersError(f"{text!r} is not a usable number: give a finite amount (0 or more)")
        return int(number) if number.is_integer() else number
    if kind == "bool":
        lowered = text.lower()
        if lowered in ("yes", "true", "y"):
            return True
        if lowered in ("no", "false", "n"):
            return False
        raise AnswersError(f"{text!r} is not yes or no")
    return text
