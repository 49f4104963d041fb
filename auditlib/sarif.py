"""Export an audit's findings as SARIF 2.1.0 (``findings.sarif``), for code-scanning UIs.

One run whose driver is auditlib: ``rules`` lists every rule of the rubric (so a rule that did not
fire is still documented), ``results`` holds one result per finding. The mapping:

- level: critical and high -> ``error``, medium -> ``warning``, low and info -> ``note``;
  the rules also carry ``security-severity`` (critical 9.5, high 8.0, medium 5.5, low 3.0,
  info 1.0), which GitHub code scanning reads for rules tagged ``security``.
- location: the finding's path relative to ``%SRCROOT%`` (the repository root) with
  ``region.startLine`` when the line is known. A finding about the repository as a whole (no path)
  gets a repository-level location (``.`` under ``%SRCROOT%``): the schema would allow no location
  at all, but GitHub code scanning rejects a result without one.
- evidence seen only in git history (the finding has a commit): the commit goes into the message
  and the result's properties; the location keeps the path but no line, because the line number
  belongs to the file as it was in that commit, not to the file at the audited revision.
- ``partialFingerprints`` carries the finding's stable id, so a re-audit matches its alerts.
- confidence: each result's ``properties.confidence`` is the finding's (high, medium or low: how it
  was established; a probe may grade one occurrence away from its rule's default), and each rule's
  ``properties.precision`` is the rule's default confidence (``precision`` is the property GitHub code
  scanning reads, with the same words). ``rank`` is left unset: it orders by importance, which
  confidence alone does not say.

Nothing here reads the target: every string comes from the AuditResult, whose evidence is masked
by the collectors. The only value built from outside the findings, the target's source for
``versionControlProvenance``, has any user, password, query or fragment removed from its URL.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from . import __version__
from .audit import AuditResult
from .models import Finding

if TYPE_CHECKING:
    from .rubric import Rubric

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
"""The ``id`` of the OASIS SARIF 2.1.0 (errata 01) schema."""

SRCROOT = "%SRCROOT%"
REPOSITORY_URI = "."
"""The location of a repository-level finding: the root itself, relative to %SRCROOT%."""

FINGERPRINT_KEY = "auditlibFindingId/v1"

LEVELS: dict[str, str] = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
"""Finding severity -> SARIF result level."""

SECURITY_SEVERITY: dict[str, str] = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "1.0"}
"""Finding severity -> ``security-severity`` (a string holding a number from 0.0 to 10.0, as GitHub reads it)."""

SECURITY_CATEGORIES = frozenset({"security_access", "io_validation"})
"""Scorecard categories whose rules are tagged ``security`` (so code scanning shows a security severity)."""

_FAMILY_LABELS = {"llm": "LLM", "ci": "CI", "secret": "Secret"}


def rule_title(rule_id: str, rule: Any = None) -> str:
    """A short title for a rule: the rubric's ``title`` if it has one, else one made from the id.

    ``llm.call_without_timeout`` -> ``LLM: call without timeout``.
    """
    title = getattr(rule, "title", None)
    if title:
        return str(title)
    family, _, name = rule_id.partition(".")
    label = _FAMILY_LABELS.get(family, family.replace("_", " ").capitalize())
    return f"{label}: {name.replace('_', ' ')}" if name else label


def _uri(path: str) -> str:
    """A repository-relative path as a relative URI reference (percent-encoded, forward slashes)."""
    rel = path.replace("\\", "/").lstrip("/")
    while rel.startswith("./"):
        rel = rel[2:]
    # ':' is encoded too: an unencoded colon in the first segment would read as a URI scheme.
    # surrogateescape: an undecodable file name keeps its original bytes, percent-encoded.
    return quote(rel, safe="/", errors="surrogateescape") or REPOSITORY_URI


def _utc(stamp: str | None) -> str | None:
    """An ISO 8601 timestamp as SARIF wants it (UTC, ``Z``), or None when it cannot be read."""
    if not stamp:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_SCP_LIKE = re.compile(r"^(?:[^@/\s]+@)?(?P<host>[\w.-]+):(?P<path>[^/].*)$")


def repository_uri(source: str) -> str | None:
    """An absolute URI naming the audited repository, without credentials, or None.

    A URL loses its user, password, query and fragment (a token in any of them must not reach the
    SARIF file); ``git@host:owner/repo.git`` becomes ``ssh://host/owner/repo.git``; a local path
    becomes a ``file://`` URI of its absolute form.
    """
    source = (source or "").strip()
    if not source:
        return None
    if re.match(r"^[a-z][a-z0-9+.-]*://", source, re.I):
        try:
            parts = urlsplit(source)
            host = parts.hostname or ""
            host = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            return None
        return urlunsplit((parts.scheme.lower(), host + port, quote(parts.path, safe="/%~"), "", ""))
    scp = _SCP_LIKE.match(source)
    if scp and not os.path.isabs(source):
        return f"ssh://{scp['host']}/{quote(scp['path'], safe='/%~')}"
    return Path(source).expanduser().absolute().as_uri()


def _target_name(result: AuditResult) -> str:
    """The target's name; for a URL source, taken from the URL stripped of credentials and query."""
    source = result.target.source or ""
    uri = repository_uri(source)
    if uri and not uri.startswith("file:"):
        return Path(urlsplit(uri).path).name.removesuffix(".git") or result.target.name
    return result.target.name


