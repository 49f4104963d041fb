"""Hostile dependency input (issue 7): lockfile amplification (defect 6), a FIFO and other traps in
``--vuln-db`` (defect 12), vulnerability services that are down, hang or answer garbage, and
property-based tests of the manifest and lockfile parsers.

Run a longer fuzz campaign with ``AUDITLIB_FUZZ=campaign .venv/bin/python -m pytest
tests/test_hostile_dependencies.py`` (20,000 examples per property instead of 100 to 200).
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from packaging.utils import canonicalize_name

from auditlib.collect import dependencies as deps_mod
from auditlib.collect import vulns as vulns_mod
from auditlib.collect.dependencies import collect_dependencies, manifest_kind
from auditlib.collect.files import MAX_TEXT_BYTES, decode, list_files
from auditlib.collect.vulns import OsvApiSource, OsvDirectorySource
from auditlib.models import Dependency, DependencyFacts

# ----------------------------------------------------------------------------------------- profiles
try:
    settings.get_profile("campaign")
except InvalidArgument:  # not registered yet by another test module
    settings.register_profile("campaign", max_examples=20_000, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("AUDITLIB_FUZZ", "default"))
_BASE = settings.get_profile(os.environ.get("AUDITLIB_FUZZ", "default"))
FUZZ = settings(max_examples=max(150, _BASE.max_examples), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
"""Pure-Python properties: 150 examples by default, the profile's count in a campaign."""
FUZZ_FILES = settings(FUZZ, max_examples=max(25, FUZZ.max_examples // 8))
"""Properties that write files and run the whole collector per example."""

PYPI_RECORD = {
    "id": "PYSEC-0000-1", "summary": "Demo package leaks sessions", "aliases": ["CVE-2000-0001"],
    "affected": [{"package": {"name": "demo-pkg", "ecosystem": "PyPI"},
                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.4.2"}]}]}],
}


def write(root: Path, rel: str, data: str | bytes) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        path.write_text(data, encoding="utf-8")
    return path


def collect(root: Path, **kwargs: Any) -> DependencyFacts:
    kwargs.setdefault("offline", True)
    return collect_dependencies(list_files(root), **kwargs)


def within(seconds: float, fn: Callable[[], Any]) -> Any:
    """``fn()``'s result; fails (instead of hanging the suite) when it takes longer than ``seconds``."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            box["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box["value"]


def pkg_lock(n: int, prefix: str = "pkg", nested: bool = True) -> str:
    """A package-lock.json v3 with ``n`` entries, each nested under a dependent (node_modules/a/
    node_modules/b), as npm writes duplicated versions."""
    packages: dict[str, Any] = {"": {"name": "app", "version": "1.0.0"}}
    for i in range(n):
        key = f"node_modules/dep{i % 50}/node_modules/{prefix}{i}" if nested else f"node_modules/{prefix}{i}"
        packages[key] = {"version": f"1.{i % 7}.{i}", "dev": i % 2 == 0}
    return json.dumps({"name": "app", "lockfileVersion": 3, "packages": packages}, indent=1)


def yarn_lock(n: int, prefix: str = "y") -> str:
    return "".join(f'{prefix}{i}@^1.0.0, "{prefix}{i}@~1.0":\n  version "1.0.{i}"\n\n' for i in range(n))


def pnpm_lock(n: int, prefix: str = "p") -> str:
    return "lockfileVersion: '6.0'\npackages:\n" + "".join(
        f"  /{prefix}{i}@1.0.{i}:\n    dev: true\n" for i in range(n))


def poetry_lock(n: int, prefix: str = "q") -> str:
    return "".join(f'[[package]]\nname = "{prefix}{i}"\nversion = "1.0.{i}"\n\n' for i in range(n))


def pad_to(text: str, size: int) -> str:
    """``text`` grown past ``size`` bytes with a comment-like tail the parsers ignore (JSON: a
    trailing space run is still valid)."""
    return text + " " * max(0, size - len(text.encode()))


# ===================================================================== defect 6: lockfile amplification
def test_oversize_lockfile_is_not_parsed(tmp_path):
    """A lockfile the inventory lists as oversize was parsed anyway (read up to 30 MB)."""
    from auditlib.collect.inventory import collect_inventory

    write(tmp_path, "package.json", json.dumps({"dependencies": {"pkg1": "^1.0.0"}}))
    write(tmp_path, "package-lock.json", pad_to(pkg_lock(2_000), MAX_TEXT_BYTES + 10))
    files = list_files(tmp_path)
    assert "package-lock.json" in {f.path for f in collect_inventory(files).oversize}
    (tmp_path / "db").mkdir()
    facts = collect_dependencies(files, vuln_db=tmp_path / "db")
    assert [d.path for d in facts.dependencies] == ["package.json"]  # nothing from the lockfile
    assert "package-lock.json" in {m.path for m in facts.manifests}  # still known as the lockfile
    [limit] = facts.limits
    assert "package-lock.json (2.0 MB)" in limit and "2 MB read limit" in limit and "not parsed" in limit
    assert "manifests not fully read: package-lock.json" in facts.vuln_check.reason


def test_amplification_is_bounded(tmp_path):
    """Dense lockfiles under the read limit, the same one at several paths (one git blob), with
    nested node_modules duplicates: what is kept and written stays bounded, with counts."""
    lock, yarn, pnpm, poetry = pkg_lock(8_000), yarn_lock(14_000), pnpm_lock(14_000), poetry_lock(12_000)
    for svc in ("a", "b"):
        write(tmp_path, f"{svc}/package-lock.json", lock)
        write(tmp_path, f"{svc}/yarn.lock", yarn)
        write(tmp_path, f"{svc}/pnpm-lock.yaml", pnpm)
        write(tmp_path, f"{svc}/poetry.lock", poetry)
        write(tmp_path, f"{svc}/package.json", json.dumps({"dependencies": {f"y{i}": "^1.0.0" for i in range(300)}}))
    started = time.monotonic()
    facts = within(120, lambda: collect(tmp_path))
    elapsed = time.monotonic() - started
    per_path: dict[str, int] = {}
    for d in facts.dependencies:
        per_path[d.path] = per_path.get(d.path, 0) + 1
    assert facts.dependencies_found == 2 * (300 + 8_000 + 14_000 + 14_000 + 12_000)
    assert len(facts.dependencies) == deps_mod.MAX_DEPENDENCIES
    assert max(per_path.values()) <= deps_mod.MAX_RECORDS_PER_FILE
    assert per_path["a/package.json"] == per_path["b/package.json"] == 300  # direct entries first
    assert any("dependency entries were found and 20,000 kept" in lim for lim in facts.limits)
    assert facts.vuln_check.unchecked_count > len(facts.vuln_check.unchecked) == deps_mod.MAX_UNCHECKED_LISTED
    size = len(facts.model_dump_json())
    print(f"\n{facts.dependencies_found:,} entries, {len(facts.dependencies):,} kept, "
          f"{size / 1e6:.1f} MB of JSON in {elapsed:.1f} s")
    assert size < 5_000_000 and elapsed < 60


def test_records_per_file_and_in_all(tmp_path, monkeypatch):
    monkeypatch.setattr(deps_mod, "MAX_RECORDS_PER_FILE", 50)
    monkeypatch.setattr(deps_mod, "MAX_DEPENDENCIES", 120)
    write(tmp_path, "requirements.txt", "".join(f"r{i}==1.{i}\n" for i in range(30)))
    for name in ("x", "y", "z"):
        write(tmp_path, f"{name}/yarn.lock", yarn_lock(80, prefix=name))
    facts = collect(tmp_path)
    counts = {p: sum(d.path == p for d in facts.dependencies) for p in {d.path for d in facts.dependencies}}
    assert counts == {"requirements.txt": 30, "x/yarn.lock": 50, "y/yarn.lock": 40}
    assert facts.dependencies_found == 30 + 3 * 80
    [limit] = facts.limits
    assert limit.startswith("270 dependency entries were found and 120 kept") and "the other 150" in limit
    assert facts.vuln_check.status == "not_checked"  # offline


def test_duplicates_within_a_file_are_counted_once(tmp_path):
    entries = {f"node_modules/d{i}/node_modules/shared": {"version": "1.0.0"} for i in range(500)}
    write(tmp_path, "package-lock.json", json.dumps({"lockfileVersion": 3, "packages": entries}))
    facts = collect(tmp_path)
    assert [(d.name, d.version) for d in facts.dependencies] == [("shared", "1.0.0")]
    assert facts.dependencies_found == 1 and facts.limits == []


def test_manifest_paths_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(deps_mod, "MAX_MANIFESTS", 5)
    for i in range(8):
        write(tmp_path, f"s{i}/requirements.txt", f"a{i}==1.0\n")
    write(tmp_path, "requirements.txt", "root==1.0\n")
    write(tmp_path, "poetry.lock", poetry_lock(2))
    facts = collect(tmp_path)
    assert facts.manifests_found == 10 and len(facts.manifests) == 5
    assert "requirements.txt" in {m.path for m in facts.manifests}  # shallowest first
    assert "poetry.lock" not in {m.path for m in facts.manifests}  # manifests before lockfiles
    assert any(lim.startswith("10 manifest and lockfile paths were found; only 5") for lim in facts.limits)


def test_parse_budget(tmp_path, monkeypatch):
    monkeypatch.setattr(deps_mod, "MAX_PARSE_BYTES", 3_000)
    write(tmp_path, "requirements.txt", "a==1.0\n")
    write(tmp_path, "yarn.lock", yarn_lock(200))
    facts = collect(tmp_path)
    assert [d.name for d in facts.dependencies] == ["a"]
    assert any("were not parsed, the parsing budget" in lim and "yarn.lock" in lim for lim in facts.limits)


def test_long_names_and_specs_are_bounded(tmp_path):
    long_name, long_spec = "n" * 300, "^1.0.0 || " * 50
    write(tmp_path, "package.json", json.dumps({"dependencies": {long_name: "1.0.0", "ok": long_spec,
                                                                 "fine": "1.2.3"}}))
    write(tmp_path, "requirements.txt", "x==" + "1." * 200 + "0\n")
    facts = collect(tmp_path)
    by_name = {d.name: d for d in facts.dependencies}
    assert set(by_name) == {"ok", "fine", "x"}
    assert len(by_name["ok"].spec) == deps_mod.MAX_SPEC_CHARS and by_name["ok"].spec.endswith("…")
    assert by_name["x"].version is None and by_name["x"].pinned is False
    assert by_name["fine"].version == "1.2.3"
    assert any(lim.startswith("1 entries with a name over 214") and "2 requirements or versions" in lim
               for lim in facts.limits)


def test_problems_in_reason_are_bounded(tmp_path):
    for i in range(30):
        write(tmp_path, f"m{i:02}/package.json", "{not json")
    facts = collect(tmp_path)
    assert facts.reason.count("(JSON:") == deps_mod.MAX_PROBLEMS and facts.reason.endswith("; and 20 more")
    assert len(facts.vuln_check.reason) < 400


def test_setup_notes_per_file_are_bounded(tmp_path):
    items = ", ".join(f'"!!bad{i}"' for i in range(200))
    write(tmp_path, "setup.py", f"from setuptools import setup\nsetup(install_requires=[{items}])\n")
    facts = collect(tmp_path)
    assert facts.reason.count("requirement not understood") == deps_mod.MAX_NOTES_PER_FILE
    assert "setup.py: 195 more problems" in facts.reason


def test_vulnerabilities_are_capped(tmp_path, monkeypatch):
    monkeypatch.setattr(deps_mod, "MAX_VULNERABILITIES", 3)
    db = tmp_path / "db"
    write(db, "all.json", json.dumps([{"id": f"X-{i}", "affected": [{"package": {"name": f"v{i}", "ecosystem": "npm"},
                                                                      "versions": ["1.0.0"]}]} for i in range(10)]))
    repo = tmp_path / "repo"
    write(repo, "package.json", json.dumps({"dependencies": {f"v{i}": "1.0.0" for i in range(10)}}))
    facts = collect(repo, vuln_db=db)
    assert len(facts.vulnerabilities) == 3 and facts.vulnerabilities_found == 10
    assert "10 vulnerabilities were found; the first 3 are kept and reported." in facts.limits


def test_vulnerabilities_counted_past_the_lookup_cap(tmp_path, monkeypatch):
    """A database that matches without end: each lookup keeps a bounded number, counts the rest."""
    monkeypatch.setattr(vulns_mod, "MAX_VULNS_PER_LOOKUP", 4)
    monkeypatch.setattr(vulns_mod, "MAX_IDS_PER_PACKAGE", 3)
    db = tmp_path / "db"
    write(db, "all.json", json.dumps([{"id": f"X-{i}", "affected": [{"package": {"name": f"v{i % 3}", "ecosystem": "npm"},
                                                                      "versions": ["1.0.0"]}]} for i in range(15)]))
    repo = tmp_path / "repo"
    write(repo, "package.json", json.dumps({"dependencies": {f"v{i}": "1.0.0" for i in range(3)}}))
    facts = collect(repo, vuln_db=db)
    assert len(facts.vulnerabilities) == 4 and facts.vulnerabilities_found == 9  # 3 ids for each of 3
    assert all(v.id.startswith("X-") for v in facts.vulnerabilities)


def test_lockfile_scoping_is_linear():
    """1,000 manifests, 500 lockfiles, 20,000 unpinned entries: the scoping of each entry compared
    it with every manifest (minutes in the probes, seconds in the collector)."""
    from auditlib.models import Manifest
    from auditlib.probes.dependencies import loose_dependencies

    manifests = ([Manifest(path=f"p{i}/package.json", kind="package.json", ecosystem="npm") for i in range(1000)]
                 + [Manifest(path=f"p{i}/yarn.lock", kind="yarn.lock", ecosystem="npm", lockfile=True)
                    for i in range(0, 1000, 2)])
    loose = [Dependency(name=f"d{j}", ecosystem="npm", spec="^1.0.0", path=f"p{i}/package.json")
             for i in range(1000) for j in range(20)]
    locked = [Dependency(name=f"d{j}", ecosystem="npm", spec="1.0.0", version="1.0.0", pinned=True,
                         path=f"p{i}/yarn.lock") for i in range(0, 1000, 2) for j in range(20)]
    started = time.monotonic()
    found = within(60, lambda: loose_dependencies(loose + locked, manifests))
    even = [d for d in loose if int(d.path[1:].split("/")[0]) % 2 == 0]
    unresolved = within(60, lambda: deps_mod._unresolved(even + locked, manifests))
    assert time.monotonic() - started < 5
    assert len(found) == 10_000 and {d.path for d in found} == {f"p{i}/package.json" for i in range(1, 1000, 2)}
    assert unresolved == []  # p0, p2, ... have their own lockfile


def test_escaped_keys_do_not_make_line_search_quadratic(tmp_path):
    """Every key written with a \\u escape: each line search used to scan the whole file twice."""
    text = pkg_lock(24_000, nested=False).replace('"node_modules/', '"\\u006eode_modules/')
    assert len(text) < MAX_TEXT_BYTES
    write(tmp_path, "package-lock.json", text)
    started = time.monotonic()
    facts = within(120, lambda: collect(tmp_path))
    elapsed = time.monotonic() - started
    assert facts.dependencies_found == 24_000 and len(facts.dependencies) == deps_mod.MAX_RECORDS_PER_FILE
    assert elapsed < 15, elapsed


def test_continuation_lines_are_linear(tmp_path):
    """A requirements file of 100,000 backslash-continued lines was joined quadratically."""
    write(tmp_path, "requirements.txt", "".join(f"a{i}==1.0 \\\n" for i in range(100_000)) + "\n")
    started = time.monotonic()
    facts = within(120, lambda: collect(tmp_path))
    assert time.monotonic() - started < 10
    assert facts.reason == "skipped: requirements.txt: 1 lines not understood"


def test_limits_reach_results_and_report(tmp_path, git_env):
    """The scan's results and the report's appendix say what was capped."""
    from auditlib import AuditContext, audit
    from auditlib.report import appendix

    repo = tmp_path / "repo"
    write(repo, "app.py", "print('hi')\n")
    write(repo, "package.json", json.dumps({"dependencies": {"pkg1": "^1.0.0"}}))
    write(repo, "web/package-lock.json", pad_to(pkg_lock(100), MAX_TEXT_BYTES + 1))
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "init"], check=True)
    result = audit(AuditContext(target=repo, source=str(repo), offline=True, progress=lambda _m: None))
    data = json.loads(result.model_dump_json())["facts"]["dependencies"]
    assert data["dependencies_found"] == 1 and data["manifests_found"] == 2
    assert any("web/package-lock.json" in lim for lim in data["limits"])
    html = appendix(result)._repr_html_()
    assert "Dependencies: 1 manifest or lockfile over the 2 MB read limit" in html


# ========================================================================== defect 12: --vuln-db
def dep(name: str, version: str, ecosystem: str = "PyPI") -> Dependency:
    return Dependency(name=name, ecosystem=ecosystem, spec=f"=={version}", version=version, pinned=True,
                      path="requirements.txt", line=1)


def _release_fifo(path: Path) -> None:
    """Open the FIFO for writing and close it: a reader blocked on it (the old code) gets EOF."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:
        pass


def test_fifo_in_vuln_db_does_not_hang(tmp_path):
    db = tmp_path / "db"
    write(db, "vulns/demo-pkg/PYSEC-0000-1.json", json.dumps(PYPI_RECORD))
    fifos = [db / "vulns" / "demo-pkg" / "trap.yaml", db / "loose.json"]
    for fifo in fifos:
        os.mkfifo(fifo)
    try:
        result = within(20, lambda: OsvDirectorySource(db).lookup([dep("demo-pkg", "1.0")]))
    finally:
        for fifo in fifos:
            _release_fifo(fifo)
    assert result.status == "checked" and [v.id for v in result.vulns] == ["PYSEC-0000-1"]
    assert result.limits == [("2 entries in --vuln-db that are not regular files (symlinks, FIFOs, "
                              "devices, sockets) were not read.")]


def test_fifo_in_vuln_db_through_the_collector(tmp_path):
    db = tmp_path / "db"
    write(db, "npm/ok.json", json.dumps({"id": "GHSA-1", "affected": [
        {"package": {"name": "left-pad", "ecosystem": "npm"}, "versions": ["1.0.0"]}]}))
    os.mkfifo(db / "npm" / "x.json")
    repo = tmp_path / "repo"
    write(repo, "package.json", json.dumps({"dependencies": {"left-pad": "1.0.0"}}))
    try:
        facts = within(20, lambda: collect(repo, vuln_db=db))
    finally:
        _release_fifo(db / "npm" / "x.json")
    assert [v.id for v in facts.vulnerabilities] == ["GHSA-1"]
    assert any("not regular files" in lim for lim in facts.limits)


def test_vuln_db_symlinks_are_not_followed(tmp_path):
    outside = write(tmp_path / "outside", "rec.json", json.dumps(PYPI_RECORD))
    db = tmp_path / "db"
    (db / "vulns" / "demo-pkg").mkdir(parents=True)
    (db / "vulns" / "demo-pkg" / "PYSEC-0000-1.json").symlink_to(outside)
    (db / "elsewhere").symlink_to(outside.parent, target_is_directory=True)
    (db / "loop").symlink_to(db, target_is_directory=True)
    result = within(20, lambda: OsvDirectorySource(db).lookup([dep("demo-pkg", "1.0")]))
    assert result.vulns == [] and result.status == "checked"
    assert result.limits and "3 entries" in result.limits[0]


def test_vuln_db_garbage_and_deep_nesting(tmp_path):
    db = tmp_path / "db"
    write(db, "vulns/demo-pkg/PYSEC-0000-1.yaml", json.dumps(PYPI_RECORD))  # JSON is YAML too
    write(db, "vulns/demo-pkg/garbage.yaml", random.Random(1).randbytes(50_000))
    write(db, "vulns/demo-pkg/nested.json", "[" * 200_000 + "]" * 200_000)
    write(db, "vulns/demo-pkg/nested.yaml", "[" * 50_000 + "]" * 50_000)
    write(db, "vulns/demo-pkg/latin1.yaml", "id: x\nsummary: caf\xe9\n".encode("latin-1"))
    deep = db
    for _ in range(40):
        deep = deep / "d"
    write(deep, "r.json", json.dumps(PYPI_RECORD))
    result = within(60, lambda: OsvDirectorySource(db).lookup([dep("demo-pkg", "1.0")]))
    assert [v.id for v in result.vulns] == ["PYSEC-0000-1"]
    assert any("nested deeper than 32 levels" in lim for lim in result.limits)
    assert any(lim.startswith("4 record files in --vuln-db could not be read") for lim in result.limits)


def test_vuln_db_records_of_any_shape(tmp_path):
    """Fields of the wrong type used to raise out of the lookup (TypeError, AttributeError)."""
    db = tmp_path / "db"
    shapes = [{"id": "A", "affected": 5}, {"id": "B", "affected": ["x", 3, None]},
              {"id": "C", "affected": [{"package": "demo-pkg"}]},
              {"id": "D", "affected": [{"package": {"name": "demo-pkg", "ecosystem": "PyPI"},
                                        "versions": 7, "ranges": {"x": 1}}]},
              {"id": "E", "aliases": 9, "affected": [{"package": {"name": "demo-pkg", "ecosystem": "PyPI"},
                                                      "ranges": [{"type": "ECOSYSTEM", "events": 3}]}]},
              {"id": "F", "aliases": ["CVE-1"] * 500, "summary": ["not", "text"],
               "affected": [{"package": {"name": "demo-pkg", "ecosystem": "PyPI"},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}] +
                                         [{"fixed": f"9.{i}"} for i in range(500)]}]}]},
              {"id": {"nested": True}, "affected": [{"package": {"name": ["x"], "ecosystem": "PyPI"}}]}]
    write(db, "vulns/demo-pkg/all.json", json.dumps(shapes))
    result = OsvDirectorySource(db).lookup([dep("demo-pkg", "1.0")])
    assert result.status == "checked"
    [v] = result.vulns
    assert v.id == "F" and len(v.aliases) == len(v.fixed) == vulns_mod.MAX_LIST_ITEMS and v.summary == ""


