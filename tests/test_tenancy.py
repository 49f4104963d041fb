"""The ORM half of auth.query_without_tenant_scope (auditlib/analysis/checks/tenancy.py): how its hits grade
themselves, and the severity cap of checklists/tenancy.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditlib.analysis import tables
from auditlib.analysis.checks import load_all, tenancy
from auditlib.analysis.engine import load, run_checks
from auditlib.analysis.query import Query
from auditlib.collect.files import list_files

RULE = "auth.query_without_tenant_scope"
FIXTURES = Path(__file__).parent / "rules" / RULE
load_all()


def _hits(folder: str) -> dict[tuple[str | None, int | None], tuple[str | None, str | None, str]]:
    tables.refresh()
    files = list_files(FIXTURES / folder)
    repo, _errors = load(files)
    hits = run_checks(Query(repo), files, rules=[RULE])
    return {(h.path, h.line): (h.severity, h.confidence, h.evidence) for h in hits}


def test_hits_are_capped_at_low_and_say_the_shape() -> None:
    hits = _hits("bad_prisma")
    assert set(hits) == {("app/api/documents/all/route.ts", 9), ("app/api/documents/archive/route.ts", 9),
                         ("lib/reports.ts", 4)}
    for severity, confidence, evidence in hits.values():
        assert severity == "low" and confidence == "medium"
        assert "the shape of a high finding" in evidence
    assert "through listReports()" in hits[("lib/reports.ts", 4)][2]


def test_uncapped_grades(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tenancy.knowledge(), "severity_cap", "critical")
    hits = _hits("bad_prisma")
    assert hits[("app/api/documents/all/route.ts", 9)][0] == "high"  # a list with no filter at all
    assert hits[("app/api/documents/archive/route.ts", 9)][0] == "high"  # a bulk delete across tenants
    assert "filtered only by status" in hits[("app/api/documents/archive/route.ts", 9)][2]
    assert "shape of" not in hits[("lib/reports.ts", 4)][2]


@pytest.mark.parametrize("folder", ["good_prisma_extension", "good_prisma_rls"])
def test_global_scoping_silences(folder: str) -> None:
    assert _hits(folder) == {}
