"""Safe access to the audited repository's files.

The target is hostile input: symlinks may point outside it, files may be huge, binary or in odd
encodings, and its ``.git/config`` may name programs (fsmonitor, external diff, textconv, hooks)
that git would run. Everything that reads the target goes through this module.
"""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Iterator

import git

MAX_TEXT_BYTES = 2_000_000
"""Files larger than this are counted in the inventory but not read as text."""

DEPENDENCY_DIRS = frozenset(
    {"node_modules", "bower_components", "jspm_packages", ".venv", "venv", "site-packages", "vendor",
     "third_party"}
)
"""Folders of installed or vendored third-party packages (a subset of SKIP_DIRS)."""

SKIP_DIRS = DEPENDENCY_DIRS | frozenset(
    {".git", "env", "__pycache__", ".mypy_cache", ".pytest_cache", ".tox", ".nox", "dist", "build",
     ".next", ".nuxt", ".idea", ".vscode", ".terraform", "coverage", ".cache"}
)
"""Folders that hold generated or vendored code, never the prototype's own."""

_VENV_MARKERS = ("pyvenv.cfg", "bin/activate", "Scripts/activate")

LANGUAGES = {
    ".py": "Python", ".pyi": "Python", ".ipynb": "Jupyter",
    ".js": "JavaScript", ".mjs": "JavaScript", ".cjs": "JavaScript", ".jsx": "JavaScript",
    ".ts": "TypeScript", ".tsx": "TypeScript", ".mts": "TypeScript", ".cts": "TypeScript",
    ".go": "Go", ".rb": "Ruby", ".java": "Java", ".kt": "Kotlin", ".rs": "Rust", ".php": "PHP",
    ".cs": "C#", ".c": "C", ".h": "C", ".cpp": "C++", ".hpp": "C++", ".swift": "Swift",
    ".sql": "SQL", ".sh": "Shell", ".bash": "Shell", ".html": "HTML", ".css": "CSS", ".scss": "CSS",
    ".vue": "Vue", ".svelte": "Svelte", ".yaml": "YAML", ".yml": "YAML", ".toml": "TOML",
    ".json": "JSON", ".md": "Markdown", ".txt": "Text", ".cfg": "Config", ".ini": "Config",
}
CODE_LANGUAGES = frozenset(
    {"Python", "JavaScript", "TypeScript", "Go", "Ruby", "Java", "Kotlin", "Rust", "PHP", "C#", "C",
     "C++", "Swift", "Shell", "Vue", "Svelte", "SQL"}
)

# git must never run a program named by the target's own configuration.
SAFE_GIT_CONFIG = {
    "core.fsmonitor": "false",
    "core.hooksPath": os.devnull,
    "diff.external": "",
    "core.sshCommand": "false",
    "protocol.ext.allow": "never",
    "filter.lfs.smudge": "",
    "filter.lfs.process": "",
    "filter.lfs.required": "false",
    "log.showSignature": "false",
    "gpg.program": "false",
}


def safe_git_env() -> dict[str, str]:
    """Environment variables that pin the git settings above for every git process we start."""
    env = {"GIT_CONFIG_COUNT": str(len(SAFE_GIT_CONFIG)), "GIT_TERMINAL_PROMPT": "0",
           "GIT_LFS_SKIP_SMUDGE": "1", "GIT_OPTIONAL_LOCKS": "0"}
    for i, (key, value) in enumerate(SAFE_GIT_CONFIG.items()):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    return env


def no_fetch_env() -> dict[str, str]:
    """Environment variables that keep git off the network while it reads the target.

    A partial clone (``--filter=blob:none``) fetches a missing object from its promisor remote the
    moment a command needs it, and the target's own ``.git/config`` names that remote (it may point
    anywhere). ``GIT_NO_LAZY_FETCH`` turns lazy fetching off (git 2.44+, and the 2.39.4+ security
    releases); ``GIT_ALLOW_PROTOCOL`` set to nothing refuses every transport on older git, and it
    overrides any ``protocol.<name>.allow`` in the target's configuration. Not for cloning.
    """
    return {"GIT_NO_LAZY_FETCH": "1", "GIT_ALLOW_PROTOCOL": ""}


