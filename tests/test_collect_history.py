"""History: authors and activity from one git log pass; shallow, dirty, empty and broken repos."""

from __future__ import annotations

import os
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from auditlib.collect.history import collect_history

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)


def git(repo: Path, *args: str, date: str | None = None, name: str = "Ann",
        email: str = "ann@example.com") -> str:
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo.parent)}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    return subprocess.run(
        ["git", "-c", f"user.name={name}", "-c", f"user.email={email}", "-c", "init.defaultBranch=main",
         "-c", "commit.gpgsign=false", *args],
        cwd=repo, env=env, check=True, capture_output=True, text=True,
    ).stdout.strip()


def commit(repo: Path, path: str, content: str, date: str, name: str, email: str) -> None:
    (repo / path).write_text(content)
    git(repo, "add", path)
    git(repo, "commit", "-q", "-m", f"edit {path}", date=date, name=name, email=email)


@pytest.fixture
def two_authors(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    # Old Bob wrote most of it and left; Ann (who changed her display name) is still active.
    commit(repo, "a.py", "1\n", "2023-01-01T10:00:00+02:00", "Bob", "bob@example.com")
    commit(repo, "a.py", "2\n", "2023-01-05T10:00:00+00:00", "Bob", "bob@example.com")
    commit(repo, "a.py", "3\n", "2023-02-01T10:00:00+00:00", "Bob", "BOB@example.com")
    commit(repo, "b.py", "1\n", "2023-03-01T10:00:00+00:00", "ann", "ann@example.com")
    commit(repo, "b.py", "2\n", "2024-05-20T10:00:00+00:00", "Ann Smith", "Ann@Example.com")
    return repo


def test_authors_activity_and_dates(two_authors: Path):
    messages: list[str] = []
    facts = collect_history(two_authors, now=NOW, window_days=90, progress=messages.append)

    assert facts.available and facts.reason is None
    assert facts.commits == 5
    assert facts.branch == "main"
    assert facts.head == git(two_authors, "rev-parse", "HEAD")
    assert facts.first_commit == "2023-01-01T08:00:00+00:00"
    assert facts.last_commit == "2024-05-20T10:00:00+00:00"
    assert [(a.name, a.commits, a.active_recently) for a in facts.authors] == [
        ("Bob", 3, False),  # e-mail case differs across commits: still one person
        ("Ann Smith", 2, True),  # the most recent name is shown
    ]
    bob = facts.authors[0]
    assert bob.first_commit == "2023-01-01T08:00:00+00:00"
    assert bob.last_commit == "2023-02-01T10:00:00+00:00"
    # Bob alone covers more than half of the commits, and he is gone.
    assert facts.top_authors_active is False
    assert facts.shallow is False and facts.dirty is False
    assert "@" not in facts.model_dump_json()
    assert any("5 commits" in m for m in messages)


def test_top_authors_active_when_a_top_author_is_in_the_window(two_authors: Path):
    # A wider window makes Bob's last commit recent as well.
    facts = collect_history(two_authors, now=NOW, window_days=600)
    assert facts.top_authors_active is True
    assert all(a.active_recently for a in facts.authors)
    assert facts.activity_window_days == 600


def test_naive_now_is_taken_as_utc(two_authors: Path):
    facts = collect_history(two_authors, now=datetime(2024, 6, 1), window_days=90)
    assert [a.active_recently for a in facts.authors] == [False, True]


def test_email_shaped_name_is_not_leaked(tmp_path: Path):
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, "a.py", "1\n", "2024-05-01T10:00:00+00:00", "carol@corp.example", "carol@corp.example")
    facts = collect_history(repo, now=NOW)
    assert facts.authors[0].name == "carol"
    assert "corp.example" not in facts.model_dump_json()


def test_not_a_git_repository(tmp_path: Path):
    (tmp_path / "a.py").write_text("x = 1\n")
    facts = collect_history(tmp_path, now=NOW)
    assert facts.available is False
    assert facts.reason == "not a git repository"
    missing = collect_history(tmp_path / "nope", now=NOW)
    assert missing.available is False and missing.reason == "not a git repository"


def test_empty_repository(tmp_path: Path):
    git(tmp_path, "init", "-q")
    facts = collect_history(tmp_path, now=NOW)
    assert facts.available is True
    assert facts.commits == 0
    assert facts.head is None
    assert facts.top_authors_active is None
    assert facts.reason == "the repository has no commits"


def test_shallow_clone(two_authors: Path, tmp_path: Path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{two_authors}", str(clone)],
                   check=True, capture_output=True)
    facts = collect_history(clone, now=NOW)
    assert facts.available is True
    assert facts.shallow is True
    assert facts.reason == "shallow clone: history is partial"
    assert facts.commits == 1


def test_dirty_counts_tracked_changes_only(two_authors: Path):
    (two_authors / "untracked.txt").write_text("new\n")
    assert collect_history(two_authors, now=NOW).dirty is False
    (two_authors / "a.py").write_text("changed\n")
    assert collect_history(two_authors, now=NOW).dirty is True


def test_staged_deletion_is_dirty(two_authors: Path):
    git(two_authors, "rm", "-q", "b.py")
    assert collect_history(two_authors, now=NOW).dirty is True


def test_detached_head_has_no_branch(two_authors: Path):
    git(two_authors, "checkout", "-q", "--detach", "HEAD~1")
    facts = collect_history(two_authors, now=NOW)
    assert facts.branch is None
    assert facts.commits == 4


def test_targets_filter_driver_is_not_run_by_the_dirty_check(two_authors: Path, tmp_path: Path):
    marker = tmp_path / "filter-ran"
    (two_authors / ".gitattributes").write_text("*.py filter=evil\n")
    git(two_authors, "config", "filter.evil.clean", f"touch {marker}; cat")
    git(two_authors, "config", "filter.evil.process", f"touch {marker}")
    (two_authors / "a.py").write_text("changed\n")
    facts = collect_history(two_authors, now=NOW)
    assert facts.dirty is True
    assert not marker.exists()


def test_broken_history_is_not_available(two_authors: Path):
    # Delete the object of the oldest commit: git log cannot walk past it.
    oldest = git(two_authors, "rev-list", "--max-parents=0", "HEAD")
    obj = two_authors / ".git" / "objects" / oldest[:2] / oldest[2:]
    obj.chmod(0o644)
    obj.unlink()
    facts = collect_history(two_authors, now=NOW)
    assert facts.available is False
    assert facts.reason and "\n" not in facts.reason
    assert oldest in facts.reason or "object" in facts.reason.lower()
