"""The deliverable under hostile input and faults (issue 7): charts, self-contained HTML, offline PDF,
kill -9 and disk full during the export.

- Defect 5: labels from the target (author names, paths) are drawn verbatim (``$\\foo$`` is not
  mathtext) and a chart that fails is a short note, never the end of the audit.
- Defect 10: report.html loads nothing from elsewhere (no script, no remote src/href/@import/url()),
  and Chromium prints with no network connection (a local HTTP server, also set as the proxy,
  receives no request).
- Kill -9 during an export leaves the previous or the new report.html / report.pdf, never a torn
  one; disk full keeps the previous one with a one-line error; stray temp files are cleaned up by
  the next export.
"""

from __future__ import annotations

import base64
import errno
import http.server
import json
import os
import random
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest

from auditlib import charts, report, run
from auditlib.errors import AuditError, OutputError, RunError
from auditlib.models import AuthorStats, ComplexityFacts, FileComplexity, FileHistory, HistoryFacts, WeekActivity
from tests.conftest import REPO_ROOT

HOSTILE_NAMES = [r"$\foo$", r"\bar{$x$}", "$", "a$b", "50% $5 & {0} %s", "\\", "_bot", "__init__", "x\ny\tz",
                 "nul\x00byte", "<script>alert(1)</script>", "🙂 Zoë 李", "\u202eevil", "A" * 400, "^_^ $$"]
HOSTILE_PATHS = [r"src/$\bar$.py", "src/_x.py", "a/" * 60 + "deep.py", r"$x$/$y$.py", "we ird\\path$.py"]


def hostile_history() -> tuple[HistoryFacts, ComplexityFacts]:
    n = len(HOSTILE_NAMES)
    authors = [AuthorStats(name=name, commits=i + 1, first_commit="2024-01-01", last_commit="2024-03-01",
                           active_recently=i % 2 == 0, ownership_share=round(1 / n, 3))
               for i, name in enumerate(HOSTILE_NAMES)]
    files = [FileHistory(path=p, commits=3, churn=40 + i, main_author=HOSTILE_NAMES[i], main_author_share=0.5,
                         main_author_active=True) for i, p in enumerate(HOSTILE_PATHS)]
    timeline = [WeekActivity(week="2024-01-01", commits=n, by_author={name: 1 for name in HOSTILE_NAMES}),
                WeekActivity(week="2024-01-15", commits=3, by_author={HOSTILE_NAMES[0]: 2, "(others)": 1})]
    history = HistoryFacts(commits=sum(a.commits for a in authors), bus_factor=3, owners=HOSTILE_NAMES[:3],
                           top_authors_active=True, files_owned=len(files), authors=authors, files=files,
                           timeline=timeline)
    complexity = ComplexityFacts(files={p: FileComplexity(functions=2, max=7, total=9) for p in HOSTILE_PATHS})
    return history, complexity


def png_of(html) -> bytes:
    m = re.search(r'src="data:image/png;base64,([^"]+)"', html.body)
    assert m, html.body[:300]
    data = base64.b64decode(m.group(1))
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 1000
    return data


# ------------------------------------------------------------------------------------ defect 5: charts
@pytest.mark.parametrize("draw", ["ownership", "timeline", "hotspots"])
def test_chart_labels_from_the_target_are_drawn_verbatim(draw, monkeypatch):
    """Author names and paths such as ``$\\foo$`` are not parsed as mathtext (it raised ValueError
    and stopped the audit): every chart is drawn, its labels as written."""
    import matplotlib.pyplot as plt
    from matplotlib.text import Text

    history, complexity = hostile_history()
    seen = []
    real = charts.figure_html

    def capture(fig, alt):
        fig.canvas.draw()
        seen.extend(t for t in fig.findobj(Text) if t.get_text())
        return real(fig, alt)

    monkeypatch.setattr(charts, "figure_html", capture)
    make = {"ownership": lambda: charts.ownership_chart(history, top=len(HOSTILE_NAMES)),
            "timeline": lambda: charts.timeline_chart(history, top=len(HOSTILE_NAMES)),
            "hotspots": lambda: charts.hotspots_chart(history, complexity)}[draw]
    png_of(make())
    labels = " | ".join(t.get_text() for t in seen)
    assert all(not t.get_parse_math() and not t.get_usetex() for t in seen)
    expected = {"ownership": [r"$\foo$", r"\bar{$x$}", "a$b", " _bot"],
                "timeline": [r"$\foo$", r"\bar{$x$}", "50% $5 & {0} %s", " _bot", "x y z"],
                "hotspots": [r"src/$\bar$.py", r"$x$/$y$.py", "…"]}[draw]
    for text in expected:
        assert text in labels, (text, labels[:500])
    assert not any("\n" in t.get_text() or "\x00" in t.get_text() for t in seen)  # one line each
    assert max(len(t.get_text()) for t in seen) < 120  # 400 characters of name are shortened
    assert plt.get_fignums() == []


