"""The batch's PDF printer (auditlib/printer.py): one Chromium printing many PDFs over the DevTools
pipe, the same PDF as ``export_pdf``, restarted after a crash, failing cleanly, leaving no process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from auditlib import printer as printer_mod
from auditlib import run
from auditlib.errors import RunError
from auditlib.printer import Printer

needs_chromium = pytest.mark.skipif(run.find_chromium() is None, reason="chromium missing: run `make setup`")
needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils missing")

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>r</title>{css}</head><body>
<h1>Report {n}</h1><p>{text}</p><table>{rows}</table></body></html>"""


def _page(tmp_path: Path, n: int, rows: int = 40, extra: str = "") -> Path:
    body = PAGE.format(css=run.PRINT_CSS, n=n, text=f"Finding text for target {n}. {extra}",
                       rows="".join(f"<tr><td>rule-{i}</td><td>{'x' * (i % 30)}</td></tr>" for i in range(rows)))
    html = tmp_path / f"report-{n}.html"
    html.write_text(run.self_contained(body), encoding="utf-8")
    return html


def _pages_png(pdf: Path, out: Path) -> list[bytes]:
    out.mkdir()
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(out / "p")], check=True, capture_output=True,
                   timeout=120)
    return [p.read_bytes() for p in sorted(out.glob("p*.png"))]


def _session_alive(sid: int) -> list[int]:
    """Processes still in the session ``sid`` (Chromium's helpers are in its session)."""
    alive = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:  # state, ppid, pgrp, session
            alive.append(int(d.name))
    return alive


@needs_chromium
@needs_poppler
def test_one_chromium_prints_several_complete_pdfs_like_export_pdf(tmp_path):
    pages = [_page(tmp_path, n, rows=20 + 30 * n) for n in range(3)]
    with Printer() as p:
        for n, html in enumerate(pages):
            p.print(html, tmp_path / f"report-{n}.pdf")
        assert p.starts == 1
        pid = p.proc.pid
    assert p.proc is None and not _session_alive(pid)  # closed: nothing left of that Chromium
    for n in range(3):
        pdf = tmp_path / f"report-{n}.pdf"
        assert run._complete_pdf(pdf)
        assert _pages_png(pdf, tmp_path / f"png-{n}")
    # the same PDF as `auditlib audit` prints (one Chromium per PDF): same pages, pixel for pixel
    run.export_pdf(pages[2], tmp_path / "reference.pdf")
    assert _pages_png(tmp_path / "report-2.pdf", tmp_path / "a") == _pages_png(tmp_path / "reference.pdf", tmp_path / "b")
    assert not list(tmp_path.glob(".report-*"))  # no temp file left beside the PDFs


@needs_chromium
def test_a_page_that_is_not_self_contained_is_printed_from_a_clean_copy(tmp_path):
    html = tmp_path / "page.html"
    html.write_text("<html><head><script>document.title='ran'</script></head><body><p>hello</p>"
                    "<img src='http://127.0.0.1:9/x.png'></body></html>", encoding="utf-8")
    with Printer() as p:
        p.print(html, tmp_path / "page.pdf", timeout=60)
    assert run._complete_pdf(tmp_path / "page.pdf")
    assert "<script>" in html.read_text()  # the original is left as it is


@needs_chromium
def test_a_crashed_chromium_is_restarted_and_the_pdf_printed(tmp_path):
    html = _page(tmp_path, 1)
    with Printer() as p:
        p.print(html, tmp_path / "one.pdf")
        first = p.proc.pid
        os.killpg(first, signal.SIGKILL)  # the browser and its helpers die between two targets
        p.proc.wait(timeout=10)
        p.print(html, tmp_path / "two.pdf")
        assert p.starts == 2 and p.proc.pid != first
    assert run._complete_pdf(tmp_path / "two.pdf")
    assert not _session_alive(first)


@needs_chromium
def test_chromium_killed_during_the_print_is_retried_once(tmp_path, monkeypatch):
    html = _page(tmp_path, 1)
    calls = []
    original = Printer._print_once

    def crash_first(self, url, deadline):
        calls.append(url)
        if len(calls) == 1:
            self._start()
            os.killpg(self.proc.pid, signal.SIGKILL)  # dies while the page is being printed
        return original(self, url, deadline)

    monkeypatch.setattr(Printer, "_print_once", crash_first)
    with Printer() as p:
        p.print(html, tmp_path / "out.pdf")
        assert len(calls) == 2 and p.starts == 2
    assert run._complete_pdf(tmp_path / "out.pdf")


