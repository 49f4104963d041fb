"""History: who changed what, when, and whether the people who wrote most of it are still around.

One streaming ``git log --numstat`` pass over HEAD's history (plus one ``ls-tree`` for the files
that still exist) gives, per file with renames followed, the commits, lines added and removed,
churn, each author's share of the changed lines and the last change; per author, the commits,
first and last commit and lines changed; for the repository, the bus factor, whether the owners
of the code are still active, a weekly timeline and the "prototype mode" fact. Memory grows with
the number of files, authors and weeks, never with the number of commits.

Author e-mails are used only to group commits and never leave this module (the results are shared
with people who need not see them).
"""

from __future__ import annotations

import codecs
import os
import subprocess
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import IO, Any, Callable, Iterable

import git
from gitdb.exc import ODBError

from auditlib.collect.files import (
    NOT_OWNER,
    SKIP_DIRS,
    HeadState,
    index_problem,
    inspect_head,
)
from auditlib.collect.gitio import (
    describe_git_error,
    git_command,
    is_partial_clone,
    is_shallow,
    open_repo,
    run_git,
    safe_git_env,
    stream_git,
)
from auditlib.models import AuthorStats, FileHistory, HistoryFacts, WeekActivity
from auditlib.ownership import cover_half

FIELD_SEP = "\x1f"
# E-mail and name come last (the header is split at most four times) so a stray separator in a
# name cannot shift the other fields.
LOG_FORMAT = "--format=%x1e%H%x1f%P%x1f%at%x1f%ae%x1f%an"
LOG_FLAGS = (
    # --no-show-signature: the target's log.showSignature would otherwise make git run gpg;
    # --no-ext-diff/--no-textconv: never a program named by the target's config; --root: the first
    # commit's files count even when the target sets log.showRoot=false; -z: paths verbatim (no
    # quoting; a rename is two separate paths, so the display forms "old => new" and
    # "{a => b}/c" never need parsing and a name holding " => ", braces or tabs is harmless).
    "--no-show-signature", "--no-color", "--no-ext-diff", "--no-textconv", "--encoding=UTF-8",
    "--root", "-z", "-M",
)
CHUNK = 1 << 20

MAX_FILES = 200
"""Files kept in ``HistoryFacts.files`` (most churn first), so results.json stays small."""
MAX_FILE_AUTHORS = 5
MAX_PREVIOUS_PATHS = 5
TIMELINE_AUTHORS = 8
"""Authors named in the weekly timeline; the others are summed under OTHERS."""
OTHERS = "(others)"
PROGRESS_EVERY = 5000

LOCKFILES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "poetry.lock",
    "Pipfile.lock", "uv.lock", "pdm.lock", "Cargo.lock", "Gemfile.lock", "composer.lock", "go.sum",
})
"""Generated files whose churn says nothing about who knows the code."""


def counts_for_ownership(path: str) -> bool:
    """Whether a file's changes count as knowledge of the code (not vendored, not a lockfile)."""
    parts = PurePosixPath(path).parts
    if not parts or parts[-1] in LOCKFILES:
        return False
    return not any(p in SKIP_DIRS or p.endswith(".egg-info") for p in parts[:-1])


MAX_UNDATED_EXAMPLES = 3
MAX_TS = 253402300799
"""1 second before year 10000 (UTC): the last instant Python's datetime (and ISO 8601) can show."""


@dataclass
class _Author:
    name: str
    name_ts: int
    first: int | None
    """Earliest usable date (None: every commit of the author has an unusable date)."""
    last: int | None
    commits: int = 0
    added: int = 0
    removed: int = 0


@dataclass
class _File:
    commits: int = 0
    added: int = 0
    removed: int = 0
    binary: int = 0
    last: int | None = None
    lines: dict[int, int] = field(default_factory=dict)
    """Author index -> changed lines."""
    touches: dict[int, int] = field(default_factory=dict)
    """Author index -> commits."""
    previous: list[str] = field(default_factory=list)