def test_vuln_db_size_bounds(tmp_path, monkeypatch):
    monkeypatch.setattr(vulns_mod, "DB_MAX_FILE_BYTES", 2_000)
    monkeypatch.setattr(vulns_mod, "DB_MAX_TOTAL_BYTES", 600)
    db = tmp_path / "db"
    write(db, "big.json", json.dumps({"id": "BIG", "details": "x" * 5_000}))
    for i in range(5):
        write(db, f"r{i}.json", json.dumps({**PYPI_RECORD, "id": f"R{i}"}))
    result = OsvDirectorySource(db).lookup([dep("demo-pkg", "1.0")])
    assert [v.id for v in result.vulns] == ["R0", "R1"]
    assert "1 record files in --vuln-db over 0.002 MB were not read." in result.limits
    assert any(lim.startswith("Reading in --vuln-db stopped at") for lim in result.limits)


def test_vuln_db_entry_and_file_counts(tmp_path, monkeypatch):
    monkeypatch.setattr(vulns_mod, "DB_MAX_FILES", 3)
    db = tmp_path / "db"
    for i in range(6):
        write(db, f"r{i}.json", json.dumps({**PYPI_RECORD, "id": f"R{i}"}))
    result = OsvDirectorySource(db).lookup([dep("demo-pkg", "1.0")])
    assert [v.id for v in result.vulns] == ["R0", "R1", "R2"]
    assert "Only the first 3 record files in --vuln-db were listed; 3 more were not read." in result.limits
    monkeypatch.setattr(vulns_mod, "DB_MAX_ENTRIES", 4)
    result = OsvDirectorySource(db).lookup([dep("demo-pkg", "1.0")])
    assert any(lim.startswith("Listing in --vuln-db stopped after 4") for lim in result.limits)


