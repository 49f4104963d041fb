"""Tests for the secrets collector: detectors, filters, env files, git history, hostile input.

Every credential here is built at run time from a seeded random generator and split prefixes, so no
literal key shape sits in this file.
"""

from __future__ import annotations

import os
import random
import string
import subprocess
from pathlib import Path

import pytest

from auditlib.collect.files import FileSet, RepoFile, list_files
from auditlib.collect.secrets import collect_secrets, is_env_file, scan_line, shannon_entropy

B62 = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits
_rng = random.Random(20240601)


def rand(n: int, alphabet: str = B62) -> str:
    """A random-looking string (seeded, so runs are reproducible)."""
    while True:
        s = "".join(_rng.choice(alphabet) for _ in range(n))
        # Real keys mix classes; keep the fixtures from accidentally looking like placeholders.
        if alphabet != B62 or (any(c.isupper() for c in s) and any(c.isdigit() for c in s)):
            return s


def digits(n: int) -> str:
    return "".join(_rng.choice("13579") + _rng.choice("86420") for _ in range(n))[:n]


def make_keys() -> dict[str, str]:
    """detector id -> a constructed credential that detector must find."""
    return {
        "openai_api_key": "sk" + "-proj-" + rand(64),
        "anthropic_api_key": "sk" + "-ant-" + "api03-" + rand(90),
        "aws_access_key_id": "AK" + "IA" + rand(16, UPPER),
        "github_token": "gh" + "p_" + rand(36),
        "stripe_secret_key": "sk" + "_live_" + rand(24),
        "slack_token": "xo" + "xb-" + digits(12) + "-" + digits(13) + "-" + rand(24),
        "google_api_key": "AI" + "za" + rand(35),
    }


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    out = subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false",
         "-c", "init.defaultBranch=main", *args],
        cwd=repo, check=True, capture_output=True, text=True, env=env,
    )
    return out.stdout.strip()


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q")
    return path


def commit(repo: Path, files: dict[str, str | None], msg: str = "c") -> str:
    """Write (or delete, for None) files, commit everything, return the new sha."""
    for rel, text in files.items():
        p = repo / rel
        if text is None:
            p.unlink()
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", msg)
    return git(repo, "rev-parse", "HEAD")


def scan(root: Path, **kw) -> "object":
    return collect_secrets(list_files(root), **kw)


# ------------------------------------------------------------------------------------------ detectors
@pytest.mark.parametrize("detector", sorted(make_keys()))
def test_provider_detector_finds_key_and_never_leaks_it(tmp_path: Path, detector: str) -> None:
    key = make_keys()[detector]
    (tmp_path / "settings.py").write_text(f'import os\n\nVALUE = "{key}"\n')
    facts = collect_secrets(list_files(tmp_path), history=False)
    hits = [h for h in facts.hits if h.detector == detector]
    assert len(hits) == 1, facts.hits
    hit = hits[0]
    assert (hit.path, hit.line, hit.in_tree, hit.placeholder) == ("settings.py", 3, True, False)
    assert hit.masked == key[:4] + "*" * 8
    assert key not in facts.model_dump_json()
    assert key[4:12] not in facts.model_dump_json()


def test_aws_secret_slack_webhook_private_key_and_database_url(tmp_path: Path) -> None:
    aws_secret = rand(40, B62 + "/+")
    webhook = "https://hooks." + "slack.com/services/T" + rand(8, UPPER) + "/B" + rand(8, UPPER) + "/" + rand(24)
    pem_body = rand(64, B62 + "/+")
    db_pw = rand(18)
    (tmp_path / "credentials").write_text(f"[default]\naws_secret_access_key = {aws_secret}\n")
    (tmp_path / "notify.js").write_text(f'const url = "{webhook}";\n')
    (tmp_path / "id_rsa").write_text("-----BEGIN RSA " + f"PRIVATE KEY-----\n{pem_body}\n-----END RSA PRIVATE KEY-----\n")
    (tmp_path / "db.py").write_text(f'URL = "postgresql+psycopg2://app:{db_pw}@db.internal:5432/app"\n')
    facts = collect_secrets(list_files(tmp_path), history=False)
    by_detector = {h.detector: h for h in facts.hits}
    assert by_detector["aws_secret_access_key"].path == "credentials"
    assert by_detector["slack_webhook"].path == "notify.js"
    pem = by_detector["private_key"]
    assert (pem.path, pem.line, pem.placeholder) == ("id_rsa", 1, False)
    db = by_detector["database_url_password"]
    assert db.masked == db_pw[:4] + "*" * 8 and "app:" + db_pw[:4] in db.context
    dumped = facts.model_dump_json()
    for secret in (aws_secret, webhook, pem_body, db_pw):
        assert secret not in dumped


