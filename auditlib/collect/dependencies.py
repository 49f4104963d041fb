"""Dependency collector: the manifests and lockfiles of the target, what they declare, and the known
vulnerabilities of the exact versions they pin.

Manifests are parsed as data (TOML, JSON, YAML-ish lockfiles, requirement lines, setup.cfg, and
setup.py through :mod:`ast`); nothing of the target is installed, resolved or run. Vulnerability
lookups go through :mod:`auditlib.collect.vulns` (see its docstring for which source answers what).

A lockfile covers the manifests of its own ecosystem in its directory and below (``web/yarn.lock``
covers ``web/package.json`` and ``web/packages/ui/package.json``, not ``api/package.json``); a
lockfile at the repository root covers the whole tree.

Bounds (issue 7: a 2.4 MB repository of generated lockfiles made 338 MB of results.json): no
manifest or lockfile over ``MAX_TEXT_BYTES`` is read (the inventory lists it as oversize), at most
``MAX_MANIFESTS`` paths are listed and read, ``MAX_PARSE_BYTES`` and ``PARSE_SECONDS`` in all;
at most ``MAX_RECORDS_PER_FILE`` entries are kept from one file and ``MAX_DEPENDENCIES`` in all
(direct manifests first), names, specs and versions are bounded, at most ``MAX_VULNERABILITIES``
vulnerabilities and ``MAX_UNCHECKED_LISTED`` unchecked names are kept. The ``*_found`` counts of
:class:`DependencyFacts` say how many there were and ``limits`` says, one sentence each, what
was capped or not read. Vulnerability lookups share one deadline, ``lookup_budget`` seconds.
"""

from __future__ import annotations

import ast
import bisect
import configparser
import json
import os
import re
import time
import tomllib
import warnings
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Iterable

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from auditlib.collect.files import MAX_TEXT_BYTES, FileSet, RepoFile
from auditlib.collect.vulns import (
    FallbackSource,
    LookupResult,
    OsvApiSource,
    OsvDirectorySource,
    PipAuditSource,
    VulnSource,
    spec_admits,
)
from auditlib.models import Dependency, DependencyFacts, Ecosystem, Manifest, VulnCheck, Vulnerability

Progress = Callable[[str], None] | None

OFFLINE_REASON = (
    "offline: vulnerability lookups skipped (pass --vuln-db DIR for an offline OSV database)"
)

# file name -> (kind, ecosystem, lockfile)
_FIXED_NAMES: dict[str, tuple[str, Ecosystem, bool]] = {
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
    "setup.cfg": ("setup.cfg", "PyPI", False),
    "setup.py": ("setup.py", "PyPI", False),
}
# What is read, kept and written (issue 7). A lockfile over MAX_TEXT_BYTES is not read: the
# inventory lists it as oversize, "not read by any collector".
MAX_MANIFESTS = 1_000
"""Manifest and lockfile paths listed and read at most (direct manifests first, shallowest first)."""
MAX_PARSE_BYTES = 24_000_000
"""Text parsed in all; the files past it are not read."""
PARSE_SECONDS = 30.0
"""Time spent parsing in all; the files past it are not read."""
MAX_RECORDS_PER_FILE = 10_000
"""Distinct entries kept from one manifest or lockfile (the rest are counted)."""
MAX_DEPENDENCIES = 20_000
"""Dependency entries kept in all (and looked up): direct manifests first, then lockfiles."""
MAX_VULNERABILITIES = 1_000
"""Vulnerabilities kept (each becomes a finding)."""
MAX_UNCHECKED_LISTED = 100
"""Names listed in ``VulnCheck.unchecked`` (``unchecked_count`` has the number)."""
MAX_NAME_CHARS = 214
"""npm's limit on a package name; a longer entry is no package and is left out."""
MAX_SPEC_CHARS = 200
"""A longer requirement is shortened; a longer version is not looked up."""
MAX_NOTES_PER_FILE = 5
MAX_PROBLEMS = 10
"""Problems named in ``reason``; the count of the others follows."""
VULN_LOOKUP_BUDGET = 120.0
"""Seconds all vulnerability lookups together may take (pip-audit, the OSV API, ``--vuln-db``)."""
DEFAULT_OSV_API = "https://api.osv.dev"
_REQ_NAME = re.compile(r"(requirements.*|.*[-_.]requirements)\.(txt|in)", re.I)
_DEV_WORDS = frozenset({"dev", "develop", "test", "tests", "testing", "lint", "doc", "docs", "ci"})
_NPM_EXACT = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
_POETRY_EXACT = re.compile(r"\d+(?:\.\d+)*(?:(?:a|b|rc|\.post|\.dev)\d+)*")


class _Malformed(Exception):
    """A manifest that cannot be read as what its name says."""


class _Records(list[Dependency]):
    """The entries a parser found: repeats of one (ecosystem, name, spec, version) dropped, at most
    ``MAX_RECORDS_PER_FILE`` kept; ``total`` counts the distinct entries seen, kept or not."""

    def __init__(self) -> None:
        super().__init__()
        self.total = 0
        self._seen: set[int] = set()

    def append(self, dep: Dependency) -> None:
        # A hash, not the tuple: a 2 MB file may name a million entries. (A collision, a chance of
        # about 1 in 30 million for a million entries, would drop one entry.)
        key = hash((dep.ecosystem, dep.name, dep.spec, dep.version))
        if key in self._seen:
            return
        self._seen.add(key)
        self.total += 1
        if len(self) < MAX_RECORDS_PER_FILE:
            super().append(dep)

    def extend(self, deps: Iterable[Dependency]) -> None:
        for dep in deps:
            self.append(dep)


