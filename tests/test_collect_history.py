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


def test_broken_history_keeps_the_readable_commits_and_says_it_is_partial(two_authors: Path):
    # Delete the object of the oldest commit: git log cannot walk past it (issue 7: the commits
    # before the break are kept, and the facts say the history is damaged and partial).
    oldest = git(two_authors, "rev-list", "--max-parents=0", "HEAD")
    obj = two_authors / ".git" / "objects" / oldest[:2] / oldest[2:]
    obj.chmod(0o644)
    obj.unlink()
    facts = collect_history(two_authors, now=NOW)
    assert facts.available is True and facts.truncated is True
    assert 0 < facts.commits < 5
    assert facts.reason and "\n" not in facts.reason and "damaged" in facts.reason
    assert facts.damaged and "missing" in facts.damaged
    assert any(limit.startswith("History partly unreadable") and oldest in limit for limit in facts.limits)


# ------------------------------------------------------------------------------ files and ownership
from auditlib.collect.history import LogAccumulator, counts_for_ownership, parse_log  # noqa: E402


def write(repo: Path, path: str, content: str | bytes) -> None:
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content)


def commit_all(repo: Path, date: str, name: str = "Ann", email: str = "ann@example.com", msg: str = "c") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", msg, date=date, name=name, email=email)


def lines(n: int, tag: str = "x") -> str:
    return "".join(f"{tag}{i}\n" for i in range(n))


ALICE = ("Alice", "alice@example.com")
BOB = ("Bob", "bob@example.com")
CAROL = ("Carol", "carol@example.com")


@pytest.fixture
def three_authors(tmp_path: Path) -> Path:
    """Known numbers. Surviving changed lines: Alice 10 (a.py), Bob 6 (b.py), Carol 4 (c.py) + 4
    (two lines of a.py replaced) = 8; total 24. Bob's 100-line d.py is deleted and his lockfile
    is generated, so neither counts. Fewest authors reaching 12 lines: Alice + Carol (18)."""
    repo = tmp_path / "three"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo, "a.py", lines(10))
    commit_all(repo, "2023-01-02T10:00:00+00:00", *ALICE)
    write(repo, "b.py", lines(6))
    commit_all(repo, "2024-04-01T10:00:00+00:00", *BOB)
    write(repo, "d.py", lines(100))
    commit_all(repo, "2024-04-02T10:00:00+00:00", *BOB)
    (repo / "d.py").unlink()
    commit_all(repo, "2024-04-03T10:00:00+00:00", *BOB)
    write(repo, "package-lock.json", lines(500))
    commit_all(repo, "2024-04-04T10:00:00+00:00", *BOB)
    write(repo, "c.py", lines(4))
    commit_all(repo, "2024-05-01T10:00:00+00:00", *CAROL)
    write(repo, "a.py", lines(10).replace("x0\n", "y0\n").replace("x9\n", "y9\n"))
    commit_all(repo, "2024-05-02T10:00:00+00:00", *CAROL)
    return repo


def test_ownership_bus_factor_and_knowledge_concentration(three_authors: Path):
    facts = collect_history(three_authors, now=NOW, window_days=90)
    assert facts.commits == 7 and facts.merge_commits == 0
    by_name = {a.name: a for a in facts.authors}
    assert {n: a.owned_lines for n, a in by_name.items()} == {"Alice": 10, "Bob": 6, "Carol": 8}
    assert by_name["Alice"].ownership_share == round(10 / 24, 3)
    assert by_name["Bob"].lines_added == 606 and by_name["Bob"].lines_removed == 100
    assert facts.bus_factor == 2
    assert facts.owners == ["Alice", "Carol"]
    # Bob made the most commits but owns little of the surviving code: ownership, not commits.
    assert facts.authors[0].name == "Bob"
    assert facts.top_authors_active is True  # Carol is an owner and active
    assert facts.files_changed == 5  # a, b, c, d and the lockfile
    assert facts.files_owned == 3
    files = {f.path: f for f in facts.files}
    assert list(files) == ["a.py", "b.py", "c.py"]  # most churn first; deleted and lockfile left out
    a = files["a.py"]
    assert (a.commits, a.lines_added, a.lines_removed, a.churn, a.authors) == (2, 12, 2, 14, 2)
    assert a.main_author == "Alice" and a.main_author_share == round(10 / 14, 3)
    assert a.author_shares == {"Alice": round(10 / 14, 3), "Carol": round(4 / 14, 3)}
    assert a.main_author_active is False
    assert a.last_change == "2024-05-02T10:00:00+00:00"
    assert files["b.py"].main_author_active is True