@contextlib.contextmanager
def open_repo(root: Path) -> Iterator[git.Repo]:
    """Open ``root`` as a git repository with the safe, offline environment applied (closed on exit)."""
    with git.Repo(root) as repo:
        repo.git.update_environment(**safe_git_env(), **no_fetch_env())
        yield repo


@dataclass(frozen=True)
class RepoFile:
    """One regular file of the target, as the collectors see it."""

    path: str
    """Path relative to the repository root, with forward slashes."""
    size: int
    """Size in bytes."""
    language: str | None
    """Language guessed from the extension, or None."""

    @property
    def name(self) -> str:
        """The file's base name."""
        return PurePosixPath(self.path).name

    @property
    def suffix(self) -> str:
        """The file's extension in lower case."""
        return PurePosixPath(self.path).suffix.lower()

    @property
    def is_code(self) -> bool:
        """Whether the file is source code (not data, markup or prose)."""
        return self.language in CODE_LANGUAGES


@dataclass
class FileSet:
    """The files of the target that collectors may read, and what was passed over and why."""

    root: Path
    files: list[RepoFile] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """Path -> reason (symlink, vendored folder, not a regular file)."""
    tracked_only: bool = False
    """True when the list comes from git's index (committed files only)."""
    skipped_dirs: dict[str, int] = field(default_factory=dict)
    """Committed vendored or generated folder (outermost, e.g. ``web/node_modules``) -> files in it.
    Only filled from git's index: a local, uncommitted ``.venv`` is no finding."""
    dependency_dirs: frozenset[str] = frozenset()
    """Those of ``skipped_dirs`` that hold third-party packages (node_modules, a virtualenv...)."""

    def by_suffix(self, *suffixes: str) -> list[RepoFile]:
        """Files whose extension is one of ``suffixes``."""
        wanted = {s.lower() for s in suffixes}
        return [f for f in self.files if f.suffix in wanted]

    def read_text(self, f: RepoFile | str) -> str | None:
        """The text of a file, or None when it is too large, binary or unreadable."""
        rel = f.path if isinstance(f, RepoFile) else f
        return read_text(self.root, rel)


def _skipped_prefix(parts: tuple[str, ...], venvs: frozenset[str]) -> str | None:
    """The outermost vendored or generated folder holding the file ``parts``, or None."""
    for i, p in enumerate(parts[:-1]):
        if p in SKIP_DIRS or p.endswith(".egg-info") or (venvs and "/".join(parts[:i + 1]) in venvs):
            return "/".join(parts[:i + 1])
    return None


def _venv_roots(paths: list[str]) -> frozenset[str]:
    """Folders that are Python virtualenvs, whatever their name (``myenv/pyvenv.cfg``).

    Only ``pyvenv.cfg`` names one: a ``bin/activate`` script may be the project's own.
    """
    return frozenset(rel[: -len("/pyvenv.cfg")] for rel in paths if rel.endswith("/pyvenv.cfg"))


def _is_dependency_dir(prefix: str, venvs: frozenset[str], looks_like_venv: bool) -> bool:
    name = PurePosixPath(prefix).name
    # "env" is a virtualenv only when it looks like one; a folder of settings may be called env.
    return name in DEPENDENCY_DIRS or prefix in venvs or (name == "env" and looks_like_venv)


def _tracked_paths(root: Path) -> list[str] | None:
    try:
        with open_repo(root) as repo:
            out = repo.git.ls_files("-z")
    except Exception:  # not a repo, broken index: fall back to a walk
        return None
    return [p for p in out.split("\0") if p]