def test_vuln_db_lookup_stops_at_the_deadline(tmp_path):
    db = tmp_path / "db"
    write(db, "r.json", json.dumps(PYPI_RECORD))
    result = OsvDirectorySource(db, deadline=time.monotonic() - 1).lookup([dep("demo-pkg", "1.0")])
    assert result.status == "not_checked" and result.unchecked == ["demo-pkg"]
    assert "time for vulnerability lookups ran out" in result.reason


# ============================================================================ network faults
class FaultServer:
    """A TCP service on 127.0.0.1 that misbehaves in one way:

    ``hang``: accepts and never answers; ``garbage``: answers random bytes (not HTTP) and closes;
    ``http-garbage``: a 200 whose body is not JSON; ``trickle``: a 200, then one byte every 0.2 s
    forever; ``trickle-headers``: header lines one every 0.2 s forever; ``endless``: a 200 with a
    body that never ends, as fast as it can be read.
    """

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> FaultServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()
        for conn in self.conns:
            try:
                conn.close()
            except OSError:
                pass

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.conns.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        try:
            conn.settimeout(0.5)
            try:
                conn.recv(65536)
            except OSError:
                pass
            if self.mode == "hang":
                self.stop.wait()
            elif self.mode == "garbage":
                conn.sendall(random.Random(7).randbytes(4096))
            elif self.mode == "http-garbage":
                body = b"\x00<html>not json]]}"
                conn.sendall(ok + b"Content-Length: %d\r\n\r\n" % len(body) + body)
            elif self.mode == "trickle":
                conn.sendall(ok + b"\r\n")
                while not self.stop.wait(0.2):
                    conn.sendall(b" ")
            elif self.mode == "trickle-headers":
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
                while not self.stop.wait(0.2):
                    conn.sendall(b"X-A: b\r\n")
            elif self.mode == "endless":
                conn.sendall(ok + b"\r\n")
                chunk = b"[" * 1_000_000
                while not self.stop.is_set():
                    conn.sendall(chunk)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


