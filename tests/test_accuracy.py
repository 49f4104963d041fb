"""The accuracy bar of the evidence engine, measured on the synthetic corpus (tests/corpus.py).

Targets (issue 3): 100 % of planted provider-shaped secrets found (tree and history), at least 90 % of
planted model-call defects found, zero critical or high findings on the control's decoys.
Targets (issue 11): 100 % of the planted web-application defects found (at least 25 planted, of
all 16 kinds of WEB_RULES, at least 10 kinds in each prototype), none of those rules (nor endpoint_without_auth or
sql_string_building) firing on the control's decoys, and each decoy reported once its guard is removed.
benchmarks/accuracy.py prints the same numbers for the README.
"""

import pytest

from tests.corpus import (
    WEB_RULES,
    audit_corpus,
    build_control,
    build_python_prototype,
    build_ts_prototype,
    decoy_hits,
    recall,
    severe,
)

BUILDERS = {"python": build_python_prototype, "typescript": build_ts_prototype}


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    out = {}
    for name, build in BUILDERS.items():
        corpus = build(base / name)
        out[name] = (corpus, audit_corpus(corpus))
    return out


@pytest.fixture(scope="module")
def control(tmp_path_factory):
    return audit_corpus(build_control(tmp_path_factory.mktemp("control") / "control"))


@pytest.mark.parametrize("name", BUILDERS)
def test_every_planted_secret_is_found(audited, name):
    corpus, result = audited[name]
    got = recall(corpus, result)["secret"]
    assert not got["missed"], [(p.rule, p.path, p.line) for p in got["missed"]]
    assert any(p.commit for p in got["found"])  # history-only secrets are part of the corpus


def test_model_call_defect_recall_at_least_90_percent(audited):
    found = missed = 0
    misses = []
    for corpus, result in audited.values():
        got = recall(corpus, result)["llm"]
        found += len(got["found"])
        missed += len(got["missed"])
        misses += [(p.rule, p.path, p.line) for p in got["missed"]]
    assert found + missed >= 30
    assert found / (found + missed) >= 0.9, misses


def test_every_planted_web_defect_is_found(audited):
    """Issue 11: every web-application defect planted in the two prototypes is reported at its line."""
    planted, misses = [], []
    for name, (corpus, result) in audited.items():
        got = recall(corpus, result)["web"]
        planted += got["found"] + got["missed"]
        misses += [(p.rule, p.path, p.line) for p in got["missed"]]
        assert len({p.rule for p in got["found"] + got["missed"]}) >= 10, name  # each prototype carries most kinds
    assert not misses, misses
    assert len(planted) >= 25 and {p.rule for p in planted} == WEB_RULES


def test_other_planted_defects_found(audited):
    for corpus, result in audited.values():
        got = recall(corpus, result).get("other", {"missed": []})
        assert not got["missed"], [(p.rule, p.path, p.line) for p in got["missed"]]


def test_control_has_no_critical_or_high_findings(control):
    assert not severe(control), [(f.rule, f.location, f.evidence) for f in severe(control)]
    # the decoys are seen, and reported for what they are
    placeholders = {f.path for f in control.findings if f.rule == "secret.placeholder"}
    assert {".env.example", "tests/fixtures/fake_keys.py"} <= placeholders
    assert control.scorecard.band == "low"


def test_control_web_decoys_stay_silent(control):
    """Auth on the router and in Express middleware, ownership checked after the lookup, parameterised
    queries, CORS allow-lists, /health routes, DOMPurify before dangerouslySetInnerHTML, errors logged then
    a generic message, tokens with an expiry: no web rule fires."""
    assert not decoy_hits(control), [(f.rule, f.location, f.evidence) for f in decoy_hits(control)]


def test_control_decoys_fire_once_unguarded(tmp_path):
    """The decoys are near misses: with each guard removed (tests/corpus.py CONTROL_UNGUARDED) the rule
    it kept silent reports that file."""
    corpus = build_control(tmp_path / "unguarded", unguarded=True)
    got = recall(corpus, audit_corpus(corpus))["unguarded"]
    assert len(got["found"]) >= 10 and not got["missed"], [(p.rule, p.path) for p in got["missed"]]
