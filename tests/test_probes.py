"""Probes: tables of synthetic facts -> the rule ids, counts and locations they report; run_probes."""

from __future__ import annotations

import re

import pytest

from auditlib.masking import fingerprint, mask, redact_line
from auditlib.models import (
    SEVERITIES,
    AuthorStats,
    CodeFacts,
    ComplexityFacts,
    ComplexityFunction,
    Dependency,
    DependencyFacts,
    Endpoint,
    HistoryFacts,
    InventoryFacts,
    LLMCallSite,
    LLMUseSite,
    Manifest,
    MixedFile,
    PracticeFacts,
    QuotaCheck,
    Reach,
    RuleHit,
    SecretFacts,
    SecretHit,
    SQLSite,
    VulnCheck,
    Vulnerability,
)
from auditlib.probes import PROBES, finding_id, run_probes
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric
from tests.factories import make_facts, with_code

RUBRIC = load_rubric(DEFAULT_RUBRIC_DIR)

# Built by concatenation so no key-shaped literal sits in our own source.
FAKE_KEY = "sk-" + "proj-" + "Q7x" * 8 + "Zz9" * 4
FAKE_HISTORY_KEY = "AK" + "IA" + "QWERTYUIOP" + "ASDFGH"
COMMIT = "c0ffee" * 6 + "abcd"


def hits(rule: str, facts, params: dict | None = None) -> list:
    """Run one probe with the rubric's params (or the given ones)."""
    return list(PROBES[rule](facts, dict(RUBRIC.rule(rule).params) if params is None else params))


def where(found) -> list[tuple]:
    return [(h.path, h.line) for h in found]


def fired(facts) -> set[str]:
    return {f.rule for f in run_probes(facts, RUBRIC)}


def call(line: int = 12, path: str = "app.py", **kw) -> LLMCallSite:
    """A model call with every safeguard in place unless a keyword takes it away."""
    base = dict(path=path, line=line, function="answer", provider="openai", api="client.chat.completions.create",
                has_timeout=True, has_retry=True, has_fallback=True, structured_output=True, model=None,
                prompt_inline=False, user_input_in_prompt=False, max_tokens_set=True)
    base.update(kw)
    return LLMCallSite(**base)


def endpoint(line: int, has_auth: bool, route: str | None = None, path: str = "api.py") -> Endpoint:
    return Endpoint(path=path, line=line, function=f"h{line}", framework="fastapi", route=route or f"/r{line}",
                    has_auth=has_auth)


def secret(value: str = FAKE_KEY, *, detector: str = "openai_api_key", path: str = "config.py", line: int | None = 3,
           in_tree: bool = True, placeholder: bool = False, commit: str | None = None) -> SecretHit:
    source_line = f'OPENAI_API_KEY = "{value}"'
    return SecretHit(detector=detector, path=path, line=line, commit=commit, in_tree=in_tree, masked=mask(value),
                     fingerprint=fingerprint(value), placeholder=placeholder, context=redact_line(source_line, value))


def dep(name: str, *, eco: str = "PyPI", pinned: bool = False, path: str = "requirements.txt", line: int = 1) -> Dependency:
    return Dependency(name=name, ecosystem=eco, spec="==1.0" if pinned else ">=1.0",
                      version="1.0" if pinned else None, pinned=pinned, path=path, line=line)


def code(**kw) -> CodeFacts:
    """Code facts of a served app: a server started on every interface unless a test says otherwise
    (an app on 127.0.0.1 only has its endpoint findings graded one step lower)."""
    kw.setdefault("public_binds", ["main.py:30"])
    return CodeFacts(files_parsed=3, **kw)


# ------------------------------------------------------------------------------- model-call probes
CALL_CASES = [
    # (case id, the call's missing safeguard, rule expected to fire)
    ("no_timeout", dict(has_timeout=False), "llm.call_without_timeout"),
    ("no_retry", dict(has_retry=False), "llm.call_without_retry"),
    ("no_fallback", dict(has_fallback=False), "llm.call_without_fallback"),
    ("unstructured", dict(structured_output=False), "llm.unstructured_output"),
    ("user_input", dict(user_input_in_prompt=True), "llm.user_input_in_prompt"),
    ("inline_prompt", dict(prompt_inline=True), "llm.inline_prompt"),
    ("hardcoded_model", dict(model="gpt-4o-mini"), "llm.hardcoded_model"),
    ("no_max_tokens", dict(max_tokens_set=False), "llm.max_tokens_unset"),
]
CALL_RULES = [rule for _, _, rule in CALL_CASES]


def parsed_at(call_line: int, line: int = 14, path: str = "app.py", call_path: str = "app.py",
              api: str = "json.loads", kind: str = "model_output_parsed") -> LLMUseSite:
    """The response of the model call at ``call_path:call_line`` reaches ``api`` (parsed as data)."""
    return LLMUseSite(path=path, line=line, function="answer", kind=kind, api=api,
                      detail=f"output of client.chat.completions.create reaches {api}",
                      call_line=call_line if path == call_path else None, call_at=f"{call_path}:{call_line}")


