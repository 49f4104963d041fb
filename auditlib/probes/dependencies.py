"""Probes over dependency facts."""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Iterable

from ..collect.dependencies import is_locked, lockfile_scopes  # pure: the one lockfile-scoping rule
from ..models import Dependency, Facts, Hit, Manifest, Vulnerability
from . import probe


def loose_dependencies(deps: Iterable[Dependency], manifests: list[Manifest]) -> list[Dependency]:
    """Unpinned manifest entries that no lockfile covers (range-only: ``^1.2``, ``>=2``, none).

    Decided once per (manifest, ecosystem) by a walk up its path: a hostile monorepo of 1,000
    manifests and 20,000 entries took minutes when every entry was compared with every manifest."""
    lock_paths = {m.path for m in manifests if m.lockfile}
    scopes = lockfile_scopes(manifests)
    covered: dict[tuple[str, str], bool] = {}

    def is_covered(d: Dependency) -> bool:
        key = (d.path, d.ecosystem)
        if key not in covered:
            covered[key] = is_locked(scopes, d.path, d.ecosystem)
        return covered[key]

    return [d for d in deps if not d.pinned and d.path not in lock_paths and not is_covered(d)]


def _vuln_evidence(v: Vulnerability) -> str:
    """Advisory id and CVE/GHSA aliases, the upgrade that fixes it, the declared range and where
    the version was locked, then the summary."""
    aliases = ", ".join(a for a in v.aliases if a.startswith(("CVE-", "GHSA-")) and a != v.id)
    parts = [v.id + (f" ({aliases})" if aliases else "")]
    if v.fix:
        others = [f for f in v.fixed if f != v.fix]
        parts.append(f"upgrade {v.version} to {v.fix}"
                     + (f" (fixed in {', '.join(v.fixed)})" if others else ""))
    elif v.fixed:
        parts.append(f"fixed in {', '.join(v.fixed)}")
    else:
        parts.append("no fixed version published")
    if v.declared is not None:
        where = f"declared {v.declared}" + (f", locked at {v.locked_at}" if v.locked_at else "")
        if v.fix_in_range is True:
            where += f"; {v.fix} is inside the declared range: refresh the lockfile"
        elif v.fix_in_range is False:
            where += f"; {v.fix} is outside the declared range: change the manifest"
        parts.append(where)
    text = "; ".join(parts) + "."
    return f"{text} {v.summary}".strip()[:300]


@probe("dependency.known_vulnerable")
def known_vulnerable(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Pinned dependencies with a published advisory."""
    for v in facts.dependencies.vulnerabilities:
        yield Hit(rule="dependency.known_vulnerable", title=f"Vulnerable dependency: {v.package} {v.version}",
                  evidence=_vuln_evidence(v), path=v.path, line=v.line)


@probe("dependency.unpinned")
def unpinned(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Manifests with range-only or unconstrained dependencies (``^1.2``, ``~1.2``, ``>=2``, none)
    that no lockfile in their directory tree covers."""
    d = facts.dependencies
    by_path: dict[str, list[Any]] = defaultdict(list)
    for dep in loose_dependencies(d.dependencies, d.manifests):
        by_path[dep.path].append(dep)
    for path, deps in sorted(by_path.items()):
        names = ", ".join(f"{x.name}{x.spec}" for x in deps[:6]) + (" ..." if len(deps) > 6 else "")
        yield Hit(rule="dependency.unpinned", title=f"{len(deps)} unpinned dependencies",
                  evidence=names, path=path, line=deps[0].line)


@probe("dependency.no_lockfile")
def no_lockfile(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Ecosystems with manifests that have unpinned dependencies and no lockfile in their
    directory tree (a lockfile elsewhere in a monorepo does not cover them). A pip-compiled
    requirements file counts as a lockfile (auditlib.collect.dependencies.is_compiled_requirements);
    when only development dependencies are loose the hit is graded low."""
    d = facts.dependencies
    loose = loose_dependencies(d.dependencies, d.manifests)
    for eco in sorted({x.ecosystem for x in loose}):
        mine = [x for x in loose if x.ecosystem == eco]
        manifests = ", ".join(sorted({x.path for x in mine}))
        elsewhere = sorted(m.path for m in d.manifests if m.lockfile and m.ecosystem == eco)
        note = f" (lockfiles elsewhere cover other directories only: {', '.join(elsewhere[:3])})" \
            if elsewhere else ""
        dev_only = all(x.dev for x in mine)  # test and lint tools: CI may drift, production does not
        what = "development dependencies (tests, lint) only" if dev_only else "dependencies"
        yield Hit(rule="dependency.no_lockfile", title=f"No lockfile for {eco} dependencies",
                  evidence=f"{manifests}: {len(mine)} {what} resolve to whatever is newest at install time{note}"[:300],
                  path=manifests.split(", ")[0], severity="low" if dev_only else None)


@probe("dependency.vulnerabilities_not_checked")
def not_checked(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Say so when known vulnerabilities could not be looked up (never report that as clean)."""
    vc = facts.dependencies.vuln_check
    if facts.dependencies.dependencies and vc.status != "checked":
        what = "were not checked" if vc.status == "not_checked" else "were checked only in part"
        yield Hit(rule="dependency.vulnerabilities_not_checked",
                  title=f"Known vulnerabilities {what}",
                  evidence=vc.reason or "no vulnerability source answered")
