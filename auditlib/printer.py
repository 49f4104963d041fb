"""One headless Chromium printing many PDFs: the batch's PDF printer (``auditlib batch``).

``export_pdf`` (``auditlib audit``) starts a Chromium per PDF, about a second of a demo target's
time. A batch worker keeps one :class:`Printer`: a Chromium started once with the same offline
flags (``run.CHROMIUM_FLAGS``: no name resolution, no proxy, no background networking) and
``--remote-debugging-pipe`` (the DevTools protocol over two inherited pipes: no port is opened),
driven with ``Page.printToPDF`` with the parameters ``--print-to-pdf`` uses. The pages are printed
one after the other in one tab of a browser context of their own, both kept with the Chromium (a
new context or tab per PDF started a renderer process per PDF: 1.35 CPU seconds a demo report
against 0.6), and replaced every :data:`TAB_PRINTS` pages. The page printed is the same
self-contained page ``export_pdf`` prints: no script (and a CSP forbidding any), nothing loaded from
elsewhere, so a page can leave nothing (storage, cookies, cache) that the next one could read.

A Chromium that crashes or stops answering is killed and a new one started; the PDF is retried
once, then fails with one line (RunError). Output is written like ``export_pdf``'s: a temp file
beside the PDF, checked whole, renamed over it; the previous PDF stays on any failure.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import os
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from . import workdirs
from .errors import RunError
from .run import CHROMIUM_FLAGS, _complete_pdf, _one_line, find_chromium, page_to_print
from .safeio import staged
from .worker import pdeathsig_hook

PRINT_PARAMS = {"printBackground": True, "preferCSSPageSize": True, "displayHeaderFooter": False}
"""``Page.printToPDF`` as headless Chromium's ``--print-to-pdf --no-pdf-header-footer`` calls it."""
START_TIMEOUT = 30.0
TAB_PRINTS = 100
"""Pages printed in one tab before it is closed and a new one opened (its history stays short)."""


class _Gone(Exception):
    """The Chromium process ended or stopped answering (restart and retry)."""


def _child_setup(rfd: int, wfd: int, die_with_parent: Callable[[], None] | None) -> None:
    """Between fork and exec: the pipes on fds 3 and 4, and death with us (``worker.pdeathsig_hook``)."""
    r = fcntl.fcntl(rfd, fcntl.F_DUPFD, 10)
    w = fcntl.fcntl(wfd, fcntl.F_DUPFD, 10)
    os.dup2(r, 3)
    os.dup2(w, 4)
    if die_with_parent is not None:
        die_with_parent()


