"""Vulnerability sources: OSV directory matching, pip-audit and the OSV API against local servers."""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from pathlib import Path

import pytest
import yaml

from auditlib.collect.vulns import (
    OsvApiSource,
    OsvDirectorySource,
    PipAuditSource,
    _pip_audit_failure,
    match_record,
)
from auditlib.models import Dependency

SHARED_DB = Path(__file__).resolve().parents[2] / "shared" / "advisory-db" / "pypi"


def dep(name: str, version: str, ecosystem: str = "PyPI", path: str = "requirements.txt",
        line: int | None = 1) -> Dependency:
    return Dependency(name=name, ecosystem=ecosystem, spec=f"=={version}", version=version,
                      pinned=True, path=path, line=line)


PYPI_RECORD = {
    "id": "PYSEC-0000-1",
    "summary": "Demo package leaks sessions",
    "aliases": ["CVE-2000-0001", "GHSA-aaaa-bbbb-cccc"],
    "affected": [{
        "package": {"name": "Demo_Pkg", "ecosystem": "PyPI"},
        "ranges": [{"type": "ECOSYSTEM", "events": [
            {"introduced": "0"}, {"fixed": "1.4.2"}, {"introduced": "2.0"}, {"fixed": "2.1.1"}]}],
    }],
}
NPM_RECORD = {
    "id": "GHSA-npm0-0000-0001",
    "details": "Prototype pollution in left-pad-ish.\nMore text here.",
    "aliases": ["CVE-2000-0002"],
    "affected": [{
        "package": {"name": "left-pad-ish", "ecosystem": "npm"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.3.0"}]}],
    }],
}


@pytest.fixture
def osv_dir(tmp_path: Path) -> Path:
    """A PyPA-style tree for the PyPI record, a loose JSON file for the npm one, plus extras."""
    root = tmp_path / "osv"
    pkg_dir = root / "vulns" / "demo-pkg"
    pkg_dir.mkdir(parents=True)
    (pkg_dir / "PYSEC-0000-1.yaml").write_text(yaml.safe_dump(PYPI_RECORD))
    (pkg_dir / "PYSEC-0000-2.yaml").write_text(yaml.safe_dump({
        "id": "PYSEC-0000-2", "withdrawn": "2020-01-01T00:00:00Z", "details": "withdrawn",
        "affected": [{"package": {"name": "demo-pkg", "ecosystem": "PyPI"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}))
    (pkg_dir / "PYSEC-0000-3.yaml").write_text(yaml.safe_dump({
        "id": "PYSEC-0000-3", "details": "listed only",
        "affected": [{"package": {"name": "demo-pkg", "ecosystem": "PyPI"},
                      "versions": ["3.0"]}]}))
    other = root / "vulns" / "other"
    other.mkdir()
    (other / "PYSEC-0000-9.yaml").write_text(yaml.safe_dump({
        "id": "PYSEC-0000-9", "details": "x",
        "affected": [{"package": {"name": "other", "ecosystem": "PyPI"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}]}]}))
    npm = root / "npm" / "2020"
    npm.mkdir(parents=True)
    (npm / "GHSA-npm0-0000-0001.json").write_text(json.dumps(NPM_RECORD))
    (npm / "broken.json").write_text("{not json")
    return root


@pytest.mark.parametrize(
    ("name", "version", "ecosystem", "expected_ids"),
    [
        ("demo-pkg", "1.0", "PyPI", {"PYSEC-0000-1"}),
        ("Demo.Pkg", "1.4.1", "PyPI", {"PYSEC-0000-1"}),  # PEP 503 name matching
        ("demo-pkg", "1.4.2", "PyPI", set()),  # the fixed version
        ("demo-pkg", "1.9", "PyPI", set()),  # between the two ranges
        ("demo-pkg", "2.0.0", "PyPI", {"PYSEC-0000-1"}),
        ("demo-pkg", "2.1.1", "PyPI", set()),
        ("demo-pkg", "3.0", "PyPI", {"PYSEC-0000-3"}),  # explicit versions list
        ("demo-pkg", "3.0.0", "PyPI", {"PYSEC-0000-3"}),  # same version, other spelling
        ("left-pad-ish", "1.2.9", "npm", {"GHSA-npm0-0000-0001"}),
        ("left-pad-ish", "1.3.0-rc.1", "npm", {"GHSA-npm0-0000-0001"}),  # pre-release sorts before
        ("left-pad-ish", "1.3.0", "npm", set()),
        ("left-pad-ish", "0.9.0", "npm", set()),
        ("demo-pkg", "1.0.0", "npm", set()),  # same name, other ecosystem
    ],
)
def test_osv_directory_matching(osv_dir, name, version, ecosystem, expected_ids):
    result = OsvDirectorySource(osv_dir).lookup([dep(name, version, ecosystem)])
    assert {v.id for v in result.vulns} == expected_ids
    assert result.status == "checked" and result.checked == 1


def test_osv_directory_vulnerability_fields(osv_dir):
    src = OsvDirectorySource(osv_dir)
    result = src.lookup([dep("demo-pkg", "1.0", path="req/a.txt", line=7),
                         dep("left-pad-ish", "1.0.0", "npm", path="package.json", line=3)])
    by_id = {v.id: v for v in result.vulns}
    py = by_id["PYSEC-0000-1"]
    assert py.aliases == ["CVE-2000-0001", "GHSA-aaaa-bbbb-cccc"]
    assert py.fixed == ["1.4.2", "2.1.1"]
    assert py.summary == "Demo package leaks sessions"
    assert (py.path, py.line, py.package, py.version) == ("req/a.txt", 7, "demo-pkg", "1.0")
    js = by_id["GHSA-npm0-0000-0001"]
    assert js.summary == "Prototype pollution in left-pad-ish."  # first line of details
    assert js.fixed == ["1.3.0"] and js.ecosystem == "npm" and js.path == "package.json"
    # Lazy loading: only the asked-about package directory of the PyPA layout was read.
    assert ("PyPI", "other") not in src._index


def test_osv_directory_invalid_version_is_unchecked(osv_dir):
    result = OsvDirectorySource(osv_dir).lookup([dep("demo-pkg", "not a version"),
                                                 dep("demo-pkg", "1.0")])
    assert result.unchecked == ["demo-pkg"]
    assert result.checked == 1 and result.status == "partial"
    assert [v.id for v in result.vulns] == ["PYSEC-0000-1"]


def test_osv_directory_missing_path(tmp_path):
    result = OsvDirectorySource(tmp_path / "nope").lookup([dep("flask", "2.2.2")])
    assert result.status == "not_checked" and "not found" in result.reason
    assert result.unchecked == ["flask"] and result.vulns == []


def test_last_affected_and_unreadable_ranges():
    record = {"id": "X-1", "affected": [{
        "package": {"name": "pkg", "ecosystem": "PyPI"},
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"last_affected": "1.5"}]},
                   {"type": "ECOSYSTEM", "events": [{"introduced": "garbage!"}]}],
    }]}
    assert match_record(record, dep("pkg", "1.5")) is not None
    assert match_record(record, dep("pkg", "1.5.1")) is None
    assert match_record(record, dep("pkg", "0.9")) is None


