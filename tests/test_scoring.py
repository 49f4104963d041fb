"""Scorecard and checklist: condition tests, suggested scores, provenance, bands, checklist answers."""

from __future__ import annotations

import pytest

from auditlib.answers import Answers
from auditlib.rubric import DEFAULT_RUBRIC_DIR, Category, EvidenceLine, load_rubric
from auditlib.scoring import build_checklist, build_scorecard, condition_holds, suggest_category
from tests.factories import make_finding

RUBRIC = load_rubric(DEFAULT_RUBRIC_DIR)
CAPS = dict(RUBRIC.scorecard.severity_caps)
CATEGORY_IDS = list(RUBRIC.categories)


# --------------------------------------------------------------------------------- condition_holds
CONDITION_CASES = [
    # (case id, value, condition keywords, expected)
    ("none_equals", None, dict(equals=True), None),
    ("none_at_least", None, dict(at_least=1), None),
    ("none_present", None, dict(present=True), None),
    ("true_equals_true", True, dict(equals=True), True),
    ("false_equals_true", False, dict(equals=True), False),
    ("false_equals_false", False, dict(equals=False), True),
    ("true_equals_false", True, dict(equals=False), False),
    ("at_least_above", 0.95, dict(at_least=0.9), True),
    ("at_least_boundary", 0.9, dict(at_least=0.9), True),
    ("at_least_below", 0.89, dict(at_least=0.9), False),
    ("at_most_zero_ok", 0, dict(at_most=0), True),
    ("at_most_over", 1, dict(at_most=0), False),
    ("range_inside", 5, dict(at_least=1, at_most=10), True),
    ("range_below", 0, dict(at_least=1, at_most=10), False),
    ("range_above", 11, dict(at_least=1, at_most=10), False),
    ("present_text", "Ana", dict(present=True), True),
    ("present_blank", "   ", dict(present=True), False),
    ("present_false_blank", "", dict(present=False), True),
    ("no_condition", 3, dict(), True),
]


@pytest.mark.parametrize("value, kw, expected", [pytest.param(v, k, e, id=i) for i, v, k, e in CONDITION_CASES])
def test_condition_holds(value, kw, expected):
    assert condition_holds(value, **kw) is expected


# -------------------------------------------------------------------------------- suggest_category
def synthetic_category(points: list[int]) -> Category:
    """A category whose evidence lines read metrics m0, m1, ... (true when the metric is True)."""
    return Category(id="security_access", title="T", covers="c", levels={0: "a", 3: "b", 5: "c"},
                    evidence=[EvidenceLine(metric=f"m{i}", equals=True, points=p, says=f"line {i}")
                              for i, p in enumerate(points)])


SUGGEST_CASES = [
    # (case id, points per line, metrics, findings' severities (all of high confidence), expected score)
    ("points_add_up", [1, 2, 1], {"m0": True, "m1": True, "m2": False}, [], 3),
    ("false_lines_earn_nothing", [1, 2, 1], {"m0": False, "m1": False, "m2": False}, [], 0),
    ("cap_at_five", [3, 3, 2], {"m0": True, "m1": True, "m2": True}, [], 5),
    ("unmeasured_line_ignored", [2, 2], {"m0": True}, [], 2),
    ("critical_caps_to_zero", [2, 2], {"m0": True, "m1": True}, ["critical"], 0),
    ("high_caps_to_one", [2, 2], {"m0": True, "m1": True}, ["high"], 1),
    ("medium_caps_to_three", [3, 2], {"m0": True, "m1": True}, ["medium"], 3),
    ("low_caps_to_four", [3, 2], {"m0": True, "m1": True}, ["low"], 4),
    ("info_does_not_cap", [3, 2], {"m0": True, "m1": True}, ["info"], 5),
    ("worst_finding_caps", [3, 2], {"m0": True, "m1": True}, ["low", "high", "info"], 1),
    ("cap_above_points_keeps_points", [1], {"m0": True}, ["low"], 1),
    ("finding_but_nothing_measured", [2], {}, ["medium"], 0),
    ("open", [2, 2], {}, [], None),
]