# ---------------------------------------------------------------------------------- detection
def manifest_kind(path: str) -> tuple[str, Ecosystem, bool] | None:
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


_JSON_KEY = re.compile(r"\s*:")
_JSON_OBJECT_KEY = re.compile(r"\s*:\s*\{")
_TOML_NAME_KEY = re.compile(r"name\s*=\s*")


class _Lines:
    """Finds the 1-based line of an entry in a file's text; searches onwards from the last hit
    first, since manifests list entries in order (keeps big lockfiles linear).

    A hostile file can make every search miss (a JSON key written with ``\\u`` escapes is not in
    the text as decoded) and each miss scans the whole text: searching stops (the line is then
    unknown) once about 50 times the text has been scanned, or after ``MAX_RECORDS_PER_FILE`` +
    1,000 searches (no more entries are kept after that)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.cursor = 0
        self.budget = 50 * len(text) + 5_000_000
        self.calls = MAX_RECORDS_PER_FILE + 1_000

    def find(self, pattern: str, flags: int = 0) -> int | None:
        self.calls -= 1
        if self.budget <= 0 or self.calls < 0:
            return None
        rx = re.compile(pattern, flags)
        m = rx.search(self.text, self.cursor)
        self.budget -= (m.end() if m else len(self.text)) - self.cursor
        if m is None and self.budget > 0:
            m = rx.search(self.text)
            self.budget -= m.end() if m else len(self.text)
        if m is None:
            return None
        self.cursor = m.end()
        return bisect.bisect_right(self.starts, m.start())

    def literal(self, needle: str, accept: Callable[[int, int], bool] | None = None) -> int | None:
        """Like :meth:`find` for a literal ``needle`` (no regex to compile per entry: big lockfiles
        name thousands); ``accept(start, end)`` may refuse an occurrence."""
        self.calls -= 1
        if self.budget <= 0 or self.calls < 0 or not needle:
            return None
        text = self.text
        for start in ((self.cursor, 0) if self.cursor else (0,)):
            pos = start
            while self.budget > 0:
                i = text.find(needle, pos)
                self.budget -= (i if i >= 0 else len(text)) - pos + 64
                if i < 0:
                    break
                if accept is None or accept(i, i + len(needle)):
                    self.cursor = i + len(needle)
                    return bisect.bisect_right(self.starts, i)
                pos = i + 1
        return None

    def key(self, key: str, opens_object: bool = False) -> int | None:
        """The line of the JSON object key ``key`` (followed by ``:``, and by ``{`` when
        ``opens_object``)."""
        after = _JSON_OBJECT_KEY if opens_object else _JSON_KEY
        return self.literal(json.dumps(key, ensure_ascii=False),
                            lambda _s, e: after.match(self.text, e) is not None)

    def toml_name(self, name: str) -> int | None:
        """The line of ``name = "<name>"`` at the start of a line (a ``[[package]]`` table)."""
        def accept(start: int, _end: int) -> bool:
            line_start = self.text.rfind("\n", 0, start) + 1
            return _TOML_NAME_KEY.fullmatch(self.text, line_start, start) is not None
        return self.literal(f'"{name}"', accept)

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
_COMPILED_HEADER = re.compile(
    r"^#.*autogenerated by (pip-compile|uv via)", re.I | re.M)
"""The header pip-tools' ``pip-compile`` and ``uv pip compile`` write at the top of a requirements file."""


def is_compiled_requirements(text: str, deps: list[Dependency]) -> bool:
    """A requirements file written by ``pip-compile`` (or ``uv pip compile``) with every entry pinned
    ``==``: a lockfile of the project's whole dependency tree (issue 9). The header must be in the
    file's leading comment block, and at least one entry must be read."""
    head = "\n".join(line for line in text.splitlines()[:12] if line.startswith("#"))
    return bool(deps) and bool(_COMPILED_HEADER.search(head)) and all(d.pinned for d in deps)


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
    deps: list[Dependency] = _Records()
    bad = 0
    physical = text.splitlines()
    i = 0
    while i < len(physical):
        start = i
        parts = [physical[i]]
        # A trailing backslash continues the requirement on the next line (hash lists do this).
        while parts[-1].rstrip().endswith("\\") and i + 1 < len(physical):
            parts[-1] = parts[-1].rstrip()[:-1]
            i += 1
            parts.append(physical[i])
        line = " ".join(parts)
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


def _toml(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _Malformed(f"TOML: {exc}") from None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _Malformed(f"JSON: {exc}") from None


def _table(value: Any) -> dict[str, Any]:
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
    deps: list[Dependency] = _Records()

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
    tables: list[tuple[dict[Any, Any], bool]] = [(_table(poetry.get("dependencies")), False),
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
    deps: list[Dependency] = _Records()
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
    deps: list[Dependency] = _Records()
    for section, dev in (("dependencies", False), ("optionalDependencies", False),
                         ("devDependencies", True)):
        lines.cursor = 0
        lines.find(rf'"{section}"\s*:')  # names are searched from the section's key onwards
        for name, spec in _table(data.get(section)).items():
            if not isinstance(spec, str):
                continue
            line = lines.key(name)
            deps.append(_npm_dep(name, spec, path, line, dev))
    return deps


def parse_pipfile_lock(text: str, path: str) -> list[Dependency]:
    """Exact versions of a Pipfile.lock (``default``, and ``develop`` as dev)."""
    data = _json(text)
    if not isinstance(data, dict):
        raise _Malformed("Pipfile.lock is not a JSON object")
    lines = _Lines(text)
    deps: list[Dependency] = _Records()
    for section, dev in (("default", False), ("develop", True)):
        for name, entry in _table(data.get(section)).items():
            spec = str(_table(entry).get("version", ""))
            version = pypi_pin(spec)
            if version is None:
                continue  # VCS or path entries carry no version
            line = lines.key(name, opens_object=True)
            deps.append(_pypi(name, spec, version, path, line, dev))
    return deps


def parse_toml_lock(text: str, path: str) -> list[Dependency]:
    """Exact versions of poetry.lock or uv.lock (``[[package]]`` tables); the project itself and
    local path packages are left out."""
    data = _toml(text)
    lines = _Lines(text)
    deps: list[Dependency] = _Records()
    for pkg in data.get("package") or []:
        if not isinstance(pkg, dict) or not pkg.get("name") or not pkg.get("version"):
            continue
        source = _table(pkg.get("source"))
        if any(k in source for k in ("editable", "virtual", "directory", "path")) or \
                source.get("type") in ("directory", "file"):
            continue
        name, version = str(pkg["name"]), str(pkg["version"])
        line = lines.toml_name(name)
        deps.append(_pypi(name, f"=={version}", version, path, line, pkg.get("category") == "dev"))
    return deps


def parse_package_lock(text: str, path: str) -> list[Dependency]:
    """Exact versions of package-lock.json / npm-shrinkwrap.json: lockfile v2/v3 ``packages`` or
    v1 nested ``dependencies``."""
    data = _json(text)
    if not isinstance(data, dict):
        raise _Malformed("lockfile is not a JSON object")
    lines = _Lines(text)
    deps: list[Dependency] = _Records()
    packages = data.get("packages")
    if isinstance(packages, dict):
        for key, entry in packages.items():
            entry = _table(entry)
            if "node_modules/" not in key or entry.get("link") or not entry.get("version"):
                continue  # the root project, workspace links
            name = str(entry.get("name") or key.rsplit("node_modules/", 1)[1])
            line = lines.key(key)
            version = str(entry["version"])
            deps.append(Dependency(name=name, ecosystem="npm", spec=version, version=version,
                                   pinned=True, path=path, line=line, dev=bool(entry.get("dev"))))
        return deps

    def walk(tree: Any) -> None:
        for name, entry in _table(tree).items():
            entry = _table(entry)
            version = entry.get("version")
            if isinstance(version, str) and npm_pin(version):
                line = lines.key(name, opens_object=True)
                deps.append(Dependency(name=name, ecosystem="npm", spec=version,
                                       version=npm_pin(version), pinned=True, path=path,
                                       line=line, dev=bool(entry.get("dev"))))
            walk(entry.get("dependencies"))

    walk(data.get("dependencies"))
    return deps


# ---------------------------------------------------------------------------- yarn and pnpm
# A yarn.lock entry key: one or more descriptors ("name@range"), quoted or not, then a colon.
_YARN_VERSION = re.compile(r'\s{2}version:?\s+"?([^"\s]+)"?\s*$')
_YARN_RESOLUTION = re.compile(r'\s{2}resolution:\s+"?(.+?)"?\s*$')


def _yarn_descriptors(key: str) -> list[tuple[str, str]]:
    """(name, range) of each descriptor of a yarn.lock entry key."""
    out = []
    for part in key.split(","):
        desc = part.strip().strip('"').strip("'")
        at = desc.find("@", 1)  # a scoped name starts with "@"
        if at > 0:
            out.append((desc[:at], desc[at + 1:]))
    return out


def _yarn_registry_name(name: str, rng: str) -> str | None:
    """The registry package a yarn v1 descriptor installs, or None for git, file, link, URL ones."""
    if rng.startswith("npm:"):  # an alias: "string-width-cjs@npm:string-width@^4.2.0"
        target = rng[4:]
        at = target.find("@", 1)
        return target[:at] if at > 0 else target
    if ":" in rng or "/" in rng:
        return None
    return name


def parse_yarn_lock(text: str, path: str) -> list[Dependency]:
    """Resolved versions of a yarn.lock: classic v1 (``version "1.2.3"``) and berry, v2 and later,
    a YAML file (``version: 1.2.3`` with ``resolution: "name@npm:1.2.3"``).

    Read line by line (one pass; a 10,000-line lockfile takes milliseconds). Workspace, patch,
    git, file and link entries are left out: they have no registry version to look up.
    """
    deps: list[Dependency] = _Records()
    entry: dict[str, Any] | None = None

    def flush() -> None:
        if entry is None or not entry.get("version"):
            return
        version = npm_pin(entry["version"])
        resolution = entry.get("resolution")
        name: str | None = None
        if resolution:  # berry: the resolution names the real package and its protocol
            m = re.fullmatch(r"(@?[^@]+)@npm:(.+)", resolution)
            if m is None:
                return  # workspace:, patch:, git, file:, link:, portal:, exec:
            name = m.group(1)
            version = npm_pin(m.group(2)) or version
        else:
            names = {_yarn_registry_name(n, r) for n, r in _yarn_descriptors(entry["key"])}
            names.discard(None)
            if len(names) == 1:
                name = names.pop()
        if name is None or version is None or entry["key"].startswith("__metadata"):
            return
        deps.append(Dependency(name=name, ecosystem="npm", spec=version, version=version,
                               pinned=True, path=path, line=entry["line"]))

    for number, line in enumerate(text.splitlines(), 1):
        if not line or line[0] == "#":
            continue
        if line[0] not in " \t":
            flush()
            entry = {"key": line.rstrip().rstrip(":"), "line": number}
            continue
        if entry is None or line[:4] == "    " or line[:1] == "\t":
            continue  # nested dependency lists
        if line.lstrip().startswith("version"):
            m = _YARN_VERSION.match(line)
            if m:
                entry["version"] = m.group(1)
        elif line.lstrip().startswith("resolution:"):
            m = _YARN_RESOLUTION.match(line)
            if m:
                entry["resolution"] = m.group(1)
    flush()
    return deps


# pnpm-lock.yaml package keys: v5 "/name/1.2.3_peer", v6 "/name@1.2.3(peer)", v9 "name@1.2.3(peer)".
_PNPM_V6 = re.compile(r"/?((?:@[^/@()]+/)?[^/@()]+)@(\d[^()_:/\s]*)")
_PNPM_V5 = re.compile(r"/?((?:@[^/@]+/)?[^/@]+)/(\d[^/_()\s]*)")
_PNPM_KEY = re.compile(r"  (['\"]?)([^'\"\s][^'\"]*?)\1:(?:\s|$)")


def parse_pnpm_lock(text: str, path: str) -> list[Dependency]:
    """Resolved versions of a pnpm-lock.yaml (lockfile v5, v6 and v9), from the keys of its
    ``packages`` section; ``dev: true`` (v5, v6) marks development packages.

    Read line by line for speed and line numbers. Tarball, git and directory entries (keys that
    are not ``name@version``) are left out.
    """
    deps: list[Dependency] = _Records()
    in_packages = False
    current: tuple[str, str, int] | None = None
    dev = False

    def flush() -> None:
        if current is not None:
            name, version, number = current
            deps.append(Dependency(name=name, ecosystem="npm", spec=version, version=version,
                                   pinned=True, path=path, line=number, dev=dev))

    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip()[:1] == "#":
            continue
        if line[0] not in " \t":
            flush()
            current, dev = None, False
            in_packages = line.rstrip() == "packages:"
            continue
        if not in_packages:
            continue
        if line[2:3] not in (" ", "\t"):  # a package key, two spaces in
            flush()
            current, dev = None, False
            m = _PNPM_KEY.match(line)
            if m is None:
                continue
            key = m.group(2)
            found = _PNPM_V6.match(key) or _PNPM_V5.match(key)
            if found and npm_pin(found.group(2)):
                current = (found.group(1), found.group(2), number)
        elif current is not None and line.strip() == "dev: true" and line[4:5] != " ":
            dev = True
    flush()
    return deps


# ------------------------------------------------------------------------- setup.cfg, setup.py
def _requirement_lines(value: str) -> list[str]:
    """The requirement strings of a setup.cfg list value (one per line, or ``;``-free commas)."""
    items = []
    for raw in value.splitlines():
        raw = re.sub(r"(^|\s)#.*", "", raw).strip()
        if raw:
            items.append(raw)
    return items


def parse_setup_cfg(text: str, path: str) -> tuple[list[Dependency], list[str]]:
    """``[options] install_requires`` and ``[options.extras_require]`` (dev) of a setup.cfg, and
    notes about what could not be read (``file:`` and ``attr:`` directives)."""
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        raise _Malformed(f"setup.cfg: {str(exc).splitlines()[0]}") from None
    lines = _Lines(text)
    deps: list[Dependency] = _Records()
    notes: list[str] = []
    wanted: list[tuple[str, str, bool]] = []
    if parser.has_option("options", "install_requires"):
        wanted.append(("options", "install_requires", False))
    if parser.has_option("options", "tests_require"):
        wanted.append(("options", "tests_require", True))
    if parser.has_section("options.extras_require"):
        wanted += [("options.extras_require", k, True)
                   for k in parser.options("options.extras_require")]
    for section, option, dev in wanted:
        value = parser.get(section, option)
        if value.strip().startswith(("file:", "attr:")):
            notes.append(f"{path}: {option} = {value.strip()[:80]} (read from elsewhere, not followed)")
            continue
        lines.cursor = 0
        lines.find(rf"^\[{re.escape(section)}\]", re.M)
        lines.find(rf"^{re.escape(option)}\s*[=:]", re.M | re.I)
        for item in _requirement_lines(value):
            dep = _pep508(item, path, lines, dev)
            if dep is None:
                notes.append(f"{path}: requirement not understood: {item[:60]}")
            else:
                deps.append(dep)
    return deps, notes


def _literal_strings(node: ast.AST, names: dict[str, ast.AST | None], depth: int = 0
                     ) -> list[ast.Constant] | None:
    """The string constants of a literal list/tuple (``+`` of such, or a module-level name bound
    once to one); None when the value is computed."""
    if depth > 5:
        return None
    if isinstance(node, (ast.List, ast.Tuple)):
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            return list(node.elts)  # type: ignore[arg-type]
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left = _literal_strings(node.left, names, depth + 1)
        right = _literal_strings(node.right, names, depth + 1)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.Name) and names.get(node.id) is not None:
        return _literal_strings(names[node.id], names, depth + 1)  # type: ignore[arg-type]
    return None


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Call):
        return f"computed by {ast.unparse(node.func)[:40]}(...)"
    if isinstance(node, ast.Name):
        return f"the variable {node.id}, not a literal list"
    if isinstance(node, (ast.List, ast.Tuple)):
        return "a list with computed items"
    return f"computed ({type(node).__name__})"


def parse_setup_py(text: str, path: str) -> tuple[list[Dependency], list[str]]:
    """``install_requires``, ``tests_require`` and ``extras_require`` (dev) of a setup.py, read
    with :mod:`ast` and NEVER executed: literal lists only (or a module-level name bound once to
    one). Anything computed (read from a file, a comprehension, ``**kwargs``) is noted instead."""
    try:
        with warnings.catch_warnings():  # the target's invalid escapes are its business, not stderr's
            warnings.simplefilter("ignore")
            tree = ast.parse(text, filename=path)
    except (SyntaxError, ValueError) as exc:
        raise _Malformed(f"Python: {exc}") from None
    except (RecursionError, MemoryError):  # nested too deep for the parser
        raise _Malformed("Python: too deeply nested to parse") from None
    names: dict[str, ast.AST | None] = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) and node.value else [])
        for target in targets:
            if isinstance(target, ast.Name):
                # Bound twice: which value counts depends on execution; treat as computed.
                names[target.id] = None if target.id in names else node.value  # type: ignore
    deps: list[Dependency] = _Records()
    notes: list[str] = []

    def add(node: ast.AST, dev: bool, label: str) -> None:
        items = _literal_strings(node, names)
        if items is None:
            notes.append(f"{path}: {label} is {_describe(node)}; not read (setup.py is never run)")
            return
        for const in items:
            dep = _pep508(str(const.value), path, _Lines(""), dev, line=const.lineno)
            if dep is None:
                notes.append(f"{path}:{const.lineno}: requirement not understood")
            else:
                deps.append(dep)

    for call in ast.walk(tree):
        if not isinstance(call, ast.Call):
            continue
        func = call.func
        callee = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else None)
        if callee != "setup":
            continue
        for kw in call.keywords:
            if kw.arg is None:
                notes.append(f"{path}:{call.lineno}: setup(**...) arguments are computed; "
                             "not read (setup.py is never run)")
            elif kw.arg in ("install_requires", "tests_require"):
                add(kw.value, kw.arg == "tests_require", kw.arg)
            elif kw.arg == "extras_require":
                value = kw.value
                if isinstance(value, ast.Name) and isinstance(names.get(value.id), ast.Dict):
                    value = names[value.id]  # type: ignore[assignment]
                if isinstance(value, ast.Dict):
                    for key, item in zip(value.keys, value.values, strict=False):
                        label = f"extras_require[{key.value!r}]" if isinstance(
                            key, ast.Constant) else "extras_require"
                        add(item, True, label)
                else:
                    notes.append(f"{path}: extras_require is {_describe(value)}; not read "
                                 "(setup.py is never run)")
    return deps, notes


