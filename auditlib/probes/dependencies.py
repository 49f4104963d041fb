"""Probes over dependency facts."""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from ..models import Facts, Hit
from . import probe


@probe("dependency.known_vulnerable")
def known_vulnerable(facts: Facts, params: dict) -> Iterable[Hit]:
    """Pinned dependencies with a published advisory."""
    for v in facts.dependencies.vulnerabilities:
        aliases = ", ".join(a for a in v.aliases if a.startswith(("CVE-", "GHSA-")))
        fixed = f"; fixed in {', '.join(v.fixed)}" if v.fixed else "; no fixed version published"
        ids = v.id + (f" ({aliases})" if aliases else "")
        yield Hit(rule="dependency.known_vulnerable", title=f"Vulnerable dependency: {v.package} {v.version}",
                  evidence=f"{ids}{fixed}. {v.summary}".strip()[:300], path=v.path, line=v.line)


@probe("dependency.unpinned")
def unpinned(facts: Facts, params: dict) -> Iterable[Hit]:
    """Manifests whose dependencies are not pinned, where no lockfile covers them."""
    d = facts.dependencies
    locked = {m.ecosystem for m in d.manifests if m.lockfile}
    by_path: dict[str, list] = defaultdict(list)
    for dep in d.dependencies:
        if not dep.pinned and dep.ecosystem not in locked:
            by_path[dep.path].append(dep)
    for path, deps in sorted(by_path.items()):
        names = ", ".join(f"{x.name}{x.spec}" for x in deps[:6]) + (" ..." if len(deps) > 6 else "")
        yield Hit(rule="dependency.unpinned", title=f"{len(deps)} unpinned dependencies",
                  evidence=names, path=path, line=deps[0].line)


@probe("dependency.no_lockfile")
def no_lockfile(facts: Facts, params: dict) -> Iterable[Hit]:
    """Ecosystems with a manifest, unpinned dependencies and no lockfile."""
    d = facts.dependencies
    locked = {m.ecosystem for m in d.manifests if m.lockfile}
    for eco in sorted({m.ecosystem for m in d.manifests if not m.lockfile} - locked):
        loose = [x for x in d.dependencies if x.ecosystem == eco and not x.pinned]
        if loose:
            manifests = ", ".join(sorted({m.path for m in d.manifests if m.ecosystem == eco}))
            yield Hit(rule="dependency.no_lockfile", title=f"No lockfile for {eco} dependencies",
                      evidence=f"{manifests}: {len(loose)} dependencies resolve to whatever is newest at install time",
                      path=manifests.split(", ")[0])


@probe("dependency.vulnerabilities_not_checked")
def not_checked(facts: Facts, params: dict) -> Iterable[Hit]:
    """Say so when known vulnerabilities could not be looked up (never report that as clean)."""
    vc = facts.dependencies.vuln_check
    if facts.dependencies.dependencies and vc.status != "checked":
        what = "were not checked" if vc.status == "not_checked" else "were checked only in part"
        yield Hit(rule="dependency.vulnerabilities_not_checked",
                  title=f"Known vulnerabilities {what}",
                  evidence=vc.reason or "no vulnerability source answered")