def test_report_charts_draw_hostile_titles_verbatim(demo_scan):
    """The scorecard and findings charts draw rubric/result text verbatim too."""
    result = demo_scan
    cats = {cid: c.model_copy(update={"title": r"$\foo$ " + c.title}) for cid, c in result.scorecard.categories.items()}
    hostile = result.model_copy(update={"scorecard": result.scorecard.model_copy(update={"categories": cats})})
    png_of(report.scorecard_chart(hostile))
    from auditlib.rubric import load_rubric

    rubric = load_rubric()
    phases = [p.model_copy(update={"title": r"$\bar$ {" + p.title}) for p in rubric.phases.phases]
    fake = SimpleNamespace(phases=SimpleNamespace(phases=phases))
    png_of(report.findings_by_phase_chart(hostile, fake))


def test_a_failing_chart_is_a_short_note_and_closes_its_figure(monkeypatch):
    import matplotlib.pyplot as plt

    note = report.scorecard_chart(SimpleNamespace(scorecard=None))  # no scorecard at all
    assert "scorecard chart could not be drawn" in note.body and "AttributeError" in note.body
    assert "<img" not in note.body and "\n" not in note.body

    def boom(fig, alt):
        raise RuntimeError("renderer exploded\nwith a second line " + "x" * 500)

    monkeypatch.setattr(charts, "figure_html", boom)
    history, _ = hostile_history()
    note = charts.ownership_chart(history)
    assert "ownership chart could not be drawn (RuntimeError: renderer exploded with a second line" in note.body
    assert "\n" not in note.body and len(note.body) < 400
    assert plt.get_fignums() == []  # the figure the failed chart opened is closed


# ------------------------------------------------------------------------- defect 10: self-contained
URL_ATTRS = {"src", "href", "srcset", "imagesrcset", "data", "poster", "background", "action", "formaction",
             "xlink:href", "ping", "manifest", "codebase", "cite", "longdesc", "icon", "lowsrc", "dynsrc", "srcdoc"}
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//|\\\\)", re.I)