def test_private_keys_with_different_bodies_have_different_fingerprints() -> None:
    header = "-----BEGIN " + "PRIVATE KEY-----"
    a = scan_line(header, rand(64))
    b = scan_line(header, rand(64))
    assert a[0].detector == b[0].detector == "private_key"
    assert a[0].secret != b[0].secret
    # A bare header (a PEM parser, docs) has no key material: flagged, not treated as live.
    assert scan_line(header, "")[0].placeholder is True


def test_generic_high_entropy_assignment(tmp_path: Path) -> None:
    value = rand(32)
    (tmp_path / "conf.yaml").write_text(
        f'service:\n  auth_token: "{value}"\n  log_level: "debug-verbose-mode-on-1"\n'
        '  password: "aaaaaaaaaaaaaaaaaaaaaaaa"\n  api_key: "your-api-key-goes-here-123"\n'
        '  token_url: "https://oauth2.example.org/v1/token"\n'
        '  tokenizer_path: "models/tok-v2/tokenizer.json"\n'
    )
    facts = collect_secrets(list_files(tmp_path), history=False)
    assert [(h.detector, h.line) for h in facts.hits] == [("generic_high_entropy", 2)]
    assert value not in facts.model_dump_json()


def test_generic_does_not_duplicate_a_provider_hit() -> None:
    key = make_keys()["openai_api_key"]
    assert [c.detector for c in scan_line(f'OPENAI_API_KEY = "{key}"')] == ["openai_api_key"]


def test_shannon_entropy() -> None:
    assert shannon_entropy("aaaa") == 0.0
    assert shannon_entropy("abcd") == pytest.approx(2.0)


# ------------------------------------------------------------------------------------------- filters
def test_documented_examples_and_placeholders_are_flagged_or_dropped(tmp_path: Path) -> None:
    aws_id = "AKIA" + "IOSFODNN7" + "EXAMPLE"
    aws_secret = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCY" + "EXAMPLEKEY"
    (tmp_path / "README.md").write_text(
        f"AWS_ACCESS_KEY_ID={aws_id}\n"
        f"aws_secret_access_key = {aws_secret}\n"
        'OPENAI_API_KEY="sk' + '-your-key-here"\n'
        'OPENAI_API_KEY="sk' + '-proj-YOUR-KEY-HERE-XXXXXXXXXXXX"\n'
        'OPENAI_API_KEY="sk' + '-1234567890abcdefghijklmnopqrstuv"\n'
        'GITHUB_TOKEN="gh' + "p_" + "A" * 36 + '"\n'
        "DATABASE_URL=postgres://user:${DB_PASSWORD}@localhost/app\n"
        "DATABASE_URL=postgres://user:<password>@localhost/app\n"
        'API_KEY = "placeholder-' + rand(24) + '"\n'
    )
    facts = collect_secrets(list_files(tmp_path), history=False)
    reported = {(h.line, h.detector): h.placeholder for h in facts.hits}
    assert reported == {
        (1, "aws_access_key_id"): True,
        (2, "aws_secret_access_key"): True,
        (4, "openai_api_key"): True,
        (5, "openai_api_key"): True,
        (6, "github_token"): True,
    }


def test_environment_reads_are_not_reported(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        'import os\nOPENAI_API_KEY = os.environ["OPENAI_API_KEY"]\n'
        'api_key = os.getenv("ANTHROPIC_API_KEY_PRODUCTION_2")\n'
        "secret_token = os.environ.get('SECRET_TOKEN_VALUE_NUMBER_2')\n"
    )
    (tmp_path / "app.js").write_text("const token = process.env.GITHUB_TOKEN_FOR_DEPLOY_2;\n")
    facts = collect_secrets(list_files(tmp_path), history=False)
    assert facts.hits == []
    assert facts.files_scanned == 2


