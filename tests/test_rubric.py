"""The rubric in checklists/ loads, is complete, and a malformed one is rejected clearly."""

import shutil

import pytest
import yaml

from auditlib.errors import RubricError
from auditlib.metrics import METRICS
from auditlib.probes import PROBES
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric

CATEGORY_IDS = ["security_access", "io_validation", "testing", "observability", "performance", "deployment",
                "incident_response", "cost_governance"]


@pytest.fixture
def rubric_copy(tmp_path):
    dest = tmp_path / "checklists"
    shutil.copytree(DEFAULT_RUBRIC_DIR, dest)
    return dest


def edit(path, fn):
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_shipped_rubric_is_complete():
    r = load_rubric()
    assert list(r.categories) == CATEGORY_IDS
    assert [b.id for b in r.scorecard.bands] == ["high", "moderate", "low"]
    assert [(b.min, b.max) for b in r.scorecard.bands] == [(0, 19), (20, 29), (30, 40)]
    assert len(r.checklist.items) == 20
    assert {i.group for i in r.checklist.items} == {"product", "architecture", "security", "qa"}
    assert [p.id for p in r.phases.phases] == [1, 2, 3, 4, 5]
    assert len(r.decision.preconditions) == 3 and len(r.decision.readiness) == 3
    assert r.decision.cost.multiplier == (1.5, 3.0) and r.decision.weeks.range == (6, 16)
    assert r.version


def test_every_rule_has_a_probe_and_every_probe_a_rule():
    r = load_rubric()
    assert set(r.rules.rules) == set(PROBES)


def test_rule_namespaces_are_the_documented_ones():
    allowed = {"secret", "dependency", "llm", "complexity", "architecture", "testing", "ci", "deployment",
               "observability", "incident", "history", "http", "web", "errors", "integration", "auth",
               "performance", "db", "validation"}
    assert {rid.split(".")[0] for rid in load_rubric().rules.rules} <= allowed


def test_every_metric_named_by_the_rubric_exists():
    r = load_rubric()
    named = {line.metric for c in r.scorecard.categories for line in c.evidence}
    named |= {m for cond in r.conditions() for m in (cond.metric, cond.default_metric) if m}
    assert named <= set(METRICS)


def test_every_rule_states_its_confidence():
    """A rule's default confidence decides whether its findings may cap a category (scorecard.yaml
    cap_confidence): each rule says it in rules.yaml rather than falling back on the model's default."""
    raw = yaml.safe_load((DEFAULT_RUBRIC_DIR / "rules.yaml").read_text(encoding="utf-8"))["rules"]
    missing = sorted(rid for rid, rule in raw.items() if "confidence" not in rule)
    assert not missing, f"rules without a confidence: {missing}"
    r = load_rubric()
    assert r.scorecard.cap_confidence == ["high"]
    # facts of the tree and provider formats are certain; heuristics are not
    assert r.rule("ci.missing").confidence == r.rule("secret.committed_credential").confidence == "high"
    assert r.rule("secret.generic_high_entropy").confidence == "low"


def test_band_for_boundaries():
    r = load_rubric()
    assert [r.band_for(t).id for t in (0, 19, 20, 29, 30, 40)] == ["high", "high", "moderate", "moderate", "low", "low"]


@pytest.mark.parametrize("file,mutate,message", [
    ("scorecard.yaml", lambda d: d["categories"].pop(), "must have 8"),
    ("scorecard.yaml", lambda d: d["categories"][0]["levels"].pop(3), "0, 3 and 5"),
    ("scorecard.yaml", lambda d: d["bands"][1].__setitem__("min", 21), "without gaps"),
    ("scorecard.yaml", lambda d: d["categories"][0]["evidence"][0].__setitem__("metric", "no_such_metric"), "unknown metric"),
    ("checklist.yaml", lambda d: d["items"].pop(), "must have 20"),
    ("checklist.yaml", lambda d: d["items"][0].__setitem__("group", "nowhere"), "unknown group"),
    ("checklist.yaml", lambda d: d["items"][0].__setitem__("evidence", {}), "name the evidence"),
    ("checklist.yaml", lambda d: d["items"][0].__setitem__("evidence", {"questions": ["nope"]}), "unknown question"),
    ("rules.yaml", lambda d: d["rules"]["ci.missing"].__setitem__("severity", "catastrophic"), "severity"),
    ("rules.yaml", lambda d: d["rules"]["ci.missing"].__setitem__("category", "vibes"), "unknown category"),
    ("rules.yaml", lambda d: d["rules"]["ci.missing"].__setitem__("phase", 9), "phase"),
    ("rules.yaml", lambda d: d["rules"]["ci.missing"].__setitem__("confidence", "certain"), "confidence"),
    ("scorecard.yaml", lambda d: d.__setitem__("cap_confidence", ["sure"]), "cap_confidence"),
    ("decision.yaml", lambda d: d["preconditions"].pop(), "3 refactor preconditions"),
    ("decision.yaml", lambda d: d["readiness"][0]["when"].__setitem__("question", "no_such_question"), "unknown question"),
    ("phases.yaml", lambda d: d["phases"].pop(), "1 to 5"),
])
def test_malformed_rubric_is_rejected_with_a_clear_message(rubric_copy, file, mutate, message):
    edit(rubric_copy / file, mutate)
    with pytest.raises(RubricError) as err:
        load_rubric(rubric_copy)
    text = str(err.value)
    assert message in text
    assert file in text or str(rubric_copy) in text


def test_invalid_yaml_and_missing_file_are_reported(rubric_copy):
    (rubric_copy / "phases.yaml").write_text("phases: [unclosed")
    with pytest.raises(RubricError, match="phases.yaml: not valid YAML"):
        load_rubric(rubric_copy)
    (rubric_copy / "phases.yaml").unlink()
    with pytest.raises(RubricError, match="missing rubric file"):
        load_rubric(rubric_copy)


def test_a_rule_without_a_probe_is_caught(rubric_copy):
    edit(rubric_copy / "rules.yaml", lambda d: d["rules"].__setitem__("llm.made_up", dict(d["rules"]["ci.missing"])))
    with pytest.raises(RubricError, match="llm.made_up: no probe is registered"):
        load_rubric(rubric_copy)