@pytest.mark.parametrize("points, metrics, severities, expected",
                         [pytest.param(p, m, s, e, id=i) for i, p, m, s, e in SUGGEST_CASES])
def test_suggest_category(points, metrics, severities, expected):
    findings = [make_finding(f"r.{i}", severity=s, confidence="high") for i, s in enumerate(severities)]
    score, basis = suggest_category(synthetic_category(points), findings, metrics, CAPS)
    assert score == expected
    assert len([b for b in basis if not b.startswith("capped")]) == len(points)


def test_suggest_category_basis_explains_points_and_cap():
    findings = [make_finding("r.1", severity="high", title="Key in code", confidence="high", path="app.py", line=3)]
    score, basis = suggest_category(synthetic_category([2, 1, 1]), findings, {"m0": True, "m1": False}, CAPS)
    assert score == 1
    assert basis == ["+2: line 0", "+0: not shown that line 1", "not measured: line 2",
                     f"capped at {CAPS['high']} by a high-severity finding of high confidence: Key in code (app.py:3)"]


# ------------------------------------------------------------------------- confidence and caps
@pytest.mark.parametrize("confidence", ["medium", "low"])
def test_a_less_certain_high_finding_does_not_cap(confidence):
    """Issue 9: one wrong high finding (a pattern, a heuristic) must not cap a whole category at 1."""
    findings = [make_finding("r.1", severity="high", title="Endpoint without authentication: /api/x",
                             confidence=confidence, path="api.py", line=7)]
    score, basis = suggest_category(synthetic_category([2, 2]), findings, {"m0": True, "m1": True}, CAPS)
    assert score == 4
    assert not [b for b in basis if b.startswith("capped")]
    assert basis[-1] == (f"not capped at {CAPS['high']}: a high-severity finding of {confidence} confidence is a lead "
                         "to verify, not proof: Endpoint without authentication: /api/x (api.py:7)")


def test_a_high_confidence_finding_caps_and_the_basis_names_it():
    certain = make_finding("r.1", severity="high", title="Credential in code: openai api key", confidence="high",
                           path="app.py", line=3)
    unsure = make_finding("r.2", severity="critical", title="Model output run as SQL", confidence="medium")
    score, basis = suggest_category(synthetic_category([2, 2]), [unsure, certain], {"m0": True, "m1": True}, CAPS)
    assert score == CAPS["high"] == 1  # the medium-confidence critical does not take it to 0
    assert "capped at 1 by a high-severity finding of high confidence: Credential in code: openai api key (app.py:3)" in basis
    assert ("not capped at 0: a critical-severity finding of medium confidence is a lead to verify, not proof: "
            "Model output run as SQL") in basis


def test_the_cap_line_counts_the_other_certain_findings_of_the_same_severity():
    findings = [make_finding(f"r.{i}", severity="high", title=f"key {i}", confidence="high") for i in range(3)]
    _, basis = suggest_category(synthetic_category([5]), findings, {"m0": True}, CAPS)
    assert basis[-1] == "capped at 1 by a high-severity finding of high confidence: key 0 (and 2 more of that severity)"


def test_a_less_certain_finding_that_would_not_cap_lower_is_not_mentioned():
    certain = make_finding("r.1", severity="high", confidence="high")
    unsure = make_finding("r.2", severity="medium", confidence="medium")  # its cap (3) is above the score
    _, basis = suggest_category(synthetic_category([5]), [certain, unsure], {"m0": True}, CAPS)
    assert not [b for b in basis if b.startswith("not capped")]


def test_cap_confidence_comes_from_the_rubric(tmp_path):
    """The knob lives in scorecard.yaml: a rubric that lets medium-confidence findings cap does so."""
    import shutil

    import yaml

    shutil.copytree(DEFAULT_RUBRIC_DIR, tmp_path / "rubric")
    path = tmp_path / "rubric" / "scorecard.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["cap_confidence"] == ["high"]
    data["cap_confidence"] = ["high", "medium"]
    path.write_text(yaml.safe_dump(data))
    rubric = load_rubric(tmp_path / "rubric")
    finding = make_finding("r.1", category="observability", severity="high", confidence="medium")
    shipped = build_scorecard(RUBRIC, [finding], observability_metrics(5), Answers()).categories["observability"]
    custom = build_scorecard(rubric, [finding], observability_metrics(5), Answers()).categories["observability"]
    assert (shipped.suggested, custom.suggested) == (5, 1)
    assert custom.basis[-1].startswith("capped at 1 by a high-severity finding of medium confidence")