@pytest.mark.parametrize("flaw, rule", [pytest.param(f, r, id=i) for i, f, r in CALL_CASES])
def test_call_probe_fires_with_location_only_for_its_flaw(flaw, rule):
    # both responses are parsed as JSON: llm.unstructured_output asks for a schema only then
    facts = make_facts(code=code(llm_calls=[call(line=12, **flaw), call(line=40)],
                                 llm_uses=[parsed_at(12), parsed_at(40, line=42)]))
    found = hits(rule, facts)
    assert where(found) == [("app.py", 12)]
    assert found[0].rule == rule
    assert "client.chat.completions.create(...) in answer" in found[0].evidence
    # the same call does not trip the other call rules
    for other in CALL_RULES:
        if other != rule:
            assert hits(other, facts) == [], other


def test_unstructured_output_only_when_the_text_is_used_as_data():
    """Issue 9: free text shown to a person needs no schema; parsed text, or text that becomes a file
    name, a URL, SQL or a command, does."""
    bare = call(line=12, structured_output=False)
    assert hits("llm.unstructured_output", make_facts(code=code(llm_calls=[bare]))) == []
    # parsed in another file: the use points back at the call by path and line
    elsewhere = parsed_at(12, line=30, path="routes/quiz.py", api="json.loads")
    [hit] = hits("llm.unstructured_output", make_facts(code=code(llm_calls=[bare], llm_uses=[elsewhere])))
    assert (hit.path, hit.line) == ("app.py", 12)
    assert "its text reaches json.loads at routes/quiz.py:30" in hit.evidence
    # a sink counts too (model text run as SQL)
    sql = parsed_at(12, line=20, api="cursor.execute", kind="model_output_to_sql")
    assert len(hits("llm.unstructured_output", make_facts(code=code(llm_calls=[bare], llm_uses=[sql])))) == 1
    # a schema on the call, a use of another call, or a use in test code: nothing
    for calls, uses in [([call(line=12)], [elsewhere]), ([bare], [parsed_at(40)]),
                        ([bare], [parsed_at(12, line=5, path="tests/test_quiz.py")])]:
        assert hits("llm.unstructured_output", make_facts(code=code(llm_calls=calls, llm_uses=uses))) == []


def test_guarded_call_trips_no_call_rule():
    facts = make_facts(code=code(llm_calls=[call()]))
    assert not fired(facts) & set(CALL_RULES)


def test_hardcoded_model_evidence_names_the_model():
    facts = make_facts(code=code(llm_calls=[call(model="claude-3-haiku", function=None)]))
    [hit] = hits("llm.hardcoded_model", facts)
    assert "model='claude-3-haiku'" in hit.evidence
    assert "module level" in hit.evidence


CALLS = [call(line=12, path="b.py"), call(line=7, path="a.py")]

CODE_CASES = [
    # (case id, overrides, rule, expected (path, line) list)
    ("token_tracking_missing", dict(code=code(llm_calls=CALLS)), "llm.no_token_tracking", [("b.py", 12)]),
    ("token_tracking_present", dict(code=code(llm_calls=CALLS), practices=PracticeFacts(libraries={"token_tracking": ["langfuse"]})),
     "llm.no_token_tracking", []),
    ("token_tracking_unmeasured", dict(code=code(llm_calls=CALLS), practices=PracticeFacts(available=False, reason="x")),
     "llm.no_token_tracking", []),
    ("token_tracking_no_calls", dict(), "llm.no_token_tracking", []),
    ("feature_flag_missing", dict(code=code(llm_calls=CALLS)), "llm.no_feature_flag", [(None, None)]),
    ("feature_flag_present", dict(code=code(llm_calls=CALLS), practices=PracticeFacts(libraries={"feature_flags": ["unleash"]})),
     "llm.no_feature_flag", []),
    ("sql_two_sites", dict(code=code(sql_sites=[SQLSite(path="db.py", line=5, how="f-string"),
                                                SQLSite(path="db.py", line=9, function="q", how="concatenation")])),
     "architecture.sql_string_building", [("db.py", 5), ("db.py", 9)]),
    ("sql_none", dict(), "architecture.sql_string_building", []),
    ("mixed_layers", dict(code=code(mixed_files=[MixedFile(path="main.py", layers=["web", "llm", "db"])])),
     "architecture.mixed_layers", [("main.py", None)]),
    ("rate_limit_missing", dict(code=code(llm_calls=CALLS, endpoints=[endpoint(3, True)])),
     "architecture.no_rate_limiting", [(None, None)]),
    ("rate_limit_present", dict(code=code(llm_calls=CALLS, endpoints=[endpoint(3, True)]),
                                practices=PracticeFacts(libraries={"rate_limiting": ["slowapi"]})),
     "architecture.no_rate_limiting", []),
    ("rate_limit_quota_in_code", dict(code=code(llm_calls=CALLS, endpoints=[endpoint(3, True)], quota_checks=[
        QuotaCheck(path="app/api/chat/route.ts", line=78, function="POST",
                   detail="if messageCount > maxMessagesPerDay: ChatSDKError(...) refuses the request")])),
     "architecture.no_rate_limiting", []),  # issue 9: a per-user message quota is rate limiting
    ("rate_limit_no_endpoints", dict(code=code(llm_calls=CALLS)), "architecture.no_rate_limiting", []),
    ("rate_limit_no_calls", dict(code=code(endpoints=[endpoint(3, True)])), "architecture.no_rate_limiting", []),
]