def test_default_value_of_an_environment_read_is_a_literal() -> None:
    key = make_keys()["openai_api_key"]
    found = scan_line(f'api_key = os.getenv("OPENAI_API_KEY", "{key}")')
    assert [c.detector for c in found] == ["openai_api_key"]


def test_kebab_case_words_after_sk_are_not_openai_keys() -> None:
    assert scan_line("pip install sk" + "-learn-compatible-estimator-2") == []
    assert scan_line('cls = "ta' + 'sk-' + rand(30) + '"') == []


# ----------------------------------------------------------------------------------------- env files
def test_env_files_listed_and_scanned(tmp_path: Path) -> None:
    key = make_keys()["stripe_secret_key"]
    (tmp_path / ".env").write_text(f"STRIPE_KEY={key}\n")
    (tmp_path / ".env.production").write_text("DEBUG=0\n")
    (tmp_path / ".env.example").write_text("STRIPE_KEY=\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / ".env.local").write_text("X=1\n")
    (tmp_path / "web" / ".env.sample").write_text("X=\n")
    facts = collect_secrets(list_files(tmp_path), history=False)
    assert facts.env_files == [".env", ".env.production", "web/.env.local"]
    assert [(h.detector, h.path) for h in facts.hits] == [("stripe_secret_key", ".env")]


@pytest.mark.parametrize(
    ("path", "expected"),
    [(".env", True), ("a/.env.staging", True), (".env.example", False), (".env.template", False),
     (".env.dist", False), (".env.local.example", False), (".envrc", False), ("env.py", False)],
)
def test_is_env_file(path: str, expected: bool) -> None:
    assert is_env_file(path) is expected


# ------------------------------------------------------------------------------------ hostile input
def test_binary_file_and_outside_symlink_are_not_read(tmp_path: Path) -> None:
    key = make_keys()["github_token"]
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02" + key.encode() + b"\x00")
    outside = tmp_path / "outside.txt"
    outside.write_text(f"TOKEN={key}\n")
    (repo / "link.txt").symlink_to(outside)
    # Even when a caller hands the link over as if it were a file, it is not read.
    fs = list_files(repo)
    fs = FileSet(root=fs.root, files=[*fs.files, RepoFile("link.txt", 10, "Text")])
    facts = collect_secrets(fs, history=False)
    assert facts.hits == []
    assert facts.files_scanned == 0


def test_utf16_file_with_a_key_is_found(tmp_path: Path) -> None:
    key = make_keys()["anthropic_api_key"]
    (tmp_path / "config.txt").write_bytes(f"# settings\nANTHROPIC_API_KEY={key}\n".encode("utf-16"))
    facts = collect_secrets(list_files(tmp_path), history=False)
    assert [(h.detector, h.line) for h in facts.hits] == [("anthropic_api_key", 2)]


def test_repo_config_cannot_make_git_run_a_program(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"a.txt": "one\n"})
    commit(repo, {"a.txt": "two\n"})
    marker = tmp_path / "pwned"
    script = tmp_path / "evil.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\n")
    script.chmod(0o755)
    git(repo, "config", "diff.external", str(script))
    git(repo, "config", "core.pager", str(script))
    git(repo, "config", "diff.evil.textconv", str(script))
    (repo / ".gitattributes").write_text("* diff=evil\n")
    facts = scan(repo)
    assert facts.history_checked is True
    assert not marker.exists()



def test_a_line_with_two_keys_shows_neither_in_any_context(tmp_path: Path) -> None:
    """Issue 7, defect 1: each hit's context masked its own key only, so the other key on the line leaked."""
    keys = make_keys()
    a, b = keys["openai_api_key"], keys["stripe_secret_key"]
    line = f'C = {{"a": "{a}", "b": "{b}"}}'
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"config.py": line + "\n"}, "two keys")
    commit(repo, {"config.py": "C = {}\n"}, "removed")  # both now history-only hits
    commit(repo, {"app.py": line + "\n"}, "again")  # and in the tree again
    facts = scan(repo)
    assert {(h.detector, h.in_tree) for h in facts.hits} >= {("openai_api_key", True), ("stripe_secret_key", True)}
    dumped = facts.model_dump_json()
    for key in (a, b):
        assert key not in dumped and key[4:14] not in dumped
    for h in facts.hits:
        assert h.context == f'C = {{"a": "{a[:4]}********", "b": "{b[:4]}********"}}'


