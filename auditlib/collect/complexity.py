"""Complexity: cyclomatic complexity per function, radon for Python and lizard for the rest.

Both are used as libraries on text we read ourselves (never on paths, so they cannot follow a
link), and one file they cannot parse is skipped without stopping the others.
"""

from __future__ import annotations

from typing import Callable, Iterator

import lizard
from radon.complexity import cc_visit
from radon.visitors import Class, Function

from auditlib.collect.files import FileSet, RepoFile
from auditlib.models import ComplexityFacts, ComplexityFunction

MAX_OVER_THRESHOLD = 200
MAX_SKIP_EXAMPLES = 5

RADON_SUFFIXES = frozenset({".py"})
LIZARD_SUFFIXES = frozenset({
    ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go", ".java", ".kt", ".kts", ".rb", ".php", ".cs",
    ".c", ".h", ".cpp", ".cc", ".hpp", ".swift", ".rs", ".scala", ".vue", ".lua",
})
"""Extensions handed to lizard (Python goes to radon, which knows it better)."""


def _radon_blocks(blocks: list, prefix: str = "") -> Iterator[tuple[str, int, int]]:
    """``(qualified name, line, complexity)`` for every function, method and closure radon saw."""
    for block in blocks:
        if isinstance(block, Class):
            name = f"{prefix}{block.name}."
            yield from _radon_blocks(list(block.methods), name)
            yield from _radon_blocks(list(block.inner_classes), name)
        elif isinstance(block, Function):
            yield f"{prefix}{block.name}", block.lineno, block.complexity
            yield from _radon_blocks(list(block.closures), f"{prefix}{block.name}.")


def radon_functions(text: str) -> list[tuple[str, int, int]]:
    """Functions of a Python source text with their complexity (raises on a parse error)."""
    blocks = cc_visit(text)
    # cc_visit lists a class's methods twice (inside the class and flattened at top level); keep
    # the nested copy so methods of inner classes and closures are reached the same way.
    top = [b for b in blocks if not (isinstance(b, Function) and b.is_method)]
    return list(_radon_blocks(top))


def lizard_functions(path: str, text: str) -> list[tuple[str, int, int]]:
    """Functions of a source text in a language lizard reads, with their complexity."""
    info = lizard.analyze_file.analyze_source_code(path, text)
    return [(fn.name, fn.start_line, fn.cyclomatic_complexity) for fn in info.function_list]


def _tool_for(f: RepoFile) -> str | None:
    if f.suffix in RADON_SUFFIXES:
        return "radon"
    if f.suffix in LIZARD_SUFFIXES:
        return "lizard"
    return None


def collect_complexity(
    files: FileSet,
    *,
    threshold: int,
    max_file_bytes: int = 500_000,
    progress: Callable[[str], None] | None = None,
) -> ComplexityFacts:
    """Cyclomatic complexity of every function: count, mean, max and those above ``threshold``.

    Files over ``max_file_bytes`` (often generated or minified), unreadable files and files the
    tool cannot parse are skipped; when any are, ``reason`` says how many with a few examples.
    ``over_threshold`` holds functions with complexity strictly above ``threshold``, most complex
    first, at most 200. ``tool`` names the tools that ran (``radon+lizard`` when both, or when
    there was nothing to read).
    """
    candidates = [(f, tool) for f in files.files if (tool := _tool_for(f))]
    if progress:
        progress(f"complexity: analysing {len(candidates)} files")
    found: list[ComplexityFunction] = []
    used: set[str] = set()
    skipped: list[str] = []
    for f, tool in candidates:
        if f.size > max_file_bytes:
            skipped.append(f"{f.path} (over {max_file_bytes} bytes)")
            continue
        text = files.read_text(f)
        if text is None:
            skipped.append(f"{f.path} (binary or unreadable)")
            continue
        try:
            functions = radon_functions(text) if tool == "radon" else lizard_functions(f.path, text)
        except Exception as exc:  # noqa: BLE001 - any parser failure on hostile input skips one file
            skipped.append(f"{f.path} ({type(exc).__name__})")
            continue
        used.add(tool)
        found.extend(ComplexityFunction(path=f.path, line=line, name=name, complexity=cc)
                     for name, line, cc in functions)

    over = sorted((fn for fn in found if fn.complexity > threshold),
                  key=lambda fn: (-fn.complexity, fn.path, fn.line))
    reason = None
    if skipped:
        examples = ", ".join(skipped[:MAX_SKIP_EXAMPLES])
        more = f" and {len(skipped) - MAX_SKIP_EXAMPLES} more" if len(skipped) > MAX_SKIP_EXAMPLES else ""
        reason = f"{len(skipped)} file(s) not analysed: {examples}{more}"
    complexities = [fn.complexity for fn in found]
    return ComplexityFacts(
        reason=reason,
        functions=len(found),
        mean=round(sum(complexities) / len(complexities), 2) if complexities else None,
        max=max(complexities) if complexities else None,
        over_threshold=over[:MAX_OVER_THRESHOLD],
        threshold=threshold,
        tool="+".join(t for t in ("radon", "lizard") if t in used) or "radon+lizard",
    )
