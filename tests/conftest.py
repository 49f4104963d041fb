"""Shared fixtures: the demo target and its audit, built once per test session."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED = REPO_ROOT.parent / "shared"


@pytest.fixture(scope="session")
def demo_target(tmp_path_factory) -> Path:
    """The bundled sample prototype, built as a git repository in a temp folder."""
    from auditlib.demo import build_demo_target

    return build_demo_target(tmp_path_factory.mktemp("demo") / "target")


@pytest.fixture(scope="session")
def demo_scan(demo_target):
    """The demo target audited without Jupyter (as `auditlib scan` does), with the demo answers."""
    from auditlib import AuditContext, audit
    from auditlib.demo import DEMO_ADVISORIES, DEMO_ANSWERS

    ctx = AuditContext(target=demo_target, source=str(demo_target), client="Acme", auditor="J. Doe", offline=True,
                       vuln_db=DEMO_ADVISORIES, answers_path=DEMO_ANSWERS,
                       now=datetime(2026, 11, 22, tzinfo=timezone.utc), progress=lambda _m: None)
    return audit(ctx)


@pytest.fixture
def git_env(monkeypatch):
    """A git identity for repositories made in tests."""
    for key, value in {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
                       "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com"}.items():
        monkeypatch.setenv(key, value)
    return os.environ


def have_chromium() -> bool:
    """Whether the PDF export can run here."""
    from auditlib.run import find_chromium

    return find_chromium() is not None and shutil.which("pdftoppm") is not None


def stop_group(proc, first=None, timeout: float = 20) -> None:
    """Stop a server a test started in its own session (``start_new_session=True``), and what it started:
    ``first`` (SIGTERM by default), then SIGKILL."""
    import signal
    import subprocess

    if proc.poll() is not None:
        return
    for sig in (first or signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
            proc.wait(timeout=timeout)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
