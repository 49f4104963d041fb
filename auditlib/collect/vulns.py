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

Bounds (the services and the ``--vuln-db`` folder are input too, possibly hostile or broken):

- Time: every source takes a ``deadline`` (``time.monotonic()`` value) shared by the whole check.
  pip-audit gets at most two thirds of what is left (its process group is killed after that); each
  OSV API exchange at most ``timeout`` seconds and never past the deadline, the connection, TLS
  and the whole answer included (the exchange runs in a helper thread that is abandoned, and its
  socket shut down, when it overruns). A service that is unreachable, accepts and never answers,
  trickles, or answers garbage costs at most the deadline; what it did not answer is
  ``not_checked``. After one transport failure an :class:`OsvApiSource` sharing a ``breaker``
  with another does not try the same service again.
- Size: an OSV API answer is read up to ``MAX_ANSWER_BYTES``; at most ``MAX_IDS_PER_PACKAGE``
  advisories per version (every source) and ``MAX_RECORD_FETCHES`` advisory fetches per lookup;
  at most ``MAX_VULNS_PER_LOOKUP`` vulnerabilities kept per lookup (the others are counted);
  aliases and fixed versions are cut to ``MAX_LIST_ITEMS``.
- ``--vuln-db``: only regular files are read (no FIFO, device, socket or symlink, checked again on
  the open file), each at most ``DB_MAX_FILE_BYTES``, in all at most ``DB_MAX_TOTAL_BYTES`` and
  ``DB_MAX_FILES``; folders deeper than ``DB_MAX_DEPTH`` are not searched and at most
  ``DB_MAX_ENTRIES`` folder entries are looked at. Unreadable records (binary, malformed, nested
  too deep) are counted. What was passed over is said in ``LookupResult.limits``.
