"""Dependency collector: manifest and lockfile parsing, pin classification, vulnerability checks."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest
import yaml

from auditlib.collect.dependencies import (
    OFFLINE_REASON,
    collect_dependencies,
    manifest_kind,
    npm_pin,
    poetry_pin,
    pypi_pin,
)
from auditlib.collect.files import list_files
from auditlib.models import DependencyFacts


def write(root: Path, rel: str, text: str | bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def collect(root: Path, **kwargs) -> DependencyFacts:
    kwargs.setdefault("offline", True)
    return collect_dependencies(list_files(root), **kwargs)


def by_name(facts: DependencyFacts, path: str) -> dict[str, object]:
    return {d.name: d for d in facts.dependencies if d.path == path}


# ----------------------------------------------------------------------------------- pinning
@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("==2.2.2", "2.2.2"), ("===1.0-custom", "1.0-custom"), (">=1,==1.4", "1.4"),
        ("==2.*", None), (">=2.2", None), ("~=2.2", None), ("", None), ("!=1.0", None),
        ("<3", None), ("not a spec", None),
    ],
)
def test_pypi_pin(spec, expected):
    assert pypi_pin(spec) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("1.2.3", "1.2.3"), ("=1.2.3", "1.2.3"), ("v1.2.3", "1.2.3"), ("1.2.3-beta.1", "1.2.3-beta.1"),
        ("^1.2.3", None), ("~1.2.3", None), (">=1.2.3", None), ("1.2.x", None), ("1.x", None),
        ("*", None), ("latest", None), ("1.2.3 || 2.0.0", None), ("1.2", None), ("", None),
        ("git+https://example.invalid/x.git", None), ("file:../lib", None),
    ],
)
def test_npm_pin(spec, expected):
    assert npm_pin(spec) == expected


@pytest.mark.parametrize(
    ("constraint", "expected"),
    [("1.2.3", "1.2.3"), ("==1.2.3", "1.2.3"), ("2.0rc1", "2.0rc1"), ("^1.2.3", None),
     ("~1.2", None), ("1.2.*", None), (">=1,<2", None), ("*", None)],
)
def test_poetry_pin(constraint, expected):
    assert poetry_pin(constraint) == expected


@pytest.mark.parametrize(
    ("path", "kind"),
    [("requirements.txt", "requirements"), ("requirements-dev.txt", "requirements"),
     ("api/requirements/prod.txt", "requirements"), ("dev-requirements.txt", "requirements"),
     ("requirements.in", "requirements"), ("pyproject.toml", "pyproject"), ("Pipfile", "pipfile"),
     ("Pipfile.lock", "pipfile.lock"), ("web/package.json", "package.json"),
     ("package-lock.json", "package-lock"), ("yarn.lock", "yarn.lock"), ("notes.txt", None),
     ("requirements.md", None), ("src/app.py", None)],
)
def test_manifest_kind(path, kind):
    found = manifest_kind(path)
    assert (found[0] if found else None) == kind


# ------------------------------------------------------------------------------- requirements
def test_requirements_utf16_bom(tmp_path):
    text = "# pinned\r\nflask==2.2.2\r\nrequests>=2\r\n"
    write(tmp_path, "requirements.txt", codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    facts = collect(tmp_path)
    deps = by_name(facts, "requirements.txt")
    assert set(deps) == {"flask", "requests"}
    assert (deps["flask"].pinned, deps["flask"].version, deps["flask"].line) == (True, "2.2.2", 2)
    assert (deps["requests"].pinned, deps["requests"].spec, deps["requests"].line) == (False, ">=2", 3)
    assert facts.reason is None


def test_requirements_lines(tmp_path):
    write(tmp_path, "requirements.txt", "\n".join([
        "# comment",
        "-r base.txt",
        "-c constraints.txt",
        "-e git+https://example.invalid/repo.git#egg=thing",
        "--index-url https://example.invalid/simple",
        "Django_Rest.Framework[extra1] == 3.14.0 ; python_version >= '3.8'  # trailing comment",
        "numpy",
        'attrs==23.1.0; python_version >= "3.8" and bogus_marker == "x"',
        "pandas==2.*",
        "cryptography==41.0.0 \\",
        "    --hash=sha256:" + "a" * 64 + " \\",
        "    --hash=sha256:" + "b" * 64,
        "./local/package",
        "https://example.invalid/pkg-1.0.tar.gz",
        "mypkg @ https://example.invalid/mypkg-1.0.zip",
        "===invalid===",
        "",
    ]))
    write(tmp_path, "requirements/dev.txt", "pytest==8.0.0\n")
    facts = collect(tmp_path)
    deps = by_name(facts, "requirements.txt")
    assert set(deps) == {"django-rest-framework", "numpy", "attrs", "pandas", "cryptography",
                         "mypkg"}
    assert (deps["attrs"].version, deps["attrs"].line) == ("23.1.0", 8)
    drf = deps["django-rest-framework"]
    assert (drf.pinned, drf.version, drf.line, drf.dev) == (True, "3.14.0", 6, False)
    assert (deps["numpy"].pinned, deps["numpy"].spec) == (False, "")
    assert deps["pandas"].pinned is False
    assert (deps["cryptography"].version, deps["cryptography"].line) == ("41.0.0", 10)
    assert deps["mypkg"].pinned is False and deps["mypkg"].spec.startswith("@ ")
    dev = by_name(facts, "requirements/dev.txt")["pytest"]
    assert dev.dev and dev.pinned
    assert facts.reason == "skipped: requirements.txt: 1 lines not understood"
    assert facts.available


# -------------------------------------------------------------------------- other manifests
PYPROJECT = """\
[project]
name = "demo"
dependencies = [
    "fastapi>=0.100",
    "pydantic==2.5.0",
]