@pytest.mark.parametrize("overrides, rule, expected", [pytest.param(o, r, e, id=i) for i, o, r, e in CODE_CASES])
def test_code_probes(overrides, rule, expected):
    assert where(hits(rule, make_facts(**overrides))) == expected


AUTH_CASES = [
    # (case id, endpoints, auth libraries, no_authentication locations, endpoint_without_auth locations)
    ("none_with_auth_no_lib", [endpoint(3, False), endpoint(8, False)], [], [("api.py", 3)], []),
    ("none_with_auth_but_lib", [endpoint(3, False), endpoint(8, False)], ["authlib"], [], [("api.py", 3), ("api.py", 8)]),
    ("one_with_one_without", [endpoint(3, True), endpoint(8, False)], [], [], [("api.py", 8)]),
    ("all_with_auth", [endpoint(3, True), endpoint(8, True)], [], [], []),
    ("no_endpoints", [], [], [], []),
]


@pytest.mark.parametrize("eps, auth_libs, no_auth, per_endpoint",
                         [pytest.param(e, lib, a, p, id=i) for i, e, lib, a, p in AUTH_CASES])
def test_authentication_probes(eps, auth_libs, no_auth, per_endpoint):
    facts = make_facts(code=code(endpoints=eps),
                       practices=PracticeFacts(libraries={"auth": auth_libs} if auth_libs else {}))
    assert where(hits("architecture.no_authentication", facts)) == no_auth
    assert where(hits("architecture.endpoint_without_auth", facts)) == per_endpoint


def test_no_authentication_is_reported_once_not_per_endpoint():
    eps = [endpoint(i, False) for i in range(1, 8)]
    findings = run_probes(make_facts(code=code(endpoints=eps)), RUBRIC)
    rules = [f.rule for f in findings]
    assert rules.count("architecture.no_authentication") == 1
    assert "architecture.endpoint_without_auth" not in rules
    [f] = [f for f in findings if f.rule == "architecture.no_authentication"]
    assert f.structural is True
    assert f.evidence.startswith("7 endpoint(s) (/r1, /r2, /r3, /r4, /r5 ...)")


def test_endpoint_without_auth_title_names_the_route():
    facts = make_facts(code=code(endpoints=[endpoint(3, True), endpoint(8, False, route="/admin")]))
    [hit] = hits("architecture.endpoint_without_auth", facts)
    assert hit.title == "Endpoint without authentication: /admin"


def test_no_authentication_not_asserted_when_libraries_unmeasured():
    facts = make_facts(code=code(endpoints=[endpoint(3, False)]),
                       practices=PracticeFacts(available=False, reason="practices collector failed"))
    assert hits("architecture.no_authentication", facts) == []


def reached(line: int, kinds: list[tuple[str, bool]], *, method: str = "POST", public: str | None = None,
            has_auth: bool = False) -> Endpoint:
    """An endpoint whose handler reaches ``kinds`` ((kind, certain), each at line 40 + i of lib.py)."""
    reaches = [Reach(kind=k, what=f"call_{k}", path="lib.py", line=40 + i, certain=c, via="helper" if i else None)
               for i, (k, c) in enumerate(kinds)]
    return endpoint(line, has_auth, route=f"/r{line}").model_copy(
        update={"method": method, "public": public, "reaches": reaches})


# Confidence is never high: what the handler reaches is traced, but a gateway or platform setting
# that authenticates in front of it cannot be ruled out from the code.
@pytest.mark.parametrize("kinds, severity, confidence", [
    ([("model", True)], "high", "medium"),
    ([("write", False)], "high", "low"),                    # a receiver named db that resolves to nothing
    ([("read", True), ("network", True)], "medium", "medium"),
    ([("local_model", True)], "medium", "medium"),
    ([("provider", True)], "medium", "medium"),
    ([("data", True)], "low", "medium"),                    # a catalogue read
    ([("network", True), ("model", True)], "high", "medium"),  # the worst decides
])
def test_endpoint_without_auth_is_graded_by_what_it_reaches(kinds, severity, confidence):
    facts = make_facts(code=code(endpoints=[endpoint(1, True), reached(8, kinds)]))
    [f] = [f for f in run_probes(facts, RUBRIC) if f.rule == "architecture.endpoint_without_auth"]
    assert (f.severity, f.confidence, f.line) == (severity, confidence, 8)


def test_endpoint_without_auth_evidence_names_what_is_reached():
    facts = make_facts(code=code(endpoints=[endpoint(1, True), reached(8, [("model", True), ("write", True)])]))
    [hit] = hits("architecture.endpoint_without_auth", facts)
    assert hit.evidence == "POST /r8 reaches call_model (lib.py:40) with no authentication; and 1 more (write)"