FAULTS = ["hang", "garbage", "http-garbage", "trickle", "trickle-headers", "endless"]


@pytest.mark.parametrize("mode", FAULTS)
def test_osv_api_fault_costs_at_most_the_timeout(mode):
    """An exchange waits at most its timeout in all: a server that trickles used to hold it forever
    (the socket timeout applies to each read, not to the answer)."""
    with FaultServer(mode) as server:
        started = time.monotonic()
        result = within(30, lambda: OsvApiSource(("npm",), base_url=server.url, timeout=2).lookup(
            [dep("left-pad", "1.0.0", "npm")]))
        elapsed = time.monotonic() - started
    assert elapsed < 4.5, elapsed
    assert (result.status, result.checked, result.vulns) == ("not_checked", 0, [])
    assert result.reason.startswith("OSV API not reachable") and "\n" not in result.reason


def test_osv_api_breaker_does_not_wait_twice():
    breaker: dict[str, str] = {}
    with FaultServer("hang") as server:
        first = OsvApiSource(("PyPI",), base_url=server.url, timeout=1.5, breaker=breaker)
        second = OsvApiSource(("npm",), base_url=server.url, timeout=1.5, breaker=breaker)
        first.lookup([dep("demo-pkg", "1.0")])
        started = time.monotonic()
        result = second.lookup([dep("left-pad", "1.0.0", "npm")])
        assert time.monotonic() - started < 0.5
    assert result.status == "not_checked" and "not tried again after: TimeoutError" in result.reason