@pytest.mark.skipif(not SHARED_DB.is_dir(), reason=f"shared advisory database absent ({SHARED_DB})")
def test_real_advisory_db_flask():
    src = OsvDirectorySource(SHARED_DB)
    result = src.lookup([dep("Flask", "2.2.2"), dep("flask", "2.3.2", path="poetry.lock")])
    assert result.status == "checked" and result.checked == 2
    hits = [v for v in result.vulns if v.id == "PYSEC-2023-62"]
    assert len(hits) == 1 and hits[0].version == "2.2.2"
    assert "CVE-2023-30861" in hits[0].aliases
    assert {"2.2.5", "2.3.2"} & set(hits[0].fixed)


# ------------------------------------------------------------------------------- local servers
class _Server:
    """An OSV-compatible HTTP service on 127.0.0.1 answering from canned data."""

    def __init__(self, mode: str = "ok", delay: float = 0.0) -> None:
        self.mode, self.delay, self.requests = mode, delay, []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):  # noqa: N802
                query = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                outer.requests.append((self.path, query))
                time.sleep(outer.delay)
                if outer.mode == "broken":
                    return self._send(500, {"error": "boom"})
                if self.path == "/v1/query":  # pip-audit's OSV service: one package per call
                    name = query["package"]["name"]
                    # OSV answers with the canonical name (pip-audit only reads that spelling).
                    record = {**PYPI_RECORD, "affected": [{**PYPI_RECORD["affected"][0],
                                                           "package": {"name": "demo-pkg",
                                                                       "ecosystem": "PyPI"}}]}
                    vulns = [record] if name == "demo-pkg" and query["version"] == "1.0" else []
                    return self._send(200, {"vulns": vulns} if vulns else {})
                if self.path == "/v1/querybatch":
                    results = [{"vulns": [{"id": NPM_RECORD["id"]}]}
                               if q["package"]["name"] == "left-pad-ish" and q["version"] == "1.2.0"
                               else {} for q in query["queries"]]
                    return self._send(200, {"results": results})
                return self._send(404, {})

            def do_GET(self):  # noqa: N802
                outer.requests.append((self.path, None))
                if self.path == f"/v1/vulns/{NPM_RECORD['id']}":
                    return self._send(200, NPM_RECORD)
                return self._send(404, {})

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)

    def __enter__(self) -> "_Server":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_pip_audit_against_local_osv_service(tmp_path):
    with _Server() as server:
        src = PipAuditSource(timeout=60, extra_args=["--osv-url", f"{server.url}/v1/query",
                                                     "--cache-dir", str(tmp_path / "cache")])
        result = src.lookup([dep("Demo_Pkg", "1.0", line=4), dep("clean-pkg", "2.0"),
                             Dependency(name="loose", ecosystem="PyPI", spec=">=1", path="r.txt")])
    assert result.status == "checked", result.reason
    assert result.checked == 2
    assert len(result.vulns) == 1
    v = result.vulns[0]
    assert (v.id, v.package, v.version, v.line) == ("PYSEC-0000-1", "Demo_Pkg", "1.0", 4)
    assert "CVE-2000-0001" in v.aliases and v.fixed == ["1.4.2", "2.1.1"]
    assert v.summary == "Demo package leaks sessions"
    assert {q["package"]["name"] for _, q in server.requests} == {"demo-pkg", "clean-pkg"}