def test_a_caller_controlled_url_makes_a_request_medium():
    ep = reached(8, [("network", True)])
    ep = ep.model_copy(update={"reaches": [ep.reaches[0].model_copy(update={"caller_controlled": True})]})
    [hit] = hits("architecture.endpoint_without_auth", make_facts(code=code(endpoints=[endpoint(1, True), ep])))
    assert hit.severity == "medium"


def test_endpoints_that_reach_nothing_or_are_public_by_design_are_not_reported():
    eps = [reached(3, []), reached(5, [("model", True)], public="health check route"),
           reached(7, [("write", True)], method="GET", public="sign-in or identity-provider route")]
    facts = make_facts(code=code(endpoints=eps))
    assert hits("architecture.endpoint_without_auth", facts) == []
    assert hits("architecture.no_authentication", facts) == []  # nothing to protect: no structural finding either


def test_no_authentication_counts_and_grades_only_endpoints_that_reach_something():
    eps = [reached(3, []), reached(5, [("data", True)]), reached(9, [("write", False)], method="DELETE")]
    [hit] = hits("architecture.no_authentication", make_facts(code=code(endpoints=eps)))
    assert (hit.severity, hit.confidence, hit.line) == ("high", "low", 5)
    assert hit.evidence.startswith("2 of 3 endpoint(s) reach a model, data, files or the network "
                                   "(DELETE /r9 -> call_write (lib.py:40); POST /r5 -> call_data (lib.py:40))")
    # when nothing authenticates, the endpoints it exposes are still listed one by one, graded
    assert [(h.line, h.severity) for h in hits("architecture.endpoint_without_auth", make_facts(
        code=code(endpoints=eps)))] == [(5, "low"), (9, "high")]


def test_no_authentication_of_a_real_handler_end_to_end(tmp_path):
    from auditlib.analysis import analyse
    from auditlib.collect.files import list_files
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "ai.py").write_text(
        "from openai import OpenAI\nclient = OpenAI()\n\ndef answer(q):\n"
        "    return client.chat.completions.create(model='gpt-4o', messages=[{'role': 'user', 'content': q}])\n")
    (tmp_path / "app.py").write_text(
        "from flask import Flask, request, render_template\nfrom lib.ai import answer\napp = Flask(__name__)\n\n"
        "@app.get('/')\ndef index():\n    return render_template('index.html')\n\n"
        "@app.post('/api/chat')\ndef chat():\n    return answer(request.json['q'])\n\n"
        "if __name__ == '__main__':\n    app.run(host='0.0.0.0', port=8080)\n")  # served on every interface
    facts = make_facts(code=analyse(list_files(tmp_path)))
    found = {f.rule: f for f in run_probes(facts, RUBRIC) if f.rule.startswith("architecture.") and "auth" in f.rule}
    ep = found["architecture.endpoint_without_auth"]
    assert (ep.severity, ep.confidence, ep.line) == ("high", "medium", 10)
    assert ep.evidence == ("POST /api/chat reaches client.chat.completions.create (lib/ai.py:5, through answer) "
                           "with no authentication")
    assert found["architecture.no_authentication"].evidence.startswith("1 of 2 endpoint(s)")


# ------------------------------------------------------------------------------------ secret probes
SECRET_RULES = ["secret.committed_credential", "secret.in_history", "secret.generic_high_entropy",
                "secret.placeholder", "secret.env_file_committed"]

SECRET_CASES = [
    # (case id, secrets facts, {rule: expected (path, line) list}; rules not named must not fire)
    ("in_tree_live", SecretFacts(hits=[secret()]), {"secret.committed_credential": [("config.py", 3)]}),
    ("history_only", SecretFacts(history_checked=True, hits=[secret(FAKE_HISTORY_KEY, detector="aws_access_key_id",
                                                                    in_tree=False, commit=COMMIT, line=1)]),
     {"secret.in_history": [("config.py", 1)]}),
    ("placeholder_in_tree", SecretFacts(hits=[secret(placeholder=True, path="README.md", line=20)]),
     {"secret.placeholder": [("README.md", 20)]}),
    ("placeholder_in_history_only", SecretFacts(hits=[secret(placeholder=True, in_tree=False, commit=COMMIT)]), {}),
    ("generic_high_entropy", SecretFacts(hits=[secret(detector="generic_high_entropy", line=9)]),
     {"secret.generic_high_entropy": [("config.py", 9)]}),
    ("generic_high_entropy_in_history", SecretFacts(hits=[secret(detector="generic_high_entropy", in_tree=False,
                                                                 commit=COMMIT)]),
     {"secret.in_history": [("config.py", 3)]}),
    ("env_files", SecretFacts(env_files=[".env", "deploy/.env.production"]),
     {"secret.env_file_committed": [(".env", None), ("deploy/.env.production", None)]}),
    ("nothing", SecretFacts(), {}),
]


@pytest.mark.parametrize("secrets, expected", [pytest.param(s, e, id=i) for i, s, e in SECRET_CASES])
def test_secret_probes(secrets, expected):
    facts = make_facts(secrets=secrets)
    for rule in SECRET_RULES:
        assert where(hits(rule, facts)) == expected.get(rule, []), rule


