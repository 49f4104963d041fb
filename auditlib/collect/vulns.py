"""Vulnerability sources: where the known vulnerabilities of pinned dependencies come from.

Every source sits behind :class:`VulnSource` and answers with a :class:`LookupResult`. A source that
cannot look something up says so (``not_checked`` with a reason, or the names it could not check);
it never answers "no vulnerabilities" for a lookup that did not happen.

- :class:`OsvDirectorySource`: a local directory of OSV records (YAML or JSON), e.g. a snapshot of
  the PyPA advisory database; works offline.
- :class:`PipAuditSource`: PyPI packages through the ``pip-audit`` CLI (its Python API is private).
- :class:`OsvApiSource`: OSV's ``querybatch`` HTTP API, for PyPI and npm.
- :class:`FallbackSource`: one source first, a second one for what the first could not answer.

Policy when online (no ``--vuln-db``), wired in :func:`auditlib.collect.dependencies`:

- PyPI: pip-audit first (``--no-deps --disable-pip --strict``); every pinned version pip-audit did
  not answer for (it failed, timed out, skipped a package) goes to the OSV API.
- npm: the OSV API.
- Offline with ``--vuln-db DIR``: :class:`OsvDirectorySource` for both ecosystems.

Whatever no source answered stays in ``unchecked`` and makes the status ``partial`` or
``not_checked``, with a one-line reason; a failed lookup is never reported as "no vulnerabilities".
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal

import semantic_version
import semver
import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from auditlib.models import Dependency, Vulnerability

Status = Literal["checked", "partial", "not_checked"]

SUMMARY_MAX = 200
RECORD_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class LookupResult:
    """What one source found for the dependencies it was asked about."""

    source: str
    """Where the data came from, e.g. ``osv-dir:/data/advisories`` or ``pip-audit (osv)``."""
    status: Status
    """``checked``: every dependency looked up; ``partial``: some; ``not_checked``: none."""
    vulns: list[Vulnerability] = field(default_factory=list)
    checked: int = 0
    """Distinct (package, version) pairs looked up."""
    unchecked: list[str] = field(default_factory=list)
    """Package names that could not be looked up (invalid version, service failure)."""
    reason: str | None = None
    """Why the lookup did not run, or ran in part."""


class VulnSource(ABC):
    """A place to look up known vulnerabilities of exact (pinned) dependency versions."""

    name: str
    ecosystems: frozenset[str]

    @abstractmethod
    def lookup(self, deps: list[Dependency]) -> LookupResult:
        """Look up the pinned dependencies of ``deps`` (others are ignored); never raises.

        The first dependency given for a (package, version) pair supplies the path and line of the
        vulnerabilities found for it, so pass direct manifest entries before lockfile entries.
        """


# ------------------------------------------------------------------------------------ versions
def normalise_name(name: str, ecosystem: str) -> str:
    """The name under which a package is indexed: PEP 503 for PyPI, as written for npm."""
    return canonicalize_name(name) if ecosystem == "PyPI" else name.strip()


def parse_version(version: str, ecosystem: str) -> Any:
    """A comparable version; ValueError when the string is not a version of the ecosystem."""
    if ecosystem == "PyPI":
        try:
            return Version(version)
        except InvalidVersion as exc:
            raise ValueError(str(exc)) from None
    text = version.strip()
    if text[:1] in ("v", "="):  # npm accepts "v1.2.3" and "=1.2.3" for the same version
        text = text[1:]
    return semver.Version.parse(text)


def fix_for(version: str, fixed: Iterable[str], ecosystem: str) -> str | None:
    """The lowest of ``fixed`` above ``version``: the upgrade that leaves the affected range the
    installed version sits in (a record may list one fix per release line). None when none is."""
    try:
        current = parse_version(version, ecosystem)
    except ValueError:
        return None
    above = []
    for text in fixed:
        try:
            parsed = parse_version(text, ecosystem)
        except ValueError:
            continue
        if parsed > current:
            above.append((parsed, text))
    return min(above, key=lambda p: p[0])[1] if above else None


_NPM_ANY = frozenset({"", "*", "latest", "x", "X"})


def spec_admits(spec: str, version: str, ecosystem: str) -> bool | None:
    """Whether the declared requirement ``spec`` (PEP 440 specifier, npm range) allows ``version``;
    None when either cannot be read (a Poetry caret, a git URL, a dist-tag other than latest)."""
    text = spec.strip()
    try:
        if ecosystem == "PyPI":
            if text.startswith("@") or ":" in text:
                return None  # a URL or VCS source: no version range
            return SpecifierSet(text).contains(Version(version), prereleases=True)
        alias = re.fullmatch(r"npm:@?[^@\s]+@(.*)", text)
        if alias:  # "npm:real-name@^1.2"
            text = alias.group(1).strip()
        if text in _NPM_ANY:
            return True
        if ":" in text or "/" in text:
            return None  # git, file:, link:, workspace:, a URL
        return semantic_version.NpmSpec(text).match(semantic_version.Version(
            version.strip().lstrip("v=")))
    except (InvalidSpecifier, InvalidVersion, ValueError, TypeError):
        return None


def _unique(deps: Iterable[Dependency]) -> dict[tuple[str, str, str], Dependency]:
    """(ecosystem, normalised name, version) -> the first dependency with that key."""
    out: dict[tuple[str, str, str], Dependency] = {}
    for dep in deps:
        if dep.pinned and dep.version:
            key = (dep.ecosystem, normalise_name(dep.name, dep.ecosystem), dep.version)
            out.setdefault(key, dep)
    return out


def _one_line(text: Any, limit: int = SUMMARY_MAX) -> str:
    text = str(text or "").strip()
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _status(checked: int, unchecked: list[str]) -> Status:
    if not unchecked:
        return "checked"
    return "partial" if checked else "not_checked"


# ------------------------------------------------------------------------------ OSV records
def _in_range(version: Any, events: list[dict], ecosystem: str) -> bool:
    """OSV range evaluation (the spec's pseudo-code): walk the events in version order."""
    parsed: list[tuple[Any, int, str]] = []
    for order, event in enumerate(events):
        if not isinstance(event, dict) or len(event) != 1:
            continue
        kind, value = next(iter(event.items()))
        value = str(value)
        if kind == "introduced" and value == "0":
            parsed.append((None, order, kind))  # "0" means from the very first version
            continue
        if kind not in ("introduced", "fixed", "last_affected", "limit"):
            continue
        parsed.append((parse_version(value, ecosystem), order, kind))
    # Events go in version order ("0" first); the record's own order breaks ties.
    starts = [p for p in parsed if p[0] is None]
    rest = sorted((p for p in parsed if p[0] is not None), key=lambda p: p[0])
    affected = False
    for key, _order, kind in starts + rest:
        if kind == "introduced" and (key is None or version >= key):
            affected = True
        elif kind == "fixed" and version >= key:
            affected = False
        elif kind == "last_affected" and version > key:
            affected = False
        elif kind == "limit" and version >= key:
            affected = False
    return affected


def _affects(affected: dict, version_text: str, version: Any, ecosystem: str) -> bool:
    for listed in affected.get("versions") or []:
        listed = str(listed)
        if listed == version_text:
            return True
        try:
            if parse_version(listed, ecosystem) == version:
                return True
        except ValueError:
            continue
    for rng in affected.get("ranges") or []:
        if not isinstance(rng, dict) or rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue  # GIT ranges name commits, not released versions
        try:
            if _in_range(version, list(rng.get("events") or []), ecosystem):
                return True
        except (ValueError, TypeError):
            continue  # a range we cannot read; the explicit list above still counts
    return False


def _fixed_versions(affected: dict) -> list[str]:
    fixed: list[str] = []
    for rng in affected.get("ranges") or []:
        if isinstance(rng, dict) and rng.get("type") in ("ECOSYSTEM", "SEMVER"):
            for event in rng.get("events") or []:
                if not isinstance(event, dict) or "fixed" not in event:
                    continue
                if str(event["fixed"]) not in fixed:
                    fixed.append(str(event["fixed"]))
    return fixed


def match_record(record: dict, dep: Dependency) -> Vulnerability | None:
    """The vulnerability ``record`` (an OSV record) describes for ``dep``'s exact version, if any.

    Raises ValueError when the dependency's version is not a valid version of its ecosystem.
    """
    if not isinstance(record, dict) or record.get("withdrawn"):
        return None
    assert dep.version is not None
    version = parse_version(dep.version, dep.ecosystem)
    name = normalise_name(dep.name, dep.ecosystem)
    fixed: list[str] = []
    hit = False
    for affected in record.get("affected") or []:
        pkg = (affected.get("package") if isinstance(affected, dict) else None) or {}
        if pkg.get("ecosystem") != dep.ecosystem:
            continue
        if normalise_name(str(pkg.get("name", "")), dep.ecosystem) != name:
            continue
        if _affects(affected, dep.version, version, dep.ecosystem):
            hit = True
            fixed.extend(f for f in _fixed_versions(affected) if f not in fixed)
    if not hit:
        return None
    aliases = [str(a) for a in record.get("aliases") or []]
    return Vulnerability(
        package=dep.name, version=dep.version, ecosystem=dep.ecosystem,
        id=str(record.get("id", "?")), aliases=aliases,
        summary=_one_line(record.get("summary") or record.get("details")), fixed=fixed,
        path=dep.path, line=dep.line, fix=fix_for(dep.version, fixed, dep.ecosystem),
    )


def _load_record(path: Path) -> list[dict]:
    """The OSV records in one file (a record, or a list of them); [] when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.load(text, Loader=_YAML_LOADER)
    except (OSError, ValueError, yaml.YAMLError):
        return []
    records = data if isinstance(data, list) else [data]
    return [r for r in records if isinstance(r, dict) and "id" in r]


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class OsvDirectorySource(VulnSource):
    """OSV records in a local directory (YAML and JSON, searched recursively); works offline.

    Records under ``.../vulns/<package>/`` (the PyPA advisory database layout) are read only for the
    packages asked about; any other record file is read once, on the first lookup.
    """

    ecosystems = frozenset({"PyPI", "npm"})

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.name = f"osv-dir:{self.path}"
        self._keyed: dict[str, list[Path]] | None = None
        self._loose: list[Path] = []
        self._loaded_keys: set[str] = set()
        self._by_name: dict[str, set[str]] = {}
        self._loose_loaded = False
        self._index: dict[tuple[str, str], list[dict]] = {}

    def _scan(self) -> None:
        """List the record files once (cheap: no parsing)."""
        self._keyed = {}
        for dirpath, dirnames, filenames in os.walk(self.path):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            here = Path(dirpath)
            keyed = here.parent.name == "vulns" and here != self.path
            for fn in filenames:
                if not fn.lower().endswith(RECORD_SUFFIXES):
                    continue
                if keyed:
                    self._keyed.setdefault(here.name, []).append(here / fn)
                else:
                    self._loose.append(here / fn)
        for dirname in self._keyed:
            for spelling in {dirname, canonicalize_name(dirname)}:
                self._by_name.setdefault(spelling, set()).add(dirname)

    def _add(self, path: Path) -> None:
        for record in _load_record(path):
            for affected in record.get("affected") or []:
                pkg = affected.get("package") if isinstance(affected, dict) else None
                if not isinstance(pkg, dict) or pkg.get("ecosystem") not in self.ecosystems:
                    continue
                key = (pkg["ecosystem"], normalise_name(str(pkg.get("name", "")), pkg["ecosystem"]))
                bucket = self._index.setdefault(key, [])
                if all(r is not record for r in bucket):
                    bucket.append(record)

    def _records_for(self, ecosystem: str, name: str) -> list[dict]:
        assert self._keyed is not None
        if not self._loose_loaded:
            for p in self._loose:
                self._add(p)
            self._loose_loaded = True
        # A directory is named for its package as written; PyPI names match in PEP 503 form.
        for dirname in self._by_name.get(name, ()):
            if dirname not in self._loaded_keys:
                self._loaded_keys.add(dirname)
                for p in self._keyed[dirname]:
                    self._add(p)
        return self._index.get((ecosystem, name), [])

    def lookup(self, deps: list[Dependency]) -> LookupResult:
        """Match the pinned dependencies against the records; see :class:`VulnSource`."""
        if not self.path.is_dir():
            names = sorted({d.name for d in deps})
            return LookupResult(self.name, "not_checked", unchecked=names,
                                reason=f"vulnerability database not found: {self.path}")
        if self._keyed is None:
            self._scan()
        vulns: list[Vulnerability] = []
        unchecked: list[str] = []
        checked = 0
        for (eco, name, _version), dep in _unique(deps).items():
            if eco not in self.ecosystems:
                unchecked.append(dep.name)
                continue
            try:
                parse_version(dep.version or "", eco)
            except ValueError:
                unchecked.append(dep.name)
                continue
            ids: set[str] = set()
            for record in self._records_for(eco, name):
                found = match_record(record, dep)
                if found is not None and found.id not in ids:  # one id may sit in two files
                    ids.add(found.id)
                    vulns.append(found)
            checked += 1
        reason = (f"{len(unchecked)} dependencies with versions the database cannot compare"
                  if unchecked else None)
        return LookupResult(self.name, _status(checked, unchecked), vulns, checked,
                            sorted(set(unchecked)), reason)


# ----------------------------------------------------------------------------------- pip-audit
def _pip_audit_failure(stderr: str, returncode: int) -> str:
    """One line saying why pip-audit produced no report."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    cause = re.search(r"Caused by (\w+)\((.*)", stderr)
    if cause:
        detail = cause.group(2)
        inner = re.search(r"(Failed to resolve '[^']+'|Connection refused|timed out|"
                          r"Name or service not known)", detail)
        msg = f"{cause.group(1)}: {inner.group(1) if inner else detail[:120]}"
        return f"pip-audit could not reach the vulnerability service: {msg}"
    last = next((ln for ln in reversed(lines) if not ln.startswith("WARNING")), "")
    if re.search(r"ConnectionError|ConnectTimeout|ReadTimeout|Max retries|Could not connect", last):
        return f"pip-audit could not reach the vulnerability service: {last[:160]}"
    return f"pip-audit failed (exit {returncode}): {last[:160] or 'no output'}"


class PipAuditSource(VulnSource):
    """PyPI packages through ``pip-audit`` (OSV service), run as a subprocess on pinned versions.

    ``--strict`` makes pip-audit fail instead of silently skipping a lookup, and any failure becomes
    ``not_checked``: pip-audit without it reports "No known vulnerabilities found" even when every
    lookup failed.
    """

    ecosystems = frozenset({"PyPI"})
    name = "pip-audit (osv)"

    def __init__(self, timeout: float = 120, extra_args: list[str] | None = None,
                 python: str | None = None) -> None:
        self.timeout = timeout
        self.extra_args = list(extra_args or [])
        """E.g. ``["--osv-url", url]`` to use another OSV-compatible service."""
        self.python = python or sys.executable

    def lookup(self, deps: list[Dependency]) -> LookupResult:
        """Run pip-audit on the pinned PyPI dependencies; see :class:`VulnSource`."""
        wanted: dict[tuple[str, str], Dependency] = {}
        unchecked: list[str] = []
        for (eco, name, version), dep in _unique(deps).items():
            if eco != "PyPI":
                unchecked.append(dep.name)
                continue
            try:
                canonical = str(Version(version))
            except InvalidVersion:
                unchecked.append(dep.name)
                continue
            if not re.fullmatch(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?", name):
                unchecked.append(dep.name)
                continue
            wanted.setdefault((name, canonical), dep)
        if not wanted:
            return LookupResult(self.name, "not_checked" if unchecked else "checked",
                                unchecked=sorted(set(unchecked)),
                                reason="no valid pinned PyPI versions" if unchecked else None)
        report, failure = self._run(wanted)
        if report is None:
            names = sorted({d.name for d in wanted.values()} | set(unchecked))
            return LookupResult(self.name, "not_checked", unchecked=names, reason=failure)
        vulns: list[Vulnerability] = []
        answered: set[tuple[str, str]] = set()
        for entry in report.get("dependencies") or []:
            if not isinstance(entry, dict) or entry.get("skip_reason"):
                continue
            try:
                key = (canonicalize_name(str(entry["name"])), str(Version(str(entry["version"]))))
            except (KeyError, InvalidVersion):
                continue
            dep = wanted.get(key)
            if dep is None:
                continue
            answered.add(key)
            for v in entry.get("vulns") or []:
                fixed = [str(f) for f in v.get("fix_versions") or []]
                vulns.append(Vulnerability(
                    package=dep.name, version=dep.version or key[1], ecosystem="PyPI",
                    id=str(v.get("id", "?")), aliases=[str(a) for a in v.get("aliases") or []],
                    summary=_one_line(v.get("description")), fixed=fixed,
                    path=dep.path, line=dep.line, fix=fix_for(key[1], fixed, "PyPI"),
                ))
        missing = [dep.name for key, dep in wanted.items() if key not in answered]
        unchecked = sorted(set(unchecked + missing))
        reason = (f"pip-audit did not report on {len(missing)} of {len(wanted)} packages"
                  if missing else None)
        if unchecked and not reason:
            reason = "some pinned versions are not valid PEP 440 versions"
        return LookupResult(self.name, _status(len(answered), unchecked), vulns, len(answered),
                            unchecked, reason)

    def _run(self, wanted: dict[tuple[str, str], Dependency]) -> tuple[dict | None, str | None]:
        """pip-audit's JSON report, or None and why not."""
        with tempfile.TemporaryDirectory(prefix="auditlib-pip-audit-") as tmp:
            req = Path(tmp) / "requirements.txt"
            req.write_text("".join(f"{n}=={v}\n" for n, v in wanted), encoding="utf-8")
            request_timeout = str(int(max(1, min(30, self.timeout))))
            cmd = [self.python, "-m", "pip_audit", "-r", str(req), "--no-deps", "--disable-pip",
                   "--strict", "-f", "json", "-s", "osv", "--progress-spinner", "off",
                   "--timeout", request_timeout, *self.extra_args]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout,
                                      cwd=tmp, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                return None, f"pip-audit timed out after {self.timeout:g} s"
            except OSError as exc:
                return None, f"pip-audit could not be started: {exc}"
        # Exit 1 with a report means "vulnerabilities found": a successful lookup.
        if proc.returncode in (0, 1):
            try:
                report = json.loads(proc.stdout)
            except ValueError:
                report = None
            if isinstance(report, dict) and isinstance(report.get("dependencies"), list):
                return report, None
        return None, _pip_audit_failure(proc.stderr, proc.returncode)


# ------------------------------------------------------------------------------------ OSV API
# What a failed HTTP exchange can raise: socket and HTTP errors (URLError and HTTPError are
# OSErrors), a truncated or non-JSON body, an answer of an unexpected shape.
_API_ERRORS = (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError,
               http.client.HTTPException)


def _api_failure(exc: BaseException) -> str:
    """One line saying why the OSV API did not answer."""
    detail = getattr(exc, "reason", None) or exc
    return _one_line(f"OSV API not reachable: {type(exc).__name__}: {detail}")


class OsvApiSource(VulnSource):
    """OSV's HTTP API for PyPI and npm: ``querybatch`` for the ids, then ``vulns/<id>`` for each
    record (querybatch answers with ids only)."""

    def __init__(self, ecosystems: Iterable[str] = ("PyPI", "npm"),
                 base_url: str = "https://api.osv.dev", timeout: float = 30) -> None:
        self.ecosystems = frozenset(ecosystems)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.name = f"osv api ({self.base_url})"

    def _call(self, path: str, body: dict | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, method="POST" if data else "GET",
            headers={"Content-Type": "application/json", "User-Agent": "auditlib"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            return json.loads(response.read(20_000_000))

    def lookup(self, deps: list[Dependency]) -> LookupResult:
        """Query OSV for the pinned dependencies; see :class:`VulnSource`.

        A failed ``querybatch`` means nothing was checked. When a record's details cannot be
        fetched afterwards, the advisory is still reported (OSV said it applies) with its id only,
        and the result is ``partial``.
        """
        items: list[tuple[tuple[str, str, str], Dependency]] = []
        unchecked: list[str] = []
        for key, dep in _unique(deps).items():
            try:
                if key[0] not in self.ecosystems:
                    raise ValueError(key[0])
                parse_version(key[2], key[0])
            except ValueError:
                unchecked.append(dep.name)
                continue
            items.append((key, dep))
        if not items:
            why = "no valid pinned versions to query" if unchecked else None
            return LookupResult(self.name, _status(0, unchecked),
                                unchecked=sorted(set(unchecked)), reason=why)
        try:
            ids = self._ids(items)
        except _API_ERRORS as exc:
            names = sorted({dep.name for _, dep in items} | set(unchecked))
            return LookupResult(self.name, "not_checked", unchecked=names,
                                reason=_api_failure(exc)[:200])
        records: dict[str, dict] = {}
        failed: list[str] = []
        for vid in sorted({v for found in ids for v in found}):
            try:
                record = self._call(f"/v1/vulns/{urllib.request.quote(vid, safe='')}")
            except _API_ERRORS:
                failed.append(vid)
                continue
            if isinstance(record, dict):
                records[vid] = record
        vulns: list[Vulnerability] = []
        for (_key, dep), found in zip(items, ids):
            for vid in found:
                record = records.get(vid)
                if record is None:
                    vulns.append(Vulnerability(package=dep.name, version=dep.version or "",
                                               ecosystem=dep.ecosystem, id=vid,
                                               summary="(advisory details could not be fetched)",
                                               path=dep.path, line=dep.line))
                    continue
                hit = match_record(record, dep)
                if hit is None and not record.get("withdrawn"):
                    # OSV said it applies; trust it even when our range reading disagrees (but
                    # claim no fixed version we could not place the installed version against).
                    hit = Vulnerability(
                        package=dep.name, version=dep.version or "", ecosystem=dep.ecosystem,
                        id=vid, aliases=[str(a) for a in record.get("aliases") or []],
                        summary=_one_line(record.get("summary") or record.get("details")),
                        path=dep.path, line=dep.line)
                if hit is not None:
                    vulns.append(hit)
        reasons = []
        if unchecked:
            reasons.append("some versions are not valid for their ecosystem")
        if failed:
            reasons.append(f"details of {len(failed)} advisories could not be fetched")
        status = _status(len(items), unchecked)
        if failed and status == "checked":
            status = "partial"
        return LookupResult(self.name, status, vulns, len(items), sorted(set(unchecked)),
                            "; ".join(reasons) or None)

    def _ids(self, items: list[tuple[tuple[str, str, str], Dependency]]) -> list[list[str]]:
        """The vulnerability ids OSV lists for each item (following page tokens)."""
        out: list[list[str]] = []
        for start in range(0, len(items), 1000):  # querybatch takes at most 1000 queries
            chunk = items[start:start + 1000]
            queries = [{"package": {"name": k[1], "ecosystem": k[0]}, "version": k[2]}
                       for k, _ in chunk]
            answer = self._call("/v1/querybatch", {"queries": queries})
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list) or len(results) != len(chunk):
                raise ValueError("unexpected querybatch answer")
            for query, result in zip(queries, results):
                found = [str(v["id"]) for v in (result or {}).get("vulns") or [] if "id" in v]
                token = (result or {}).get("next_page_token")
                pages = 0
                while token and pages < 20:
                    more = self._call("/v1/querybatch",
                                      {"queries": [{**query, "page_token": token}]})["results"][0]
                    found += [str(v["id"]) for v in more.get("vulns") or [] if "id" in v]
                    token, pages = more.get("next_page_token"), pages + 1
                out.append(found)
        return out


# ------------------------------------------------------------------------------ fallback
class FallbackSource(VulnSource):
    """``primary`` first; whatever it could not answer for goes to ``fallback``.

    Used for PyPI: pip-audit, then the OSV API for the versions pip-audit did not report on. The
    result is ``checked`` only when every pinned version was answered by one of the two; the
    primary's failure stays in the reason so the auditor sees which service did not answer.
    """

    def __init__(self, primary: VulnSource, fallback: VulnSource) -> None:
        self.primary, self.fallback = primary, fallback
        self.ecosystems = frozenset(primary.ecosystems | fallback.ecosystems)
        self.name = f"{primary.name}, then {fallback.name}"

    @staticmethod
    def _safe(source: VulnSource, deps: list[Dependency]) -> LookupResult:
        try:
            return source.lookup(deps)
        except Exception as exc:  # a source bug must not pass for "no vulnerabilities"
            return LookupResult(source.name, "not_checked",
                                unchecked=sorted({d.name for d in deps}),
                                reason=_one_line(f"failed: {type(exc).__name__}: {exc}"))

    def lookup(self, deps: list[Dependency]) -> LookupResult:
        """Look up with the primary, then the rest with the fallback; see :class:`VulnSource`."""
        first = self._safe(self.primary, deps)
        if not first.unchecked:
            return first
        missing = set(first.unchecked)
        retry = [d for d in deps if d.name in missing]
        second = self._safe(self.fallback, retry)
        reasons = []
        if first.reason:
            reasons.append(f"{self.primary.name}: {first.reason}")
        if second.checked:
            reasons.append(f"{second.checked} looked up with {self.fallback.name} instead")
        if second.reason:
            reasons.append(f"{self.fallback.name}: {second.reason}")
        checked = first.checked + second.checked
        unchecked = sorted(set(second.unchecked))
        status = _status(checked, unchecked)
        if status == "checked" and "partial" in (first.status, second.status) and second.reason:
            status = "partial"  # e.g. advisory details the fallback could not fetch
        used = [r.source for r in (first, second) if r.checked] or [first.source, second.source]
        vulns: dict[tuple[str, str, str, str], Vulnerability] = {}
        for v in first.vulns + second.vulns:  # a name split across both keeps one copy
            vulns.setdefault((v.ecosystem, v.package, v.version, v.id), v)
        return LookupResult(", then ".join(used), status, list(vulns.values()), checked,
                            unchecked, "; ".join(reasons) or None)