class LogAccumulator:
    """Folds the log stream into per-author, per-file (current path) and per-week counts.

    Commits arrive newest first. A rename ``old -> new`` in commit C means that in every older
    commit ``old`` is the file now known by whatever ``new`` resolves to, so ``alias[old]`` points
    at that current path from C on; and ``new`` in commits older than C names some other file (or
    none), so its alias is dropped. A commit's renames are resolved together, so a swap a <-> b in
    one commit is followed correctly. Merge commits are counted, their diffs are not (they repeat
    changes already counted in the merged commits).

    A commit whose author date is unusable (git gives none for a negative or unparsable date; a huge
    one overflows Python's dates; one after ``max_ts`` lies after the audit) is still counted, with
    its changes, but its date is left out of first/last commit, activity and the timeline:
    ``undated`` counts such commits and ``undated_examples`` keeps a few of them with the raw date.
    """

    def __init__(self, max_ts: int = MAX_TS) -> None:
        self.authors: list[_Author] = []
        self.index: dict[str, int] = {}
        self.files: dict[str, _File] = {}
        self.alias: dict[str, str] = {}
        self.weeks: dict[int, dict[int, int]] = {}
        """Day number of the week's Monday -> author index -> commits."""
        self.commits = 0
        self.merges = 0
        self.added = 0
        self.removed = 0
        self.max_ts = min(max_ts, MAX_TS)
        self.undated = 0
        self.undated_examples: list[tuple[str, str]] = []
        """(commit, the raw date git gave) of a few undated commits."""
        self.malformed = 0
        """Commit records that could not be parsed at all (left out with their changes)."""
        self._author = -1
        self._ts: int | None = 0
        self._merge = False
        self._changes: list[tuple[str | None, str, bytes, bytes]] = []

    def _date(self, sha: str, text: str) -> int | None:
        """The commit's date as a timestamp, or None (counted in ``undated``) when unusable."""
        text = text.strip()
        ts = int(text) if text.isascii() and text.isdigit() and len(text) < 40 else None
        if ts is not None and ts <= self.max_ts:
            return ts
        self.undated += 1
        if len(self.undated_examples) < MAX_UNDATED_EXAMPLES:
            shown = "".join(c if c.isprintable() else "?" for c in text[:24]) or "none"
            self.undated_examples.append((sha.strip()[:12], shown))
        return None

    def header(self, text: str) -> None:
        """Start a commit from its ``%H %P %at %ae %an`` record."""
        self.flush()
        parts = text.split(FIELD_SEP, 4)
        if len(parts) != 5:  # malformed header: ignore the commit and its changes
            self.malformed += 1
            self._author = -1
            return
        sha, parents, ts_text, email, name = parts
        ts = self._date(sha, ts_text)
        key = email.strip().lower() or f"name:{name.strip().lower()}"
        idx = self.index.get(key)
        if idx is None:
            idx = self.index[key] = len(self.authors)
            self.authors.append(_Author(name=name, name_ts=-1 if ts is None else ts, first=ts, last=ts))
        author = self.authors[idx]
        author.commits += 1
        if ts is not None:
            author.first = ts if author.first is None else min(author.first, ts)
            author.last = ts if author.last is None else max(author.last, ts)
            if ts >= author.name_ts:  # show the name the author uses now
                author.name, author.name_ts = name, ts
        self.commits += 1
        self._merge = len(parents.split()) > 1
        self.merges += self._merge
        if ts is not None:
            day = ts // 86400
            week = self.weeks.setdefault(day - (day + 3) % 7, {})  # day 0, 1970-01-01, was a Thursday
            week[idx] = week.get(idx, 0) + 1
        self._author, self._ts = idx, ts

    def change(self, old: str | None, new: str, added: bytes, removed: bytes) -> None:
        """One numstat entry of the current commit (``old`` is set for a rename)."""
        if self._author >= 0 and not self._merge:
            self._changes.append((old, new, added, removed))

    def flush(self) -> None:
        """Apply the buffered entries of the current commit."""
        if not self._changes:
            return
        alias, idx, ts = self.alias, self._author, self._ts
        resolved = [(old, alias.get(new, new), added, removed) for old, new, added, removed in self._changes]
        for old, new, _a, _r in self._changes:
            if old is not None:
                alias.pop(new, None)
        author = self.authors[idx]
        for old, target, added, removed in resolved:
            f = self.files.get(target)
            if f is None:
                f = self.files[target] = _File()
            if old is not None and old != target:
                alias[old] = target
                if old not in f.previous and len(f.previous) < MAX_PREVIOUS_PATHS:
                    f.previous.append(old)
            f.commits += 1
            if ts is not None:
                f.last = ts if f.last is None else max(f.last, ts)
            f.touches[idx] = f.touches.get(idx, 0) + 1
            if added == b"-" or removed == b"-":  # binary: a change without lines
                f.binary += 1
                continue
            try:
                a, r = int(added), int(removed)
            except ValueError:
                continue
            f.added += a
            f.removed += r
            if a or r:
                f.lines[idx] = f.lines.get(idx, 0) + a + r
            author.added += a
            author.removed += r
            self.added += a
            self.removed += r
        self._changes = []


