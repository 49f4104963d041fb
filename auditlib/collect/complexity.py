"""Complexity: cyclomatic complexity per function, radon for Python and lizard for the rest, and
radon's maintainability index per Python file.

Both are used as libraries on text we read ourselves (never on paths, so they cannot follow a
link), and one file they cannot parse is skipped without stopping the others.
"""

from __future__ import annotations

import ast
import functools
import io
import tokenize
from typing import Any, Callable, Iterator, cast

import lizard
import tree_sitter
from radon.complexity import cc_visit
from radon.metrics import h_visit_ast, mi_compute
from radon.raw import Module
from radon.visitors import Class, Function

from auditlib.collect.files import FileSet, RepoFile
from auditlib.models import ComplexityFacts, ComplexityFunction, FileComplexity

MAX_OVER_THRESHOLD = 200
MAX_SKIP_EXAMPLES = 5
MAX_FILES = 500
"""Per-file records kept (highest total complexity first): enough for hotspots."""
MAX_MI_FILES = 100
"""Python files given a maintainability index: the first of the per-file records (highest total
complexity). The index costs a second parse and a tokenizer pass per file, and no report shows it;
it is kept in results.json for the hotspot files a reader looks at."""
MAX_MI_SKIPPED = 50

BUCKETS: tuple[tuple[str, int], ...] = (("1-5", 5), ("6-10", 10), ("11-20", 20), ("21-50", 50), (">50", 10**9))
"""Distribution buckets for the notebook's table: label -> highest complexity in it. A display
grouping (radon's A-F ranks, coarser), not a finding threshold: that lives in the rubric."""

RADON_SUFFIXES = frozenset({".py"})
LIZARD_SUFFIXES = frozenset({
    ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go", ".java", ".kt", ".kts", ".rb", ".php", ".cs",
    ".c", ".h", ".cpp", ".cc", ".hpp", ".swift", ".rs", ".scala", ".vue", ".lua",
})
"""Extensions handed to lizard (Python goes to radon, which knows it better)."""


def _radon_blocks(blocks: list[Any], prefix: str = "") -> Iterator[tuple[str, int, int]]:
    """``(qualified name, line, complexity)`` for every function, method and closure radon saw."""
    for block in blocks:
        if isinstance(block, Class):
            name = f"{prefix}{block.name}."
            yield from _radon_blocks(list(block.methods), name)
            yield from _radon_blocks(list(block.inner_classes), name)
        elif isinstance(block, Function):
            yield f"{prefix}{block.name}", block.lineno, block.complexity
            yield from _radon_blocks(list(block.closures), f"{prefix}{block.name}.")


def _radon_top(blocks: list[Any]) -> list[tuple[str, int, int]]:
    # radon lists a class's methods twice (inside the class and flattened at top level); keep the
    # nested copy so methods of inner classes and closures are reached the same way.
    top = [b for b in blocks if not (isinstance(b, Function) and b.is_method)]
    return list(_radon_blocks(top))


def radon_functions(text: str) -> list[tuple[str, int, int]]:
    """Functions of a Python source text with their complexity (raises on a parse error)."""
    return _radon_top(cc_visit(text))


_UNIT_ENDS = (tokenize.NL, tokenize.NEWLINE, tokenize.ENDMARKER)


def _logical_lines(tokens: list[tuple[int, str]]) -> int:
    """radon's logical-line count of one statement (``radon.raw._logical``, quirks included:
    ``if x: y`` and ``d = {"a": 1}`` count two, as a ``:`` not at the end does)."""
    subs: list[list[tuple[int, str]]] = [[]]
    for t in tokens:
        if t[0] == tokenize.OP and t[1] == ";":
            subs.append([])
        else:
            subs[-1].append(t)
    total = 0
    for sub in subs:
        kept = [t for t in sub if t[0] not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE)]
        colon = next((i for i in range(len(kept) - 1, -1, -1) if kept[i] == (tokenize.OP, ":")), None)
        if colon is not None:
            total += 2 - (colon == len(kept) - 2)  # the last token is the ENDMARKER
        elif any(t[0] not in _UNIT_ENDS for t in kept):
            total += 1
    return total


