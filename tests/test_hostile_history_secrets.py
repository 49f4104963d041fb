"""The secrets collector's history scan on damaged repositories (issue 7 defect 13, issue 9 pattern 5).

A damaged or partial copy (a mirror that lost objects, a fork copied by hand) must cost the scan
only what git cannot read, and the facts must name it: a reference to a missing commit is skipped
and the other references scanned; a missing blob makes the scan work around that change and go on
to the older commits; a repository git refuses is said in one complete line. Every repository is
built by the test, then damaged the way such copies are (tests/test_hostile_git.py has the same
kinds of damage for the other collectors).

Every test here fails on the collector before this file was written (``git show
46b5545:auditlib/collect/secrets.py``), except two guards that pass on it too: every git process
confined to the target (the old scan ran git through ``files.open_repo``, which already sets
GIT_CEILING_DIRECTORIES) and one ``git log`` for a sound history (the speed of the healthy path).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from auditlib import masking
from auditlib.collect import secrets
from auditlib.collect.files import list_files, repository_problem
from auditlib.collect.secrets import collect_secrets
from tests.test_collect_secrets import make_keys
from tests.test_hostile_git import delete_object, git, make_repo

MISSING = "0123456789abcdef0123456789abcdef01234567"


def commit(repo: Path, files: dict[str, str | None], day: int) -> str:
    """Write (or delete, for None) files and commit them on 2026-10-``day``: one date per commit, so
    which sighting of a secret is the oldest never depends on the order the scan read them in."""
    for rel, text in files.items():
        path = repo / rel
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", f"day {day}", date=f"2026-10-{day:02d}T10:00:00+00:00")
    return git(repo, "rev-parse", "HEAD")


def init(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q")
    return path


def scan(repo: Path, **kw):
    return collect_secrets(list_files(repo), **kw)


def found(facts) -> dict[str, tuple[str, str | None, bool]]:
    """The hits by fingerprint: fingerprint -> (path, commit, in_tree)."""
    return {h.fingerprint: (h.path, h.commit, h.in_tree) for h in facts.hits if h.detector != "env_file"}


def one_line(text: str | None) -> bool:
    return bool(text) and "\n" not in text and "\t" not in text and not text.startswith(("fatal", "error"))


def fp(value: str) -> str:
    return masking.fingerprint(value)


# ---------------------------------------------------------------- case 1: references to missing commits
def _two_branches(tmp_path: Path) -> tuple[Path, dict[str, str], dict[str, str]]:
    """main: a key added then removed; dev (branched after the key was added): a key of its own."""
    keys = make_keys()
    repo = init(tmp_path / "repo")
    shas = {"a": commit(repo, {"app.py": f'A = "{keys["openai_api_key"]}"\n'}, 1)}
    git(repo, "branch", "dev")
    shas["removed"] = commit(repo, {"app.py": "A = None\n"}, 2)
    git(repo, "checkout", "-q", "dev")
    shas["b"] = commit(repo, {"dev.py": f'B = "{keys["github_token"]}"\n'}, 3)
    git(repo, "checkout", "-q", "main")
    return repo, shas, keys


def test_head_on_a_missing_commit_scans_every_readable_reference(tmp_path: Path):
    repo, shas, keys = _two_branches(tmp_path)
    (repo / ".git" / "refs" / "heads" / "main").write_text(MISSING + "\n")

    facts = scan(repo)

    # git log --all stopped on "bad object refs/heads/main"; dev's history is still evidence.
    assert facts.history_checked is True and facts.commits_scanned == 2
    assert found(facts)[fp(keys["openai_api_key"])][1:] == (shas["a"], False)
    assert found(facts)[fp(keys["github_token"])] == ("dev.py", shas["b"], False)
    assert len(facts.limits) == 1
    limit = facts.limits[0]
    assert "refs/heads/main" in limit and MISSING[:12] in limit and "missing from the object store" in limit
    assert "HEAD (branch main)" in limit and "1 readable reference" in limit
    assert one_line(facts.history_reason) and "refs/heads/main" in facts.history_reason
    assert "git log failed" not in facts.history_reason


def test_detached_head_broken_ref_and_tag_to_a_missing_commit_are_each_named(tmp_path: Path):
    repo, _shas, keys = _two_branches(tmp_path)
    (repo / ".git" / "HEAD").write_text(MISSING + "\n")  # detached, on a commit that is not there
    (repo / ".git" / "refs" / "heads" / "weird").write_text("nonsense\n")  # not even an object name
    (repo / ".git" / "refs" / "tags").mkdir(exist_ok=True)
    (repo / ".git" / "refs" / "tags" / "gone").write_text("fedcba9876543210fedcba9876543210fedcba98\n")

    facts = scan(repo)

    assert facts.history_checked is True and facts.commits_scanned == 3  # main and dev
    assert {fp(keys["openai_api_key"]), fp(keys["github_token"])} <= set(found(facts))
    limit = " ".join(facts.limits)
    assert "HEAD: commit " + MISSING[:12] in limit
    assert "refs/heads/weird: a broken reference that names no object" in limit
    assert "refs/tags/gone: commit fedcba987654" in limit
    assert "3 references" in limit and "2 readable references" in limit


def test_no_reference_leads_to_a_readable_commit(tmp_path: Path):
    repo, _shas, _keys = _two_branches(tmp_path)
    for branch in ("main", "dev"):
        (repo / ".git" / "refs" / "heads" / branch).write_text(MISSING + "\n")

    facts = scan(repo)

    assert facts.history_checked is False and facts.commits_scanned == 0
    assert one_line(facts.history_reason)
    assert "no reference leads to a readable commit" in facts.history_reason
    assert "refs/heads/dev" in facts.history_reason and "refs/heads/main" in facts.history_reason


def test_partial_clone_with_a_reference_to_a_missing_commit(tmp_path: Path):
    # The partial-clone path lists objects with rev-list --all, which stops on the same bad reference.
    src, _shas, _keys = _two_branches(tmp_path)
    git(src, "config", "uploadpack.allowFilter", "true")
    dst = tmp_path / "dst"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{src}", str(dst))
    git(dst, "branch", "-q", "--track", "dev", "origin/dev")
    for ref in ("heads/main", "remotes/origin/main"):  # loose references win over packed ones
        path = dst / ".git" / "refs" / ref
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(MISSING + "\n")

    facts = scan(dst)

    assert "history scan failed" not in (facts.history_reason or "")
    assert facts.commits_scanned == 2
    limit = " ".join(facts.limits)
    assert "refs/heads/main" in limit and "refs/remotes/origin/main" in limit
    # dev.py's blob was never fetched: counted and named, not read
    assert facts.history_missing_blobs >= 1 and "partial clone" in facts.history_reason


# ------------------------------------------------------------------------- case 2: a missing blob
def _damaged_blob_history(tmp_path: Path) -> tuple[Path, dict[str, str], dict[str, str], str]:
    """Four commits; the blob of the oldest version of a.txt goes missing.

    day 1: old.py holds key A (deleted on day 4: only in history)
    day 2: a.txt "first" (its blob is the one deleted)
    day 3: a.txt gets key C (read from the blob whole: its older version is missing), b.py key B
    day 4: old.py, b.py deleted and key C removed from a.txt
    """
    keys = make_keys()
    repo = init(tmp_path / "repo")
    shas = {
        "a": commit(repo, {"old.py": f'A = "{keys["openai_api_key"]}"\n'}, 1),
        "first": commit(repo, {"a.txt": "first\n"}, 2),
        "bc": commit(repo, {"a.txt": f"second\nT = {keys['stripe_secret_key']}\n",
                            "b.py": f'B = "{keys["github_token"]}"\n'}, 3),
        "rm": commit(repo, {"old.py": None, "b.py": None, "a.txt": "third\n"}, 4),
    }
    blob = git(repo, "rev-parse", f"{shas['first']}:a.txt")
    delete_object(repo, blob)
    return repo, shas, keys, blob


def test_missing_blob_keeps_what_was_found_and_scans_the_older_commits(tmp_path: Path):
    repo, shas, keys, blob = _damaged_blob_history(tmp_path)

    facts = scan(repo)

    hits = found(facts)
    # Older than the damaged commits: git log -p died before it, the scan went on.
    assert hits[fp(keys["openai_api_key"])] == ("old.py", shas["a"], False)
    # In the commit git stopped on, in a file whose blob is there.
    assert hits[fp(keys["github_token"])] == ("b.py", shas["bc"], False)
    # In the file whose older version is missing: its newer version was read whole.
    assert hits[fp(keys["stripe_secret_key"])] == ("a.txt", shas["bc"], False)
    assert next(h.line for h in facts.hits if h.fingerprint == fp(keys["stripe_secret_key"])) == 2
    assert facts.commits_scanned == 4

    # A partial scan says so, and names the blob, the file and both commits that needed it.
    assert facts.history_checked is False
    assert one_line(facts.history_reason) and facts.history_reason.startswith("history partly checked")
    assert blob[:12] in facts.history_reason and "a.txt" in facts.history_reason
    assert facts.history_missing_blobs == 1
    assert len(facts.limits) == 1
    assert all(s in facts.limits[0] for s in (blob[:12], "a.txt", shas["first"][:12], shas["bc"][:12]))
    assert facts.limits[0].endswith(".")
    dumped = facts.model_dump_json()
    assert not any(key in dumped for key in keys.values())


def test_tree_secret_is_not_dated_when_history_is_damaged(tmp_path: Path):
    # The key was added on day 1, in a blob that is now missing; day 2 edited the file around it. Its
    # newer version, read whole, holds the key too: dating the tree hit by it would claim day 2.
    keys = make_keys()
    repo = init(tmp_path / "repo")
    added = commit(repo, {"k.py": f'K = "{keys["openai_api_key"]}"\n'}, 1)
    commit(repo, {"k.py": f'K = "{keys["openai_api_key"]}"\nX = 1\n'}, 2)
    delete_object(repo, git(repo, "rev-parse", f"{added}:k.py"))
    facts = scan(repo)
    assert [(h.path, h.in_tree, h.commit) for h in facts.hits] == [("k.py", True, None)]
    assert facts.history_missing_blobs == 1 and added[:12] in facts.limits[0]


def test_committed_env_file_whose_blob_is_missing_is_still_reported(tmp_path: Path):
    repo = init(tmp_path / "repo")
    added = commit(repo, {".env": "PASSWORD=hunter2hunter2\n", "a.py": "x = 1\n"}, 1)
    commit(repo, {".env": None}, 2)
    delete_object(repo, git(repo, "rev-parse", f"{added}:.env"))
    facts = scan(repo)
    assert [(h.detector, h.path, h.commit, h.in_tree) for h in facts.hits] == [("env_file", ".env", added, False)]
    assert ".env" in facts.limits[0]


def test_missing_commit_in_history_keeps_the_newer_commits_and_says_so(tmp_path: Path):
    keys = make_keys()
    repo = init(tmp_path / "repo")
    commit(repo, {"a.py": "a = 1\n"}, 1)
    lost = commit(repo, {"b.py": "b = 1\n"}, 2)
    commit(repo, {"c.py": "c = 1\n"}, 3)
    new = commit(repo, {"d.py": f'D = "{keys["github_token"]}"\n'}, 4)
    commit(repo, {"d.py": None}, 5)
    delete_object(repo, lost)

    facts = scan(repo)

    assert found(facts)[fp(keys["github_token"])] == ("d.py", new, False)
    assert facts.history_checked is False and facts.history_reason.startswith("history partly checked")
    assert lost in " ".join(facts.limits) and "could not walk the whole history" in " ".join(facts.limits)


def test_missing_tree_makes_only_that_commit_unreadable(tmp_path: Path):
    keys = make_keys()
    repo = init(tmp_path / "repo")
    first = commit(repo, {"a.py": f'A = "{keys["openai_api_key"]}"\n'}, 1)
    mid = commit(repo, {"b.py": f'B = "{keys["github_token"]}"\n'}, 2)
    commit(repo, {"a.py": None, "b.py": None, "c.py": "c = 1\n"}, 3)
    delete_object(repo, git(repo, "rev-parse", f"{first}^{{tree}}"))

    facts = scan(repo)

    # The first commit's tree is gone: neither it nor the diff of the commit after it can be read.
    assert fp(keys["openai_api_key"]) not in found(facts)
    assert facts.history_checked is False
    limit = " ".join(facts.limits)
    assert "could not be read" in limit and first[:12] in limit and mid[:12] in limit
    assert "unable to read tree" in limit


def test_many_damaged_commits_stop_at_the_bound_and_count_the_rest(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(secrets, "MAX_DAMAGED_COMMITS", 1)
    repo, shas, keys, _blob = _damaged_blob_history(tmp_path)
    facts = scan(repo)
    assert facts.history_checked is False
    # The second damaged commit (cut where git stopped) and the oldest one were not scanned.
    assert "2 commits not scanned" in facts.history_reason and "2 more commits" in " ".join(facts.limits)
    assert fp(keys["openai_api_key"]) not in found(facts)
    # The first damaged commit was still worked around.
    assert found(facts)[fp(keys["github_token"])] == ("b.py", shas["bc"], False)


def test_several_missing_blobs_are_all_named(tmp_path: Path):
    repo = init(tmp_path / "repo")
    blobs = []
    for day in range(1, 4):
        sha = commit(repo, {f"f{day}.txt": f"v{day}\n"}, day)
        blobs.append(git(repo, "rev-parse", f"{sha}:f{day}.txt"))
    commit(repo, {f"f{day}.txt": None for day in range(1, 4)}, 4)
    for blob in blobs:
        delete_object(repo, blob)
    facts = scan(repo)
    assert facts.history_missing_blobs == 3 and facts.commits_scanned == 4
    assert all(blob[:12] in facts.limits[0] for blob in blobs)
    assert "3 blobs are missing" in facts.limits[0]


# ---------------------------------------------------------------- case 3: repositories git refuses
def test_unknown_repository_extension_is_one_complete_line(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    git(repo, "config", "core.repositoryformatversion", "1")
    git(repo, "config", "extensions.frobnicate", "yes")

    facts = scan(repo)

    assert facts.history_checked is False and facts.commits_scanned == 0
    problem = repository_problem(repo)
    assert facts.history_reason == f"the repository is damaged: {problem}"
    assert one_line(facts.history_reason) and "unknown repository extension" in facts.history_reason
    assert "frobnicate" in facts.history_reason


def test_garbage_head_inside_another_repository(tmp_path: Path):
    # The outer repository (the auditor's workspace) has a key in its history: never scanned instead.
    key = make_keys()["github_token"]
    outer = init(tmp_path / "outer")
    commit(outer, {"k.py": f'K = "{key}"\n'}, 1)
    commit(outer, {"k.py": None}, 2)
    target = make_repo(outer / "vendor" / "target")
    (target / ".git" / "HEAD").write_text("garbage\n")

    facts = scan(target)

    assert facts.history_checked is False and facts.commits_scanned == 0 and facts.hits == []
    assert one_line(facts.history_reason) and "garbage" in facts.history_reason
    assert facts.history_reason == f"the repository is damaged: {repository_problem(target)}"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root to give the repository away")
def test_repository_of_another_user_is_one_complete_line(tmp_path: Path):
    repo = make_repo(tmp_path / "repo")
    subprocess.run(["chown", "-R", "65534:65534", str(repo)], check=True)

    facts = scan(repo)

    assert facts.history_checked is False and facts.commits_scanned == 0
    assert one_line(facts.history_reason)
    assert "another user" in facts.history_reason and "safe.directory" in facts.history_reason
    assert str(repo.resolve()) in facts.history_reason and "damaged" not in facts.history_reason


# ----------------------------------------------------------------- case 4: how git is started
def _record_processes(monkeypatch) -> list[tuple[list[str], dict[str, str]]]:
    import git as gitpython

    started: list[tuple[list[str], dict[str, str]]] = []
    real = subprocess.Popen

    class Recording(real):  # type: ignore[misc, valid-type]
        def __init__(self, args, *a, **kw):
            started.append(([os.fsdecode(x) for x in args] if not isinstance(args, (str, bytes)) else [args],
                            dict(kw.get("env") or os.environ)))
            super().__init__(args, *a, **kw)

    monkeypatch.setattr(subprocess, "Popen", Recording)
    monkeypatch.setattr(gitpython.cmd, "Popen", Recording)
    if hasattr(gitpython.cmd, "safer_popen"):  # what GitPython starts git with (3.1.41+)
        monkeypatch.setattr(gitpython.cmd, "safer_popen", Recording)
    return started


@pytest.mark.parametrize("damage", ["none", "missing-blob", "missing-head-commit"])
def test_every_git_process_is_kept_inside_the_target(tmp_path: Path, monkeypatch, damage: str):
    repo, _shas, _keys, _blob = _damaged_blob_history(tmp_path) if damage == "missing-blob" else \
        (*_two_branches(tmp_path), None)
    if damage == "missing-head-commit":
        (repo / ".git" / "refs" / "heads" / "main").write_text(MISSING + "\n")
    (repo / ".env").write_text("X=1\n")
    git(repo, "add", ".env")
    files = list_files(repo)
    started = _record_processes(monkeypatch)

    collect_secrets(files)

    gits = [(args, env) for args, env in started if os.path.basename(args[0]).startswith("git")]
    assert gits
    for args, env in gits:
        assert env.get("GIT_CEILING_DIRECTORIES") == str(repo.resolve().parent), args
        assert env.get("GIT_NO_LAZY_FETCH") == "1" and env.get("GIT_ALLOW_PROTOCOL") == "", args
        assert int(env.get("GIT_CONFIG_COUNT", "0")) >= 10, args  # the target's config neutralised


def test_healthy_history_is_one_git_log(tmp_path: Path, monkeypatch):
    # The fallbacks cost nothing on a sound repository: one git log for the whole history.
    repo, _shas, _keys = _two_branches(tmp_path)
    files = list_files(repo)
    started = _record_processes(monkeypatch)
    facts = collect_secrets(files)
    assert facts.history_checked is True and facts.limits == [] and facts.history_reason is None
    commands = [next((a for a in args[1:] if not a.startswith("-") and "=" not in a), "") for args, _env in started]
    assert commands.count("log") == 1
    assert not {"rev-list", "diff-tree", "for-each-ref", "cat-file"} & set(commands)


# ------------------------------------------------------- the target's diff settings hide nothing
def test_target_diff_settings_cannot_hide_lines_from_the_scan(tmp_path: Path):
    keys = make_keys()
    repo = init(tmp_path / "repo")
    first = commit(repo, {"root.py": f'R = "{keys["openai_api_key"]}"\n'}, 1)  # the root commit
    commit(repo, {"f.py": "1\n2\n3\n4\n5\n"}, 2)
    second = commit(repo, {"f.py": f'1\nX = 0\n3\nT = "{keys["github_token"]}"\n5\n'}, 3)
    commit(repo, {"f.py": None, "root.py": None}, 4)
    git(repo, "config", "diff.noprefix", "true")         # "+++ f.py": no "b/" to find the path by
    git(repo, "config", "log.showRoot", "false")         # the first commit's diff not shown
    git(repo, "config", "diff.interHunkContext", "5")    # context lines merged into -U0 hunks

    facts = scan(repo)

    hits = {h.fingerprint: (h.path, h.line, h.commit) for h in facts.hits}
    assert hits[fp(keys["openai_api_key"])] == ("root.py", 1, first)
    assert hits[fp(keys["github_token"])] == ("f.py", 4, second)


def test_partial_clone_reads_the_root_commit_whatever_the_target_config(tmp_path: Path):
    keys = make_keys()
    src = init(tmp_path / "src")
    first = commit(src, {"old.py": f'K = "{keys["openai_api_key"]}"\n'}, 1)
    commit(src, {"old.py": None, "b.txt": "b\n"}, 2)
    git(src, "config", "uploadpack.allowFilter", "true")
    dst = tmp_path / "dst"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{src}", str(dst))
    git(dst, "cat-file", "blob", git(dst, "rev-parse", f"{first}:old.py"))  # fetched: present (set-up only)
    git(dst, "config", "log.showRoot", "false")  # git log --raw would list no file of the root commit

    facts = scan(dst)

    assert found(facts)[fp(keys["openai_api_key"])] == ("old.py", first, False)
    assert facts.history_checked is True