class Loads(HTMLParser):
    """What a browser would load from a page: URL attributes (links excepted), CSS, scripts, refresh."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.css: list[str] = []
        self.scripts = 0
        self.links: list[str] = []
        self._style = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        self._style = tag == "style"
        for name, value in attrs:
            if value is None:
                continue
            if name == "style":
                self.css.append(value)
            elif tag == "a" and name == "href":
                self.links.append(value)
            elif name in URL_ATTRS:
                self.urls.append((tag, name, value))
            elif name == "http-equiv" and value.strip().lower() == "refresh":
                self.urls.append((tag, name, value))

    def handle_endtag(self, tag):
        self._style = False if tag == "style" else self._style

    def handle_data(self, data):
        if self._style:
            self.css.append(data)

    def remote(self) -> list[str]:
        found = [f"<script> x{self.scripts}"] if self.scripts else []
        for tag, name, value in self.urls:
            if name == "http-equiv" or name == "srcdoc":
                found.append(f"{tag} {name}")
            for candidate in (value.split(",") if "srcset" in name else [value]):
                url = candidate.strip().split(" ")[0]
                if REMOTE.match(url) and not url.lower().startswith("data:"):
                    found.append(f"{tag} {name}={url}")
        for css in self.css:
            css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
            found += [f"css {m}" for m in re.findall(r"@import[^;]*", css, re.I)]
            for m in re.findall(r"url\(\s*['\"]?([^'\")]*)", css, re.I):
                if REMOTE.match(m) and not m.lower().startswith("data:"):
                    found.append(f"css url({m})")
            found += [f"css string {m}" for m in re.findall(r"['\"]((?:[a-z]+:)?//[^'\"]*)", css, re.I)]
        return found


SERVER = "http://127.0.0.1:9"  # never contacted: only the strings matter here
HOSTILE_HTML = f"""<!DOCTYPE html><html><head>
<meta http-equiv="refresh" content="0; url={SERVER}/refresh">
<base href="{SERVER}/base/">
<link rel="stylesheet" href="{SERVER}/style.css"><link rel=preload href=//evil.example/font.woff as=font>
<script src="{SERVER}/require.js"></script>
<script type="module">import("{SERVER}/mermaid.mjs")</script>
<SCRIPT>fetch('{SERVER}/fetch')</SCRIPT>
<style>
/* a comment quoting https://example.com/ is inert */
@import url("{SERVER}/import.css");
@import '{SERVER}/import2.css';
@font-face {{ font-family: X; src: url({SERVER}/font.woff) format("woff"), url('data:font/woff;base64,AAAA'); }}
body {{ background: url( "{SERVER}/bg.png" ); content: "see https://example.com/inert"; }}
.i {{ background-image: image-set("{SERVER}/set.png" 1x); }}
.ok {{ background: url(data:image/png;base64,iVBORw0KGgo=); }}
</style></head><body>
<img src="{SERVER}/img.png" alt="x"><img src = '{SERVER}/img2.png'><img src={SERVER}/img3.png>
<img src="  HtTpS://evil.example/caps.png"><img src="&#104;ttp://evil.example/entity.png">
<img src="h&#x0A;ttp://evil.example/newline.png"><img srcset="a.png 1x, {SERVER}/2x.png 2x">
<img src="data:image/png;base64,iVBORw0KGgo=" alt="kept">
<svg><image href="{SERVER}/svg.png"/><image xlink:href="{SERVER}/svg2.png"/></svg>
<iframe src="{SERVER}/frame" srcdoc="&lt;img src=&quot;{SERVER}/srcdoc.png&quot;&gt;"></iframe>
<object data="{SERVER}/object"></object><embed src="//evil.example/embed"><video poster="{SERVER}/poster.png"></video>
<div style="background:url('{SERVER}/inline.png')">styled</div>
<form action="{SERVER}/form"><button formaction="{SERVER}/button">b</button></form>
<a href="https://advisories.example/GHSA-1" ping="{SERVER}/ping">advisory</a>
<table><tr><td>finding: requests.get(&quot;https://api.example.com/v1&quot;) and url(https://x.example/y)</td></tr></table>
<p>{SERVER}/plain-text is inert</p>
</body></html>"""


def test_self_contained_removes_every_remote_resource_and_keeps_text():
    before = Loads(HOSTILE_HTML).remote()
    assert len(before) > 20  # the checker sees the attack surface
    page = run.self_contained(HOSTILE_HTML)
    assert Loads(page).remote() == []
    assert run.self_contained(page) == page  # idempotent
    # text, links and data: images stay
    assert 'requests.get(&quot;https://api.example.com/v1&quot;) and url(https://x.example/y)' in page
    assert f"{SERVER}/plain-text is inert" in page
    assert '<a href="https://advisories.example/GHSA-1"' in page and "advisory</a>" in page
    assert 'src="data:image/png;base64,iVBORw0KGgo="' in page and "url(data:image/png;base64,iVBORw0KGgo=)" in page
    assert "url('data:font/woff;base64,AAAA')" in page
    # and the browser is told the same: no script, nothing but inline styles and data: resources
    assert page.index(run.CSP) < page.index("<style>")
    assert "default-src 'none'" in run.CSP and "script-src" not in run.CSP


@pytest.mark.slow
def test_report_html_loads_nothing_from_elsewhere(tmp_path):
    """nbconvert's lab template loaded require.js and MathJax from a CDN (and mermaid by script):
    the exported report has no script and no remote resource; findings text quoting URLs stays."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    nb = new_notebook(cells=[
        new_markdown_cell("## Findings\n\nMaths is not rendered: $E = mc^2$. ![logo](https://evil.example/logo.png)"),
        new_code_cell("report.findings_table(r)", outputs=[
            new_output("display_data", data={"text/html": HOSTILE_HTML.split("<body>")[1].split("</body>")[0]
                                             + "<style>@import url('https://evil.example/x.css');</style>",
                                             "text/plain": "<HTML>"}),
            new_output("stream", name="stdout", text="see https://evil.example/in-a-log\n")]),
    ])
    path = tmp_path / "report.ipynb"
    nbformat.write(nb, str(path))
    html = run.export_html(path, tmp_path / "report.html")
    page = html.read_text(encoding="utf-8")
    assert Loads(page).remote() == []
    assert run.self_contained(page) == page  # so export_pdf prints report.html itself, not a copy
    for word in ("cdnjs", "mathjax", "require.js", "requirejs", "mermaid", "<script"):
        assert word not in page.lower(), word
    assert "https://evil.example/in-a-log" in page and "E = mc^2" in page  # inert text kept
    assert 'requests.get("https://api.example.com/v1") and url(https://x.example/y)' in page
    assert os.stat(html).st_mode & 0o077 == 0  # owner-only


