"""The refactor / rebuild / not-ready decision: verdict table, evidence fallback, flips, rationale, cost."""

from __future__ import annotations

import re

import pytest

from auditlib.answers import Answers, validate_answers
from auditlib.decision import decide
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric

RUBRIC = load_rubric(DEFAULT_RUBRIC_DIR)
D = RUBRIC.decision
READINESS_FLIP = {r.id: r.flip for r in D.readiness}
PRE_FLIP = {r.id: r.flip for r in D.preconditions}
SIGNAL_FLIP = {s.id: s.flip for s in D.signals}

READY = {"use_case_validated": True, "eval_set_size": 250, "named_owner": "Ana"}
PRE = {"data_model_fit": True, "engineers_available": True, "security_debt_patchable": True}
REFACTOR_Q = {"core_logic_sound": True, "fits_in_sprint": True}
REFACTOR_M = {"complex_function_share": 0.05, "functions_measured": 100, "test_ratio": 0.3,
              "severe_security_findings": 0, "top_authors_active": True, "no_structural_security_findings": True}


def run(metrics: dict | None = None, questions: dict | None = None, signals: dict | None = None):
    answers = Answers(questions=questions or {}, signals=signals or {})
    validate_answers(answers, RUBRIC)  # a typo in a test id must fail loudly, not pass vacuously
    return decide(RUBRIC, metrics or {}, answers)


def q(*parts: dict, **extra) -> dict:
    out: dict = {}
    for p in parts:
        out.update(p)
    out.update(extra)
    return out


VERDICT_CASES = [
    # (case id, metrics, questions, signal overrides, verdict)
    ("nothing_answered", {}, {}, {}, "not_ready"),
    ("readiness_unanswered", REFACTOR_M, q(PRE, REFACTOR_Q), {}, "not_ready"),
    ("one_readiness_false", REFACTOR_M, q(READY, PRE, REFACTOR_Q, use_case_validated=False), {}, "not_ready"),
    ("eval_set_too_small", REFACTOR_M, q(READY, PRE, REFACTOR_Q, eval_set_size=199), {}, "not_ready"),
    ("eval_set_boundary", REFACTOR_M, q(READY, PRE, REFACTOR_Q, eval_set_size=200), {}, "refactor"),
    ("owner_blank", REFACTOR_M, q(READY, PRE, REFACTOR_Q, named_owner="  "), {}, "not_ready"),
    ("all_met_refactor", REFACTOR_M, q(READY, PRE, REFACTOR_Q), {}, "refactor"),
    ("precondition_false", REFACTOR_M, q(READY, PRE, REFACTOR_Q, data_model_fit=False), {}, "rebuild"),
    ("security_not_patchable", REFACTOR_M, q(READY, PRE, REFACTOR_Q, security_debt_patchable=False), {}, "rebuild"),
    ("trigger_model_choice", REFACTOR_M, q(READY, PRE, REFACTOR_Q, model_choice_fits=False), {}, "rebuild"),
    ("model_choice_fits", REFACTOR_M, q(READY, PRE, REFACTOR_Q, model_choice_fits=True), {}, "refactor"),
    ("trigger_predates_feedback", REFACTOR_M, q(READY, PRE, REFACTOR_Q, predates_feedback=True), {}, "rebuild"),
    ("signals_mostly_rebuild", {**REFACTOR_M, "complex_function_share": 0.4, "test_ratio": 0.01,
                                "severe_security_findings": 6},
     q(READY, PRE, core_logic_sound=False), {}, "rebuild"),
    ("signals_tied_go_refactor", {**REFACTOR_M, "complex_function_share": 0.4, "test_ratio": 0.01},
     q(READY, PRE, core_logic_sound=False, fits_in_sprint=True), {}, "refactor"),
    ("signal_override_to_rebuild", REFACTOR_M, q(READY, PRE, REFACTOR_Q),
     {"core_logic": "rebuild", "timeline": "rebuild", "code_quality": "rebuild", "test_coverage": "rebuild"}, "rebuild"),
    ("engineers_from_metric_false", {**REFACTOR_M, "top_authors_active": False},
     q(READY, REFACTOR_Q, data_model_fit=True, security_debt_patchable=True), {}, "rebuild"),
    ("engineers_from_metric_true", REFACTOR_M, q(READY, REFACTOR_Q, data_model_fit=True, security_debt_patchable=True),
     {}, "refactor"),
    ("engineers_answer_overrides_metric", {**REFACTOR_M, "top_authors_active": False}, q(READY, PRE, REFACTOR_Q), {},
     "refactor"),
    ("security_from_structural_metric", {**REFACTOR_M, "no_structural_security_findings": False},
     q(READY, REFACTOR_Q, data_model_fit=True, engineers_available=True), {}, "rebuild"),
]


@pytest.mark.parametrize("metrics, questions, signals, verdict", [pytest.param(*c[1:], id=c[0]) for c in VERDICT_CASES])
def test_verdict(metrics, questions, signals, verdict):
    assert run(metrics, questions, signals).verdict == verdict


