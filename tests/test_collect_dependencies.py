"""Dependency collector: manifest and lockfile parsing, pin classification, vulnerability checks."""

from __future__ import annotations

import codecs
import json
import time
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


def test_empty_yarn_and_pnpm_lockfiles_recorded(tmp_path):
    write(tmp_path, "yarn.lock", "# yarn lockfile v1\n")
    write(tmp_path, "pnpm-lock.yaml", "lockfileVersion: '6.0'\n")
    facts = collect(tmp_path)
    assert {(m.path, m.lockfile) for m in facts.manifests} == {("yarn.lock", True),
                                                              ("pnpm-lock.yaml", True)}
    assert facts.dependencies == [] and facts.reason is None
    assert facts.vuln_check.status == "not_checked"
    assert facts.vuln_check.reason == "no dependencies found in the manifests"


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
    # A locked version is reported at the package.json entry whose range it satisfies.
    lodash = vulns["GHSA-T-2", "lodash", "4.17.20"]
    assert (lodash.path, lodash.line, lodash.declared, lodash.locked_at) == (
        "package.json", 5, "^4.17.0", "package-lock.json:14")
    assert (lodash.fix, lodash.fix_in_range) == ("4.17.21", True)
    assert vulns["PYSEC-T-1", "flask", "2.2.2"].fix == "2.2.5"
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

    monkeypatch.setattr(vulns_module.subprocess, "Popen", refuse)  # pip-audit
    monkeypatch.setattr(vulns_module, "bounded_exchange", refuse)  # every OSV API exchange
    write(tmp_path, "requirements.txt", "flask==2.2.2\n")
    write(tmp_path, "package.json", json.dumps({"dependencies": {"express": "4.18.2"}}))
    facts = collect(tmp_path, offline=False)
    assert facts.vuln_check.status == "not_checked" and facts.vuln_check.checked == 0
    assert facts.vulnerabilities == []
    assert "pip-audit could not be started" in facts.vuln_check.reason
    assert "OSV API not reachable" in facts.vuln_check.reason


# ------------------------------------------------------------------------------- yarn and pnpm
YARN_V1 = """\
# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz"
  dependencies:
    "@babel/highlight" "^7.12.13"

lodash@^4.17.0, lodash@^4.17.15:
  version "4.17.20"
  resolved "https://registry.yarnpkg.com/lodash/-/lodash-4.17.20.tgz"

"string-width-cjs@npm:string-width@^4.2.0":
  version "4.2.3"

"mylib@git+https://example.invalid/mylib.git#abc":
  version "1.0.0"
  resolved "git+https://example.invalid/mylib.git#abc"

local@file:../local:
  version "0.1.0"
"""

YARN_BERRY = """\
# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 6
  cacheKey: 8

"lodash@npm:^4.17.0":
  version: 4.17.20
  resolution: "lodash@npm:4.17.20"
  checksum: abc
  languageName: node
  linkType: hard

"@types/node@npm:^18.0.0, @types/node@npm:^18.1.0":
  version: 18.11.9
  resolution: "@types/node@npm:18.11.9"
  dependencies:
    undici-types: "npm:~5.26.4"
  languageName: node
  linkType: hard

"resolve@patch:resolve@^1.1.7#~builtin<compat/resolve>":
  version: 1.22.1
  resolution: "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1"

"web@workspace:.":
  version: 0.0.0-use.local
  resolution: "web@workspace:."
  languageName: unknown
  linkType: soft

"sw-cjs@npm:string-width@^4.2.0":
  version: 4.2.3
  resolution: "string-width@npm:4.2.3"
"""


def test_yarn_lock_v1(tmp_path):
    write(tmp_path, "yarn.lock", YARN_V1)
    facts = collect(tmp_path)
    deps = {d.name: (d.version, d.line, d.pinned) for d in facts.dependencies}
    assert deps == {"@babel/code-frame": ("7.12.13", 5, True), "lodash": ("4.17.20", 11, True),
                    "string-width": ("4.2.3", 15, True)}  # the alias's real package
    assert "@babel/highlight" not in deps  # a nested dependency range, not an entry
    assert facts.reason is None


