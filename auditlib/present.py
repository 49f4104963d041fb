"""``auditlib present DIR``: a code-free, read-only view of one audit for the read-out (Voilà).

The consultant shows the client the audit on a screen: summary, scorecard, findings (with a filter
by severity), checklist, decision, roadmap and appendix, as tabs. Voilà serves
``notebooks/present.ipynb`` with its code cells stripped and tracebacks hidden; the notebook only
calls :func:`view`, which builds the tabs from the folder's ``results.json`` with the report's own
sections (:mod:`auditlib.report`), so the view says what the PDF says. Nothing is written: no
answers, no outputs, and the audit folder is only read.

The server listens on 127.0.0.1 with a random token; :func:`serve` prints the URL only once the
server answers, and stops it on Ctrl-C.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import RunError
from .models import SEVERITIES

if TYPE_CHECKING:
    from .audit import AuditResult
    from .rubric import Rubric

ENV = "AUDITLIB_PRESENT_DIR"
"""The audit folder the view shows: set by :func:`present_command` for the Voilà server's kernels."""
NOTEBOOK = "present.ipynb"
READY_TIMEOUT = 90.0
"""Seconds to wait for the Voilà server to answer before giving up (it starts a Jupyter server)."""

SEVERITY_FILTERS: dict[str, tuple[str, ...] | None] = {
    "All findings": None,
    "Critical and high": ("critical", "high"),
    **{s.capitalize(): (s,) for s in SEVERITIES},
}
"""The view's one control: the findings shown, by severity (the severities are models.SEVERITIES)."""


# ------------------------------------------------------------------------------------------ the view
def load(folder: Path | str) -> AuditResult:
    """The AuditResult of an audit folder or results.json (one-line errors, as ``auditlib diff``)."""
    from .diff import load_result

    return load_result(folder)


def sections(result: AuditResult, rubric: Rubric) -> list[tuple[str, list[Callable[[], Any]]]]:
    """The tabs of the view and the report sections each shows, in the PDF's order."""
    from . import charts, report

    h, cx = result.facts.history, result.facts.complexity
    return [
        ("Summary", [lambda: report.cover(result), lambda: report.executive_summary(result)]),
        ("Scorecard", [lambda: report.scorecard_chart(result), lambda: report.scorecard_table(result)]),
        ("Findings", []),  # built by findings_tab (with its filter)
        ("Code health", [lambda: charts.ownership_chart(h), lambda: charts.hotspots_table(h, cx),
                         lambda: charts.complexity_distribution_table(cx)]),
        ("Checklist", [lambda: report.checklist_table(result, rubric)]),
        ("Decision", [lambda: report.decision_section(result)]),
        ("Roadmap", [lambda: report.roadmap(result, rubric)]),
        ("Appendix", [lambda: report.appendix(result)]),
    ]


def _html(parts: list[Callable[[], Any]]) -> str:
    """The HTML of report sections, one after the other; a section that fails says so in one line."""
    from html import escape

    from .report import CSS

    out = []
    for part in parts:
        try:
            got = part()
            out.append(got._repr_html_() if hasattr(got, "_repr_html_") else str(got))
        except Exception as exc:  # noqa: BLE001 - one broken section must not blank the read-out
            out.append(f'<p class="muted">This section could not be shown ({escape(type(exc).__name__)}).</p>')
    return CSS + "".join(out)


def findings_html(result: AuditResult, severities: tuple[str, ...] | None) -> str:
    """The findings table, limited to ``severities`` (None: all), saying how many are shown."""
    from . import report

    shown = [f for f in report.live_findings(result) if severities is None or f.severity in severities]
    note = report.HTML(f'<p class="muted">{len(shown)} of {len(report.live_findings(result))} findings shown.</p>')
    return _html([lambda: note, lambda: report.findings_table(result, shown)])


def view(folder: Path | str | None = None) -> Any:  # an ipywidgets widget (ipywidgets is untyped)
    """The read-only view of the audit in ``folder`` (default: ``$AUDITLIB_PRESENT_DIR``): an
    ipywidgets Tab, one tab per section of the report. A folder that cannot be read gives one
    sentence, never a traceback."""
    import ipywidgets as widgets

    from .errors import AuditError
    from .rubric import load_rubric

    folder = folder or os.environ.get(ENV) or ""
    try:
        if not folder:
            raise ValueError(f"no audit folder given (set {ENV} or pass it to view())")
        result = load(folder)
        rubric = load_rubric()
    except (AuditError, OSError, ValueError) as exc:
        return widgets.HTML(f"<p><b>This audit cannot be shown.</b> {_escape(str(exc))}</p>")
    tabs, titles = [], []
    for title, parts in sections(result, rubric):
        if title == "Findings":
            tabs.append(findings_tab(result))
        else:
            tabs.append(widgets.HTML(_html(parts)))
        titles.append(title)
    tab = widgets.Tab(children=tabs)
    for i, title in enumerate(titles):
        tab.set_title(i, title)
    return widgets.VBox([widgets.HTML(f"<h2>{_escape(result.target.name)}: production-readiness audit</h2>"), tab])


