"""Complexity: radon for Python, lizard for TypeScript and friends, bad files skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditlib.collect.complexity import collect_complexity, radon_functions
from auditlib.collect.files import list_files

BRANCHY_PY = (
    "def route(x):\n" + "".join(f"    if x == {i}:\n        return {i}\n" for i in range(12)) + "    return -1\n"
)
SIMPLE_PY = '''
def simple():
    return 1


class Service:
    def method(self, a):
        if a:
            return 1
        return 0
'''
BRANCHY_TS = (
    "export function pick(x: number): number {\n"
    + "".join(f"  if (x === {i}) {{ return {i}; }}\n" for i in range(15))
    + "  return -1;\n}\n"
    + "export const tiny = (a: number) => a + 1;\n"
)
BROKEN_TSX = "export function Broken( {{{ return <div>< if ( </ \n const = => ;;; }\n"


def test_python_and_typescript_functions_over_threshold(tmp_path: Path):
    (tmp_path / "app.py").write_text(BRANCHY_PY + SIMPLE_PY)
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "pick.ts").write_text(BRANCHY_TS)
    (tmp_path / "notes.md").write_text("# not code\n")
    messages: list[str] = []

    facts = collect_complexity(list_files(tmp_path), threshold=10, progress=messages.append)

    assert facts.available and facts.reason is None
    assert facts.tool == "radon+lizard"
    assert facts.threshold == 10
    names = {(f.path, f.name) for f in facts.over_threshold}
    assert names == {("app.py", "route"), ("web/pick.ts", "pick")}
    assert [f.complexity for f in facts.over_threshold] == [16, 13]  # most complex first
    assert facts.over_threshold[1].line == 1
    # route, simple, Service.method, pick, tiny
    assert facts.functions == 5
    assert facts.max == 16
    assert facts.mean == round((13 + 1 + 2 + 16 + 1) / 5, 2)
    assert messages and messages[0].startswith("complexity:")


def test_broken_files_are_skipped_not_fatal(tmp_path: Path):
    (tmp_path / "bad.py").write_text("def broken(:\n    pass\n")
    (tmp_path / "ui.tsx").write_text(BROKEN_TSX)
    (tmp_path / "ok.py").write_text(BRANCHY_PY)
    facts = collect_complexity(list_files(tmp_path), threshold=5)
    assert facts.available
    assert [f.name for f in facts.over_threshold] == ["route"]
    assert facts.reason is not None and "bad.py (SyntaxError)" in facts.reason


def test_a_parser_crash_skips_only_that_file(tmp_path: Path, monkeypatch):
    import auditlib.collect.complexity as complexity

    def explode(path: str, text: str):
        raise RecursionError("too deep")

    monkeypatch.setattr(complexity, "lizard_functions", explode)
    (tmp_path / "ui.tsx").write_text(BRANCHY_TS)
    (tmp_path / "ok.py").write_text(BRANCHY_PY)
    facts = collect_complexity(list_files(tmp_path), threshold=5)
    assert facts.functions == 1
    assert facts.tool == "radon"
    assert "ui.tsx (RecursionError)" in (facts.reason or "")


def test_oversize_files_are_skipped(tmp_path: Path):
    (tmp_path / "big.py").write_text(BRANCHY_PY)
    facts = collect_complexity(list_files(tmp_path), threshold=5, max_file_bytes=50)
    assert facts.functions == 0
    assert "big.py (over 50 bytes)" in (facts.reason or "")


def test_no_functions_at_all(tmp_path: Path):
    (tmp_path / "const.py").write_text("X = 1\n")
    (tmp_path / "README.md").write_text("hi\n")
    facts = collect_complexity(list_files(tmp_path), threshold=10)
    assert facts.available is True
    assert facts.functions == 0
    assert facts.mean is None and facts.max is None
    assert facts.over_threshold == []


def test_over_threshold_list_is_capped(tmp_path: Path):
    body = "    if a:\n        return 1\n    if b:\n        return 2\n    return 0\n"
    (tmp_path / "many.py").write_text("".join(f"def f{i}(a, b):\n{body}\n" for i in range(205)))
    facts = collect_complexity(list_files(tmp_path), threshold=2)
    assert facts.functions == 205
    assert len(facts.over_threshold) == 200


def test_radon_names_methods_closures_and_inner_classes_once():
    src = (
        "def outer():\n    def inner(x):\n        return 1 if x else 2\n    return inner\n\n"
        "class A:\n    def m(self):\n        return 1\n"
        "    class B:\n        def n(self):\n            return 2\n"
    )
    names = sorted(name for name, _line, _cc in radon_functions(src))
    assert names == ["A.B.n", "A.m", "outer", "outer.inner"]


TRICKY_PY = [
    "def f(x):\n    assert x and (y or z), 'msg'\n    return [a for a in x if a if a > 1 for b in a]\n",
    "def f(x):\n    try:\n        pass\n    except A:\n        pass\n    except B:\n        pass\n    else:\n        pass\n",
    "def f(x):\n    try:\n        pass\n    except* A:\n        pass\n",
    "def f(x):\n    match x:\n        case 1:\n            pass\n        case [a, b] if a:\n            pass\n"
    "        case _:\n            pass\n",
    "def f(x):\n    match x:\n        case y:\n            pass\n",
    "def f(x):\n    for a in x:\n        pass\n    else:\n        pass\n    while x:\n        break\n",
    "async def f(x):\n    async for a in x:\n        pass\n    async with x:\n        pass\n",
    "@deco(1 if a else 2)\ndef f(x=1 if a else 2):\n    g = lambda y: y if y else 0\n    return g\n",
    "def f():\n    class Inner:\n        def m(self):\n            if a:\n                pass\n    if b:\n"
    "        def g():\n            if c:\n                pass\n    return Inner\n",
    "class A(B if x else C):\n    if flag:\n        def m(self):\n            return 1 or 2\n"
    "    x = [i for i in range(3)]\n    class B:\n        def n(self):\n            while 1:\n"
    "                pass\n",
    "if x:\n    def top():\n        pass\nelse:\n    y = {k: v for k, v in z if k}\n",
    "x = 1 if a and b and c else 2\n",
]


@pytest.mark.parametrize("src", TRICKY_PY)
def test_complexity_counts_as_radon_does_on_odd_shapes(src: str):
    """The collector's own walk (collect.complexity.python_parts) gives radon's numbers: every
    function's complexity and the file total its maintainability index needs."""
    from radon.visitors import ComplexityVisitor

    from auditlib.collect.complexity import python_parts

    reference = ComplexityVisitor.from_code(src)
    functions, total = python_parts(src)
    assert sorted(functions) == sorted(radon_functions(src))
    assert total == reference.total_complexity