class PatchTap:
    """History's per-file line counts read from another collector's ``git log -p -U0`` stream, so that
    one git pass serves both (the secrets scan reads every commit's patch anyway; a second
    ``git log --numstat`` would diff every commit again: a third of the audit's git time).

    Fed by the secrets scan (``collect.secrets``) with the lines that are not patch content (each
    commit's header, ``SHARED_FORMAT``, each file's ``diff --git`` line and extended headers) and each
    file's counts of added and removed patch lines, which (with ``-U0``: no context) are what
    ``--numstat`` counts. Only commits in ``reachable`` (the audited revision's
    history; the stream walks every ref) are counted. The result equals ``git log --numstat -M`` of
    that revision, except that a file over the text limit counts as binary in both scans.
    ``reachable`` None: every commit of the stream is the revision's (every ref points at it).
    ``valid`` is False once the stream was not read whole (the caller then reads the history itself).
    """

    def __init__(self, reachable: set[str] | None, max_ts: int = MAX_TS) -> None:
        self.log = LogAccumulator(max_ts=max_ts)
        self.reachable = reachable
        self.valid = True
        self._on = False
        self._file: list[Any] | None = None  # [old path or None, path or None, added, removed, binary]

    def commit(self, line: bytes) -> None:
        """A commit header: ``SHA CT<US>parents<US>author time<US>email<US>name``."""
        self._end_file()
        core, _, rest = line.rstrip(b"\r\n").partition(b"\x1f")
        sha = core.split(b" ", 1)[0].decode("ascii", "replace")
        self._on = self.reachable is None or sha in self.reachable
        if self._on:
            self.log.header(sha + FIELD_SEP + _decode(rest))

    def file(self, line: bytes) -> None:
        """A ``diff --git a/X b/Y`` line: a new file of the current commit."""
        self._end_file()
        if self._on:
            self._file = [None, _diff_git_path(line), 0, 0, False]

    def header(self, line: bytes) -> None:
        """An extended header line of the current file (rename, binary, ``---``/``+++``)."""
        f = self._file
        if f is None:
            return
        if line.startswith(b"rename from "):
            f[0] = _unquote(line[12:])
        elif line.startswith(b"rename to "):
            f[1] = _unquote(line[10:])
        elif line.startswith(b"Binary files "):
            f[4] = True
        elif f[1] is None and line.startswith((b"+++ b/", b"--- a/", b'+++ "b/', b'--- "a/')):
            f[1] = _unquote(line[4:])[2:]

    def lines(self, added: int, removed: int) -> None:
        """The current file's patch: its added and removed lines (``-U0``: no context lines)."""
        f = self._file
        if f is not None:
            f[2] += added
            f[3] += removed

    def end(self) -> LogAccumulator:
        """The stream is over: the accumulator, complete."""
        self._end_file()
        self.log.flush()
        return self.log

    def _end_file(self) -> None:
        f, self._file = self._file, None
        if f is None or f[1] is None:
            return
        if f[4]:
            self.log.change(f[0], f[1], b"-", b"-")
        else:
            self.log.change(f[0], f[1], b"%d" % f[2], b"%d" % f[3])


SHARED_FORMAT = "%x1f%P%x1f%at%x1f%ae%x1f%an"
"""What ``PatchTap.commit`` needs after the secrets scan's own ``%H %ct`` (history's LOG_FORMAT fields)."""


def _unquote(raw: bytes) -> str:
    """A path as git prints it in a patch header: C-quoted when it holds odd characters."""
    p = raw.rstrip(b"\r\n")
    if p.endswith(b"\t"):
        p = p[:-1]  # git ends a ---/+++ header with a tab when the path has a space
    if p.startswith(b'"') and p.endswith(b'"') and len(p) >= 2:
        try:
            p = codecs.escape_decode(p[1:-1])[0]
        except Exception:  # noqa: BLE001 - a malformed quote: keep the raw bytes
            pass
    return _decode(p)