def test_every_secret_shaped_value_on_the_line_is_masked_even_a_placeholder(tmp_path: Path) -> None:
    keys = make_keys()
    pem_body = rand(64, B62 + "/+")
    placeholder = "sk" + "_live_" + "EXAMPLE" + rand(20)  # flagged as a placeholder, still masked in context
    header = "-----BEGIN RSA " + "PRIVATE KEY-----"
    (tmp_path / "settings.py").write_text(
        f'K = ["{keys["github_token"]}", "{placeholder}", "postgres://u:{rand(16)}@h/db", '
        f'"{keys["slack_token"]}"]\n'
        f'PEM = "{header}\\n{pem_body}\\n"; token = "{keys["google_api_key"]}"\n')
    facts = collect_secrets(list_files(tmp_path), history=False)
    assert {h.detector for h in facts.hits} >= {"github_token", "stripe_secret_key", "database_url_password",
                                                 "slack_token", "private_key", "google_api_key"}
    dumped = facts.model_dump_json()
    for secret in (*keys.values(), placeholder, pem_body):
        assert secret[4:] not in dumped


# -------------------------------------------------------------------------------------------- history
def test_key_added_then_removed_is_a_history_only_hit(tmp_path: Path) -> None:
    key = make_keys()["openai_api_key"]
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"README.md": "hello\n"})
    sha1 = commit(repo, {"app/config.py": f'import os\n\nKEY = "{key}"\n'}, "add key")
    sha2 = commit(repo, {"app/config.py": 'import os\n\nKEY = os.environ["OPENAI_API_KEY"]\n'}, "rm key")
    facts = scan(repo)
    assert facts.history_checked is True and facts.history_reason is None
    assert facts.commits_scanned == 3
    assert len(facts.hits) == 1
    hit = facts.hits[0]
    assert (hit.detector, hit.in_tree, hit.commit, hit.path, hit.line) == (
        "openai_api_key", False, sha1, "app/config.py", 3)
    assert hit.commit != sha2
    assert key not in facts.model_dump_json()


def test_tree_key_carries_its_introducing_commit(tmp_path: Path) -> None:
    key = make_keys()["aws_access_key_id"]
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"main.py": "print(1)\n"})
    sha_intro = commit(repo, {"deploy.sh": f"export AWS_ACCESS_KEY_ID={key}\n"})
    # Re-added later in another file and line: still the same secret, exposed since sha_intro.
    commit(repo, {"deploy.sh": None, "ops/deploy.sh": f"#!/bin/sh\nset -e\nexport AWS_ACCESS_KEY_ID={key}  # prod\n"})
    commit(repo, {"main.py": "print(2)\n"})
    facts = scan(repo)
    assert [(h.path, h.line, h.in_tree, h.commit) for h in facts.hits] == [
        ("ops/deploy.sh", 3, True, sha_intro)]


def test_history_only_secret_reported_once_at_its_oldest_commit(tmp_path: Path) -> None:
    key = make_keys()["github_token"]
    repo = init_repo(tmp_path / "repo")
    sha1 = commit(repo, {"a.py": f'T = "{key}"\n'})
    commit(repo, {"b.py": f'T2 = "{key}"\n'})
    commit(repo, {"a.py": None, "b.py": None, "c.py": "pass\n"})
    facts = scan(repo)
    assert [(h.path, h.commit, h.in_tree) for h in facts.hits] == [("a.py", sha1, False)]


def test_history_placeholder_stays_flagged_and_generic_placeholder_dropped(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"doc.md": "AWS_ACCESS_KEY_ID=" + "AKIA" + "IOSFODNN7" + "EXAMPLE\n"
                  'API_SECRET="example-' + rand(24) + '"\n'})
    commit(repo, {"doc.md": None})
    facts = scan(repo)
    assert [(h.detector, h.placeholder, h.in_tree) for h in facts.hits] == [("aws_access_key_id", True, False)]


