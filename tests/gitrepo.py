"""Synthetic git repositories for tests: git with a fixed identity and no user configuration."""

from __future__ import annotations

import base64
import functools
import http.server
import os
import subprocess
import threading
from pathlib import Path


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` (identity T <t@example.com>, no global or system configuration); stdout."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.com"}
    return subprocess.run(["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args], cwd=repo,
                          env=env, check=True, capture_output=True, text=True).stdout


def make_repo(path: Path, files: dict[str, str | bytes]) -> Path:
    """A repository at ``path`` with ``files`` (relative path -> text or bytes) in one commit."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    for name, body in files.items():
        f = path / name
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_bytes(body if isinstance(body, bytes) else body.encode())
    git(path, "add", "-A")
    git(path, "commit", "-q", "--allow-empty", "-m", "init")
    return path


def basic_auth_git_server(folder: Path, user: str, password: str) -> http.server.ThreadingHTTPServer:
    """A dumb-HTTP git server on loopback serving ``folder`` that asks for Basic auth ``user:password``
    (started in a thread; the caller shuts it down). Its port is ``server.server_address[1]``."""
    expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="git"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