def _walk_paths(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
                       and not os.path.lexists(os.path.join(dirpath, d, "pyvenv.cfg"))]
        rel_dir = Path(dirpath).relative_to(root)
        for name in filenames:
            yield (rel_dir / name).as_posix()


def list_files(root: Path) -> FileSet:
    """List the target's files: git's tracked files when it is a repository, else a walk.

    Symlinks are never followed (a link may point anywhere on the auditor's machine) and vendored or
    generated folders (SKIP_DIRS, ``*.egg-info`` and any virtualenv, found by its ``pyvenv.cfg``) are
    passed over. Committed ones are reported: ``skipped_dirs`` counts their files and
    ``dependency_dirs`` says which hold third-party packages. Large files stay listed (with their
    size) but ``read_text`` refuses them.
    """
    root = Path(root).resolve()
    tracked = _tracked_paths(root)
    result = FileSet(root=root, tracked_only=tracked is not None)
    venvs = _venv_roots(tracked) if tracked is not None else frozenset()
    venv_like: set[str] = set()  # skipped folders with a virtualenv's marker files inside
    for rel in tracked if tracked is not None else _walk_paths(root):
        parts = PurePosixPath(rel).parts
        prefix = _skipped_prefix(parts, venvs)
        if prefix is not None:
            result.skipped[rel] = "vendored or generated folder"
            result.skipped_dirs[prefix] = result.skipped_dirs.get(prefix, 0) + 1
            inner = rel[len(prefix) + 1:]
            if inner in _VENV_MARKERS or (inner.startswith("lib/") and "/site-packages/" in inner):
                venv_like.add(prefix)
            continue
        full = root / rel
        try:
            st = full.lstat()
        except OSError:
            result.skipped[rel] = "listed by git but missing from the working tree"
            continue
        if stat.S_ISLNK(st.st_mode):
            result.skipped[rel] = "symlink (not followed)"
            continue
        if not stat.S_ISREG(st.st_mode):
            result.skipped[rel] = "not a regular file"
            continue
        suffix = PurePosixPath(rel).suffix.lower()
        result.files.append(RepoFile(path=rel, size=st.st_size, language=LANGUAGES.get(suffix)))
    result.files.sort(key=lambda f: f.path)
    result.dependency_dirs = frozenset(
        d for d in result.skipped_dirs if _is_dependency_dir(d, venvs, d in venv_like))
    return result


def decode(data: bytes) -> str | None:
    """Decode file bytes: UTF-8 (with or without BOM), UTF-16 with a BOM, else Latin-1.

    Returns None for binary data (a NUL byte in the first 8 KiB of a file without a UTF-16 BOM).
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\0" in data[:8192]:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _read_bytes(root: Path, rel: str, max_bytes: int) -> bytes | None:
    """Up to ``max_bytes + 1`` bytes of one file, or None for a link, a path outside, an error."""
    full = Path(root) / rel
    try:
        resolved = full.resolve()
        if full.is_symlink() or not resolved.is_relative_to(Path(root).resolve()):
            return None
        fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            return fh.read(max_bytes + 1)
        except OSError:  # a directory or a device behind a tracked name
            return None


def read_text(root: Path, rel: str, max_bytes: int = MAX_TEXT_BYTES) -> str | None:
    """Read one file of the target as text, refusing links, oversize and binary files."""
    data = _read_bytes(root, rel, max_bytes)
    if data is None or len(data) > max_bytes:
        return None
    return decode(data)


def read_head(root: Path, rel: str, max_bytes: int) -> tuple[str | None, bool]:
    """The text of the first ``max_bytes`` of a file, and whether the file goes on beyond them.

    For counting records in files too large to read whole (a big ``.jsonl``); links and binary
    files are refused (None) as by ``read_text``.
    """
    data = _read_bytes(root, rel, max_bytes)
    if data is None:
        return None, False
    truncated = len(data) > max_bytes
    return decode(data[:max_bytes]), truncated