[project.optional-dependencies]
test = ["pytest==8.0.0"]

[tool.poetry.dependencies]
python = "^3.11"
openai = "1.3.0"
langchain = { version = "^0.1", extras = ["all"] }
mylib = { git = "https://example.invalid/mylib.git" }

[tool.poetry.group.dev.dependencies]
black = "==23.1.0"
"""


def test_pyproject_pep621_and_poetry(tmp_path):
    write(tmp_path, "pyproject.toml", PYPROJECT)
    deps = by_name(collect(tmp_path), "pyproject.toml")
    assert set(deps) == {"fastapi", "pydantic", "pytest", "openai", "langchain", "mylib", "black"}
    assert (deps["fastapi"].pinned, deps["fastapi"].line, deps["fastapi"].dev) == (False, 4, False)
    assert (deps["pydantic"].version, deps["pydantic"].line) == ("2.5.0", 5)
    assert (deps["pytest"].dev, deps["pytest"].pinned, deps["pytest"].line) == (True, True, 9)
    assert (deps["openai"].pinned, deps["openai"].version, deps["openai"].line) == (True, "1.3.0", 13)
    assert (deps["langchain"].pinned, deps["langchain"].spec) == (False, "^0.1")
    assert deps["mylib"].pinned is False and deps["mylib"].spec.startswith("git: ")
    assert (deps["black"].dev, deps["black"].version, deps["black"].line) == (True, "23.1.0", 18)


def test_pipfile(tmp_path):
    write(tmp_path, "Pipfile", '[[source]]\nurl = "https://pypi.org/simple"\n\n[packages]\n'
          'flask = "*"\nrequests = "==2.31.0"\nDjango = {version = "==4.2.1", extras = ["argon2"]}\n'
          '\n[dev-packages]\npytest = ">=7"\n')
    deps = by_name(collect(tmp_path), "Pipfile")
    assert (deps["flask"].pinned, deps["flask"].spec, deps["flask"].line) == (False, "*", 5)
    assert (deps["requests"].version, deps["requests"].line) == ("2.31.0", 6)
    assert (deps["django"].version, deps["django"].line) == ("4.2.1", 7)
    assert (deps["pytest"].dev, deps["pytest"].pinned) == (True, False)


PACKAGE_JSON = {
    "name": "web",
    "dependencies": {"express": "4.18.2", "lodash": "^4.17.0", "left-pad": "latest",
                     "my-alias": "npm:real-pkg@2.0.0"},
    "devDependencies": {"jest": "~29.0.0"},
}
PACKAGE_LOCK_V3 = {
    "name": "web", "lockfileVersion": 3,
    "packages": {
        "": {"name": "web", "dependencies": {"lodash": "^4.17.0"}},
        "node_modules/express": {"version": "4.18.2"},
        "node_modules/lodash": {"version": "4.17.20"},
        "node_modules/jest": {"version": "29.0.3", "dev": True},
        "node_modules/express/node_modules/debug": {"version": "2.6.9"},
        "node_modules/@scope/pkg": {"version": "1.0.0"},
        "node_modules/linked": {"link": True, "resolved": "packages/linked"},
    },
}


def test_package_json_and_lock_v3(tmp_path):
    write(tmp_path, "package.json", json.dumps(PACKAGE_JSON, indent=2))
    write(tmp_path, "package-lock.json", json.dumps(PACKAGE_LOCK_V3, indent=2))
    facts = collect(tmp_path)
    manifest = by_name(facts, "package.json")
    assert (manifest["express"].pinned, manifest["express"].line) == (True, 4)
    assert manifest["lodash"].pinned is False and manifest["left-pad"].pinned is False
    assert (manifest["real-pkg"].version, manifest["real-pkg"].spec) == ("2.0.0", "npm:real-pkg@2.0.0")
    assert (manifest["jest"].dev, manifest["jest"].pinned) == (True, False)
    lock = by_name(facts, "package-lock.json")
    assert {n: d.version for n, d in lock.items()} == {
        "express": "4.18.2", "lodash": "4.17.20", "jest": "29.0.3", "debug": "2.6.9",
        "@scope/pkg": "1.0.0"}
    assert all(d.pinned for d in lock.values()) and lock["jest"].dev
    assert lock["lodash"].line == 14  # its "node_modules/lodash" entry, not the root's range
    kinds = {m.path: (m.kind, m.ecosystem, m.lockfile) for m in facts.manifests}
    assert kinds == {"package.json": ("package.json", "npm", False),
                     "package-lock.json": ("package-lock", "npm", True)}


def test_python_lockfiles_and_package_lock_v1(tmp_path):
    write(tmp_path, "Pipfile.lock", json.dumps({
        "_meta": {}, "default": {"flask": {"version": "==2.2.2"}, "vcs": {"git": "x"}},
        "develop": {"pytest": {"version": "==8.0.0"}}}, indent=4))
    write(tmp_path, "a/poetry.lock", '[[package]]\nname = "Jinja2"\nversion = "3.1.2"\n'
          'category = "main"\n\n[[package]]\nname = "pytest"\nversion = "8.0.0"\ncategory = "dev"\n')
    write(tmp_path, "b/uv.lock", 'version = 1\n\n[[package]]\nname = "demo"\nversion = "0.1.0"\n'
          'source = { editable = "." }\n\n[[package]]\nname = "httpx"\nversion = "0.27.0"\n'
          'source = { registry = "https://pypi.org/simple" }\n')
    write(tmp_path, "c/package-lock.json", json.dumps({"lockfileVersion": 1, "dependencies": {
        "minimist": {"version": "1.2.5", "dependencies": {"nested": {"version": "0.1.0", "dev": True}}},
        "gitdep": {"version": "git+https://example.invalid/x.git"}}}, indent=2))
    facts = collect(tmp_path)
    assert {(d.name, d.version, d.dev) for d in facts.dependencies if d.path == "Pipfile.lock"} == {
        ("flask", "2.2.2", False), ("pytest", "8.0.0", True)}
    poetry = by_name(facts, "a/poetry.lock")
    assert (poetry["jinja2"].version, poetry["jinja2"].line, poetry["pytest"].dev) == ("3.1.2", 2, True)
    assert set(by_name(facts, "b/uv.lock")) == {"httpx"}  # the project itself is left out
    assert {(d.name, d.version) for d in facts.dependencies if d.path == "c/package-lock.json"} == {
        ("minimist", "1.2.5"), ("nested", "0.1.0")}
    assert all(m.lockfile for m in facts.manifests)


def test_malformed_manifests_are_noted_not_raised(tmp_path):
    write(tmp_path, "pyproject.toml", "[project\nname = ")
    write(tmp_path, "package.json", "{\"dependencies\": ")
    write(tmp_path, "Pipfile", "packages = [1, 2]\n")  # valid TOML, wrong shape: no packages
    write(tmp_path, "poetry.lock", "package = 3\n")
    write(tmp_path, "requirements.txt", "flask==2.2.2\n")
    facts = collect(tmp_path)
    assert facts.available
    assert "pyproject.toml (TOML:" in facts.reason and "package.json (JSON:" in facts.reason
    assert [d.name for d in facts.dependencies] == ["flask"]
    assert len(facts.manifests) == 5


def test_yarn_and_pnpm_lockfiles_recorded(tmp_path):
    write(tmp_path, "yarn.lock", "# yarn lockfile v1\n")
    write(tmp_path, "pnpm-lock.yaml", "lockfileVersion: '6.0'\n")
    facts = collect(tmp_path)
    assert {(m.path, m.lockfile) for m in facts.manifests} == {("yarn.lock", True),
                                                              ("pnpm-lock.yaml", True)}
    assert facts.vuln_check.status == "not_checked"
    assert "lockfile format not read: pnpm-lock.yaml, yarn.lock" in facts.vuln_check.reason


def test_no_manifests(tmp_path):
    write(tmp_path, "app.py", "print('hi')\n")
    facts = collect(tmp_path)
    assert facts.manifests == [] and facts.vuln_check.reason == "no dependency manifests"


# ------------------------------------------------------------------------ vulnerability checks
def test_offline_without_db_is_not_checked(tmp_path):
    write(tmp_path, "requirements.txt", "flask==2.2.2\nrequests\n")
    messages: list[str] = []
    facts = collect(tmp_path, offline=True, progress=messages.append)
    check = facts.vuln_check
    assert check.status == "not_checked" and check.reason == OFFLINE_REASON
    assert check.checked == 0 and check.unchecked == ["flask", "requests"]
    assert facts.vulnerabilities == []
    assert messages and messages[0].startswith("dependencies:")


@pytest.fixture
def vuln_db(tmp_path: Path) -> Path:
    db = tmp_path / "db"
    (db / "vulns" / "flask").mkdir(parents=True)
    (db / "vulns" / "flask" / "PYSEC-T-1.yaml").write_text(yaml.safe_dump({
        "id": "PYSEC-T-1", "aliases": ["CVE-2099-1"], "summary": "flask issue",
        "affected": [{"package": {"name": "flask", "ecosystem": "PyPI"},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}]}]}))
    (db / "npm.json").write_text(json.dumps([{
        "id": "GHSA-T-2", "details": "lodash issue",
        "affected": [{"package": {"name": "lodash", "ecosystem": "npm"},
                      "ranges": [{"type": "SEMVER",
                                  "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}]))
    return db


def test_vuln_db_end_to_end(tmp_path, vuln_db):
    repo = tmp_path / "repo"
    write(repo, "requirements.txt", "requests\nflask==2.2.2\n")
    write(repo, "poetry.lock", '[[package]]\nname = "flask"\nversion = "2.2.2"\n')
    write(repo, "package.json", json.dumps(PACKAGE_JSON, indent=2))
    write(repo, "package-lock.json", json.dumps(PACKAGE_LOCK_V3, indent=2))
    facts = collect(repo, offline=True, vuln_db=vuln_db)
    vulns = {(v.id, v.package, v.version): v for v in facts.vulnerabilities}
    assert set(vulns) == {("PYSEC-T-1", "flask", "2.2.2"), ("GHSA-T-2", "lodash", "4.17.20")}
    # Reported where the dependency is declared, not at its lockfile copy.
    assert (vulns["PYSEC-T-1", "flask", "2.2.2"].path, vulns["PYSEC-T-1", "flask", "2.2.2"].line) == (
        "requirements.txt", 2)
    assert vulns["GHSA-T-2", "lodash", "4.17.20"].path == "package-lock.json"
    check = facts.vuln_check
    assert check.status == "partial" and check.source.startswith("osv-dir:")
    # lodash and jest are pinned by the lockfile; requests and left-pad are not pinned anywhere.
    assert check.unchecked == ["left-pad", "requests"]
    assert check.checked == 7  # flask, express, real-pkg, lodash, jest, debug, @scope/pkg
    assert "2 unpinned" in check.reason


def test_vuln_db_fully_pinned_is_checked(tmp_path, vuln_db):
    repo = tmp_path / "repo"
    write(repo, "requirements.txt", "flask==2.2.5\n")
    facts = collect(repo, vuln_db=vuln_db)
    assert facts.vulnerabilities == []
    assert (facts.vuln_check.status, facts.vuln_check.checked, facts.vuln_check.unchecked) == (
        "checked", 1, [])


def test_online_lookup_failure_is_not_checked(tmp_path, monkeypatch):
    """Online mode with every source failing must report not_checked, never clean."""
    from auditlib.collect import vulns as vulns_module

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(vulns_module.subprocess, "run", refuse)
    monkeypatch.setattr(vulns_module.urllib.request, "urlopen", refuse)
    write(tmp_path, "requirements.txt", "flask==2.2.2\n")
    write(tmp_path, "package.json", json.dumps({"dependencies": {"express": "4.18.2"}}))
    facts = collect(tmp_path, offline=False)
    assert facts.vuln_check.status == "not_checked" and facts.vuln_check.checked == 0
    assert facts.vulnerabilities == []
    assert "pip-audit could not be started" in facts.vuln_check.reason
    assert "OSV API not reachable" in facts.vuln_check.reason
