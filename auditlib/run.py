"""Run the workbook notebooks with papermill and export the deliverable with nbconvert + chromium.

PDF route: nbconvert's HTML export (code hidden), printed to PDF by a headless Chromium (Debian's
``chromium`` package, installed by ``make setup``). nbconvert's own webpdf exporter would download a
browser through Playwright, which is not possible on machines without internet access.

The deliverable is self-contained and printed offline: the HTML carries no script and loads nothing
from elsewhere (nbconvert's require.js, MathJax, mermaid and widget loaders are left out of the lab
template, any remaining script or reference to a remote resource is removed, and a
Content-Security-Policy allows only inline styles and data: images and fonts), and Chromium prints
it with name resolution refused for every host name and IP literal and proxies ignored, so it opens
no connection (CHROMIUM_FLAGS).

Every output is written atomically (``safeio``): a kill leaves the previous or the new file, never a
torn one, and a failed write (disk full) keeps the previous version with a one-line OutputError.
Tools that write their own file (papermill's notebook, Chromium's PDF) write a temp file beside the
output, renamed over it when complete; temp files left by a killed run are removed by the next
export of the same output.
"""

from __future__ import annotations

import contextlib
import errno
import html as htmllib
import json
import logging
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable, Iterator

from . import resources, workdirs
from .errors import OutputError, RunError
from .safeio import atomic_write, make_dir, remove_stale_temps, staged

if TYPE_CHECKING:
    from jupyter_client.client import KernelClient
    from nbformat import NotebookNode

    from .kernelpool import KernelSlot

NOTEBOOK_DIR = resources.notebook_dir()  # AUDITLIB_NOTEBOOKS, else the shipped notebooks/
WORKBOOK = "workbook.ipynb"
REPORT = "report.ipynb"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
                  "--no-pdf-header-footer",
                  # no network while printing: every host name and IP literal (loopback included)
                  # resolves to nothing, so no DNS query and no connection, also for Chromium's own
                  # background requests; proxy settings from the environment are ignored. (JavaScript
                  # cannot be switched off here, --blink-settings=scriptEnabled=false stops the print:
                  # the page printed carries no script and a CSP forbidding them, see export_pdf)
                  "--host-resolver-rules=MAP * ~NOTFOUND", "--no-proxy-server"]


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


REPORT_TEMPLATE_NAME = "auditlib-report.html.j2"
REPORT_TEMPLATE = """{%- extends 'index.html.j2' -%}
{#- nbconvert's lab template without the scripts it loads from a CDN: require.js, MathJax, mermaid and the
    widget manager (the deliverable has no code, no maths, no diagrams and no widgets) -#}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
"""The report's nbconvert template: lab, self-contained."""


class _ProgressHandler(logging.Handler):
    """Forward the kernel's progress lines (papermill log_output) to our progress callback: only
    those of the notebook this thread executes (a batch runs several at once in one process)."""

    def __init__(self, progress: Callable[[str], None]) -> None:
        super().__init__(logging.INFO)
        self.progress = progress
        self.thread = threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return
        for line in record.getMessage().splitlines():
            line = line.strip()
            if line.startswith("[auditlib]"):
                self.progress(line.removeprefix("[auditlib]").strip())


_LOG_LOCK = threading.Lock()
_LOG_USERS = 0
_LOG_LEVEL = logging.NOTSET


@contextlib.contextmanager
def _papermill_progress(progress: Callable[[str], None]) -> Iterator[None]:
    """papermill's logger at INFO with a handler forwarding this thread's progress lines, for the
    block; the level is put back when the last of the threads using it is done."""
    global _LOG_USERS, _LOG_LEVEL
    logger = logging.getLogger("papermill")
    handler = _ProgressHandler(progress)
    with _LOG_LOCK:
        if _LOG_USERS == 0:
            _LOG_LEVEL = logger.level
            logger.setLevel(logging.INFO)
        _LOG_USERS += 1
        logger.propagate = False
        logger.addHandler(handler)
    try:
        yield
    finally:
        with _LOG_LOCK:
            logger.removeHandler(handler)
            _LOG_USERS -= 1
            if _LOG_USERS == 0:
                logger.setLevel(_LOG_LEVEL)


KEPT_ENGINE = "auditlib-kept-kernel"
"""The papermill engine of a kept kernel (``auditlib batch``): papermill's nbclient engine, given the
kernel manager and client of a kernel that is already running instead of starting one."""