"""

from __future__ import annotations

import collections
import errno
import http.client
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
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

from auditlib import workdirs
from auditlib.models import Dependency, Vulnerability

Status = Literal["checked", "partial", "not_checked"]

SUMMARY_MAX = 200
RECORD_SUFFIXES = (".yaml", ".yml", ".json")

MAX_ANSWER_BYTES = 20_000_000
"""Largest OSV API answer read; a longer one is a failed exchange."""
MAX_IDS_PER_PACKAGE = 100
"""Advisories kept per (package, version), from any source."""
MAX_RECORD_FETCHES = 1_000
"""Advisory records fetched from the OSV API per lookup; the others are reported by id."""
MAX_LIST_ITEMS = 20
"""Aliases and fixed versions kept per vulnerability."""
MAX_VULNS_PER_LOOKUP = 10_000
"""Vulnerabilities one lookup keeps; more are counted in ``LookupResult.dropped``."""
MAX_ID_CHARS = 100
PIP_AUDIT_SHARE = 2 / 3
"""Of the time left before the deadline, the part pip-audit may use (the OSV API needs the rest)."""

DB_MAX_FILE_BYTES = 32_000_000
"""An OSV record file larger than this in ``--vuln-db`` is not read."""
DB_MAX_TOTAL_BYTES = 512_000_000
"""At most this much of ``--vuln-db`` is read in all."""
DB_MAX_FILES = 500_000
"""Record files listed in ``--vuln-db`` at most."""
DB_MAX_ENTRIES = 2_000_000
"""Folder entries looked at in ``--vuln-db`` at most (files, folders, anything)."""
DB_MAX_DEPTH = 32
"""Folders nested deeper than this in ``--vuln-db`` are not searched."""


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
    limits: list[str] = field(default_factory=list)
    """What the source passed over or capped in its own input (one sentence each)."""
    dropped: int = 0
    """Vulnerabilities found beyond ``MAX_VULNS_PER_LOOKUP``: counted, not kept."""


class _Vulns(list[Vulnerability]):
    """The vulnerabilities of one lookup: at most ``MAX_VULNS_PER_LOOKUP`` kept, the rest counted
    in ``dropped`` (a hostile database or service could otherwise fill the memory)."""

    def __init__(self) -> None:
        super().__init__()
        self.dropped = 0

    def append(self, v: Vulnerability) -> None:
        if len(self) < MAX_VULNS_PER_LOOKUP:
            super().append(v)
        else:
            self.dropped += 1


class VulnSource(ABC):
    """A place to look up known vulnerabilities of exact (pinned) dependency versions."""

    name: str
    ecosystems: frozenset[str]
    deadline: float | None = None
    """``time.monotonic()`` value after which the source stops waiting; None: no deadline."""

    def remaining(self) -> float:
        """Seconds left before the deadline (infinite without one)."""
        return float("inf") if self.deadline is None else self.deadline - time.monotonic()

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
        matched: bool = semantic_version.NpmSpec(text).match(semantic_version.Version(
            version.strip().lstrip("v=")))
        return matched
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
    text = (text if isinstance(text, str) else "").strip()
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _list(value: Any) -> list[Any]:
    """``value`` when it is a list, else [] (records are input: any field may have any type)."""
    return value if isinstance(value, list) else []


def _strs(values: Any, limit: int = MAX_LIST_ITEMS) -> list[str]:
    """The first ``limit`` scalar items of a list field, as bounded strings."""
    out = []
    for v in _list(values):
        if isinstance(v, (str, int, float)) and not isinstance(v, bool):
            out.append(str(v)[:MAX_ID_CHARS])
            if len(out) >= limit:
                break
    return out


def _id(value: Any) -> str:
    return str(value)[:MAX_ID_CHARS] if isinstance(value, (str, int)) else "?"


def _status(checked: int, unchecked: list[str]) -> Status:
    if not unchecked:
        return "checked"
    return "partial" if checked else "not_checked"


# ------------------------------------------------------------------------------ OSV records
def _in_range(version: Any, events: list[dict[str, Any]], ecosystem: str) -> bool:
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


def _affects(affected: dict[str, Any], version_text: str, version: Any, ecosystem: str) -> bool:
    for listed in _list(affected.get("versions")):
        if not isinstance(listed, (str, int, float)):
            continue
        listed = str(listed)
        if listed == version_text:
            return True
        try:
            if parse_version(listed, ecosystem) == version:
                return True
        except ValueError:
            continue
    for rng in _list(affected.get("ranges")):
        if not isinstance(rng, dict) or rng.get("type") not in ("ECOSYSTEM", "SEMVER"):
            continue  # GIT ranges name commits, not released versions
        try:
            if _in_range(version, _list(rng.get("events")), ecosystem):
                return True
        except (ValueError, TypeError):
            continue  # a range we cannot read; the explicit list above still counts
    return False


def _fixed_versions(affected: dict[str, Any]) -> list[str]:
    fixed: list[str] = []
    for rng in _list(affected.get("ranges")):
        if isinstance(rng, dict) and rng.get("type") in ("ECOSYSTEM", "SEMVER"):
            for event in _list(rng.get("events")):
                if not isinstance(event, dict) or not isinstance(event.get("fixed"), (str, int)):
                    continue
                if str(event["fixed"]) not in fixed:
                    fixed.append(str(event["fixed"])[:MAX_ID_CHARS])
                if len(fixed) >= MAX_LIST_ITEMS:
                    return fixed
    return fixed


def match_record(record: dict[str, Any], dep: Dependency) -> Vulnerability | None:
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
    for affected in _list(record.get("affected")):
        pkg = affected.get("package") if isinstance(affected, dict) else None
        if not isinstance(pkg, dict) or pkg.get("ecosystem") != dep.ecosystem:
            continue
        if normalise_name(str(pkg.get("name", "")), dep.ecosystem) != name:
            continue
        if _affects(affected, dep.version, version, dep.ecosystem):
            hit = True
            fixed.extend(f for f in _fixed_versions(affected) if f not in fixed)
    if not hit:
        return None
    fixed = fixed[:MAX_LIST_ITEMS]
    return Vulnerability(
        package=dep.name, version=dep.version, ecosystem=dep.ecosystem,
        id=_id(record.get("id", "?")), aliases=_strs(record.get("aliases")),
        summary=_one_line(record.get("summary") or record.get("details")), fixed=fixed,
        path=dep.path, line=dep.line, fix=fix_for(dep.version, fixed, dep.ecosystem),
    )


def _read_regular(path: Path, max_bytes: int) -> tuple[bytes | None, str | None]:
    """The bytes of ``path`` when it is a regular file of at most ``max_bytes``; else None and why
    (``special``: FIFO, device, socket, symlink; ``large``; ``unreadable``). Opened without following
    a link and without blocking (a FIFO would block ``open`` forever), then checked on the open file."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        # ELOOP: a symlink (O_NOFOLLOW); ENXIO: a socket or a FIFO without a writer on some systems
        return None, "special" if exc.errno in (errno.ELOOP, errno.ENXIO) else "unreadable"
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None, "special"
        if st.st_size > max_bytes:
            return None, "large"
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:  # grew while being read
            return None, "large"
        return b"".join(chunks), None
    except OSError:
        return None, "unreadable"
    finally:
        os.close(fd)