_PARSERS: dict[str, Callable[[str, str], list[Dependency]]] = {
    "pyproject": parse_pyproject,
    "pipfile": parse_pipfile,
    "package.json": parse_package_json,
    "pipfile.lock": parse_pipfile_lock,
    "poetry.lock": parse_toml_lock,
    "uv.lock": parse_toml_lock,
    "package-lock": parse_package_lock,
    "yarn.lock": parse_yarn_lock,
    "pnpm-lock": parse_pnpm_lock,
}
# Parsers that also return notes about what they could not read.
_NOTED_PARSERS: dict[str, Callable[[str, str], tuple[list[Dependency], list[str]]]] = {
    "setup.cfg": parse_setup_cfg,
    "setup.py": parse_setup_py,
}


# ------------------------------------------------------------------------------------ scoping
def lockfile_covers(lockfile: str, manifest: str) -> bool:
    """Whether ``lockfile`` governs ``manifest``: it sits in the manifest's directory or above
    (a monorepo's ``web/yarn.lock`` covers ``web/**`` only; a root lockfile covers everything)."""
    return PurePosixPath(lockfile).parent in PurePosixPath(manifest).parents


def lockfile_scopes(manifests: Iterable[Manifest]) -> dict[str, set[PurePosixPath]]:
    """Per ecosystem, the folders of its lockfiles (each covers its folder and below)."""
    scopes: dict[str, set[PurePosixPath]] = {}
    for m in manifests:
        if m.lockfile:
            scopes.setdefault(m.ecosystem, set()).add(PurePosixPath(m.path).parent)
    return scopes