# ------------------------------------------------------------------------------- defect 10: the print
class Recorder(http.server.ThreadingHTTPServer):
    """A local HTTP server that records every request (also used as the proxy)."""

    def __init__(self):
        self.requests: list[str] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                recorder.requests.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("Content-Type", "text/css")
                self.end_headers()
                self.wfile.write(b"body{}")

            do_POST = do_CONNECT = do_HEAD = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        threading.Thread(target=self.serve_forever, daemon=True).start()


@pytest.fixture
def recorder(monkeypatch):
    server = Recorder()
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(var, server.url)  # whatever would go through a proxy reaches the recorder
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(var, raising=False)
    yield server
    server.shutdown()
    server.server_close()


def network_page(url: str) -> str:
    port = url.rsplit(":", 1)[1]
    return f"""<html><head><link rel="stylesheet" href="{url}/css">
<script src="{url}/js"></script><style>@import url("{url}/import.css");
@font-face {{ font-family: X; src: url({url}/font.woff); }} body {{ font-family: X; background: url({url}/bg.png) }}</style>
</head><body><h1>Report</h1><img src="{url}/img.png"><img src="http://localhost:{port}/localhost.png">
<img src="http://auditlib-print-test.example/hostname.png"><img src="https://93.184.216.34/ip-literal.png">
<script>fetch("{url}/fetch"); new Image().src = "http://auditlib-print-test.example/js.png";</script>
</body></html>"""


needs_chromium = pytest.mark.skipif(run.find_chromium() is None, reason="chromium missing: run `make setup`")


