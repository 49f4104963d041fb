"""Safe access to the audited repository's files.

The target is hostile input: symlinks may point outside it, files may be huge, binary or in odd
encodings, and its ``.git/config`` may name programs (fsmonitor, external diff, textconv, hooks)
that git would run. Everything that reads the target goes through this module.
"""

from __future__ import annotations

import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Iterator, Literal

import git

from .gitio import (
    describe_git_error,
    git_one_line,
    open_repo,
    read_blob,
    run_git,
)

MAX_TEXT_BYTES = 2_000_000
"""Files larger than this are counted in the inventory but not read as text."""
TEXT_CACHE_CHARS = 64_000_000
"""Characters of file text a FileSet keeps once read (about 12 MB for 3,000 files of 100 lines)."""

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
        """The file's base name (``PurePosixPath(path).name``, without building a path object: the
        collectors ask it of every file)."""
        return self.path.rstrip("/").rsplit("/", 1)[-1]

    @property
    def suffix(self) -> str:
        """The file's extension in lower case (``PurePosixPath(path).suffix``: none for ``.env``)."""
        name = self.name
        dot = name.rfind(".")
        return name[dot:].lower() if 0 < dot < len(name) - 1 else ""

    @property
    def is_code(self) -> bool:
        """Whether the file is source code (not data, markup or prose)."""
        return self.language in CODE_LANGUAGES

    @property
    def role(self) -> str:
        """The file's role (test, script, app, config...): see auditlib.collect.roles."""
        from .roles import file_role

        return file_role(self.path)