def test_a_rubric_without_cap_confidence_caps_with_high_confidence_only(tmp_path):
    """A consultancy's own rubric written before confidence existed still loads."""
    import shutil

    import yaml

    shutil.copytree(DEFAULT_RUBRIC_DIR, tmp_path / "rubric")
    path = tmp_path / "rubric" / "scorecard.yaml"
    data = yaml.safe_load(path.read_text())
    del data["cap_confidence"]
    path.write_text(yaml.safe_dump(data))
    assert load_rubric(tmp_path / "rubric").scorecard.cap_confidence == ["high"]


def test_suggest_category_ignores_findings_of_other_categories():
    other = [make_finding("r.1", category="testing", severity="critical")]
    score, _ = suggest_category(synthetic_category([2]), other, {"m0": True}, CAPS)
    assert score == 2


def test_critical_finding_uses_the_rubric_cap():
    cat = RUBRIC.categories["security_access"]
    metrics = {line.metric: (0 if line.at_most is not None else (1.0 if line.at_least else True)) for line in cat.evidence}
    full, _ = suggest_category(cat, [], metrics, CAPS)
    assert full == 5
    capped, _ = suggest_category(cat, [make_finding(severity="critical", confidence="high")], metrics, CAPS)
    assert capped == CAPS["critical"] == 0


# --------------------------------------------------------------------------------- build_scorecard
def scores_answers(values: list[int]) -> Answers:
    return Answers(scores={cid: {"score": v} for cid, v in zip(CATEGORY_IDS, values, strict=False)})


@pytest.mark.parametrize("values, band", [
    ([5, 5, 5, 4, 0, 0, 0, 0], "high"),       # 19
    ([5, 5, 5, 5, 0, 0, 0, 0], "moderate"),   # 20
    ([5, 5, 5, 5, 5, 4, 0, 0], "moderate"),   # 29
    ([5, 5, 5, 5, 5, 5, 0, 0], "low"),        # 30
    ([0] * 8, "high"),
    ([5] * 8, "low"),
])
def test_total_and_band_boundaries(values, band):
    card = build_scorecard(RUBRIC, [], {}, scores_answers(values))
    assert card.total == sum(values)
    assert card.band == band
    assert card.band_label == RUBRIC.band_for(sum(values)).label
    assert card.provisional is False
    assert card.provenance["attested"] == 8
    assert all(c.source == "auditor" for c in card.categories.values())


def observability_metrics(n_true: int) -> dict:
    lines = RUBRIC.categories["observability"].evidence
    return {line.metric: i < n_true for i, line in enumerate(lines)}


PROVENANCE_CASES = [
    # (case id, metrics, observability answer, expected score, suggested, source, provenance)
    ("auto", observability_metrics(3), None, 3, 3, "auto", "auto"),
    ("confirmed", observability_metrics(3), {"score": 3}, 3, 3, "auditor", "confirmed"),
    ("overridden", observability_metrics(3), {"score": 1, "reason": "logs are useless"}, 1, 3, "auditor", "overridden"),
    ("attested", {}, {"score": 4}, 4, None, "auditor", "attested"),
    ("open", {}, None, None, None, None, "open"),
]


@pytest.mark.parametrize("metrics, answer, score, suggested, source, provenance",
                         [pytest.param(*c[1:], id=c[0]) for c in PROVENANCE_CASES])
def test_score_provenance(metrics, answer, score, suggested, source, provenance):
    answers = Answers(scores={"observability": answer} if answer else {})
    cat = build_scorecard(RUBRIC, [], metrics, answers).categories["observability"]
    assert (cat.score, cat.suggested, cat.source, cat.provenance) == (score, suggested, source, provenance)