def test_deleted_env_file_in_history(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    sha1 = commit(repo, {".env": "DB_PASSWORD=hunter2\n", ".env.example": "DB_PASSWORD=\n"})
    commit(repo, {".env": None})
    facts = scan(repo)
    assert facts.env_files == []
    assert [(h.detector, h.path, h.commit, h.in_tree) for h in facts.hits] == [("env_file", ".env", sha1, False)]
    assert "hunter2" not in facts.model_dump_json()


def test_private_key_in_history_is_fingerprinted_by_its_body(tmp_path: Path) -> None:
    body = rand(64, B62 + "/+")
    repo = init_repo(tmp_path / "repo")
    sha1 = commit(repo, {"keys/server.pem": "-----BEGIN " + f"EC PRIVATE KEY-----\n{body}\n-----END EC PRIVATE KEY-----\n"})
    commit(repo, {"keys/server.pem": None})
    facts = scan(repo)
    assert [(h.detector, h.commit, h.line, h.placeholder) for h in facts.hits] == [("private_key", sha1, 1, False)]
    assert body not in facts.model_dump_json()


def test_history_in_other_branches_and_unicode_paths(tmp_path: Path) -> None:
    key = make_keys()["google_api_key"]
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"a.txt": "a\n"})
    git(repo, "checkout", "-q", "-b", "feature")
    sha = commit(repo, {"dönüş/ça va.js": f'const k = "{key}";\n'})
    git(repo, "checkout", "-q", "main")
    facts = scan(repo)
    assert [(h.path, h.commit, h.in_tree) for h in facts.hits] == [("dönüş/ça va.js", sha, False)]


def test_vendored_folders_skipped_in_history_too(tmp_path: Path) -> None:
    key = make_keys()["stripe_secret_key"]
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"node_modules/pkg/index.js": f'k = "{key}"\n'})
    commit(repo, {"node_modules/pkg/index.js": None, "x.txt": "x\n"})
    assert scan(repo).hits == []


def test_nested_vendored_folders_skipped_in_history_and_tree(tmp_path: Path) -> None:
    key = make_keys()["stripe_secret_key"]
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"web/node_modules/old/index.js": f'k = "{key}"\n', "api/.venv/lib/site.py": f'k = "{key}"\n'})
    commit(repo, {"web/node_modules/old/index.js": None, "x.txt": "x\n"})
    assert scan(repo).hits == []  # nested folders: excluded by prefix (still in tree) or dropped while streaming


def test_max_commits_cap_is_reported(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    for i in range(5):
        commit(repo, {"n.txt": f"{i}\n"})
    facts = scan(repo, max_commits=3)
    assert facts.commits_scanned == 3
    assert facts.history_reason is not None and "capped" in facts.history_reason
    assert scan(repo, max_commits=5).history_reason is None


def test_non_git_directory(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    facts = scan(tmp_path)
    assert facts.history_checked is False
    assert facts.history_reason == "not a git repository"
    assert facts.files_scanned == 1


def test_history_disabled(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"a.txt": "a\n"})
    facts = scan(repo, history=False)
    assert facts.history_checked is False and facts.commits_scanned == 0


def test_broken_history_does_not_raise(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"a.txt": "first\n"})
    commit(repo, {"a.txt": "second\n"})
    # Remove the blob of the first version: git log -p cannot diff that commit.
    blob = git(repo, "rev-parse", "HEAD~1:a.txt")
    obj = repo / ".git" / "objects" / blob[:2] / blob[2:]
    obj.chmod(0o644)
    obj.unlink()
    facts = scan(repo)
    assert facts.history_checked is False
    assert facts.history_reason and "git log failed" in facts.history_reason