def test_committed_credential_evidence_carries_only_the_masked_value():
    hit = secret(commit=COMMIT)
    [found] = hits("secret.committed_credential", make_facts(secrets=SecretFacts(hits=[hit])))
    assert FAKE_KEY not in found.evidence and FAKE_KEY not in found.title
    assert FAKE_KEY[5:] not in found.evidence  # nothing beyond the visible prefix
    assert mask(FAKE_KEY) in found.evidence
    assert f"in history since {COMMIT[:10]}" in found.evidence
    assert found.title == "Credential in code: openai api key"


def test_history_hit_carries_its_commit():
    hit = secret(FAKE_HISTORY_KEY, in_tree=False, commit=COMMIT)
    [found] = hits("secret.in_history", make_facts(secrets=SecretFacts(history_checked=True, hits=[hit])))
    assert found.commit == COMMIT
    assert COMMIT[:10] in found.evidence
    assert FAKE_HISTORY_KEY not in found.evidence


def test_a_key_only_in_history_is_one_step_below_the_same_key_in_the_tree():
    """A provider key is critical in the tree and high in history (the rules' defaults); a provider
    graded high in the tree (a Hugging Face token, ``severity`` in checklists/secrets.yaml) is medium in
    history (held-out reading of targeted.yaml: a history-only hf_ token graded high was overrated)."""
    hf = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh"

    def graded(value: str, detector: str, in_tree: bool) -> str:
        hit = secret(value, detector=detector, in_tree=in_tree, commit=None if in_tree else COMMIT)
        rule = "secret.committed_credential" if in_tree else "secret.in_history"
        findings = run_probes(make_facts(secrets=SecretFacts(history_checked=True, hits=[hit])), RUBRIC)
        [found] = [f for f in findings if f.rule == rule]
        return found.severity

    assert graded(hf, "huggingface_token", True) == "high"
    assert graded(hf, "huggingface_token", False) == "medium"
    assert graded(FAKE_HISTORY_KEY, "openai_api_key", False) == "high"


def test_placeholder_is_info_after_run_probes():
    findings = run_probes(make_facts(secrets=SecretFacts(hits=[secret(placeholder=True)])), RUBRIC)
    assert [(f.rule, f.severity) for f in findings] == [("secret.placeholder", "info")]


# ------------------------------------------------------------------------------- dependency probes
VULN = Vulnerability(package="flask", version="0.12", ecosystem="PyPI", id="PYSEC-2019-179",
                     aliases=["CVE-2019-1010083", "OSV-ALIAS-1", "GHSA-5wv5-4vpf-pj6m"], summary="DoS via JSON",
                     fixed=["1.0"], path="requirements.txt", line=4)

DEP_CASES = [
    # (case id, dependency facts, rule, expected (path, line) list)
    ("vulnerable", DependencyFacts(vulnerabilities=[VULN]), "dependency.known_vulnerable", [("requirements.txt", 4)]),
    ("unpinned_no_lock", DependencyFacts(manifests=[Manifest(path="requirements.txt", kind="requirements", ecosystem="PyPI")],
                                         dependencies=[dep("a", line=2), dep("b", line=3), dep("c", pinned=True, line=4)]),
     "dependency.unpinned", [("requirements.txt", 2)]),
    ("unpinned_two_files", DependencyFacts(manifests=[Manifest(path="requirements.txt", kind="requirements", ecosystem="PyPI"),
                                                      Manifest(path="web/package.json", kind="package.json", ecosystem="npm")],
                                           dependencies=[dep("react", eco="npm", path="web/package.json", line=5),
                                                         dep("a", line=2)]),
     "dependency.unpinned", [("requirements.txt", 2), ("web/package.json", 5)]),
    ("unpinned_with_lock_same_eco", DependencyFacts(
        manifests=[Manifest(path="pyproject.toml", kind="pyproject", ecosystem="PyPI"),
                   Manifest(path="uv.lock", kind="uv.lock", ecosystem="PyPI", lockfile=True)],
        dependencies=[dep("a", path="pyproject.toml", line=7)]),
     "dependency.unpinned", []),
    ("unpinned_with_lock_other_eco", DependencyFacts(
        manifests=[Manifest(path="package.json", kind="package.json", ecosystem="npm"),
                   Manifest(path="uv.lock", kind="uv.lock", ecosystem="PyPI", lockfile=True)],
        dependencies=[dep("react", eco="npm", path="package.json", line=5)]),
     "dependency.unpinned", [("package.json", 5)]),
    ("no_lockfile", DependencyFacts(manifests=[Manifest(path="requirements.txt", kind="requirements", ecosystem="PyPI")],
                                    dependencies=[dep("a")]),
     "dependency.no_lockfile", [("requirements.txt", None)]),
    ("no_lockfile_but_all_pinned", DependencyFacts(manifests=[Manifest(path="requirements.txt", kind="requirements", ecosystem="PyPI")],
                                                   dependencies=[dep("a", pinned=True)]),
     "dependency.no_lockfile", []),
    ("lockfile_present", DependencyFacts(manifests=[Manifest(path="package.json", kind="package.json", ecosystem="npm"),
                                                    Manifest(path="package-lock.json", kind="package-lock", ecosystem="npm", lockfile=True)],
                                         dependencies=[dep("react", eco="npm", path="package.json")]),
     "dependency.no_lockfile", []),
    ("not_checked", DependencyFacts(dependencies=[dep("a", pinned=True)],
                                    vuln_check=VulnCheck(status="not_checked", reason="offline")),
     "dependency.vulnerabilities_not_checked", [(None, None)]),
    ("partial", DependencyFacts(dependencies=[dep("a", pinned=True)],
                                vuln_check=VulnCheck(status="partial", reason="1 unpinned")),
     "dependency.vulnerabilities_not_checked", [(None, None)]),
    ("checked", DependencyFacts(dependencies=[dep("a", pinned=True)], vuln_check=VulnCheck(status="checked", checked=1)),
     "dependency.vulnerabilities_not_checked", []),
    ("not_checked_no_deps", DependencyFacts(), "dependency.vulnerabilities_not_checked", []),
]