def _diff_git_path(line: bytes) -> str | None:
    """The path of ``diff --git a/P b/P`` when both halves agree (a rename or a quoted pair is named
    by the ``rename to`` or ``+++`` header instead: None here)."""
    rest = line[11:].rstrip(b"\r\n")
    n = (len(rest) - 5) // 2
    if n > 0 and rest[:2] == b"a/" and rest[2 + n:5 + n] == b" b/" and rest[2:2 + n] == rest[5 + n:]:
        return _decode(rest[2:2 + n])
    return None


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def parse_log(chunks: Iterable[bytes], log: LogAccumulator, progress: Callable[[str], None] | None = None) -> None:
    """Feed a ``git log -z [--numstat]`` byte stream (LOG_FORMAT) into ``log``, chunk by chunk.

    Records are NUL-terminated. A commit header starts with "\\x1e". A numstat entry is
    ``added<TAB>removed<TAB>path``, or ``added<TAB>removed<TAB>`` followed by two records, the old
    and the new path, for a rename; ``-`` for both counts marks a binary file. Git puts a newline
    between a header and its first entry.
    """
    pending = b""
    rename: list[Any] | None = None  # [added, removed, old path or None] while a rename's paths are read
    for chunk in chunks:
        parts = (pending + chunk).split(b"\0")
        pending = parts.pop()
        for token in parts:
            if rename is not None:  # a path: may start with anything, even "\x1e"
                if rename[2] is None:
                    rename[2] = _decode(token)
                else:
                    log.change(rename[2], _decode(token), rename[0], rename[1])
                    rename = None
                continue
            if token[:1] == b"\n":
                token = token[1:]
            if token[:1] == b"\x1e":
                log.header(_decode(token[1:]))
                if progress and log.commits % PROGRESS_EVERY == 0:
                    progress(f"history: {log.commits} commits read")
                continue
            fields = token.split(b"\t", 2)
            if len(fields) != 3:
                continue
            added, removed, path = fields
            if path:
                log.change(None, _decode(path), added, removed)
            else:
                rename = [added, removed, None]
    log.flush()


def _stream_log(repo: git.Repo, log: LogAccumulator, *, numstat: bool,
                progress: Callable[[str], None] | None, rev: str = "HEAD") -> None:
    """Run the collector's one ``git log`` (through the git layer) and parse its output as it
    arrives. A non-zero exit raises GitCommandError with git's message."""
    root = Path(repo.working_tree_dir or repo.git_dir)
    args = ["log", *LOG_FLAGS, *(["--numstat"] if numstat else []), LOG_FORMAT, rev, "--"]

    def consume(out: IO[bytes]) -> bool:
        parse_log(iter(lambda: out.read(CHUNK), b""), log, progress)
        return False

    run = stream_git(root, args, consume)
    if run.failed:
        raise git.GitCommandError(git_command(*args), run.status, run.stderr.encode())


def _existing_paths(repo: git.Repo, rev: str = "HEAD") -> set[str]:
    out = repo.git.ls_tree("-r", "-z", "--name-only", "--full-tree", rev, stdout_as_string=False)
    return {_decode(p) for p in out.split(b"\0") if p}


def git_error_line(exc: Exception) -> str:
    """The first meaningful line of a git failure (git's own stderr when there is one)."""
    stderr = getattr(exc, "stderr", None)
    if isinstance(stderr, bytes):
        stderr = stderr.decode("utf-8", "replace")
    text = (stderr or "").strip()
    # GitPython formats stderr as "stderr: '<text>'".
    if text.startswith("stderr:"):
        text = text[len("stderr:"):].strip().strip("'").strip()
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


def _display_name(name: str) -> str:
    # Some people set user.name to their e-mail address: keep only the part before the "@".
    name = name.strip()
    if "@" in name:
        name = name.split("@", 1)[0].strip()
    return name or "(unknown)"


def _filter_neutralising_env(repo: git.Repo) -> dict[str, str]:
    """Extra GIT_CONFIG_* entries that blank every filter driver the repository configures.

    ``git diff`` against the working tree runs a file's clean filter (``filter.<driver>.clean`` or
    ``.process``, chosen by the target's own ``.gitattributes`` and ``.git/config``), which would
    let the target run a program. The safe environment only covers LFS, so blank the rest here.
    """
    try:
        out = repo.git.config("--get-regexp", r"^filter\..*\.(clean|smudge|process|required)$")
    except git.GitCommandError:  # exit 1: no filter configured
        return {}
    drivers = set()
    for line in out.splitlines():
        key = line.split(" ", 1)[0]
        driver = key[len("filter."):].rsplit(".", 1)[0]
        if driver:
            drivers.add(driver)
    base = safe_git_env()
    count = int(base["GIT_CONFIG_COUNT"])
    env = dict(base)
    for driver in sorted(drivers):
        for setting, value in (("clean", ""), ("smudge", ""), ("process", ""), ("required", "false")):
            env[f"GIT_CONFIG_KEY_{count}"] = f"filter.{driver}.{setting}"
            env[f"GIT_CONFIG_VALUE_{count}"] = value
            count += 1
    env["GIT_CONFIG_COUNT"] = str(count)
    return env