def test_shallow_clone_is_not_a_full_history_check(tmp_path: Path) -> None:
    key = make_keys()["openai_api_key"]
    src = init_repo(tmp_path / "src")
    commit(src, {"k.py": f'K = "{key}"\n'})
    commit(src, {"b.txt": "b\n"})
    dst = tmp_path / "dst"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{src}", str(dst))
    facts = scan(dst)
    assert facts.history_checked is False
    assert facts.history_reason and "shallow" in facts.history_reason
    # The only available commit looks like it added everything: no false "since when".
    assert [(h.in_tree, h.commit) for h in facts.hits] == [(True, None)]


def test_progress_messages(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"a.txt": "a\n"})
    messages: list[str] = []
    collect_secrets(list_files(repo), progress=messages.append)
    assert messages and all(m.startswith("secrets:") for m in messages)
    assert any("history" in m for m in messages)


def test_history_line_number_comes_from_the_hunk_header(tmp_path: Path) -> None:
    key = make_keys()["slack_token"]
    repo = init_repo(tmp_path / "repo")
    base = [f"line {i}" for i in range(1, 11)]
    commit(repo, {"bot.py": "\n".join(base) + "\n"})
    with_key = base[:5] + [f'SLACK = "{key}"'] + base[5:]
    sha = commit(repo, {"bot.py": "\n".join(with_key) + "\n"})
    commit(repo, {"bot.py": "\n".join(base) + "\n"})
    facts = scan(repo)
    assert [(h.path, h.line, h.commit) for h in facts.hits] == [("bot.py", 6, sha)]


def test_repository_without_commits(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    facts = scan(repo)
    assert facts.history_checked is True and facts.commits_scanned == 0
    assert facts.history_reason == "repository has no commits"


# ---------------------------------------------------------------------------------- messy repositories
def test_secret_on_a_commented_out_line_of_a_tracked_env_is_still_a_secret(tmp_path: Path) -> None:
    key = make_keys()["openai_api_key"]
    repo = init_repo(tmp_path / "repo")
    commit(repo, {".env": f"DEBUG=1\n# OPENAI_API_KEY={key}\n#ANTHROPIC_API_KEY=\n"})
    facts = scan(repo)
    assert facts.env_files == [".env"]
    assert [(h.detector, h.path, h.line, h.placeholder) for h in facts.hits] == [
        ("openai_api_key", ".env", 2, False)]


@pytest.mark.parametrize("value", [
    "sk" + "-<Enter your key>",
    '"sk' + '-<Enter_your_OpenAI_key_here>"',
    "sk" + "-<Enter_your_OpenAI_key_here>",
    '"sk' + '-...your key..."',
    "sk" + "-[YOUR-KEY]",
    "<sk" + "-your-key-here>",
    "sk" + "-proj-" + "x" * 40,
])
def test_placeholder_keys_are_not_secrets(tmp_path: Path, value: str) -> None:
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={value}\n")
    (tmp_path / "config.py").write_text(f"OPENAI_API_KEY = {value if value.startswith(chr(34)) else repr(value)}\n")
    facts = collect_secrets(list_files(tmp_path), history=False)
    assert [h for h in facts.hits if not h.placeholder] == []


def test_tracked_env_that_gitignore_now_lists_is_still_reported(tmp_path: Path) -> None:
    key = make_keys()["stripe_secret_key"]
    repo = init_repo(tmp_path / "repo")
    sha = commit(repo, {".env": f"STRIPE_KEY={key}\n", "app/.env.local": "X=1\n", "app/main.py": "pass\n"})
    commit(repo, {".gitignore": ".env\n*.local\n"}, "ignore env files, too late")
    facts = scan(repo)
    assert facts.env_files == [".env", "app/.env.local"]
    assert facts.env_files_ignored == [".env", "app/.env.local"]
    assert [(h.detector, h.path, h.in_tree, h.commit) for h in facts.hits] == [("stripe_secret_key", ".env", True, sha)]


def test_env_file_not_ignored_is_not_listed_as_ignored(tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "repo")
    commit(repo, {".env": "X=1\n", ".gitignore": "*.log\n"})
    facts = scan(repo, history=False)
    assert facts.env_files == [".env"] and facts.env_files_ignored == []


def test_key_in_a_test_fixture_marked_fake_is_a_placeholder(tmp_path: Path) -> None:
    keys = make_keys()
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "settings.py").write_text(
        f'OPENAI_KEY = "{keys["openai_api_key"]}"  # fake, for tests\n'
        f'ANTHROPIC_KEY = "{keys["anthropic_api_key"]}"\n')
    (tmp_path / "tests" / "fixtures" / "fake_credentials.json").write_text(f'{{"token": "{keys["github_token"]}"}}\n')
    (tmp_path / "tests" / "test_client.py").write_text(
        'STRIPE = "' + "sk" + "_live_" + "FAKE" + rand(24) + '"\n'
        f'AUTH_TOKEN = "{rand(32)}"  # dummy\n')
    (tmp_path / "app.py").write_text(f'GOOGLE = "{keys["google_api_key"]}"  # fake\n')
    facts = collect_secrets(list_files(tmp_path), history=False)
    found = {(h.path, h.line): (h.detector, h.placeholder) for h in facts.hits}
    assert found == {
        ("tests/fixtures/settings.py", 1): ("openai_api_key", True),
        # Unmarked: a live-looking key in test code is still a key.
        ("tests/fixtures/settings.py", 2): ("anthropic_api_key", False),
        ("tests/fixtures/fake_credentials.json", 1): ("github_token", True),
        ("tests/test_client.py", 1): ("stripe_secret_key", True),
        # Outside test code a "fake" comment proves nothing.
        ("app.py", 1): ("google_api_key", False),
    }