def is_locked(scopes: dict[str, set[PurePosixPath]], path: str, ecosystem: str) -> bool:
    """Whether a lockfile of ``ecosystem`` covers the manifest at ``path`` (the rule of
    :func:`lockfile_covers`, in a walk up the path instead of a pass over every lockfile)."""
    folders = scopes.get(ecosystem)
    return bool(folders and any(p in folders for p in PurePosixPath(path).parents))


def covering_lockfiles(manifests: Iterable[Manifest], path: str, ecosystem: str) -> list[str]:
    """The lockfiles of ``ecosystem`` that cover the manifest at ``path``, nearest first."""
    found = [m.path for m in manifests
             if m.lockfile and m.ecosystem == ecosystem and lockfile_covers(m.path, path)]
    return sorted(found, key=lambda p: -len(PurePosixPath(p).parts))


# ------------------------------------------------------------------------------------ collector
_READABLE = frozenset(_PARSERS) | frozenset(_NOTED_PARSERS) | {"requirements"}


def parse_manifest(text: str, path: str, kind: str) -> tuple[list[Dependency], list[str]]:
    """What the manifest or lockfile ``text`` declares (``kind`` as :func:`manifest_kind` names
    it), and notes about what could not be read. Never raises: a file that is not what its name
    says, or has an unexpected shape, gives no entries and one note. The list has at most
    ``MAX_RECORDS_PER_FILE`` distinct entries; its ``total`` attribute counts all of them."""
    out = _Records()
    if kind not in _READABLE:
        return out, []
    text = text.lstrip("\ufeff")  # a stray second BOM (editors double them) would glue to a name
    try:
        if kind == "requirements":
            parsed, bad = parse_requirements(text, path)
            notes = [f"{path}: {bad} lines not understood"] if bad else []
        elif kind in _NOTED_PARSERS:
            parsed, notes = _NOTED_PARSERS[kind](text, path)
        else:
            parsed, notes = _PARSERS[kind](text, path), []
    except _Malformed as exc:
        return out, [f"{path} ({(str(exc).splitlines() or [''])[0][:120]})"]
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, RecursionError,
            MemoryError) as exc:
        # Valid syntax with an unexpected shape (a list where a table belongs, ...).
        return out, [f"{path} (unexpected structure: {type(exc).__name__})"]
    except Exception as exc:  # noqa: BLE001 - a parser bug on hostile input must not stop the audit
        return out, [f"{path} (could not be parsed: {type(exc).__name__})"]
    if isinstance(parsed, _Records):
        return parsed, notes
    out.extend(parsed)
    return out, notes


