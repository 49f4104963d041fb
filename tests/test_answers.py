"""The auditor's answers file: YAML quirks, validation against the rubric, atomic save and round trip."""

from __future__ import annotations

import textwrap

import pytest

from auditlib.answers import Answers, load_answers, save_answers, validate_answers
from auditlib.errors import AnswersError
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric

RUBRIC = load_rubric(DEFAULT_RUBRIC_DIR)


def write(tmp_path, text: str):
    path = tmp_path / "answers.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.mark.parametrize("raw, expected", [
    ("yes", "yes"), ("no", "no"), ("Yes", "yes"), ("NO", "no"), ("true", "yes"), ("false", "no"),
    ("on", "yes"), ("off", "no"), ("'yes'", "yes"), ("exception", None),
])
def test_yaml_booleans_become_yes_no(tmp_path, raw, expected):
    path = write(tmp_path, f"checklist:\n  security.secrets_manager: {raw}\n")
    if expected is None:  # a bare exception has no note: refused (see below)
        with pytest.raises(AnswersError):
            load_answers(path, RUBRIC)
        return
    answers = load_answers(path, RUBRIC)
    assert answers.checklist["security.secrets_manager"].answer == expected


def test_checklist_answer_in_long_form(tmp_path):
    path = write(tmp_path, """
        checklist:
          qa.rollback_tested: {answer: exception, note: "manual rollback drill, signed off", by: J. Doe}
          qa.drift_detection: {answer: no}
        """)
    answers = load_answers(path, RUBRIC)
    assert answers.checklist["qa.rollback_tested"].answer == "exception"
    assert answers.checklist["qa.rollback_tested"].note == "manual rollback drill, signed off"
    assert answers.checklist["qa.drift_detection"].answer == "no"


@pytest.mark.parametrize("entry", ["{answer: exception}", "{answer: exception, note: '   '}", "exception"])
def test_exception_without_note_refused(tmp_path, entry):
    path = write(tmp_path, f"checklist:\n  qa.rollback_tested: {entry}\n")
    with pytest.raises(AnswersError, match="note"):
        load_answers(path, RUBRIC)


def test_invalid_checklist_answer_refused(tmp_path):
    path = write(tmp_path, "checklist:\n  qa.rollback_tested: maybe\n")
    with pytest.raises(AnswersError, match="qa.rollback_tested"):
        load_answers(path, RUBRIC)


def test_unknown_ids_refused_and_listed(tmp_path):
    path = write(tmp_path, """
        scores: {foo: 3, testing: 2}
        checklist: {bar: yes}
        questions: {baz: 1, use_case_validated: true}
        signals: {qux: refactor}
        """)
    with pytest.raises(AnswersError) as info:
        load_answers(path, RUBRIC)
    message = str(info.value)
    for bad in ("scores.foo", "checklist.bar", "questions.baz", "signals.qux"):
        assert bad in message
    for good in ("scores.testing", "questions.use_case_validated"):
        assert good not in message


def test_unknown_ids_accepted_without_rubric(tmp_path):
    path = write(tmp_path, "scores: {foo: 3}\n")
    assert load_answers(path).scores["foo"].score == 3


@pytest.mark.parametrize("qid, value, ok", [
    ("use_case_validated", "maybe", False),
    ("use_case_validated", 1, False),
    ("use_case_validated", True, True),
    ("eval_set_size", 12.5, False),
    ("eval_set_size", True, False),
    ("eval_set_size", 250, True),
    ("original_build_cost", "ten", False),
    ("original_build_cost", 1500.5, True),
    ("original_build_cost", 1500, True),
    ("named_owner", ["a"], False),
    ("named_owner", "Ana", True),
    ("named_owner", None, True),  # blank in YAML: unanswered
])
def test_question_types(qid, value, ok):
    answers = Answers(questions={qid: value})
    if ok:
        validate_answers(answers, RUBRIC)
    else:
        with pytest.raises(AnswersError, match=f"questions.{qid}: expected"):
            validate_answers(answers, RUBRIC)


def test_wrong_question_type_refused_from_file(tmp_path):
    path = write(tmp_path, "questions:\n  eval_set_size: lots\n")
    with pytest.raises(AnswersError, match="eval_set_size"):
        load_answers(path, RUBRIC)


def test_bare_int_scores_accepted(tmp_path):
    path = write(tmp_path, """
        scores:
          security_access: 2
          testing: {score: 4, note: n, reason: r}
        """)
    answers = load_answers(path, RUBRIC)
    assert answers.scores["security_access"].score == 2
    assert answers.scores["security_access"].note == ""
    assert (answers.scores["testing"].score, answers.scores["testing"].reason) == (4, "r")


