"""Safe file access: vendored folders reported, oversize files listed, links never followed,
odd encodings decoded, git kept offline."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from git import GitCommandError

from auditlib.collect.files import decode, list_files, read_head, read_text
from auditlib.collect.gitio import open_repo
from auditlib.collect.inventory import collect_inventory


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    out = subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid",
                          "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
                         cwd=repo, check=True, capture_output=True, text=True, env=env)
    return out.stdout.strip()


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def committed(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    write(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "c")
    return root


# ------------------------------------------------------------------------------------ vendored folders
VENDORED = {
    "app.py": "print(1)\n",
    "web/index.ts": "export const a = 1;\n",
    "node_modules/left-pad/index.js": "module.exports = 1;\n",
    "node_modules/left-pad/package.json": "{}\n",
    "web/node_modules/react/index.js": "x\n",
    ".venv/pyvenv.cfg": "home = /usr/bin\n",
    ".venv/lib/python3.11/site-packages/requests/__init__.py": "x = 1\n",
    "myenv/pyvenv.cfg": "home = /usr/bin\n",
    "myenv/bin/activate": "# activate\n",
    "myenv/lib/python3.11/site-packages/six.py": "x = 1\n",
    "env/settings.json": "{}\n",
    "dist/bundle.js": "x\n",
    "pkg/__pycache__/mod.cpython-311.pyc": "x\n",
    "tools/bin/activate": "# a project script, not a virtualenv\n",
}


def test_committed_vendored_folders_are_skipped_and_counted(tmp_path: Path) -> None:
    repo = committed(tmp_path / "repo", VENDORED)
    fs = list_files(repo)
    assert {f.path for f in fs.files} == {"app.py", "web/index.ts", "tools/bin/activate"}
    assert fs.skipped_dirs == {"node_modules": 2, "web/node_modules": 1, ".venv": 2, "myenv": 3, "env": 1,
                               "dist": 1, "pkg/__pycache__": 1}
    # "env" holding settings is not a virtualenv; a virtualenv under any name is.
    assert fs.dependency_dirs == {"node_modules", "web/node_modules", ".venv", "myenv"}


def test_inventory_reports_vendored_folders_with_counts_and_kinds(tmp_path: Path) -> None:
    repo = committed(tmp_path / "repo", VENDORED)
    inv = collect_inventory(list_files(repo))
    assert [(d.path, d.files, d.kind) for d in inv.vendored_dirs] == [
        ("myenv", 3, "dependencies"), (".venv", 2, "dependencies"), ("node_modules", 2, "dependencies"),
        ("dist", 1, "generated"), ("env", 1, "generated"), ("pkg/__pycache__", 1, "generated"),
        ("web/node_modules", 1, "dependencies"),
    ]
    assert (inv.files, inv.code_files) == (3, 2)  # app.py, web/index.ts and tools/bin/activate (no language)
    assert inv.skipped == 11


def test_env_folder_that_is_a_virtualenv_counts_as_dependencies(tmp_path: Path) -> None:
    repo = committed(tmp_path / "repo", {"a.py": "x\n", "env/bin/activate": "#\n",
                                         "env/lib/python3.12/site-packages/x.py": "x\n"})
    assert list_files(repo).dependency_dirs == {"env"}


def test_uncommitted_virtualenv_is_skipped_but_not_reported(tmp_path: Path) -> None:
    # Not a git repository: a local .venv is the auditor's or the developer's, not committed code.
    write(tmp_path, {"a.py": "x\n", ".venv/lib/x.py": "x\n", "anyname/pyvenv.cfg": "h\n", "anyname/lib/y.py": "y\n"})
    fs = list_files(tmp_path)
    assert [f.path for f in fs.files] == ["a.py"]
    assert fs.skipped_dirs == {} and fs.dependency_dirs == frozenset()


# -------------------------------------------------------------------------------------- hostile files
def test_a_50_mb_file_is_listed_with_its_size_but_never_read(tmp_path: Path) -> None:
    big = tmp_path / "data" / "dump.sql"
    big.parent.mkdir()
    with big.open("wb") as fh:  # sparse: 50 MB on paper, nothing on disk
        fh.truncate(50 * 1024 * 1024)
    (tmp_path / "small.py").write_text("x = 1\n")
    fs = list_files(tmp_path)
    assert read_text(tmp_path, "data/dump.sql") is None
    inv = collect_inventory(fs)
    assert [(f.path, f.size) for f in inv.oversize] == [("data/dump.sql", 50 * 1024 * 1024)]
    assert inv.oversize_limit == 2_000_000
    assert "SQL" not in inv.languages
    assert "data/dump.sql (oversize)" in inv.skipped_examples


def test_symlink_pointing_outside_is_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("outside\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link.txt").symlink_to(outside)
    (repo / "dirlink").symlink_to(tmp_path)
    (repo / "inner").mkdir()
    (repo / "inner" / "up.txt").symlink_to("../../secret.txt")
    fs = list_files(repo)
    assert fs.files == []
    for rel in ("link.txt", "inner/up.txt", "dirlink/secret.txt"):
        assert read_text(repo, rel) is None
        assert read_head(repo, rel, 100) == (None, False)


def test_non_utf8_file_is_decoded_as_latin1(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_bytes("caf\xe9 cr\xe8me, na\xefve\n".encode("latin-1"))
    assert read_text(tmp_path, "notes.txt") == "café crème, naïve\n"


@pytest.mark.parametrize(("data", "text"), [
    ("ça va\n".encode("utf-8"), "ça va\n"),
    (b"\xef\xbb\xbfbom\n", "bom\n"),
    ("x = 1\n".encode("utf-16"), "x = 1\n"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", None),
])
def test_decode(data: bytes, text: str | None) -> None:
    assert decode(data) == text


def test_read_head_returns_the_start_of_a_large_file(tmp_path: Path) -> None:
    (tmp_path / "cases.jsonl").write_text("".join(f'{{"i": {i}}}\n' for i in range(1000)))
    head, truncated = read_head(tmp_path, "cases.jsonl", 100)
    assert truncated is True and head is not None and len(head) == 100
    assert read_head(tmp_path, "cases.jsonl", 10**6)[1] is False


# ------------------------------------------------------------------------------------------ offline git
def test_open_repo_never_fetches_a_missing_object_of_a_partial_clone(tmp_path: Path) -> None:
    src = committed(tmp_path / "src", {"a.txt": "one\n"})
    write(src, {"a.txt": "two\n"})
    git(src, "commit", "-q", "-am", "two")
    git(src, "config", "uploadpack.allowFilter", "true")
    dst = tmp_path / "dst"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{src}", str(dst))
    git(dst, "config", "protocol.file.allow", "always")  # the target's config cannot re-allow it
    old_blob = git(src, "rev-parse", "HEAD~1:a.txt")
    with open_repo(dst) as repo:
        with pytest.raises(GitCommandError):
            repo.git.cat_file("-p", old_blob)
    # Without the offline environment git would have fetched it from the promisor remote.
    assert git(dst, "cat-file", "-p", old_blob) == "one"
