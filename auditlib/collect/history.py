"""History: who committed, when, and whether the people who wrote most of it are still around.

One ``git log`` pass over HEAD's history, aggregated per author. Author e-mails are used only to
group commits and never leave this module (the results are shared with people who need not see
them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import git
from gitdb.exc import ODBError

from auditlib.collect.files import open_repo, safe_git_env
from auditlib.models import AuthorStats, HistoryFacts

FIELD_SEP = "\x1f"
LOG_FORMAT = "--format=%H%x1f%an%x1f%ae%x1f%aI"


@dataclass
class _Author:
    name: str
    name_date: datetime
    commits: int
    first: datetime
    last: datetime


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


def _parse_date(value: str) -> datetime | None:
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


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


def _top_authors_active(authors: list[AuthorStats], total: int) -> bool | None:
    """Whether any of the authors who together wrote at least half of the commits is active."""
    if total == 0:
        return None
    covered = 0
    for author in authors:  # already sorted by commits, most first
        if author.active_recently:
            return True
        covered += author.commits
        if covered * 2 >= total:
            break
    return False


def collect_history(
    root: Path,
    *,
    now: datetime,
    window_days: int = 90,
    progress: Callable[[str], None] | None = None,
) -> HistoryFacts:
    """Summarise HEAD's history: commits, authors and their activity, shallow and dirty state.

    ``now`` is the audit's clock (aware; a naive value is taken as UTC). An author is
    ``active_recently`` when their last commit is at or after ``now - window_days``.
    ``top_authors_active`` is True when at least one of the authors who, taken by commit count
    from the top, cover at least half of the commits committed within the window; False when none
    did; None when there are no commits. Not a git repository, or a history git cannot read, gives
    ``available=False`` with the reason; an empty repository is available with zero commits.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    since = now - timedelta(days=window_days)
    try:
        with open_repo(Path(root)) as repo:
            return _collect(repo, since=since, window_days=window_days, progress=progress)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return HistoryFacts(available=False, reason="not a git repository", activity_window_days=window_days)
    except (git.GitError, ODBError, ValueError, OSError) as exc:
        # ODBError/ValueError: GitPython's own complaints about a corrupt HEAD, ref or object.
        return HistoryFacts(available=False, reason=git_error_line(exc), activity_window_days=window_days)


def _collect(
    repo: git.Repo, *, since: datetime, window_days: int, progress: Callable[[str], None] | None
) -> HistoryFacts:
    branch = None if repo.head.is_detached else repo.head.reference.name
    if not repo.head.is_valid():  # unborn HEAD: git init without a commit
        return HistoryFacts(
            branch=branch, reason="the repository has no commits", activity_window_days=window_days
        )
    head = repo.head.commit.hexsha
    try:
        shallow = repo.git.rev_parse("--is-shallow-repository").strip() == "true"
    except git.GitCommandError:  # git older than 2.15: look for the file git keeps instead
        shallow = Path(repo.git_dir, "shallow").is_file()

    if progress:
        progress("history: reading the commit log")
    # --no-show-signature: the target's log.showSignature would otherwise make git run gpg.
    out = repo.git.log("--no-show-signature", "--no-color", LOG_FORMAT, "HEAD", "--")
    by_identity: dict[str, _Author] = {}
    total = 0
    for line in out.splitlines():
        parts = line.split(FIELD_SEP)
        if len(parts) != 4:
            continue
        _sha, name, email, date_text = parts
        date = _parse_date(date_text)
        if date is None:
            continue
        total += 1
        key = email.strip().lower() or f"name:{name.strip().lower()}"
        author = by_identity.get(key)
        if author is None:
            by_identity[key] = _Author(name=name, name_date=date, commits=1, first=date, last=date)
            continue
        author.commits += 1
        author.first = min(author.first, date)
        if date > author.last:
            author.last = date
        if date >= author.name_date:  # show the name the author uses now
            author.name, author.name_date = name, date
    if progress:
        progress(f"history: {total} commits by {len(by_identity)} authors")

    authors = sorted(
        (
            AuthorStats(
                name=_display_name(a.name),
                commits=a.commits,
                first_commit=_iso(a.first),
                last_commit=_iso(a.last),
                active_recently=a.last >= since,
            )
            for a in by_identity.values()
        ),
        key=lambda a: (-a.commits, a.name.lower()),
    )
    firsts = [a.first for a in by_identity.values()]
    lasts = [a.last for a in by_identity.values()]
    dirty, dirty_note = _is_dirty(repo)
    notes = (["shallow clone: history is partial"] if shallow else []) + ([dirty_note] if dirty_note else [])
    return HistoryFacts(
        reason="; ".join(notes) or None,
        head=head,
        branch=branch,
        commits=total,
        authors=authors,
        first_commit=_iso(min(firsts)) if firsts else None,
        last_commit=_iso(max(lasts)) if lasts else None,
        shallow=shallow,
        top_authors_active=_top_authors_active(authors, total),
        activity_window_days=window_days,
        dirty=dirty,
    )