def test_yarn_lock_berry(tmp_path):
    write(tmp_path, "yarn.lock", YARN_BERRY)
    deps = {(d.name, d.version, d.line) for d in collect(tmp_path).dependencies}
    # The patch, the workspace and the metadata block are left out.
    assert deps == {("lodash", "4.17.20", 8), ("@types/node", "18.11.9", 15),
                    ("string-width", "4.2.3", 33)}


PNPM_V5 = """\
lockfileVersion: 5.4

specifiers:
  lodash: ^4.17.0

dependencies:
  lodash: 4.17.20

packages:

  /lodash/4.17.20:
    resolution: {integrity: sha512-x}
    dev: false

  /@babel/core/7.12.3:
    resolution: {integrity: sha512-y}
    dev: true

  /react-dom/17.0.2_react@17.0.2:
    resolution: {integrity: sha512-z}
    peerDependencies:
      react: 17.0.2
    dev: false

  github.com/user/repo/abcdef:
    resolution: {tarball: https://example.invalid/x.tgz}
"""

PNPM_V6 = """\
lockfileVersion: '6.0'

dependencies:
  lodash:
    specifier: ^4.17.0
    version: 4.17.20

packages:

  /lodash@4.17.20:
    resolution: {integrity: sha512-x}
    dev: false

  /@babel/core@7.12.3:
    resolution: {integrity: sha512-y}
    dev: true

  /react-dom@17.0.2(react@17.0.2):
    resolution: {integrity: sha512-z}
    dev: false
"""

PNPM_V9 = """\
lockfileVersion: '9.0'

importers:

  .:
    dependencies:
      lodash:
        specifier: ^4.17.0
        version: 4.17.20

packages:

  lodash@4.17.20:
    resolution: {integrity: sha512-x}

  '@babel/core@7.12.3':
    resolution: {integrity: sha512-y}

  react-dom@17.0.2:
    resolution: {integrity: sha512-z}

  '@scope/pkg@https://example.invalid/pkg.tgz':
    resolution: {tarball: https://example.invalid/pkg.tgz}

snapshots:

  lodash@4.17.20: {}

  not-a-package@9.9.9: {}
"""


@pytest.mark.parametrize(("text", "dev_known"), [(PNPM_V5, True), (PNPM_V6, True), (PNPM_V9, False)],
                         ids=["v5", "v6", "v9"])
def test_pnpm_lock(tmp_path, text, dev_known):
    write(tmp_path, "pnpm-lock.yaml", text)
    facts = collect(tmp_path)
    deps = {d.name: d for d in facts.dependencies}
    assert {n: d.version for n, d in deps.items()} == {
        "lodash": "4.17.20", "@babel/core": "7.12.3", "react-dom": "17.0.2"}
    lines = text.splitlines()
    for d in deps.values():  # each entry at its own key line
        assert d.name in lines[d.line - 1] and d.version in lines[d.line - 1]
    assert deps["@babel/core"].dev is dev_known and deps["lodash"].dev is False
    assert facts.reason is None


def _big_yarn_lock(entries: int) -> str:
    out = ["# yarn lockfile v1", "", ""]
    for i in range(entries):
        out += [f'"pkg-{i}@^1.{i}.0", "pkg-{i}@^1.0.0":', f'  version "1.{i}.3"',
                f'  resolved "https://registry.yarnpkg.com/pkg-{i}/-/pkg-{i}-1.{i}.3.tgz"',
                "  dependencies:", f'    "pkg-{i + 1}" "^1.0.0"', ""]
    return "\n".join(out) + "\n"


def _big_pnpm_lock(entries: int) -> str:
    out = ["lockfileVersion: '9.0'", "", "packages:", ""]
    for i in range(entries):
        out += [f"  '@scope/pkg-{i}@2.{i}.0':", "    resolution: {integrity: sha512-x}",
                "    engines: {node: '>=14'}", ""]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize(("name", "build", "entries"),
                         [("yarn.lock", _big_yarn_lock, 1700), ("pnpm-lock.yaml", _big_pnpm_lock, 2500)])