def test_owners_inactive_with_a_later_clock(three_authors: Path):
    later = datetime(2024, 10, 1, tzinfo=timezone.utc)  # Carol's last commit is 152 days old
    facts = collect_history(three_authors, now=later, window_days=90)
    assert facts.top_authors_active is False
    # With a window that reaches Carol (but not Alice), an owner is active again.
    assert collect_history(three_authors, now=later, window_days=160).top_authors_active is True


def test_merge_commits_counted_but_not_their_diffs(tmp_path: Path):
    repo = tmp_path / "m"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo, "a.py", lines(3))
    commit_all(repo, "2024-05-01T10:00:00+00:00")
    git(repo, "checkout", "-q", "-b", "side")
    write(repo, "b.py", lines(5))
    commit_all(repo, "2024-05-02T10:00:00+00:00", *BOB)
    git(repo, "checkout", "-q", "main")
    write(repo, "a.py", lines(4))
    commit_all(repo, "2024-05-03T10:00:00+00:00")
    git(repo, "merge", "-q", "--no-ff", "--no-edit", "side", date="2024-05-04T10:00:00+00:00")
    facts = collect_history(repo, now=NOW)
    assert facts.commits == 4 and facts.merge_commits == 1
    files = {f.path: f for f in facts.files}
    assert (files["b.py"].commits, files["b.py"].churn) == (1, 5)  # not doubled by the merge
    assert (files["a.py"].commits, files["a.py"].churn) == (2, 4)
    assert facts.lines_added == 9


def test_renames_follow_both_numstat_forms(tmp_path: Path):
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo, "old.py", lines(20))
    write(repo, "src/util.py", lines(30, "u"))
    write(repo, "we => ird{b}.py", lines(8, "w"))  # a name that looks like numstat's rename syntax
    commit_all(repo, "2024-05-01T10:00:00+00:00", *ALICE)
    # "old.py => new.py" in plain numstat:
    git(repo, "mv", "old.py", "new.py")
    # "{src => lib}/util.py" in plain numstat, with an edit in the same commit:
    (repo / "lib").mkdir()
    git(repo, "mv", "src/util.py", "lib/util.py")
    write(repo, "lib/util.py", lines(30, "u") + "extra\n")
    git(repo, "mv", "we => ird{b}.py", "plain.py")
    commit_all(repo, "2024-05-02T10:00:00+00:00", *BOB)
    # a second rename of the same file, and a new file reusing the first name
    git(repo, "mv", "new.py", "final.py")
    commit_all(repo, "2024-05-03T10:00:00+00:00", *BOB)
    write(repo, "old.py", lines(2, "n"))
    commit_all(repo, "2024-05-04T10:00:00+00:00", *CAROL)

    facts = collect_history(repo, now=NOW)
    files = {f.path: f for f in facts.files}
    assert set(files) == {"final.py", "lib/util.py", "plain.py", "old.py"}
    final = files["final.py"]
    assert (final.commits, final.churn, final.main_author) == (3, 20, "Alice")
    assert final.previous_paths == ["new.py", "old.py"]
    util = files["lib/util.py"]
    assert (util.commits, util.lines_added, util.main_author) == (2, 31, "Alice")
    assert util.author_shares == {"Alice": round(30 / 31, 3), "Bob": round(1 / 31, 3)}
    assert util.previous_paths == ["src/util.py"]
    assert (files["plain.py"].churn, files["plain.py"].previous_paths) == (8, ["we => ird{b}.py"])
    # the new old.py has only its own history
    assert (files["old.py"].commits, files["old.py"].churn, files["old.py"].main_author) == (1, 2, "Carol")
    assert facts.files_changed == 4


def test_binary_files_are_changes_without_lines(tmp_path: Path):
    repo = tmp_path / "b"
    repo.mkdir()
    git(repo, "init", "-q")
    write(repo, "logo.png", b"\x89PNG\x00\x01\x02" * 50)
    commit_all(repo, "2024-05-01T10:00:00+00:00", *ALICE)
    write(repo, "logo.png", b"\x89PNG\x00\x03\x04" * 50)
    commit_all(repo, "2024-05-02T10:00:00+00:00", *BOB)
    write(repo, "logo.png", b"\x89PNG\x00\x05\x06" * 50)
    commit_all(repo, "2024-05-03T10:00:00+00:00", *BOB)
    facts = collect_history(repo, now=NOW)
    (logo,) = facts.files
    assert (logo.commits, logo.binary_changes, logo.churn) == (3, 3, 0)
    # no lines to weigh: knowledge is weighed by commits
    assert logo.main_author == "Bob" and logo.main_author_share == round(2 / 3, 3)
    assert facts.bus_factor == 1 and facts.owners == ["Bob"]


