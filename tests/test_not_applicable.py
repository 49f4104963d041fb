"""Categories that do not apply (issue 12): a repository that calls no model has no model cost to govern.
The category is marked not applicable (``applies_when`` of scorecard.yaml), the total is reported out of
the categories that apply and the band read from it scaled to 0-40; every reader copes with a None score."""

from __future__ import annotations

import json
import shutil
from datetime import UTC
from pathlib import Path

import pytest

from auditlib.answers import Answers, ScoreAnswer
from auditlib.errors import RubricError
from auditlib.metrics import compute_metrics
from auditlib.models import CodeFacts, LLMCallSite
from auditlib.probes import run_probes
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric
from auditlib.scoring import build_scorecard, scale_total, total_text

from .factories import make_facts, with_code

RUBRIC = load_rubric()
OTHERS = [c for c in RUBRIC.categories if c != "cost_governance"]


def call(path: str, line: int = 3) -> LLMCallSite:
    return LLMCallSite(path=path, line=line, function="f", provider="openai", api="client.chat.completions.create")


def scores(value: int, cats=OTHERS) -> Answers:
    return Answers(scores={c: ScoreAnswer(score=value) for c in cats})


def test_model_calls_in_tests_only_are_no_model_cost():
    facts = make_facts(code=CodeFacts(llm_calls=[call("tests/rules/x/good.py"), call("evals/run_eval.py")]))
    m = compute_metrics(facts, [])
    assert m["llm_calls"] == 2 and m["app_llm_calls"] == 0
    assert m["llm_timeout_share"] is None  # nothing of the application to measure
    app = make_facts(code=CodeFacts(llm_calls=[call("app.py"), call("scripts/batch.py"), call("tests/t.py")]))
    assert compute_metrics(app, [])["app_llm_calls"] == 2


def test_a_repository_without_model_calls_has_cost_governance_not_applicable():
    card = build_scorecard(RUBRIC, [], {"app_llm_calls": 0}, scores(4))
    cost = card.categories["cost_governance"]
    assert cost.applicable is False and cost.score is None and cost.suggested is None
    assert cost.basis == [("not applicable: no model call in the application code or its scripts: there is no "
                           "model cost to govern (app_llm_calls = 0)")]
    assert card.not_applicable == ["cost_governance"]
    assert (card.total, card.max_total, card.scaled_total) == (28, 35, 32)
    assert card.band == "low"  # 28/35 is 32/40; out of 40 it would read 28, moderate
    assert card.out_of == "28 / 35 (32 / 40 scaled)"
    assert card.provisional is False and sum(card.provenance.values()) == 7


def test_the_scaled_total_is_rounded_down_never_into_a_better_band():
    assert scale_total(17, 35) == 19 and scale_total(26, 35) == 29 and scale_total(35, 35) == 40
    card = build_scorecard(RUBRIC, [], {"app_llm_calls": 0},
                           Answers(scores={c: ScoreAnswer(score=s) for c, s in zip(OTHERS, [3, 3, 3, 2, 2, 2, 2], strict=False)}))
    assert (card.total, card.scaled_total, card.band) == (17, 19, "high")
    assert scale_total(0, 0) == 0 and total_text(12) == "12 / 40" and total_text(None) == "—"


@pytest.mark.parametrize("metrics", [{}, {"app_llm_calls": None}, {"app_llm_calls": 1}])
def test_an_unmeasured_or_positive_metric_keeps_the_category(metrics):
    card = build_scorecard(RUBRIC, [], metrics, Answers())
    assert card.categories["cost_governance"].applicable is True
    assert card.max_total == 40 and card.not_applicable == [] and card.scaled_total == card.total


def test_an_auditors_score_makes_the_category_apply():
    card = build_scorecard(RUBRIC, [], {"app_llm_calls": 0}, scores(4, RUBRIC.categories))
    cost = card.categories["cost_governance"]
    assert cost.applicable is True and cost.score == 4 and cost.provenance == "attested"
    assert cost.basis[0].startswith("applies because the auditor scored it")
    assert (card.total, card.max_total) == (32, 40)


def test_applies_when_must_name_a_known_metric(tmp_path: Path):
    rubric = tmp_path / "rubric"
    shutil.copytree(DEFAULT_RUBRIC_DIR, rubric)
    text = (rubric / "scorecard.yaml").read_text(encoding="utf-8")
    (rubric / "scorecard.yaml").write_text(text.replace("metric: app_llm_calls, at_least: 1",
                                                        "metric: no_such_metric, at_least: 1"), encoding="utf-8")
    with pytest.raises(RubricError, match="applies_when: unknown metric 'no_such_metric'"):
        load_rubric(rubric)


