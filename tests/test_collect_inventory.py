"""Inventory: lines per language, binary and symlinked files passed over."""

from __future__ import annotations

import os

from auditlib.collect.files import list_files
from auditlib.collect.inventory import collect_inventory, count_lines


def test_count_lines_ignores_blank_and_whitespace_lines():
    assert count_lines("a\n\n   \nb\n\t\n") == 2
    assert count_lines("") == 0


def test_inventory_counts_languages_and_skips_binary_and_symlink(tmp_path):
    (tmp_path / "app.py").write_text("import os\n\n\ndef f():\n    return 1\n")  # 3 non-blank
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "util.py").write_text("x = 1\ny = 2\n")  # 2
    (tmp_path / "web.ts").write_text("export const a = 1;\n\n")  # 1
    (tmp_path / "README.md").write_text("# Title\n\nSome text\n")  # 2, not code
    (tmp_path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "dep.js").write_text("module.exports = 1\n")
    os.symlink("/etc/passwd", tmp_path / "link.py")

    facts = collect_inventory(list_files(tmp_path))

    assert facts.available
    # app.py, util.py, web.ts, README.md, logo.png: the symlink and node_modules are not listed.
    assert facts.files == 5
    assert facts.languages["Python"].files == 2
    assert facts.languages["Python"].lines == 5
    assert facts.languages["TypeScript"].lines == 1
    assert facts.languages["Markdown"].lines == 2
    assert facts.code_files == 3
    assert facts.code_lines == 6
    assert facts.skipped == 2  # symlink, binary (a walk prunes vendored folders without listing them)
    examples = " ".join(facts.skipped_examples)
    assert "link.py (symlink" in examples
    assert "logo.png (binary" in examples
    assert "JavaScript" not in facts.languages


def test_inventory_skips_oversize_without_counting_its_lines(tmp_path, monkeypatch):
    import auditlib.collect.inventory as inventory

    monkeypatch.setattr(inventory, "MAX_TEXT_BYTES", 10)
    (tmp_path / "big.py").write_text("x = 1\n" * 10)
    (tmp_path / "small.py").write_text("y = 2\n")
    facts = collect_inventory(list_files(tmp_path))
    assert facts.languages["Python"].files == 1
    assert facts.code_lines == 1
    assert facts.skipped_examples == ["big.py (oversize)"]


def test_inventory_caps_examples_and_reports_progress(tmp_path):
    for i in range(12):
        (tmp_path / f"blob{i}.bin").write_bytes(b"\0\1\2")
    messages: list[str] = []
    facts = collect_inventory(list_files(tmp_path), progress=messages.append)
    assert facts.skipped == 12
    assert len(facts.skipped_examples) == 10
    assert facts.languages == {}
    assert messages and messages[0].startswith("inventory:")