def _is_history_only(finding: Finding) -> bool:
    # Probes set `commit` only for evidence that is not in the audited tree (see probes/secrets.py);
    # an in-tree finding mentions the introducing commit in its evidence text instead.
    return bool(finding.commit)


def _message(finding: Finding) -> str:
    text = f"{finding.title}: {finding.evidence}" if finding.evidence else finding.title
    if finding.commit and finding.commit[:10] not in text:
        text += f" (commit {finding.commit[:10]})"
    return text


def _location(finding: Finding) -> tuple[dict[str, Any], bool]:
    """The result's location and whether it is repository-level."""
    if not finding.path:
        return {
            "physicalLocation": {"artifactLocation": {"uri": REPOSITORY_URI, "uriBaseId": SRCROOT}},
            "message": {"text": "Repository-wide finding: it concerns the repository as a whole, not one file."},
        }, True
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(finding.path), "uriBaseId": SRCROOT}}
    location: dict[str, Any] = {"physicalLocation": physical}
    if _is_history_only(finding):
        location["message"] = {"text": f"In git history: commit {finding.commit}; not in the audited revision."}
    elif finding.line and finding.line > 0:
        physical["region"] = {"startLine": finding.line}
    return location, False


def _rule_descriptor(rule_id: str, *, category: str, severity: str, phase: int, effort: str,
                     remediation: str, owasp: str | None, structural: bool, roadmap: str | None,
                     title: str, confidence: str) -> dict[str, Any]:
    tags = [category]
    if category in SECURITY_CATEGORIES or owasp:
        tags.insert(0, "security")
    properties: dict[str, Any] = {
        "category": category, "severity": severity, "phase": phase, "effort": effort, "structural": structural,
        "security-severity": SECURITY_SEVERITY[severity], "precision": confidence,
    }
    if roadmap:
        properties["roadmap"] = roadmap
    if owasp:
        properties["owasp"] = owasp
        tags.append(f"external/owasp-llm-2025/{owasp.lower()}")
    properties["tags"] = tags
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": re.sub(r"[^0-9A-Za-z]+", " ", rule_id).title().replace(" ", ""),
        "shortDescription": {"text": title},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": properties,
    }
    if remediation:
        descriptor["fullDescription"] = {"text": remediation}
        descriptor["help"] = {"text": remediation}
    return descriptor


def _rules(result: AuditResult, rubric: Rubric) -> list[dict[str, Any]]:
    rules = []
    for rule_id, rule in rubric.rules.rules.items():
        rules.append(_rule_descriptor(
            rule_id, category=rule.category, severity=rule.severity, phase=rule.phase, effort=rule.effort,
            remediation=rule.remediation, owasp=rule.owasp, structural=rule.structural, roadmap=rule.roadmap,
            title=rule_title(rule_id, rule), confidence=rule.confidence))
    known = set(rubric.rules.rules)
    # A result read from results.json may name a rule this rubric no longer has: describe it from
    # the finding itself so every ruleId still resolves to a rule.
    for f in result.findings:
        if f.rule not in known:
            known.add(f.rule)
            rules.append(_rule_descriptor(
                f.rule, category=f.category, severity=f.severity, phase=f.phase, effort=f.effort,
                remediation=f.remediation, owasp=f.owasp, structural=f.structural, roadmap=None,
                title=rule_title(f.rule), confidence=f.confidence))
    return rules


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    location, repo_level = _location(finding)
    properties: dict[str, Any] = {
        "findingId": finding.id, "severity": finding.severity, "category": finding.category,
        "phase": finding.phase, "effort": finding.effort, "structural": finding.structural,
        "confidence": finding.confidence,
    }
    if finding.owasp:
        properties["owasp"] = finding.owasp
    if repo_level:
        properties["repositoryLevel"] = True
    if _is_history_only(finding):
        properties["historyOnly"] = True
        properties["commit"] = finding.commit
        if finding.line:
            properties["lineInCommit"] = finding.line
    out: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: finding.id},
        "properties": properties,
    }
    if finding.fingerprint:
        properties["fingerprint"] = finding.fingerprint
    if finding.accepted is not None:
        # SARIF's own form of "accepted with a justification": a suppression kept outside the flagged
        # source (the repository's .auditlib.yaml, or the auditor's answers file)
        a = finding.accepted
        suppression: dict[str, Any] = {"kind": "external", "status": "accepted", "justification": a.reason,
                                       "properties": {"source": a.source, "file": a.file, "entry": a.entry}}
        if a.by:
            suppression["properties"]["by"] = a.by
        if a.until:
            suppression["properties"]["until"] = a.until
        out["suppressions"] = [suppression]
    return out


