"""Inventory: how many files, in which languages, how many lines of code.

Counts only; the size of a prototype is context for the other collectors, never a judgment.
"""

from __future__ import annotations

from typing import Callable

from auditlib.collect.files import MAX_TEXT_BYTES, FileSet
from auditlib.collect.roles import role_counts
from auditlib.models import InventoryFacts, LanguageStats, LargeFile, VendoredDir

MAX_SKIPPED_EXAMPLES = 10
MAX_OVERSIZE = 50
MAX_VENDORED_DIRS = 50


def count_lines(text: str) -> int:
    """Number of non-blank lines in ``text``."""
    return sum(1 for line in text.splitlines() if line.strip())


def collect_inventory(files: FileSet, *, progress: Callable[[str], None] | None = None) -> InventoryFacts:
    """Count files, non-blank lines per language and source-code lines of the target.

    Every listed file is read once (through ``FileSet.read_text``) so that binary and oversize files
    can be told apart from text; those are counted as skipped, alongside what ``list_files`` already
    passed over (symlinks, vendored folders). Languages come from ``RepoFile.language``; files
    without a known language count in ``files`` only. A language's ``files`` counts only the files
    whose lines could be counted, so ``lines / files`` stays meaningful.

    Committed vendored or generated folders (``node_modules``, a virtualenv, ``dist``...) are listed
    in ``vendored_dirs`` with their file counts, and files over ``MAX_TEXT_BYTES`` in ``oversize``
    with their sizes: skipped, but never silently. How the list was made when git's index was
    unusable (HEAD's tree, a walk) or why it is empty is in ``listed_from`` and ``limits``.
    """
    if progress:
        for limit in files.limits:  # a damaged repository is said at once, not only in the report
            progress(f"inventory: {limit}")
        progress(f"inventory: counting lines in {len(files.files)} files")
    per_language: dict[str, list[int]] = {}
    code_files = code_lines = 0
    unreadable: dict[str, str] = {}
    for f in files.files:
        # The size is known from the listing: do not read 2 MB only to throw it away.
        if f.size > MAX_TEXT_BYTES:
            unreadable[f.path] = "oversize"
            continue
        text = files.read_text(f)
        if text is None:
            unreadable[f.path] = "binary or unreadable"
            continue
        if f.language is None:
            continue
        lines = count_lines(text)
        stats = per_language.setdefault(f.language, [0, 0])
        stats[0] += 1
        stats[1] += lines
        if f.is_code:
            code_files += 1
            code_lines += lines

    oversize = sorted((f for f in files.files if f.size > MAX_TEXT_BYTES), key=lambda f: (-f.size, f.path))
    vendored = sorted(files.skipped_dirs.items(), key=lambda kv: (-kv[1], kv[0]))
    skipped = {**files.skipped, **unreadable}
    examples = [f"{path} ({reason})" for path, reason in sorted(skipped.items())[:MAX_SKIPPED_EXAMPLES]]
    languages = {
        name: LanguageStats(files=n, lines=lines)
        # Largest language first: the order a reader expects in a table.
        for name, (n, lines) in sorted(per_language.items(), key=lambda kv: (-kv[1][1], kv[0]))
    }
    return InventoryFacts(
        files=len(files.files),
        code_files=code_files,
        code_lines=code_lines,
        languages=languages,
        skipped=len(skipped),
        skipped_examples=examples,
        vendored_dirs=[
            VendoredDir(path=path, files=n, kind="dependencies" if path in files.dependency_dirs else "generated")
            for path, n in vendored[:MAX_VENDORED_DIRS]
        ],
        oversize=[LargeFile(path=f.path, size=f.size) for f in oversize[:MAX_OVERSIZE]],
        oversize_limit=MAX_TEXT_BYTES,
        roles=role_counts(f.path for f in files.files),
        listed_from=files.source,
        limits=list(files.limits),
    )