def _register_kept_engine() -> None:
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    if KEPT_ENGINE in papermill_engines._engines:
        return

    # papermill ships no type information (ignore_missing_imports): its classes are Any to mypy
    class FinalSaveManager(NotebookExecutionManager):  # type: ignore[misc]
        """papermill's execution manager, without the saves at the start and end of every cell:
        they (a deep copy, a validation and a JSON dump of the growing notebook each) were most of
        the batch process's time, and serve a notebook whose process may be killed; here the
        notebook lives in the batch process, which writes it whatever becomes of the kernel: once,
        by papermill when the run ends, or by ``notebook_complete`` when the engine raised (a
        dead kernel), since papermill then writes nothing."""

        _final = False

        def save(self, **kwargs: Any) -> None:
            if self._final:
                super().save(**kwargs)

        def notebook_complete(self, save: bool = True, **kwargs: Any) -> None:
            self._final = save
            super().notebook_complete(**kwargs)

    class KeptKernelEngine(NBClientEngine):  # type: ignore[misc]  # papermill is untyped, as above
        """``NBClientEngine`` with the kept kernel: nbclient uses a kernel manager it is given as it
        is (no start, no shutdown), and a client it is given instead of opening a new one (whose
        channels nobody would close); the notebook is saved when complete (FinalSaveManager)."""

        @classmethod
        def execute_notebook(cls, nb: NotebookNode, kernel_name: str, output_path: str | None = None,
                             progress_bar: bool = True, log_output: bool = False, autosave_cell_every: int = 30,
                             record_as: str | None = None, **kwargs: Any) -> NotebookNode:
            if record_as is not None:  # the path it is published at, not papermill's temp file beside it
                nb.metadata.papermill["output_path"] = record_as
            nb_man = FinalSaveManager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                      autosave_cell_every=autosave_cell_every)
            nb_man.notebook_start()
            try:
                cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
            except BaseException:
                nb_man.cleanup_pbar()
                nb_man.notebook_complete()
                raise
            nb_man.cleanup_pbar()
            nb_man.notebook_complete(save=False)  # papermill writes it next
            executed: NotebookNode = nb_man.nb
            return executed

        @classmethod
        def execute_managed_notebook(cls, nb_man: FinalSaveManager, kernel_name: str, log_output: bool = False,
                                     stdout_file: IO[str] | None = None, stderr_file: IO[str] | None = None,
                                     start_timeout: int = 60, execution_timeout: int | None = None,
                                     kc: KernelClient | None = None, **kwargs: Any) -> NotebookNode:
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout if execution_timeout else kwargs.get("timeout"),
                                        startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                        log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            client = PapermillNotebookClient(nb_man, **final_kwargs)
            client.kc = kc
            executed: NotebookNode = client.execute()
            return executed

    papermill_engines.register(KEPT_ENGINE, KeptKernelEngine)


def import_for_kept_kernels() -> None:
    """Import what running notebooks in a kept kernel needs on this side (papermill, nbclient,
    nbconvert: more than a second, more on a busy machine) once, when a batch worker starts its
    kernel, rather than in the first target's time (and its ``--timeout``)."""
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    _register_kept_engine()


