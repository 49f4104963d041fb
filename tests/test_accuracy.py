"""The accuracy bar of the evidence engine, measured on the synthetic corpus (tests/corpus.py).

Targets (issue 3): 100 % of planted provider-shaped secrets found (tree and history), at least 90 % of
planted model-call defects found, zero critical or high findings on the control's decoys.
benchmarks/accuracy.py prints the same numbers for the README.
"""

import pytest

from tests.corpus import audit_corpus, build_control, build_python_prototype, build_ts_prototype, recall, severe

BUILDERS = {"python": build_python_prototype, "typescript": build_ts_prototype}


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    base = tmp_path_factory.mktemp("corpus")
    out = {}
    for name, build in BUILDERS.items():
        corpus = build(base / name)
        out[name] = (corpus, audit_corpus(corpus))
    return out


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


def test_other_planted_defects_found(audited):
    for corpus, result in audited.values():
        got = recall(corpus, result).get("other", {"missed": []})
        assert not got["missed"], [(p.rule, p.path, p.line) for p in got["missed"]]


def test_control_has_no_critical_or_high_findings(tmp_path):
    result = audit_corpus(build_control(tmp_path / "control"))
    assert not severe(result), [(f.rule, f.location, f.evidence) for f in severe(result)]
    # the decoys are seen, and reported for what they are
    placeholders = {f.path for f in result.findings if f.rule == "secret.placeholder"}
    assert {".env.example", "tests/fixtures/fake_keys.py"} <= placeholders
    assert result.scorecard.band == "low"