def _bounded(deps: list[Dependency]) -> tuple[list[Dependency], int, int]:
    """Entries with bounded fields: a name over ``MAX_NAME_CHARS`` is left out, a requirement over
    ``MAX_SPEC_CHARS`` shortened (and a version that long not taken as a pin). Returns the entries,
    how many were left out and how many shortened."""
    out: list[Dependency] = []
    dropped = shortened = 0
    for d in deps:
        if len(d.name) > MAX_NAME_CHARS:
            dropped += 1
            continue
        if len(d.spec) > MAX_SPEC_CHARS or len(d.version or "") > MAX_SPEC_CHARS:
            shortened += 1
            version = d.version if len(d.version or "") <= MAX_SPEC_CHARS else None
            spec = d.spec if len(d.spec) <= MAX_SPEC_CHARS else d.spec[:MAX_SPEC_CHARS - 1] + "…"
            d = d.model_copy(update={"spec": spec, "version": version, "pinned": version is not None})
        out.append(d)
    return out, dropped, shortened


def _some(paths: list[str], n: int = 3) -> str:
    return ", ".join(paths[:n]) + (f" and {len(paths) - n:,} more" if len(paths) > n else "")


def collect_dependencies(files: FileSet, *, offline: bool = False, vuln_db: Path | None = None,
                         pip_audit_timeout: float = 120, osv_api_url: str | None = None,
                         pip_audit_args: list[str] | None = None,
                         lookup_budget: float | None = None, progress: Progress = None
                         ) -> DependencyFacts:
    """Find the target's manifests and lockfiles, list what they declare, and look up the known
    vulnerabilities of every exactly pinned or locked version.

    ``vuln_db``: a directory of OSV records used for PyPI and npm (works offline). Without it,
    ``offline`` skips lookups; online, PyPI goes through pip-audit and then the OSV API
    (``osv_api_url``) for what pip-audit could not answer, npm through the OSV API.
    ``osv_api_url`` defaults to ``AUDITLIB_OSV_URL`` from the environment, else api.osv.dev; that
    variable also points pip-audit at ``<url>/v1/query`` when ``pip_audit_args`` are not given.
    ``pip_audit_args`` are passed on to pip-audit (e.g. ``["--osv-url", URL]``).
    ``lookup_budget``: seconds all lookups may take together (default ``VULN_LOOKUP_BUDGET``, see
    :mod:`auditlib.collect.vulns` for how it is shared); what is not answered by then is
    ``not_checked``.
    A vulnerability of a locked version is reported at the manifest entry that declares the
    package (with the lockfile line in ``locked_at``) when one in the lockfile's scope does.
    Never raises for malformed manifests or failed lookups: they are recorded in ``reason`` and
    ``vuln_check``; what the bounds of this module capped or left unread is in ``limits``.
    """
    found = [(f, mk) for f in files.files if (mk := manifest_kind(f.path)) is not None]
    limits: list[str] = []
    # Direct manifests first (they say what the project asked for), then lockfiles, shallowest first.
    order = sorted(found, key=lambda fk: (fk[1][2], len(PurePosixPath(fk[0].path).parts), fk[0].path))
    chosen = order[:MAX_MANIFESTS]
    if len(found) > MAX_MANIFESTS:
        limits.append(f"{len(found):,} manifest and lockfile paths were found; only {MAX_MANIFESTS:,} "
                      "(manifests before lockfiles, the shallowest first) were listed and read.")
    if progress:
        progress(f"dependencies: parsing {len(chosen)} manifests")
    manifests = [Manifest(path=f.path, kind=kind, ecosystem=eco, lockfile=lock)
                 for f, (kind, eco, lock) in sorted(chosen, key=lambda fk: fk[0].path)]
    kept_by_path: dict[str, list[Dependency]] = {}
    compiled: set[str] = set()  # pip-compiled requirements files: lockfiles
    problems: list[str] = []
    partly_read: list[str] = []
    oversize: list[RepoFile] = []
    unread: list[str] = []
    capped: list[str] = []
    seen_total = kept_total = dropped = shortened = 0
    bytes_left, started = MAX_PARSE_BYTES, time.monotonic()
    for f, (kind, _eco, _lock) in chosen:
        if kind not in _READABLE:
            continue
        if f.size > MAX_TEXT_BYTES:  # listed by the inventory as oversize: read by no collector
            oversize.append(f)
            partly_read.append(f.path)
            continue
        if f.size > bytes_left or time.monotonic() - started > PARSE_SECONDS:
            unread.append(f.path)
            partly_read.append(f.path)
            continue
        bytes_left -= f.size
        text = files.read_text(f)
        if text is None:
            problems.append(f"{f.path} (binary, too large or unreadable)")
            partly_read.append(f.path)
            continue
        parsed, notes = parse_manifest(text, f.path, kind)
        if kind == "requirements" and not notes and is_compiled_requirements(text, parsed):
            compiled.add(f.path)
        del text
        total = getattr(parsed, "total", len(parsed))
        entries, n_dropped, n_short = _bounded(parsed)
        dropped, shortened = dropped + n_dropped, shortened + n_short
        seen_total += total
        keep = entries[:max(0, MAX_DEPENDENCIES - kept_total)]
        if len(keep) + n_dropped < total:
            capped.append(f.path)
            partly_read.append(f.path)
        kept_total += len(keep)
        kept_by_path[f.path] = keep
        if len(notes) > MAX_NOTES_PER_FILE:
            notes = notes[:MAX_NOTES_PER_FILE] + [
                f"{f.path}: {len(notes) - MAX_NOTES_PER_FILE:,} more problems"]
        problems.extend(notes)
        if notes:
            partly_read.append(f.path)
    if compiled:
        manifests = [m.model_copy(update={"lockfile": True}) if m.path in compiled else m for m in manifests]
    deps = [d for m in manifests for d in kept_by_path.get(m.path, [])]  # in path order

    if oversize:
        big = sorted(oversize, key=lambda f: (-f.size, f.path))
        limits.append(
            f"{len(big):,} {'manifests or lockfiles' if len(big) > 1 else 'manifest or lockfile'} over the "
            f"{MAX_TEXT_BYTES / 1e6:g} MB read limit (listed as oversize by the inventory) "
            f"{'were' if len(big) > 1 else 'was'} not parsed, so what "
            f"{'they pin was' if len(big) > 1 else 'it pins was'} not looked up: "
            + _some([f"{f.path} ({f.size / 1e6:.1f} MB)" for f in big]) + ".")
    if unread:
        limits.append(f"{len(unread):,} manifests or lockfiles were not parsed, the parsing budget "
                      f"({MAX_PARSE_BYTES / 1e6:g} MB, {PARSE_SECONDS:g} s in all) being used up: "
                      f"{_some(unread)}.")
    if capped:
        limits.append(
            f"{seen_total:,} dependency entries were found and {kept_total:,} kept (at most "
            f"{MAX_RECORDS_PER_FILE:,} from one file and {MAX_DEPENDENCIES:,} in all, direct "
            f"manifests first); the other {seen_total - kept_total - dropped:,} are only counted and "
            f"were not looked up (capped in {_some(capped)}).")
    if dropped or shortened:
        limits.append(f"{dropped:,} entries with a name over {MAX_NAME_CHARS} characters were left "
                      f"out and {shortened:,} requirements or versions over {MAX_SPEC_CHARS} "
                      "characters were shortened (and not looked up).")
    reason = None
    if problems:
        more = len(problems) - MAX_PROBLEMS
        reason = "skipped: " + "; ".join(problems[:MAX_PROBLEMS]) + (
            f"; and {more:,} more" if more > 0 else "")
    if not manifests:
        return DependencyFacts(reason=reason, limits=limits, manifests_found=len(found), dependencies_found=seen_total)
    vulns, check, source_limits, dropped_vulns = _check(
        deps, manifests, offline=offline, vuln_db=vuln_db, pip_audit_timeout=pip_audit_timeout,
        osv_api_url=osv_api_url, pip_audit_args=pip_audit_args, partly_read=partly_read,
        lookup_budget=lookup_budget, progress=progress)
    limits += source_limits
    vulns_found = len(vulns) + dropped_vulns
    if vulns_found > MAX_VULNERABILITIES:
        limits.append(f"{vulns_found:,} vulnerabilities were found; the first {MAX_VULNERABILITIES:,} "
                      "are kept and reported.")
    vulns = _attribute(vulns[:MAX_VULNERABILITIES], deps, manifests)
    return DependencyFacts(manifests=manifests, dependencies=deps, vulnerabilities=vulns,
                           vuln_check=check, reason=reason, limits=limits,
                           vulnerabilities_found=vulns_found, manifests_found=len(found),
                           dependencies_found=seen_total)