def test_lockfile_of_10000_lines(tmp_path, name, build, entries):
    text = build(entries)
    assert text.count("\n") >= 10_000
    write(tmp_path, name, text)
    started = time.perf_counter()
    facts = collect(tmp_path)
    elapsed = time.perf_counter() - started
    print(f"\n{name}: {text.count(chr(10))} lines, {len(facts.dependencies)} entries "
          f"collected in {elapsed * 1000:.0f} ms")
    assert len(facts.dependencies) == entries
    last = facts.dependencies[-1]
    assert last.line is not None and str(entries - 1) in text.splitlines()[last.line - 1]


# ----------------------------------------------------------------------------- messy manifests
def test_requirements_utf8_bom(tmp_path):
    write(tmp_path, "requirements.txt", codecs.BOM_UTF8 + b"flask==2.2.2\nrequests>=2\n")
    deps = by_name(collect(tmp_path), "requirements.txt")
    assert (deps["flask"].version, deps["flask"].line) == ("2.2.2", 1)  # BOM not part of the name
    assert set(deps) == {"flask", "requests"}


def test_broken_pyproject_does_not_stop_the_others(tmp_path, vuln_db):
    repo = tmp_path / "repo"
    write(repo, "services/api/pyproject.toml", '[project]\ndependencies = ["flask==2.2.2",\n')
    write(repo, "services/worker/requirements.txt", "flask==2.2.2\n")
    write(repo, "package.json", json.dumps({"dependencies": {"lodash": "4.17.20"}}))
    facts = collect(repo, vuln_db=vuln_db)
    assert facts.available
    assert facts.reason.startswith("skipped: services/api/pyproject.toml (TOML:")
    assert {(v.package, v.path) for v in facts.vulnerabilities} == {
        ("flask", "services/worker/requirements.txt"), ("lodash", "package.json")}
    # What the broken manifest declares was not looked up: never a clean "checked".
    assert facts.vuln_check.status == "partial" and facts.vuln_check.checked == 2
    assert facts.vuln_check.reason == "manifests not fully read: services/api/pyproject.toml"
    [hit] = run_probe("dependency.vulnerabilities_not_checked", facts)
    assert hit.title == "Known vulnerabilities were checked only in part"


# ----------------------------------------------------------------------- setup.cfg and setup.py
SETUP_CFG = """\
[metadata]
name = demo

[options]
packages = find:
install_requires =
    flask>=2.0
    # a comment
    requests==2.25.0 ; python_version >= "3.8"

[options.extras_require]
test =
    pytest==8.0.0

[flake8]
max-line-length = 100
"""


def test_setup_cfg(tmp_path):
    write(tmp_path, "setup.cfg", SETUP_CFG)
    facts = collect(tmp_path)
    deps = by_name(facts, "setup.cfg")
    assert {n: (d.pinned, d.line, d.dev) for n, d in deps.items()} == {
        "flask": (False, 7, False), "requests": (True, 9, False), "pytest": (True, 13, True)}
    assert facts.reason is None
    assert ("setup.cfg", "setup.cfg", "PyPI", False) in {
        (m.path, m.kind, m.ecosystem, m.lockfile) for m in facts.manifests}


def test_setup_cfg_file_directive_is_noted(tmp_path):
    write(tmp_path, "setup.cfg", "[options]\ninstall_requires = file: requirements.in\n")
    facts = collect(tmp_path)
    assert facts.dependencies == []
    assert "install_requires = file: requirements.in (read from elsewhere, not followed)" in facts.reason


SETUP_PY = """\
import os
from setuptools import setup

BASE = ["flask==2.2.2", "click>=8"]

setup(
    name="demo",
    install_requires=BASE + [
        "requests==2.25.0",
    ],
    extras_require={"dev": ["pytest==8.0.0"], "docs": [os.environ.get("SPHINX", "sphinx")]},
)
"""