ENGINEER_CASES = [
    # (case id, top_authors_active metric, engineers_available answer, holds, source)
    ("metric_true", True, None, True, "evidence"),
    ("metric_false", False, None, False, "evidence"),
    ("metric_unknown", None, None, None, None),
    ("answer_overrides_true_metric", True, False, False, "auditor"),
    ("answer_overrides_false_metric", False, True, True, "auditor"),
    ("answer_without_metric", None, True, True, "auditor"),
]


@pytest.mark.parametrize("metric, answer, holds, source", [pytest.param(*c[1:], id=c[0]) for c in ENGINEER_CASES])
def test_engineers_available_falls_back_to_evidence(metric, answer, holds, source):
    questions = {} if answer is None else {"engineers_available": answer}
    c = run({"top_authors_active": metric}, questions).preconditions["engineers_available"]
    assert (c.holds, c.source) == (holds, source)
    assert c.value == (answer if answer is not None else metric)


NOT_READY_FLIPS = [
    # (case id, readiness answers, other answers, flips required, verdict that would follow)
    ("one_unmet", dict(READY, use_case_validated=False), q(PRE, REFACTOR_Q), ["use_case_validated"], "refactor"),
    ("two_unmet", {"eval_set_size": 250}, q(PRE, REFACTOR_Q), ["use_case_validated", "named_owner"], "refactor"),
    ("all_unmet_then_rebuild", {}, q(PRE, REFACTOR_Q, data_model_fit=False),
     ["use_case_validated", "evaluation_set", "named_owner"], "rebuild"),
    ("unmet_then_trigger", {"use_case_validated": True, "named_owner": "Bo"}, q(PRE, REFACTOR_Q, predates_feedback=True),
     ["evaluation_set"], "rebuild"),
]


@pytest.mark.parametrize("ready, others, unmet, to", [pytest.param(*c[1:], id=c[0]) for c in NOT_READY_FLIPS])
def test_not_ready_flip_lists_exactly_the_unmet_readiness(ready, others, unmet, to):
    d = run(REFACTOR_M, q(ready, others))
    assert d.verdict == "not_ready"
    assert d.flip.requires == [READINESS_FLIP[i] for i in unmet]
    assert d.flip.to == to
    # and the flip is right: meeting those conditions gives the stated verdict
    assert run(REFACTOR_M, q(READY, others)).verdict == to


def test_rebuild_flip_names_failing_preconditions_and_triggers():
    d = run(REFACTOR_M, q(READY, REFACTOR_Q, data_model_fit=False, engineers_available=False, model_choice_fits=False))
    assert d.verdict == "rebuild"
    assert d.flip.to == "refactor"
    assert d.flip.requires == [PRE_FLIP["data_model_fit"], PRE_FLIP["engineers_available"],
                               "not: the model choice is wrong for the validated use case."]


def test_rebuild_flip_unknown_precondition_is_required():
    d = run({**REFACTOR_M, "top_authors_active": None}, q(READY, REFACTOR_Q, data_model_fit=True,
                                                           security_debt_patchable=True))
    assert d.verdict == "rebuild"
    assert d.preconditions["engineers_available"].holds is None
    assert d.flip.requires == [PRE_FLIP["engineers_available"]]


# Only what the preconditions read; signals measured from evidence are set per case.
BARE_M = {"top_authors_active": True, "no_structural_security_findings": True, "functions_measured": 100}

# Signals: data_model points to refactor through data_model_fit=True in PRE; the rest set per case.
SIGNAL_FLIP_CASES = [
    # (case id, metrics, extra answers, expected signal flips (ids, evidence-measured ones first))
    ("three_vs_one_needs_one", {**BARE_M, "complex_function_share": 0.5},
     dict(core_logic_sound=False, fits_in_sprint=False), ["code_quality"]),
    ("four_vs_one_needs_two", {**BARE_M, "complex_function_share": 0.5, "test_ratio": 0.0},
     dict(core_logic_sound=False, fits_in_sprint=False), ["code_quality", "test_coverage"]),
    ("two_vs_one_needs_one_opinion", BARE_M,
     dict(core_logic_sound=False, fits_in_sprint=False), ["core_logic"]),
]


@pytest.mark.parametrize("metrics, extra, flips", [pytest.param(*c[1:], id=c[0]) for c in SIGNAL_FLIP_CASES])
def test_rebuild_flip_minimal_signal_flips(metrics, extra, flips):
    d = run(metrics, q(READY, PRE, extra))
    assert d.verdict == "rebuild"
    assert all(c.holds for c in d.preconditions.values())
    assert d.flip.requires == [SIGNAL_FLIP[s] for s in flips]
    # minimal: flipping the named signals gives refactor, flipping one fewer does not
    assert run(metrics, q(READY, PRE, extra), {s: "refactor" for s in flips}).verdict == "refactor"
    assert run(metrics, q(READY, PRE, extra), {s: "refactor" for s in flips[:-1]}).verdict == "rebuild"


