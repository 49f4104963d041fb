"""Unattended runs (``auditlib audit``, ``auditlib batch``: context.UNATTENDED): the workbook builds
no form (each form cell shows the note a reopened workbook shows, then the static table); a chart
the workbook drew is not drawn again for the same target's report; the rubric parsed from the same
file texts is reused, and read again when a file changes."""

from __future__ import annotations

import shutil

import pytest

from auditlib import charts, report, rubric, widgets
from auditlib import workbook as wb
from auditlib.context import UNATTENDED, unattended
from auditlib.demo import DEMO_ADVISORIES, build_demo_target
from auditlib.errors import RubricError

from .test_charts import HISTORY, png_of


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    root = tmp_path_factory.mktemp("unattended")
    target = build_demo_target(root / "target")
    return wb.start(str(target), out_dir=str(root / "out"), offline=True, vuln_db=str(DEMO_ADVISORIES))


def test_unattended_reads_the_environment(monkeypatch):
    monkeypatch.delenv(UNATTENDED, raising=False)
    assert not unattended()
    monkeypatch.setenv(UNATTENDED, "0")
    assert not unattended()
    monkeypatch.setenv(UNATTENDED, "1")
    assert unattended()


@pytest.mark.parametrize("alone", [True, False])
def test_forms_are_built_only_when_someone_can_answer(session, monkeypatch, alone):
    shown, built = [], []
    monkeypatch.setattr(wb, "in_kernel", lambda: True)
    monkeypatch.setattr(widgets, "show", lambda widget: built.append(widget))
    import IPython.display

    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append(obj))
    if alone:
        monkeypatch.setenv(UNATTENDED, "1")
    else:
        monkeypatch.delenv(UNATTENDED, raising=False)
    sections = (wb.scorecard(session), wb.checklist(session), wb.decision(session), wb.questions(session, 1),
                wb.review(session))
    for out in sections:  # the static table follows the form's place either way
        assert isinstance(out, wb.Static) and 'class="al al-static"' in out._repr_html_()
    if alone:
        assert built == [] and len(shown) == len(sections)
        for bundle in shown:  # what a saved workbook keeps of a form (strip_live_forms): no widget view
            assert bundle == {"text/html": widgets.PLACEHOLDER, "text/plain": widgets.PLACEHOLDER_TEXT}
    else:
        assert len(built) == len(sections) and shown == []


def test_a_chart_is_drawn_once_per_target_when_unattended(monkeypatch):
    monkeypatch.setenv(UNATTENDED, "1")
    report.forget_charts()
    first = charts.ownership_chart(HISTORY)
    assert charts.ownership_chart(HISTORY) is first  # the same facts: not drawn again
    other = HISTORY.model_copy(update={"bus_factor": 2})
    assert charts.ownership_chart(other) is not first  # other facts: drawn
    assert charts.ownership_chart(HISTORY, top=1) is not first
    report.forget_charts()  # a new target's intake
    again = charts.ownership_chart(HISTORY)
    assert again is not first and png_of(again) == png_of(first)  # the same PNG, drawn again
    assert len(report._DRAWN) <= report.DRAWN_MAX
    report.forget_charts()


def test_a_chart_is_always_drawn_in_a_session(monkeypatch):
    monkeypatch.delenv(UNATTENDED, raising=False)
    report.forget_charts()
    first = charts.timeline_chart(HISTORY)
    assert charts.timeline_chart(HISTORY) is not first and report._DRAWN == {}


def test_the_workbook_intake_forgets_the_last_targets_charts(monkeypatch):
    monkeypatch.setenv(UNATTENDED, "1")
    monkeypatch.setattr(wb, "_current", wb._current)  # put back after the failed intake below
    charts.ownership_chart(HISTORY)
    assert report._DRAWN
    with pytest.raises(wb.WorkbookNotStarted):
        wb.start("")  # even an intake that fails
    assert report._DRAWN == {}


def test_the_rubric_is_parsed_once_for_the_same_texts(tmp_path):
    folder = tmp_path / "rubric"
    shutil.copytree(rubric.DEFAULT_RUBRIC_DIR, folder)
    first = rubric.load_rubric(folder)
    assert rubric.load_rubric(folder) is first
    phases = folder / "phases.yaml"
    phases.write_text(phases.read_text().replace("Audit the prototype", "Audit the prototype again", 1))
    changed = rubric.load_rubric(folder)
    assert changed is not first and changed.phases.phases[0].title == "Audit the prototype again"
    phases.write_text("phases: [")
    with pytest.raises(RubricError, match="phases.yaml: not valid YAML"):
        rubric.load_rubric(folder)
    (folder / "rules.yaml").unlink()  # the bad file read before the missing one is named first
    with pytest.raises(RubricError, match="phases.yaml: not valid YAML"):
        rubric.load_rubric(folder)