class Printer:
    """A Chromium kept for many ``print`` calls; ``close()`` (or ``with``) ends it. One thread at a time."""

    def __init__(self, chromium: str | None = None) -> None:
        self.chromium = chromium
        self.proc: subprocess.Popen[bytes] | None = None
        self._work: tempfile.TemporaryDirectory[str] | None = None
        self._to: int | None = None  # we write commands here (Chromium's fd 3)
        self._from: int | None = None  # Chromium writes answers and events here (its fd 4)
        self._buf = b""
        self._events: list[dict[str, Any]] = []  # DevTools protocol messages (JSON objects)
        self._next = 0
        self._context: str | None = None  # the browser context every page is printed in
        self._tab: tuple[str, str] | None = None  # its tab: (target id, session id)
        self._tab_prints = 0
        self._last_url: str | None = None
        self.stopped = False
        self.starts = 0
        """How many Chromium processes this printer started (1 unless one crashed)."""

    # ------------------------------------------------------------------ process
    def _start(self) -> None:
        chromium = self.chromium or find_chromium()
        if chromium is None:
            raise RunError("no Chromium found for the PDF export: run `make setup` (installs Debian's chromium) "
                           "or set AUDITLIB_CHROMIUM")
        self._work = workdirs.temporary("chromium")
        to_r, to_w = os.pipe()
        from_r, from_w = os.pipe()
        hook = pdeathsig_hook()
        flags = [f for f in CHROMIUM_FLAGS if f != "--no-pdf-header-footer"]  # a --print-to-pdf flag only
        cmd = [chromium, *flags, "--remote-debugging-pipe", f"--user-data-dir={Path(self._work.name) / 'profile'}",
               "about:blank"]
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True,
                                         # the pipes reach Chromium as fds 3 and 4 (dup2 makes them
                                         # inheritable); every other fd of ours is close-on-exec (PEP 446)
                                         close_fds=False,
                                         cwd=self._work.name, preexec_fn=lambda: _child_setup(to_r, from_w, hook))
        except OSError as exc:
            for fd in (to_r, to_w, from_r, from_w):
                os.close(fd)
            self._cleanup()
            raise RunError(f"could not start chromium for the PDF export: {exc.strerror or exc}") from None
        os.close(to_r)
        os.close(from_w)
        self._to, self._from, self._buf, self._events = to_w, from_r, b"", []
        self._context, self._tab, self._last_url = None, None, None
        self.starts += 1
        try:
            self._call("Browser.getVersion", timeout=START_TIMEOUT)
        except _Gone:
            self.close()
            raise RunError("chromium started for the PDF export did not answer") from None

    def _cleanup(self) -> None:
        if self._work is not None:
            with contextlib.suppress(OSError):
                self._work.cleanup()
            self._work = None

    def close(self) -> None:
        """End the Chromium (and its own processes) and remove its profile."""
        for fd in (self._to, self._from):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._to = self._from = None
        self._context, self._tab, self._last_url = None, None, None
        if self.proc is not None:
            if self.proc.poll() is None:
                with contextlib.suppress(OSError):
                    os.killpg(self.proc.pid, signal.SIGKILL)  # its renderers and helpers are in its session
            with contextlib.suppress(Exception):
                self.proc.wait(timeout=10)
            with contextlib.suppress(OSError):  # helpers outliving the browser process
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc = None
        self._cleanup()

    def __enter__(self) -> "Printer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ protocol
    def _send(self, msg: dict[str, Any]) -> None:
        data = json.dumps(msg).encode() + b"\0"
        fd = self._to
        if fd is None:  # closed
            raise _Gone
        try:
            while data:
                data = data[os.write(fd, data):]
        except OSError:
            raise _Gone from None

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or self._from is None:
                raise _Gone
            ready, _, _ = select.select([self._from], [], [], min(left, 1.0))
            if not ready:
                if self.proc is None or self.proc.poll() is not None:
                    raise _Gone
                continue
            chunk = os.read(self._from, 1 << 20)
            if not chunk:
                raise _Gone  # Chromium closed its end: it is gone
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)  # Chromium sends JSON objects only
        return message

    def _call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
              timeout: float = 60) -> dict[str, Any]:
        self._next += 1
        ident = self._next
        msg: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._send(msg)
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read(deadline)
            if answer.get("id") == ident:
                if "error" in answer:
                    raise RunError(f"chromium: {method}: {_one_line(answer['error'].get('message', answer['error']))}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            if "method" in answer:
                self._events.append(answer)

    def _wait_event(self, method: str, session: str, deadline: float) -> dict[str, Any]:
        while True:
            for i, ev in enumerate(self._events):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    return self._events.pop(i)
            answer = self._read(deadline)
            if "method" in answer:
                self._events.append(answer)

    def stop(self) -> None:
        """From another thread (the batch is interrupted): kill the Chromium and start no other; a
        print under way fails. ``close()`` still has to be called."""
        self.stopped = True
        proc = self.proc
        if proc is not None:
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)

    def _tab_session(self, left: Callable[[], float]) -> str:
        """The session of the tab pages are printed in (opened, with its context, when there is none)."""
        if self._tab is not None and self._tab_prints >= TAB_PRINTS:
            self._close_tab()
        if self._tab is None:
            if self._context is None:
                self._context = self._call("Target.createBrowserContext", {"disposeOnDetach": True},
                                           timeout=left())["browserContextId"]
            target = self._call("Target.createTarget", {"url": "about:blank", "browserContextId": self._context},
                                timeout=left())["targetId"]
            self._tab = (target, "")
            session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True},
                                 timeout=left())["sessionId"]
            self._tab = (target, session)
            self._call("Page.enable", session=session, timeout=left())
            self._tab_prints, self._last_url = 0, None
        return self._tab[1]

    def _close_tab(self) -> None:
        tab, self._tab, self._last_url = self._tab, None, None
        if tab is not None and self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(RunError, _Gone):
                self._call("Target.closeTarget", {"targetId": tab[0]}, timeout=10)

    def _navigate(self, session: str, url: str, deadline: float) -> None:
        self._events = []  # the previous page's events: its load event came before its print
        nav = self._call("Page.navigate", {"url": url}, session=session, timeout=max(0.1, deadline - time.monotonic()))
        if nav.get("errorText"):
            raise RunError(f"chromium could not open the page to print: {_one_line(nav['errorText'])}")
        self._wait_event("Page.loadEventFired", session, deadline)

    def _print_once(self, url: str, deadline: float) -> bytes:
        if self.stopped:
            raise RunError("the PDF printer was stopped (the batch is ending)")
        if self.proc is None or self.proc.poll() is not None:
            self.close()
            self._start()

        def left() -> float:  # the time left before the deadline, as a timeout
            return max(0.1, deadline - time.monotonic())

        try:
            session = self._tab_session(left)
            if url == self._last_url:  # the same file again (it may have changed): a new load, not a reload
                self._navigate(session, "about:blank", deadline)
            self._last_url = None
            self._navigate(session, url, deadline)
            data = self._call("Page.printToPDF", PRINT_PARAMS, session=session, timeout=left())["data"]
            self._tab_prints += 1
            self._last_url = url
            return base64.b64decode(data)
        except RunError:
            self._close_tab()
            raise
        finally:
            self._events = []

    # ------------------------------------------------------------------ public
    def print(self, html: Path, pdf: Path, timeout: float = 120) -> Path:
        """Print ``html`` to ``pdf`` like ``run.export_pdf`` (same page, same offline Chromium flags,
        same checks and atomic write); RunError when it cannot, after one restart of a Chromium that
        crashed or hung."""
        original, page = page_to_print(html, pdf)
        deadline = time.monotonic() + timeout
        with workdirs.temporary("print") as work, staged(pdf) as tmp:
            printed = html.resolve()
            if page != original:  # not a report from export_html: print a self-contained copy of it
                printed = Path(work) / "page.html"
                printed.write_text(page, encoding="utf-8")
            data = None
            for attempt in (1, 2):
                try:
                    data = self._print_once(printed.as_uri(), deadline)
                    break
                except _Gone:
                    self.close()  # crashed or hung: a new Chromium for the retry or the next PDF
                    if attempt == 2 or time.monotonic() >= deadline:
                        raise RunError(f"chromium could not print the PDF within {timeout:.0f} s "
                                       f"(it crashed or stopped answering); the previous {pdf.name}, if any, "
                                       "is kept") from None
                except RunError:
                    self.close()
                    raise
            tmp.write_bytes(data or b"")  # an OSError (disk full): staged keeps the previous PDF, OutputError
            if not _complete_pdf(tmp):
                raise RunError(f"chromium wrote no complete PDF; the previous {pdf.name}, if any, is kept")
        return pdf