@pytest.mark.parametrize(("path", "expected"), [
    ("tests/fixtures/a.py", True), ("src/__tests__/x.ts", True), ("pkg/client_test.go", True),
    ("web/app.spec.ts", True), ("test_keys.py", True), ("src/app.py", False), ("latest/x.py", False),
])
def test_is_test_path(path: str, expected: bool) -> None:
    from auditlib.collect.secrets import is_test_path

    assert is_test_path(path) is expected


def _partial_clone(tmp_path: Path) -> tuple[Path, dict[str, str], dict[str, str]]:
    """A source repository with secrets at several points of history and a blob:none clone of it."""
    keys = make_keys()
    src = init_repo(tmp_path / "src")
    shas = {
        "old": commit(src, {"old.py": f'K = "{keys["openai_api_key"]}"\n'}),
        "b": commit(src, {"old.py": None, "b.py": f'import os\nT = "{keys["github_token"]}"\n'}),
        "rm": commit(src, {"b.py": None, "README.md": "hi\n"}),
        "app": commit(src, {"app.py": f'import os\nAWS = "{keys["aws_access_key_id"]}"\n'}),
    }
    git(src, "config", "uploadpack.allowFilter", "true")
    dst = tmp_path / "dst"
    git(tmp_path, "clone", "-q", "--filter=blob:none", f"file://{src}", str(dst))
    return dst, shas, keys


def _missing(repo: Path) -> set[str]:
    out = git(repo, "-c", "protocol.allow=never", "rev-list", "--all", "--objects", "--missing=print")
    return {line[1:] for line in out.splitlines() if line.startswith("?")}


def test_partial_clone_reports_missing_blobs_and_scans_the_rest(tmp_path: Path) -> None:
    dst, shas, keys = _partial_clone(tmp_path)
    b_blob = git(dst, "rev-parse", f"{shas['b']}:b.py")
    git(dst, "cat-file", "blob", b_blob)  # fetch one historical blob (test set-up only)
    missing_before = _missing(dst)
    assert len(missing_before) == 1  # old.py's blob

    facts = scan(dst)

    assert _missing(dst) == missing_before  # nothing was fetched
    assert facts.history_checked is False
    assert facts.history_missing_blobs == 1
    assert facts.history_reason and "partial clone" in facts.history_reason
    assert "old.py @ " + shas["old"][:10] in facts.history_reason
    assert facts.commits_scanned == 4
    found = {h.detector: (h.path, h.line, h.in_tree, h.commit) for h in facts.hits}
    assert found == {
        "github_token": ("b.py", 2, False, shas["b"]),  # the present history blob was scanned
        # The blob that first held a tree secret may be missing: no claimed introducing commit.
        "aws_access_key_id": ("app.py", 2, True, None),
    }
    assert keys["github_token"] not in facts.model_dump_json()


