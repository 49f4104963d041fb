"""The coverage map (checklists/coverage.yaml, issue 11 item 4): every catalogue item C001-C150 once, every
rule, checklist item and question it names exists, and the issue's bar (detected or asked for at least
85 % of the items that are not judgment-only)."""

from __future__ import annotations

import re
import shutil

import pytest
import yaml

from auditlib.errors import RubricError
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric

RUBRIC = load_rubric()
COVERAGE = RUBRIC.coverage
BAR = 0.85
FLOOR = 124
"""Items detected or asked (the map was written at 88: 60 detected, 28 asked; 107 with the coverage rules and
questions of issue 11; 124 with the data-layer, resilience, client and data-flow rules and four more questions): the map may
only grow."""


def test_every_catalogue_item_is_mapped_exactly_once():
    text = (DEFAULT_RUBRIC_DIR / "coverage.yaml").read_text(encoding="utf-8")
    keys = re.findall(r"^  (C\d{3}):", text, re.M)  # YAML would silently keep the last of a duplicated key
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})
    assert sorted(keys) == [f"C{n:03d}" for n in range(1, 151)]


def test_every_rule_named_exists_in_rules_yaml():
    unknown = {(cid, r) for cid, item in COVERAGE.items.items() for r in item.rules if r not in RUBRIC.rules.rules}
    assert unknown == set()


def test_every_checklist_item_or_question_named_exists():
    asked = {i.id for i in RUBRIC.checklist.items} | RUBRIC.question_ids
    unknown = {(cid, a) for cid, item in COVERAGE.items.items() for a in item.asks if a not in asked}
    assert unknown == set()


def test_ten_dimensions_and_five_phases_are_used():
    assert {i.dimension for i in COVERAGE.items.values()} == {d.id for d in COVERAGE.dimensions}
    assert {i.phase for i in COVERAGE.items.values()} == {1, 2, 3, 4, 5}


def test_the_catalogues_judgment_items_stay_judgment():
    judged = COVERAGE.by_status()["judgment"]
    assert len(judged) == 14  # 150 - 136: the issue's denominator
    assert all(COVERAGE.items[c].judgment == COVERAGE.items[c].phase for c in judged)


def test_missing_items_carry_a_detection_idea():
    for cid in COVERAGE.by_status()["missing"]:
        assert len(COVERAGE.items[cid].missing or "") > 20, cid


def _share() -> tuple[int, int, float]:
    """(detected or asked, items not judgment-only, share)."""
    s = COVERAGE.by_status()
    covered = len(s["detected"]) + len(s["asked"])
    base = len(COVERAGE.items) - len(s["judgment"])
    return covered, base, covered / base


def test_coverage_does_not_shrink():
    covered, base, share = _share()
    assert base == 136
    assert covered >= FLOOR, f"{covered}/{base} ({share:.1%}) detected or asked, fewer than the {FLOOR} of the map's first version"


def test_issue_bar_detected_or_asked_for_85_percent_of_the_non_judgment_items():
    covered, base, share = _share()
    assert share >= BAR, f"{covered}/{base} = {share:.1%}"


# ----------------------------------------------------------------------------------- the loader's cross-check
def _custom(tmp_path, edit):
    folder = tmp_path / "rubric"
    shutil.copytree(DEFAULT_RUBRIC_DIR, folder)
    data = yaml.safe_load((folder / "coverage.yaml").read_text(encoding="utf-8"))
    edit(data)
    (folder / "coverage.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder


@pytest.mark.parametrize("edit, message", [
    pytest.param(lambda d: d["items"]["C005"].update(rules=["architecture.no_such_rule"]),
                 "coverage.yaml: C005: unknown rule 'architecture.no_such_rule'", id="rule"),
    pytest.param(lambda d: d["items"]["C028"].update(asks=["qa.no_such_item"]),
                 "coverage.yaml: C028: 'qa.no_such_item' is neither a checklist item", id="checklist_or_question"),
])
def test_loader_refuses_unknown_ids_with_a_clear_message(tmp_path, edit, message):
    with pytest.raises(RubricError, match=re.escape(message)):
        load_rubric(_custom(tmp_path, edit))


@pytest.mark.parametrize("edit, message", [
    pytest.param(lambda d: d["items"]["C016"].update(missing="an idea"), "exactly one", id="two_statuses"),
    pytest.param(lambda d: d["items"]["C001"].update(dimension="weather"), "unknown dimension", id="dimension"),
    pytest.param(lambda d: d["items"]["C016"].update(judgment=5), "judgment names phase 5", id="judgment_phase"),
    pytest.param(lambda d: d["items"]["C005"].update(idea="a detection idea"), "asked and not detected", id="idea_with_rules"),
])
def test_loader_refuses_a_malformed_map(tmp_path, edit, message):
    with pytest.raises(RubricError, match=message):
        load_rubric(_custom(tmp_path, edit))


def test_a_custom_rubric_without_a_map_uses_the_shipped_one(tmp_path):
    folder = tmp_path / "rubric"
    shutil.copytree(DEFAULT_RUBRIC_DIR, folder)
    (folder / "coverage.yaml").unlink()
    assert len(load_rubric(folder).coverage.items) == 150


# ------------------------------------------------------------------------ the appendix "What this audit covered"
def test_appendix_counts_every_item_once_per_dimension_and_phase(demo_scan):
    from auditlib.coverage import item_states, tally

    states = item_states(demo_scan, RUBRIC)
    assert len(states) == 150
    for key in ("dimension", "phase"):
        t = tally(states, key)
        assert sum(x.items for x in t.values()) == 150
        for x in t.values():
            assert x.checked + x.asked + sum(s.state in ("judgment", "missing", "not_run") for s in x.open) == x.items
    # a checked item with findings names rules that fired in this result
    fired = {f.rule for f in demo_scan.findings if f.accepted is None}
    for s in states:
        if s.findings:
            assert set(RUBRIC.coverage.items[s.id].rules) & fired


def test_a_rule_whose_collector_did_not_run_is_open_not_checked(demo_scan):
    from auditlib.coverage import item_states

    result = demo_scan.model_copy(deep=True)
    result.run.collectors["secrets"] = {"available": False, "reason": "test", "seconds": 0}
    by_id = {s.id: s for s in item_states(result, RUBRIC)}
    assert by_id["C125"].state == "not_run" and by_id["C125"].why == "secrets"
    assert by_id["C005"].state == "checked"


def test_appendix_renders_counts_tables_and_open_titles(demo_scan):
    from auditlib import report

    html = str(report.coverage_appendix(demo_scan, RUBRIC))
    for text in ("Dimension", "Concurrency", "Operational readiness", "By playbook phase", "Operate at scale",
                 "What remains open, by dimension", "for a person to judge", "not seen by the tool"):
        assert text in html
    assert "and 1 more" in html or "more" in html
    full = str(report.coverage_appendix(demo_scan, RUBRIC, titles=None))
    assert all(RUBRIC.coverage.items[c].title.replace("'", "&#x27;") in full for c in COVERAGE.by_status()["missing"])


def test_report_notebook_has_the_appendix_cell_without_outputs():
    import json

    from auditlib.resources import notebook_dir

    nb = json.loads((notebook_dir() / "report.ipynb").read_text(encoding="utf-8"))
    cells = [c for c in nb["cells"] if "coverage_appendix" in "".join(c["source"])]
    assert len(cells) == 1 and cells[0]["outputs"] == [] and cells[0]["execution_count"] is None