def test_auditor_note_or_reason_is_carried():
    answers = Answers(scores={"observability": {"score": 1, "reason": "logs are useless"},
                              "testing": {"score": 2, "note": "seen in review", "reason": "r"}})
    cats = build_scorecard(RUBRIC, [], {}, answers).categories
    assert cats["observability"].note == "logs are useless"
    assert cats["testing"].note == "seen in review"


def test_open_category_makes_scorecard_provisional_and_counts_zero():
    answers = scores_answers([4] * 7)  # the eighth category is left open
    card = build_scorecard(RUBRIC, [], {}, answers)
    last = card.categories[CATEGORY_IDS[-1]]
    assert last.provenance == "open" and last.score is None
    assert card.provisional is True
    assert card.total == 28
    assert card.provenance == {"auto": 0, "confirmed": 0, "overridden": 0, "attested": 7, "open": 1}


def test_scorecard_lists_finding_ids_per_category_and_caps():
    findings = [make_finding("a", category="observability", severity="medium", fid="F-1", confidence="high"),
                make_finding("b", category="testing", severity="high", fid="F-2", confidence="high")]
    card = build_scorecard(RUBRIC, findings, observability_metrics(5), Answers())
    assert card.categories["observability"].evidence == ["F-1"]
    assert card.categories["observability"].score == 3  # 5 points, capped by the medium finding
    assert card.categories["testing"].evidence == ["F-2"]
    assert card.categories["testing"].score == 0  # nothing measured, a finding: no points
    assert card.categories["security_access"].evidence == []


# --------------------------------------------------------------------------------- build_checklist
def entries(findings, answers=None) -> dict:
    return {e.id: e for e in build_checklist(RUBRIC, findings, {}, answers or Answers())}


def test_checklist_never_auto_yes():
    out = entries([])
    assert len(out) == 20
    assert all(e.answer is None and e.provenance == "open" and e.source is None for e in out.values())


CHECKLIST_CASES = [
    # (case id, finding rule, item, expected answer, source, provenance)
    ("auto_no_fires", "architecture.mixed_layers", "architecture.decoupled", "no", "auto", "auto"),
    ("auto_no_secret", "secret.in_history", "security.secrets_manager", "no", "auto", "auto"),
    ("evidence_only_glob", "secret.placeholder", "security.secrets_manager", None, None, "open"),
    ("evidence_only", "llm.hardcoded_model", "architecture.versions_tracked", None, None, "open"),
]


@pytest.mark.parametrize("rule, item, answer, source, provenance", [pytest.param(*c[1:], id=c[0]) for c in CHECKLIST_CASES])
def test_checklist_auto_answers(rule, item, answer, source, provenance):
    f = make_finding(rule, fid="F-9")
    e = entries([f])[item]
    assert (e.answer, e.source, e.provenance) == (answer, source, provenance)
    assert e.evidence == ["F-9"]
    assert e.note == ("pre-answered from evidence" if answer else "")


AUDITOR_CASES = [
    # (case id, findings' rules, item, auditor answer, expected answer, provenance)
    ("overrides_auto_no", ["architecture.mixed_layers"], "architecture.decoupled", {"answer": "yes"}, "yes", "overridden"),
    ("confirms_auto_no", ["architecture.mixed_layers"], "architecture.decoupled", {"answer": "no"}, "no", "confirmed"),
    ("attests_without_evidence", [], "product.human_review", {"answer": "yes"}, "yes", "attested"),
    ("exception", ["ci.missing"], "qa.rollback_tested", {"answer": "exception", "note": "manual rollback drill signed off"},
     "exception", "overridden"),
]


@pytest.mark.parametrize("rules, item, ans, answer, provenance", [pytest.param(*c[1:], id=c[0]) for c in AUDITOR_CASES])
def test_checklist_auditor_answer_wins(rules, item, ans, answer, provenance):
    e = entries([make_finding(r) for r in rules], Answers(checklist={item: ans}))[item]
    assert (e.answer, e.source, e.provenance) == (answer, "auditor", provenance)
    assert e.note == ans.get("note", "")
