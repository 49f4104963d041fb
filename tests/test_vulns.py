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
    FallbackSource,
    LookupResult,
    OsvApiSource,
    OsvDirectorySource,
    PipAuditSource,
    VulnSource,
    _pip_audit_failure,
    fix_for,
    match_record,
    spec_admits,
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
                if outer.mode == "garbage":
                    return self._send(200, {"results": "not a list"})
                if outer.mode == "paged" and "page_token" not in json.dumps(query):
                    return self._send(200, {"results": [{"next_page_token": "t"}
                                                         for _ in query["queries"]]})
                if outer.mode == "paged":
                    return self._send(200, {"unexpected": True})
                if self.path == "/v1/query":  # pip-audit's OSV service: one package per call
                    name = query["package"]["name"]
                    # OSV answers with the canonical name (pip-audit only reads that spelling).
                    record = {**PYPI_RECORD, "affected": [{**PYPI_RECORD["affected"][0],
                                                           "package": {"name": "demo-pkg",
                                                                       "ecosystem": "PyPI"}}]}
                    vulns = [record] if name == "demo-pkg" and query["version"] == "1.0" else []
                    return self._send(200, {"vulns": vulns} if vulns else {})
                if self.path == "/v1/querybatch":
                    answers = {("npm", "left-pad-ish", "1.2.0"): NPM_RECORD["id"],
                               ("PyPI", "demo-pkg", "1.0"): PYPI_RECORD["id"],
                               ("npm", "ghost", "1.0.0"): "GHSA-gone-0000-0000"}
                    results = []
                    for q in query["queries"]:
                        vid = answers.get((q["package"]["ecosystem"], q["package"]["name"],
                                           q["version"]))
                        results.append({"vulns": [{"id": vid, "modified": "x"}]} if vid else {})
                    return self._send(200, {"results": results})
                return self._send(404, {})

            def do_GET(self):  # noqa: N802
                outer.requests.append((self.path, None))
                if self.path == f"/v1/vulns/{NPM_RECORD['id']}":
                    return self._send(200, NPM_RECORD)
                if self.path == f"/v1/vulns/{PYPI_RECORD['id']}":
                    return self._send(200, PYPI_RECORD)
                return self._send(404, {})

            def log_message(self, *args):
                pass

        class QuietServer(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # a client that timed out on purpose (the timeout tests) is not an error here

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
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


@pytest.mark.parametrize("mode", ["garbage", "paged"])
def test_osv_api_malformed_answer_is_not_checked(mode):
    with _Server(mode=mode) as server:
        result = OsvApiSource(("npm",), base_url=server.url, timeout=5).lookup(
            [dep("left-pad-ish", "1.2.0", "npm")])
    assert result.status == "not_checked" and result.checked == 0 and result.vulns == []
    assert result.reason.startswith("OSV API not reachable") and "\n" not in result.reason


def test_osv_api_pypi():
    with _Server() as server:
        result = OsvApiSource(("PyPI",), base_url=server.url, timeout=10).lookup(
            [dep("Demo_Pkg", "1.0", line=3), dep("clean-pkg", "2.0"),
             dep("left-pad-ish", "1.2.0", "npm")])
    assert (result.status, result.checked, result.unchecked) == ("partial", 2, ["left-pad-ish"])
    [v] = result.vulns
    assert (v.id, v.package, v.line, v.fix) == ("PYSEC-0000-1", "Demo_Pkg", 3, "1.4.2")
    assert v.aliases == ["CVE-2000-0001", "GHSA-aaaa-bbbb-cccc"]
    # Queried under the PEP 503 name.
    batch = [q for p, q in server.requests if p == "/v1/querybatch"][0]
    assert {(q["package"]["name"], q["version"]) for q in batch["queries"]} == {
        ("demo-pkg", "1.0"), ("clean-pkg", "2.0")}


def test_osv_api_record_fetch_failure_is_partial():
    with _Server() as server:
        result = OsvApiSource(("npm",), base_url=server.url, timeout=5).lookup(
            [dep("ghost", "1.0.0", "npm", line=2), dep("left-pad-ish", "1.2.0", "npm")])
    assert result.status == "partial" and result.checked == 2
    assert "details of 1 advisories could not be fetched" in result.reason
    assert {(v.id, v.package) for v in result.vulns} == {
        ("GHSA-gone-0000-0000", "ghost"), ("GHSA-npm0-0000-0001", "left-pad-ish")}


# ---------------------------------------------------------------------------- fix and ranges
@pytest.mark.parametrize(("version", "fixed", "eco", "expected"), [
    ("1.0", ["1.4.2", "2.1.1"], "PyPI", "1.4.2"),
    ("2.0", ["1.4.2", "2.1.1"], "PyPI", "2.1.1"),  # the fix of its own release line
    ("2.1.1", ["1.4.2", "2.1.1"], "PyPI", None),
    ("4.17.3", ["5.0.0-beta.3", "4.19.2"], "npm", "4.19.2"),
    ("1.2.0", ["not-a-version", "1.3.0"], "npm", "1.3.0"),
    ("garbage", ["1.0"], "PyPI", None),
])
def test_fix_for(version, fixed, eco, expected):
    assert fix_for(version, fixed, eco) == expected


def test_match_record_fix_follows_the_installed_range():
    assert match_record(PYPI_RECORD, dep("demo-pkg", "2.0.5")).fix == "2.1.1"
    assert match_record(PYPI_RECORD, dep("demo-pkg", "0.9")).fix == "1.4.2"


@pytest.mark.parametrize(("spec", "version", "eco", "expected"), [
    ("^4.17.0", "4.17.21", "npm", True), ("^4.17.0", "5.0.0", "npm", False),
    ("~4.17.0", "4.18.0", "npm", False), (">=1.2 <2", "1.9.0", "npm", True),
    ("npm:real@^2.0.0", "2.1.0", "npm", True), ("latest", "9.9.9", "npm", True),
    ("", "1.0.0", "npm", True), ("git+https://example.invalid/x.git", "1.0.0", "npm", None),
    ("workspace:*", "1.0.0", "npm", None), ("1.x || 2.x", "2.3.0", "npm", True),
    (">=2,<3", "2.5", "PyPI", True), ("~=2.2", "3.0", "PyPI", False), ("", "1.0", "PyPI", True),
    ("^1.2", "1.3", "PyPI", None),  # Poetry's caret is not PEP 440
    ("@ https://example.invalid/x.zip", "1.0", "PyPI", None),
])
def test_spec_admits(spec, version, eco, expected):
    assert spec_admits(spec, version, eco) is expected


# ---------------------------------------------------------------------------------- fallback
class _Fake(VulnSource):
    """A source that answers for the names it knows and fails or skips the others."""

    def __init__(self, name: str, knows: set[str], raise_: bool = False) -> None:
        self.name, self.knows, self.raise_ = name, knows, raise_
        self.ecosystems = frozenset({"PyPI"})
        self.asked: list[str] = []

    def lookup(self, deps):
        self.asked += [d.name for d in deps]
        if self.raise_:
            raise RuntimeError("bug\nsecond line")
        known = [d for d in deps if d.name in self.knows]
        rest = sorted({d.name for d in deps} - self.knows)
        vulns = [match_record(PYPI_RECORD, d) for d in known]
        return LookupResult(self.name, "checked" if not rest else ("partial" if known else "not_checked"),
                            [v for v in vulns if v], len(known), rest,
                            f"{self.name} could not answer" if rest else None)


def test_fallback_not_used_when_primary_answers():
    primary, fallback = _Fake("first", {"demo-pkg", "b"}), _Fake("second", {"demo-pkg", "b"})
    result = FallbackSource(primary, fallback).lookup([dep("demo-pkg", "1.0"), dep("b", "1.0")])
    assert result.status == "checked" and fallback.asked == [] and result.source == "first"
    assert [v.id for v in result.vulns] == ["PYSEC-0000-1"]


def test_fallback_answers_what_primary_could_not():
    primary, fallback = _Fake("pip-audit", {"b"}), _Fake("osv api", {"demo-pkg"})
    result = FallbackSource(primary, fallback).lookup([dep("demo-pkg", "1.0"), dep("b", "1.0")])
    assert fallback.asked == ["demo-pkg"]
    assert (result.status, result.checked, result.unchecked) == ("checked", 2, [])
    assert result.source == "pip-audit, then osv api"
    assert result.reason == ("pip-audit: pip-audit could not answer; "
                             "1 looked up with osv api instead")
    assert [v.id for v in result.vulns] == ["PYSEC-0000-1"]


def test_fallback_both_failing_is_never_clean():
    primary, fallback = _Fake("pip-audit", set(), raise_=True), _Fake("osv api", set())
    result = FallbackSource(primary, fallback).lookup([dep("demo-pkg", "1.0"), dep("b", "1.0")])
    assert (result.status, result.checked, result.vulns) == ("not_checked", 0, [])
    assert result.unchecked == ["b", "demo-pkg"]
    assert "RuntimeError: bug" in result.reason and "osv api could not answer" in result.reason
    assert "\n" not in result.reason


def test_pip_audit_down_osv_api_answers_pypi_and_npm(tmp_path):
    """The collector's online policy end to end: pip-audit cannot reach its service, the OSV API
    (a local server) answers for PyPI and npm."""
    from auditlib.collect.dependencies import collect_dependencies
    from auditlib.collect.files import list_files

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "requirements.txt").write_text("demo-pkg==1.0\nclean-pkg==2.0\n")
    (repo / "package.json").write_text(json.dumps({"dependencies": {"left-pad-ish": "1.2.0"}}))
    closed = f"http://127.0.0.1:{_closed_port()}/v1/query"
    with _Server() as server:
        facts = collect_dependencies(list_files(repo), offline=False, osv_api_url=server.url,
                                     pip_audit_args=["--osv-url", closed], pip_audit_timeout=60)
    check = facts.vuln_check
    assert (check.status, check.checked, check.unchecked) == ("checked", 3, []), check.reason
    assert "could not reach" in check.reason and "2 looked up with osv api" in check.reason
    assert {(v.id, v.path, v.line) for v in facts.vulnerabilities} == {
        ("PYSEC-0000-1", "requirements.txt", 1), ("GHSA-npm0-0000-0001", "package.json", 1)}