def test_partial_clone_with_every_blob_present_is_a_full_check(tmp_path: Path) -> None:
    dst, shas, _keys = _partial_clone(tmp_path)
    for sha, path in ((shas["old"], "old.py"), (shas["b"], "b.py")):
        git(dst, "cat-file", "blob", git(dst, "rev-parse", f"{sha}:{path}"))
    assert _missing(dst) == set()
    facts = scan(dst)
    assert facts.history_checked is True and facts.history_reason is None
    assert facts.history_missing_blobs == 0
    assert {(h.detector, h.in_tree, h.commit) for h in facts.hits} == {
        ("openai_api_key", False, shas["old"]), ("github_token", False, shas["b"]),
        ("aws_access_key_id", True, shas["app"])}


def test_partial_clone_never_contacts_its_promisor_remote(tmp_path: Path) -> None:
    dst, _shas, _keys = _partial_clone(tmp_path)
    # Point the promisor at a remote that would answer, and allow every protocol in the target's
    # own configuration: the audit must still fetch nothing.
    git(dst, "config", "protocol.file.allow", "always")
    git(dst, "config", "protocol.allow", "always")
    missing_before = _missing(dst)
    assert missing_before
    facts = scan(dst)
    assert _missing(dst) == missing_before
    assert facts.history_missing_blobs == len(missing_before)


def test_big_blob_in_history_is_not_split_into_lines(tmp_path: Path, monkeypatch) -> None:
    import auditlib.collect.secrets as secrets

    key = make_keys()["github_token"]
    repo = init_repo(tmp_path / "repo")
    commit(repo, {"data.txt": "x\n" * 200 + f"T={key}\n", "small.py": f'T = "{key[:-1]}Q"\n'})
    commit(repo, {"data.txt": None, "small.py": None})
    monkeypatch.setattr(secrets, "MAX_TEXT_BYTES", 300)  # data.txt is over it, small.py is not
    facts = scan(repo)
    assert [h.path for h in facts.hits] == ["small.py"]


def test_env_file_probe_says_when_gitignore_lists_it_too_late(tmp_path: Path) -> None:
    from auditlib.probes import PROBES
    from tests.factories import make_facts

    repo = init_repo(tmp_path / "repo")
    commit(repo, {".env": "X=1\n", "web/.env.production": "DB_PASSWORD=Xk29vLq8mZ\n"})
    commit(repo, {".gitignore": "/.env\n"})
    facts = scan(repo, history=False)
    hits = list(PROBES["secret.env_file_committed"](make_facts(secrets=facts), {}))
    by_path = {h.path: h.evidence for h in hits}
    assert "committed before the rule" in by_path[".env"]
    assert by_path["web/.env.production"] == "web/.env.production is tracked by git"


def test_fake_marked_fixture_key_is_info_not_critical(tmp_path: Path) -> None:
    from auditlib.probes import run_probes
    from auditlib.rubric import load_rubric
    from tests.factories import make_facts

    key = make_keys()["openai_api_key"]
    (tmp_path / "tests" / "fixtures").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "keys.py").write_text(f'KEY = "{key}"  # fake\n')
    findings = run_probes(make_facts(secrets=collect_secrets(list_files(tmp_path), history=False)), load_rubric())
    assert [(f.rule, f.severity) for f in findings] == [("secret.placeholder", "info")]


def test_a_key_inside_a_minified_megabyte_line_is_found_with_a_short_context():
    """A long line (a minified bundle) is read in windows around its keywords: the key in the middle
    is found once, and the context shown is the window, not the megabyte."""
    from auditlib.collect.secrets import LONG_LINE, WINDOW

    key = "AK" + "IA" + rand(16, UPPER)
    filler = ";var a=function(b){return b+1}" * 20_000
    line = filler + f';const AWS_ACCESS_KEY_ID="{key}";' + filler + ";token=1;" * 2_000
    assert len(line) > 100 * LONG_LINE
    found = [c for c in scan_line(line) if c.secret == key]
    assert len(found) == 1
    assert found[0].detector == "aws_access_key_id" and key not in found[0].context
    assert len(found[0].context) <= 2 * WINDOW + 200