def test_timeline_buckets_are_utc_weeks_starting_monday(tmp_path: Path):
    repo = tmp_path / "t"
    repo.mkdir()
    git(repo, "init", "-q")
    dates = [
        ("2024-05-05T12:00:00+00:00", ALICE),  # Sunday: week of Monday 2024-04-29
        ("2024-05-06T01:00:00+02:00", BOB),    # Sunday 23:00 UTC: same week
        ("2024-05-06T09:00:00+00:00", ALICE),  # Monday: new week
        ("2024-05-12T23:59:00+00:00", ALICE),  # Sunday: same week
        ("2024-05-27T10:00:00+00:00", BOB),    # two weeks later; the empty week is left out
    ]
    for i, (when, who) in enumerate(dates):
        write(repo, "a.py", lines(i + 1))
        commit_all(repo, when, *who)
    facts = collect_history(repo, now=NOW)
    assert [(w.week, w.commits, w.by_author) for w in facts.timeline] == [
        ("2024-04-29", 2, {"Alice": 1, "Bob": 1}),
        ("2024-05-06", 2, {"Alice": 2}),
        ("2024-05-27", 1, {"Bob": 1}),
    ]
    assert facts.history_days == 21  # 21 days and 22 hours


def test_timeline_groups_minor_authors(tmp_path: Path, monkeypatch):
    from auditlib.collect import history

    monkeypatch.setattr(history, "TIMELINE_AUTHORS", 1)
    repo = tmp_path / "t"
    repo.mkdir()
    git(repo, "init", "-q")
    for i, who in enumerate([ALICE, ALICE, BOB, CAROL]):
        write(repo, "a.py", lines(i + 1))
        commit_all(repo, f"2024-05-0{i + 6}T10:00:00+00:00", *who)
    facts = collect_history(repo, now=NOW)
    assert [w.by_author for w in facts.timeline] == [{"Alice": 2, "(others)": 2}]


def test_prototype_mode_is_a_fact(two_authors: Path, tmp_path: Path):
    facts = collect_history(two_authors, now=NOW)
    assert facts.prototype_mode is False and facts.prototype_reasons == []  # two authors, 505 days
    solo = tmp_path / "solo"
    solo.mkdir()
    git(solo, "init", "-q")
    commit(solo, "a.py", "1\n", "2024-05-01T10:00:00+00:00", *ALICE)
    commit(solo, "a.py", "2\n", "2024-05-11T10:00:00+00:00", *ALICE)
    facts = collect_history(solo, now=NOW, young_days=30)
    assert facts.prototype_mode is True
    assert facts.prototype_reasons == ["a single author", "10 days of history (under 30)"]


def test_shallow_clone_keeps_files_but_no_prototype_verdict(three_authors: Path, tmp_path: Path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{three_authors}", str(clone)],
                   check=True, capture_output=True)
    facts = collect_history(clone, now=NOW)
    assert facts.shallow and facts.commits == 2
    assert facts.reason == "shallow clone: history is partial"
    # the boundary commit shows the whole tree as added by its author: Carol "owns" everything
    assert facts.owners == ["Carol"]
    assert facts.prototype_mode is False and facts.prototype_reasons == []