def _key(d: Dependency) -> tuple[str, str]:
    return (d.ecosystem, canonicalize_name(d.name) if d.ecosystem == "PyPI" else d.name)


def _unresolved(deps: list[Dependency], manifests: list[Manifest]) -> list[str]:
    """Names of unpinned entries whose installed version nothing tells: not pinned by a lockfile
    covering their manifest, nor by another manifest in the same directory."""
    lock_paths = {m.path for m in manifests if m.lockfile}
    # Per package: the folders of the lockfiles and of the manifests that pin it. A lockfile covers
    # its folder and below, so a manifest is covered when a folder it sits in is one of them: a
    # walk up its path, not a comparison with every place (thousands on a hostile monorepo).
    locked_in: dict[tuple[str, str], set[PurePosixPath]] = {}
    pinned_in: dict[tuple[str, str], set[PurePosixPath]] = {}
    for d in deps:
        if d.pinned:
            where = locked_in if d.path in lock_paths else pinned_in
            where.setdefault(_key(d), set()).add(PurePosixPath(d.path).parent)
    out = set()
    for d in deps:
        if d.pinned:
            continue
        key, here = _key(d), PurePosixPath(d.path).parent
        if here in pinned_in.get(key, ()):
            continue
        locks = locked_in.get(key)
        if not locks or not any(p in locks for p in (here, *here.parents)):
            out.add(d.name)
    return sorted(out)