def analyze(source: str) -> Module:
    """radon's raw metrics (``radon.raw.analyze``: loc, lloc, sloc, comments, multi, blank,
    single_comments) from one tokenize pass.

    radon tokenizes line by line and, inside a multi-line statement or string, re-tokenizes the
    growing buffer for every added line: quadratic in the statement's length, which is what makes
    its MI pass take minutes on a large generated file. Here the file is tokenized once and split
    into the same units (a statement, a comment line, a blank line), counted by radon's rules.
    Raises ``tokenize.TokenError`` or ``SyntaxError`` on text Python cannot tokenize.
    """
    lines = source.splitlines()
    counts = {"lloc": 0, "comments": 0, "single": 0, "multi": 0, "blank": 0, "sloc": 0}

    def close(unit: list[tokenize.TokenInfo], first: int, last: int) -> None:
        counts["comments"] += sum(1 for t in unit if t.type == tokenize.COMMENT)
        body = [t for t in unit if t.type not in _UNIT_ENDS]
        span = [line.strip() for line in lines[first - 1:last]]
        filled = sum(1 for line in span if line)
        if len(body) == 1 and body[0].type == tokenize.COMMENT:
            counts["single"] += 1
        elif len(body) == 1 and body[0].type == tokenize.STRING:  # a docstring
            if body[0].start[0] == body[0].end[0]:
                counts["single"] += 1
            else:
                counts["multi"] += filled
                counts["blank"] += len(span) - filled
        else:
            counts["sloc"] += filled
            counts["blank"] += len(span) - filled
        counts["lloc"] += _logical_lines([(t.type, t.string) for t in unit] + [(tokenize.ENDMARKER, "")])

    unit: list[tokenize.TokenInfo] = []
    first: int | None = None
    depth = 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type in (tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER):
            continue  # radon tokenizes stripped lines: it never sees indentation
        if first is None:
            first = tok.start[0]
        unit.append(tok)
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        if tok.type == tokenize.NEWLINE or (tok.type == tokenize.NL and depth <= 0):
            last = tok.start[0] if tok.type == tokenize.NL else max(tok.start[0], unit[0].start[0])
            close(unit, first, last)
            unit, first = [], None
    if unit and first is not None:
        close(unit, first, len(lines))
    c = counts
    loc = c["sloc"] + c["blank"] + c["multi"] + c["single"]
    return Module(loc, c["lloc"], c["sloc"], c["comments"], c["multi"], c["blank"], c["single"])


# Radon's cyclomatic complexity (``ComplexityVisitor``), counted by one explicit-stack walk: the same
# numbers (checked against radon on every Python file of this project's virtual environment, 9,221
# files, and by tests/test_collect_complexity.py), 4.6x faster, which is most of the complexity
# collector's time on a large repository; operator and context fields are not entered (the same
# numbers again on 21,648 files of the virtual environment and the standard library). Quirks kept:
# ``assert`` counts 1 and its test is not entered; a ``try`` counts its handlers and its ``else``,
# ``except*`` nothing; decorators, default values and bases are not entered; a class defined inside a
# function is dropped.
_LEAF = frozenset({ast.Load, ast.Store, ast.Del, ast.Constant, ast.Name, ast.alias, ast.Pass, ast.Break,
                   ast.Continue, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom})
_ONE = frozenset({ast.If, ast.IfExp})
_LOOP = frozenset({ast.For, ast.While, ast.AsyncFor})
_AST = ast.AST
_SKIP_FIELDS = frozenset({"ctx", "op", "ops"})
"""Fields that hold only operators and load/store markers: never a decision point, never walked."""
_FIELDS: dict[type, tuple[str, ...]] = {}
"""Node type -> the fields the walk enters (``_fields`` without ``_SKIP_FIELDS``), computed once a type."""


def _fields(t: type) -> tuple[str, ...]:
    got = _FIELDS.get(t)
    if got is None:
        got = _FIELDS[t] = tuple(f for f in t._fields if f not in _SKIP_FIELDS)  # type: ignore[attr-defined]
    return got


