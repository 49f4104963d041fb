"""Probes: pure functions from facts to hits, one per finding rule of the rubric.

A probe answers one question (``llm.call_without_timeout``: which model calls set no timeout?) and
returns Hits. It reads no files and runs no git. The rubric (checklists/rules.yaml) then gives each
hit its category, severity, phase, effort and remediation, turning it into a Finding.
Each probe is registered once, with @probe; a test checks the rubric and the registry agree.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Callable, Collection, Iterable

from ..collect.roles import file_role
from ..models import SEVERITIES, Facts, Finding, Hit

if TYPE_CHECKING:
    from ..rubric import Rubric

ProbeFn = Callable[[Facts, dict[str, float]], Iterable[Hit]]
PROBES: dict[str, ProbeFn] = {}


def probe(rule: str) -> Callable[[ProbeFn], ProbeFn]:
    """Register ``fn`` as the probe of ``rule``."""

    def register(fn: ProbeFn) -> ProbeFn:
        if rule in PROBES:
            raise ValueError(f"probe {rule} registered twice")
        PROBES[rule] = fn
        return fn

    return register


Grader = Callable[[Facts, Hit], Hit]
GRADERS: dict[str, Grader] = {}


def grader(rule: str) -> Callable[[Grader], Grader]:
    """Register ``fn`` to grade each hit of the engine check ``rule`` with what only the other collectors
    know (the engine sees code; a deploy file or the repository's kind is a practices fact)."""

    def register(fn: Grader) -> Grader:
        GRADERS[rule] = fn
        return fn

    return register


def engine_probe(rule: str) -> ProbeFn:
    """The probe of a rule decided by a check of the analysis engine (auditlib/analysis/checks/):
    it reports the engine's hits of that rule, as recorded in ``CodeFacts.rule_hits``, each graded by
    the rule's registered grader if it has one."""

    def fn(facts: Facts, params: dict[str, float]) -> Iterable[Hit]:
        grade = GRADERS.get(rule)
        for h in facts.code.rule_hits:
            if h.rule == rule:
                hit = Hit(rule=rule, title=h.title, evidence=h.evidence, path=h.path, line=h.line,
                          severity=h.severity, confidence=h.confidence)
                yield grade(facts, hit) if grade is not None else hit

    fn.__name__ = rule.replace(".", "_")
    fn.__doc__ = f"Hits of the engine check {rule} (CodeFacts.rule_hits)."
    return fn


def role_of(facts: Facts, path: str) -> str:
    """The role of the file at ``path``: the one the engine read from its content (a command-line tool
    outside ``scripts/``, ``CodeFacts.file_roles``), else the role of its path (auditlib.collect.roles).
    Nothing is read again: both come from facts already collected."""
    return facts.code.file_roles.get(path) or file_role(path)


def in_scope(facts: Facts, hit: Hit, roles: Collection[str] | None) -> bool:
    """Whether ``hit`` sits in a file of one of ``roles`` (the rule's ``roles:`` in rules.yaml; None:
    every role). A hit without a path (a repository-level finding) is always in scope."""
    return roles is None or not hit.path or role_of(facts, hit.path) in roles


def _load_families() -> None:
    # Imported for their @probe registrations; kept in a function so importing auditlib.probes
    # alone registers nothing at import time of unrelated modules.
    from ..analysis.checks import load_all
    from . import code, dependencies, history, llm, practices, secrets  # noqa: F401

    for rule in load_all():  # a rule checked by the engine needs no probe of its own
        if rule in PROBES:
            raise ValueError(f"rule {rule} has both a probe and an engine check")
        PROBES[rule] = engine_probe(rule)


_load_families()


def finding_id(hit: Hit) -> str:
    """A stable id: the same evidence gets the same id in a re-audit (line numbers may move)."""
    key = "|".join([hit.rule, hit.path or "", hit.commit or "", hit.title])
    return "F-" + hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:10]


def run_probes(facts: Facts, rubric: Rubric) -> list[Finding]:
    """Run every probe the rubric names and return findings, most severe first. A hit in a file whose
    role the rule does not cover (``roles:`` in rules.yaml: request-path rules cover application code,
    not tests, evaluations, seed scripts or command-line tools) is dropped, not graded down: the flaw
    it names (a request that hangs, an unauthenticated endpoint) does not exist in such a file."""
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    for rule_id, rule in rubric.rules.rules.items():
        fn = PROBES[rule_id]
        for hit in fn(facts, dict(rule.params)):
            if not in_scope(facts, hit, rule.roles):
                continue
            fid = finding_id(hit)
            seen[fid] = seen.get(fid, 0) + 1
            if seen[fid] > 1:
                fid = f"{fid}-{seen[fid]}"
            findings.append(
                Finding(
                    id=fid, rule=rule_id, category=rule.category, severity=hit.severity or rule.severity,
                    title=hit.title, path=hit.path, line=hit.line, commit=hit.commit,
                    evidence=hit.evidence, phase=rule.phase, effort=rule.effort, owasp=rule.owasp,
                    structural=rule.structural, remediation=rule.remediation,
                    confidence=hit.confidence or rule.confidence,
                )
            )
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.phase, f.path or "", f.line or 0))
    return findings
