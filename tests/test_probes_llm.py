"""Probes of the model-call defect classes (issue 3): tables of synthetic facts -> hits.

Facts are built directly (no collector), as the JS/TS collector will build them too.
"""

from __future__ import annotations

import pytest

from auditlib.models import CodeFacts, LLMCallSite, LLMUseSite, PracticeFacts
from auditlib.probes import PROBES, run_probes
from auditlib.probes.llm import in_tests
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric
from tests.factories import make_facts

RUBRIC = load_rubric(DEFAULT_RUBRIC_DIR)

NEW_RULES = {
    "llm.prompt_or_response_logged": ("medium", "LLM02", False),
    "llm.client_supplied_messages": ("high", "LLM01", False),
    "llm.api_key_from_user": ("high", "LLM02", True),
    "llm.model_output_executed": ("critical", "LLM05", False),
    "llm.code_executing_agent": ("high", "LLM06", False),
    "llm.unsafe_deserialization": ("medium", "LLM08", False),
    "llm.model_output_to_sql": ("high", "LLM05", False),
    "llm.model_output_to_shell": ("critical", "LLM05", False),
    "llm.raw_http_call": ("low", None, False),
}


def hits(rule: str, facts) -> list:
    return list(PROBES[rule](facts, dict(RUBRIC.rule(rule).params)))


def call(line: int = 12, path: str = "app.py", **kw) -> LLMCallSite:
    base = dict(path=path, line=line, function="answer", provider="openai", api="client.chat.completions.create",
                has_timeout=True, has_retry=True, has_fallback=True, structured_output=True,
                max_tokens_set=True)
    base.update(kw)
    return LLMCallSite(**base)


def use(kind: str, line: int = 20, path: str = "app.py", api: str = "print", function: str | None = "answer",
        detail: str = "output of client.chat.completions.create (line 12) reaches print") -> LLMUseSite:
    return LLMUseSite(path=path, line=line, function=function, kind=kind, api=api, detail=detail, call_line=12)


def code(**kw) -> CodeFacts:
    return CodeFacts(files_parsed=2, **kw)


@pytest.mark.parametrize("rule", sorted(NEW_RULES))
def test_rubric_entries(rule):
    r = RUBRIC.rule(rule)
    assert (r.severity, r.owasp, r.structural) == NEW_RULES[rule]
    assert r.remediation


USE_CASES = [
    # (use-site kind, rule that reports it)
    ("prompt_logged", "llm.prompt_or_response_logged"),
    ("response_logged", "llm.prompt_or_response_logged"),
    ("api_key_from_user", "llm.api_key_from_user"),
    ("model_output_executed", "llm.model_output_executed"),
    ("code_executing_agent", "llm.code_executing_agent"),
    ("unsafe_deserialization", "llm.unsafe_deserialization"),
    ("model_output_to_sql", "llm.model_output_to_sql"),
    ("model_output_to_shell", "llm.model_output_to_shell"),
]
USE_RULES = {rule for _, rule in USE_CASES}


@pytest.mark.parametrize("kind, rule", USE_CASES)
def test_use_site_probe_fires_for_its_kind_only(kind, rule):
    facts = make_facts(code=code(llm_uses=[use(kind, line=20), use("usage_read", line=30, api="r.usage")]))
    found = hits(rule, facts)
    assert [(h.path, h.line, h.rule) for h in found] == [("app.py", 20, rule)]
    assert found[0].evidence == "print(...) in answer: output of client.chat.completions.create (line 12) reaches print"
    for other in USE_RULES - {rule}:
        assert hits(other, facts) == [], other


def test_use_site_evidence_for_an_assignment_and_module_level():
    u = use("api_key_from_user", api="os.environ['OPENAI_API_KEY'] =", function=None,
            detail="a key from the request is written to the process environment")
    [hit] = hits("llm.api_key_from_user", make_facts(code=code(llm_uses=[u])))
    assert hit.evidence == ("os.environ['OPENAI_API_KEY'] = in module level: "
                            "a key from the request is written to the process environment")


@pytest.mark.parametrize("path, expected", [
    ("tests/test_agent.py", True), ("app/tests/helpers.py", True), ("test_app.py", True),
    ("conftest.py", True), ("src/chat.test.ts", True), ("tests/fixtures/fake.py", True),
    ("app/contest.py", False), ("latest_model.py", False), ("app/attestation.py", False), ("src/chat.ts", False),
])
def test_in_tests(path, expected):
    assert in_tests(path) is expected


def test_use_sites_in_test_code_are_not_reported():
    facts = make_facts(code=code(
        llm_uses=[use("model_output_executed", path="tests/test_agent.py")],
        llm_calls=[call(path="tests/test_chat.py", messages_from_client=True, provider="http")],
    ))
    fired = {f.rule for f in run_probes(facts, RUBRIC)}
    assert not fired & (USE_RULES | {"llm.client_supplied_messages", "llm.raw_http_call"})


CALL_CASES = [
    ("client_messages", dict(messages_from_client=True), "llm.client_supplied_messages", "the client picks the roles"),
    ("raw_http", dict(provider="http", api="requests.post"), "llm.raw_http_call", "raw HTTP request"),
]


@pytest.mark.parametrize("case, flaw, rule, words", CALL_CASES)
def test_call_defect_probes(case, flaw, rule, words):
    facts = make_facts(code=code(llm_calls=[call(line=12, **flaw), call(line=40)]))
    [hit] = hits(rule, facts)
    assert (hit.path, hit.line) == ("app.py", 12)
    assert hit.evidence.startswith(f"{flaw.get('api', 'client.chat.completions.create')}(...) in answer: ")
    assert words in hit.evidence


# ----------------------------------------------------------- updated probes (probes/code.py)
TRACKING = [
    ("nothing", [], {}, True),
    ("usage_read", [use("usage_read", api="r.usage.total_tokens")], {}, False),
    ("library", [], {"token_tracking": ["langfuse"]}, False),
    ("only_a_logged_response", [use("response_logged")], {}, True),
]


@pytest.mark.parametrize("case, uses, libraries, fires", TRACKING, ids=[c[0] for c in TRACKING])
def test_no_token_tracking_respects_usage_reads(case, uses, libraries, fires):
    facts = make_facts(code=code(llm_calls=[call()], llm_uses=uses), practices=PracticeFacts(libraries=libraries))
    assert bool(hits("llm.no_token_tracking", facts)) is fires


FLAGS = [
    ("none_guarded", [call(), call(line=30)], {}, True),
    ("all_guarded", [call(guarded_by_flag=True), call(line=30, guarded_by_flag=True)], {}, False),
    ("some_guarded", [call(guarded_by_flag=True), call(line=30)], {}, True),
    ("flag_library", [call(), call(line=30)], {"feature_flags": ["unleash"]}, False),
    ("no_calls", [], {}, False),
]


@pytest.mark.parametrize("case, calls, libraries, fires", FLAGS, ids=[c[0] for c in FLAGS])
def test_no_feature_flag_respects_guarded_calls(case, calls, libraries, fires):
    facts = make_facts(code=code(llm_calls=calls), practices=PracticeFacts(libraries=libraries))
    found = hits("llm.no_feature_flag", facts)
    assert bool(found) is fires
    if case == "some_guarded":
        assert "2 model call(s), 1 behind a flag check" in found[0].evidence
        assert "first unguarded: client.chat.completions.create(...) in answer" in found[0].evidence
