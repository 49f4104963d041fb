"""Complexity: radon for Python, lizard for TypeScript and friends, bad files skipped."""

from __future__ import annotations

from pathlib import Path

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