def test_partial_clone_reads_no_line_counts(three_authors: Path, tmp_path: Path):
    git(three_authors, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "partial"
    subprocess.run(["git", "clone", "-q", "--no-checkout", "--filter=blob:none", f"file://{three_authors}",
                    str(clone)], check=True, capture_output=True)
    facts = collect_history(clone, now=NOW)
    assert facts.available and facts.commits == 7
    assert facts.line_stats is False and facts.files == []
    assert "partial clone" in (facts.reason or "")
    assert facts.owners == ["Bob"]  # by commits when no line is known


def test_empty_repository_has_no_ownership(tmp_path: Path):
    git(tmp_path, "init", "-q")
    facts = collect_history(tmp_path, now=NOW)
    assert facts.bus_factor is None and facts.owners == [] and facts.files == [] and facts.timeline == []
    assert facts.prototype_mode is False


def test_root_commit_counts_even_if_the_target_hides_it(two_authors: Path):
    git(two_authors, "config", "log.showRoot", "false")
    facts = collect_history(two_authors, now=NOW)
    assert {f.path: f.commits for f in facts.files} == {"a.py": 3, "b.py": 2}


def test_files_kept_in_facts_are_capped(tmp_path: Path, monkeypatch):
    from auditlib.collect import history

    monkeypatch.setattr(history, "MAX_FILES", 2)
    repo = tmp_path / "cap"
    repo.mkdir()
    git(repo, "init", "-q")
    for i in range(4):
        write(repo, f"f{i}.py", lines(i + 1))
    commit_all(repo, "2024-05-01T10:00:00+00:00")
    facts = collect_history(repo, now=NOW)
    assert [f.path for f in facts.files] == ["f3.py", "f2.py"]
    assert facts.files_owned == 4


@pytest.mark.parametrize("path, counts", [
    ("app/main.py", True), ("package-lock.json", False), ("web/yarn.lock", False),
    ("node_modules/x/index.js", False), ("src/vendor/lib.js", False), ("pkg.egg-info/PKG-INFO", False),
    ("vendor.py", True),
])
def test_counts_for_ownership(path: str, counts: bool):
    assert counts_for_ownership(path) is counts


def _stream(*records: bytes) -> bytes:
    return b"".join(records)


def test_parse_log_survives_any_chunk_boundary():
    header = "\x1e{sha}\x1f{parents}\x1f{ts}\x1fa@example.com\x1fAnn\0".format
    raw = _stream(
        header(sha="c3", parents="p2", ts=1714600000).encode(), b"\n2\t1\t\0old\tname.py\0new.py\0", b"-\t-\timg.png\0",
        header(sha="c2", parents="p1 px", ts=1714500000).encode(),  # a merge: no changes of its own
        header(sha="c1", parents="", ts=1714400000).encode(), b"\n5\t0\told\tname.py\0",
    )
    whole = LogAccumulator()
    parse_log([raw], whole)
    assert whole.commits == 3 and whole.merges == 1
    assert set(whole.files) == {"new.py", "img.png"}
    assert (whole.files["new.py"].commits, whole.files["new.py"].added, whole.files["new.py"].removed) == (2, 7, 1)
    for size in (1, 2, 7):
        chunked = LogAccumulator()
        parse_log([raw[i:i + size] for i in range(0, len(raw), size)], chunked)
        assert {p: (f.commits, f.added, f.removed, f.binary) for p, f in chunked.files.items()} == \
            {p: (f.commits, f.added, f.removed, f.binary) for p, f in whole.files.items()}


def test_rename_swap_in_one_commit():
    log = LogAccumulator()
    header = "\x1e{sha}\x1f\x1f{ts}\x1fa@example.com\x1fAnn\0".format
    raw = _stream(
        header(sha="c2", ts=2).encode(), b"\n0\t0\t\0a.py\0b.py\0", b"0\t0\t\0b.py\0a.py\0",
        header(sha="c1", ts=1).encode(), b"\n3\t0\ta.py\0", b"5\t0\tb.py\0",
    )
    parse_log([raw], log)
    # a.py became b.py and b.py became a.py: the 3 lines follow to b.py, the 5 lines to a.py
    assert (log.files["b.py"].added, log.files["a.py"].added) == (3, 5)


# ------------------------------------------------------------ one git pass shared with the secrets scan
def _shared_pass(repo: Path):
    from auditlib.collect.files import list_files
    from auditlib.collect.history import patch_tap
    from auditlib.collect.secrets import collect_secrets

    tap = patch_tap(repo, now=NOW)
    assert tap is not None
    collect_secrets(list_files(repo), tap=tap)
    return tap, collect_history(repo, now=NOW, tap=tap)


def test_history_read_from_the_secrets_pass_equals_its_own_reading(tmp_path: Path):
    """The history's counts taken from the secrets scan's ``git log -p`` stream (one git pass for
    both) equal what its own ``git log --numstat`` gives, on the shapes that parse differently:
    renames (a swap too), odd file names, binary files, deletions, a mode change, an empty commit,
    a merge, and a branch outside HEAD's history (left out)."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, "a.py", "one\ntwo\nthree\n", "2023-01-01T10:00:00+00:00", "Bob", "bob@example.com")
    commit(repo, "with space.py", "x = 1\n", "2023-01-02T10:00:00+00:00", "Ann", "ann@example.com")
    commit(repo, 'tab\there "q".py', "y = 2\n", "2023-01-03T10:00:00+00:00", "Ann", "ann@example.com")
    commit(repo, "ünï.py", "z = 3\n", "2023-01-04T10:00:00+00:00", "Bob", "bob@example.com")
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)))
    git(repo, "add", "logo.png")
    git(repo, "commit", "-q", "-m", "binary", date="2023-01-05T10:00:00+00:00")
    git(repo, "mv", "a.py", "b.py")
    (repo / "b.py").write_text("one\ntwo\nthree\nfour\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "rename and edit", date="2023-01-06T10:00:00+00:00")
    git(repo, "mv", "with space.py", "moved space.py")
    git(repo, "commit", "-q", "-m", "rename a name with a space", date="2023-01-07T10:00:00+00:00")
    git(repo, "commit", "-q", "--allow-empty", "-m", "empty", date="2023-01-08T10:00:00+00:00")
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, "side.py", "s = 1\n", "2023-01-09T10:00:00+00:00", "Cy", "cy@example.com")
    git(repo, "checkout", "-q", "main")
    commit(repo, "b.py", "one\n", "2023-01-10T10:00:00+00:00", "Bob", "bob@example.com")
    git(repo, "merge", "-q", "--no-ff", "-m", "merge side", "side", date="2023-01-11T10:00:00+00:00")
    git(repo, "checkout", "-q", "-b", "unmerged")
    commit(repo, "only_here.py", "u = 1\n" * 5, "2023-01-12T10:00:00+00:00", "Dee", "dee@example.com")
    git(repo, "checkout", "-q", "main")
    git(repo, "rm", "-q", "ünï.py")
    git(repo, "commit", "-q", "-m", "delete", date="2023-01-13T10:00:00+00:00")
    os.chmod(repo / "b.py", 0o755)
    git(repo, "add", "b.py")
    git(repo, "commit", "-q", "-m", "mode", date="2023-01-14T10:00:00+00:00")

    own = collect_history(repo, now=NOW)
    tap, shared = _shared_pass(repo)
    assert tap.valid
    assert shared.model_dump() == own.model_dump()
    assert shared.commits == 13 and "only_here.py" not in {f.path for f in shared.files}
    assert {"b.py", "moved space.py", 'tab\there "q".py', "logo.png"} <= {f.path for f in shared.files}


def test_one_branch_needs_no_list_of_its_commits(tmp_path: Path):
    """Where every ref points at the audited commit (one branch), the shared pass counts every commit
    of the stream without listing HEAD's history first; another branch, or a tag object, brings the
    list back, and the counts stay what git's own log gives."""
    from auditlib.collect.history import patch_tap

    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, "a.py", "one\n", "2023-01-01T10:00:00+00:00", "Bob", "bob@example.com")
    commit(repo, "a.py", "one\ntwo\n", "2023-01-02T10:00:00+00:00", "Ann", "ann@example.com")
    git(repo, "tag", "v1")  # a lightweight tag names the same commit
    tap, shared = _shared_pass(repo)
    assert tap.reachable is None and tap.valid
    assert shared.commits == 2 and shared.model_dump() == collect_history(repo, now=NOW).model_dump()
    git(repo, "tag", "-a", "-m", "annotated", "v2")  # a tag object: its name is not the commit's
    assert patch_tap(repo, now=NOW).reachable is not None
    git(repo, "tag", "-d", "v2")
    git(repo, "checkout", "-q", "-b", "side")
    commit(repo, "b.py", "b\n", "2023-01-03T10:00:00+00:00", "Cy", "cy@example.com")
    git(repo, "checkout", "-q", "main")
    tap, shared = _shared_pass(repo)
    assert tap.reachable is not None and len(tap.reachable) == 2
    assert shared.commits == 2 and shared.model_dump() == collect_history(repo, now=NOW).model_dump()


def test_history_reads_itself_when_the_secrets_pass_leaves_folders_out(tmp_path: Path):
    """Committed vendored folders make the secrets scan skip them with a pathspec, which would drop
    commits touching only them: the history then reads git's log itself, and counts them."""
    repo = tmp_path / "repo"
    (repo / "node_modules" / "pkg").mkdir(parents=True)
    git(repo, "init", "-q")
    commit(repo, "app.py", "a = 1\n", "2023-01-01T10:00:00+00:00", "Bob", "bob@example.com")
    commit(repo, "node_modules/pkg/index.js", "x\n", "2023-01-02T10:00:00+00:00", "Ann", "ann@example.com")
    tap, shared = _shared_pass(repo)
    assert not tap.valid
    assert shared.commits == 2 and shared.model_dump() == collect_history(repo, now=NOW).model_dump()