@pytest.mark.parametrize("entry", ["6", "-1", "true", "high", "2.5"])
def test_bad_scores_refused(tmp_path, entry):
    path = write(tmp_path, f"scores:\n  testing: {entry}\n")
    with pytest.raises(AnswersError, match="testing"):
        load_answers(path, RUBRIC)


def test_bad_signal_refused(tmp_path):
    path = write(tmp_path, "signals:\n  core_logic: maybe\n")
    with pytest.raises(AnswersError, match="core_logic"):
        load_answers(path, RUBRIC)


def test_blank_question_is_unanswered():
    assert Answers(questions={"named_owner": "  "}).question("named_owner") is None
    assert Answers(questions={"use_case_validated": False}).question("use_case_validated") is False


def test_missing_file_refused(tmp_path):
    with pytest.raises(AnswersError, match="not found"):
        load_answers(tmp_path / "nope.yaml", RUBRIC)


def test_no_path_gives_empty_answers():
    assert load_answers(None, RUBRIC) == Answers()


def test_empty_file_gives_empty_answers(tmp_path):
    assert load_answers(write(tmp_path, ""), RUBRIC) == Answers()


def test_invalid_yaml_refused(tmp_path):
    with pytest.raises(AnswersError, match="not valid YAML"):
        load_answers(write(tmp_path, "scores: [unclosed\n"), RUBRIC)


FULL = Answers(
    auditor="J. Doe",
    scores={"security_access": {"score": 2, "reason": "keys rotated"}, "testing": {"score": 0}},
    checklist={"security.secrets_manager": {"answer": "no"}, "qa.drift_detection": {"answer": "yes"},
               "qa.rollback_tested": {"answer": "exception", "note": "drill signed off"}},
    questions={"use_case_validated": True, "eval_set_size": 250, "named_owner": "Ana", "original_build_cost": 1200.5,
               "currency": "EUR"},
    signals={"core_logic": "refactor", "timeline": "rebuild"},
)


def test_save_then_load_round_trips(tmp_path):
    path = tmp_path / "out" / "answers.yaml"
    save_answers(FULL, path)
    assert load_answers(path, RUBRIC) == FULL


def test_saved_yes_no_stay_strings_in_yaml(tmp_path):
    path = tmp_path / "answers.yaml"
    save_answers(FULL, path)
    text = path.read_text(encoding="utf-8")
    # quoted, so YAML 1.1 readers other than ours do not turn them into booleans
    assert "answer: 'no'" in text and "answer: 'yes'" in text


def test_save_is_atomic_and_replaces(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text("auditor: old\n" + "# padding\n" * 500, encoding="utf-8")
    small = Answers(auditor="new")
    save_answers(small, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]
    assert path.read_text(encoding="utf-8") == "auditor: new\n"
    save_answers(small, path)
    assert path.read_text(encoding="utf-8") == "auditor: new\n"  # replaced, not appended
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]


def test_failed_save_keeps_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "answers.yaml"
    path.write_text("auditor: old\n", encoding="utf-8")
    unserialisable = Answers(questions={"named_owner": object()})
    with pytest.raises(Exception):  # noqa: B017 - whatever the YAML dumper raises, the file must stay
        save_answers(unserialisable, path)
    assert path.read_text(encoding="utf-8") == "auditor: old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.yaml"]


def test_saved_files_keep_a_readable_mode(tmp_path):
    """A new answers file is owner-only whatever the umask (issue 7: answers hold a client's
    findings); a saved answers file keeps the mode the user gave it."""
    import os
    import stat

    from auditlib.answers import Answers, save_answers

    old = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.yaml"
        save_answers(Answers(auditor="A"), fresh)
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
        kept = tmp_path / "kept.yaml"
        kept.write_text("auditor: B\n")
        kept.chmod(0o640)
        save_answers(Answers(auditor="C"), kept)
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    finally:
        os.umask(old)


@pytest.mark.parametrize("text, why", [
    ("eval_set_size: -5", "negative"),
    ("original_build_cost: -1", "negative"),
    ("original_build_cost: .nan", "not a usable number"),
    ("original_build_cost: .inf", "not a usable number"),
    ("original_build_cost: -.inf", "not a usable number"),
])
def test_impossible_numbers_refused_from_file(tmp_path, text, why):
    path = write(tmp_path, f"questions:\n  {text}\n")
    with pytest.raises(AnswersError, match=f"questions\\.\\w+: .*{why}"):
        load_answers(path, RUBRIC)


def test_zero_is_a_possible_number(tmp_path):
    validate_answers(Answers(questions={"eval_set_size": 0, "original_build_cost": 0}), RUBRIC)


@pytest.mark.parametrize("raw", ["nan", "inf", "-inf", "1e400"])
def test_form_text_that_is_not_a_finite_number_is_refused(raw):
    from auditlib.answers import coerce_question

    with pytest.raises(AnswersError, match="not a usable number"):
        coerce_question("number", raw)