def _fake_chromium(tmp_path: Path, body: str) -> Path:
    exe = tmp_path / "fake-chromium"
    exe.write_text(f"#!/bin/sh\n{body}\n")
    exe.chmod(0o755)
    return exe


def test_a_chromium_that_dies_at_once_fails_cleanly_and_keeps_the_previous_pdf(tmp_path):
    html = tmp_path / "r.html"
    html.write_text(run.self_contained("<html><head></head><body>x</body></html>"))
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(b"%PDF-1.4 previous\n%%EOF\n")
    with Printer(chromium=str(_fake_chromium(tmp_path, "exit 3"))) as p:
        with pytest.raises(RunError, match="did not answer"):
            p.print(html, pdf, timeout=20)
        assert p.proc is None
    assert pdf.read_bytes() == b"%PDF-1.4 previous\n%%EOF\n"
    assert [f.name for f in tmp_path.iterdir() if f.name.startswith(".r.pdf")] == []


def test_a_chromium_that_never_answers_is_killed_at_the_timeout(tmp_path, monkeypatch):
    monkeypatch.setattr(printer_mod, "START_TIMEOUT", 2.0)
    html = tmp_path / "r.html"
    html.write_text(run.self_contained("<html><head></head><body>x</body></html>"))
    p = Printer(chromium=str(_fake_chromium(tmp_path, "exec sleep 600")))
    started = time.monotonic()
    with pytest.raises(RunError, match="did not answer"):
        p.print(html, tmp_path / "r.pdf", timeout=20)
    assert time.monotonic() - started < 15
    assert p.proc is None
    assert not (tmp_path / "r.pdf").exists()
    p.close()


def test_a_stopped_printer_starts_no_chromium(tmp_path):
    html = tmp_path / "r.html"
    html.write_text(run.self_contained("<html><head></head><body>x</body></html>"))
    p = Printer(chromium=str(_fake_chromium(tmp_path, "exit 3")))
    p.stop()
    with pytest.raises(RunError, match="stopped"):
        p.print(html, tmp_path / "r.pdf")
    assert p.starts == 0
    p.close()


@pytest.mark.slow
@needs_chromium
@needs_poppler
def test_batch_prints_every_pdf_with_one_chromium_per_worker(demo_target, tmp_path, monkeypatch):
    """Two demo targets through `run_batch` with one worker: both PDFs whole and the same pages as
    `auditlib audit` prints, one Chromium for both, none left when the batch ends."""
    from auditlib import batch
    from auditlib.demo import DEMO_ADVISORIES, DEMO_ANSWERS

    made: list[Printer] = []

    class Counting(Printer):
        def __init__(self, *a, **k):
            super().__init__(*a, **k)
            made.append(self)

    monkeypatch.setattr(printer_mod, "Printer", Counting)
    f = tmp_path / "targets.yaml"
    f.write_text(f"defaults: {{client: Acme, offline: true, vuln_db: {DEMO_ADVISORIES}}}\ntargets:\n"
                 f"  - {{target: {demo_target}, name: one, answers: {DEMO_ANSWERS}}}\n"
                 f"  - {{target: {demo_target}, name: two, answers: {DEMO_ANSWERS}}}\n")
    res = batch.run_batch(f, tmp_path / "out", workers=1, quiet=True)
    assert res.failed == 0, res.records
    assert len(made) == 1 and made[0].starts == 1 and made[0].proc is None  # one Chromium, closed
    for name in ("one", "two"):
        out = tmp_path / "out" / name
        assert run._complete_pdf(out / "report.pdf")
        assert "printed report.pdf (headless chromium, kept by the batch worker)" in (out / "audit.log").read_text()
    # the same pages as the per-target route (export_pdf, what `auditlib audit` runs) prints
    run.export_pdf(tmp_path / "out" / "one" / "report.html", tmp_path / "reference.pdf")
    assert (_pages_png(tmp_path / "out" / "one" / "report.pdf", tmp_path / "a")
            == _pages_png(tmp_path / "reference.pdf", tmp_path / "b"))
