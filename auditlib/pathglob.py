"""Path patterns for repository paths (forward slashes), as .gitignore-style tools write them.

``*``, ``?`` and ``[...]`` stay within one folder, a ``**`` segment crosses folders (``tests/**`` is
everything under ``tests/``; ``**/conftest.py`` a conftest.py at any depth), and a pattern ending in
``/`` names a folder and everything under it. Used for the CI vocabulary of checklists/ci.yaml and for
the paths of accepted findings (``.auditlib.yaml``, hostile input).

The matching never backtracks exponentially, whatever the pattern: each folder name is matched by
``fnmatch`` (whose translation is safe from catastrophic backtracking), and ``**`` segments by a table
over the path's folders (patterns and paths of at most MAX_SEGMENTS segments).
"""

from __future__ import annotations

import fnmatch

MAX_SEGMENTS = 64
"""A pattern or path with more ``/``-separated parts matches nothing."""


def path_matches(pattern: str, path: str, ignore_case: bool = False) -> bool:
    """Whether ``path`` (relative, forward slashes) matches ``pattern`` (see the module's docstring)."""
    pattern, path = pattern.removeprefix("./"), path.removeprefix("./")
    if pattern.endswith("/"):
        pattern += "**"
    if ignore_case:
        pattern, path = pattern.lower(), path.lower()
    pp = [("**" if p == "**" else p.replace("**", "*")) for p in pattern.split("/")]
    ss = path.split("/")
    if len(pp) > MAX_SEGMENTS or len(ss) > MAX_SEGMENTS:
        return False
    if "**" not in pp:  # the usual case: one folder name against one pattern part, no table needed
        return len(pp) == len(ss) and all(fnmatch.fnmatchcase(s, p) for s, p in zip(ss, pp, strict=False))
    # ok[i][j]: pp[i:] matches ss[j:]
    n, m = len(pp), len(ss)
    ok = [[False] * (m + 1) for _ in range(n + 1)]
    ok[n][m] = True
    for i in range(n - 1, -1, -1):
        for j in range(m, -1, -1):
            if pp[i] == "**":
                ok[i][j] = ok[i + 1][j] or (j < m and ok[i][j + 1])
            else:
                ok[i][j] = j < m and ok[i + 1][j + 1] and fnmatch.fnmatchcase(ss[j], pp[i])
    return ok[0][0]