def _walk(nodes: list[Any]) -> tuple[int, list[Any], list[Any]]:
    """radon's ComplexityVisitor over ``nodes`` (the statements of one block), without its visitor
    machinery: the decision points counted here, the functions and the classes defined (not entered:
    each is its own block). Functions are ``(name, line, complexity, closures)``; classes
    ``(name, None, radon's real_complexity, methods, inner classes)``. Children are pushed in reverse
    so that they come off the stack in source order (the order of the functions found)."""
    cc = 0
    fns = []
    classes = []
    stack = list(reversed(nodes))
    pop = stack.pop
    push = stack.append
    fields_of = _FIELDS.get
    while stack:
        node = pop()
        t = type(node)
        if t in _LEAF:
            continue
        if t is ast.FunctionDef or t is ast.AsyncFunctionDef:
            c, f, _ = _walk(node.body)
            fns.append((node.name, node.lineno, 1 + c, f))
            continue
        if t is ast.ClassDef:
            c, f, k = _walk(node.body)
            classes.append((node.name, None, 1 + c + sum(x[2] for x in f), f, k))
            continue
        if t is ast.Assert:
            cc += 1
            continue
        if t in _ONE:
            cc += 1
        elif t is ast.BoolOp:
            cc += len(node.values) - 1
        elif t in _LOOP:
            cc += 1 + bool(node.orelse)
        elif t is ast.comprehension:
            cc += 1 + len(node.ifs)
        elif t is ast.Try:
            cc += len(node.handlers) + bool(node.orelse)
        elif t is ast.Match:
            under = any(getattr(case.pattern, "pattern", False) is None for case in node.cases)
            cc += max(0, len(node.cases) - under)
        for name in reversed(fields_of(t) or _fields(t)):
            v = getattr(node, name, None)
            if v.__class__ is list:
                for x in reversed(v):
                    if isinstance(x, _AST):
                        push(x)
            elif isinstance(v, _AST):
                push(v)
    return cc, fns, classes


def _blocks(fns: list[Any], classes: list[Any], prefix: str, out: list[Any]) -> None:
    for name, line, cc, closures in fns:
        out.append((f"{prefix}{name}", line, cc))
        _blocks(closures, [], f"{prefix}{name}.", out)
    for name, _l, _real, methods, inner in classes:
        _blocks(methods, inner, f"{prefix}{name}.", out)


def _count(tree: ast.Module) -> tuple[list[tuple[str, int, int]], int]:
    c, fns, classes = _walk(tree.body)
    total = 1 + c + sum(f[2] - 1 for f in fns) + sum(k[2] - 1 for k in classes)
    out: list[tuple[str, int, int]] = []
    _blocks(fns, classes, "", out)
    return out, total


def python_parts(text: str, tree: ast.Module | None = None) -> tuple[list[tuple[str, int, int]], int]:
    """Functions of a Python source text with their complexity, and the file's total complexity (what
    its maintainability index needs from this pass), as radon counts them. Raises on a parse error.
    ``tree``: the file's parse tree when the caller has one (the analysis engine's), so the file is
    not parsed again."""
    return _count(tree if tree is not None else ast.parse(text))


def maintainability(text: str, total_complexity: int) -> tuple[float | None, str | None]:
    """radon's maintainability index (``mi_visit(text, multi=True)``): Halstead volume and raw line
    counts of ``text`` with its total complexity. The costly part (a parse and a tokenizer pass), so it
    runs only for the files kept in ``ComplexityFacts.files``."""
    try:
        volume = h_visit_ast(ast.parse(text)).total.volume
        raw = analyze(text)
        comments = (raw.comments + raw.multi) / float(raw.sloc) * 100 if raw.sloc else 0
        mi = mi_compute(volume, total_complexity, raw.lloc, comments)
    except Exception as exc:  # noqa: BLE001 - radon's tokenizer on hostile input; keep the complexity
        return None, type(exc).__name__
    return round(float(mi), 2), None


def python_metrics(text: str, *, with_mi: bool, tree: ast.Module | None = None
                   ) -> tuple[list[tuple[str, int, int]], float | None, str | None]:
    """Functions of a Python source text with their complexity, its maintainability index, and why
    the index is missing: the same numbers as radon's ``cc_visit`` and ``mi_visit(text, multi=True)``,
    from one parse. The MI is None when ``with_mi`` is False or radon's MI pass fails (the third
    value names the error; the complexity still stands). Raises on a parse error."""
    functions, total = python_parts(text, tree)
    if not with_mi:
        return functions, None, None
    mi, error = maintainability(text, total)
    return functions, mi, error