def test_complexity_counts_as_radon_does_on_this_project():
    import ast

    from radon.visitors import ComplexityVisitor

    from auditlib.collect.complexity import python_parts

    sources = sorted(Path(__file__).resolve().parents[1].joinpath("auditlib").rglob("*.py"))
    assert len(sources) > 30
    for path in sources:
        src = path.read_text(encoding="utf-8")
        functions, total = python_parts(src, ast.parse(src))
        assert (sorted(functions), total) == (sorted(radon_functions(src)),
                                              ComplexityVisitor.from_code(src).total_complexity), path


# ------------------------------------------------------------------- issue 3: MI, per file, distribution
def test_per_file_complexity_maintainability_and_distribution(tmp_path: Path):
    from radon.metrics import mi_visit

    (tmp_path / "app.py").write_text(BRANCHY_PY + SIMPLE_PY)
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "pick.ts").write_text(BRANCHY_TS)
    (tmp_path / "const.py").write_text("X = 1\n")
    facts = collect_complexity(list_files(tmp_path), threshold=10)

    app = facts.files["app.py"]
    assert (app.functions, app.max, app.total) == (3, 13, 13 + 1 + 2)
    # One parse serves both: the same index radon's own MI pass gives.
    assert app.mi == round(mi_visit(BRANCHY_PY + SIMPLE_PY, True), 2)
    ts = facts.files["web/pick.ts"]
    assert (ts.functions, ts.max, ts.total, ts.mi) == (2, 16, 17, None)
    assert facts.files["const.py"].functions == 0 and facts.files["const.py"].mi is not None
    assert list(facts.files) == ["web/pick.ts", "app.py", "const.py"]  # highest total first
    assert facts.distribution == {
        "Python": {"1-5": 2, "6-10": 0, "11-20": 1, "21-50": 0, ">50": 0},
        "TypeScript": {"1-5": 1, "6-10": 0, "11-20": 1, "21-50": 0, ">50": 0},
    }
    assert facts.mi_skipped == []