def _parse_records(data: bytes, suffix: str) -> list[dict[str, Any]] | None:
    """The OSV records in one file's bytes (a record, or a list of them); None when unreadable."""
    try:
        text = data.decode("utf-8")
        parsed = json.loads(text) if suffix == ".json" else yaml.load(text, Loader=_YAML_LOADER)
    except (ValueError, yaml.YAMLError, RecursionError, MemoryError, TypeError):
        return None
    records = parsed if isinstance(parsed, list) else [parsed]
    return [r for r in records if isinstance(r, dict) and "id" in r]


def _load_record(path: Path) -> list[dict[str, Any]]:
    """The OSV records in one file (a record, or a list of them); [] when unreadable."""
    data, _why = _read_regular(path, DB_MAX_FILE_BYTES)
    return (_parse_records(data, path.suffix.lower()) or []) if data is not None else []


_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class OsvDirectorySource(VulnSource):
    """OSV records in a local directory (YAML and JSON, searched recursively); works offline.

    Records under ``.../vulns/<package>/`` (the PyPA advisory database layout) are read only for the
    packages asked about; any other record file is read once, on the first lookup. Only regular
    files are read, within the ``DB_*`` bounds of this module; see its docstring.
    """

    ecosystems = frozenset({"PyPI", "npm"})

    def __init__(self, path: Path | str, deadline: float | None = None) -> None:
        self.path = Path(path)
        self.name = f"osv-dir:{self.path}"
        self.deadline = deadline
        self._keyed: dict[str, list[Path]] | None = None
        self._loose: list[Path] = []
        self._loaded_keys: set[str] = set()
        self._by_name: dict[str, set[str]] = {}
        self._loose_loaded = False
        self._index: dict[tuple[str, str], dict[int, dict[str, Any]]] = {}
        self._bytes_read = 0
        self.skipped: dict[str, int] = {}
        """What was passed over: special, large, unreadable, budget, deep, entries, files."""

    def _skip(self, why: str, n: int = 1) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + n

    def _scan(self) -> None:
        """List the record files once (cheap: no parsing), breadth first and without recursion, in
        name order, within ``DB_MAX_DEPTH``, ``DB_MAX_ENTRIES`` and ``DB_MAX_FILES``."""
        self._keyed = {}
        listed = entries = 0
        queue: collections.deque[tuple[Path, int]] = collections.deque([(self.path, 0)])
        while queue:
            here, depth = queue.popleft()
            keyed = here.parent.name == "vulns" and here != self.path
            try:
                with os.scandir(here) as it:
                    found = []
                    for entry in it:
                        entries += 1
                        if entries > DB_MAX_ENTRIES:
                            break
                        found.append(entry)
            except OSError:
                self._skip("unreadable")
                continue
            for entry in sorted(found, key=lambda e: e.name):
                try:
                    if entry.is_symlink():
                        if entry.name.lower().endswith(RECORD_SUFFIXES) or entry.is_dir():
                            self._skip("special")
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        if entry.name.startswith("."):
                            continue
                        if depth + 1 > DB_MAX_DEPTH:
                            self._skip("deep")
                        else:
                            queue.append((Path(entry.path), depth + 1))
                        continue
                    if not entry.name.lower().endswith(RECORD_SUFFIXES):
                        continue
                    if not entry.is_file(follow_symlinks=False):
                        self._skip("special")  # a FIFO, device or socket named like a record
                        continue
                except OSError:
                    self._skip("unreadable")
                    continue
                listed += 1
                if listed > DB_MAX_FILES:
                    self._skip("files")
                    continue
                if keyed:
                    self._keyed.setdefault(here.name, []).append(Path(entry.path))
                else:
                    self._loose.append(Path(entry.path))
            if entries > DB_MAX_ENTRIES:
                self._skip("entries")
                break
        for dirname in self._keyed:
            for spelling in {dirname, canonicalize_name(dirname)}:
                self._by_name.setdefault(spelling, set()).add(dirname)

    def _add(self, path: Path) -> None:
        if self._bytes_read >= DB_MAX_TOTAL_BYTES:
            self._skip("budget")
            return
        data, why = _read_regular(path, DB_MAX_FILE_BYTES)
        if data is None:
            self._skip(why or "unreadable")
            return
        self._bytes_read += len(data)
        if self._bytes_read > DB_MAX_TOTAL_BYTES:  # the file that crosses the line is not used
            self._skip("budget")
            return
        records = _parse_records(data, path.suffix.lower())
        if records is None:
            self._skip("unparsable")
            return
        for record in records:
            for affected in _list(record.get("affected")):
                pkg = affected.get("package") if isinstance(affected, dict) else None
                if not isinstance(pkg, dict) or pkg.get("ecosystem") not in self.ecosystems:
                    continue
                if not isinstance(pkg.get("name", ""), (str, int)):
                    continue
                key = (pkg["ecosystem"], normalise_name(str(pkg.get("name", "")), pkg["ecosystem"]))
                self._index.setdefault(key, {})[id(record)] = record  # one copy per record

    def _records_for(self, ecosystem: str, name: str) -> list[dict[str, Any]]:
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
        return list(self._index.get((ecosystem, name), {}).values())

    def limits(self) -> list[str]:
        """One sentence for each kind of thing passed over in the folder."""
        n, where = self.skipped, "in --vuln-db"
        out = []
        if n.get("special"):
            out.append(f"{n['special']:,} entries {where} that are not regular files (symlinks, FIFOs, "
                       "devices, sockets) were not read.")
        if n.get("large"):
            out.append(f"{n['large']:,} record files {where} over {DB_MAX_FILE_BYTES / 1e6:g} MB "
                       "were not read.")
        if n.get("budget"):
            out.append(f"Reading {where} stopped at {DB_MAX_TOTAL_BYTES / 1e6:g} MB in all: "
                       f"{n['budget']:,} record files were not read.")
        if n.get("files"):
            out.append(f"Only the first {DB_MAX_FILES:,} record files {where} were listed; "
                       f"{n['files']:,} more were not read.")
        if n.get("entries"):
            out.append(f"Listing {where} stopped after {DB_MAX_ENTRIES:,} folder entries; the rest "
                       "of the folder was not searched.")
        if n.get("deep"):
            out.append(f"{n['deep']:,} folders {where} nested deeper than {DB_MAX_DEPTH} levels "
                       "were not searched.")
        if n.get("unreadable") or n.get("unparsable"):
            bad = n.get("unreadable", 0) + n.get("unparsable", 0)
            out.append(f"{bad:,} record files {where} could not be read as OSV records "
                       "(unreadable, not UTF-8, malformed or nested too deep).")
        return out

    def lookup(self, deps: list[Dependency]) -> LookupResult:
        """Match the pinned dependencies against the records; see :class:`VulnSource`."""
        if not self.path.is_dir():
            names = sorted({d.name for d in deps})
            return LookupResult(self.name, "not_checked", unchecked=names,
                                reason=f"vulnerability database not found: {self.path}")
        if self._keyed is None:
            self._scan()
        vulns = _Vulns()
        unchecked: list[str] = []
        checked = 0
        late = 0
        for (eco, name, _version), dep in _unique(deps).items():
            if eco not in self.ecosystems or late or self.remaining() <= 0:
                late += eco in self.ecosystems
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
                    if len(ids) >= MAX_IDS_PER_PACKAGE:
                        break
            checked += 1
        reasons = []
        if len(unchecked) > late:
            reasons.append(f"{len(unchecked) - late} dependencies with versions the database "
                           "cannot compare")
        if late:
            reasons.append(f"{late} not looked up: the time for vulnerability lookups ran out")
        return LookupResult(self.name, _status(checked, unchecked), vulns, checked,
                            sorted(set(unchecked)), "; ".join(reasons) or None, self.limits(),
                            vulns.dropped)


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
                 python: str | None = None, deadline: float | None = None) -> None:
        self.timeout = timeout
        self.extra_args = list(extra_args or [])
        """E.g. ``["--osv-url", url]`` to use another OSV-compatible service."""
        self.python = python or sys.executable
        self.deadline = deadline

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
        vulns = _Vulns()
        answered: set[tuple[str, str]] = set()
        for entry in report.get("dependencies") or []:
            if not isinstance(entry, dict) or entry.get("skip_reason"):
                continue
            try:
                key = (canonicalize_name(str(entry["name"])), str(Version(str(entry["version"]))))
            except (KeyError, InvalidVersion):
                continue
            hit = wanted.get(key)
            if hit is None:
                continue
            answered.add(key)
            for v in _list(entry.get("vulns"))[:MAX_IDS_PER_PACKAGE]:
                if not isinstance(v, dict):
                    continue
                fixed = _strs(v.get("fix_versions"))
                vulns.append(Vulnerability(
                    package=hit.name, version=hit.version or key[1], ecosystem="PyPI",
                    id=_id(v.get("id", "?")), aliases=_strs(v.get("aliases")),
                    summary=_one_line(v.get("description")), fixed=fixed,
                    path=hit.path, line=hit.line, fix=fix_for(key[1], fixed, "PyPI"),
                ))
        missing = [dep.name for key, dep in wanted.items() if key not in answered]
        unchecked = sorted(set(unchecked + missing))
        reason = (f"pip-audit did not report on {len(missing)} of {len(wanted)} packages"
                  if missing else None)
        if unchecked and not reason:
            reason = "some pinned versions are not valid PEP 440 versions"
        return LookupResult(self.name, _status(len(answered), unchecked), vulns, len(answered),
                            unchecked, reason, dropped=vulns.dropped)

    def _run(self, wanted: dict[tuple[str, str], Dependency]) -> tuple[dict[str, Any] | None, str | None]:
        """pip-audit's JSON report, or None and why not.

        Waits at most ``timeout`` seconds, and at most ``PIP_AUDIT_SHARE`` of the time left before
        the deadline; then pip-audit's whole process group is killed."""
        timeout = min(self.timeout, self.remaining() * PIP_AUDIT_SHARE)
        if timeout < 1:
            return None, "not run: the time for vulnerability lookups ran out"
        with workdirs.temporary("pip-audit") as tmp:
            req = Path(tmp) / "requirements.txt"
            req.write_text("".join(f"{n}=={v}\n" for n, v in wanted), encoding="utf-8")
            request_timeout = str(int(max(1, min(30, timeout))))
            cmd = [self.python, "-m", "pip_audit", "-r", str(req), "--no-deps", "--disable-pip",
                   "--strict", "-f", "json", "-s", "osv", "--progress-spinner", "off",
                   "--timeout", request_timeout, *self.extra_args]
            try:
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        stdin=subprocess.DEVNULL, cwd=tmp, text=True,
                                        errors="replace", start_new_session=True)
            except OSError as exc:
                return None, f"pip-audit could not be started: {exc}"
            try:
                stdout, stderr = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                _kill_group(proc)
                return None, f"pip-audit timed out after {timeout:.3g} s"
        # Exit 1 with a report means "vulnerabilities found": a successful lookup.
        if proc.returncode in (0, 1):
            try:
                report = json.loads(stdout)
            except (ValueError, RecursionError):
                report = None
            if isinstance(report, dict) and isinstance(report.get("dependencies"), list):
                return report, None
        return None, _pip_audit_failure(stderr, proc.returncode)


