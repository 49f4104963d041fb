"""Damaged git repositories (issue 7, defects 8, 9 and 13) and the git log parser under fuzzing.

Every repository here is built by the test itself, then damaged the way a broken or incomplete copy
is: the index deleted or garbled, commits with dates git cannot give or Python cannot show, HEAD
pointing at a missing commit or looping through symbolic references, an unknown repository
extension, blobs or commits missing from the object store. The audit must keep what it can read
and say, in the facts' ``limits`` and ``reason``, what it could not and why; never an empty audit
that looks like a clean one, never "no commits" for a broken repository.

The parser properties run about 100 examples each; a longer campaign:

    AUDITLIB_FUZZ=campaign .venv/bin/python -m pytest tests/test_hostile_git.py -q
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from auditlib.collect.files import inspect_head, list_files, read_text, repository_problem
from auditlib.collect.history import FIELD_SEP, LogAccumulator, collect_history, parse_log, summarise
from auditlib.collect.inventory import collect_inventory
from auditlib.models import HistoryFacts
from auditlib.ownership import knowledge_silos

# ----------------------------------------------------------------------------------------- profiles
try:
    settings.get_profile("campaign")
except InvalidArgument:  # not registered yet by another test module
    settings.register_profile("campaign", max_examples=20_000, deadline=None,
                              suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("AUDITLIB_FUZZ", "default"))
FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
"""The loaded profile's number of examples (100 by default), no deadline."""

NOW = datetime(2026, 11, 22, tzinfo=timezone.utc)


# ------------------------------------------------------------------------------------- repositories
def git(repo: Path, *args: str, date: str | None = None, name: str = "Ann", email: str = "ann@example.com",
        stdin: bytes | None = None) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    out = subprocess.run(["git", "-c", f"user.name={name}", "-c", f"user.email={email}", "-c", "commit.gpgsign=false",
                          "-c", "init.defaultBranch=main", *args],
                         cwd=repo, env=env, check=True, capture_output=True, input=stdin)
    return out.stdout.decode().strip()


def commit(repo: Path, files: dict[str, str], date: str, name: str = "Ann", email: str = "ann@example.com") -> str:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", f"edit {', '.join(files)}", date=date, name=name, email=email)
    return git(repo, "rev-parse", "HEAD")


def make_repo(path: Path) -> Path:
    """Two authors, three commits, a Python app, a requirements file and a second branch ``dev``."""
    path.mkdir(parents=True)
    git(path, "init", "-q")
    commit(path, {"app/main.py": "import os\n\n\ndef main():\n    return os.getcwd()\n",
                  "requirements.txt": "flask==2.2.2\n", "README.md": "# demo\n"},
           "2026-09-01T10:00:00+00:00", "Bob", "bob@example.com")
    commit(path, {"app/util.py": "X = 1\nY = 2\n"}, "2026-10-01T10:00:00+00:00")
    git(path, "branch", "dev")
    commit(path, {"app/util.py": "X = 1\nY = 3\n"}, "2026-11-01T10:00:00+00:00")
    return path


EXPECTED_FILES = {"README.md", "app/main.py", "app/util.py", "requirements.txt"}


def delete_object(repo: Path, sha: str) -> None:
    obj = repo / ".git" / "objects" / sha[:2] / sha[2:]
    obj.chmod(0o644)
    obj.unlink()


def crafted_commit(repo: Path, parent: str, author_date: str, *, tree: str | None = None,
                   name: str = "Eve", email: str = "eve@example.com") -> str:
    """A commit object written as raw bytes: any date git would never write itself."""
    tree = tree or git(repo, "rev-parse", f"{parent}^{{tree}}")
    raw = (f"tree {tree}\nparent {parent}\nauthor {name} <{email}> {author_date}\n"
           f"committer {name} <{email}> {author_date}\n\ncrafted\n").encode()
    return git(repo, "hash-object", "-t", "commit", "-w", "--literally", "--stdin", stdin=raw)


def audit_facts(repo: Path):
    """The facts of a full scan of ``repo`` (every collector, as ``auditlib scan --offline`` runs them)."""
    from auditlib import AuditContext, audit

    messages: list[str] = []
    ctx = AuditContext(target=repo, source=str(repo), offline=True, now=NOW, progress=messages.append,
                       parallel=False)
    return audit(ctx), messages