@pytest.mark.parametrize("mode", ["closed", "hang", "garbage", "http-garbage", "trickle"])
def test_collector_completes_within_the_lookup_budget(tmp_path, mode):
    """pip-audit and the OSV API both pointed at a faulty service: the whole check takes at most
    the lookup budget, and what was not answered is not checked (never clean)."""
    write(tmp_path, "requirements.txt", "demo-pkg==1.0\nclean-pkg==2.0\n")
    write(tmp_path, "package.json", json.dumps({"dependencies": {"left-pad": "1.0.0"}}))
    budget = 4.0

    def run(url: str) -> DependencyFacts:
        return collect(tmp_path, offline=False, osv_api_url=url, lookup_budget=budget,
                       pip_audit_args=["--osv-url", f"{url}/v1/query", "--cache-dir", str(tmp_path / "c")])

    started = time.monotonic()
    if mode == "closed":
        facts = within(60, lambda: run(closed_port_url()))
    else:
        with FaultServer(mode) as server:
            facts = within(60, lambda: run(server.url))
    elapsed = time.monotonic() - started
    assert elapsed < budget + 3, elapsed
    check = facts.vuln_check
    assert (check.status, check.checked, facts.vulnerabilities) == ("not_checked", 0, [])
    assert check.unchecked == ["clean-pkg", "demo-pkg", "left-pad"]
    assert "OSV API not reachable" in check.reason


