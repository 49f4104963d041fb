"""Ownership: cover_half (bus factor), hotspots ranking, knowledge silos and their probe (table-driven)."""

from __future__ import annotations

import pytest

from auditlib.models import (
    AuthorStats,
    ComplexityFacts,
    ComplexityFunction,
    FileComplexity,
    FileHistory,
    HistoryFacts,
)
from auditlib.ownership import cover_half, file_complexity, hotspots, knowledge_silos, owner_rows
from auditlib.probes import PROBES
from tests.factories import make_facts


@pytest.mark.parametrize("weights, expected", [
    ({}, []),
    ({"a": 0}, []),
    ({"a": 10}, ["a"]),
    ({"a": 10, "b": 6, "c": 8}, ["a", "c"]),          # 18 of 24 >= 12
    ({"a": 5, "b": 5}, ["a"]),                         # exactly half is enough
    ({"a": 1, "b": 1, "c": 1, "d": 1, "e": 1}, ["a", "b", "c"]),  # ties: by key
    ({"a": 49, "b": 2, "c": 49}, ["a", "c"]),
])
def test_cover_half(weights, expected):
    assert cover_half(weights) == expected


def fh(path: str, churn: int, *, author: str = "Ann", share: float = 1.0, active: bool | None = True,
       commits: int = 3) -> FileHistory:
    return FileHistory(path=path, commits=commits, lines_added=churn, churn=churn, authors=1, main_author=author,
                       main_author_share=share, main_author_active=active)


HISTORY = HistoryFacts(commits=10, files=[
    fh("a.py", 100), fh("b.py", 400), fh("c.py", 50), fh("d.ts", 10), fh("README.md", 900),
])


@pytest.mark.parametrize("per_file, expected", [
    # score = churn x total complexity; ties broken by churn, then path
    ({"a.py": (4, 10, 30), "b.py": (2, 3, 5), "c.py": (10, 20, 80), "d.ts": (1, 1, 1)},
     [("c.py", 4000), ("a.py", 3000), ("b.py", 2000), ("d.ts", 10)]),
    ({"a.py": (1, 4, 4), "b.py": (1, 1, 1)}, [("b.py", 400), ("a.py", 400)]),
    # files without complexity data (README.md) or without functions are not ranked
    ({"a.py": (0, 0, 0), "zzz.py": (5, 9, 40)}, []),
])
def test_hotspots_ranking(per_file, expected):
    cx = ComplexityFacts(files={p: FileComplexity(functions=f, max=m, total=t) for p, (f, m, t) in per_file.items()})
    assert [(h.path, h.score) for h in hotspots(HISTORY, cx)] == expected


def test_hotspots_limit_and_fields():
    cx = ComplexityFacts(files={"a.py": FileComplexity(functions=4, max=10, total=30),
                                "b.py": FileComplexity(functions=2, max=3, total=5)})
    (top,) = hotspots(HISTORY, cx, limit=1)
    assert (top.path, top.churn, top.complexity, top.max_complexity, top.functions) == ("a.py", 100, 30, 10, 4)


def test_hotspots_fall_back_to_functions_over_threshold():
    cx = ComplexityFacts(over_threshold=[
        ComplexityFunction(path="b.py", line=1, name="f", complexity=12),
        ComplexityFunction(path="b.py", line=9, name="g", complexity=15),
        ComplexityFunction(path="c.py", line=1, name="h", complexity=11),
    ])
    per_file, complete = file_complexity(cx)
    assert complete is False and per_file["b.py"] == FileComplexity(functions=2, max=15, total=27)
    assert [(h.path, h.score) for h in hotspots(HISTORY, cx)] == [("b.py", 400 * 27), ("c.py", 50 * 11)]


def test_hotspots_need_both_collectors():
    cx = ComplexityFacts(files={"a.py": FileComplexity(functions=1, max=5, total=5)})
    assert hotspots(HISTORY, cx.model_copy(update={"available": False})) == []
    assert hotspots(HISTORY.model_copy(update={"available": False}), cx) == []


def test_owner_rows_rank_by_code_share():
    h = HistoryFacts(commits=10, owners=["Bea"], authors=[
        AuthorStats(name="Al", commits=8, first_commit="x", last_commit="x", active_recently=True, ownership_share=0.2),
        AuthorStats(name="Bea", commits=2, first_commit="x", last_commit="x", active_recently=False,
                    ownership_share=0.8),
    ])
    rows = owner_rows(h)
    assert [(r.name, r.line_share, r.commit_share, r.owner, r.active) for r in rows] == [
        ("Bea", 0.8, 0.2, True, False), ("Al", 0.2, 0.8, False, True)]


def author(name: str, active: bool) -> AuthorStats:
    return AuthorStats(name=name, commits=1, first_commit="2024-01-01", last_commit="2024-01-01", active_recently=active)


SILO_FILES = [
    fh("busy_alone_gone.py", 500, author="Old", share=0.9, active=False),   # the silo
    fh("busy_alone_here.py", 500, author="New", share=0.95, active=True),   # author still active
    fh("busy_shared.py", 800, author="Old", share=0.6, active=False),       # knowledge shared
    fh("quiet_alone_gone.py", 50, author="Old", share=1.0, active=False),   # little churn
    fh("edge.py", 200, author="Old", share=0.8, active=False),              # exactly at both thresholds
]
PARAMS = {"min_churn": 200, "share_threshold": 0.8, "max_findings": 10}


@pytest.mark.parametrize("history, expected", [
    (HistoryFacts(commits=9, authors=[author("Old", False), author("New", True)], files=SILO_FILES),
     ["busy_alone_gone.py", "edge.py"]),
    # nobody active: that is history.authors_inactive, not a silo per file
    (HistoryFacts(commits=9, authors=[author("Old", False)], files=SILO_FILES), []),
    # shallow clone: ownership of the boundary commit is inflated
    (HistoryFacts(commits=9, shallow=True, authors=[author("Old", False), author("New", True)], files=SILO_FILES), []),
    (HistoryFacts(available=False, reason="not a git repository"), []),
])
def test_knowledge_silos(history, expected):
    assert [f.path for f in knowledge_silos(history, min_churn=200, share_threshold=0.8)] == expected
    hits = list(PROBES["history.knowledge_silo"](make_facts(history=history), PARAMS))
    assert [h.path for h in hits] == expected


def test_knowledge_silo_probe_evidence_and_cap():
    files = [fh(f"f{i}.py", 1000 - i, author="Old", share=0.9, active=False) for i in range(5)]
    h = HistoryFacts(commits=9, authors=[author("Old", False), author("New", True)], files=files)
    hits = list(PROBES["history.knowledge_silo"](make_facts(history=h), {**PARAMS, "max_findings": 2}))
    assert [x.path for x in hits] == ["f0.py", "f1.py"]
    assert hits[0].title == "Knowledge silo: f0.py"
    assert "Old changed 90% of its 1000 changed lines" in hits[0].evidence
    assert "90 days" in hits[0].evidence


def test_single_author_or_young_repo_is_not_a_silo():
    # a one-person prototype, however young: no silo finding (prototype mode is a fact only)
    h = HistoryFacts(commits=3, prototype_mode=True, prototype_reasons=["a single author"],
                     authors=[author("Solo", True)], files=[fh("app.py", 900, author="Solo", share=1.0, active=True)])
    assert list(PROBES["history.knowledge_silo"](make_facts(history=h), PARAMS)) == []