def test_refactor_flip_names_every_precondition():
    d = run(REFACTOR_M, q(READY, PRE, REFACTOR_Q))
    assert d.flip.to == "rebuild"
    [req] = d.flip.requires
    assert req.startswith("any one of: ")
    assert req.count(" turns out false") == 3


def test_signal_override_via_answers():
    d = run(REFACTOR_M, q(READY, PRE, REFACTOR_Q), {"core_logic": "rebuild"})
    s = d.signals["core_logic"]
    assert (s.points_to, s.source, s.says) == ("rebuild", "auditor", "flawed or unscalable by design")
    assert "signal core_logic: points to rebuild: flawed or unscalable by design (auditor)" in d.rationale


@pytest.mark.parametrize("share, side", [(0.15, "refactor"), (0.1501, "rebuild"), (0.0, "refactor"), (None, None)])
def test_code_quality_signal_boundary(share, side):
    s = run({"complex_function_share": share, "functions_measured": 100}).signals["code_quality"]
    assert s.points_to == side
    assert s.source == ("evidence" if side else None)


def test_every_rationale_line_names_a_condition_or_signal():
    d = run({**REFACTOR_M, "test_ratio": None}, q(READY, PRE, REFACTOR_Q, predates_feedback=True, named_owner=""))
    ids = set(d.readiness) | set(d.preconditions) | set(d.triggers) | set(d.signals)
    assert len(d.rationale) == 3 + 3 + 1 + len(D.signals)
    for line in d.rationale:
        m = re.match(r"(readiness|precondition|rebuild trigger|signal) (\w+): ", line)
        assert m and m.group(2) in ids, line
    assert "readiness named_owner: not established (no answer, no evidence: unanswered)." in d.rationale[2]
    assert "signal test_coverage: not established" in d.rationale


COST_CASES = [
    # (case id, questions, cost_money, currency)
    ("with_currency", {"original_build_cost": 10000, "currency": "EUR"}, (15000.0, 30000.0), "EUR"),
    ("float_cost", {"original_build_cost": 1234.5}, (1851.75, 3703.5), None),
    ("no_cost", {"currency": "USD"}, None, None),
    ("zero_cost", {"original_build_cost": 0}, None, None),
]


@pytest.mark.parametrize("questions, money, currency", [pytest.param(*c[1:], id=c[0]) for c in COST_CASES])
def test_cost_money(questions, money, currency):
    d = run({}, questions)
    lo, hi = D.cost.multiplier
    assert d.cost_multiplier == (lo, hi)
    assert d.cost_money == money
    assert d.currency == currency
    if money:
        assert money == (round(questions["original_build_cost"] * lo, 2), round(questions["original_build_cost"] * hi, 2))
    assert d.weeks == D.weeks.range


def test_a_guarded_signal_is_not_established_on_too_small_a_sample():
    """code_quality judges the share of complex functions only from 20 functions on (decision.yaml guard)."""
    from auditlib.answers import Answers
    from auditlib.decision import decide
    from auditlib.rubric import load_rubric

    rubric = load_rubric()
    few = decide(rubric, {"complex_function_share": 0.25, "functions_measured": 4}, Answers())
    many = decide(rubric, {"complex_function_share": 0.25, "functions_measured": 400}, Answers())
    assert few.signals["code_quality"].points_to is None
    assert many.signals["code_quality"].points_to == "rebuild"


# ------------------------------------------------------------------ findings' confidence (issue 9)
def _finding_metrics(findings) -> dict:
    from auditlib.metrics import compute_metrics
    from tests.factories import make_facts

    m = compute_metrics(make_facts(), findings)
    return {k: m[k] for k in ("severe_security_findings", "structural_security_findings",
                              "no_structural_security_findings")}


def test_low_confidence_findings_do_not_count_towards_a_wide_attack_surface():
    from tests.factories import make_finding

    sure = [make_finding(f"r.{i}", severity="high", confidence=c, fid=f"F-{i}")
            for i, c in enumerate(["high", "medium", "high"])]
    leads = [make_finding(f"h.{i}", severity="critical", confidence="low", fid=f"L-{i}") for i in range(5)]
    assert _finding_metrics(sure + leads)["severe_security_findings"] == 3  # 3 counted: below the rebuild signal's 4


@pytest.mark.parametrize("confidences, expected", [
    ([], True),
    (["medium"], None),          # one pattern alone does not decide a rebuild: the auditor answers
    (["low", "medium"], None),
    (["medium", "high"], False),  # a proven structural flaw does
])
def test_structural_findings_decide_the_precondition_only_when_proven(confidences, expected):
    from tests.factories import make_finding

    findings = [make_finding(f"s.{i}", structural=True, confidence=c, fid=f"S-{i}") for i, c in enumerate(confidences)]
    m = _finding_metrics(findings)
    assert m["no_structural_security_findings"] is expected
    assert m["structural_security_findings"] == len(confidences)  # the hint beside the question shows them all
    cond = run({**REFACTOR_M, "no_structural_security_findings": expected},
               {**READY, **REFACTOR_Q, "data_model_fit": True}).preconditions["security_patchable"]
    assert cond.holds is expected