def _invocation(result: AuditResult, rubric: Rubric) -> dict[str, Any]:
    run = result.run
    unavailable = {name: info.get("reason") or "not available" for name, info in run.collectors.items()
                   if not info.get("available", True)}
    vuln = result.facts.dependencies.vuln_check
    invocation: dict[str, Any] = {
        # The audit produced a result, so it ran to completion; collectors that could not run are
        # reported as notifications below (the audit carries on without them).
        "executionSuccessful": True,
        "properties": {
            "rubricVersion": run.rubric_version, "rubricName": rubric.meta.name,
            "offline": run.offline, "vulnerabilityCheck": vuln.status,
            "collectorsUnavailable": sorted(unavailable),
        },
    }
    start = _utc(result.target.audited_at)
    if start:
        invocation["startTimeUtc"] = start
    notes = [{"level": "warning", "message": {"text": f"Collector {name} could not run: {reason}"}}
             for name, reason in sorted(unavailable.items())]
    if vuln.status != "checked":
        why = f": {vuln.reason}" if vuln.reason else ""
        notes.append({"level": "warning" if vuln.status == "not_checked" else "note",
                      "message": {"text": f"Known vulnerabilities {vuln.status.replace('_', ' ')}{why}"}})
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def _provenance(result: AuditResult) -> list[dict[str, Any]]:
    commit = result.target.commit
    uri = repository_uri(result.target.source)
    if not commit or not uri:
        return []
    details: dict[str, Any] = {"repositoryUri": uri, "revisionId": commit, "mappedTo": {"uriBaseId": SRCROOT}}
    if result.target.branch:
        details["branch"] = result.target.branch
    if result.facts.history.dirty:
        details["properties"] = {"dirty": True}
    return [details]


def to_sarif(result: AuditResult, rubric: Rubric) -> dict[str, Any]:
    """The SARIF 2.1.0 log of an audit result: one run, every rubric rule, one result per finding.

    ``rubric`` is the :class:`auditlib.rubric.Rubric` the result was computed with (its rules give the
    descriptions, tags and severities of the rule list).
    """
    rules = _rules(result, rubric)
    index = {r["id"]: i for i, r in enumerate(rules)}
    driver: dict[str, Any] = {
        "name": "auditlib",
        "fullName": "auditlib: AI prototype production-readiness audit",
        "version": __version__,
        "rules": rules,
    }
    if re.fullmatch(r"\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?", __version__):
        driver["semanticVersion"] = __version__
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "invocations": [_invocation(result, rubric)],
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The root of the audited repository."}}},
        "results": [_result(f, index[f.rule]) for f in result.findings],
        "properties": {
            "target": _target_name(result),
            "scorecardTotal": result.scorecard.total,
            "scorecardMax": result.scorecard.max_total,
            "scorecardScaledTotal": result.scorecard.scaled_total,
            "band": result.scorecard.band,
            "verdict": result.decision.verdict,
        },
    }
    provenance = _provenance(result)
    if provenance:
        run["versionControlProvenance"] = provenance
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def write_sarif(result: AuditResult, rubric: Rubric, path: Path | str) -> Path:
    """Write ``findings.sarif`` for ``result`` atomically and owner-only (see auditlib.safeio)."""
    from .safeio import atomic_write

    # ensure_ascii: a file name that was not valid UTF-8 survives as an escape, never as bad bytes.
    return atomic_write(path, json.dumps(to_sarif(result, rubric), indent=2, ensure_ascii=True) + "\n")