# ------------------------------------------------------------------- defect 8: missing or bad index
def test_missing_index_lists_heads_files_and_says_so(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "index").unlink()

    files = list_files(repo)
    assert {f.path for f in files.files} == EXPECTED_FILES
    assert files.source == "head" and files.tracked_only
    assert len(files.limits) == 1 and "index" in files.limits[0] and "missing" in files.limits[0]
    assert git(repo, "rev-parse", "HEAD")[:12] in files.limits[0]

    inv = collect_inventory(files)
    assert (inv.files, inv.code_files, inv.listed_from) == (4, 2, "head")
    assert inv.code_lines == 5 and inv.languages["Python"].files == 2
    assert inv.limits == files.limits


def test_missing_index_does_not_make_the_tree_look_dirty(tmp_path: Path):
    # Without the index git sees every file as deleted: "dirty" would be a false fact.
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "index").unlink()
    facts = collect_history(repo, now=NOW)
    assert facts.available and facts.commits == 3 and facts.dirty is False
    assert "index" in (facts.reason or "") and "uncommitted" in (facts.reason or "")


@pytest.mark.parametrize("garbage", [b"", b"garbage\n", b"DIRC\x00\x00\x00\x02\x00\x00\x00\x05" + b"\xff" * 30])
def test_corrupt_index_lists_heads_files_and_says_so(tmp_path: Path, garbage: bytes):
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "index").write_bytes(garbage)
    (repo / "untracked.py").write_text("x = 1\n")  # a walk would count it; HEAD does not have it

    files = list_files(repo)
    assert {f.path for f in files.files} == EXPECTED_FILES
    assert files.source == "head"
    assert len(files.limits) == 1 and "index" in files.limits[0] and "HEAD's tree" in files.limits[0]
    assert collect_inventory(files).limits == files.limits