def test_setup_py_literal_lists_read_without_running(tmp_path):
    marker = tmp_path / "ran"
    write(tmp_path, "setup.py", SETUP_PY.replace("import os\n", f"import os\nopen({str(marker)!r}, 'w')\n"))
    facts = collect(tmp_path)
    assert not marker.exists()  # parsed, never executed
    deps = by_name(facts, "setup.py")
    assert {n: (d.pinned, d.line, d.dev) for n, d in deps.items()} == {
        "flask": (True, 5, False), "click": (False, 5, False), "requests": (True, 10, False),
        "pytest": (True, 12, True)}
    assert facts.reason == ("skipped: setup.py: extras_require['docs'] is a list with computed "
                            "items; not read (setup.py is never run)")


@pytest.mark.parametrize(("body", "expected"), [
    ("setup(install_requires=open('requirements.txt').read().splitlines())",
     "install_requires is computed by open('requirements.txt')"),
    ("REQS = []\nREQS = ['x']\nsetup(install_requires=REQS)", "install_requires is the variable REQS"),
    ("setup(**config)", "setup(**...) arguments are computed"),
    ("setup(install_requires=[r for r in ['a']])", "install_requires is computed (ListComp)"),
])
def test_setup_py_dynamic_is_noted(tmp_path, body, expected):
    write(tmp_path, "setup.py", "from setuptools import setup\n" + body + "\n")
    facts = collect(tmp_path)
    assert facts.dependencies == []
    assert expected in facts.reason and "\n" not in facts.reason


def test_setup_py_syntax_error(tmp_path):
    write(tmp_path, "setup.py", "setup(install_requires=[\n")
    write(tmp_path, "requirements.txt", "flask==2.2.2\n")
    facts = collect(tmp_path)
    assert "setup.py (Python:" in facts.reason
    assert [d.name for d in facts.dependencies] == ["flask"]


def _big_package_lock(entries: int) -> str:
    packages = {"": {"name": "big", "version": "1.0.0"}}
    for i in range(entries):
        packages[f"node_modules/pkg-{i}"] = {"version": f"3.{i}.1", "resolved": f"https://r/pkg-{i}.tgz",
                                             "integrity": "sha512-x", "dev": i % 2 == 0}
    return json.dumps({"name": "big", "lockfileVersion": 3, "packages": packages}, indent=2)


def test_package_lock_of_10000_lines(tmp_path):
    text = _big_package_lock(1700)
    assert text.count("\n") >= 10_000
    write(tmp_path, "package-lock.json", text)
    started = time.perf_counter()
    facts = collect(tmp_path)
    print(f"\npackage-lock.json: {text.count(chr(10))} lines, {len(facts.dependencies)} entries "
          f"collected in {(time.perf_counter() - started) * 1000:.0f} ms")
    assert len(facts.dependencies) == 1700
    last = facts.dependencies[-1]
    assert '"node_modules/pkg-1699"' in text.splitlines()[last.line - 1]


# ------------------------------------------------------------------- lockfile scope and probes
def run_probe(rule: str, facts: DependencyFacts) -> list:
    from auditlib.probes import PROBES
    from tests.factories import make_facts

    return list(PROBES[rule](make_facts(dependencies=facts), {}))


@pytest.mark.parametrize("spec", ["^4.17.0", "~4.17.0", ">=4.0.0", "4.x", "*", "latest"])
def test_npm_range_without_lockfile_is_unpinned(tmp_path, spec):
    write(tmp_path, "package.json", json.dumps({"dependencies": {"lodash": spec}}, indent=2))
    facts = collect(tmp_path)
    [hit] = run_probe("dependency.unpinned", facts)
    assert (hit.path, hit.line, hit.evidence) == ("package.json", 3, f"lodash{spec}")
    [hit] = run_probe("dependency.no_lockfile", facts)
    assert hit.title == "No lockfile for npm dependencies" and hit.path == "package.json"


@pytest.mark.parametrize("lock", ["yarn.lock", "pnpm-lock.yaml", "package-lock.json"])
def test_lockfile_in_same_directory_or_root_covers(tmp_path, lock):
    write(tmp_path, "package.json", json.dumps({"dependencies": {"lodash": "^4.17.0"}}))
    write(tmp_path, "packages/ui/package.json", json.dumps({"dependencies": {"react": "~18.2.0"}}))
    write(tmp_path, lock, "")
    facts = collect(tmp_path)
    assert run_probe("dependency.unpinned", facts) == []
    assert run_probe("dependency.no_lockfile", facts) == []