def test_scan_completes_against_a_hanging_service(tmp_path, git_env, monkeypatch):
    """``auditlib scan`` online, the vulnerability service (AUDITLIB_OSV_URL) accepting and never
    answering: the scan completes, vulnerabilities not checked."""
    from auditlib import cli

    repo = tmp_path / "repo"
    write(repo, "app.py", "import flask\n")
    write(repo, "requirements.txt", "flask==2.2.2\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "init"], check=True)
    monkeypatch.setattr(deps_mod, "VULN_LOOKUP_BUDGET", 4.0)
    out = tmp_path / "results.json"
    with FaultServer("hang") as server:
        monkeypatch.setenv("AUDITLIB_OSV_URL", server.url)
        started = time.monotonic()
        code = within(120, lambda: cli.main(["scan", str(repo), "--json", str(out), "-q"]))
        elapsed = time.monotonic() - started
    assert code == 0 and elapsed < 60
    check = json.loads(out.read_text())["facts"]["dependencies"]["vuln_check"]
    assert check["status"] == "not_checked" and "flask" in check["unchecked"]
    assert "OSV API not reachable" in check["reason"]


# ============================================================ property-based: parsers never raise
KINDS = {  # a file name per manifest kind
    "requirements": "requirements.txt", "pyproject": "pyproject.toml", "pipfile": "Pipfile",
    "setup.cfg": "setup.cfg", "setup.py": "setup.py", "package.json": "package.json",
    "package-lock": "package-lock.json", "pipfile.lock": "Pipfile.lock", "yarn.lock": "yarn.lock",
    "pnpm-lock": "pnpm-lock.yaml", "poetry.lock": "poetry.lock", "uv.lock": "uv.lock",
}
# Characters that matter to each format, so random text reaches past the first syntax check.
_SYNTAX = {
    "requirements": "abc-_.=<>~!;[],@ #\\\n'\"0123456789:/+*",
    "toml": "abcnmeprojctdsv-_.=[]{},\"' #\n0123456789",
    "json": "{}[]:,\" abcnmodules/ev0123456789.\\-_@^~",
    "yarn": "abc@^~:\"' ,\n#0123456789.version resolutinpm-_/",
    "pnpm": "abc@/_(): '\"\n0123456789.-packagesdvtru#",
    "ini": "[]=:;#\nabcoptinsl_requxtf. 0123456789<>-",
    "python": "setup()[]{}=,'\"+ \n#abcinstal_requxt0123456789:*.-",
}
_FORMAT = {"requirements": "requirements", "pyproject": "toml", "pipfile": "toml", "poetry.lock": "toml",
           "uv.lock": "toml", "package.json": "json", "package-lock": "json", "pipfile.lock": "json",
           "yarn.lock": "yarn", "pnpm-lock": "pnpm", "setup.cfg": "ini", "setup.py": "python"}


def _check_parsed(kind: str, text: str) -> None:
    started = time.monotonic()
    deps, notes = deps_mod.parse_manifest(text, KINDS[kind], kind)
    assert time.monotonic() - started < 10
    assert isinstance(deps, list) and all(isinstance(d, Dependency) for d in deps)
    assert all(isinstance(n, str) for n in notes)
    # A parser bug (an exception the parser did not expect) shows as "could not be parsed".
    assert not any("could not be parsed" in n for n in notes), notes
    assert len(deps) <= deps_mod.MAX_RECORDS_PER_FILE and deps.total >= len(deps)  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", sorted(KINDS))
@FUZZ
@given(data=st.data())
def test_parsers_never_raise_on_random_text(kind, data):
    text = data.draw(st.one_of(st.text(max_size=2_000),
                               st.text(alphabet=_SYNTAX[_FORMAT[kind]], max_size=2_000)))
    _check_parsed(kind, text)


@pytest.mark.parametrize("kind", sorted(KINDS))
@FUZZ
@given(raw=st.binary(max_size=2_000))
def test_parsers_never_raise_on_random_bytes(kind, raw):
    text = decode(raw)  # as the collector decodes files: UTF-8, UTF-16 with a BOM, else Latin-1
    if text is not None:
        _check_parsed(kind, text)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=15), inner, max_size=5),
    max_leaves=30)