def execute(notebook: str, output: Path, parameters: dict[str, Any], progress: Callable[[str], None],
            cwd: Path | None = None, kernel: KernelSlot | None = None) -> Path:
    """Execute ``notebooks/<notebook>`` into ``output`` with papermill; RunError on failure.

    papermill writes into a temp file beside ``output``, renamed over it when the run ends: a kill
    leaves the previous notebook, never a torn one. When a cell fails papermill saves the partial
    notebook before raising: it replaces ``output`` too, so the partial run is kept for inspection.
    A disk-full error keeps the previous notebook (OutputError).

    ``kernel`` (a ``kernelpool.KernelSlot``: ``reset``, ``km``, ``kc``, ``expired``): execute in that
    running kernel, reset first (a fresh namespace and counter, auditlib's caches emptied: as a new
    kernel), instead of starting one (``auditlib batch``); papermill parameterises, executes and
    records the notebook as it always does. When the kernel was killed at the target's deadline
    (``expired``) the partial notebook is kept as ``<notebook>.partial.ipynb`` beside ``output``
    and ``output`` is left as it was (as a batch's killed audit process leaves it).
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    source = NOTEBOOK_DIR / notebook
    if not source.exists():
        raise RunError(f"notebook not found: {source}")
    failure: str | None = None
    remove_stale_temps(output)
    if kernel is not None:
        kernel.reset()  # as a new kernel would be: each notebook of each target starts clean
        _register_kept_engine()
        # no cwd: papermill would chdir this whole process (other threads run notebooks too); the
        # kept kernel already runs in its own empty folder
        options: dict[str, Any] = {"engine_name": KEPT_ENGINE, "km": kernel.km, "kc": kernel.kc,
                                   "record_as": str(output)}
        neutral = None
    else:
        # The kernel starts in an empty private folder: ipykernel puts its working directory first on
        # sys.path, and an output folder inside the target (`--out .`) would let the target's own
        # `auditlib/` or `ipykernel_launcher.py` be imported. Every notebook parameter is absolute.
        neutral = workdirs.make("kernel")
        options = {"cwd": str(cwd or neutral),
                   # the kernel runs on loopback; its TCP-without-encryption notice is noise here
                   "extra_arguments": ["--IPKernelApp.log_level=ERROR"]}
    try:
        with _papermill_progress(progress), staged(output) as tmp:
            try:
                pm.execute_notebook(str(source), str(tmp), parameters=parameters, progress_bar=False,
                                    log_output=True, kernel_name="python3", language="python", **options)
            except PapermillExecutionError as exc:
                failure = f"{notebook} failed in cell {exc.exec_count}: {exc.ename}: {_one_line(exc.evalue)}"
            except TimeoutError as exc:  # nbclient's CellTimeoutError (an OSError): the notebook failed
                failure = f"{notebook} failed: {type(exc).__name__}: {_one_line(exc)}"
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise  # staged keeps the previous notebook and says the disk is full
                raise RunError(f"{notebook} could not run: {exc.strerror or exc}") from None
            except Exception as exc:  # noqa: BLE001 - the kernel died, a cell timed out...: one line
                failure = f"{notebook} failed: {type(exc).__name__}: {_one_line(exc)}"
            if failure is not None and kernel is not None and kernel.expired:
                partial = output.with_name(f"{Path(notebook).stem}.partial.ipynb")
                if _finish_notebook(tmp, partial):
                    remove_stale_temps(partial)
                    atomic_write(partial, tmp.read_bytes())
                    raise RunError(f"{failure} (the partial notebook is in {partial})")
                raise RunError(failure)
            if not _finish_notebook(tmp, output):  # nothing complete to keep: the previous notebook stays
                raise RunError(failure or f"papermill wrote no complete notebook for {notebook}")
    finally:
        if neutral is not None:
            shutil.rmtree(neutral, ignore_errors=True)
    if failure is not None:
        raise RunError(f"{failure} (the partial notebook is in {output})")
    return output


def _one_line(what: object, limit: int = 300) -> str:
    """An error message on one line (the CLI prints ``auditlib: error: <one line>``), bounded."""
    text = " ".join(str(what).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _finish_notebook(tmp: Path, output: Path) -> bool:
    """Check that papermill's notebook in ``tmp`` is complete and record ``output`` as its path
    (papermill recorded the temp name); False when it is missing or torn (it is then not published)."""
    try:
        nb = json.loads(tmp.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return False
    meta = nb.get("metadata", {}).get("papermill")
    if isinstance(meta, dict) and meta.get("output_path") != str(output):
        meta["output_path"] = str(output)
        # the layout nbformat writes; tmp is not published yet, so a plain write is safe
        tmp.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


# ------------------------------------------------------------------------------------ self-contained
_URL_ATTRS = frozenset({"src", "href", "srcset", "imagesrcset", "data", "poster", "background", "action",
                        "formaction", "xlink:href", "ping", "manifest", "codebase", "cite", "longdesc", "icon",
                        "lowsrc", "dynsrc", "archive", "classid", "profile", "itemtype"})
"""Attributes whose value is a URL the browser may load (``<a href>`` excepted: it loads nothing)."""
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script\s*>|<script\b[^>]*>", re.I | re.S)
_STYLE = re.compile(r"(<style\b[^>]*>)(.*?)(</style\s*>)", re.I | re.S)
# attribute names and unquoted values as HTML defines them (no quote, '=', '<', '>' or backtick):
# the alternatives cannot overlap, so a malformed tag cannot make the match backtrack for long
_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`]+)"
_TAG = re.compile(r"<([a-zA-Z][a-zA-Z0-9:-]*)((?:\s+[^\s\"'>/=]+(?:\s*=\s*" + _VALUE + r")?)*)\s*(/?)>")
_ATTR = re.compile(r"(\s+)([^\s\"'>/=]+)(?:(\s*=\s*)(" + _VALUE + r"))?")
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
_CSS_URL = re.compile(r"url\(\s*(\"[^\"]*\"|'[^']*'|[^)]*?)\s*\)", re.I)
_CSS_IMPORT = re.compile(r"@import\b[^;]*;?", re.I)
_CSS_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
_SCHEME = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|//|\\\\)", re.I)


def _bare(url: str) -> str:
    # as a browser reads it: entities decoded, quotes and surrounding blanks gone, tabs and newlines dropped
    url = htmllib.unescape(url).strip().strip("\"'").strip(" \t\n\r\f\x00")
    return re.sub(r"[\t\n\r]", "", url)


def _external(url: str) -> bool:
    """Whether a URL would make the browser load something from outside the document and its folder
    (anything with a scheme but ``data:``, or network-path ``//host``)."""
    url = _bare(url)
    return bool(_SCHEME.match(url)) and not url.lower().startswith("data:")


def _clean_css(css: str) -> str:
    css = _CSS_COMMENT.sub("", css)  # inert, but nbconvert's comments quote URLs
    css = _CSS_IMPORT.sub("", css)
    css = _CSS_URL.sub(lambda m: "url()" if _external(m.group(1)) else m.group(0), css)
    # a bare string can name a resource too (image-set("..."), @import "..."): drop remote ones
    return _CSS_STRING.sub(lambda m: '""' if re.match(r"(?:[a-z][a-z0-9+.-]*:)?//", _bare(m.group(0)), re.I)
                           else m.group(0), css)


def _clean_tag(m: re.Match[str]) -> str:
    tag = m.group(1).lower()
    attrs = m.group(2)
    if tag == "meta" and re.search(r"http-equiv\s*=\s*[\"']?\s*refresh", attrs, re.I):
        return ""

    def attr(a: re.Match[str]) -> str:
        whole: str = a.group(0)
        name, value = a.group(2).lower(), a.group(4)
        if value is None:
            return whole
        if name == "style":
            quote = value[0] if value[0] in "\"'" else ""
            inner = value[1:-1] if quote else value
            return f"{a.group(1)}{a.group(2)}{a.group(3)}{quote}{_clean_css(inner)}{quote}"
        if name in _URL_ATTRS and tag != "a" and (_external(value) or name in ("srcset", "imagesrcset")
                                                   and "//" in value):
            return ""
        if name == "srcdoc" or (tag == "a" and name == "ping"):
            return ""  # srcdoc is a whole document (escaped), ping a request on click
        return whole

    return f"<{m.group(1)}{_ATTR.sub(attr, attrs)}{m.group(3)}>"


CSP = ('<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data:; '
       'style-src \'unsafe-inline\'; font-src data:; base-uri \'none\'; form-action \'none\'">')
"""The report's Content-Security-Policy: no script, nothing loaded but inline styles and data: images
and fonts (what the report is made of), in the client's browser as in the print."""


def self_contained(body: str) -> str:
    """``body`` with nothing a browser would load from elsewhere: no script at all, no remote
    ``src``/``href``/``srcset``... (links ``<a href>`` are kept: they load nothing), no CSS
    ``@import``, no remote ``url()``, no meta refresh; and CSP first in its head, so a browser
    enforces the same. Text is left as it is (a finding may quote a URL)."""
    body = _SCRIPT.sub("", body)
    body = _STYLE.sub(lambda m: m.group(1) + _clean_css(m.group(2)) + m.group(3), body)
    body = _TAG.sub(_clean_tag, body)
    if CSP in body:
        return body
    head = re.search(r"<head\b[^>]*>", body, re.I)
    return body[:head.end()] + "\n" + CSP + body[head.end():] if head else CSP + "\n" + body


_EXPORTERS = threading.local()


def export_html(notebook: Path, html: Path) -> Path:
    """Export an executed notebook to a self-contained HTML without code cells or prompts (for the
    client), written atomically (OutputError when it cannot be written; the previous one is kept)."""
    import nbformat
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    exporter = getattr(_EXPORTERS, "html", None)  # one per thread: its compiled templates are kept
    if exporter is None:
        exporter = HTMLExporter(template_name="lab",  # type: ignore[no-untyped-call]  # nbconvert's __init__ is not annotated
                                extra_loaders=[DictLoader({REPORT_TEMPLATE_NAME: REPORT_TEMPLATE})])
        exporter.template_file = REPORT_TEMPLATE_NAME
        exporter.exclude_input = True
        exporter.exclude_input_prompt = True
        exporter.exclude_output_prompt = True
        _EXPORTERS.html = exporter
    nb = nbformat.read(str(notebook), as_version=4)  # type: ignore[no-untyped-call]  # nbformat.read is not annotated
    body, _ = exporter.from_notebook_node(nb)
    body = self_contained(body.replace("</head>", PRINT_CSS + "\n</head>", 1))
    remove_stale_temps(html)
    atomic_write(html, body)
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


def page_to_print(html: Path, pdf: Path) -> tuple[str, str]:
    """The report page as written and in its self-contained form (what Chromium prints), once the
    temp files a killed print left beside ``pdf`` are gone: the start of every PDF export (here, and
    ``printer.Printer`` for a batch)."""
    try:
        original = html.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise RunError(f"cannot read {html}: {exc.strerror or exc}") from None
    remove_stale_temps(pdf)
    return original, self_contained(original)


def export_pdf(html: Path, pdf: Path, timeout: float = 120) -> Path:
    """Print ``html`` to ``pdf`` with headless Chromium, offline (CHROMIUM_FLAGS); RunError when
    Chromium is missing or fails, OutputError when the disk is full.

    A page that is not self-contained (not from export_html) is printed from a cleaned copy.
    Chromium prints into a temp file beside ``pdf``, renamed over it once complete and checked
    whole: a kill or a failure leaves the previous PDF."""
    chromium = find_chromium()
    if chromium is None:
        raise RunError("no Chromium found for the PDF export: run `make setup` (installs Debian's chromium) "
                       "or set AUDITLIB_CHROMIUM")
    original, page = page_to_print(html, pdf)
    with workdirs.temporary("chromium") as work, staged(pdf) as tmp:
        printed = html.resolve()
        if page != original:  # not a report from export_html: print a self-contained copy of it
            printed = Path(work) / "page.html"
            printed.write_text(page, encoding="utf-8")
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={Path(work) / 'profile'}", f"--print-to-pdf={tmp}",
               printed.as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise RunError(f"chromium did not finish printing the PDF within {timeout:.0f} s") from None
        # Chromium exits 0 even when it could not write the whole file (disk full): check the PDF's ends
        if "No space left on device" in proc.stderr or "Disk quota exceeded" in proc.stderr:
            raise OutputError(f"no space left on the device writing {pdf}; the previous version is kept")
        if proc.returncode != 0 or not _complete_pdf(tmp):
            lines = [ln for ln in proc.stderr.strip().splitlines() if "ERROR" in ln and "dbus" not in ln]
            tail = (lines or proc.stderr.strip().splitlines() or ["no output"])[-1]
            what = "could not print the PDF" if proc.returncode != 0 else "wrote no complete PDF"
            raise RunError(f"chromium {what} (exit {proc.returncode}): {_one_line(tail)}; "
                           f"the previous {pdf.name}, if any, is kept")
    return pdf


def _complete_pdf(path: Path) -> bool:
    """Whether ``path`` holds a whole PDF: the header, and the end-of-file marker near its end."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(5)
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 1024))
            return head == b"%PDF-" and b"%%EOF" in fh.read()
    except OSError:
        return False


def run_audit(*, target: Path, source: str, out_dir: Path, client: str, auditor: str, answers: Path | None,
              offline: bool, vuln_db: Path | None, pdf: bool = True,
              progress: Callable[[str], None], kernel: KernelSlot | None = None) -> dict[str, Path]:
    """Execute the workbook and the report notebook into ``out_dir`` and export report.html/.pdf.

    ``kernel``: a running kernel to execute both notebooks in (``auditlib batch``, see ``execute``)."""
    make_dir(out_dir)
    params = {"target": str(target), "source": source, "out_dir": str(out_dir.resolve()), "client": client,
              "auditor": auditor, "answers": str(answers.resolve()) if answers else "", "offline": offline,
              "vuln_db": str(vuln_db.resolve()) if vuln_db else ""}
    progress("workbook: running the audit notebook (papermill)")
    workbook = execute(WORKBOOK, out_dir / WORKBOOK, params, progress, kernel=kernel)
    results = out_dir / "results.json"
    if not results.exists():
        raise RunError(f"the workbook ran but wrote no {results}")
    progress("report: rendering the deliverable notebook (papermill)")
    report_nb = execute(REPORT, out_dir / REPORT, {"results": str(results.resolve())}, progress, kernel=kernel)
    progress("report: exporting report.html (nbconvert, code hidden)")
    html = export_html(report_nb, out_dir / "report.html")
    outputs = {"workbook": workbook, "results": results, "report_notebook": report_nb, "html": html}
    if pdf:
        progress("report: printing report.pdf (headless chromium)")
        outputs["pdf"] = export_pdf(html, out_dir / "report.pdf")
    return outputs

