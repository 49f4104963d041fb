"""The workbook's forms without a browser: widgets driven by setting their values, as the frontend does.

Every change must land in the answers file (with who, when, commit and findings), a refused change
must say why and leave the file alone, and the summary must follow. Also: forms restored from the
file, re-opening after new commits, the static tables, and the `auditlib open` workspace.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
import yaml

from auditlib import widgets
from auditlib import workbook as wb
from auditlib.demo import DEMO_ADVISORIES, _git, build_demo_target

CLOCK = "2026-11-22T10:00:00+00:00"


@pytest.fixture(scope="module")
def base_session(tmp_path_factory):
    """The demo target collected once; each test gets a copy with its own answers file."""
    root = tmp_path_factory.mktemp("widgets")
    target = build_demo_target(root / "target")
    return wb.start(str(target), out_dir=str(root / "base"), offline=True, vuln_db=str(DEMO_ADVISORIES),
                    auditor="Ana Auditor")


@pytest.fixture
def session(base_session, tmp_path):
    ctx = dataclasses.replace(base_session.ctx, answers_path=None)
    s = dataclasses.replace(base_session, ctx=ctx, out_dir=tmp_path, answers_path=tmp_path / "answers.yaml",
                            answers=wb.Answers(), listeners={}, clock=lambda: CLOCK)
    s.refresh()
    return s


def on_file(session) -> dict:
    path = session.answers_path
    return yaml.safe_load(path.read_text()) if path.exists() else {}


def score_rows(session):
    return {cid: widgets.ScoreRow(session, cid) for cid in session.result.scorecard.categories}


def total_in(html_widget) -> int:
    return int(re.search(r"(\d+) / 40", html_widget.value).group(1))


# ------------------------------------------------------------------------------------------- scorecard
def test_score_override_needs_a_reason_then_saves_with_its_trail(session):
    rows = score_rows(session)
    summary = widgets.summary_widget(session).children[1]
    start = total_in(summary)
    row = rows["testing"]
    suggested = session.result.scorecard.categories["testing"].suggested
    new = (suggested + 3) % 6

    row.select.value = new
    assert "Not saved" in row.message.value and "reason" in row.message.value
    assert not session.answers_path.exists()  # nothing written
    assert row.select.value == new  # what the auditor chose stays on screen

    row.reason.value = "integration tests run in the client's CI"
    saved = on_file(session)["scores"]["testing"]
    assert saved == {"score": new, "reason": "integration tests run in the client's CI", "suggested": suggested,
                     "by": "Ana Auditor", "at": CLOCK, "commit": session.result.target.commit,
                     "findings": session.result.scorecard.categories["testing"].evidence}
    assert "saved" in row.message.value and "auditor overrode" in row.marker.value
    assert total_in(summary) == start - suggested + new
    assert json.loads((session.out_dir / "results.json").read_text())["scorecard"]["total"] == start - suggested + new


def test_confirm_keeps_the_suggestion_and_reset_removes_the_answer(session):
    row = score_rows(session)["security_access"]
    assert "from evidence" in row.marker.value
    row.note.value = "checked with the client's security lead"  # typed: waits for confirm (issue 12)
    assert not session.answers_path.exists() and "Not saved yet" in row.message.value
    row.confirm.click()
    saved = on_file(session)["scores"]["security_access"]
    assert saved["score"] == session.result.scorecard.categories["security_access"].suggested
    assert "reason" not in saved and "auditor confirmed" in row.marker.value
    row.reset.click()
    assert "security_access" not in on_file(session).get("scores", {})
    assert "from evidence" in row.marker.value and row.note.value == ""


def test_scorecard_form_has_a_row_per_category_and_a_summary(session):
    form = widgets.scorecard_form(session)
    classes = [c for w in form.children for c in w._dom_classes]
    assert sum(c.startswith("al-score-") and c != "al-score-row" for c in classes) == 8
    assert "Verdict" in form.children[0].children[1].value


# ------------------------------------------------------------------------------------------- checklist
def test_exception_without_a_note_is_refused_and_says_so(session):
    row = widgets.ChecklistRow(session, "product.edge_cases_documented")
    row.select.value = "exception"
    assert "Not saved" in row.message.value and "note" in row.message.value
    assert not session.answers_path.exists()
    row.note.value = "documented in the client's wiki, reviewed 2026-10"
    saved = on_file(session)["checklist"]["product.edge_cases_documented"]
    assert saved["answer"] == "exception" and saved["note"].startswith("documented")
    assert saved["by"] == "Ana Auditor" and saved["at"] == CLOCK
    assert "auditor attested" in row.marker.value


def test_overriding_the_evidence_no_needs_a_note(session):
    auto = next(e for e in session.result.checklist if e.source == "auto")
    row = widgets.ChecklistRow(session, auto.id)
    assert row.select.value == "no" and "from evidence" in row.marker.value
    row.select.value = "yes"
    assert "Not saved" in row.message.value
    assert not session.answers_path.exists()
    row.note.value = "fixed on a branch the client showed us"
    saved = on_file(session)["checklist"][auto.id]
    assert saved["answer"] == "yes" and saved["suggested"] == "no" and saved["findings"] == auto.evidence
    assert "auditor overrode" in row.marker.value


def test_confirming_the_evidence_no_needs_no_note(session):
    auto = next(e for e in session.result.checklist if e.source == "auto")
    row = widgets.ChecklistRow(session, auto.id)
    row.confirm.click()
    assert on_file(session)["checklist"][auto.id]["answer"] == "no"
    assert "auditor confirmed" in row.marker.value


# ------------------------------------------------------------------------------------------- questions
def test_typed_question_refuses_what_does_not_parse(session):
    q = next(q for q in session.rubric.questions.questions if q.id == "eval_set_size")
    row = widgets.QuestionRow(session, q)
    row.input.value = "lots"
    assert "Not saved" in row.message.value and "whole number" in row.message.value
    assert not session.answers_path.exists()
    row.input.value = "250"
    data = on_file(session)
    assert data["questions"]["eval_set_size"] == 250
    assert data["trail"]["questions.eval_set_size"] == {"by": "Ana Auditor", "at": CLOCK,
                                                        "commit": session.result.target.commit}
    assert "Ana Auditor" in row.given.value


def test_hint_is_shown_beside_its_question(session):
    form = widgets.questions_form(session, 1)
    text = " ".join(getattr(w, "value", "") for box in form.children[2:] for w in box.children[:1])
    assert "Evidence: the main authors committed in the last 90 days: " in text
    assert "top_authors_active" not in text and "<code>" not in text  # no internal id shown to people


def test_bool_question_changes_the_decision_live(session):
    form = widgets.decision_form(session)
    live = form.children[-1]
    q = next(q for q in session.rubric.questions.questions if q.id == "engineers_available")
    row = widgets.QuestionRow(session, q)
    assert "answer: yes)" not in live.value
    row.input.value = True
    assert on_file(session)["questions"]["engineers_available"] is True
    assert "answer: yes)" in live.value  # "Refactor precondition: ...: holds (auditor's answer: yes)"


def test_signal_override_is_saved_and_can_be_taken_back(session):
    signal = session.rubric.decision.signals[0]
    row = widgets.SignalRow(session, signal)
    row.select.value = "rebuild"
    assert on_file(session)["signals"][signal.id] == "rebuild"
    assert session.result.decision.signals[signal.id].source == "auditor"
    row.select.value = widgets.OPEN  # "from evidence"
    assert signal.id not in on_file(session).get("signals", {})
    assert f"signals.{signal.id}" not in on_file(session).get("trail", {})


# ------------------------------------------------------------------------------- restore, concurrency
def test_forms_restore_every_answer_from_the_file(session):
    session.set_score("testing", 4, reason="r", note="n")
    session.set_checklist("qa.drift_detection", "exception", note="no model in production yet")
    session.set_question("named_owner", "Dana Ortiz")
    fresh = dataclasses.replace(session, answers=wb.Answers(), listeners={})
    fresh.refresh()  # as re-running the notebook does
    row = widgets.ScoreRow(fresh, "testing")
    assert (row.select.value, row.note.value, row.reason.value) == (4, "n", "r")
    check = widgets.ChecklistRow(fresh, "qa.drift_detection")
    assert (check.select.value, check.note.value) == ("exception", "no model in production yet")
    q = next(q for q in fresh.rubric.questions.questions if q.id == "named_owner")
    assert widgets.QuestionRow(fresh, q).input.value == "Dana Ortiz"


def test_two_sessions_on_one_file_merge_per_item(session):
    other = dataclasses.replace(session, answers=wb.Answers(), listeners={}, clock=lambda: "2026-11-22T11:00:00+00:00")
    other.refresh()
    session.set_score("testing", 2, reason="a")
    other.set_checklist("qa.drift_detection", "yes", note="")  # other's in-memory answers predate the score
    data = on_file(session)
    assert data["scores"]["testing"]["score"] == 2 and data["checklist"]["qa.drift_detection"]["answer"] == "yes"
    other.set_score("testing", 3, reason="b")  # same item: the last writer wins
    assert on_file(session)["scores"]["testing"]["reason"] == "b"
    session.reload()  # the first notebook picks the other's answers up
    assert session.answers.checklist["qa.drift_detection"].answer == "yes"


def test_forms_follow_a_reload(session):
    rows = score_rows(session)
    other = dataclasses.replace(session, answers=wb.Answers(), listeners={})
    other.refresh()
    other.set_score("observability", 1, reason="logs shipped by the platform")
    session.reload()
    assert rows["observability"].select.value == 1 and "auditor" in rows["observability"].marker.value


# ------------------------------------------------------------------------------------ static tables
def test_sections_return_static_tables_outside_a_kernel(session):
    session.set_score("testing", 2, reason="why")
    for out in (wb.scorecard(session), wb.checklist(session), wb.decision(session), wb.summary(session),
                wb.questions(session, 4), wb.review(session)):
        assert isinstance(out, wb.Static)
        assert 'class="al al-static"' in out._repr_html_()
    assert "Automated testing" in wb.scorecard(session).body
    assert "overrode" in wb.scorecard(session).body
    assert "eval_set_size" in wb.questions(session, 4).body


def test_every_form_hides_the_static_tables_it_replaces(session):
    for form in (widgets.scorecard_form(session), widgets.checklist_form(session), widgets.decision_form(session),
                 widgets.questions_form(session, 1), widgets.review_widget(session)):
        html = json.dumps([w.get_state() for w in _walk(form)])
        assert "al-static { display: none" in html


def _walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


# --------------------------------------------------------------------------- re-opening after commits
def test_answers_given_against_evidence_that_changed_are_flagged(tmp_path):
    target = build_demo_target(tmp_path / "target")
    out = tmp_path / "audit"
    first = wb.start(str(target), out_dir=str(out), offline=True, vuln_db=str(DEMO_ADVISORIES), auditor="Ana")
    complex_fn = next(f for f in first.result.findings if f.path == "pricing.py")
    cat = complex_fn.category
    first.set_score(cat, first.result.scorecard.categories[cat].suggested, note="seen")
    assert first.answers.needs_review == []

    (target / "pricing.py").unlink()  # a new commit removes the finding the answer was given against
    _git(target, "add", "-A")
    _git(target, "commit", "--quiet", "-m", "drop pricing", date="2026-03-10T10:00:00+00:00")
    again = wb.start(str(target), out_dir=str(out), offline=True, vuln_db=str(DEMO_ADVISORIES), auditor="Ana")
    [flag] = [f for f in again.answers.needs_review if f.key == f"scores.{cat}"]
    assert flag.kind == "evidence_gone" and flag.gone == [complex_fn.id]
    review = wb.review_html(again).body
    assert complex_fn.id in review and "now at" in review
    assert "review" in widgets.ScoreRow(again, cat).marker.value
    data = json.loads(again.result.to_json())
    assert data["answers"]["needs_review"][0]["key"] == f"scores.{cat}"
    assert "needs_review" not in (out / "answers.yaml").read_text()  # computed, never stored

    again.set_score(cat, again.result.scorecard.categories[cat].suggested, note="re-checked")
    assert not [f for f in again.answers.needs_review if f.key == f"scores.{cat}"]


# ----------------------------------------------------------------------------------- auditlib open
def test_open_dry_run_prepares_the_workspace_and_prints_the_command(tmp_path, base_session):
    out = tmp_path / "ws"
    proc = subprocess.run([sys.executable, "-m", "auditlib", "open", str(base_session.ctx.target), "--out", str(out),
                           "--auditor", "J. Doe", "--offline", "--port", "9123", "--dry-run"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    command, url = proc.stdout.strip().splitlines()
    assert "-m jupyterlab --no-browser" in command and "--ServerApp.port=9123" in command
    assert "--ServerApp.port_retries=0" in command and f"--ServerApp.root_dir={out.resolve()}" in command
    assert re.fullmatch(r"http://127\.0\.0\.1:9123/lab/tree/workbook\.ipynb\?token=[0-9a-f]{32}", url)
    assert url.split("token=")[1] in command
    assert ("--allow-root" in command) == (os.geteuid() == 0)
    nb = nbformat.read(str(out / "workbook.ipynb"), as_version=4)
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert 'auditor = "J. Doe"' in injected.source and f'out_dir = "{out.resolve()}"' in injected.source
    assert "offline = True" in injected.source
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code")  # prepared, not executed


def test_open_refuses_a_missing_target(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "auditlib", "open", str(tmp_path / "nope"), "--out",
                           str(tmp_path / "ws"), "--dry-run"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "auditlib: error:" in proc.stderr
    assert not (tmp_path / "ws" / "workbook.ipynb").exists()


def test_open_keeps_existing_answers(tmp_path, base_session):
    out = tmp_path / "ws"
    out.mkdir()
    (out / "answers.yaml").write_text("auditor: Kept\n")
    wb.prepare_workspace(str(base_session.ctx.target), out)
    assert (out / "answers.yaml").read_text() == "auditor: Kept\n"
    shutil.rmtree(out)


# ------------------------------------------------------------------------------ issue 12, section 2
def test_reset_after_a_refused_change_shows_the_saved_state_again(session):
    row = score_rows(session)["testing"]
    summary = widgets.summary_widget(session).children[1]
    cat = session.result.scorecard.categories["testing"]
    start = total_in(summary)
    row.select.value = (cat.suggested + 3) % 6  # an override without a reason: refused
    assert "Not saved" in row.message.value
    row.reset.click()
    assert row.select.value == cat.suggested and "from evidence" in row.marker.value
    assert "saved" in row.message.value and total_in(summary) == start
    assert "testing" not in on_file(session).get("scores", {})


def test_reset_after_a_refused_checklist_change(session):
    auto = next(e for e in session.result.checklist if e.source == "auto")
    row = widgets.ChecklistRow(session, auto.id)
    row.select.value = "yes"  # overriding the evidence's "no" without a note: refused
    assert "Not saved" in row.message.value
    row.reset.click()
    assert row.select.value == "no" and "from evidence" in row.marker.value
    assert auto.id not in on_file(session).get("checklist", {})


def test_a_reason_typed_before_the_score_is_not_saved_as_a_confirmation(session):
    row = score_rows(session)["testing"]
    suggested = session.result.scorecard.categories["testing"].suggested
    row.reason.value = "integration tests run in the client's CI"  # leaving the field (opening the dropdown)
    assert not session.answers_path.exists()  # nothing saved in between, above all not "confirmed"
    assert "auditor confirmed" not in row.marker.value
    row.select.value = (suggested + 2) % 6
    saved = on_file(session)["scores"]["testing"]
    assert saved["score"] == (suggested + 2) % 6 and saved["reason"].startswith("integration")
    assert "auditor overrode" in row.marker.value
    row.note.value = "seen in their pipeline"  # an edit of the answer the row holds is saved at once
    assert on_file(session)["scores"]["testing"]["note"] == "seen in their pipeline"


def test_a_checklist_note_typed_first_waits_for_the_answer(session):
    auto = next(e for e in session.result.checklist if e.source == "auto")
    row = widgets.ChecklistRow(session, auto.id)
    row.note.value = "fixed on a branch"
    assert not session.answers_path.exists()
    row.select.value = "yes"
    assert on_file(session)["checklist"][auto.id] | {} and on_file(session)["checklist"][auto.id]["answer"] == "yes"


@pytest.mark.parametrize("qid,raw,why", [("eval_set_size", "-5", "negative"), ("original_build_cost", "-1", "negative"),
                                         ("original_build_cost", "nan", "not a usable number"),
                                         ("original_build_cost", "inf", "not a usable number"),
                                         ("original_build_cost", "1e400", "not a usable number")])
def test_impossible_numbers_are_refused_in_the_form(session, qid, raw, why):
    q = next(q for q in session.rubric.questions.questions if q.id == qid)
    row = widgets.QuestionRow(session, q)
    row.input.value = raw
    assert "Not saved" in row.message.value and why in row.message.value
    assert qid not in row.message.value  # no answers-file key in the message
    assert not session.answers_path.exists()
    assert "inf" not in report_money(session)


def report_money(session) -> str:
    from auditlib import report

    return report.decision_section(session.result).body.split("Cost and timeline")[1]


def test_dropdowns_show_their_open_choice_not_a_blank(session):
    item = next(e for e in session.result.checklist if e.answer is None)
    row = widgets.ChecklistRow(session, item.id)
    assert row.select.index == 0 and row.select.label == "(open)"
    q = next(q for q in session.rubric.questions.questions if q.type == "bool" and session.answers.question(q.id) is None)
    assert widgets.QuestionRow(session, q).input.label == "(unanswered)"
    signal = widgets.SignalRow(session, session.rubric.decision.signals[0])
    assert signal.select.label == "from evidence"
    assert "not established: not established" not in signal.state.value


def test_refusals_name_no_internal_id(session):
    auto = next(e for e in session.result.checklist if e.source == "auto")
    row = widgets.ChecklistRow(session, auto.id)
    row.select.value = "exception"
    assert "Not saved" in row.message.value and "checklist." not in row.message.value and "`" not in row.message.value


def test_every_finding_of_a_row_can_be_seen(session):
    ids = [f.id for f in session.result.findings]
    html = widgets._finding_lines(session.result, ids, limit=3)
    assert f"and {len(ids) - 3} more" in html and html.count("<br>") >= len(ids) - 2  # the rest behind a disclosure


def test_forms_carry_a_fallback_and_the_save_hook_keeps_only_it(session):
    bundle = {}
    widgets.show.__globals__  # noqa: B018 - the function exists
    form = widgets.scorecard_form(session)
    data = form._repr_mimebundle_()
    data["text/html"] = widgets.PLACEHOLDER
    model = {"type": "notebook", "content": {"metadata": {"widgets": {"state": {}}}, "cells": [
        {"cell_type": "code", "outputs": [{"output_type": "display_data", "data": dict(data)}]},
        {"cell_type": "markdown", "source": "x"}]}}
    wb.strip_live_forms(model=model, path="workbook.ipynb", contents_manager=None)
    out = model["content"]["cells"][0]["outputs"][0]["data"]
    assert widgets.WIDGET_VIEW not in out and "Run All Cells" in out["text/html"]
    assert "widgets" not in model["content"]["metadata"]
    wb.strip_live_forms(model={"type": "file", "content": "x"})  # anything else is left alone
    assert bundle == {}


def test_lab_command_saves_through_the_hook_and_turns_the_changed_on_disk_dialog_off(tmp_path):
    cmd, _url = wb.lab_command(tmp_path, 9999, "t" * 32)
    assert "--ContentsManager.pre_save_hook=auditlib.workbook.strip_live_forms" in cmd
    overrides = json.loads((tmp_path / ".lab-settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/docmanager-extension:plugin"]["lastModifiedCheckMargin"] >= 10 ** 12
    env = wb.kernel_env(tmp_path, {})
    startup = next((tmp_path / ".ipython").rglob("*.py")).read_text()
    assert env["IPYTHONDIR"] == str((tmp_path / ".ipython").resolve()) and "current_session()" in startup


def test_sections_before_intake_say_to_run_the_workbook():
    with pytest.raises(wb.WorkbookNotStarted, match="Run All Cells"):
        wb.phase(wb.current_session() if not isinstance(wb.current_session(), wb.Session) else wb.NOT_STARTED, 1)
    err = wb.NOT_STARTED.error()
    assert "\x1b[" in err._render_traceback_()[0] and len(err._render_traceback_()) == 1


def test_a_bad_answers_file_is_one_message_and_later_sections_repeat_it(base_session, tmp_path):
    bad = tmp_path / "answers.yaml"
    bad.write_text("scores:\n  testing: 9\n")
    with pytest.raises(wb.WorkbookNotStarted) as info:
        wb.start(str(base_session.ctx.target), out_dir=str(tmp_path), answers=str(bad), offline=True)
    lines = info.value._render_traceback_()
    assert "answers file cannot be used" in lines[0] and "Run All Cells" in lines[-1] and len(lines) == 2
    later = wb.current_session()
    assert isinstance(later, wb.NotStarted)
    with pytest.raises(wb.WorkbookNotStarted, match="intake cell failed"):
        wb.scorecard(later)


def test_the_save_hook_leaves_other_widgets_and_notebooks_alone():
    """The hook runs on every save of a Jupyter server where auditlib is installed (auditlib.jupyter_ext):
    it strips only auditlib's forms (their text/html is the placeholder), not other widgets."""
    other = {"output_type": "display_data", "data": {widgets.WIDGET_VIEW: {"model_id": "x"}, "text/plain": "IntSlider()"}}
    model = {"type": "notebook", "content": {"metadata": {"widgets": {"state": {"x": {}}}},
                                             "cells": [{"cell_type": "code", "outputs": [other]}]}}
    wb.strip_live_forms(model=model, path="mine.ipynb", contents_manager=None)
    assert widgets.WIDGET_VIEW in other["data"] and model["content"]["metadata"]["widgets"] == {"state": {"x": {}}}
    form = {"output_type": "display_data", "data": {widgets.WIDGET_VIEW: {"model_id": "y"},
                                                   "text/html": [widgets.PLACEHOLDER]}}  # nbformat's list of lines
    model["content"]["cells"][0]["outputs"].append(form)
    wb.strip_live_forms(model=model, path="workbook.ipynb", contents_manager=None)
    assert widgets.WIDGET_VIEW not in form["data"] and widgets.WIDGET_VIEW in other["data"]
    assert "widgets" not in model["content"]["metadata"]


def test_the_server_extension_registers_the_save_hook_and_is_enabled_by_the_install(tmp_path):
    import tomllib

    from auditlib import jupyter_ext
    from tests.conftest import REPO_ROOT

    hooks: list = []

    class Contents:
        def register_pre_save_hook(self, hook):
            hooks.append(hook)

    class Log:
        def info(self, *_args):
            pass

    class App:
        contents_manager, log = Contents(), Log()

    assert jupyter_ext._jupyter_server_extension_points() == [{"module": "auditlib.jupyter_ext"}]
    jupyter_ext._load_jupyter_server_extension(App())
    assert hooks == [wb.strip_live_forms]
    shared = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]["shared-data"]
    (source, dest), = shared.items()
    assert dest == "etc/jupyter/jupyter_server_config.d/auditlib.json"
    assert json.loads((REPO_ROOT / source).read_text())["ServerApp"]["jpserver_extensions"] == {"auditlib.jupyter_ext": True}
