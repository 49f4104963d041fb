"""Dependency collector: the manifests and lockfiles of the target, what they declare, and the known
vulnerabilities of the exact versions they pin.

Manifests are parsed as data (TOML, JSON, requirement lines); nothing of the target is installed,
resolved or run. Vulnerability lookups go through :mod:`auditlib.collect.vulns`.
"""

from __future__ import annotations

import bisect
import json
import re
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from auditlib.collect.files import FileSet, RepoFile
from auditlib.collect.vulns import (
    LookupResult,
    OsvApiSource,
    OsvDirectorySource,
    PipAuditSource,
    VulnSource,
)
from auditlib.models import Dependency, DependencyFacts, Manifest, Vulnerability, VulnCheck

Progress = Callable[[str], None] | None

OFFLINE_REASON = (
    "offline: vulnerability lookups skipped (pass --vuln-db DIR for an offline OSV database)"
)

# file name -> (kind, ecosystem, lockfile)
_FIXED_NAMES: dict[str, tuple[str, str, bool]] = {
    "pyproject.toml": ("pyproject", "PyPI", False),
    "pipfile": ("pipfile", "PyPI", False),
    "package.json": ("package.json", "npm", False),
    "pipfile.lock": ("pipfile.lock", "PyPI", True),
    "poetry.lock": ("poetry.lock", "PyPI", True),
    "uv.lock": ("uv.lock", "PyPI", True),
    "package-lock.json": ("package-lock", "npm", True),
    "npm-shrinkwrap.json": ("package-lock", "npm", True),
    "yarn.lock": ("yarn.lock", "npm", True),
    "pnpm-lock.yaml": ("pnpm-lock", "npm", True),
}
_REQ_NAME = re.compile(r"(requirements.*|.*[-_.]requirements)\.(txt|in)", re.I)
_DEV_WORDS = frozenset({"dev", "develop", "test", "tests", "testing", "lint", "doc", "docs", "ci"})
_NPM_EXACT = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
_POETRY_EXACT = re.compile(r"\d+(?:\.\d+)*(?:(?:a|b|rc|\.post|\.dev)\d+)*")


class _Malformed(Exception):
    """A manifest that cannot be read as what its name says."""


# ---------------------------------------------------------------------------------- detection
def manifest_kind(path: str) -> tuple[str, str, bool] | None:
    """(kind, ecosystem, lockfile) for a manifest or lockfile path, or None for any other file."""
    p = PurePosixPath(path)
    lower = p.name.lower()
    if lower in _FIXED_NAMES:
        # "Pipfile" is exact; package.json & co. are lower case by convention.
        return _FIXED_NAMES[lower]
    if _REQ_NAME.fullmatch(p.name) or (
        p.parent.name.lower() == "requirements" and p.suffix.lower() in (".txt", ".in")
    ):
        return ("requirements", "PyPI", False)
    return None