def _is_dirty(repo: git.Repo) -> tuple[bool, str | None]:
    """Whether tracked files differ from HEAD (untracked files do not count), and why not known.

    A failure here (a bare repository, a damaged index) must not cost the rest of the history, so
    it comes back as a note instead of an exception.
    """
    try:
        extra = _filter_neutralising_env(repo)
        if extra:
            repo.git.update_environment(**extra)
        repo.git.diff("--quiet", "--no-ext-diff", "--no-textconv", "HEAD", "--")
    except git.GitCommandError as exc:
        if exc.status == 1:  # --quiet: 1 means "there are differences"
            return True, None
        return False, f"could not check for uncommitted changes: {git_error_line(exc)}"
    return False, None




def _iso(ts: int | None) -> str:
    """ISO 8601 for a timestamp the accumulator accepted; "" for an author without any usable date."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(min(max(ts, 0), MAX_TS), timezone.utc).isoformat()


def _file_history(path: str, f: _File, names: list[str], active: list[bool]) -> FileHistory:
    # Knowledge is weighed by changed lines; a file changed only as binary (or only by empty
    # commits) has none, so its commits are weighed instead.
    weights = f.lines if f.lines else f.touches
    total = sum(weights.values())
    main = min(weights, key=lambda i: (-weights[i], names[i].lower(), i)) if total else None
    by_name: dict[str, int] = {}
    for i, w in weights.items():
        by_name[names[i]] = by_name.get(names[i], 0) + w
    top = sorted(by_name.items(), key=lambda kv: (-kv[1], kv[0].lower()))[:MAX_FILE_AUTHORS]
    return FileHistory(
        path=path, commits=f.commits, lines_added=f.added, lines_removed=f.removed, churn=f.added + f.removed,
        binary_changes=f.binary, authors=len(f.touches),
        author_shares={name: round(w / total, 3) for name, w in top} if total else {},
        main_author=names[main] if main is not None else None,
        main_author_share=round(weights[main] / total, 3) if main is not None else 0.0,
        main_author_active=active[main] if main is not None else None,
        last_change=_iso(f.last) if f.last is not None else None,
        previous_paths=list(f.previous),
    )


def _timeline(log: LogAccumulator, names: list[str]) -> list[WeekActivity]:
    named = set(sorted(range(len(log.authors)), key=lambda i: (-log.authors[i].commits, names[i].lower()))
                [:TIMELINE_AUTHORS])
    weeks = []
    for day in sorted(log.weeks):
        counts = log.weeks[day]
        by_author: dict[str, int] = {}
        for i, n in counts.items():
            key = names[i] if i in named else OTHERS
            by_author[key] = by_author.get(key, 0) + n
        weeks.append(WeekActivity(week=(date(1970, 1, 1) + timedelta(days=day)).isoformat(),
                                  commits=sum(counts.values()), by_author=by_author))
    return weeks


def summarise(log: LogAccumulator, existing: set[str], *, since_ts: int, young_days: int,
              shallow: bool, line_stats: bool) -> dict[Any, Any]:
    """The HistoryFacts fields that the accumulated log gives (pure; no git).

    Ownership counts only files that still exist (``existing``) and are not vendored or lockfiles:
    an author's ``owned_lines`` are the lines they added or removed in those files over the whole
    history, renames followed. The bus factor is the size of the smallest set of authors whose
    owned lines reach half of all owned lines (``ownership.cover_half``), and ``owners`` is that
    set. Without any owned line (only binary files, or no line counts) commits are weighed instead.
    """
    names = [_display_name(a.name) for a in log.authors]
    active = [a.last is not None and a.last >= since_ts for a in log.authors]
    owned = {path: f for path, f in log.files.items() if path in existing and counts_for_ownership(path)}
    owned_lines = [0] * len(log.authors)
    for f in owned.values():
        for i, lines in f.lines.items():
            owned_lines[i] += lines
    total_owned = sum(owned_lines)
    weights = owned_lines if total_owned else [a.commits for a in log.authors]
    owners = cover_half(dict(enumerate(weights)))
    authors = sorted(
        (AuthorStats(name=names[i], commits=a.commits, first_commit=_iso(a.first), last_commit=_iso(a.last),
                     active_recently=active[i], lines_added=a.added, lines_removed=a.removed,
                     owned_lines=owned_lines[i],
                     ownership_share=round(owned_lines[i] / total_owned, 3) if total_owned else 0.0)
         for i, a in enumerate(log.authors)),
        key=lambda a: (-a.commits, a.name.lower()),
    )
    ranked = sorted(owned.items(), key=lambda kv: (-(kv[1].added + kv[1].removed), kv[0]))[:MAX_FILES]
    first = min((a.first for a in log.authors if a.first is not None), default=None)
    last = max((a.last for a in log.authors if a.last is not None), default=None)
    days = (last - first) // 86400 if first is not None and last is not None else None
    reasons = []
    if not shallow and log.commits:  # a shallow clone shows too few authors and days to judge
        if len(log.authors) == 1:
            reasons.append("a single author")
        if days is not None and days < young_days:
            reasons.append(f"{days} days of history (under {young_days})")
    return dict(
        commits=log.commits, merge_commits=log.merges, authors=authors,
        first_commit=_iso(first) if first is not None else None,
        last_commit=_iso(last) if last is not None else None,
        top_authors_active=any(active[i] for i in owners) if owners else None,
        line_stats=line_stats, lines_added=log.added, lines_removed=log.removed,
        files_changed=len(log.files), files_owned=len(owned),
        files=[_file_history(path, f, names, active) for path, f in ranked],
        bus_factor=len(owners) if owners else None, owners=[names[i] for i in owners],
        timeline=_timeline(log, names), history_days=days,
        prototype_mode=bool(reasons), prototype_reasons=reasons,
    )


def collect_history(
    root: Path,
    *,
    now: datetime,
    window_days: int = 90,
    young_days: int = 60,
    progress: Callable[[str], None] | None = None,
    tap: PatchTap | None = None,
) -> HistoryFacts:
    """Summarise HEAD's history: authors and activity, per-file churn and ownership, timeline.

    ``tap``: the history already read from the secrets scan's stream (``patch_tap``); used when it
    was read whole, otherwise git's log is read here.

    ``now`` is the audit's clock (aware; a naive value is taken as UTC). An author is
    ``active_recently`` when their last commit is at or after ``now - window_days``. The owners of
    the code are the fewest authors who together changed at least half of the lines of the files
    that still exist (vendored folders and lockfiles left out; see ``summarise``): their number is
    ``bus_factor`` and ``top_authors_active`` is True when at least one of them committed within
    the window, False when none did, None when there are no commits. ``prototype_mode`` is set
    for a single author or under ``young_days`` of history (a fact, never a finding by itself).

    Not a git repository gives ``available=False``; an empty repository is available with zero
    commits; a shallow clone is available and says its history is partial; a partial clone
    (``--filter``) is read without line counts, since they would make git fetch every missing blob.

    A damaged repository is said to be one (``damaged``, ``reason``, ``limits``), never taken for an
    empty one: a broken HEAD (missing commit, symbolic-ref loop) has the history of the newest
    readable branch read instead (``history_from``), or none when there is no such branch; an unknown
    repository extension makes git refuse it (not available); missing objects deeper in the history
    keep what git could read ("history partly unreadable"); a commit with an unusable date is counted
    without its date (``undated_commits``).
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    since = now - timedelta(days=window_days)
    max_ts = _max_ts(now)
    try:
        with open_repo(Path(root)) as repo:
            return _collect(repo, since=since, window_days=window_days, young_days=young_days,
                            progress=progress, max_ts=max_ts, tap=tap)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        if os.path.lexists(Path(root) / ".git"):  # a .git folder that git does not accept: say why
            state = inspect_head(Path(root))
            if state.status == "unreadable" and state.problem:
                return _damaged(window_days, state.problem, limits=[f"No history was read: {state.problem}."])
        return HistoryFacts(available=False, reason="not a git repository", activity_window_days=window_days)
    except (git.GitError, ODBError, ValueError, OSError, subprocess.SubprocessError) as exc:
        # ODBError/ValueError: GitPython's own complaints about a corrupt HEAD, ref or object.
        line = git_error_line(exc)
        return HistoryFacts(available=False, reason=f"history unreadable: {line}",
                            limits=[f"History unreadable: {line}."], activity_window_days=window_days)


