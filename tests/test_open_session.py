"""`auditlib open` for real: the URL is printed once JupyterLab answers, and the session asks no news question."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import stop_group
from tests.test_browser import free_port

pytestmark = pytest.mark.slow


def test_open_prints_a_url_that_answers_and_turns_news_off(tmp_path, demo_target):
    port = free_port()
    out = tmp_path / "ws"
    proc = subprocess.Popen([sys.executable, "-m", "auditlib", "open", str(demo_target), "--out", str(out), "--offline",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        line = ""
        while not line.startswith("JupyterLab: "):
            assert proc.poll() is None and time.monotonic() < deadline, "auditlib open stopped or never printed a URL"
            line = proc.stdout.readline()
        url = line.removeprefix("JupyterLab: ").strip()
        with urllib.request.urlopen(url, timeout=10) as resp:  # at once: it answers when the URL is printed
            assert resp.status == 200
        token = url.split("token=", 1)[1]
        api = (f"http://127.0.0.1:{port}/lab/api/settings/@jupyterlab/apputils-extension:notification"
               f"?token={token}")
        with urllib.request.urlopen(api, timeout=10) as resp:
            settings = json.loads(resp.read())
        defaults = settings["schema"]["properties"]  # overrides replace the defaults; the user's own settings stay
        assert defaults["fetchNews"]["default"] == "false" and defaults["checkForUpdates"]["default"] is False
        overrides = json.loads((out / ".lab-settings" / "overrides.json").read_text())
        assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    finally:
        stop_group(proc)