def _kill_group(proc: subprocess.Popen[Any]) -> None:
    """Kill a process started with ``start_new_session`` and whatever it started, then reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except OSError:
        proc.kill()
    try:
        proc.communicate(timeout=5)
    except (subprocess.TimeoutExpired, OSError, ValueError):
        pass


# ------------------------------------------------------------------------------------ OSV API
# What a failed HTTP exchange can raise: socket and HTTP errors (URLError and HTTPError are
# OSErrors, so is TimeoutError), a truncated, oversize or non-JSON body (nested too deep
# included), an answer of an unexpected shape.
_API_ERRORS = (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError,
               RecursionError, http.client.HTTPException)


def _api_failure(exc: BaseException) -> str:
    """One line saying why the OSV API did not answer."""
    detail = getattr(exc, "reason", None) or exc
    return _one_line(f"OSV API not reachable: {type(exc).__name__}: {detail}")


def _tracking_handlers(conns: list[http.client.HTTPConnection]) -> list[urllib.request.BaseHandler]:
    """HTTP and HTTPS handlers that record every connection they open in ``conns`` (so a watchdog
    can shut its socket down); proxies and redirects work as with urllib's defaults."""

    class Http(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            class Conn(http.client.HTTPConnection):
                def connect(self) -> None:
                    conns.append(self)
                    super().connect()
            return self.do_open(Conn, req)

    class Https(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            class Conn(http.client.HTTPSConnection):
                def connect(self) -> None:
                    conns.append(self)
                    super().connect()
            return self.do_open(Conn, req, context=self._context)  # type: ignore[attr-defined]  # not in typeshed

    return [Http(), Https()]


def _shut(conns: list[http.client.HTTPConnection]) -> None:
    """Shut down the sockets of ``conns`` from another thread: a blocked read returns at once."""
    for conn in list(conns):
        sock = getattr(conn, "sock", None)
        if sock is None:
            continue
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the raw socket, under TLS too
        except (OSError, ValueError, TypeError):
            pass


def bounded_exchange(request: urllib.request.Request, timeout: float,
                     max_bytes: int = MAX_ANSWER_BYTES) -> bytes:
    """The body of the answer to ``request``, waiting at most ``timeout`` seconds in all: name
    resolution, connection, TLS, headers and body (a server that trickles one byte at a time
    included). Raises TimeoutError when the time is up, ValueError for an answer over
    ``max_bytes``, and what urllib raises otherwise.

    The exchange runs in a daemon thread; when it overruns, its socket is shut down and it is
    abandoned (it ends on its own, its per-read timeout being ``timeout`` too)."""
    conns: list[http.client.HTTPConnection] = []
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            opener = urllib.request.build_opener(*_tracking_handlers(conns))
            with opener.open(request, timeout=timeout) as response:
                box["data"] = response.read(max_bytes + 1)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=run, name="auditlib-osv-api", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        _shut(conns)
        raise TimeoutError(f"no complete answer within {timeout:.3g} s")
    if "error" in box:
        raise box["error"]
    data: bytes = box["data"]
    if len(data) > max_bytes:
        raise ValueError(f"answer over {max_bytes:,} bytes")
    return data


class OsvApiSource(VulnSource):
    """OSV's HTTP API for PyPI and npm: ``querybatch`` for the ids, then ``vulns/<id>`` for each
    record (querybatch answers with ids only).

    Each exchange waits at most ``timeout`` seconds and never past ``deadline``. ``breaker``, a
    dict shared by the sources that talk to one service, remembers a transport failure (refused,
    timed out, not HTTP): the sources sharing it then do not wait on that service again."""

    def __init__(self, ecosystems: Iterable[str] = ("PyPI", "npm"),
                 base_url: str = "https://api.osv.dev", timeout: float = 30,
                 deadline: float | None = None, breaker: dict[str, str] | None = None) -> None:
        self.ecosystems = frozenset(ecosystems)
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.deadline = deadline
        self.breaker = breaker if breaker is not None else {}
        self.name = f"osv api ({self.base_url})"

    def _call(self, path: str, body: dict[str, Any] | None = None) -> Any:
        tripped = self.breaker.get(self.base_url)
        if tripped:
            raise ConnectionError(f"not tried again after: {tripped}")
        timeout = min(self.timeout, self.remaining())
        if timeout <= 0.05:
            raise TimeoutError("the time for vulnerability lookups ran out")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path, data=data, method="POST" if data else "GET",
            headers={"Content-Type": "application/json", "User-Agent": "auditlib"})
        try:
            raw = bounded_exchange(request, timeout)
        except urllib.error.HTTPError:
            raise  # the service answered (404 for an unknown id, 500...): not a transport failure
        except (OSError, http.client.HTTPException) as exc:
            self.breaker[self.base_url] = f"{type(exc).__name__}: {getattr(exc, 'reason', None) or exc}"
            raise
        return json.loads(raw)

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
        records: dict[str, dict[Any, Any]] = {}
        failed: list[str] = []
        wanted_ids = sorted({v for found in ids for v in found})
        for n, vid in enumerate(wanted_ids):
            if n >= MAX_RECORD_FETCHES:
                failed.append(vid)
                continue
            try:
                record = self._call(f"/v1/vulns/{urllib.parse.quote(vid, safe='')}")
            except _API_ERRORS:
                failed.append(vid)
                continue
            if isinstance(record, dict):
                records[vid] = record
        vulns = _Vulns()
        for (_key, dep), found in zip(items, ids, strict=False):
            for vid in found:
                record = records.get(vid)
                if record is None:
                    vulns.append(Vulnerability(package=dep.name, version=dep.version or "",
                                               ecosystem=dep.ecosystem, id=vid,
                                               summary="(advisory details could not be fetched)",
                                               path=dep.path, line=dep.line))
                    continue
                try:
                    hit = match_record(record, dep)
                except ValueError:
                    hit = None
                if hit is None and not record.get("withdrawn"):
                    # OSV said it applies; trust it even when our range reading disagrees (but
                    # claim no fixed version we could not place the installed version against).
                    hit = Vulnerability(
                        package=dep.name, version=dep.version or "", ecosystem=dep.ecosystem,
                        id=vid, aliases=_strs(record.get("aliases")),
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
                            "; ".join(reasons) or None, dropped=vulns.dropped)

    def _ids(self, items: list[tuple[tuple[str, str, str], Dependency]]) -> list[list[str]]:
        """The vulnerability ids OSV lists for each item (following page tokens), at most
        ``MAX_IDS_PER_PACKAGE`` each."""

        def ids_of(result: Any) -> list[str]:
            if result is None:
                return []
            if not isinstance(result, dict):
                raise ValueError("unexpected querybatch result")
            return [_id(v["id"]) for v in _list(result.get("vulns"))
                    if isinstance(v, dict) and isinstance(v.get("id"), str)]

        out: list[list[str]] = []
        for start in range(0, len(items), 1000):  # querybatch takes at most 1000 queries
            chunk = items[start:start + 1000]
            queries = [{"package": {"name": k[1], "ecosystem": k[0]}, "version": k[2]}
                       for k, _ in chunk]
            answer = self._call("/v1/querybatch", {"queries": queries})
            results = answer.get("results") if isinstance(answer, dict) else None
            if not isinstance(results, list) or len(results) != len(chunk):
                raise ValueError("unexpected querybatch answer")
            for query, result in zip(queries, results, strict=False):
                found = ids_of(result)
                token = (result or {}).get("next_page_token")
                pages = 0
                while token and pages < 20 and len(found) < MAX_IDS_PER_PACKAGE:
                    more = self._call("/v1/querybatch",
                                      {"queries": [{**query, "page_token": token}]})["results"][0]
                    found += ids_of(more)
                    token, pages = more.get("next_page_token"), pages + 1
                out.append(list(dict.fromkeys(found))[:MAX_IDS_PER_PACKAGE])
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
                            unchecked, "; ".join(reasons) or None, first.limits + second.limits,
                            first.dropped + second.dropped)
