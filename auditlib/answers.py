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

An answer overrides the evidence-based suggestion; results mark it ``source: auditor``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import AnswersError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScoreAnswer(_Model):
    score: int = Field(ge=0, le=5)
    note: str = ""
    reason: str = ""
    """Why the auditor's score differs from the suggestion."""
    by: str | None = None
    at: str | None = None


class ChecklistAnswer(_Model):
    answer: Literal["yes", "no", "exception"]
    note: str = ""
    by: str | None = None
    at: str | None = None

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


class Answers(_Model):
    auditor: str | None = None
    scores: dict[str, ScoreAnswer] = Field(default_factory=dict)
    checklist: dict[str, ChecklistAnswer] = Field(default_factory=dict)
    questions: dict[str, Any] = Field(default_factory=dict)
    signals: dict[str, Literal["refactor", "rebuild"]] = Field(default_factory=dict)

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
            return {k: v if isinstance(v, dict) else {"answer": v} for k, v in value.items()}
        return value

    def question(self, qid: str) -> Any:
        """The answer to a judgment question, or None when unanswered (blank counts as unanswered)."""
        value = self.questions.get(qid)
        if isinstance(value, str) and not value.strip():
            return None
        return value


def validate_answers(answers: Answers, rubric) -> None:
    """Check every id in ``answers`` exists in ``rubric``; raise AnswersError listing the unknown ones."""
    problems = []
    problems += [f"scores.{k}" for k in answers.scores if k not in rubric.categories]
    items = {i.id for i in rubric.checklist.items}
    problems += [f"checklist.{k}" for k in answers.checklist if k not in items]
    problems += [f"questions.{k}" for k in answers.questions if k not in rubric.question_ids]
    signals = {s.id for s in rubric.decision.signals}
    problems += [f"signals.{k}" for k in answers.signals if k not in signals]
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


def load_answers(path: Path | str | None, rubric=None) -> Answers:
    """Read an answers file (a missing path gives empty answers); validate it against ``rubric``."""
    if path is None:
        return Answers()
    path = Path(path)
    if not path.exists():
        raise AnswersError(f"answers file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise AnswersError(f"{path}: not valid YAML: {exc}") from None
    try:
        answers = Answers.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise AnswersError(f"{path}: {where}: {err['msg']}") from None
    if rubric is not None:
        validate_answers(answers, rubric)
    return answers


def file_mode(path: Path) -> int:
    """The mode a replaced file should keep (mkstemp creates 0600): the old file's, else 0644 less umask."""
    try:
        return path.stat().st_mode & 0o777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def save_answers(answers: Answers, path: Path | str) -> None:
    """Write the answers atomically: a temp file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = answers.model_dump(exclude_defaults=True)
    fd, tmp = tempfile.mkstemp(prefix=".answers-", suffix=".yaml", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            yaml.safe_dump(data, fh, sort_keys=False, allow_unicode=True)
        os.chmod(tmp, file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