@pytest.mark.slow
@needs_chromium
def test_pdf_print_makes_no_network_request(recorder, tmp_path):
    """A page referencing a local server (by IP, by localhost, by host name through the proxy the
    environment names) is printed without a single request reaching it: by export_pdf, and by
    Chromium with CHROMIUM_FLAGS alone on the raw page (scripts and all)."""
    html = tmp_path / "hostile.html"
    html.write_text(network_page(recorder.url), encoding="utf-8")
    pdf = run.export_pdf(html, tmp_path / "report.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert recorder.requests == []

    # the flags on their own, without the page being cleaned first
    profile = tmp_path / "profile"
    raw = tmp_path / "raw.pdf"
    subprocess.run([run.find_chromium(), *run.CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                    f"--print-to-pdf={raw}", html.as_uri()], capture_output=True, timeout=120, check=True)
    assert raw.read_bytes()[:5] == b"%PDF-"
    assert recorder.requests == []


# -------------------------------------------------------------------------------- disk full, temp files
def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def small_notebook(tmp_path_factory) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    path = tmp_path_factory.mktemp("nb") / "report.ipynb"
    nb = new_notebook(cells=[new_code_cell("x", outputs=[new_output("display_data", data={
        "text/html": "<p>NEW REPORT</p>" * 2000, "text/plain": "x"})])])
    nbformat.write(nb, str(path))
    return path


class FailingFile:
    """A binary file that takes ``room`` bytes, then fails as a full disk does."""

    def __init__(self, real, room: int) -> None:
        self.real, self.room = real, room

    def write(self, data):
        if len(data) > self.room:
            self.real.write(data[:self.room])
            self.real.flush()
            self.room = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room -= len(data)
        return self.real.write(data)

    def __getattr__(self, name):
        return getattr(self.real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.real.__exit__(*exc)


@pytest.mark.slow
def test_disk_full_keeps_the_previous_report_html(small_notebook, tmp_path, monkeypatch):
    from auditlib import safeio

    out = tmp_path / "audit"
    out.mkdir()
    html = out / "report.html"
    html.write_text("<p>OLD REPORT</p>", encoding="utf-8")
    real_fdopen = os.fdopen
    monkeypatch.setattr(safeio.os, "fdopen", lambda fd, *a, **k: FailingFile(real_fdopen(fd, *a, **k), 4096))
    with pytest.raises(OutputError) as caught:
        run.export_html(small_notebook, html)
    message = str(caught.value)
    assert "\n" not in message and "no space left" in message and "report.html" in message
    assert isinstance(caught.value, AuditError)  # the CLI's one line, exit 1
    assert html.read_text(encoding="utf-8") == "<p>OLD REPORT</p>"
    assert leftovers(out) == []
    monkeypatch.undo()
    run.export_html(small_notebook, html)
    assert "NEW REPORT" in html.read_text(encoding="utf-8") and leftovers(out) == []


FAKE_CHROMIUM = """#!{python}
# Stands in for Chromium: writes the bytes of $FAKE_PDF to the --print-to-pdf file, slowly with
# FAKE_MODE=slow, or half of them then reports a full disk (exit 0, as Chromium does) with FAKE_MODE=enospc.
import os, sys, time
out = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("--print-to-pdf="))
data = open(os.environ["FAKE_PDF"], "rb").read()
mode = os.environ.get("FAKE_MODE", "ok")
with open(out, "wb") as fh:
    if mode == "enospc":
        fh.write(data[: len(data) // 2])
        sys.stderr.write(f"ERROR:headless_command_handler.cc Failed to write file {{out}}: No space left on device (28)\\n")
        sys.exit(0)
    step = 2048 if mode == "slow" else len(data)
    for i in range(0, len(data), step):
        fh.write(data[i:i + step])
        fh.flush()
        if mode == "slow":
            time.sleep(0.004)
"""


def fake_pdf(path: Path, marker: str, size: int = 60_000) -> Path:
    body = (marker * (size // len(marker) + 1))[:size]
    path.write_bytes(b"%PDF-1.4\n" + body.encode() + b"\n%%EOF\n")
    return path


@pytest.fixture
def fake_chromium(tmp_path, monkeypatch) -> Path:
    exe = tmp_path / "fake-chromium"
    exe.write_text(FAKE_CHROMIUM.format(python=sys.executable))
    exe.chmod(0o755)
    monkeypatch.setenv("AUDITLIB_CHROMIUM", str(exe))
    return exe


def test_disk_full_keeps_the_previous_report_pdf(fake_chromium, tmp_path, monkeypatch):
    """Chromium exits 0 with half a PDF when the disk is full: the previous PDF is kept, one line."""
    out = tmp_path / "audit"
    out.mkdir()
    page = out / "report.html"
    page.write_text("<p>report</p>")
    pdf = fake_pdf(out / "report.pdf", "OLD ")
    old = pdf.read_bytes()
    monkeypatch.setenv("FAKE_PDF", str(fake_pdf(tmp_path / "new.pdf", "NEW ")))
    monkeypatch.setenv("FAKE_MODE", "enospc")
    with pytest.raises(OutputError) as caught:
        run.export_pdf(page, pdf)
    assert "\n" not in str(caught.value) and "no space left" in str(caught.value)
    assert pdf.read_bytes() == old and leftovers(out) == []
    monkeypatch.setenv("FAKE_MODE", "ok")
    run.export_pdf(page, pdf)
    assert pdf.read_bytes() == (tmp_path / "new.pdf").read_bytes() and leftovers(out) == []


def test_an_incomplete_pdf_is_not_published(fake_chromium, tmp_path, monkeypatch):
    out = tmp_path / "audit"
    out.mkdir()
    page = out / "report.html"
    page.write_text("<p>report</p>")
    pdf = fake_pdf(out / "report.pdf", "OLD ")
    old = pdf.read_bytes()
    torn = tmp_path / "torn.pdf"
    torn.write_bytes(fake_pdf(tmp_path / "x.pdf", "NEW ").read_bytes()[:30_000])
    monkeypatch.setenv("FAKE_PDF", str(torn))
    with pytest.raises(RunError, match="wrote no complete PDF"):
        run.export_pdf(page, pdf)
    assert pdf.read_bytes() == old and leftovers(out) == []


def test_papermill_outputs_are_staged(tmp_path, monkeypatch):
    """papermill writes into a temp file: success replaces the notebook (recording its real path), a
    failing cell publishes the partial notebook (as the README promises), a full disk keeps the old one."""
    import nbformat
    import papermill as pm
    from nbformat.v4 import new_code_cell, new_notebook
    from papermill.exceptions import PapermillExecutionError

    out = tmp_path / "audit"
    out.mkdir()
    target = out / "workbook.ipynb"
    target.write_text('{"old": true}')

    def fake(behaviour):
        def execute_notebook(source, output, **kwargs):
            assert output != str(target) and Path(output).parent == out  # a temp file beside the notebook
            nb = new_notebook(cells=[new_code_cell("1/0")], metadata={"papermill": {"output_path": output}})
            if behaviour == "enospc":
                Path(output).write_text(nbformat.writes(nb)[:50])
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            nbformat.write(nb, output)
            if behaviour == "fails":
                raise PapermillExecutionError(cell_index=0, exec_count=1, source="1/0", ename="ZeroDivisionError",
                                              evalue="division by zero", traceback=[])
            return nb
        return execute_notebook

    monkeypatch.setattr(pm, "execute_notebook", fake("enospc"))
    with pytest.raises(OutputError, match="no space left"):
        run.execute(run.WORKBOOK, target, {}, lambda _m: None)
    assert target.read_text() == '{"old": true}' and leftovers(out) == []

    monkeypatch.setattr(pm, "execute_notebook", fake("fails"))
    with pytest.raises(RunError) as caught:
        run.execute(run.WORKBOOK, target, {}, lambda _m: None)
    assert "failed in cell 1: ZeroDivisionError" in str(caught.value)
    assert f"the partial notebook is in {target}" in str(caught.value)
    partial = json.loads(target.read_text())
    assert "".join(partial["cells"][0]["source"]) == "1/0" and partial["metadata"]["papermill"]["output_path"] == str(target)
    assert leftovers(out) == []

    monkeypatch.setattr(pm, "execute_notebook", fake("ok"))
    assert run.execute(run.WORKBOOK, target, {}, lambda _m: None) == target
    assert json.loads(target.read_text())["metadata"]["papermill"]["output_path"] == str(target)
    assert leftovers(out) == []


def test_stale_temps_of_a_killed_export_are_removed_and_nothing_else(tmp_path):
    out = tmp_path / "audit"
    out.mkdir()
    ours = [".report.html-ab_cd123.tmp", ".report.pdf-k9x0z1y2.pdf", ".report.pdf-k9x0z1y3.tmp",
            ".workbook.ipynb-zzzzzzzz.ipynb"]
    theirs = [".answers.yaml-abcdefgh.tmp", ".report.html-short.tmp", "report.html", ".report.html-abcdefgh.tmp.keep",
              ".results.json-abcdefgh.tmp", "notes.report.html-abcdefgh.tmp"]
    for name in ours + theirs:
        (out / name).write_text("x")
    (out / ".report.html-dir12345.tmp").mkdir()  # not a regular file: left alone
    removed = [p.name for p in run.remove_stale_temps(out / "report.html")]
    removed += [p.name for p in run.remove_stale_temps(out / "report.pdf")]
    removed += [p.name for p in run.remove_stale_temps(out / "workbook.ipynb")]
    assert sorted(removed) == sorted(ours)
    assert sorted(p.name for p in out.iterdir()) == sorted(theirs + [".report.html-dir12345.tmp"])


# ------------------------------------------------------------------------------------------ kill -9
def read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


FORK_SERVER = """
import os, sys
# one process imports once, then forks an exporter per round (in its own process group, so a
# SIGKILL of the group also takes the tools it started); each exporter runs export_forever()
for _ in sys.stdin:
    pid = os.fork()
    if pid == 0:
        os.setsid()
        sys.stdout.write(f"{os.getpid()}\\n")
        sys.stdout.flush()
        try:
            export_forever()
        finally:
            os._exit(1)
    os.waitpid(pid, 0)
    sys.stdout.write("reaped\\n")
    sys.stdout.flush()
"""


def kill_rounds(prelude: str, target: Path, versions: set[bytes], rounds: int, window: tuple[float, float],
                env: dict | None = None) -> list:
    """Start an exporter ``rounds`` times (``prelude`` defines ``export_forever()``), watch ``target``
    while it runs and SIGKILL it at a random moment. Return every state of ``target`` seen, during
    the run or after the kill, that was neither absent (before any export finished) nor one of
    ``versions``."""
    rng = random.Random(7)
    bad: list = []
    ever_written = target.exists()

    def look() -> None:
        nonlocal ever_written
        state = read_or_none(target)
        if state is None:
            if ever_written:
                bad.append("vanished")
        elif state not in versions:
            bad.append(state[:40] + b"... (%d bytes)" % len(state))
        else:
            ever_written = True

    server = subprocess.Popen([sys.executable, "-c", prelude + FORK_SERVER], cwd=REPO_ROOT, env=env,
                              start_new_session=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    try:
        for _ in range(rounds):
            server.stdin.write(b"go\n")
            server.stdin.flush()
            ready, _, _ = select.select([server.stdout], [], [], 180)
            assert ready, "the exporter did not start"
            pid = int(server.stdout.readline())
            deadline = time.monotonic() + rng.uniform(*window)
            while time.monotonic() < deadline:
                look()
                time.sleep(0.001)
            os.killpg(pid, signal.SIGKILL)  # the exporter and the tool it runs, if any
            ready, _, _ = select.select([server.stdout], [], [], 60)
            assert ready and server.stdout.readline() == b"reaped\n"
            look()
    finally:
        server.stdin.close()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    return bad


SLOW_WRITES = """
import io, time
_open = io.open
class Slow:
    # fault injection: every file opened for writing takes its time, so a kill lands mid-write
    def __init__(self, f): self._f = f
    def write(self, data):
        for i in range(0, len(data), 16384):
            self._f.write(data[i:i + 16384]); self._f.flush(); time.sleep(0.004)
        return len(data)
    def __getattr__(self, name): return getattr(self._f, name)
    def __enter__(self): return self
    def __exit__(self, *exc): return self._f.__exit__(*exc)
def slow_open(file, mode="r", *args, **kwargs):
    f = _open(file, mode, *args, **kwargs)
    return Slow(f) if any(c in mode for c in "wax+") else f
io.open = slow_open
"""


@pytest.mark.slow
def test_kill_during_html_export_leaves_the_old_or_the_new_report(tmp_path):
    """SIGKILL at random moments of export_html (writes slowed down so that kills land mid-write):
    report.html is always absent (before the first export), the old or the new version."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    notebooks = []
    for marker in ("AAAA", "BBBB"):
        nb = new_notebook(cells=[new_code_cell("x", outputs=[new_output("display_data", data={
            "text/html": f"<pre>{(marker + ' ') * 100_000}</pre>", "text/plain": marker})])])
        path = tmp_path / f"{marker}.ipynb"
        nbformat.write(nb, str(path))
        notebooks.append(path)
    versions = {run.export_html(nb, tmp_path / f"{nb.stem}.html").read_bytes() for nb in notebooks}
    out = tmp_path / "audit"
    out.mkdir()
    target = out / "report.html"
    prelude = SLOW_WRITES + textwrap.dedent(f"""
        from pathlib import Path
        from auditlib.run import export_html
        import nbconvert, nbformat
        def export_forever():
            notebooks = [Path(p) for p in {[str(p) for p in notebooks]!r}]
            i = 0
            while True:
                export_html(notebooks[i % 2], Path({str(target)!r}))
                i += 1
        """)
    bad = kill_rounds(prelude, target, versions, rounds=8, window=(0.2, 2.0))
    assert bad == [], bad[:5]
    assert read_or_none(target) in versions  # exports did finish between the kills
    run.export_html(notebooks[0], target)  # the next export cleans what the kills left
    assert leftovers(out) == []


def test_kill_during_pdf_export_leaves_the_old_or_the_new_pdf(fake_chromium, tmp_path, monkeypatch):
    """The same for export_pdf, with a stand-in Chromium that writes its PDF slowly."""
    out = tmp_path / "audit"
    out.mkdir()
    page = out / "report.html"
    page.write_text("<p>report</p>")
    sources = [fake_pdf(tmp_path / f"{m}.pdf", m, size=300_000) for m in ("AAAA", "BBBB")]
    versions = {p.read_bytes() for p in sources}
    target = out / "report.pdf"
    prelude = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from auditlib.run import export_pdf
        def export_forever():
            sources = {[str(p) for p in sources]!r}
            i = 0
            while True:
                os.environ["FAKE_PDF"] = sources[i % 2]
                export_pdf(Path({str(page)!r}), Path({str(target)!r}))
                i += 1
        """)
    bad = kill_rounds(prelude, target, versions, rounds=8, window=(0.1, 1.2), env=dict(os.environ, FAKE_MODE="slow"))
    assert bad == [], bad[:5]
    assert read_or_none(target) in versions
    monkeypatch.setenv("FAKE_PDF", str(sources[0]))
    run.export_pdf(page, target)
    assert leftovers(out) == [] and target.read_bytes() == sources[0].read_bytes()


# ------------------------------------------------------------------- disk full on a real filesystem
def can_mount_tmpfs() -> bool:
    """Whether a tmpfs can be mounted in a private mount namespace (root, or user namespaces)."""
    if not shutil.which("unshare") or not shutil.which("mount"):
        return False
    with tempfile.TemporaryDirectory() as where:
        try:
            return subprocess.run(["unshare", "-rm", "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", where],
                                  capture_output=True, timeout=20).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False


FULL_DISK = """
import json, os, sys
from pathlib import Path
from auditlib.errors import OutputError
from auditlib.run import export_html, export_pdf
disk, notebook, page = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
result = {}
(disk / "report.html").write_text("<p>OLD REPORT</p>")
(disk / "report.pdf").write_bytes(b"%PDF-1.4 OLD %%EOF")
free = os.statvfs(disk)
with open(disk / "filler", "wb") as fh:  # leave about 24 KB free
    try:
        fh.write(b"x" * (free.f_bavail * free.f_frsize - 24 * 1024))
    except OSError:
        pass
for name, export in (("html", lambda: export_html(notebook, disk / "report.html")),
                     ("pdf", lambda: export_pdf(page, disk / "report.pdf"))):
    try:
        export()
        result[name] = "no error"
    except OutputError as exc:
        result[name] = "OutputError: " + str(exc)
    except Exception as exc:
        result[name] = f"{type(exc).__name__}: {exc}"
result["html_kept"] = (disk / "report.html").read_text() == "<p>OLD REPORT</p>"
result["pdf_kept"] = (disk / "report.pdf").read_bytes() == b"%PDF-1.4 OLD %%EOF"
result["left"] = sorted(p.name for p in disk.iterdir() if p.name not in ("report.html", "report.pdf", "filler"))
print(json.dumps(result))
"""


@pytest.mark.slow
@needs_chromium
@pytest.mark.skipif(not can_mount_tmpfs(), reason="cannot mount a small tmpfs here (unshare -rm)")
def test_disk_full_on_a_small_filesystem_keeps_the_previous_report(small_notebook, tmp_path):
    """A real full disk (a 2 MB tmpfs in a private mount namespace): report.html and report.pdf keep
    their previous version and the error is one line."""
    disk = tmp_path / "disk"
    disk.mkdir()
    page = tmp_path / "page.html"
    page.write_text("<h1>Report</h1>" + "<p>" + "lorem ipsum " * 20_000 + "</p>")
    cmd = ["unshare", "-rm", "sh", "-c", 'mount -t tmpfs -o size=2m tmpfs "$1" && exec "$2" -c "$3" "$1" "$4" "$5"',
           "sh", str(disk), sys.executable, FULL_DISK, str(small_notebook), str(page)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for name in ("html", "pdf"):
        assert result[name].startswith("OutputError: no space left on the device"), result
        assert "\n" not in result[name]
    assert result["html_kept"] and result["pdf_kept"] and result["left"] == [], result


# ---------------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def hostile_audit(tmp_path_factory):
    """`auditlib audit --offline` of a repository whose author is ``$\\foo$`` and whose paths hold
    ``$``, with every proxy variable pointing to a local recorder."""
    base = tmp_path_factory.mktemp("hostile")
    target = base / "target"
    (target / "src").mkdir(parents=True)
    env = dict(os.environ, GIT_AUTHOR_NAME=r"$\foo$", GIT_AUTHOR_EMAIL="foo@example.com",
               GIT_COMMITTER_NAME=r"\bar{$x$}", GIT_COMMITTER_EMAIL="bar@example.com")
    subprocess.run(["git", "init", "-q", str(target)], check=True, env=env)
    code = "def f(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(15)) + "    return -1\n"
    for n in range(3):
        (target / "src" / r"$\bar$_{x}.py").write_text(code + f"# {n}\n")
        (target / "README.md").write_text(f"see https://evil.example/{n} and url(https://evil.example/css)\n")
        subprocess.run(["git", "-C", str(target), "add", "-A"], check=True, env=env)
        subprocess.run(["git", "-C", str(target), "commit", "-q", "-m", f"$\\commit{n}$"], check=True, env=env)
    server = Recorder()
    proxy = {var: server.url for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                                          "ALL_PROXY")}
    run_env = {k: v for k, v in os.environ.items() if k.lower() != "no_proxy"} | proxy
    out = base / "out"
    proc = subprocess.run([sys.executable, "-m", "auditlib", "audit", str(target), "--out", str(out), "--offline"],
                          capture_output=True, text=True, timeout=600, env=run_env, cwd=base)
    server.shutdown()
    server.server_close()
    return out, proc, server.requests


@pytest.mark.slow
def test_audit_of_a_hostile_repository_completes_offline(hostile_audit):
    out, proc, requests = hostile_audit
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in ("results.json", "workbook.ipynb", "report.ipynb", "report.html"):
        assert (out / name).is_file(), name
    results = json.loads((out / "results.json").read_text())
    assert [a["name"] for a in results["facts"]["history"]["authors"]] == [r"$\foo$"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert r"$\foo$" in page and "could not be drawn" not in page
    assert Loads(page).remote() == [] and "cdnjs" not in page
    if run.find_chromium() is not None:
        assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert requests == []  # nothing went out, not even through a proxy
    assert leftovers(out) == [] or set(leftovers(out)) <= {".answers.yaml.lock"}