def _max_ts(now: datetime) -> int:
    # A commit dated after the audit (a day's clock skew allowed) has a date no one can trust; the
    # machine's clock counts too, for audits run with an earlier ``now``.
    return int(max(now, datetime.now(timezone.utc)).timestamp()) + 86400


def patch_tap(root: Path, *, now: datetime) -> PatchTap | None:
    """A tap for the secrets scan's stream (see PatchTap), or None when the history must be read on
    its own: HEAD broken or missing, a partial clone (no line counts), git failing."""
    root = Path(root)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    state = inspect_head(root)
    if state.status != "ok" or not state.commit or is_partial_clone(root):
        return None
    tips = run_git(root, "for-each-ref", "--format=%(objectname)")
    if tips.returncode == 0 and set(tips.stdout.decode("ascii", "replace").split()) <= {state.commit}:
        # every ref points at the audited commit (one branch, a prototype's usual repository): the
        # stream of every ref is that commit's history, no list of it is needed
        return PatchTap(None, max_ts=_max_ts(now))
    listing = run_git(root, "rev-list", state.commit, "--")
    if listing.returncode != 0:
        return None
    return PatchTap(set(listing.stdout.decode("ascii", "replace").split()), max_ts=_max_ts(now))


def _ref_label(refname: str) -> str:
    for prefix, label in (("refs/heads/", "branch"), ("refs/remotes/", "remote branch"), ("refs/tags/", "tag")):
        if refname.startswith(prefix):
            return f"{label} {refname[len(prefix):]}"
    return refname


