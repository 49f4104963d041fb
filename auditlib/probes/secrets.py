"""Probes over secrets facts. Evidence strings only ever carry masked values."""

from __future__ import annotations

from typing import Iterable

from ..models import Facts, Hit
from . import probe


def _label(detector: str) -> str:
    return detector.replace("_", " ")


@probe("secret.committed_credential")
def committed_credential(facts: Facts, params: dict) -> Iterable[Hit]:
    """Provider credentials present in the current tree."""
    for h in facts.secrets.hits:
        if h.in_tree and not h.placeholder and h.detector != "generic_high_entropy":
            since = f" (in history since {h.commit[:10]})" if h.commit else ""
            yield Hit(rule="secret.committed_credential", title=f"Credential in code: {_label(h.detector)}",
                      evidence=f"{h.masked}{since}: {h.context}", path=h.path, line=h.line)


@probe("secret.in_history")
def secret_in_history(facts: Facts, params: dict) -> Iterable[Hit]:
    """Credentials removed from the tree but still readable in git history."""
    for h in facts.secrets.hits:
        if not h.in_tree and not h.placeholder:
            yield Hit(rule="secret.in_history", title=f"Credential in git history: {_label(h.detector)}",
                      evidence=f"{h.masked} added in commit {(h.commit or '?')[:10]}, still in history",
                      path=h.path, line=h.line, commit=h.commit)


@probe("secret.generic_high_entropy")
def generic_secret(facts: Facts, params: dict) -> Iterable[Hit]:
    """High-entropy values assigned to secret-looking names."""
    for h in facts.secrets.hits:
        if h.in_tree and not h.placeholder and h.detector == "generic_high_entropy":
            yield Hit(rule="secret.generic_high_entropy", title="Possible secret (high-entropy value)",
                      evidence=f"{h.masked}: {h.context}", path=h.path, line=h.line)


@probe("secret.placeholder")
def placeholder_secret(facts: Facts, params: dict) -> Iterable[Hit]:
    """Key-shaped values that look like documented examples or placeholders."""
    for h in facts.secrets.hits:
        if h.placeholder and h.in_tree:
            yield Hit(rule="secret.placeholder", title=f"Example or placeholder {_label(h.detector)}",
                      evidence=f"{h.masked}: {h.context}", path=h.path, line=h.line)


@probe("secret.env_file_committed")
def env_file_committed(facts: Facts, params: dict) -> Iterable[Hit]:
    """Environment files committed to the repository."""
    ignored = set(facts.secrets.env_files_ignored)
    for path in facts.secrets.env_files:
        evidence = f"{path} is tracked by git"
        if path in ignored:
            # The usual misreading: "it is in .gitignore, so it is not committed".
            evidence += (" (.gitignore lists it now, but it was committed before the rule: every clone still "
                         "has it until it is removed with git rm --cached)")
        yield Hit(rule="secret.env_file_committed", title="Environment file committed",
                  evidence=evidence, path=path)