_JSON_KEYS = st.sampled_from(["dependencies", "devDependencies", "optionalDependencies", "packages",
                              "default", "develop", "version", "name", "dev", "link", "node_modules/x",
                              "node_modules/@s/y", ""])
JSON_SHAPED = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["1.2.3", "^1.0.0", "==1.0", "npm:x@1.0.0", "v1.0.0", "*"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_KEYS | st.text(max_size=8), inner, max_size=5),
    max_leaves=40)


@pytest.mark.parametrize("kind", ["package.json", "package-lock", "pipfile.lock"])
@FUZZ
@given(value=st.one_of(JSON_VALUES, JSON_SHAPED))
def test_json_parsers_never_raise_on_any_json(kind, value):
    _check_parsed(kind, json.dumps(value, indent=1))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


_TOML_KEYS = st.sampled_from(["project", "dependencies", "optional-dependencies", "dependency-groups", "tool",
                              "poetry", "group", "dev-dependencies", "uv", "packages", "dev-packages",
                              "package", "name", "version", "source", "category", "python", "git", "extras"])
TOML_SHAPED = st.recursive(
    st.booleans() | st.integers() | st.text(max_size=12)
    | st.sampled_from(["1.2.3", "^1.0", "==1.0", ">=2", "*", "flask==2.2.2", "x[y]>=1; python_version<'3'"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TOML_KEYS | st.text(max_size=8), inner, max_size=5),
    max_leaves=40)


@pytest.mark.parametrize("kind", ["pyproject", "pipfile", "poetry.lock", "uv.lock"])
@FUZZ
@given(value=st.dictionaries(_TOML_KEYS, TOML_SHAPED, max_size=6))
def test_toml_parsers_never_raise_on_any_toml(kind, value):
    text = "\n".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items())
    _check_parsed(kind, text)


@FUZZ_FILES
@given(kind=st.sampled_from(sorted(KINDS)), raw=st.binary(max_size=3_000),
       encoding=st.sampled_from(["raw", "utf-16", "utf-8-sig", "latin-1"]))
def test_collector_never_raises_on_any_file(tmp_path_factory, kind, raw, encoding):
    root = tmp_path_factory.mktemp("fuzz")
    if encoding != "raw":
        raw = raw.decode("latin-1").encode(encoding)
    write(root, KINDS[kind], raw)
    assert manifest_kind(KINDS[kind]) is not None
    facts = within(30, lambda: collect(root))
    assert isinstance(facts, DependencyFacts)
    assert facts.reason is None or "could not be parsed" not in facts.reason


# ====================================================== property-based: well-formed input round-trips
NPM_NAMES = st.from_regex(r"(@[a-z0-9][a-z0-9-]{0,8}/)?[a-z0-9][a-z0-9.-]{0,15}", fullmatch=True)
PYPI_NAMES = st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9._-]{0,15}[A-Za-z0-9])?", fullmatch=True)
SEMVER = st.builds(lambda a, b, c, pre: f"{a}.{b}.{c}" + (f"-rc.{pre}" if pre is not None else ""),
                   st.integers(0, 999), st.integers(0, 999), st.integers(0, 999), st.none() | st.integers(0, 9))
PEP440 = st.builds(lambda parts, pre: ".".join(map(str, parts)) + (f"rc{pre}" if pre is not None else ""),
                   st.lists(st.integers(0, 999), min_size=1, max_size=4), st.none() | st.integers(0, 9))


def _npm_entries(draw: Any) -> list[tuple[str, str]]:
    return draw(st.lists(st.tuples(NPM_NAMES, SEMVER), min_size=1, max_size=25, unique_by=lambda e: e[0]))


def _pypi_entries(draw: Any) -> list[tuple[str, str]]:
    return draw(st.lists(st.tuples(PYPI_NAMES, PEP440), min_size=1, max_size=25,
                         unique_by=lambda e: canonicalize_name(e[0])))


def _npm_file(fmt: str, entries: list[tuple[str, str]]) -> tuple[str, str]:
    if fmt == "package.json":
        return "package.json", json.dumps({"name": "app", "dependencies": dict(entries)}, indent=2)
    if fmt == "package-lock v3":
        return "package-lock.json", json.dumps({"lockfileVersion": 3, "packages": {
            "": {"name": "app"}, **{f"node_modules/{n}": {"version": v} for n, v in entries}}}, indent=2)
    if fmt == "package-lock v1":
        return "package-lock.json", json.dumps({"lockfileVersion": 1, "dependencies": {
            n: {"version": v, "resolved": f"https://r/{n}.tgz"} for n, v in entries}}, indent=2)
    if fmt == "yarn v1":
        return "yarn.lock", "# yarn lockfile v1\n\n" + "".join(
            f'"{n}@^{v}", "{n}@~{v}":\n  version "{v}"\n  resolved "https://r/{n}.tgz"\n\n' for n, v in entries)
    if fmt == "yarn berry":
        return "yarn.lock", "__metadata:\n  version: 6\n\n" + "".join(
            f'"{n}@npm:^{v}":\n  version: {v}\n  resolution: "{n}@npm:{v}"\n\n' for n, v in entries)
    if fmt == "pnpm v6":
        return "pnpm-lock.yaml", "lockfileVersion: '6.0'\n\npackages:\n\n" + "".join(
            f"  /{n}@{v}:\n    resolution: {{integrity: sha512-x}}\n    dev: false\n\n" for n, v in entries)
    assert fmt == "pnpm v9"
    return "pnpm-lock.yaml", "lockfileVersion: '9.0'\n\npackages:\n\n" + "".join(
        f"  '{n}@{v}':\n    resolution: {{integrity: sha512-x}}\n\n" for n, v in entries)