def test_bucket_edges():
    from auditlib.collect.complexity import bucket

    assert [bucket(n) for n in (1, 5, 6, 10, 11, 20, 21, 50, 51, 400)] == [
        "1-5", "1-5", "6-10", "6-10", "11-20", "11-20", "21-50", "21-50", ">50", ">50"]


def test_maintainability_index_size_cap(tmp_path: Path):
    (tmp_path / "big.py").write_text(BRANCHY_PY)
    (tmp_path / "small.py").write_text("def f():\n    return 1\n")
    facts = collect_complexity(list_files(tmp_path), threshold=10, mi_max_bytes=100)
    assert facts.files["big.py"].mi is None and facts.files["big.py"].max == 13  # complexity still measured
    assert facts.files["small.py"].mi is not None
    assert facts.mi_skipped == ["big.py (over 100 bytes)"] and facts.mi_max_bytes == 100
    assert facts.reason is None


def test_a_maintainability_failure_keeps_the_complexity(tmp_path: Path, monkeypatch):
    import auditlib.collect.complexity as complexity

    def explode(text):
        raise ValueError("tokenizer")

    monkeypatch.setattr(complexity, "analyze", explode)
    (tmp_path / "ok.py").write_text(BRANCHY_PY)
    facts = collect_complexity(list_files(tmp_path), threshold=10)
    assert facts.files["ok.py"].max == 13 and facts.files["ok.py"].mi is None
    assert facts.mi_skipped == ["ok.py (ValueError)"]


def test_per_file_list_is_capped_at_the_most_complex(tmp_path: Path, monkeypatch):
    import auditlib.collect.complexity as complexity

    monkeypatch.setattr(complexity, "MAX_FILES", 3)
    for i in range(1, 6):
        (tmp_path / f"m{i}.py").write_text("def f(a):\n" + "    if a:\n        return 1\n" * i + "    return 0\n")
    facts = collect_complexity(list_files(tmp_path), threshold=10)
    assert list(facts.files) == ["m5.py", "m4.py", "m3.py"]
    assert facts.functions == 5  # the cap trims the per-file table, not the counts


def test_maintainability_index_only_for_the_most_complex_files(tmp_path: Path, monkeypatch):
    import auditlib.collect.complexity as complexity

    monkeypatch.setattr(complexity, "MAX_MI_FILES", 2)
    for i in range(1, 5):
        (tmp_path / f"m{i}.py").write_text("def f(a):\n" + "    if a:\n        return 1\n" * i + "    return 0\n")
    facts = collect_complexity(list_files(tmp_path), threshold=10)
    assert [facts.files[p].mi is not None for p in facts.files] == [True, True, False, False]
    assert facts.mi_skipped == []  # left out by rank, not skipped for a failure


def test_threshold_comes_from_the_caller(tmp_path: Path):
    (tmp_path / "app.py").write_text(BRANCHY_PY)
    assert collect_complexity(list_files(tmp_path), threshold=13).over_threshold == []
    assert [f.complexity for f in collect_complexity(list_files(tmp_path), threshold=12).over_threshold] == [13]


TRICKY_PY = '''"""Module docstring
spanning lines.

"""
import os  # inline comment
# a comment line

x = 1; y = 2
if x: y = 3
d = {"a": 1,

     "b": 2}  # dict with a blank line inside
s = """not a docstring:
part of an assignment
"""
total = x + \\
    y


def f(a):
    """One-line docstring."""
    if a:
        return 1
    else:  # trailing
        return [i for i in range(3)
                if i]
    \'\'\'Another

    multi-line string.\'\'\'
class C: pass
'''


@pytest.mark.parametrize("source", [
    TRICKY_PY,
    "CONFIG = {\n" + "".join(f'    "key{i}": [{i}, "v{i}"],  # c{i}\n' for i in range(200)) + "}\n",
    "",
    "# only a comment",
    "x = 1",
])
def test_raw_metrics_match_radon(source: str):
    from radon.raw import analyze as radon_analyze

    from auditlib.collect.complexity import analyze

    assert analyze(source) == radon_analyze(source)


