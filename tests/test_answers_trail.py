"""The answers trail: who/when/why fields, overrides needing a reason, review flags, merging one item under a lock."""

from __future__ import annotations

import multiprocessing
import textwrap

import pytest
import yaml

from auditlib import report
from auditlib.answers import (
    Answers,
    ChecklistAnswer,
    ScoreAnswer,
    Stamp,
    check_override,
    coerce_question,
    load_answers,
    review_answers,
    save_answers,
    update_answers,
)
from auditlib.errors import AnswersError
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric

RUBRIC = load_rubric(DEFAULT_RUBRIC_DIR)
ITEMS = [i.id for i in RUBRIC.checklist.items]


# ------------------------------------------------------------------------------------ file format
def test_trail_fields_round_trip_and_review_flags_are_never_stored(tmp_path):
    path = tmp_path / "answers.yaml"
    answers = Answers(
        auditor="Ana",
        scores={"testing": ScoreAnswer(score=3, reason="CI elsewhere", suggested=0, by="Ana", at="2026-11-22T10:00:00+00:00",
                                       commit="abc123", findings=["F-1", "F-2"])},
        checklist={"qa.drift_detection": ChecklistAnswer(answer="yes", note="n", suggested="no", by="Ana",
                                                         at="2026-11-22T10:01:00+00:00", commit="abc123", findings=[])},
        questions={"eval_set_size": 250}, trail={"questions.eval_set_size": Stamp(by="Ana", at="t", commit="abc123")},
        needs_review=[{"key": "scores.testing", "kind": "no_reason", "message": "m"}])
    save_answers(answers, path)
    text = path.read_text()
    assert "needs_review" not in text
    loaded = load_answers(path, RUBRIC)
    assert loaded == answers.model_copy(update={"needs_review": []})
    assert text.index("score: 3") < text.index("by: Ana")  # the answer first, then its trail