def _pypi_file(fmt: str, entries: list[tuple[str, str]]) -> tuple[str, str]:
    if fmt == "requirements":
        return "requirements.txt", "".join(f"{n}=={v}  # pinned\n" for n, v in entries)
    if fmt == "pyproject pep621":
        items = ",\n".join(f'  "{n}=={v}"' for n, v in entries)
        return "pyproject.toml", f'[project]\nname = "app"\ndependencies = [\n{items}\n]\n'
    if fmt == "pyproject poetry":
        items = "".join(f'"{n}" = "{v}"\n' for n, v in entries)
        return "pyproject.toml", f'[tool.poetry.dependencies]\npython = "^3.11"\n{items}'
    if fmt == "pipfile":
        return "Pipfile", "[packages]\n" + "".join(f'"{n}" = "=={v}"\n' for n, v in entries)
    if fmt == "setup.cfg":
        return "setup.cfg", "[options]\ninstall_requires =\n" + "".join(f"    {n}=={v}\n" for n, v in entries)
    if fmt == "setup.py":
        items = ", ".join(f'"{n}=={v}"' for n, v in entries)
        return "setup.py", f"from setuptools import setup\nsetup(name='app', install_requires=[{items}])\n"
    if fmt == "pipfile.lock":
        return "Pipfile.lock", json.dumps({"default": {n: {"version": f"=={v}"} for n, v in entries}}, indent=4)
    if fmt == "poetry.lock":
        return "poetry.lock", "".join(f'[[package]]\nname = "{n}"\nversion = "{v}"\ncategory = "main"\n\n'
                                      for n, v in entries)
    assert fmt == "uv.lock"
    return "uv.lock", 'version = 1\n\n[[package]]\nname = "app"\nversion = "0.1.0"\nsource = { editable = "." }\n\n' + "".join(
        f'[[package]]\nname = "{n}"\nversion = "{v}"\nsource = {{ registry = "https://pypi.org/simple" }}\n\n'
        for n, v in entries)


NPM_FORMATS = ["package.json", "package-lock v3", "package-lock v1", "yarn v1", "yarn berry", "pnpm v6", "pnpm v9"]
PYPI_FORMATS = ["requirements", "pyproject pep621", "pyproject poetry", "pipfile", "setup.cfg", "setup.py",
                "pipfile.lock", "poetry.lock", "uv.lock"]


@pytest.mark.parametrize("fmt", NPM_FORMATS)
@FUZZ
@given(data=st.data())
def test_npm_formats_round_trip(fmt, data):
    entries = _npm_entries(data.draw)
    path, text = _npm_file(fmt, entries)
    deps, notes = deps_mod.parse_manifest(text, path, manifest_kind(path)[0])
    assert notes == []
    assert {(d.name, d.version) for d in deps} == set(entries)
    lines = text.splitlines()
    for d in deps:
        assert d.ecosystem == "npm" and d.pinned and d.path == path
        assert d.line is not None and d.name in lines[d.line - 1], (d, fmt)


@pytest.mark.parametrize("fmt", PYPI_FORMATS)
@FUZZ
@given(data=st.data())
def test_pypi_formats_round_trip(fmt, data):
    entries = _pypi_entries(data.draw)
    path, text = _pypi_file(fmt, entries)
    deps, notes = deps_mod.parse_manifest(text, path, manifest_kind(path)[0])
    assert notes == []
    assert {(d.name, d.version) for d in deps} == {(canonicalize_name(n), v) for n, v in entries}
    lines = text.lower().splitlines()
    for d in deps:
        assert d.ecosystem == "PyPI" and d.pinned and d.path == path
        assert d.line is not None, (d, fmt)
        written = next(n for n, _v in entries if canonicalize_name(n) == d.name)
        assert written.lower() in lines[d.line - 1], (d, fmt)


@FUZZ_FILES
@given(data=st.data())
def test_collector_round_trips_a_monorepo(tmp_path_factory, data):
    """Well-formed manifests in several folders through the whole collector: every pinned entry
    comes back once, at its own path, with counts that add up."""
    root = tmp_path_factory.mktemp("mono")
    expected: set[tuple[str, str, str]] = set()
    for i, fmt in enumerate(data.draw(st.lists(st.sampled_from(NPM_FORMATS + PYPI_FORMATS), min_size=1,
                                               max_size=4, unique=True))):
        npm = fmt in NPM_FORMATS
        entries = _npm_entries(data.draw) if npm else _pypi_entries(data.draw)
        path, text = (_npm_file if npm else _pypi_file)(fmt, entries)
        write(root, f"d{i}/{path}", text)
        expected |= {(f"d{i}/{path}", n if npm else canonicalize_name(n), v) for n, v in entries}
    facts = collect(root)
    assert {(d.path, d.name, d.version) for d in facts.dependencies} == expected
    assert facts.dependencies_found == len(expected) and facts.limits == [] and facts.reason is None

