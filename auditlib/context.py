"""AuditContext: everything one audit run needs, passed explicitly (no globals)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable


def stderr_progress(message: str) -> None:
    """Default progress reporter: one line per step on standard error."""
    print(f"[auditlib] {message}", file=sys.stderr, flush=True)


def stdout_progress(message: str) -> None:
    """Progress for notebooks: standard output (standard error renders as an alarm in JupyterLab)."""
    print(f"[auditlib] {message}", flush=True)


@dataclass
class AuditContext:
    """Options of one audit."""

    target: Path
    """The local repository to audit (a clone, for a URL target)."""
    source: str
    """The target as the user gave it (path or URL)."""
    client: str = ""
    auditor: str = ""
    offline: bool = False
    """Skip every network lookup; those parts are reported as not checked."""
    vuln_db: Path | None = None
    """A folder of OSV records for offline vulnerability matching."""
    answers_path: Path | None = None
    rubric_dir: Path | None = None
    history: bool = True
    """Scan the whole git history for secrets."""
    parallel: bool = True
    """Run the history collectors in a second process for large histories."""
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    """The audit's clock: activity windows and the report date are computed from it."""
    progress: Callable[[str], None] = stderr_progress
