"""AuditContext: everything one audit run needs, passed explicitly (no globals)."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

UNATTENDED = "AUDITLIB_UNATTENDED"
"""Set (to ``1``) in the environment of the kernels that run the notebooks with no one to answer them
(``auditlib audit``, ``auditlib batch``: papermill). The workbook's form cells then show, in each
form's place, the note a reopened workbook shows (run the workbook to answer) and the static tables,
instead of building forms no one could answer (``workbook._with_form``); and a chart the workbook
drew is not drawn again by the same target's report (``report.chart``)."""


def unattended() -> bool:
    """Whether this process runs the notebooks unattended (:data:`UNATTENDED`)."""
    return os.environ.get(UNATTENDED, "") not in ("", "0")


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
    exits_after: bool = False
    """The process ends right after this audit (the command line's ``scan``): the code analysis's
    memory is left for the exit to reclaim instead of being freed object by object (0.3 s of a
    3,000-file audit). Never set in a notebook kernel, which runs audit after audit."""
    now: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    """The audit's clock: activity windows and the report date are computed from it."""
    progress: Callable[[str], None] = stderr_progress
