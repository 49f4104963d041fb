"""Issue 11, the resilience and cost rules (auditlib/analysis/checks/resilience.py): model tiers, manifest
dependencies, and the rubric's grading. Their hits are tested on the fixtures of tests/rules/<rule id>/."""

from __future__ import annotations

import pytest

from auditlib.analysis.checks.resilience import _dependencies, tier
from auditlib.rubric import load_rubric

RULES = ("errors.no_circuit_breaker", "errors.no_global_error_handler", "llm.no_cost_attribution",
         "llm.premium_model_everywhere", "performance.model_calls_uncached")


@pytest.mark.parametrize("model, expected", [
    ("gpt-4o", "premium"), ("gpt-4-turbo", "premium"), ("gpt-4.1", "premium"), ("o1", "premium"),
    ("claude-3-5-sonnet-20241022", "premium"), ("claude-3-opus-20240229", "premium"), ("claude-opus-4-1", "premium"),
    ("gemini-1.5-pro-latest", "premium"), ("models/gemini-2.5-pro", "premium"), ("openai/gpt-4o", "premium"),
    ("gpt-4o-mini", "cheap"), ("gpt-4.1-nano", "cheap"), ("o3-mini", "cheap"), ("claude-3-haiku-20240307", "cheap"),
    ("gemini-1.5-flash", "cheap"), ("gemini-2.0-flash-lite", "cheap"), ("gpt-3.5-turbo", "cheap"),
    ("text-davinci-003", "cheap"), ("llama-3.1-8b-instant", "cheap"),
    ("llama3", "other"), ("mistral", "other"), ("claude-2.1", "other"),
])
def test_model_tiers(model, expected):
    assert tier(model) == expected


def test_manifest_dependencies():
    assert {"opossum", "cockatiel"} <= _dependencies("package.json", '{"dependencies": {"opossum": "^8"}, '
                                                                     '"devDependencies": {"cockatiel": "^3"}}')
    assert "pybreaker" in _dependencies("requirements.txt", "flask==3.0\npybreaker>=1.0  # breaker\n")
    assert "langfuse" in _dependencies("pyproject.toml", '[project]\ndependencies = ["langfuse>=2", "openai"]\n')
    assert _dependencies("package.json", "not json") == set()


def test_the_absence_rules_are_low():
    rubric = load_rubric()
    for rule in RULES:
        assert rubric.rule(rule).severity == "low", rule
        assert rubric.rule(rule).roles == ["app"] or set(rubric.rule(rule).roles or ()) == {"app"}, rule