MAX_FALLBACK_REFS = 500


def _fallback_ref(repo: git.Repo) -> tuple[str, str] | None:
    """The newest readable commit among the branches (then remote branches, then tags): (ref, sha).

    For a broken HEAD: the history of the repository's other references is still evidence.
    """
    try:
        out = repo.git.for_each_ref("--format=%(refname)%00%(objectname)", "refs/heads", "refs/remotes",
                                    "refs/tags", stdout_as_string=False)
    except git.GitCommandError:
        return None
    refs = []
    for line in out.split(b"\n")[:MAX_FALLBACK_REFS]:
        name, _, sha = line.decode("utf-8", "replace").partition("\0")
        if name and sha and not name.endswith("/HEAD"):
            refs.append((name, sha.strip()))
    if not refs:
        return None
    check = run_git(Path(repo.working_tree_dir or repo.git_dir), "cat-file",
                    "--batch-check=%(objectname) %(objecttype)",
                    input="".join(f"{sha}^{{commit}}\n" for _n, sha in refs).encode())
    lines = check.stdout.decode("ascii", "replace").splitlines()
    readable = [(name, line.split()[0]) for (name, _sha), line in zip(refs, lines, strict=False)
                if line.endswith(" commit")]
    if not readable:
        return None
    dates: dict[str, int] = {}
    try:  # one process for every tip's committer date
        out = repo.git.log("--no-walk=unsorted", "--no-show-signature", "--format=%H%x1f%ct",
                           *sorted({sha for _n, sha in readable}))
        for line in out.splitlines():
            sha, _, ts = line.partition("\x1f")
            dates[sha] = int(ts) if ts.strip().isdigit() else 0
    except git.GitCommandError:
        pass

    def key(ref: tuple[str, str]) -> tuple[int, int, str]:
        name, sha = ref
        rank = 0 if name.startswith("refs/heads/") else 1 if name.startswith("refs/remotes/") else 2
        return rank, -dates.get(sha, 0), name
    return min(readable, key=key)


def _read_log(repo: git.Repo, rev: str, *, numstat: bool, max_ts: int,
              progress: Callable[[str], None] | None) -> tuple[LogAccumulator, bool, bool, list[str]]:
    """Read ``rev``'s history: the accumulator, whether line counts were read, whether older commits
    are missing, and what was lost (sentences for ``limits``).

    Missing objects (a damaged or partial copy) make git stop. What was read before stays; with line
    counts on, the log is read again without them (commits only need commit objects), and the
    reading that saw more commits is kept.
    """
    log = LogAccumulator(max_ts=max_ts)
    try:
        _stream_log(repo, log, numstat=numstat, progress=progress, rev=rev)
        return log, numstat, False, []
    except git.GitCommandError as exc:
        error = describe_git_error(exc)
    if numstat:
        if progress:
            progress(f"history: git stopped ({error}); reading the commits without line counts")
        bare = LogAccumulator(max_ts=max_ts)
        try:
            _stream_log(repo, bare, numstat=False, progress=progress, rev=rev)
            return bare, False, False, [(
                f"History partly unreadable ({error}): all {bare.commits} commits were read, but not the "
                "per-file line counts, so ownership and the bus factor are weighed by commits.")]
        except git.GitCommandError:
            if bare.commits > log.commits:
                log, numstat = bare, False
    if not log.commits:
        raise _Unreadable(error)
    return log, numstat, True, [(
        f"History partly unreadable ({error}): only the {log.commits} most recent commits could be read; "
        "older history is missing, so counts are lower bounds.")]


class _Unreadable(Exception):
    """No commit of the history could be read."""


