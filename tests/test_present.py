"""`auditlib present`: the read-only view of an audit for the read-out (Voilà), and its notebook."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditlib import present
from auditlib.errors import RunError
from auditlib.report import live_findings
from tests.conftest import REPO_ROOT, stop_group


@pytest.fixture(scope="module")
def audit_dir(demo_scan, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("present") / "audit"
    folder.mkdir()
    demo_scan.write(folder / "results.json")
    return folder


def _texts(widget) -> str:
    """Every HTML value under a widget, concatenated."""
    out = [getattr(widget, "value", "") if type(widget).__name__ == "HTML" else ""]
    for child in getattr(widget, "children", ()):
        out.append(_texts(child))
    return "".join(x for x in out if isinstance(x, str))


def test_view_has_one_tab_per_report_section(audit_dir, demo_scan):
    box = present.view(audit_dir)
    title, tab = box.children
    assert demo_scan.target.name in title.value
    titles = [tab.get_title(i) for i in range(len(tab.children))]
    assert titles == ["Summary", "Scorecard", "Findings", "Code health", "Checklist", "Decision", "Roadmap", "Appendix"]
    summary = _texts(tab.children[0])
    assert "Production-readiness audit" in summary and "could not be shown" not in _texts(tab)
    assert f"{demo_scan.scorecard.total}" in _texts(tab.children[1])


def test_findings_filter_changes_what_is_shown(audit_dir, demo_scan):
    tab = present.view(audit_dir).children[1]
    findings = tab.children[2]
    choose, body = findings.children
    live = live_findings(demo_scan)
    assert f"{len(live)} of {len(live)} findings shown" in body.value
    choose.value = "Critical"
    critical = sum(1 for f in live if f.severity == "critical")
    assert critical, "the demo target has critical findings"
    assert f"{critical} of {len(live)} findings shown" in body.value
    shown_rows = body.value.count("<tr>") - 1  # the header row
    assert shown_rows == critical


def test_view_of_a_folder_that_is_no_audit_says_so_in_one_sentence(tmp_path, monkeypatch):
    got = present.view(tmp_path)
    assert "This audit cannot be shown" in got.value and "no results.json" in got.value
    monkeypatch.delenv(present.ENV, raising=False)
    assert "no audit folder given" in present.view().value


def test_cli_refuses_a_missing_folder_in_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "auditlib", "present", str(tmp_path / "nope")],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no such file or folder" in proc.stderr


def test_dry_run_serves_on_loopback_with_a_token_and_no_code(audit_dir):
    proc = subprocess.run([sys.executable, "-m", "auditlib", "present", str(audit_dir), "--port", "8871", "--dry-run"],
                          capture_output=True, text=True, timeout=60, check=True)
    cmd, url = proc.stdout.strip().splitlines()
    assert "-m voila" in cmd and "--Voila.ip=127.0.0.1" in cmd and "--strip_sources=True" in cmd
    assert "--show_tracebacks=False" in cmd and "present.ipynb" in cmd
    assert re.fullmatch(r"http://127\.0\.0\.1:8871/\?token=[0-9a-f]{32}", url)


def test_wait_until_answering_fails_when_the_server_dies():
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(RunError, match="stopped before answering"):
        present.wait_until_answering("http://127.0.0.1:9/", proc, timeout=30)


def test_the_committed_notebook_is_thin_and_has_no_outputs():
    nb = json.loads((REPO_ROOT / "notebooks" / "present.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(not c["outputs"] and c["execution_count"] is None for c in code)
    assert sum(len("".join(c["source"]).splitlines()) for c in code) <= 3


@pytest.mark.slow
def test_the_view_in_a_browser_shows_the_audit_without_code(audit_dir, demo_scan, tmp_path):
    from tests.test_browser import CHROMIUM, CHROMIUM_ARGS, free_port

    if not Path(CHROMIUM).exists():
        pytest.skip("no chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "auditlib", "present", str(audit_dir), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        line = ""
        while "Read-only view:" not in line:
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() else "timeout"
            line = proc.stdout.readline()
        url = line.split("Read-only view:", 1)[1].strip()
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.set_default_timeout(120_000)
                page.goto(url)
                page.get_by_text("Production-readiness audit").first.wait_for()
                page.get_by_role("tab", name="Findings").wait_for()
                body = page.inner_text("body")
                assert "from auditlib" not in body and "view(audit" not in body  # no code shown
                assert "Traceback" not in body and "Error" not in body.split("Findings")[0]
                assert demo_scan.scorecard.band_label in body
                page.get_by_role("tab", name="Findings").click()
                page.get_by_text("findings shown").first.wait_for()
                page.locator("select").first.select_option("Critical")
                critical = sum(1 for f in live_findings(demo_scan) if f.severity == "critical")
                page.get_by_text(re.compile(rf"^{critical} of \d+ findings shown")).wait_for()
            finally:
                browser.close()
    finally:
        stop_group(proc, signal.SIGINT)