@pytest.mark.parametrize("deps, rule, expected", [pytest.param(d, r, e, id=i) for i, d, r, e in DEP_CASES])
def test_dependency_probes(deps, rule, expected):
    assert where(hits(rule, make_facts(dependencies=deps))) == expected


def test_vulnerable_evidence_lists_cve_ghsa_and_fix():
    [hit] = hits("dependency.known_vulnerable", make_facts(dependencies=DependencyFacts(vulnerabilities=[VULN])))
    assert hit.title == "Vulnerable dependency: flask 0.12"
    assert hit.evidence.startswith("PYSEC-2019-179 (CVE-2019-1010083, GHSA-5wv5-4vpf-pj6m); fixed in 1.0.")
    assert "OSV-ALIAS-1" not in hit.evidence


def test_unpinned_groups_by_manifest():
    deps = DependencyFacts(dependencies=[dep("a", line=2), dep("b", line=3)])
    [hit] = hits("dependency.unpinned", make_facts(dependencies=deps))
    assert hit.title == "2 unpinned dependencies"
    assert hit.evidence == "a>=1.0, b>=1.0"


@pytest.mark.parametrize("status, reason, text", [("not_checked", "offline", "were not checked"),
                                                   ("partial", None, "were checked only in part")])
def test_vulnerabilities_not_checked_wording(status, reason, text):
    deps = DependencyFacts(dependencies=[dep("a")], vuln_check=VulnCheck(status=status, reason=reason))
    [hit] = hits("dependency.vulnerabilities_not_checked", make_facts(dependencies=deps))
    assert text in hit.title
    assert hit.evidence == (reason or "no vulnerability source answered")


# -------------------------------------------------------------------- practice / complexity / history
def fn(cc: int, line: int = 1, name: str = "f") -> ComplexityFunction:
    return ComplexityFunction(path="svc.py", line=line, name=name, complexity=cc)


COMPLEXITY_CASES = [
    # (case id, functions over the collector's threshold, probe params, expected (path, line) list)
    ("rubric_threshold", [fn(11, 5), fn(10, 9), fn(25, 30)], None, [("svc.py", 5), ("svc.py", 30)]),
    ("raised_threshold", [fn(12, 5), fn(16, 9)], {"threshold": 15}, [("svc.py", 9)]),
    ("equal_is_not_over", [fn(15, 5)], {"threshold": 15}, []),
    ("default_threshold_without_params", [fn(11, 5)], {}, [("svc.py", 5)]),
]


@pytest.mark.parametrize("over, params, expected", [pytest.param(o, p, e, id=i) for i, o, p, e in COMPLEXITY_CASES])
def test_complex_function(over, params, expected):
    facts = make_facts(complexity=ComplexityFacts(functions=40, over_threshold=over, threshold=5))
    found = hits("complexity.complex_function", facts, params)
    assert where(found) == expected


def test_complex_function_evidence_shows_threshold_from_rubric():
    facts = make_facts(complexity=ComplexityFacts(functions=4, over_threshold=[fn(23, name="handle")]))
    [hit] = hits("complexity.complex_function", facts)
    assert hit.title == "Complex function: handle"
    assert hit.evidence == "cyclomatic complexity 23 (threshold 10)"


def history(active, available=True) -> HistoryFacts:
    authors = [AuthorStats(name="ana", commits=40, first_commit="2024-01-02", last_commit="2024-03-01T10:00:00",
                           active_recently=False),
               AuthorStats(name="bo", commits=3, first_commit="2024-01-05", last_commit="2024-05-09T08:00:00",
                           active_recently=False)]
    return HistoryFacts(available=available, commits=43, authors=authors, top_authors_active=active)