def test_monorepo_lockfile_covers_its_own_tree_only(tmp_path):
    repo, db = tmp_path / "repo", tmp_path / "empty-db"
    db.mkdir()
    write(repo, "web/package.json", json.dumps({"dependencies": {"lodash": "^4.17.0"}}))
    write(repo, "web/yarn.lock", 'lodash@^4.17.0:\n  version "4.17.21"\n')
    write(repo, "web/packages/ui/package.json", json.dumps({"dependencies": {"react": "^18"}}))
    write(repo, "api/package.json", json.dumps({"dependencies": {"express": "^4.18.0"}}, indent=2))
    write(repo, "api/requirements.txt", "flask>=2\n")
    write(repo, "worker/pyproject.toml", '[project]\ndependencies = ["httpx>=0.27"]\n')
    write(repo, "worker/uv.lock", '[[package]]\nname = "httpx"\nversion = "0.27.0"\n')
    facts = collect(repo, vuln_db=db)
    unpinned = run_probe("dependency.unpinned", facts)
    assert [(h.path, h.evidence) for h in unpinned] == [
        ("api/package.json", "express^4.18.0"), ("api/requirements.txt", "flask>=2")]
    no_lock = {h.title: h for h in run_probe("dependency.no_lockfile", facts)}
    npm = no_lock["No lockfile for npm dependencies"]
    assert npm.path == "api/package.json" and "web/yarn.lock" in npm.evidence
    assert no_lock["No lockfile for PyPI dependencies"].path == "api/requirements.txt"
    # web/yarn.lock pins web's lodash; api/ has no lockfile; the ui package's react is missing
    # from its (stale) lockfile: those versions are unknown.
    assert set(facts.vuln_check.unchecked) == {"express", "flask", "react"}


