"""Run the workbook notebooks with papermill and export the deliverable with nbconvert + chromium.

PDF route: nbconvert's HTML export (code hidden), printed to PDF by a headless Chromium (Debian's
``chromium`` package, installed by ``make setup``). nbconvert's own webpdf exporter would download a
browser through Playwright, which is not possible on machines without internet access.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Callable

from .errors import RunError

NOTEBOOK_DIR = Path(os.environ.get("AUDITLIB_NOTEBOOKS", Path(__file__).resolve().parent.parent / "notebooks"))
WORKBOOK = "workbook.ipynb"
REPORT = "report.ipynb"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  "--no-pdf-header-footer"]


PRINT_CSS = """<style>
@page { size: A4; margin: 14mm 12mm; }
body { margin: 0 !important; padding: 0 !important; }
.jp-Notebook { padding: 0 8px !important; }
.jp-Cell { padding: 0 !important; }
.jp-OutputArea-output { overflow: visible !important; }
.jp-RenderedHTMLCommon { padding-right: 0 !important; }
@media print { h2 { break-after: avoid; } .jp-Cell { break-inside: auto; } }
</style>"""
"""Print layout for the client's PDF, added to nbconvert's lab template."""


class _ProgressHandler(logging.Handler):
    """Forward the kernel's progress lines (papermill log_output) to our progress callback."""

    def __init__(self, progress: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.progress = progress

    def emit(self, record: logging.LogRecord) -> None:
        for line in record.getMessage().splitlines():
            line = line.strip()
            if line.startswith("[auditlib]"):
                self.progress(line.removeprefix("[auditlib]").strip())


def execute(notebook: str, output: Path, parameters: dict[str, Any], progress: Callable[[str], None],
            cwd: Path | None = None) -> Path:
    """Execute ``notebooks/<notebook>`` into ``output`` with papermill; RunError on failure.

    papermill saves the failed notebook before raising, so the partial run is kept for inspection.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    source = NOTEBOOK_DIR / notebook
    if not source.exists():
        raise RunError(f"notebook not found: {source}")
    logger = logging.getLogger("papermill")
    handler = _ProgressHandler(progress)
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        pm.execute_notebook(str(source), str(output), parameters=parameters, progress_bar=False, log_output=True,
                            kernel_name="python3", cwd=str(cwd or output.parent), language="python",
                            # the kernel runs on loopback; its TCP-without-encryption notice is noise here
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])
    except PapermillExecutionError as exc:
        raise RunError(f"{notebook} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue} "
                       f"(the partial notebook is in {output})") from None
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    return output


def export_html(notebook: Path, html: Path) -> Path:
    """Export an executed notebook to HTML without code cells or prompts (for the client)."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nbformat.read(str(notebook), as_version=4))
    body = body.replace("</head>", PRINT_CSS + "\n</head>", 1)
    html.write_text(body, encoding="utf-8")
    return html


def find_chromium() -> str | None:
    """The Chromium binary to print PDFs with (``AUDITLIB_CHROMIUM`` overrides)."""
    override = os.environ.get("AUDITLIB_CHROMIUM")
    if override:
        return override if Path(override).exists() or shutil.which(override) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def export_pdf(html: Path, pdf: Path, timeout: float = 120) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium; RunError when Chromium is missing or fails."""
    chromium = find_chromium()
    if chromium is None:
        raise RunError("no Chromium found for the PDF export: run `make setup` (installs Debian's chromium) "
                       "or set AUDITLIB_CHROMIUM")
    with tempfile.TemporaryDirectory(prefix="auditlib-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--print-to-pdf={pdf}",
               html.resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RunError(f"chromium did not finish printing the PDF within {timeout:.0f} s") from None
    if proc.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RunError(f"chromium could not print the PDF (exit {proc.returncode}): {tail}")
    return pdf


def run_audit(*, target: Path, source: str, out_dir: Path, client: str, auditor: str, answers: Path | None,
              offline: bool, vuln_db: Path | None, pdf: bool = True,
              progress: Callable[[str], None]) -> dict[str, Path]:
    """Execute the workbook and the report notebook into ``out_dir`` and export report.html/.pdf."""
    out_dir.mkdir(parents=True, exist_ok=True)
    params = {"target": str(target), "source": source, "out_dir": str(out_dir.resolve()), "client": client,
              "auditor": auditor, "answers": str(answers.resolve()) if answers else "", "offline": offline,
              "vuln_db": str(vuln_db.resolve()) if vuln_db else ""}
    progress("workbook: running the audit notebook (papermill)")
    workbook = execute(WORKBOOK, out_dir / WORKBOOK, params, progress)
    results = out_dir / "results.json"
    if not results.exists():
        raise RunError(f"the workbook ran but wrote no {results}")
    progress("report: rendering the deliverable notebook (papermill)")
    report_nb = execute(REPORT, out_dir / REPORT, {"results": str(results.resolve())}, progress)
    progress("report: exporting report.html (nbconvert, code hidden)")
    html = export_html(report_nb, out_dir / "report.html")
    outputs = {"workbook": workbook, "results": results, "report_notebook": report_nb, "html": html}
    if pdf:
        progress("report: printing report.pdf (headless chromium)")
        outputs["pdf"] = export_pdf(html, out_dir / "report.pdf")
    return outputs