PRACTICE_CASES = [
    # (case id, overrides, rule, number of hits expected)
    ("no_tests", with_code(), "testing.no_tests", 1),
    ("no_tests_no_code", with_code(lines=0), "testing.no_tests", 0),
    ("no_tests_tests_exist", with_code(test_files=["tests/test_a.py"], test_lines=200), "testing.no_tests", 0),
    ("no_tests_practices_unmeasured", with_code(available=False), "testing.no_tests", 0),
    ("no_tests_inventory_unmeasured", dict(inventory=InventoryFacts(available=False, code_lines=500)), "testing.no_tests", 0),
    ("low_ratio", with_code(lines=1050, test_files=["t.py"], test_lines=50), "testing.low_test_ratio", 1),
    ("ratio_ok", with_code(lines=1200, test_files=["t.py"], test_lines=200), "testing.low_test_ratio", 0),
    ("eval_missing", {**with_code(), "code": code(llm_calls=[call()])}, "testing.no_eval_suite", 1),
    ("eval_present", {**with_code(eval_files=["evals/cases.jsonl"]), "code": code(llm_calls=[call()])},
     "testing.no_eval_suite", 0),
    ("eval_no_calls", with_code(), "testing.no_eval_suite", 0),
    ("ci_missing", with_code(), "ci.missing", 1),
    ("ci_present", with_code(ci_files=[".github/workflows/ci.yml"]), "ci.missing", 0),
    ("ci_missing_no_code", with_code(lines=0), "ci.missing", 0),
    ("ci_no_test_gate", with_code(ci_files=[".github/workflows/ci.yml"]), "ci.no_test_gate", 1),
    ("ci_test_gate", with_code(ci_files=[".github/workflows/ci.yml"], ci_runs_tests=True), "ci.no_test_gate", 0),
    ("no_container", with_code(), "deployment.no_container", 1),
    ("container", with_code(dockerfiles=["Dockerfile"]), "deployment.no_container", 0),
    ("root", with_code(dockerfiles=["Dockerfile"], docker_nonroot=False), "deployment.container_runs_as_root", 1),
    ("nonroot", with_code(dockerfiles=["Dockerfile"], docker_nonroot=True), "deployment.container_runs_as_root", 0),
    ("root_unknown", with_code(dockerfiles=["Dockerfile"], docker_nonroot=None), "deployment.container_runs_as_root", 0),
    ("env_undocumented", with_code(), "deployment.no_env_documentation", 1),
    ("env_documented", with_code(env_example=[".env.example"]), "deployment.no_env_documentation", 0),
    ("print_over_logging", dict(code=code(print_calls=5, logging_calls=2)), "observability.print_logging", 1),
    ("print_equals_logging", dict(code=code(print_calls=2, logging_calls=2)), "observability.print_logging", 0),
    ("print_code_unmeasured", dict(code=CodeFacts(available=False, print_calls=5)), "observability.print_logging", 0),
    ("no_error_tracking", with_code(), "observability.no_error_tracking", 1),
    ("error_tracking", with_code(libraries={"error_tracking": ["sentry_sdk"]}), "observability.no_error_tracking", 0),
    ("no_monitoring", with_code(), "observability.no_monitoring", 1),
    ("tracing_only", with_code(libraries={"tracing": ["opentelemetry"]}), "observability.no_monitoring", 0),
    ("metrics_only", with_code(libraries={"metrics": ["prometheus_client"]}), "observability.no_monitoring", 0),
    ("no_runbook", with_code(), "incident.no_runbook", 1),
    ("runbook", with_code(runbooks=["docs/runbook.md"]), "incident.no_runbook", 0),
    ("authors_inactive", dict(history=history(False)), "history.authors_inactive", 1),
    ("authors_active", dict(history=history(True)), "history.authors_inactive", 0),
    ("authors_unknown", dict(history=history(None)), "history.authors_inactive", 0),
    ("history_unavailable", dict(history=history(False, available=False)), "history.authors_inactive", 0),
]


@pytest.mark.parametrize("overrides, rule, count", [pytest.param(o, r, n, id=i) for i, o, r, n in PRACTICE_CASES])
def test_practice_probes(overrides, rule, count):
    assert len(hits(rule, make_facts(**overrides))) == count


def test_ci_no_test_gate_points_at_the_ci_file():
    facts = make_facts(**with_code(ci_files=["a.yml", "b.yml"]))
    assert where(hits("ci.no_test_gate", facts)) == [("a.yml", None)]


def test_authors_inactive_evidence_names_authors_and_last_commit():
    [hit] = hits("history.authors_inactive", make_facts(history=history(False)))
    assert "(ana, bo)" in hit.evidence
    assert "last 90 days" in hit.evidence
    assert hit.evidence.endswith("last commit 2024-05-09")


def test_repository_without_code_gets_no_practice_findings():
    facts = make_facts(inventory=InventoryFacts(files=3, code_lines=0))
    assert fired(facts) == set()


# -------------------------------------------------------------------------------------- run_probes
def busy_facts():
    """Facts that make many probes fire at once, across families and severities."""
    return make_facts(
        **with_code(lines=800, ci_files=[".gitlab-ci.yml"], dockerfiles=["Dockerfile"], docker_nonroot=False),
        secrets=SecretFacts(history_checked=True, env_files=[".env"],
                            hits=[secret(), secret(placeholder=True, path="README.md", line=2),
                                  secret(FAKE_HISTORY_KEY, detector="aws_access_key_id", in_tree=False, commit=COMMIT)]),
        code=code(llm_calls=[call(line=12, has_timeout=False, model="gpt-4o"),
                             call(line=30, has_timeout=False, user_input_in_prompt=True,
                                  tools=["tools="])],  # graded high: tools behind the model
                  endpoints=[endpoint(3, True), endpoint(9, False)],
                  sql_sites=[SQLSite(path="db.py", line=4, how="f-string", origin="model_output")],  # graded high
                  print_calls=9),
        dependencies=DependencyFacts(vulnerabilities=[VULN], dependencies=[dep("flask", pinned=True)]),
        complexity=ComplexityFacts(functions=10, over_threshold=[fn(14)]),
        history=history(False),
    )


