"""Probes of the history family (see auditlib/probes/__init__.py)."""

from __future__ import annotations

from typing import Any, Iterable

from ..models import Facts, Hit
from ..ownership import knowledge_silos
from . import probe


@probe("history.knowledge_silo")
def knowledge_silo(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Busy files that one author wrote almost alone and who has not committed recently.

    Params: ``min_churn`` (lines added + removed over the history), ``share_threshold`` (the main
    author's share of those lines), ``max_findings``. Only while someone else is still active (when
    nobody is, ``history.authors_inactive`` says so once), never on a shallow clone; a single
    author or a young repository is never a finding by itself.
    """
    h = facts.history
    silos = knowledge_silos(h, min_churn=int(params.get("min_churn", 0)),
                            share_threshold=float(params.get("share_threshold", 1.0)))
    for f in silos[: int(params.get("max_findings", 10))]:
        previous = f" (formerly {f.previous_paths[0]})" if f.previous_paths else ""
        yield Hit(rule="history.knowledge_silo", title=f"Knowledge silo: {f.path}", path=f.path,
                  evidence=f"{f.main_author} changed {f.main_author_share:.0%} of its {f.churn} changed lines"
                           f"{previous} and has not committed in the last {h.activity_window_days} days; "
                           f"last change {(f.last_change or '?')[:10]}")