@pytest.fixture
def npm_db(tmp_path: Path) -> Path:
    db = tmp_path / "npmdb"
    db.mkdir()
    (db / "lodash.json").write_text(json.dumps({
        "id": "GHSA-35jh-r3h4-6jhm", "aliases": ["CVE-2021-23337"], "summary": "Command injection",
        "affected": [{"package": {"name": "lodash", "ecosystem": "npm"},
                      "ranges": [{"type": "SEMVER", "events": [
                          {"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}))
    (db / "express.json").write_text(json.dumps({
        "id": "GHSA-rv95-896h-c2vc", "aliases": ["CVE-2024-29041"], "summary": "Open redirect",
        "affected": [{"package": {"name": "express", "ecosystem": "npm"},
                      "ranges": [{"type": "SEMVER", "events": [
                          {"introduced": "0"}, {"fixed": "4.19.2"}, {"introduced": "5.0.0-alpha.1"},
                          {"fixed": "5.0.0-beta.3"}]}]}]}))
    return db


def test_locked_vulnerability_reported_at_manifest_line(tmp_path, npm_db):
    repo = tmp_path / "repo"
    write(repo, "web/package.json", json.dumps(
        {"name": "web", "dependencies": {"express": "~4.17.0", "lodash": "^4.17.0"}}, indent=2))
    write(repo, "web/yarn.lock", YARN_V1 + 'express@~4.17.0:\n  version "4.17.3"\n\n'
          'lodash@^3.0.0:\n  version "3.10.1"\n')
    write(repo, "api/package.json", json.dumps({"dependencies": {"lodash": "^4.17.0"}}))
    facts = collect(repo, vuln_db=npm_db)
    found = {(v.package, v.version): v for v in facts.vulnerabilities}
    assert set(found) == {("lodash", "4.17.20"), ("lodash", "3.10.1"), ("express", "4.17.3")}
    lodash = found["lodash", "4.17.20"]
    assert (lodash.path, lodash.line, lodash.declared, lodash.locked_at) == (
        "web/package.json", 5, "^4.17.0", "web/yarn.lock:11")
    assert (lodash.id, lodash.aliases, lodash.fix, lodash.fix_in_range) == (
        "GHSA-35jh-r3h4-6jhm", ["CVE-2021-23337"], "4.17.21", True)
    express = found["express", "4.17.3"]
    assert (express.path, express.line, express.fix, express.fix_in_range) == (
        "web/package.json", 4, "4.19.2", False)
    # A transitive copy outside the declared range stays at its lockfile line.
    old = found["lodash", "3.10.1"]
    assert (old.path, old.declared, old.fix) == ("web/yarn.lock", None, "4.17.21")
    assert (repo / "web/yarn.lock").read_text().splitlines()[old.line - 1] == "lodash@^3.0.0:"

    hits = {h.title: h for h in run_probe("dependency.known_vulnerable", facts)}
    ev = hits["Vulnerable dependency: lodash 4.17.20"].evidence
    assert ev.startswith("GHSA-35jh-r3h4-6jhm (CVE-2021-23337); upgrade 4.17.20 to 4.17.21; "
                         "declared ^4.17.0, locked at web/yarn.lock:11; 4.17.21 is inside the "
                         "declared range: refresh the lockfile.")
    ev = hits["Vulnerable dependency: express 4.17.3"].evidence
    assert "upgrade 4.17.3 to 4.19.2 (fixed in 4.19.2, 5.0.0-beta.3)" in ev
    assert "outside the declared range: change the manifest" in ev


# ------------------------------------------------- issue 9, item 6: a pip-compiled requirements file is a lockfile
PIP_COMPILED = """#
# This file is autogenerated by pip-compile with Python 3.12
# by the following command:
#
#    pip-compile pyproject.toml
#
aiohttp==3.12.15
    # via quartapp (pyproject.toml)
openai==1.108.1
    # via quartapp (pyproject.toml)
quart==0.20.0
    # via quartapp (pyproject.toml)
"""
QUART_PYPROJECT = '[project]\nname = "quartapp"\nversion = "1"\ndependencies = ["quart", "openai>=1.108.1", "aiohttp"]\n'


def _no_lockfile(facts: DependencyFacts) -> list:
    from auditlib.probes import PROBES
    from tests.factories import make_facts

    return list(PROBES["dependency.no_lockfile"](make_facts(dependencies=facts), {}))


def test_pip_compiled_requirements_lock_the_pyproject_beside_them(tmp_path):
    write(tmp_path, "src/pyproject.toml", QUART_PYPROJECT)
    write(tmp_path, "src/requirements.txt", PIP_COMPILED)
    facts = collect(tmp_path)
    assert {m.path: m.lockfile for m in facts.manifests} == {"src/pyproject.toml": False, "src/requirements.txt": True}
    assert _no_lockfile(facts) == []


@pytest.mark.parametrize("text", [
    PIP_COMPILED.replace("quart==0.20.0", "quart>=0.20"),  # hand-edited: one entry no longer pinned
    PIP_COMPILED.replace("autogenerated by pip-compile", "kept by hand"),  # no pip-compile header
])
def test_requirements_that_are_not_a_compiled_lock_do_not_count(tmp_path, text):
    write(tmp_path, "src/pyproject.toml", QUART_PYPROJECT)
    write(tmp_path, "src/requirements.txt", text)
    facts = collect(tmp_path)
    assert not any(m.lockfile for m in facts.manifests)
    [hit] = _no_lockfile(facts)
    assert hit.severity is None  # runtime dependencies: the rule's default


def test_loose_development_tools_only_are_graded_low(tmp_path):
    write(tmp_path, "src/pyproject.toml", QUART_PYPROJECT)
    write(tmp_path, "src/requirements.txt", PIP_COMPILED)
    write(tmp_path, "requirements-dev.txt", "-r src/requirements.txt\nruff\npytest\n")
    [hit] = _no_lockfile(collect(tmp_path))
    assert (hit.path, hit.severity) == ("requirements-dev.txt", "low")
    assert "development dependencies (tests, lint) only" in hit.evidence