def lizard_functions(path: str, text: str) -> list[tuple[str, int, int]]:
    """Functions of a source text in a language lizard reads, with their complexity."""
    info = lizard.analyze_file.analyze_source_code(path, text)
    return [(fn.name, fn.start_line, fn.cyclomatic_complexity) for fn in info.function_list]


# tree-sitter (JS/TS, from the analysis engine's parse): lizard's counting, on the engine's tree
_TS_FUNCTIONS = frozenset({"function_declaration", "generator_function_declaration", "function_expression",
                           "function", "generator_function", "arrow_function", "method_definition"})
_TS_DECISIONS = frozenset({"if_statement", "for_statement", "for_in_statement", "while_statement", "do_statement",
                           "catch_clause", "ternary_expression"})


def _ts_name(node: tree_sitter.Node) -> str:
    name = node.child_by_field_name("name")
    if name is None and node.parent is not None and node.parent.type in {"variable_declarator", "pair",
                                                                           "public_field_definition"}:
        name = node.parent.child_by_field_name("name") or node.parent.child_by_field_name("key")
    text = name.text.decode("utf-8", "replace") if name is not None and name.text else "(anonymous)"
    if node.type == "method_definition":
        cls = node.parent.parent if node.parent is not None else None
        if cls is not None and cls.type in {"class_declaration", "class", "abstract_class_declaration"}:
            cname = cls.child_by_field_name("name")
            if cname is not None and cname.text:
                return f"{cname.text.decode('utf-8', 'replace')}::{text}"
    return text


def tree_sitter_functions(tree: tree_sitter.Tree) -> list[tuple[str, int, int]]:
    """Functions of a JS/TS parse tree with their cyclomatic complexity, counted as lizard counts:
    1 + if, loops, catch, ternary, ``case`` labels and the ``&&``, ``||``, ``??`` operators; a nested
    function counts for itself only.

    One tree-sitter query finds the functions and the decision points in C; each decision point then
    goes to the innermost function around it (one sweep in source order). 3.3x faster than visiting
    every node from Python, with the same numbers (checked on 2,121 JS/TS files)."""
    q = _ts_query(tree.language)
    if q is None:
        return _walk_ts_functions(tree)
    caps = tree_sitter.QueryCursor(q).captures(tree.root_node)
    events = [(n.start_byte, 0, -n.end_byte, n) for n in caps.get("f", ())]
    events += [(n.start_byte, 1, 0, n) for n in caps.get("d", ())]
    events.sort(key=lambda e: e[:3])
    out: list[list[Any]] = []
    open_: list[tuple[int, list[Any]]] = []  # the functions around the current position, innermost last
    for start, kind, _end, node in events:
        while open_ and open_[-1][0] <= start:
            open_.pop()
        if kind == 0:
            record = [_ts_name(node), node.start_point[0] + 1, 1]
            out.append(record)
            open_.append((node.end_byte, record))
        elif open_:
            open_[-1][1][2] += 1
    functions = [(name, line, cc) for name, line, cc in out]
    functions.sort(key=lambda x: x[1])
    return functions


@functools.cache
def _ts_query(language: tree_sitter.Language) -> tree_sitter.Query | None:
    """The functions (``@f``) and decision points (``@d``) of a JS/TS grammar; None if it refuses."""
    def known(kind: str) -> bool:
        return bool(language.id_for_node_kind(kind, True))

    functions = " ".join(f"({t})" for t in sorted(_TS_FUNCTIONS) if known(t))
    decisions = " ".join(f"({t})" for t in sorted(_TS_DECISIONS) if known(t))
    source = (f"[{functions}] @f\n[{decisions}] @d\n(switch_case value: (_)) @d\n"
              '(binary_expression operator: ["&&" "||" "??"]) @d\n')
    try:
        return tree_sitter.Query(language, source)
    except Exception:  # noqa: BLE001 - a grammar without one of these shapes: count node by node
        return None


