"""Ownership and hotspots: pure functions over the history and complexity facts.

Nothing here reads files or runs git. The history collector measures who changed which lines of
which file; these functions answer the questions an auditor asks of that evidence: who holds the
knowledge (``cover_half``, ``owner_rows``), which files are both complex and often changed
(``hotspots``), and which busy files only a departed author knows (``knowledge_silos``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Mapping, TypeVar

from .models import ComplexityFacts, FileComplexity, FileHistory, HistoryFacts

K = TypeVar("K", bound=Hashable)


def cover_half(weights: Mapping[K, int | float]) -> list[K]:
    """The fewest keys whose weights together reach at least half of the total, largest first.

    This is the bus-factor set: with ``weights`` = lines each author changed in the files that
    still exist, ``len(cover_half(weights))`` is the bus factor. Ties are broken by key order so the
    answer is stable. No positive weight: an empty list.
    """
    total = sum(w for w in weights.values() if w > 0)
    if total <= 0:
        return []
    chosen: list[K] = []
    covered = 0.0
    for key, weight in sorted(weights.items(), key=lambda kv: (-kv[1], str(kv[0]))):
        if weight <= 0:
            break
        chosen.append(key)
        covered += weight
        if covered * 2 >= total:
            break
    return chosen


@dataclass(frozen=True)
class OwnerRow:
    """One author's share of the code and of the commits."""

    name: str
    line_share: float
    """Share of the changed lines of files that still exist (``AuthorStats.ownership_share``)."""
    commit_share: float
    commits: int
    active: bool
    owner: bool
    """One of the bus-factor set (``HistoryFacts.owners``)."""


def owner_rows(history: HistoryFacts, top: int = 8) -> list[OwnerRow]:
    """The ``top`` authors by share of the code (then by commits), with their commit share."""
    total = history.commits or sum(a.commits for a in history.authors)
    owners = set(history.owners)
    rows = [
        OwnerRow(name=a.name, line_share=a.ownership_share,
                 commit_share=round(a.commits / total, 3) if total else 0.0, commits=a.commits,
                 active=a.active_recently, owner=a.name in owners)
        for a in history.authors
    ]
    rows.sort(key=lambda r: (-r.line_share, -r.commits, r.name.lower()))
    return rows[:top]


@dataclass(frozen=True)
class Hotspot:
    """A file ranked by churn x complexity."""

    path: str
    churn: int
    commits: int
    complexity: int
    """The file's total cyclomatic complexity (sum over its functions)."""
    max_complexity: int
    functions: int
    score: int
    """``churn * complexity``."""
    main_author: str | None
    main_author_share: float


def file_complexity(complexity: ComplexityFacts) -> tuple[dict[str, FileComplexity], bool]:
    """Per-file complexity and whether it is complete.

    ``ComplexityFacts.files`` when the collector filled it (complete); otherwise rebuilt from
    ``over_threshold`` (partial: only the functions above the threshold are known, so files with
    only simple functions are missing and totals are lower bounds).
    """
    if complexity.files:
        return dict(complexity.files), True
    acc: dict[str, list[int]] = {}
    for fn in complexity.over_threshold:
        acc.setdefault(fn.path, []).append(fn.complexity)
    return ({path: FileComplexity(functions=len(cc), max=max(cc), total=sum(cc)) for path, cc in acc.items()},
            False)


def hotspots(history: HistoryFacts, complexity: ComplexityFacts, limit: int = 20) -> list[Hotspot]:
    """Files ranked by churn x total complexity, highest first (ties: churn, then path).

    Only files both collectors measured are ranked: a file without complexity data (not code, too
    large, unparsable) is left out rather than scored zero, and so is a file without churn. The
    history facts keep the 200 files with most churn, so a file outside those is not ranked.
    """
    if not history.available or not complexity.available:
        return []
    per_file, _complete = file_complexity(complexity)
    spots = []
    for f in history.files:
        fc = per_file.get(f.path)
        if fc is None or fc.total <= 0 or f.churn <= 0:
            continue
        spots.append(Hotspot(path=f.path, churn=f.churn, commits=f.commits, complexity=fc.total,
                             max_complexity=fc.max, functions=fc.functions, score=f.churn * fc.total,
                             main_author=f.main_author, main_author_share=f.main_author_share))
    spots.sort(key=lambda h: (-h.score, -h.churn, h.path))
    return spots[:limit]


def knowledge_silos(history: HistoryFacts, *, min_churn: int, share_threshold: float) -> list[FileHistory]:
    """Busy files that one author wrote almost alone and who has since gone quiet.

    A file qualifies when its churn is at least ``min_churn``, its main author changed at least
    ``share_threshold`` of its lines, and that author did not commit within the activity window.
    Nothing qualifies when no author at all is active (that is the "main authors inactive" case,
    not a silo of one file), on a shallow clone or a history whose older commits are unreadable
    (the ownership of the oldest visible commit is inflated) or when line counts were not read. Most
    churn first.
    """
    if not history.available or history.shallow or history.truncated or not history.line_stats:
        return []
    if not any(a.active_recently for a in history.authors):
        return []
    silos = [f for f in history.files
             if f.churn >= min_churn and f.main_author_share >= share_threshold
             and f.main_author_active is False]
    return sorted(silos, key=lambda f: (-f.churn, f.path))