def _damaged(window_days: int, problem: str, **fields: Any) -> HistoryFacts:
    if problem.startswith(NOT_OWNER):  # git's ownership check, not damage
        return HistoryFacts(available=False, reason=problem, activity_window_days=window_days, **fields)
    return HistoryFacts(available=False, reason=f"the repository is damaged: {problem}", damaged=problem,
                        activity_window_days=window_days, **fields)


def _collect(repo: git.Repo, *, since: datetime, window_days: int, young_days: int,
             progress: Callable[[str], None] | None, max_ts: int = MAX_TS, tap: PatchTap | None = None
             ) -> HistoryFacts:
    root = Path(repo.working_tree_dir or repo.git_dir)
    state: HeadState = inspect_head(root)
    limits: list[str] = []
    damaged = None
    history_from = None
    if state.status == "unreadable":
        problem = state.problem or "git refuses to read the repository"
        return _damaged(window_days, problem, limits=[f"No history was read: {problem}."])
    if state.status == "unborn":  # git init without a commit
        return HistoryFacts(
            branch=state.branch, reason="the repository has no commits", activity_window_days=window_days
        )
    if state.status == "broken":
        damaged = state.problem or "HEAD cannot be read"
        fallback = _fallback_ref(repo)
        if fallback is None:
            return _damaged(window_days, damaged, limits=[
                f"No history was read: {damaged}, and no other branch or tag holds a readable commit."])
        history_from, rev = fallback
        limits.append(f"The repository is damaged: {damaged}. The history of {_ref_label(history_from)} "
                      f"(commit {rev[:12]}), the newest readable branch, was read instead of HEAD's.")
        head = None
        branch = None
    else:
        rev = head = state.commit or "HEAD"
        branch = state.branch
    root = Path(repo.working_tree_dir or repo.git_dir)
    shallow, partial = is_shallow(root), is_partial_clone(root)

    if progress:
        progress("history: reading the commit log")
    try:
        if tap is not None and tap.valid and state.status == "ok" and not partial:
            if progress:
                progress("history: read with the secrets scan's pass over the history")
            lost: list[str] = []
            log, line_stats, truncated = tap.end(), True, False
        else:
            log, line_stats, truncated, lost = _read_log(repo, rev, numstat=not partial, max_ts=max_ts,
                                                         progress=progress)
    except _Unreadable as exc:
        problem = f"{damaged}; " if damaged else ""
        return _damaged(window_days, f"{problem}history unreadable ({exc})", history_from=history_from,
                        limits=limits + [f"No history was read: git could not read a single commit ({exc})."])
    limits += lost
    if lost and damaged is None:
        damaged = "objects are missing from the history (a damaged or incomplete copy)"
    if progress:
        progress(f"history: {log.commits} commits by {len(log.authors)} authors, {len(log.files)} files")
    try:
        existing = _existing_paths(repo, rev)
    except git.GitCommandError as exc:  # a missing tree: count every file the history changed
        existing = set(log.files)
        damaged = damaged or "objects are missing from the history (a damaged or incomplete copy)"
        limits.append(f"The tree of the audited commit is unreadable ({describe_git_error(exc)}): ownership "
                      "counts every file the history changed, deleted ones included.")
    fields = summarise(log, existing, since_ts=int(since.timestamp()), young_days=young_days,
                       shallow=shallow or truncated, line_stats=line_stats)
    if log.undated:
        examples = ", ".join(f"{sha} ({raw})" for sha, raw in log.undated_examples)
        limits.append(
            f"{log.undated} commit(s) have an author date that is missing, unparsable, out of range or after "
            f"the audit (e.g. {examples}): they are counted, but their dates are left out of the first and "
            "last commit, the activity window and the timeline.")
    if log.malformed:
        limits.append(f"{log.malformed} commit record(s) of git's log could not be parsed and were left out.")
    if state.status == "broken":
        dirty, dirty_note = False, None
    else:
        index_note = index_problem(root)
        dirty, dirty_note = (False, f"could not check for uncommitted changes: {index_note}") if index_note \
            else _is_dirty(repo)
    notes = ([f"the repository is damaged: {damaged}"] if damaged else []) \
        + (["shallow clone: history is partial"] if shallow else []) \
        + (["partial clone: per-file line counts not read (they would fetch the missing blobs)"] if partial else []) \
        + ([dirty_note] if dirty_note else [])
    if progress:
        for limit in limits:
            progress(f"history: {limit}")
    return HistoryFacts(
        reason="; ".join(notes) or None, head=head, branch=branch, shallow=shallow,
        activity_window_days=window_days, dirty=dirty, damaged=damaged, history_from=history_from,
        undated_commits=log.undated, truncated=truncated, limits=limits, **fields,
    )