def _walk_ts_functions(tree: tree_sitter.Tree) -> list[tuple[str, int, int]]:
    """``tree_sitter_functions`` node by node in Python (when the grammar refuses the query)."""
    out: list[tuple[str, int, int]] = []
    stack: list[tuple[tree_sitter.Node, int | None]] = [(tree.root_node, None)]
    counts: dict[int, list[Any]] = {}
    while stack:
        node, owner = stack.pop()
        t = node.type
        if t in _TS_FUNCTIONS and node.is_named:  # not the `function` keyword token
            owner = node.id
            counts[owner] = [_ts_name(node), node.start_point[0] + 1, 1]
        elif owner is not None:
            if t in _TS_DECISIONS or (t == "switch_case" and node.child_by_field_name("value") is not None):
                counts[owner][2] += 1
            elif t == "binary_expression":
                op = node.child_by_field_name("operator")
                if op is not None and op.type in {"&&", "||", "??"}:
                    counts[owner][2] += 1
        stack.extend((c, owner) for c in node.children)
    for name, line, cc in counts.values():
        out.append((name, line, cc))
    out.sort(key=lambda x: x[1])
    return out


FileMetrics = tuple[str, list[tuple[str, int, int]], int | None]
"""(tool, functions, total complexity for the maintainability index: None when it has none) of one file."""


def parsed_metrics(path: str, text: str, syntax: object) -> FileMetrics | None:
    """Complexity of a file from a parse tree the analysis engine already built (``ast.Module`` for
    Python, a tree-sitter tree for JS/TS): the same numbers, without parsing the file again."""
    if isinstance(syntax, ast.Module):
        functions, total = python_parts(text, syntax)
        return "radon", functions, total
    if syntax is not None and hasattr(syntax, "root_node"):  # a tree-sitter tree
        return "tree-sitter", tree_sitter_functions(cast(tree_sitter.Tree, syntax)), None
    return None


def keep_parsed_metrics(parsed: dict[str, FileMetrics]) -> Callable[[str, str, object], None]:
    """A hook for the analysis engine (``analyse(files, on_parsed=...)``): it stores each parsed
    file's metrics in ``parsed``, for ``collect_complexity(..., parsed=parsed)``."""

    def keep(path: str, text: str, module: Any) -> None:
        try:
            got = parsed_metrics(path, text, module.syntax)
        except Exception:  # noqa: BLE001 - radon on hostile input: collect_complexity retries and skips it
            return
        if got is not None:
            parsed[path] = got

    return keep


def _tool_for(f: RepoFile) -> str | None:
    if f.suffix in RADON_SUFFIXES:
        return "radon"
    if f.suffix in LIZARD_SUFFIXES:
        return "lizard"
    return None


def bucket(complexity: int) -> str:
    """The distribution bucket (``BUCKETS``) of one function's complexity."""
    return next(label for label, top in BUCKETS if complexity <= top)


def _record(f: RepoFile, tool: str, functions: list[tuple[str, int, int]], used: set[str],
            found: list[ComplexityFunction], per_file: dict[str, FileComplexity],
            distribution: dict[str, dict[str, int]]) -> None:
    used.add(tool)
    found.extend(ComplexityFunction(path=f.path, line=line, name=name, complexity=cc) for name, line, cc in functions)
    ccs = [cc for _name, _line, cc in functions]
    per_file[f.path] = FileComplexity(functions=len(ccs), max=max(ccs, default=0), total=sum(ccs))
    counts = distribution.setdefault(f.language or f.suffix or "other", {label: 0 for label, _ in BUCKETS})
    for cc in ccs:
        counts[bucket(cc)] += 1


def _with_mi(files: FileSet, path: str, record: FileComplexity, total: int | None,
             mi_skipped: list[str]) -> FileComplexity:
    """The file's record with its maintainability index (computed only for the files kept)."""
    if total is None:
        return record
    text = files.read_text(path)
    if text is None:
        mi_skipped.append(f"{path} (binary or unreadable)")
        return record
    mi, error = maintainability(text, total)
    if error:
        mi_skipped.append(f"{path} ({error})")
    return record.model_copy(update={"mi": mi})