def test_needs_review_in_a_file_is_ignored(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text("needs_review: [{key: x, kind: no_reason, message: m}]\nauditor: A\n")
    assert load_answers(path, RUBRIC).needs_review == []


def test_unknown_trail_key_refused(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text("trail:\n  questions.nope: {by: A}\n")
    with pytest.raises(AnswersError, match="trail.questions.nope"):
        load_answers(path, RUBRIC)


def test_hand_written_override_without_reason_is_accepted_on_load(tmp_path):
    """Decision: load_answers cannot know the suggestion (it depends on the evidence), so it accepts the file;
    review_answers flags the override instead, and the forms refuse to save one."""
    path = tmp_path / "answers.yaml"
    path.write_text("scores:\n  security_access: 4\n")
    assert load_answers(path, RUBRIC).scores["security_access"].score == 4


# ------------------------------------------------------------------------------------- overrides
@pytest.mark.parametrize("answer, suggested, ok", [
    (ScoreAnswer(score=3), 1, False),
    (ScoreAnswer(score=3, reason="  "), 1, False),
    (ScoreAnswer(score=3, reason="keys rotated"), 1, True),
    (ScoreAnswer(score=3, note="a note is a written why too"), 1, True),
    (ScoreAnswer(score=1), 1, True),      # confirmed
    (ScoreAnswer(score=0), None, True),   # attested: nothing was suggested
    (ChecklistAnswer(answer="yes"), "no", False),
    (ChecklistAnswer(answer="yes", note="fixed last sprint"), "no", True),
    (ChecklistAnswer(answer="no"), "no", True),
    (ChecklistAnswer(answer="yes"), None, True),
])
def test_an_override_needs_a_written_reason(answer, suggested, ok):
    if ok:
        check_override("k", answer, suggested)
    else:
        with pytest.raises(AnswersError, match="needs a written reason"):
            check_override("k", answer, suggested)


@pytest.mark.parametrize("kind, raw, expected", [
    ("int", " 250 ", 250), ("int", "1,000", 1000), ("int", "", None), ("int", None, None), ("int", "12.5", "error"),
    ("number", "1500.5", 1500.5), ("number", "24000", 24000), ("number", "ten", "error"),
    ("bool", True, True), ("bool", "no", False), ("bool", "maybe", "error"), ("text", "  Dana  ", "Dana"),
])
def test_coerce_question(kind, raw, expected):
    if expected == "error":
        with pytest.raises(AnswersError):
            coerce_question(kind, raw)
    else:
        assert coerce_question(kind, raw) == expected


# ------------------------------------------------------------------------------------ review flags
def with_answers(result, answers: Answers):
    return result.model_copy(update={"answers": answers})


def test_review_flags_gone_added_and_missing_reasons(demo_scan):
    cats = demo_scan.scorecard.categories
    cid = next(k for k, c in cats.items() if c.evidence and c.suggested is not None)
    current = cats[cid].evidence
    gone = ScoreAnswer(score=cats[cid].suggested, findings=[*current, "F-gone000"], commit="0123456789abcdef")
    added = ChecklistAnswer(answer="no", findings=[])
    item = next(e for e in demo_scan.checklist if e.evidence)
    answers = Answers(scores={cid: gone}, checklist={item.id: added})
    flags = {f.key: f for f in review_answers(answers, demo_scan)}
    assert flags[f"scores.{cid}"].kind == "evidence_gone" and flags[f"scores.{cid}"].gone == ["F-gone000"]
    assert "0123456789" in flags[f"scores.{cid}"].message
    assert flags[f"checklist.{item.id}"].kind == "evidence_added" and flags[f"checklist.{item.id}"].added == item.evidence

    same = Answers(scores={cid: ScoreAnswer(score=cats[cid].suggested, findings=list(current))})
    assert review_answers(same, demo_scan) == []
    hand_written = Answers(scores={cid: ScoreAnswer(score=cats[cid].suggested)})  # no findings recorded: not compared
    assert review_answers(hand_written, demo_scan) == []


def test_review_flags_an_override_without_reason(demo_scan):
    from auditlib.scoring import build_scorecard

    cid, cat = next((k, c) for k, c in demo_scan.scorecard.categories.items() if c.suggested is not None)
    answers = Answers(scores={cid: ScoreAnswer(score=(cat.suggested + 2) % 6)})
    scorecard = build_scorecard(RUBRIC, demo_scan.findings, demo_scan.metrics, answers)
    result = demo_scan.model_copy(update={"scorecard": scorecard, "answers": answers})
    [flag] = review_answers(answers, result)
    assert flag.kind == "no_reason" and flag.key == f"scores.{cid}"


# ------------------------------------------------------------------------------------ report trail
def test_report_trail_shows_who_when_why_and_review(demo_scan):
    cid, cat = next((k, c) for k, c in demo_scan.scorecard.categories.items() if c.evidence)
    answers = Answers(
        auditor="Ana",
        scores={cid: ScoreAnswer(score=cat.suggested, reason="checked", by="Ana Auditor", at="2026-11-22T10:00:00+00:00",
                                 commit="0123456789abcdef", findings=["F-gone000"])},
        questions={"named_owner": "Dana"}, trail={"questions.named_owner": Stamp(by="Bo", at="2026-11-21T09:00:00")})
    html = report.answers_trail(with_answers(demo_scan, answers)).body
    for text in ("Ana Auditor", "2026-11-22 10:00", "0123456789", "checked", "Bo", "2026-11-21 09:00",
                 "By", "When (UTC)", "At commit", "1 answer(s) to review", "no longer exist"):
        assert text in html, text


def test_report_trail_for_the_demo_answers(demo_scan):
    html = report.answers_trail(demo_scan).body
    assert "Demo Auditor" in html and "to review" not in html


# ---------------------------------------------------------------------------------- merge + lock
def test_update_merges_one_item_and_keeps_the_rest(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text(textwrap.dedent("""\
        auditor: Hand
        scores: {testing: 2}
        questions: {eval_set_size: 40}
        """))
    merged = update_answers(path, "checklist", "qa.drift_detection", {"answer": "yes"}, rubric=RUBRIC, auditor="Ana")
    assert merged.auditor == "Hand"  # an existing auditor is kept
    data = yaml.safe_load(path.read_text())
    assert data["scores"]["testing"]["score"] == 2 and data["questions"]["eval_set_size"] == 40
    assert data["checklist"]["qa.drift_detection"]["answer"] == "yes"
    update_answers(path, "questions", "eval_set_size", 250, rubric=RUBRIC, stamp=Stamp(by="Ana", at="t"))
    data = yaml.safe_load(path.read_text())
    assert data["questions"]["eval_set_size"] == 250 and data["trail"]["questions.eval_set_size"]["by"] == "Ana"
    update_answers(path, "questions", "eval_set_size", None, rubric=RUBRIC)
    data = yaml.safe_load(path.read_text())
    assert "eval_set_size" not in data.get("questions", {}) and "trail" not in data


def test_update_fills_a_missing_auditor_and_creates_the_file(tmp_path):
    path = tmp_path / "new" / "answers.yaml"
    update_answers(path, "signals", "core_logic", "refactor", rubric=RUBRIC, auditor="Ana")
    assert yaml.safe_load(path.read_text()) == {"auditor": "Ana", "signals": {"core_logic": "refactor"}}


@pytest.mark.parametrize("section, key, value, match", [
    ("checklist", "qa.drift_detection", {"answer": "exception"}, "note"),
    ("scores", "testing", {"score": 7}, "testing"),
    ("questions", "eval_set_size", "lots", "expected int"),
    ("checklist", "no.such.item", {"answer": "yes"}, "no.such.item"),
])
def test_update_refuses_bad_values_and_leaves_the_file(tmp_path, section, key, value, match):
    path = tmp_path / "answers.yaml"
    path.write_text("auditor: A\n")
    with pytest.raises(AnswersError, match=match):
        update_answers(path, section, key, value, rubric=RUBRIC)
    assert path.read_text() == "auditor: A\n"


def _writer(args):
    path, worker, keys = args
    for key in keys:
        update_answers(path, "checklist", key, {"answer": "yes", "note": f"worker {worker}"}, rubric=RUBRIC)


def test_concurrent_writers_lose_no_item(tmp_path):
    """Eight processes each answer their own items at the same time: every item is in the file at the end."""
    path = tmp_path / "answers.yaml"
    chunks = [(path, w, ITEMS[w::8]) for w in range(8)]
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(8) as pool:
        pool.map(_writer, chunks)
    data = yaml.safe_load(path.read_text())
    assert sorted(data["checklist"]) == sorted(ITEMS)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".answers.yaml.lock", "answers.yaml"]  # no temp file left


def test_the_appendix_names_questions_and_prints_no_local_path():
    """Issue 12: the client's appendix lists answers by question and shows no path of the auditor's machine."""
    from auditlib import report

    assert report.local_path_text("partial (osv-dir:/home/ana/adv/osv): 2 not looked up") == \
        "partial (osv-dir:osv): 2 not looked up"
    assert report.local_path_text("/tmp/tmpx1/answers.yaml") == "answers.yaml"
    assert report.local_path_text("see https://osv.dev/vuln/PYSEC-1") == "see https://osv.dev/vuln/PYSEC-1"
    assert report._source_text("/home/ana/clients/acme-bot") == "local copy of acme-bot"
    assert report._source_text("https://github.com/acme/bot.git") == "https://github.com/acme/bot.git"