class _Lines:
    """Finds the 1-based line of an entry in a file's text; searches onwards from the last hit
    first, since manifests list entries in order (keeps big lockfiles linear)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.cursor = 0

    def find(self, pattern: str, flags: int = 0) -> int | None:
        rx = re.compile(pattern, flags)
        m = rx.search(self.text, self.cursor) or rx.search(self.text)
        if m is None:
            return None
        self.cursor = m.end()
        return bisect.bisect_right(self.starts, m.start())

    def name(self, name: str) -> int | None:
        """The line of ``name`` as a whole word (not inside a longer package name)."""
        return self.find(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", re.I)


# ------------------------------------------------------------------------------------- pinning
def pypi_pin(spec: str) -> str | None:
    """The version a PEP 440 specifier pins (``==X`` without wildcard, ``===X``), else None."""
    try:
        specs = SpecifierSet(spec)
    except InvalidSpecifier:
        return None
    for s in specs:
        if s.operator == "===" or (s.operator == "==" and "*" not in s.version):
            return s.version
    return None


def npm_pin(spec: str) -> str | None:
    """The exact version an npm range names (``1.2.3``, ``=1.2.3``, ``v1.2.3``), else None."""
    text = spec.strip()
    if text[:1] == "=":
        text = text[1:].strip()
    if text[:1] == "v":
        text = text[1:]
    return text if _NPM_EXACT.fullmatch(text) else None


def poetry_pin(constraint: str) -> str | None:
    """The exact version of a Poetry constraint (``1.2.3`` and ``==1.2.3`` are exact), else None."""
    text = constraint.strip()
    if text.startswith("==="):
        return text[3:].strip() or None
    if text.startswith("=="):
        text = text[2:].strip()
    return text if _POETRY_EXACT.fullmatch(text) else None


def _pypi(name: str, spec: str, version: str | None, path: str, line: int | None,
          dev: bool) -> Dependency:
    return Dependency(name=canonicalize_name(name), ecosystem="PyPI", spec=spec, version=version,
                      pinned=version is not None, path=path, line=line, dev=dev)


def _pep508(text: str, path: str, lines: _Lines, dev: bool, line: int | None = None
            ) -> Dependency | None:
    """A dependency from a PEP 508 string (``name[extra]>=1; marker``), None when unparsable."""
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None
    spec = f"@ {req.url}" if req.url else str(req.specifier)
    version = None if req.url else pypi_pin(spec)
    if line is None:
        line = lines.name(req.name)
    return _pypi(req.name, spec, version, path, line, dev)


# -------------------------------------------------------------------------------------- parsers
def _requirements_dev(path: str) -> bool:
    words = re.split(r"[-_./]", PurePosixPath(path).stem.lower())
    parent = PurePosixPath(path).parent.name.lower()
    return any(w in _DEV_WORDS for w in words) or parent in _DEV_WORDS


def parse_requirements(text: str, path: str) -> tuple[list[Dependency], int]:
    """Dependencies of a pip requirements file, and how many requirement lines were not understood.

    Comments, options (``-r``, ``-c``, ``-e``, ``--index-url``), per-line options (``--hash``),
    URLs and local paths are passed over; markers and extras are accepted.
    """
    dev = _requirements_dev(path)
    deps: list[Dependency] = []
    bad = 0
    physical = text.splitlines()
    i = 0
    while i < len(physical):
        start = i
        line = physical[i]
        # A trailing backslash continues the requirement on the next line (hash lists do this).
        while line.rstrip().endswith("\\") and i + 1 < len(physical):
            i += 1
            line = line.rstrip()[:-1] + " " + physical[i]
        i += 1
        line = re.sub(r"(^|\s)#.*", "", line).strip()
        if not line or line.startswith("-"):
            continue
        line = re.split(r"\s+--?[A-Za-z]", line, maxsplit=1)[0].strip()
        if re.match(r"(\.{0,2}/|[a-z+]+://|git\+|hg\+|svn\+|bzr\+|file:)", line, re.I) or (
            re.search(r"\.(whl|zip|tar\.gz|tgz)$", line.split(";")[0].strip(), re.I)
            and "@" not in line
        ):
            continue  # a URL or a local path: no package name and version to look up
        dep = _pep508(line, path, _Lines(""), dev, line=start + 1)
        if dep is None and ";" in line:  # an environment marker packaging cannot read
            dep = _pep508(line.split(";", 1)[0].strip(), path, _Lines(""), dev, line=start + 1)
        if dep is None:
            bad += 1
            continue
        deps.append(dep)
    return deps, bad


def _toml(text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _Malformed(f"TOML: {exc}") from None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _Malformed(f"JSON: {exc}") from None


def _table(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _poetry_dep(name: str, value: Any, path: str, lines: _Lines, dev: bool) -> Dependency:
    """A Poetry dependency: ``"^1.2"``, ``{version = "1.2.3", extras = [...]}``, ``{git = ...}``
    or a list of such constraints (one per Python version)."""
    if isinstance(value, list):
        specs = [v.get("version", "") if isinstance(v, dict) else str(v) for v in value]
        pins = {poetry_pin(s) for s in specs}
        version = pins.pop() if len(pins) == 1 else None
        spec = " || ".join(s for s in specs if s)
    elif isinstance(value, dict):
        if "version" in value:
            spec = str(value["version"])
        else:
            source = next((k for k in ("git", "url", "path", "file") if k in value), None)
            spec = f"{source}: {value[source]}" if source else ""
        version = poetry_pin(spec) if "version" in value else None
    else:
        spec = str(value)
        version = poetry_pin(spec)
    return _pypi(name, spec, version, path, lines.name(name), dev)


def parse_pyproject(text: str, path: str) -> list[Dependency]:
    """PEP 621 ``[project]`` dependencies (optional ones as dev), PEP 735 dependency groups,
    uv dev-dependencies and Poetry dependency tables (all groups but main as dev)."""
    data = _toml(text)
    lines = _Lines(text)
    deps: list[Dependency] = []

    def pep508_list(items: Any, dev: bool) -> None:
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                dep = _pep508(item, path, lines, dev)
                if dep is not None:
                    deps.append(dep)

    project = _table(data.get("project"))
    pep508_list(project.get("dependencies"), dev=False)
    for group in _table(project.get("optional-dependencies")).values():
        pep508_list(group, dev=True)
    for group in _table(data.get("dependency-groups")).values():
        pep508_list(group, dev=True)
    tool = _table(data.get("tool"))
    pep508_list(_table(tool.get("uv")).get("dev-dependencies"), dev=True)

    poetry = _table(tool.get("poetry"))
    tables: list[tuple[dict, bool]] = [(_table(poetry.get("dependencies")), False),
                                       (_table(poetry.get("dev-dependencies")), True)]
    for group_name, group in _table(poetry.get("group")).items():
        tables.append((_table(_table(group).get("dependencies")), group_name != "main"))
    for table, dev in tables:
        for name, value in table.items():
            if name.lower() == "python":  # the interpreter, not a package
                continue
            deps.append(_poetry_dep(name, value, path, lines, dev))
    return deps


def parse_pipfile(text: str, path: str) -> list[Dependency]:
    """``[packages]`` and ``[dev-packages]`` of a Pipfile (``"*"`` = any version)."""
    data = _toml(text)
    lines = _Lines(text)
    deps: list[Dependency] = []
    for section, dev in (("packages", False), ("dev-packages", True)):
        for name, value in _table(data.get(section)).items():
            if isinstance(value, dict):
                source = next((k for k in ("git", "path", "file") if k in value), None)
                spec = str(value.get("version", f"{source}: {value[source]}" if source else "*"))
            else:
                spec = str(value)
            version = pypi_pin(spec) if spec.strip() != "*" else None
            deps.append(_pypi(name, spec, version, path, lines.name(name), dev))
    return deps


def _npm_dep(name: str, spec: str, path: str, line: int | None, dev: bool) -> Dependency:
    real, real_spec = name, spec
    alias = re.fullmatch(r"npm:(@?[^@\s]+)@(.+)", spec.strip())
    if alias:  # "npm:other-package@1.2.3" installs other-package under this name
        real, real_spec = alias.group(1), alias.group(2)
    version = npm_pin(real_spec)
    return Dependency(name=real, ecosystem="npm", spec=spec, version=version,
                      pinned=version is not None, path=path, line=line, dev=dev)


def parse_package_json(text: str, path: str) -> list[Dependency]:
    """``dependencies``, ``optionalDependencies``, ``devDependencies`` (dev) of a package.json."""
    data = _json(text)
    if not isinstance(data, dict):
        raise _Malformed("package.json is not a JSON object")
    lines = _Lines(text)
    deps: list[Dependency] = []
    for section, dev in (("dependencies", False), ("optionalDependencies", False),
                         ("devDependencies", True)):
        lines.cursor = 0
        lines.find(rf'"{section}"\s*:')  # names are searched from the section's key onwards
        for name, spec in _table(data.get(section)).items():
            if not isinstance(spec, str):
                continue
            line = lines.find(rf'"{re.escape(name)}"\s*:')
            deps.append(_npm_dep(name, spec, path, line, dev))
    return deps


def parse_pipfile_lock(text: str, path: str) -> list[Dependency]:
    """Exact versions of a Pipfile.lock (``default``, and ``develop`` as dev)."""
    data = _json(text)
    if not isinstance(data, dict):
        raise _Malformed("Pipfile.lock is not a JSON object")
    lines = _Lines(text)
    deps: list[Dependency] = []
    for section, dev in (("default", False), ("develop", True)):
        for name, entry in _table(data.get(section)).items():
            spec = str(_table(entry).get("version", ""))
            version = pypi_pin(spec)
            if version is None:
                continue  # VCS or path entries carry no version
            line = lines.find(rf'"{re.escape(name)}"\s*:\s*\{{')
            deps.append(_pypi(name, spec, version, path, line, dev))
    return deps


def parse_toml_lock(text: str, path: str) -> list[Dependency]:
    """Exact versions of poetry.lock or uv.lock (``[[package]]`` tables); the project itself and
    local path packages are left out."""
    data = _toml(text)
    lines = _Lines(text)
    deps: list[Dependency] = []
    for pkg in data.get("package") or []:
        if not isinstance(pkg, dict) or not pkg.get("name") or not pkg.get("version"):
            continue
        source = _table(pkg.get("source"))
        if any(k in source for k in ("editable", "virtual", "directory", "path")) or \
                source.get("type") in ("directory", "file"):
            continue
        name, version = str(pkg["name"]), str(pkg["version"])
        line = lines.find(rf'^name\s*=\s*"{re.escape(name)}"', re.M)
        deps.append(_pypi(name, f"=={version}", version, path, line, pkg.get("category") == "dev"))
    return deps


def parse_package_lock(text: str, path: str) -> list[Dependency]:
    """Exact versions of package-lock.json / npm-shrinkwrap.json: lockfile v2/v3 ``packages`` or
    v1 nested ``dependencies``."""
    data = _json(text)
    if not isinstance(data, dict):
        raise _Malformed("lockfile is not a JSON object")
    lines = _Lines(text)
    deps: list[Dependency] = []
    packages = data.get("packages")
    if isinstance(packages, dict):
        for key, entry in packages.items():
            entry = _table(entry)
            if "node_modules/" not in key or entry.get("link") or not entry.get("version"):
                continue  # the root project, workspace links
            name = str(entry.get("name") or key.rsplit("node_modules/", 1)[1])
            line = lines.find(rf'"{re.escape(key)}"\s*:')
            version = str(entry["version"])
            deps.append(Dependency(name=name, ecosystem="npm", spec=version, version=version,
                                   pinned=True, path=path, line=line, dev=bool(entry.get("dev"))))
        return deps

    def walk(tree: Any) -> None:
        for name, entry in _table(tree).items():
            entry = _table(entry)
            version = entry.get("version")
            if isinstance(version, str) and npm_pin(version):
                line = lines.find(rf'"{re.escape(name)}"\s*:\s*\{{')
                deps.append(Dependency(name=name, ecosystem="npm", spec=version,
                                       version=npm_pin(version), pinned=True, path=path,
                                       line=line, dev=bool(entry.get("dev"))))
            walk(entry.get("dependencies"))

    walk(data.get("dependencies"))
    return deps


_PARSERS: dict[str, Callable[[str, str], list[Dependency]]] = {
    "pyproject": parse_pyproject,
    "pipfile": parse_pipfile,
    "package.json": parse_package_json,
    "pipfile.lock": parse_pipfile_lock,
    "poetry.lock": parse_toml_lock,
    "uv.lock": parse_toml_lock,
    "package-lock": parse_package_lock,
}


def _dedupe(deps: Iterable[Dependency]) -> list[Dependency]:
    """Drop repeats of one package version within a file (nested lockfile copies)."""
    seen: set[tuple[str, str, str, str | None]] = set()
    out = []
    for d in deps:
        key = (d.ecosystem, d.name, d.spec, d.version)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


# ------------------------------------------------------------------------------------ collector
def collect_dependencies(files: FileSet, *, offline: bool = False, vuln_db: Path | None = None,
                         pip_audit_timeout: float = 120, progress: Progress = None
                         ) -> DependencyFacts:
    """Find the target's manifests and lockfiles, list what they declare, and look up the known
    vulnerabilities of every exactly pinned version.

    ``vuln_db``: a directory of OSV records used for PyPI and npm (works offline). Without it,
    ``offline`` skips lookups; online, PyPI goes through pip-audit and npm through OSV's API.
    Never raises for malformed manifests or failed lookups: they are recorded in ``reason`` and
    ``vuln_check``.
    """
    manifests: list[Manifest] = []
    deps: list[Dependency] = []
    problems: list[str] = []
    found = [(f, kind) for f in files.files if (kind := manifest_kind(f.path)) is not None]
    if progress:
        progress(f"dependencies: parsing {len(found)} manifests")
    for f, (kind, ecosystem, lockfile) in found:
        manifests.append(Manifest(path=f.path, kind=kind, ecosystem=ecosystem, lockfile=lockfile))
        parsed, problem = _parse_one(files, f, kind)
        deps.extend(parsed)
        if problem:
            problems.append(problem)
    reason = ("skipped: " + "; ".join(problems)) if problems else None
    if not manifests:
        return DependencyFacts(reason=reason)
    vulns, check = _check(deps, manifests, offline=offline, vuln_db=vuln_db,
                          pip_audit_timeout=pip_audit_timeout, progress=progress)
    return DependencyFacts(manifests=manifests, dependencies=deps, vulnerabilities=vulns,
                           vuln_check=check, reason=reason)


def _parse_one(files: FileSet, f: RepoFile, kind: str) -> tuple[list[Dependency], str | None]:
    if kind not in _PARSERS and kind != "requirements":
        return [], None  # recorded as a lockfile, not read (yarn.lock, pnpm-lock.yaml)
    text = files.read_text(f)
    if text is None:
        return [], f"{f.path} (binary, too large or unreadable)"
    try:
        if kind == "requirements":
            parsed, bad = parse_requirements(text, f.path)
            return _dedupe(parsed), (f"{f.path}: {bad} lines not understood" if bad else None)
        return _dedupe(_PARSERS[kind](text, f.path)), None
    except _Malformed as exc:
        return [], f"{f.path} ({str(exc).splitlines()[0][:120]})"
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        # Valid syntax with an unexpected shape (a list where a table belongs, ...).
        return [], f"{f.path} (unexpected structure: {type(exc).__name__})"


def _key(d: Dependency) -> tuple[str, str]:
    return (d.ecosystem, canonicalize_name(d.name) if d.ecosystem == "PyPI" else d.name)


def _check(deps: list[Dependency], manifests: list[Manifest], *, offline: bool,
           vuln_db: Path | None, pip_audit_timeout: float, progress: Progress
           ) -> tuple[list[Vulnerability], VulnCheck]:
    """Run the lookups and fold the per-source results into one VulnCheck."""
    unread = [m.path for m in manifests if m.kind not in _PARSERS and m.kind != "requirements"]
    unread_note = f"lockfile format not read: {', '.join(unread)}" if unread else None
    if not deps:
        reason = "; ".join(filter(None, ["no dependencies found in the manifests", unread_note]))
        return [], VulnCheck(status="not_checked", reason=reason)
    pinned_keys = {_key(d) for d in deps if d.pinned}
    # An unpinned entry is covered when a lockfile (or another manifest) pins the same package.
    unpinned = sorted({d.name for d in deps if not d.pinned and _key(d) not in pinned_keys})
    lockfiles = {m.path for m in manifests if m.lockfile}
    # Direct manifest entries first: they give the location a vulnerability is reported at.
    pinned = sorted((d for d in deps if d.pinned), key=lambda d: d.path in lockfiles)
    if vuln_db is None and offline:
        return [], VulnCheck(status="not_checked", reason=OFFLINE_REASON,
                             unchecked=sorted({d.name for d in deps}))

    results: list[LookupResult] = []
    by_eco = {eco: [d for d in pinned if d.ecosystem == eco] for eco in ("PyPI", "npm")}
    if vuln_db is not None:
        todo: list[tuple[VulnSource, list[Dependency]]] = [(OsvDirectorySource(vuln_db), pinned)]
    else:
        todo = [(PipAuditSource(timeout=pip_audit_timeout), by_eco["PyPI"]),
                (OsvApiSource(("npm",), timeout=min(30.0, pip_audit_timeout)), by_eco["npm"])]
    for source, wanted in todo:
        if not wanted:
            continue
        if progress:
            progress(f"dependencies: looking up {len(wanted)} pinned versions ({source.name})")
        try:
            results.append(source.lookup(wanted))
        except Exception as exc:  # a source bug must not pass for "no vulnerabilities"
            why = f"{source.name} failed: {type(exc).__name__}: {exc}"[:200]
            results.append(LookupResult(source.name, "not_checked",
                                        unchecked=sorted({d.name for d in wanted}), reason=why))
    return _combine(results, unpinned, unread_note)


def _combine(results: list[LookupResult], unpinned: list[str], note: str | None
             ) -> tuple[list[Vulnerability], VulnCheck]:
    vulns = [v for r in results for v in r.vulns]
    checked = sum(r.checked for r in results)
    unchecked = sorted(set(unpinned).union(*(r.unchecked for r in results)))
    reasons = [f"{r.source}: {r.reason}" for r in results if r.reason]
    if unpinned:
        reasons.append(f"{len(unpinned)} unpinned dependencies not looked up "
                       "(installed version unknown)")
    if note:
        reasons.append(note)
    if checked == 0:
        status = "not_checked"
    elif unchecked or any(r.status != "checked" for r in results):
        status = "partial"
    else:
        status = "checked"
    sources = ", ".join(r.source for r in results) or None
    check = VulnCheck(status=status, source=sources, reason="; ".join(reasons) or None,
                      checked=checked, unchecked=unchecked)
    return vulns, check