def _vuln_check(status: str, unchecked: Iterable[str] = (), **kwargs: Any) -> VulnCheck:
    """A VulnCheck listing at most ``MAX_UNCHECKED_LISTED`` unchecked names (all counted)."""
    names = sorted(set(unchecked))
    return VulnCheck(status=status, unchecked=names[:MAX_UNCHECKED_LISTED],  # type: ignore[arg-type]
                     unchecked_count=len(names), **kwargs)


def _check(deps: list[Dependency], manifests: list[Manifest], *, offline: bool,
           vuln_db: Path | None, pip_audit_timeout: float, osv_api_url: str | None = None,
           pip_audit_args: list[str] | None = None, partly_read: list[str] | None = None,
           lookup_budget: float | None = None, progress: Progress = None
           ) -> tuple[list[Vulnerability], VulnCheck, list[str], int]:
    """Run the lookups and fold the per-source results into one VulnCheck; also returns what the
    sources passed over (their ``limits``) and how many vulnerabilities they counted, not kept.

    ``partly_read``: manifests that could not be read in full (malformed, computed setup.py
    arguments, oversize, capped); what they declare was not (all) looked up, so the check is at
    most ``partial``. Every lookup stops at one deadline, ``lookup_budget`` seconds from the start.
    """
    unread = [m.path for m in manifests if m.kind not in _READABLE]
    partly = list(dict.fromkeys(partly_read or []))
    notes = [f"lockfile format not read: {_some(unread, 5)}" if unread else "",
             f"manifests not fully read: {', '.join(partly[:5])}"
             + (" ..." if len(partly) > 5 else "") if partly else ""]
    unread_note = "; ".join(n for n in notes if n) or None
    if not deps:
        reason = "; ".join(filter(None, ["no dependencies found in the manifests", unread_note]))
        return [], _vuln_check("not_checked", reason=reason), [], 0
    unpinned = _unresolved(deps, manifests)
    lockfiles = {m.path for m in manifests if m.lockfile}
    # Direct manifest entries first: they give the location a vulnerability is reported at.
    pinned = sorted((d for d in deps if d.pinned), key=lambda d: d.path in lockfiles)
    if vuln_db is None and offline:
        return [], _vuln_check("not_checked", reason=OFFLINE_REASON,
                               unchecked=[d.name for d in deps]), [], 0

    env_url = os.environ.get("AUDITLIB_OSV_URL", "").strip().rstrip("/")
    if osv_api_url is None:
        osv_api_url = env_url or DEFAULT_OSV_API
        if env_url and pip_audit_args is None:
            pip_audit_args = ["--osv-url", f"{env_url}/v1/query"]
    deadline = time.monotonic() + (VULN_LOOKUP_BUDGET if lookup_budget is None else lookup_budget)
    results: list[LookupResult] = []
    by_eco = {eco: [d for d in pinned if d.ecosystem == eco] for eco in ("PyPI", "npm")}
    if vuln_db is not None:
        todo: list[tuple[VulnSource, list[Dependency]]] = [
            (OsvDirectorySource(vuln_db, deadline=deadline), pinned)]
    else:
        api_timeout = min(30.0, pip_audit_timeout)
        breaker: dict[str, str] = {}  # one service: after a transport failure, not waited on again

        def api(ecosystems: tuple[str, ...]) -> OsvApiSource:
            return OsvApiSource(ecosystems, base_url=osv_api_url, timeout=api_timeout,
                                deadline=deadline, breaker=breaker)

        pypi = FallbackSource(PipAuditSource(timeout=pip_audit_timeout, extra_args=pip_audit_args,
                                             deadline=deadline), api(("PyPI",)))
        todo = [(pypi, by_eco["PyPI"]), (api(("npm",)), by_eco["npm"])]
    for source, wanted in todo:
        if not wanted:
            continue
        if progress:
            progress(f"dependencies: looking up {len(wanted)} pinned versions ({source.name})")
        try:
            results.append(source.lookup(wanted))
        except Exception as exc:  # a source bug must not pass for "no vulnerabilities"
            why = f"{source.name} failed: {type(exc).__name__}: {exc}".splitlines()[0][:200]
            results.append(LookupResult(source.name, "not_checked",
                                        unchecked=sorted({d.name for d in wanted}), reason=why))
    vulns, check = _combine(results, unpinned, unread_note)
    return (vulns, check, [line for r in results for line in r.limits],
            sum(r.dropped for r in results))


