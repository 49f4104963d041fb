"""Probes over secrets facts. Evidence strings only ever carry masked values."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Iterable

from ..models import SEVERITIES, Facts, Hit, SecretHit
from ..rubric import read_knowledge
from . import probe


def _label(detector: str) -> str:
    return detector.replace("_", " ")


def _where(h: SecretHit) -> str:
    """Where else the same secret was seen (one finding per distinct secret, issue 9)."""
    parts = []
    others = [w for w in h.seen_in[1:]] if h.seen_in else []
    if others:
        shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        parts.append(f"also at {shown}")
    if len(h.commits) > 1:
        shown = ", ".join(c[:10] for c in h.commits[:5]) + (f" and {len(h.commits) - 5} more" if len(h.commits) > 5 else "")
        parts.append(f"added in {len(h.commits)} commits ({shown})")
    return ("; " + "; ".join(parts)) if parts else ""


def _generated_keys() -> list[tuple[re.Pattern[str], frozenset[str], str]]:
    """``generated_keys`` of checklists/secrets.yaml (or the rubric folder's copy)."""
    from ..rubric import knowledge_file

    return _load_generated_keys(knowledge_file("secrets.yaml"))


@functools.cache
def _load_generated_keys(path: Path) -> list[tuple[re.Pattern[str], frozenset[str], str]]:
    data = read_knowledge(path) or {}
    return [(re.compile(e["path"]), frozenset(e.get("detectors") or ()), e.get("what", "a key a tool generates"))
            for e in data.get("generated_keys") or ()]


def _provider_severity(detector: str) -> str | None:
    """The ``severity`` a provider entry of checklists/secrets.yaml gives its committed keys, if any."""
    from ..rubric import knowledge_file

    return _load_provider_severities(knowledge_file("secrets.yaml")).get(detector)


@functools.cache
def _load_provider_severities(path: Path) -> dict[str, str]:
    data = read_knowledge(path) or {}
    return {e["id"]: e["severity"] for e in data.get("providers") or () if e.get("severity")}


def _generated(h: SecretHit) -> str | None:
    """What the key is when it is one a tool generates for itself (Ollama's ``id_ed25519``), else None."""
    for rx, detectors, what in _generated_keys():
        if (not detectors or h.detector in detectors) and rx.search(h.path or ""):
            return what
    return None


def _grade(h: SecretHit, default: str | None = None) -> dict[str, Any]:
    """Per-hit severity and confidence: a provider prefix whose documented shape or checksum did not
    hold (a truncated, altered or made-up key), or a key a tool generates for itself (an installation's
    identity, not a provider credential), is medium severity at low confidence."""
    if h.shape_checked is False or _generated(h):
        return {"severity": "medium", "confidence": "low"}
    return {"severity": default, "confidence": h.confidence}


def _shape_note(h: SecretHit) -> str:
    what = _generated(h)
    if what:
        return f" ({what})"
    return " (the provider's documented length, marker or checksum does not hold)" if h.shape_checked is False else ""


@probe("secret.committed_credential")
def committed_credential(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Provider credentials present in the current tree, one finding per distinct secret."""
    for h in facts.secrets.hits:
        if h.in_tree and not h.placeholder and h.detector != "generic_high_entropy":
            since = f" (in history since {h.commit[:10]})" if h.commit else ""
            yield Hit(rule="secret.committed_credential", title=f"Credential in code: {_label(h.detector)}",
                      evidence=f"{h.masked}{since}{_shape_note(h)}: {h.context}{_where(h)}", path=h.path,
                      line=h.line, **_grade(h, _provider_severity(h.detector)))


def _history_severity(detector: str) -> str | None:
    """A key only in history is one step below the same key in the tree (the rules' defaults: critical in
    the tree, high in history); a provider graded lower in the tree (``severity`` in checklists/secrets.yaml:
    a Hugging Face token is high there) is one step below that (medium). None: the rule's default."""
    committed = _provider_severity(detector)
    if committed is None:
        return None
    return SEVERITIES[min(SEVERITIES.index(committed) + 1, len(SEVERITIES) - 1)]


@probe("secret.in_history")
def secret_in_history(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Credentials removed from the tree but still readable in git history, one finding per secret."""
    for h in facts.secrets.hits:
        if not h.in_tree and not h.placeholder:
            grade = _grade(h, _history_severity(h.detector))
            if h.detector == "generic_high_entropy":
                grade = {"severity": "medium", "confidence": "low"}  # a guess: not rated like a named key
            yield Hit(rule="secret.in_history", title=f"Credential in git history: {_label(h.detector)}",
                      evidence=f"{h.masked} added in commit {(h.commit or '?')[:10]}, still in history"
                               f"{_shape_note(h)}{_where(h)}",
                      path=h.path, line=h.line, commit=h.commit, **grade)


@probe("secret.generic_high_entropy")
def generic_secret(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """High-entropy values assigned to secret-looking names."""
    for h in facts.secrets.hits:
        if h.in_tree and not h.placeholder and h.detector == "generic_high_entropy":
            yield Hit(rule="secret.generic_high_entropy", title="Possible secret (high-entropy value)",
                      evidence=f"{h.masked}: {h.context}{_where(h)}", path=h.path, line=h.line,
                      confidence="low")


@probe("secret.placeholder")
def placeholder_secret(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Key-shaped values that look like documented examples or placeholders."""
    for h in facts.secrets.hits:
        if h.placeholder and h.in_tree:
            yield Hit(rule="secret.placeholder", title=f"Example or placeholder {_label(h.detector)}",
                      evidence=f"{h.masked}: {h.context}", path=h.path, line=h.line)


@probe("secret.env_file_committed")
def env_file_committed(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Environment files committed to the repository."""
    ignored = set(facts.secrets.env_files_ignored)
    empty = set(facts.secrets.env_files_without_values)
    reported = set(facts.secrets.env_files_reported)
    for path in facts.secrets.env_files:
        if path in reported:
            continue  # each of its values is a credential finding at its line: a second finding adds nothing
        evidence = f"{path} is tracked by git"
        grade: dict[Any, Any] = {}
        if path in empty:
            # Names only (empty values, placeholders, commented lines): a habit to fix, not a leak.
            evidence += " and holds names only (no secret value: empty, placeholder or commented out)"
            grade = {"severity": "low", "confidence": "high"}
        if path in ignored:
            # The usual misreading: "it is in .gitignore, so it is not committed".
            evidence += (" (.gitignore lists it now, but it was committed before the rule: every clone still "
                         "has it until it is removed with git rm --cached)")
        yield Hit(rule="secret.env_file_committed", title="Environment file committed",
                  evidence=evidence, path=path, **grade)