# ------------------------------------------------------------------- one parse for code and complexity
JS_DECISIONS = '''
export function grade(x, y) {
  if (x > 1 && y) { return 1; }
  for (const v of y) { if (v) { continue; } }
  while (x < 0) { x++; }
  try { risky(); } catch (e) { return x ?? 0; }
  switch (x) { case 1: return 2; case 2: return 3; default: return 4; }
  return x ? 1 : 0;
}
export const inner = () => { const f = function () { if (a) {} }; return f; };
class Store { add(k) { if (k || this.x) { return 1; } return 0; } }
'''


def test_tree_sitter_complexity_counts_each_decision_once_per_function() -> None:
    from auditlib.analysis.front_js import parser
    from auditlib.collect.complexity import tree_sitter_functions

    got = {(name, line): cc for name, line, cc in tree_sitter_functions(parser("js").parse(JS_DECISIONS.encode()))}
    # grade: 1 + if + && + for + if + while + catch + ?? + 2 cases + ternary = 11 (default is no decision)
    assert got[("grade", 2)] == 11
    assert got[("inner", 10)] == 1          # the nested function's `if` counts for the nested one only
    assert got[("f", 10)] == 2
    assert got[("Store::add", 11)] == 3     # if + ||


TS_SHAPES = JS_DECISIONS + '''
function outer(a: number): () => number {
  const g = (b: number) => (b > 0 ? (a && b) : a ?? b);
  if (a) { return () => { while (a--) {} return a; }; }
  return g.bind(null, 1);
}
const obj = { m(x: string) { switch (x) { case "a": case "b": return 1; } return x ? 2 : 3; } };
'''


@pytest.mark.parametrize("kind", ["js", "ts", "tsx"])
def test_tree_sitter_query_counts_as_the_node_walk(kind: str) -> None:
    """The query-based count (the fast path) equals the node-by-node walk it replaced."""
    from auditlib.analysis.front_js import parser
    from auditlib.collect.complexity import _walk_ts_functions, tree_sitter_functions

    source = JS_DECISIONS if kind == "js" else TS_SHAPES
    tree = parser(kind).parse(source.encode())
    fast = tree_sitter_functions(tree)
    assert len(fast) >= 4
    assert sorted(fast) == sorted(_walk_ts_functions(tree))


def test_engine_parse_gives_the_same_python_numbers_and_is_used(tmp_path: Path, monkeypatch) -> None:
    """The audit hands the engine's parse trees to the complexity collector: Python numbers equal
    radon's own, JS/TS counts come from tree-sitter, and a file is parsed again only for the
    maintainability index of the files kept."""
    from auditlib.analysis import analyse
    from auditlib.collect import complexity

    (tmp_path / "app.py").write_text(BRANCHY_PY + SIMPLE_PY)
    (tmp_path / "pick.ts").write_text(BRANCHY_TS)
    files = list_files(tmp_path)
    alone = collect_complexity(files, threshold=10)
    parsed: dict = {}
    analyse(files, on_parsed=complexity.keep_parsed_metrics(parsed))
    assert set(parsed) == {"app.py", "pick.ts"}

    real_parse, parses = complexity.ast.parse, []

    def counting_parse(*args, **kwargs):
        parses.append(args)
        return real_parse(*args, **kwargs)

    def no_lizard(*args, **kwargs):
        raise AssertionError("lizard ran on a file the engine had parsed")

    monkeypatch.setattr(complexity, "lizard_functions", no_lizard)
    monkeypatch.setattr(complexity.ast, "parse", counting_parse)
    shared = collect_complexity(files, threshold=10, parsed=parsed)
    monkeypatch.undo()
    assert len(parses) == 1  # app.py once more, for its maintainability index (the files kept only)
    assert shared.tool == "radon+tree-sitter"
    assert shared.files["app.py"] == alone.files["app.py"]            # same complexity and MI
    assert [(f.path, f.complexity) for f in shared.over_threshold] == [("pick.ts", 16), ("app.py", 13)]  # as lizard counts it