def _attribute(vulns: list[Vulnerability], deps: list[Dependency], manifests: list[Manifest]
               ) -> list[Vulnerability]:
    """Move a vulnerability found in a lockfile to the manifest entry that declares the package,
    when one in the lockfile's scope does and its range admits the locked version (npm may lock
    several versions of one package; PyPI installs one, so the name is enough).

    The lockfile line goes to ``locked_at``, the declared range to ``declared``, and
    ``fix_in_range`` says whether the fixed version is inside that range.
    """
    lock_paths = {m.path for m in manifests if m.lockfile}
    declared: dict[tuple[str, str], list[Dependency]] = {}
    for d in deps:
        if d.path not in lock_paths:
            declared.setdefault(_key(d), []).append(d)
    out = []
    for v in vulns:
        if v.path not in lock_paths:
            out.append(v)
            continue
        key = (v.ecosystem, canonicalize_name(v.package) if v.ecosystem == "PyPI" else v.package)
        candidates = [d for d in declared.get(key, []) if lockfile_covers(v.path, d.path) and (
            v.ecosystem == "PyPI" or spec_admits(d.spec, v.version, v.ecosystem))]
        if not candidates:
            out.append(v)
            continue
        # Nearest the lockfile (same directory first), runtime before dev, then by path.
        entry = min(candidates, key=lambda d: (len(PurePosixPath(d.path).parts), d.dev, d.path))
        in_range = spec_admits(entry.spec, v.fix, v.ecosystem) if v.fix else None
        out.append(v.model_copy(update={
            "path": entry.path, "line": entry.line, "declared": entry.spec or "(any version)",
            "locked_at": f"{v.path}:{v.line}" if v.line else v.path, "fix_in_range": in_range}))
    return out


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
    elif unchecked or note or any(r.status != "checked" for r in results):
        status = "partial"
    else:
        status = "checked"
    sources = ", ".join(r.source for r in results) or None
    check = _vuln_check(status, source=sources, reason="; ".join(reasons) or None,
                        checked=checked, unchecked=unchecked)
    return vulns, check