def test_probes_of_the_model_surface_ignore_calls_in_tests():
    tests_only = make_facts(code=CodeFacts(llm_calls=[call("tests/fixtures/bot.py")]), **with_code())
    fired = {f.rule for f in run_probes(tests_only, RUBRIC)}
    assert not fired & {"llm.no_token_tracking", "llm.no_feature_flag", "architecture.no_rate_limiting"}
    app = make_facts(code=CodeFacts(llm_calls=[call("app.py")]), **with_code())
    assert {"llm.no_token_tracking", "llm.no_feature_flag"} <= {f.rule for f in run_probes(app, RUBRIC)}


# ----------------------------------------------------------------------------------------------- readers
@pytest.fixture(scope="module")
def no_model_audit(tmp_path_factory):
    """A small service (deployed by its Procfile) with no model call at all: only cost governance is left out
    (a command-line tool with no service leaves out observability and performance too: test_project_scope)."""
    from datetime import datetime

    from auditlib import AuditContext, audit

    from .gitrepo import make_repo

    repo = make_repo(tmp_path_factory.mktemp("na") / "tool", {
        "tool.py": "import sys\n\ndef main():\n    print(sys.argv)\n", "Procfile": "web: python tool.py\n",
        "tests/test_tool.py": "from tool import main\n\ndef test_main():\n    main()\n"})
    return audit(AuditContext(target=repo, source=str(repo), offline=True, progress=lambda _m: None,
                              now=datetime(2026, 11, 22, tzinfo=UTC)))


def test_the_audit_of_a_repository_without_model_calls(no_model_audit):
    sc = no_model_audit.scorecard
    assert sc.not_applicable == ["cost_governance"] and sc.max_total == 35
    assert sc.band == load_rubric().band_for(sc.scaled_total).id


def test_the_report_says_so_on_the_cover_and_in_the_scorecard(no_model_audit):
    from auditlib import report

    r = no_model_audit
    cover = report.cover(r).body
    assert "Not applicable: Cost governance (no model call in the application code" in cover
    assert "The total is out of 35 for the 7 categories that apply" in cover
    assert "of 7 applicable categories from evidence only" in cover
    summary = report.executive_summary(r).body
    assert f"{r.scorecard.total} / 35 ({r.scorecard.scaled_total} / 40 scaled)" in summary
    table = report.scorecard_table(r).body
    assert "<td>Cost governance</td><td>n/a</td>" in table
    chart = report.scorecard_chart(r).body
    assert chart.startswith("<img")  # drawn, not the could-not-be-drawn note


def test_the_workbook_summary_shows_the_total_out_of_the_categories_that_apply(no_model_audit):
    from auditlib.workbook import summary_html

    body = summary_html(no_model_audit).body
    assert "/ 35" in body and "Not applicable: Cost governance" in body


def test_the_diff_compares_an_audit_with_a_category_not_applicable(no_model_audit, tmp_path: Path):
    from auditlib.diff import compare, render_html

    old = no_model_audit.model_copy(deep=True)
    data = json.loads(old.to_json())
    cost = data["scorecard"]["categories"]["cost_governance"]
    cost.update(score=2, suggested=2, applicable=True, provenance="auto", source="auto")
    data["scorecard"].update(total=data["scorecard"]["total"] + 2, max_total=40, scaled_total=None,
                             not_applicable=[])
    from auditlib.audit import AuditResult

    before = AuditResult.model_validate(data)
    d = compare(before, no_model_audit)
    (row,) = [c for c in d.scores.categories if c.id == "cost_governance"]
    assert (row.old, row.new, row.delta, row.new_applicable) == (2, None, None, False)
    assert d.scores.total.new == no_model_audit.scorecard.scaled_total
    html = render_html(d)
    assert "<td>Cost governance</td><td>2</td><td>n/a</td>" in html
    assert f"({no_model_audit.scorecard.total} / 35)" in html


def test_the_portfolio_reads_a_category_not_applicable(no_model_audit, tmp_path: Path):
    from auditlib import portfolio

    folder = tmp_path / "audits"
    no_model_audit.write(folder / "tool" / "results.json")
    p = portfolio.load(folder)
    row = p.targets.iloc[0]
    assert row["total"] == no_model_audit.scorecard.scaled_total
    assert row["not_applicable"] == "cost_governance"
    assert portfolio.score_matrix(p)["cost_governance"].isna().all()
    assert portfolio.targets_table(p).body.count("<tr>") == 2
    assert portfolio.heatmap(p).body.startswith("<img")