def test_index_that_lists_nothing_while_head_has_files(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    git(repo, "rm", "-q", "-r", "--cached", ".")
    files = list_files(repo)
    assert {f.path for f in files.files} == EXPECTED_FILES
    assert files.source == "head" and "lists no file although HEAD has 4" in files.limits[0]


def test_clone_without_checkout_is_read_from_the_object_store(tmp_path: Path):
    # `git clone --no-checkout`: no index and no working tree, only .git. The files are in HEAD's tree.
    src = make_repo(tmp_path / "src")
    dst = tmp_path / "dst"
    git(tmp_path, "clone", "-q", "--no-checkout", str(src), str(dst))
    assert sorted(p.name for p in dst.iterdir()) == [".git"]

    files = list_files(dst)
    assert {f.path for f in files.files} == EXPECTED_FILES
    assert set(files.blobs) == EXPECTED_FILES
    assert "object store" in files.limits[0]
    by_path = {f.path: f for f in files.files}
    assert by_path["requirements.txt"].size == len("flask==2.2.2\n")
    assert files.read_text(by_path["app/main.py"]).startswith("import os")
    # Collectors that read by root and path (dependencies, practices) see the same files.
    assert read_text(dst, "requirements.txt") == "flask==2.2.2\n"
    inv = collect_inventory(files)
    assert (inv.files, inv.code_files, inv.code_lines) == (4, 2, 5)
    assert sorted(p.name for p in dst.iterdir()) == [".git"]  # nothing was checked out


def test_missing_index_without_commits_walks_the_folder_and_says_so(tmp_path: Path):
    git(tmp_path, "init", "-q")
    (tmp_path / "app.py").write_text("print(1)\n")
    files = list_files(tmp_path)
    assert [f.path for f in files.files] == ["app.py"]
    assert files.source == "walk" and "no commits" in files.limits[0] and "walking" in files.limits[0]


def test_nothing_to_audit_is_said(tmp_path: Path):
    git(tmp_path, "init", "-q")
    files = list_files(tmp_path)
    assert files.files == []
    assert files.limits and any("No file was" in limit for limit in files.limits)


def test_sound_repository_has_no_limits(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    files = list_files(repo)
    assert files.source == "index" and files.limits == [] and files.blobs == {}
    facts = collect_history(repo, now=NOW)
    assert facts.limits == [] and facts.damaged is None and facts.reason is None
    assert inspect_head(repo).status == "ok" and repository_problem(repo) is None


# -------------------------------------------------------------------- defect 9: out-of-range dates
@pytest.mark.parametrize("date", [
    "99999999999999 +0000",         # year 3170843: OverflowError in Python
    "18446744073709551617 +0000",   # beyond 64 bits: git prints it verbatim
    "-5 +0000",                     # negative: git prints no date at all
    "not-a-date +0000",
    "1700000000 +9999",             # odd time zone, sane timestamp: a normal commit
    "32503680000 +0000",            # year 3000: after the audit
])
def test_one_commit_with_an_unusable_date_keeps_the_history(tmp_path: Path, date: str):
    repo = make_repo(tmp_path / "repo")
    head = crafted_commit(repo, git(repo, "rev-parse", "HEAD"), date)
    git(repo, "update-ref", "refs/heads/main", head)
    git(repo, "reset", "-q", "--hard")

    facts = collect_history(repo, now=NOW)
    assert facts.available and facts.commits == 4
    assert facts.bus_factor is not None and facts.owners and facts.files
    for author in facts.authors:
        if author.first_commit:
            datetime.fromisoformat(author.first_commit)
            assert datetime.fromisoformat(author.last_commit) <= NOW + timedelta(days=366)
    eve = next(a for a in facts.authors if a.name == "Eve")
    assert eve.commits == 1
    if date.startswith("1700000000"):
        assert facts.undated_commits == 0 and facts.limits == []
        assert eve.first_commit.startswith("2023-11-14")
        return
    assert facts.undated_commits == 1
    assert eve.first_commit == eve.last_commit == "" and eve.active_recently is False
    assert facts.last_commit.startswith("2026-11-01") and facts.first_commit.startswith("2026-09-01")
    assert sum(w.commits for w in facts.timeline) == 3
    assert len(facts.limits) == 1 and head[:12] in facts.limits[0] and "date" in facts.limits[0]


def test_the_whole_scan_survives_an_out_of_range_date(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    head = crafted_commit(repo, git(repo, "rev-parse", "HEAD"), "99999999999999 +0000")
    git(repo, "update-ref", "refs/heads/main", head)
    git(repo, "reset", "-q", "--hard")
    result, _messages = audit_facts(repo)
    history = result.facts.history
    assert history.available and history.commits == 4 and history.bus_factor is not None
    assert history.undated_commits == 1 and history.limits
    json.loads(result.model_dump_json())


# ------------------------------------------------------------------------------ defect 13: bad HEAD
def test_head_pointing_at_a_missing_commit_is_damage_not_an_empty_repository(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "refs" / "heads" / "main").write_text("0123456789abcdef0123456789abcdef01234567\n")

    problem = repository_problem(repo)
    assert problem and "0123456789ab" in problem and "missing" in problem
    facts = collect_history(repo, now=NOW)
    assert "no commits" not in (facts.reason or "")
    assert facts.damaged == problem and "damaged" in facts.reason
    # The other branch is still evidence: its history is read, and the facts say so.
    assert facts.available and facts.history_from == "refs/heads/dev" and facts.commits == 2
    assert facts.head is None and facts.branch is None
    assert any("branch dev" in limit and "instead of HEAD" in limit for limit in facts.limits)


def test_missing_head_commit_and_no_other_branch(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    git(repo, "branch", "-q", "-D", "dev")
    delete_object(repo, git(repo, "rev-parse", "HEAD"))
    facts = collect_history(repo, now=NOW)
    assert facts.available is False and facts.commits == 0
    assert "damaged" in facts.reason and "missing" in facts.reason and "no commits" not in facts.reason
    assert facts.limits and "No history was read" in facts.limits[0]


def test_symbolic_ref_loop_is_named(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/a\n")
    (repo / ".git" / "refs" / "heads" / "a").write_text("ref: refs/heads/b\n")
    (repo / ".git" / "refs" / "heads" / "b").write_text("ref: refs/heads/a\n")
    facts = collect_history(repo, now=NOW)
    assert facts.damaged == "HEAD is a loop of symbolic references (HEAD -> refs/heads/a -> refs/heads/b -> refs/heads/a)"
    assert "no commits" not in facts.reason and facts.history_from in ("refs/heads/main", "refs/heads/dev")
    assert facts.commits == 3  # main, the newest branch, is read


def test_head_naming_a_branch_that_does_not_exist(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    (repo / ".git" / "HEAD").write_text("ref: refs/heads/gone\n")
    facts = collect_history(repo, now=NOW)
    assert facts.damaged and "gone" in facts.damaged and "does not exist" in facts.damaged
    assert facts.history_from == "refs/heads/main" and facts.commits == 3


def test_head_pointing_at_a_tree(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    tree = git(repo, "rev-parse", "HEAD^{tree}")
    (repo / ".git" / "HEAD").write_text(tree + "\n")
    facts = collect_history(repo, now=NOW)
    assert facts.damaged and "tree" in facts.damaged and "not a commit" in facts.damaged


def test_unknown_repository_extension(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    git(repo, "config", "core.repositoryformatversion", "1")
    git(repo, "config", "extensions.frobnicate", "yes")

    problem = repository_problem(repo)
    assert problem and "unknown repository extension" in problem and "frobnicate" in problem
    facts = collect_history(repo, now=NOW)
    assert facts.available is False and facts.damaged == problem
    assert "no commits" not in facts.reason and "frobnicate" in facts.reason
    files = list_files(repo)  # git lists nothing: the folder is walked, and that is said
    assert {f.path for f in files.files} == EXPECTED_FILES
    assert files.source == "walk" and "frobnicate" in files.limits[0]


def test_garbage_head_inside_another_repository_is_not_taken_for_it(tmp_path: Path):
    # git refuses a .git whose HEAD is garbage and looks further up: the auditor's own workspace
    # (here "outer") must never be audited in the target's place.
    outer = make_repo(tmp_path / "outer")
    target = make_repo(outer / "vendor" / "target")
    (target / ".git" / "HEAD").write_text("garbage\n")

    problem = repository_problem(target)
    assert problem and "garbage" in problem and inspect_head(target).status == "unreadable"
    files = list_files(target)
    assert files.source == "walk" and {f.path for f in files.files} == EXPECTED_FILES
    assert "garbage" in files.limits[0]
    facts = collect_history(target, now=NOW)
    assert facts.available is False and facts.commits == 0 and "garbage" in facts.reason
    assert facts.head is None and facts.damaged == problem


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give the repository away")
def test_repository_of_another_user_is_neither_empty_nor_damaged(tmp_path: Path):
    # git's safe.directory check refuses it: say so, with the command that lifts it.
    repo = make_repo(tmp_path / "repo")
    subprocess.run(["chown", "-R", "65534:65534", str(repo)], check=True)
    facts = collect_history(repo, now=NOW)
    assert facts.available is False and facts.damaged is None
    assert "another user" in facts.reason and "safe.directory" in facts.reason and "no commits" not in facts.reason
    files = list_files(repo)
    assert {f.path for f in files.files} == EXPECTED_FILES and "another user" in files.limits[0]


def test_empty_repository_still_has_no_commits(tmp_path: Path):
    git(tmp_path, "init", "-q")
    facts = collect_history(tmp_path, now=NOW)
    assert facts.available and facts.reason == "the repository has no commits" and facts.damaged is None
    assert repository_problem(tmp_path) is None and inspect_head(tmp_path).status == "unborn"


# ------------------------------------------------------------------ missing objects deeper in history
def test_missing_blob_in_history_keeps_every_commit_without_line_counts(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    delete_object(repo, git(repo, "rev-parse", "HEAD~1:app/util.py"))  # an old version of a file
    facts = collect_history(repo, now=NOW)
    assert facts.available and facts.commits == 3 and facts.line_stats is False
    assert facts.bus_factor is not None and facts.truncated is False
    assert "damaged" in facts.reason
    assert len(facts.limits) == 1 and facts.limits[0].startswith("History partly unreadable")
    assert "all 3 commits" in facts.limits[0]


def test_missing_commit_in_history_keeps_the_newer_commits(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    for i in range(3):
        commit(repo, {f"more{i}.py": f"x = {i}\n"}, f"2026-11-0{2 + i}T10:00:00+00:00")
    delete_object(repo, git(repo, "rev-parse", "HEAD~3"))
    facts = collect_history(repo, now=NOW)
    assert facts.available and facts.truncated and 0 < facts.commits < 6
    assert any(limit.startswith("History partly unreadable") and "most recent" in limit for limit in facts.limits)
    silo_ready = facts.model_copy(update={"line_stats": True, "shallow": False})
    assert knowledge_silos(silo_ready, min_churn=0, share_threshold=0.0) == []  # lower bounds only


def test_missing_head_tree(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    delete_object(repo, git(repo, "rev-parse", "HEAD^{tree}"))
    facts = collect_history(repo, now=NOW)
    assert facts.available and facts.commits == 3
    assert facts.damaged and any("tree" in limit for limit in facts.limits)


# ------------------------------------------------------------------------- what a scan user sees
@pytest.mark.parametrize("damage", ["no-index", "missing-head-commit", "symref-loop", "extension"])
def test_scan_of_a_damaged_repository_completes_and_says_why(tmp_path: Path, damage: str):
    repo = make_repo(tmp_path / "repo")
    if damage == "no-index":
        (repo / ".git" / "index").unlink()
    elif damage == "missing-head-commit":
        (repo / ".git" / "refs" / "heads" / "main").write_text("0123456789abcdef0123456789abcdef01234567\n")
    elif damage == "symref-loop":
        (repo / ".git" / "HEAD").write_text("ref: refs/heads/a\n")
        (repo / ".git" / "refs" / "heads" / "a").write_text("ref: refs/heads/b\n")
        (repo / ".git" / "refs" / "heads" / "b").write_text("ref: refs/heads/a\n")
    else:
        git(repo, "config", "core.repositoryformatversion", "1")
        git(repo, "config", "extensions.frobnicate", "yes")
    result, messages = audit_facts(repo)
    facts = result.facts
    assert facts.inventory.files == 4 and facts.inventory.code_files == 2
    assert not any("collector failed" in (getattr(part, "reason", None) or "") for _name, part in facts)
    assert "no commits" not in (facts.history.reason or "")
    said = facts.inventory.limits + facts.history.limits
    assert said and all(s.endswith(".") for s in said)
    assert any(s in m for s in said for m in messages)  # said on the progress lines too
    if damage == "no-index":
        assert facts.history.available and facts.history.commits == 3 and facts.inventory.listed_from == "head"
    else:
        assert facts.history.damaged and "damaged" in facts.history.reason


# ------------------------------------------------------------------------ the git log parser, fuzzed
class Recorder(LogAccumulator):
    """Records what the parser hands over, to compare with what was generated."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []

    def header(self, text: str) -> None:
        self.calls.append(("header", text))
        super().header(text)

    def change(self, old: str | None, new: str, added: bytes, removed: bytes) -> None:
        self.calls.append(("change", old, new, added, removed))
        super().change(old, new, added, removed)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)] or [b""]


SHA = st.text("0123456789abcdef", min_size=40, max_size=40)
# Names: any text but NUL (git cannot store it); e-mails without the field separator, as git's
# own format guarantees nothing about them but the separator would shift the name.
NAME = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=30)
EMAIL = st.text(st.characters(blacklist_characters="\x00\x1f", blacklist_categories=("Cs",)), max_size=30)
PATH = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), min_size=1, max_size=40)
COUNT = st.one_of(st.integers(0, 10**6).map(lambda n: str(n).encode()), st.just(b"-"))
CHANGE = st.one_of(
    st.tuples(st.none(), PATH, COUNT, COUNT),
    st.tuples(PATH, PATH, COUNT, COUNT),  # a rename: old path, new path
)
COMMIT = st.fixed_dictionaries({
    "sha": SHA, "parents": st.lists(SHA, max_size=3).map(" ".join),
    "ts": st.integers(0, 4_000_000_000), "email": EMAIL, "name": NAME,
    "changes": st.lists(CHANGE, max_size=5),
})


def render(commits: list[dict]) -> bytes:
    """What ``git log -z --numstat LOG_FORMAT`` prints for these commits."""
    out = []
    for c in commits:
        header = FIELD_SEP.join([c["sha"], c["parents"], str(c["ts"]), c["email"], c["name"]])
        out.append(b"\x1e" + header.encode() + b"\0")
        for i, (old, new, added, removed) in enumerate(c["changes"]):
            lead = b"\n" if i == 0 else b""
            if old is None:
                out.append(lead + added + b"\t" + removed + b"\t" + new.encode() + b"\0")
            else:
                out.append(lead + added + b"\t" + removed + b"\t\0" + old.encode() + b"\0" + new.encode() + b"\0")
    return b"".join(out)


@FUZZ
@given(commits=st.lists(COMMIT, max_size=8), cuts=st.lists(st.integers(0, 10**6), max_size=12))
def test_well_formed_records_parse_back_to_what_was_generated(commits, cuts):
    rec = Recorder()
    parse_log(chunked(render(commits), cuts), rec)
    expected: list[tuple] = []
    for c in commits:
        expected.append(("header", FIELD_SEP.join([c["sha"], c["parents"], str(c["ts"]), c["email"], c["name"]])))
        expected += [("change", old, new, added, removed) for old, new, added, removed in c["changes"]]
    assert rec.calls == expected
    assert rec.commits == len(commits) and rec.malformed == 0 and rec.undated == 0
    assert rec.merges == sum(len(c["parents"].split()) > 1 for c in commits)
    assert sum(a.commits for a in rec.authors) == len(commits)
    # Lines counted: every non-merge change with numbers (binary "-" counts none).
    lines = sum(int(a) for c in commits if len(c["parents"].split()) <= 1
                for _o, _n, a, r in c["changes"] if a != b"-" and r != b"-")
    assert rec.added == lines


@FUZZ
@given(data=st.binary(max_size=4000), cuts=st.lists(st.integers(0, 4000), max_size=8))
def test_random_bytes_never_crash_the_parser(data, cuts):
    log = LogAccumulator()
    parse_log(chunked(data, cuts), log)
    assert log.commits >= 0 and sum(a.commits for a in log.authors) == log.commits
    summarise(log, set(log.files), since_ts=0, young_days=60, shallow=False, line_stats=True)


TOKENS = st.sampled_from([b"\0", b"\x1e", b"\x1f", b"\t", b"\n", b"-", b"0", b"12", b"99999999999999999999999",
                          b"-5", b"a.py", b" ", b"\xff\xfe", b"\x1ec1\x1f\x1f", "é".encode()])


@FUZZ
@given(tokens=st.lists(TOKENS, max_size=300), cuts=st.lists(st.integers(0, 3000), max_size=8))
def test_structured_garbage_never_crashes_the_parser_or_the_summary(tokens, cuts):
    log = LogAccumulator()
    parse_log(chunked(b"".join(tokens), cuts), log)
    fields = summarise(log, set(log.files), since_ts=0, young_days=60, shallow=False, line_stats=True)
    HistoryFacts(**fields)  # every date in the facts is one Python (and ISO 8601) can show


@FUZZ
@given(commits=st.lists(COMMIT, min_size=1, max_size=6), cut=st.integers(0, 10**6))
def test_truncated_stream_parses_a_prefix(commits, cut):
    raw = render(commits)
    log = Recorder()
    parse_log([raw[: cut % (len(raw) + 1)]], log)
    headers = [call for call in log.calls if call[0] == "header"]
    assert len(headers) <= len(commits)


DATE = st.one_of(st.integers(-10**20, 10**20).map(str), st.text(st.characters(blacklist_characters="\x00\x1f",
                                                                                  blacklist_categories=("Cs",)),
                                                                max_size=25), st.just(""),
                 st.integers(0, 253402300799).map(str))


@FUZZ
@given(dates=st.lists(DATE, min_size=1, max_size=10), emails=st.lists(st.sampled_from(["a@x", "b@x", ""]),
                                                                       min_size=10, max_size=10))
def test_any_commit_date_gives_valid_facts(dates, emails):
    # Defect 9 at the unit level: no date git can print makes the summary raise.
    log = LogAccumulator(max_ts=int(NOW.timestamp()) + 86400)
    raw = b"".join(
        b"\x1e" + FIELD_SEP.join([f"{i:040x}", "", d, emails[i], "N"]).encode()
        + b"\0\n1\t0\ta.py\0" for i, d in enumerate(dates))
    parse_log([raw], log)
    assert log.commits == len(dates)  # a bad date never drops the commit
    fields = summarise(log, {"a.py"}, since_ts=int(NOW.timestamp()) - 90 * 86400, young_days=60, shallow=False,
                       line_stats=True)
    facts = HistoryFacts(**fields, undated_commits=log.undated)
    assert facts.commits == len(dates) and facts.bus_factor is not None
    for week in facts.timeline:
        datetime.fromisoformat(week.week)
    if facts.last_commit:
        assert datetime.fromisoformat(facts.last_commit) <= NOW + timedelta(days=1)


def test_a_large_garbage_stream_is_parsed_in_linear_time():
    data = (b"\x1e\x1f\x1f1\x1fa\x1fb\0\n1\t1\tx\0" + b"\t\t\0" * 3 + b"\xff" * 50 + b"\0") * 20_000  # ~1.7 MB
    log = LogAccumulator()
    start = time.perf_counter()
    parse_log([data[i:i + 65536] for i in range(0, len(data), 65536)], log)
    assert time.perf_counter() - start < 20
    assert log.commits == 20_000