@dataclass
class FileSet:
    """The files of the target that collectors may read, and what was passed over and why."""

    root: Path
    files: list[RepoFile] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """Path -> reason (symlink, vendored folder, not a regular file)."""
    tracked_only: bool = False
    """True when the list comes from git (its index, or HEAD's tree): committed files only."""
    skipped_dirs: dict[str, int] = field(default_factory=dict)
    """Committed vendored or generated folder (outermost, e.g. ``web/node_modules``) -> files in it.
    Only filled from git's index: a local, uncommitted ``.venv`` is no finding."""
    dependency_dirs: frozenset[str] = frozenset()
    """Those of ``skipped_dirs`` that hold third-party packages (node_modules, a virtualenv...)."""
    source: Literal["index", "head", "walk"] = "walk"
    """Where the list comes from: git's index, HEAD's tree (the index is missing or unusable), or a
    walk of the folder (not a git repository, or one git cannot list)."""
    limits: list[str] = field(default_factory=list)
    """What made the list less than git's tracked files (one sentence each; InventoryFacts.limits)."""
    blobs: dict[str, str] = field(default_factory=dict)
    """Path -> blob id, for files of HEAD's tree missing from the working tree: read from git's
    object store (never checked out)."""

    _texts: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)
    """Texts already read (up to TEXT_CACHE_CHARS): the inventory, the code analysis and the other
    collectors each read every source file; from disk once. Never pickled (a worker reads its own)."""
    _cached_chars: int = field(default=0, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_texts"], state["_cached_chars"] = {}, 0
        return state

    def by_suffix(self, *suffixes: str) -> list[RepoFile]:
        """Files whose extension is one of ``suffixes``."""
        wanted = {s.lower() for s in suffixes}
        return [f for f in self.files if f.suffix in wanted]

    def read_text(self, f: RepoFile | str) -> str | None:
        """The text of a file, or None when it is too large, binary or unreadable."""
        rel = f.path if isinstance(f, RepoFile) else f
        if rel in self._texts:
            return self._texts[rel]
        blob = self.blobs.get(rel)
        if blob is not None:
            data = read_blob(self.root, blob, MAX_TEXT_BYTES)
            text = decode(data) if data is not None and len(data) <= MAX_TEXT_BYTES else None
        else:
            text = read_text(self.root, rel)
        size = len(text) if text is not None else 0
        if self._cached_chars + size <= TEXT_CACHE_CHARS:
            self._texts[rel] = text
            self._cached_chars += size
        return text


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


def _tracked_paths(root: Path) -> tuple[list[str] | None, str | None]:
    """git's tracked files, and None with git's complaint when it cannot list them (None: no repo)."""
    try:
        with open_repo(root) as repo:
            out = repo.git.ls_files("-z")
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        if os.path.lexists(Path(root) / ".git"):  # a .git that GitPython does not accept: say why
            return None, inspect_head(Path(root)).problem or "git does not recognise .git as a repository"
        return None, None
    except Exception as exc:  # a corrupt index, an unknown repository extension...
        return None, describe_git_error(exc)
    return [p for p in out.split("\0") if p], None


@dataclass(frozen=True)
class HeadState:
    """What HEAD is, asked of git itself (GitPython takes a missing HEAD commit for an empty repository)."""

    status: Literal["ok", "unborn", "broken", "unreadable", "no-repo"]
    """``ok``: HEAD is a readable commit; ``unborn``: no commit at all yet (an empty repository);
    ``broken``: HEAD cannot give a commit although the repository has some, or names an object that
    is missing or not a commit; ``unreadable``: git refuses the repository altogether (an unknown
    repository extension, a corrupt configuration); ``no-repo``: not a git repository."""
    commit: str | None = None
    """HEAD's commit when ``ok``."""
    branch: str | None = None
    """The branch HEAD names (``main``), None when detached or unknown."""
    problem: str | None = None
    """For ``broken`` and ``unreadable``: one sentence saying how."""


NOT_OWNER = "the repository belongs to another user"
"""How ``HeadState.problem`` starts when git refuses a repository for its owner (not damage)."""

_REF_NAME = re.compile(r"^refs/[A-Za-z0-9._/@+-]{1,200}$")


def _read_small(path: Path, limit: int = 256) -> bytes | None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            return fh.read(limit)
        except OSError:
            return None


def _printable(raw: bytes, limit: int = 60) -> str:
    text = raw.decode("utf-8", "replace").strip()
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text[:limit] + ("..." if len(text) > limit else "")


def _describe_unresolvable_head(root: Path, git_stderr: bytes) -> str:
    """Why ``git symbolic-ref HEAD`` failed: a loop of symbolic references, or an odd HEAD file."""
    proc = run_git(root, "rev-parse", "--git-dir")
    git_dir = (root / proc.stdout.decode("utf-8", "replace").strip()) if proc.returncode == 0 else root / ".git"
    chain = ["HEAD"]
    name = "HEAD"
    for _ in range(10):
        raw = _read_small(git_dir / name)
        if raw is None:
            break
        if not raw.startswith(b"ref:"):
            if name == "HEAD" and not re.fullmatch(rb"[0-9a-f]{40,64}\s*", raw):
                return f"HEAD cannot be resolved: .git/HEAD holds {_printable(raw)!r}, not a reference"
            break
        target = raw[4:].strip().decode("utf-8", "replace")
        if not _REF_NAME.match(target) or ".." in target:
            return f"HEAD cannot be resolved: it names {_printable(target.encode())!r}, not a valid reference"
        chain.append(target)
        if target in chain[:-1]:
            return "HEAD is a loop of symbolic references (" + " -> ".join(chain) + ")"
        name = target
    return f"HEAD cannot be resolved ({git_one_line(git_stderr)})"


def inspect_head(root: Path) -> HeadState:
    """Ask git what HEAD is: a commit, nothing yet, or broken (and how); never raises for a damaged repo.

    Runs a few short git commands with the safe, offline environment; reads no file of the working
    tree. A one-line ``problem`` is ready to show a user (or to raise as a TargetError).
    """
    root = Path(root)
    proc = run_git(root, "rev-parse", "--git-dir")
    if proc.returncode != 0:
        line = git_one_line(proc.stderr)
        if "not a git repository" in line.lower():
            if not os.path.lexists(root / ".git"):
                return HeadState("no-repo", problem="not a git repository")
            # git checks HEAD before it accepts a .git folder: say what is wrong with it.
            head = _read_small(root / ".git" / "HEAD")
            why = ("it has no HEAD file" if head is None else
                   f".git/HEAD holds {_printable(head)!r}, not a reference" if not head.startswith(b"ref:")
                   else "it lacks what git needs (objects, refs or a valid HEAD)")
            return HeadState("unreadable", problem=f"git does not recognise .git as a repository ({why})")
        if "dubious ownership" in line:  # not damage: git's safe.directory check (CVE-2022-24765)
            return HeadState("unreadable", problem=(
                f"{NOT_OWNER}: git refuses it until the auditor adds it to safe.directory "
                f"(git config --global --add safe.directory {_printable(str(root.resolve()).encode(), 200)})"))
        return HeadState("unreadable", problem=f"git refuses to read the repository ({line})")
    sym = run_git(root, "symbolic-ref", "-q", "HEAD")
    ref = sym.stdout.decode("utf-8", "replace").strip() if sym.returncode == 0 else None
    if sym.returncode not in (0, 1):  # 1: detached HEAD; anything else: HEAD cannot be resolved
        return HeadState("broken", problem=_describe_unresolvable_head(root, sym.stderr))
    branch = ref.removeprefix("refs/heads/") if ref else None
    shown = f"HEAD (branch {branch})" if branch else "HEAD"
    rev = run_git(root, "rev-parse", "-q", "--verify", "HEAD")
    sha = rev.stdout.decode("ascii", "replace").strip() if rev.returncode == 0 else ""
    if not sha:
        refs = run_git(root, "for-each-ref", "--count=1", "--format=%(refname)")
        if refs.returncode == 0 and not refs.stdout.strip():
            return HeadState("unborn", branch=branch)
        if ref:
            return HeadState("broken", branch=branch, problem=(
                f"HEAD names branch {branch or ref}, which does not exist, although the repository has "
                "other references (a deleted or lost branch)"))
        return HeadState("broken", problem=f"HEAD cannot be resolved ({git_one_line(rev.stderr)})")
    kind = run_git(root, "cat-file", "-t", sha)
    obj_type = kind.stdout.decode("ascii", "replace").strip() if kind.returncode == 0 else ""
    if not obj_type:
        return HeadState("broken", branch=branch, problem=(
            f"{shown} points to commit {sha[:12]}, which is missing from the object store "
            "(a damaged or incomplete copy)"))
    if obj_type != "commit":
        return HeadState("broken", branch=branch, problem=f"{shown} points to a {obj_type} ({sha[:12]}), not a commit")
    return HeadState("ok", commit=sha, branch=branch)


def repository_problem(root: Path) -> str | None:
    """One line saying why the repository at ``root`` is broken, or None when HEAD is readable or unborn.

    For a caller that prefers to refuse a damaged target up front (``resolve_target``): an unknown
    repository extension, a missing HEAD commit, a loop of symbolic references...
    """
    state = inspect_head(Path(root))
    return state.problem if state.status in ("broken", "unreadable") else None


def _index_path(root: Path) -> Path | None:
    """Where git keeps the index of the repository at ``root`` (it may be elsewhere than .git/index)."""
    proc = run_git(root, "rev-parse", "--git-path", "index")
    if proc.returncode != 0:
        return None
    rel = proc.stdout.decode("utf-8", "surrogateescape").strip()
    return (root / rel) if rel else None


def index_problem(root: Path) -> str | None:
    """Why git's index of ``root`` cannot be trusted (missing, or unreadable), or None."""
    index = _index_path(Path(root))
    if index is None:
        return None
    if not os.path.lexists(index):
        return "git's index (.git/index) is missing"
    # The whole index is read and checked; a pathspec that matches nothing keeps the output empty.
    proc = run_git(Path(root), "ls-files", "-z", "--", ":(literal).auditlib-no-such-path")
    if proc.returncode != 0:
        return f"git's index is unreadable ({git_one_line(proc.stderr)})"
    return None


def _valid_path(rel: str) -> bool:
    """Whether a path git listed is a plain relative path inside the repository."""
    parts = rel.split("/")
    return bool(rel) and not rel.startswith("/") and all(p not in ("", ".", "..") for p in parts) \
        and ".git" not in parts


def _head_tree(root: Path) -> list[tuple[str, str, str]] | None:
    """HEAD's files as (mode, blob id, path); None when HEAD's tree is unreadable.

    ``ls-tree`` reads tree objects only, never a blob.
    """
    proc = run_git(root, "ls-tree", "-r", "-z", "--full-tree", "HEAD")
    if proc.returncode != 0:
        return None
    entries = []
    for record in proc.stdout.split(b"\0"):
        meta, tab, path = record.partition(b"\t")
        fields = meta.split()
        if not tab or len(fields) != 3:
            continue
        rel = path.decode("utf-8", "surrogateescape")
        entries.append((fields[0].decode("ascii", "replace"), fields[2].decode("ascii", "replace"), rel))
    return entries


def _blob_sizes(root: Path, blobs: list[str]) -> dict[str, int | None]:
    """Blob id -> size in bytes, None for a blob missing from the object store (one git process)."""
    if not blobs:
        return {}
    proc = run_git(root, "cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)",
                    input="".join(f"{b}\n" for b in blobs).encode())
    sizes: dict[str, int | None] = dict.fromkeys(blobs)
    for line in proc.stdout.decode("ascii", "replace").splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[1] == "blob" and fields[2].isdigit():
            sizes[fields[0]] = int(fields[2])
    return sizes


_HEAD_BLOBS: dict[str, dict[str, str]] = {}
"""Repository root -> FileSet.blobs of its last listing, so that ``read_text``/``read_head``
(called with a root and a path by some collectors) read those files from git as well."""


def _walk_paths(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS and not d.endswith(".egg-info")
                       and not os.path.lexists(os.path.join(dirpath, d, "pyvenv.cfg"))]
        rel_dir = Path(dirpath).relative_to(root)
        for name in filenames:
            yield (rel_dir / name).as_posix()


def _head_listing(root: Path, result: FileSet) -> tuple[list[str], dict[str, int]] | None:
    """HEAD's paths, to classify like tracked files, and the sizes of those read from the object store.

    A regular file missing from the working tree is read from git's object store (``result.blobs``)
    when its blob is there; symlinks and submodules are skipped as from the index. None when HEAD's
    tree is unreadable.
    """
    entries = _head_tree(root)
    if entries is None:
        return None
    paths = []
    wanted: dict[str, str] = {}
    for mode, blob, rel in entries:
        if not _valid_path(rel):
            continue
        paths.append(rel)
        if mode in ("100644", "100755", "100664") and not os.path.lexists(root / rel):
            wanted[rel] = blob
    sizes: dict[str, int] = {}
    if wanted:
        blob_sizes = _blob_sizes(root, sorted(set(wanted.values())))
        for rel, blob in wanted.items():
            size = blob_sizes.get(blob)
            if size is not None:
                result.blobs[rel] = blob
                sizes[rel] = size
    return paths, sizes


def _choose_listing(root: Path, result: FileSet) -> tuple[list[str] | None, dict[str, int]]:
    """The paths to classify (None: walk the folder) and the sizes of blobs, ``source``/``limits`` set.

    git's index when it is usable; HEAD's tree when the index is missing, unreadable, holds
    impossible paths or lists nothing although HEAD has files; a walk of the folder when git cannot
    give either. Every fallback says why in ``limits``; so does an empty list.
    """
    tracked, error = _tracked_paths(root)
    if tracked is None and error is None:
        return None, {}  # not a git repository: a plain folder, walked
    problem = None
    if error is not None:
        problem = f"git's index is unreadable ({error})"
    else:
        index = _index_path(root)
        bad = next((p for p in tracked or () if not _valid_path(p)), None)
        if index is not None and not os.path.lexists(index):
            problem = "git's index (.git/index) is missing"
        elif bad is not None:
            problem = f"git's index is corrupt (it lists the impossible path {_printable(bad.encode())!r})"
    if problem is None and tracked:
        result.source = "index"
        return tracked, {}
    state = inspect_head(root)
    if state.status == "unreadable":  # not the index's fault: git refuses the whole repository
        result.source = "walk"
        result.limits.append(f"{_capital(state.problem or 'git refuses to read the repository')}: files "
                             "listed by walking the folder, so untracked files are included.")
        return None, {}
    head = _head_listing(root, result) if state.status == "ok" else None
    if problem is None:  # a readable index that lists nothing
        if head is None or not head[0]:
            result.source = "index"
            why = ("the repository has no commits" if state.status == "unborn" else
                   "HEAD's commit holds no file" if head is not None else _head_sentence(state))
            result.limits.append(f"No file was audited: git's index lists no file and {why}.")
            return [], {}
        problem = f"git's index lists no file although HEAD has {len(head[0])}"
    if head is not None:
        paths, sizes = head
        result.source = "head"
        from_store = (f"; {len(result.blobs)} of them, missing from the working tree, were read from git's "
                      "object store") if result.blobs else ""
        result.limits.append(
            f"{_capital(problem)}: the {len(paths)} files of HEAD's tree (commit "
            f"{(state.commit or '')[:12]}) were audited instead, so staged but uncommitted files are not "
            f"seen{from_store}.")
        return paths, sizes
    head_text = (f"HEAD's tree (commit {(state.commit or '')[:12]}) is unreadable" if state.status == "ok"
                 else _head_sentence(state))
    result.source = "walk"
    result.limits.append(f"{_capital(problem)} and {head_text}: files listed by walking the "
                         "folder, so untracked files are included.")
    return None, {}


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _head_sentence(state: HeadState) -> str:
    if state.status == "unborn":
        return "the repository has no commits"
    if state.status == "no-repo":
        return "git does not see a repository"
    return state.problem or "HEAD is unreadable"


def list_files(root: Path) -> FileSet:
    """List the target's files: git's tracked files when it is a repository, else a walk.

    Symlinks are never followed (a link may point anywhere on the auditor's machine) and vendored or
    generated folders (SKIP_DIRS, ``*.egg-info`` and any virtualenv, found by its ``pyvenv.cfg``) are
    passed over. Committed ones are reported: ``skipped_dirs`` counts their files and
    ``dependency_dirs`` says which hold third-party packages. Large files stay listed (with their
    size) but ``read_text`` refuses them.

    A damaged repository is never a silent empty list: when git's index is missing or unusable the
    files come from HEAD's tree (read from the object store when the working tree lacks them), and
    when that fails too from a walk of the folder; ``source`` and ``limits`` say which and why.
    """
    root = Path(root).resolve()
    result = FileSet(root=root)
    tracked, sizes = _choose_listing(root, result)
    result.tracked_only = tracked is not None
    _HEAD_BLOBS.pop(str(root), None)
    if result.blobs:
        _HEAD_BLOBS[str(root)] = result.blobs
    venvs = _venv_roots(tracked) if tracked is not None else frozenset()
    venv_like: set[str] = set()  # skipped folders with a virtualenv's marker files inside
    missing: list[str] = []  # in the index, not in the working tree (a sparse or bounded checkout)
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
        suffix = PurePosixPath(rel).suffix.lower()
        if rel in result.blobs:  # in HEAD's tree, not in the working tree: read from the object store
            result.files.append(RepoFile(path=rel, size=sizes.get(rel, 0), language=LANGUAGES.get(suffix)))
            continue
        full = root / rel
        try:
            st = full.lstat()
        except OSError:
            result.skipped[rel] = "listed by git but missing from the working tree"
            missing.append(rel)
            continue
        if stat.S_ISLNK(st.st_mode):
            result.skipped[rel] = "symlink (not followed)"
            continue
        if not stat.S_ISREG(st.st_mode):
            result.skipped[rel] = "not a regular file"
            continue
        result.files.append(RepoFile(path=rel, size=st.st_size, language=LANGUAGES.get(suffix)))
    if missing and result.source == "index":
        _from_index_blobs(root, result, missing)
    result.files.sort(key=lambda f: f.path)
    result.dependency_dirs = frozenset(
        d for d in result.skipped_dirs if _is_dependency_dir(d, venvs, d in venv_like))
    if result.source == "walk" and result.limits and not result.files:
        result.limits.append("No file was found to audit in the folder either.")
    return result


def _from_index_blobs(root: Path, result: FileSet, missing: list[str]) -> None:
    """List files the index names but the working tree lacks (skip-worktree entries of a sparse
    checkout, or the large files auditlib's bounded clone leaves out) from their blobs in the object
    store, with their real size: the inventory reports them, oversize ones included."""
    wanted = set(missing)
    proc = run_git(root, "ls-files", "-s", "-z")
    blobs: dict[str, str] = {}
    for record in proc.stdout.split(b"\0") if proc.returncode == 0 else ():
        meta, _, raw = record.partition(b"\t")
        fields = meta.split()
        rel = raw.decode("utf-8", "surrogateescape")
        if rel in wanted and len(fields) == 3 and fields[0] in (b"100644", b"100755", b"100664"):
            blobs[rel] = fields[1].decode("ascii", "replace")
    sizes = _blob_sizes(root, sorted(set(blobs.values())))
    for rel, blob in blobs.items():
        size = sizes.get(blob)
        if size is None:
            continue
        result.skipped.pop(rel, None)
        result.blobs[rel] = blob
        result.files.append(RepoFile(path=rel, size=size, language=LANGUAGES.get(PurePosixPath(rel).suffix.lower())))
    if result.blobs:
        _HEAD_BLOBS[str(root)] = result.blobs
        result.limits.append(f"{len(result.blobs)} file(s) named by git's index are not in the working tree "
                             "(a sparse checkout, or large files auditlib's bounded clone left out): they are listed, and "
                             "read when small enough, from git's object store.")


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


@functools.lru_cache(maxsize=64)
def _real_root(root: str) -> Path:
    """The target's folder with its links resolved, once per folder: every file read asks (three
    collectors read every file), and resolving the folder again each time was half of a read."""
    return Path(root).resolve()


def _read_bytes(root: Path, rel: str, max_bytes: int) -> bytes | None:
    """Up to ``max_bytes + 1`` bytes of one file, or None for a link, a path outside, an error.

    A file that the last ``list_files`` of ``root`` found only in git's object store is read from there.
    """
    real_root = _real_root(str(root))
    blobs = _HEAD_BLOBS.get(str(real_root)) if _HEAD_BLOBS else None
    if blobs and rel in blobs:
        return read_blob(Path(root), blobs[rel], max_bytes)
    full = os.path.join(root, rel)
    inside = str(real_root).rstrip(os.sep) + os.sep
    try:
        if os.path.islink(full) or not os.path.realpath(full).startswith(inside):
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