@pytest.mark.parametrize("mode", ["unreachable", "broken"])
def test_pip_audit_failure_is_never_clean(tmp_path, mode):
    if mode == "unreachable":
        url = f"http://127.0.0.1:{_closed_port()}/v1/query"
        result = PipAuditSource(timeout=60, extra_args=["--osv-url", url]).lookup(
            [dep("demo-pkg", "1.0"), dep("clean-pkg", "2.0")])
        assert "could not reach" in result.reason
    else:
        with _Server(mode="broken") as server:
            result = PipAuditSource(timeout=60, extra_args=["--osv-url", f"{server.url}/v1/query"]
                                    ).lookup([dep("demo-pkg", "1.0"), dep("clean-pkg", "2.0")])
        assert result.reason
    assert result.status == "not_checked"
    assert result.checked == 0 and result.vulns == []
    assert result.unchecked == ["clean-pkg", "demo-pkg"]
    assert "\n" not in result.reason


def test_pip_audit_timeout(tmp_path):
    with _Server(delay=5) as server:
        started = time.monotonic()
        result = PipAuditSource(timeout=1.5, extra_args=["--osv-url", f"{server.url}/v1/query"]
                                ).lookup([dep("demo-pkg", "1.0")])
    assert time.monotonic() - started < 5
    assert result.status == "not_checked" and "timed out" in result.reason


def test_pip_audit_failure_messages():
    stderr = ("Traceback (most recent call last):\n  ...\nrequests.exceptions.ConnectionError: "
              "HTTPSConnectionPool(host='api.osv.dev', port=443): Max retries exceeded with url: "
              "/v1/query (Caused by NameResolutionError(\"<urllib3.connection.HTTPSConnection>: "
              "Failed to resolve 'api.osv.dev' ([Errno -3] Temporary failure)\"))\n")
    assert _pip_audit_failure(stderr, 1) == ("pip-audit could not reach the vulnerability service: "
                                             "NameResolutionError: Failed to resolve 'api.osv.dev'")
    assert _pip_audit_failure("ERROR: something odd\n", 2) == "pip-audit failed (exit 2): ERROR: something odd"


def test_osv_api_querybatch_local():
    with _Server() as server:
        result = OsvApiSource(("npm",), base_url=server.url, timeout=10).lookup(
            [dep("left-pad-ish", "1.2.0", "npm", path="package-lock.json", line=9),
             dep("left-pad-ish", "1.3.0", "npm"), dep("not-semver", "1.2", "npm")])
    assert result.checked == 2 and result.unchecked == ["not-semver"] and result.status == "partial"
    assert [(v.id, v.version, v.line, v.fixed) for v in result.vulns] == [
        ("GHSA-npm0-0000-0001", "1.2.0", 9, ["1.3.0"])]


def test_osv_api_unreachable():
    src = OsvApiSource(("npm",), base_url=f"http://127.0.0.1:{_closed_port()}", timeout=5)
    result = src.lookup([dep("left-pad-ish", "1.2.0", "npm")])
    assert result.status == "not_checked" and result.vulns == [] and result.checked == 0
    assert result.reason.startswith("OSV API not reachable")