def test_empty_facts_give_no_findings():
    assert run_probes(make_facts(), RUBRIC) == []


def test_run_probes_fills_rubric_fields():
    findings = run_probes(busy_facts(), RUBRIC)
    assert len({f.rule for f in findings}) > 15
    for f in findings:
        rule = RUBRIC.rule(f.rule)
        assert (f.category, f.severity, f.phase, f.effort, f.owasp, f.structural, f.remediation) == (
            rule.category, rule.severity, rule.phase, rule.effort, rule.owasp, rule.structural, rule.remediation)


def test_finding_ids_stable_and_unique():
    first = run_probes(busy_facts(), RUBRIC)
    second = run_probes(busy_facts(), RUBRIC)
    assert [f.id for f in first] == [f.id for f in second]
    assert first == second
    ids = [f.id for f in first]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"F-[0-9a-f]{10}(-\d+)?", i) for i in ids)


def test_same_rule_same_file_gets_suffixed_ids():
    facts = make_facts(code=code(llm_calls=[call(line=12, has_timeout=False), call(line=30, has_timeout=False)]))
    found = [f for f in run_probes(facts, RUBRIC) if f.rule == "llm.call_without_timeout"]
    base = finding_id(hits("llm.call_without_timeout", facts)[0])
    assert [(f.id, f.line) for f in found] == [(base, 12), (base + "-2", 30)]


def test_finding_id_ignores_line_numbers():
    a = hits("llm.call_without_timeout", make_facts(code=code(llm_calls=[call(line=12, has_timeout=False)])))[0]
    b = hits("llm.call_without_timeout", make_facts(code=code(llm_calls=[call(line=99, has_timeout=False)])))[0]
    assert finding_id(a) == finding_id(b)


def test_findings_sorted_most_severe_first():
    findings = run_probes(busy_facts(), RUBRIC)
    keys = [(SEVERITIES.index(f.severity), f.phase, f.path or "", f.line or 0) for f in findings]
    assert keys == sorted(keys)
    assert findings[0].severity == "critical"
    assert {f.severity for f in findings} >= {"critical", "high", "medium", "low", "info"}


def test_every_rubric_rule_has_a_probe_and_every_probe_a_rule():
    assert set(PROBES) == set(RUBRIC.rules.rules)


def test_make_facts_baseline_and_overrides():
    base = make_facts()
    assert all(getattr(base, part).available for part in type(base).model_fields)
    custom = make_facts(code=code(print_calls=3))
    assert custom.code.print_calls == 3 and custom.secrets == base.secrets
    with pytest.raises(TypeError, match="secret"):
        make_facts(secret=SecretFacts())



# ------------------------------------------------------------- issue 9: an app on the developer's machine
def test_endpoints_of_an_app_on_127_0_0_1_only_are_graded_one_step_lower():
    """A Python web app with no deploy file and no server on every interface runs on 127.0.0.1 only:
    its endpoints and its missing authentication are graded one step lower, and the evidence says why."""
    local = code(endpoints=[reached(8, [("model", True)])], public_binds=[])
    [ep] = hits("architecture.endpoint_without_auth", make_facts(code=local))
    [nowhere] = hits("architecture.no_authentication", make_facts(code=local))
    assert (ep.severity, nowhere.severity) == ("medium", "medium")
    assert "only on 127.0.0.1" in ep.evidence and "only on 127.0.0.1" in nowhere.evidence
    # served on every interface, or deployed, or a Node server: not local
    served = make_facts(code=code(endpoints=[reached(8, [("model", True)])]))
    deployed = make_facts(code=local, practices=PracticeFacts(dockerfiles=["Dockerfile"]))
    node = make_facts(code=code(endpoints=[reached(8, [("model", True)]).model_copy(update={"path": "server.js"})],
                                public_binds=[]))
    for facts in (served, deployed, node):
        [hit] = hits("architecture.endpoint_without_auth", facts)
        assert hit.severity == "high" and "127.0.0.1" not in hit.evidence


def test_debug_mode_of_an_app_on_127_0_0_1_only_is_medium():
    debug = RuleHit(rule="deployment.debug_enabled", title="Debug mode or development server enabled",
                    evidence="app.run(debug=True)", path="app.py", line=40)
    local = code(endpoints=[reached(8, [("model", True)])], public_binds=[], rule_hits=[debug])
    [hit] = hits("deployment.debug_enabled", make_facts(code=local))
    assert hit.severity == "medium" and hit.evidence.endswith("(the development server's default; no deploy file, "
                                                              'no host="0.0.0.0")')
    served = code(endpoints=[reached(8, [("model", True)])], rule_hits=[debug])
    [hit] = [f for f in run_probes(make_facts(code=served), RUBRIC) if f.rule == "deployment.debug_enabled"]
    assert hit.severity == "high"
