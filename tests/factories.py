"""Builders of synthetic facts and findings for the tests of the pure layers (probes, scoring, decision).

``make_facts()`` is the neutral baseline: every collector available, nothing measured, no code at all,
so no probe fires on it. A test overrides only the facts part it is about.
"""

from __future__ import annotations

from auditlib.models import (
    CodeFacts,
    ComplexityFacts,
    DependencyFacts,
    Facts,
    Finding,
    HistoryFacts,
    InventoryFacts,
    PracticeFacts,
    SecretFacts,
)

_PARTS = {
    "inventory": InventoryFacts,
    "history": HistoryFacts,
    "secrets": SecretFacts,
    "dependencies": DependencyFacts,
    "code": CodeFacts,
    "practices": PracticeFacts,
    "complexity": ComplexityFacts,
}


def make_facts(**overrides) -> Facts:
    """A minimal valid ``Facts``: every collector available, empty values; keyword overrides per part.

    ``make_facts(code=CodeFacts(llm_calls=[...]))`` replaces the code part only. An unknown part name
    raises TypeError so a typo cannot silently leave the baseline in place.
    """
    unknown = set(overrides) - set(_PARTS)
    if unknown:
        raise TypeError(f"unknown facts part(s): {', '.join(sorted(unknown))}")
    parts = {name: overrides[name] if name in overrides else model() for name, model in _PARTS.items()}
    return Facts(**parts)


def with_code(lines: int = 500, **practices) -> dict:
    """Overrides for a repository that holds ``lines`` of code and the given practice facts."""
    return {"inventory": InventoryFacts(files=10, code_files=5, code_lines=lines),
            "practices": PracticeFacts(**practices)}


def make_finding(rule: str = "x.rule", *, category: str = "security_access", severity: str = "high",
                 fid: str | None = None, title: str | None = None, structural: bool = False,
                 phase: int = 3, confidence: str = "medium", path: str | None = None,
                 line: int | None = None) -> Finding:
    """A finding built directly (no probe), for scoring and checklist tests. ``confidence`` defaults
    to the model's default (medium): only ``confidence="high"`` caps a scorecard category."""
    return Finding(id=fid or f"F-{rule}", rule=rule, category=category, severity=severity,
                   title=title or f"title of {rule}", evidence="evidence", phase=phase, effort="S",
                   structural=structural, confidence=confidence, path=path, line=line)


def analyse_files(root, files: dict[str, str]):
    """Write ``files`` (path -> source, dedented) under ``root`` and run the analysis engine on them."""
    import textwrap

    from auditlib.analysis import analyse
    from auditlib.collect.files import list_files

    for name, source in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(source), encoding="utf-8")
    return analyse(list_files(root))


def rule_hits(root, files: dict[str, str], rule: str) -> list:
    """Write ``files`` (path -> source, dedented) under ``root`` and run the engine's checks of one rule:
    its hits sorted by path and line (every file must parse)."""
    import textwrap

    from auditlib.analysis.engine import load, run_checks
    from auditlib.analysis.query import Query
    from auditlib.collect.files import list_files

    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
    fs = list_files(root)
    repo, errors = load(fs)
    assert errors == []
    return sorted(run_checks(Query(repo), fs, rules=[rule]), key=lambda h: (h.path or "", h.line or 0))


RULE_FIXTURES = __import__("pathlib").Path(__file__).parent / "rules"


def copy_rule_fixtures(root, together: bool = False) -> list:
    """Every bad and good fixture of every rule (tests/rules/) copied under ``root``: one repository
    each (the folders returned), or, with ``together``, all of them in the one repository ``root``."""
    import shutil

    out = []
    for folder in sorted(p for p in RULE_FIXTURES.iterdir() if p.is_dir()):
        for fx in sorted(folder.iterdir()):
            if not fx.name.startswith(("bad", "good")) or fx.name == "__pycache__":
                continue
            dest = root / folder.name / fx.name.replace(".", "_")
            if fx.is_dir():
                shutil.copytree(fx, dest, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                dest.mkdir(parents=True)
                shutil.copy(fx, dest / fx.name)
            out.append(dest)
    return [root] if together else out