def collect_complexity(
    files: FileSet,
    *,
    threshold: int,
    max_file_bytes: int = 500_000,
    mi_max_bytes: int = 100_000,
    progress: Callable[[str], None] | None = None,
    parsed: dict[str, FileMetrics] | None = None,
) -> ComplexityFacts:
    """Cyclomatic complexity of every function, per file and per language, and the MI of Python files.

    ``threshold`` comes from the rubric (``complexity.complex_function``); ``over_threshold`` holds
    the functions strictly above it, most complex first, at most 200. ``files`` gives, for the 500
    files with the highest total complexity, their function count, maximum, total and (Python)
    maintainability index; ``distribution`` counts functions per language and complexity bucket.
    Files over ``max_file_bytes`` (often generated or minified), unreadable files and files the
    tool cannot parse are skipped; when any are, ``reason`` says how many with a few examples.
    Python files over ``mi_max_bytes`` still get their complexity but no MI (``mi_skipped``). The MI
    is computed for the first ``MAX_MI_FILES`` files of ``files`` only (its tokenizer pass is the
    costly part).
    ``tool`` names the tools that ran (``radon+lizard`` when both, or when there was nothing to read).
    ``parsed``: path -> metrics already computed from the analysis engine's parse (see
    :func:`parsed_metrics`); those files are not read or parsed again (JS/TS then count with
    ``tree-sitter`` instead of lizard).
    """
    parsed = parsed or {}
    candidates = [(f, tool) for f in files.files if (tool := _tool_for(f))]
    if progress:
        progress(f"complexity: analysing {len(candidates)} files")
    found: list[ComplexityFunction] = []
    per_file: dict[str, FileComplexity] = {}
    distribution: dict[str, dict[str, int]] = {}
    used: set[str] = set()
    skipped: list[str] = []
    mi_skipped: list[str] = []
    mi_pending: dict[str, int] = {}
    for n, (f, tool) in enumerate(candidates, 1):
        if progress and n % 1000 == 0:
            progress(f"complexity: {n} of {len(candidates)} files")
        if f.size > max_file_bytes:
            skipped.append(f"{f.path} (over {max_file_bytes} bytes)")
            continue
        if f.path in parsed:
            tool, functions, total = parsed[f.path]
        else:
            text = files.read_text(f)
            if text is None:
                skipped.append(f"{f.path} (binary or unreadable)")
                continue
            total = None
            try:
                if tool == "radon":
                    functions, total = python_parts(text)
                else:
                    functions = lizard_functions(f.path, text)
            except Exception as exc:  # noqa: BLE001 - any parser failure on hostile input skips one file
                skipped.append(f"{f.path} ({type(exc).__name__})")
                continue
        _record(f, tool, functions, used, found, per_file, distribution)
        if tool == "radon":
            if f.size > mi_max_bytes:
                mi_skipped.append(f"{f.path} (over {mi_max_bytes} bytes)")
            elif total is not None:
                mi_pending[f.path] = total

    over = sorted((fn for fn in found if fn.complexity > threshold),
                  key=lambda fn: (-fn.complexity, fn.path, fn.line))
    reason = None
    if skipped:
        examples = ", ".join(skipped[:MAX_SKIP_EXAMPLES])
        more = f" and {len(skipped) - MAX_SKIP_EXAMPLES} more" if len(skipped) > MAX_SKIP_EXAMPLES else ""
        reason = f"{len(skipped)} file(s) not analysed: {examples}{more}"
    complexities = [fn.complexity for fn in found]
    top_files = sorted(per_file.items(), key=lambda kv: (-kv[1].total, kv[0]))[:MAX_FILES]
    top_files = [(path, _with_mi(files, path, record, mi_pending.get(path), mi_skipped) if rank < MAX_MI_FILES
                  else record) for rank, (path, record) in enumerate(top_files)]
    return ComplexityFacts(
        reason=reason,
        functions=len(found),
        mean=round(sum(complexities) / len(complexities), 2) if complexities else None,
        max=max(complexities) if complexities else None,
        over_threshold=over[:MAX_OVER_THRESHOLD],
        threshold=threshold,
        tool="+".join(t for t in ("radon", "lizard", "tree-sitter") if t in used) or "radon+lizard",
        files=dict(top_files),
        distribution={lang: counts for lang, counts in sorted(distribution.items()) if any(counts.values())},
        mi_max_bytes=mi_max_bytes,
        mi_skipped=mi_skipped[:MAX_MI_SKIPPED],
    )