def findings_tab(result: AuditResult) -> Any:
    """The findings with a severity filter (the only control of the view: it changes what is shown)."""
    import ipywidgets as widgets

    choose = widgets.Dropdown(options=list(SEVERITY_FILTERS), value="All findings", description="Show")
    body = widgets.HTML(findings_html(result, SEVERITY_FILTERS["All findings"]))

    def update(change: dict[str, Any]) -> None:
        body.value = findings_html(result, SEVERITY_FILTERS[change["new"]])

    choose.observe(update, names="value")
    return widgets.VBox([choose, body])


def _escape(text: str) -> str:
    from html import escape

    return escape(text)


# ------------------------------------------------------------------------------------------ the server
def present_command(folder: Path, port: int, token: str | None = None) -> tuple[list[str], str, dict[str, str]]:
    """The Voilà command serving the view of ``folder`` on 127.0.0.1:``port``, its URL, and its
    environment (the folder for the kernels)."""
    from .resources import notebook_dir

    token = token or secrets.token_hex(16)
    notebook = notebook_dir() / NOTEBOOK
    cmd = [sys.executable, "-m", "voila", str(notebook), "--no-browser", "--Voila.ip=127.0.0.1",
           f"--port={port}", "--Voila.port_retries=0", f"--token={token}", "--strip_sources=True",
           "--show_tracebacks=False", "--theme=light"]
    env = {**os.environ, ENV: str(Path(folder).resolve())}
    return cmd, f"http://127.0.0.1:{port}/?token={token}", env


def wait_until_answering(url: str, proc: subprocess.Popen[Any] | None = None, timeout: float = READY_TIMEOUT,
                         interval: float = 0.25) -> None:
    """Return once ``url`` answers over HTTP (any status); RunError when ``proc`` exits first or
    nothing answers within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RunError(f"the server stopped before answering (exit {proc.returncode})")
        try:
            with urllib.request.urlopen(url, timeout=5):
                return
        except urllib.error.HTTPError:
            return  # it answers (a 403 for a wrong token is an answer too)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        if time.monotonic() > deadline:
            raise RunError(f"the server did not answer at {url.split('?', 1)[0]} within {timeout:.0f} s")
        time.sleep(interval)


def serve(folder: Path, port: int, progress: Callable[[str], None], dry_run: bool = False) -> int:
    """``auditlib present``: check the folder, start Voilà, print the URL once it answers, wait."""
    load(folder)  # a folder that is no audit ends here, with one line, before any server starts
    cmd, url, env = present_command(folder, port)
    if dry_run:
        sys.stdout.write(" ".join(cmd) + "\n" + url + "\n")
        return 0
    progress(f"present: starting Voilà for {folder}")
    return run_server(cmd, url, "Read-only view", env=env, cwd=Path(tempfile.gettempdir()), quiet=True)


def run_server(cmd: list[str], url: str, label: str, *, env: dict[str, str] | None = None, cwd: Path | None = None,
               quiet: bool = False) -> int:
    """Start a server (``auditlib open``'s JupyterLab, ``present``'s Voilà), print ``label: url`` once it
    answers, wait until it ends or Ctrl-C, and stop it. ``quiet``: its output is kept out of the terminal
    (its last error line is then given if it stops before answering)."""
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL if quiet else None,
                                stderr=err if quiet else None)
        try:
            try:
                wait_until_answering(url, proc)
            except RunError as exc:
                err.seek(0)
                tail = err.read().decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
                raise RunError(f"{exc}{': ' + tail[0] if tail[0] else ''}") from None
            sys.stdout.write(f"{label}: {url}\n(stop it with Ctrl-C)\n")
            sys.stdout.flush()
            return proc.wait()
        except KeyboardInterrupt:
            return 0
        finally:
            stop(proc)


def stop(proc: subprocess.Popen[Any], timeout: float = 15) -> None:
    """Stop a server started here: SIGTERM (a clean shutdown), SIGKILL after ``timeout`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
