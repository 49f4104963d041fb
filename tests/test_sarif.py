"""SARIF 2.1.0 export: validated against the official OASIS schema (tests/data), and mapped as documented."""

from __future__ import annotations

import json
import re
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from jsonschema import Draft4Validator

from auditlib.answers import Answers
from auditlib.audit import assemble
from auditlib.context import AuditContext
from auditlib.masking import fingerprint, mask
from auditlib.models import CodeFacts, HistoryFacts, InventoryFacts, LLMCallSite, SecretFacts, SecretHit
from auditlib.rubric import load_rubric
from auditlib.sarif import (
    FINGERPRINT_KEY,
    REPOSITORY_URI,
    SARIF_SCHEMA_URI,
    SRCROOT,
    repository_uri,
    rule_title,
    to_sarif,
    write_sarif,
)

from .factories import make_facts, make_finding

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
HEAD = "c0ffee" + "0" * 34
OLD_COMMIT = "badc0de" + "1" * 33
# Fake credentials, built by concatenation so no scanner mistakes this file for a leak.
TREE_KEY = "sk-" + "proj-" + "Tr33K3yAbCdEfGhIjKlMnOpQrStUvWx" + "Yz0123456789"
HISTORY_KEY = "sk-" + "ant-api03-" + "H1st0ryK3yAbCdEfGhIjKlMnOpQrStUvWxYz" + "-0123456789AA"

# RFC 3986 relative reference: unreserved, percent-encoded, sub-delims, ':', '@', '/'. Draft-04's
# format checker has no `uri-reference` check, so the test checks the characters itself.
_URI_REF = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")


@pytest.fixture(scope="module")
def rubric():
    return load_rubric()


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return Draft4Validator(schema, format_checker=Draft4Validator.FORMAT_CHECKER)


def _hit(detector: str, secret: str, path: str, line: int, *, in_tree: bool, commit: str | None) -> SecretHit:
    return SecretHit(detector=detector, path=path, line=line, commit=commit, in_tree=in_tree, masked=mask(secret),
                     fingerprint=fingerprint(secret), context=f'key = "{mask(secret)}"')


@pytest.fixture(scope="module")
def synthetic(rubric, tmp_path_factory):
    """An AuditResult assembled from synthetic facts: secrets in the tree and in history, model calls."""
    facts = make_facts(
        inventory=InventoryFacts(files=4, code_files=2, code_lines=120),
        history=HistoryFacts(head=HEAD, branch="main", commits=3),
        secrets=SecretFacts(files_scanned=4, history_checked=True, env_files=[".env"], hits=[
            _hit("openai_api_key", TREE_KEY, "src/my app.py", 3, in_tree=True, commit=None),
            _hit("anthropic_api_key", HISTORY_KEY, "config.py", 7, in_tree=False, commit=OLD_COMMIT),
        ]),
        code=CodeFacts(files_parsed=2, llm_sdks=["openai"], llm_calls=[
            LLMCallSite(path="src/my app.py", line=12, function="ask", provider="openai",
                        api="client.chat.completions.create", model="gpt-4o", prompt_inline=True)]),
    )
    target = tmp_path_factory.mktemp("sarif") / "proto"
    ctx = AuditContext(target=target, source="https://user:t0ken@example.com/acme/proto.git?x=secret#frag",
                       offline=True, now=datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc),
                       progress=lambda _m: None)
    return assemble(ctx, rubric, facts, Answers(), {"secrets": {"available": True, "reason": None, "seconds": 0.1},
                                                     "code": {"available": False, "reason": "boom", "seconds": 0}})


def _results_by_rule(doc: dict, rule: str) -> list[dict]:
    return [r for r in doc["runs"][0]["results"] if r["ruleId"] == rule]


# ---------------------------------------------------------------------------------------- the schema
def test_vendored_schema_is_the_oasis_one():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["id"] == SARIF_SCHEMA_URI
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert (SCHEMA_PATH.parent / "sarif-schema-2.1.0.LICENSE.md").is_file()


def test_the_schema_rejects_what_it_should(validator, synthetic, rubric):
    """The validation below can fail: a wrong level, a missing message, a bad date are caught."""
    doc = to_sarif(synthetic, rubric)
    result = doc["runs"][0]["results"][0]
    for broken in ({**result, "level": "critical"}, {k: v for k, v in result.items() if k != "message"}):
        bad = json.loads(json.dumps(doc))
        bad["runs"][0]["results"][0] = broken
        assert list(validator.iter_errors(bad))
    bad = json.loads(json.dumps(doc))
    bad["runs"][0]["invocations"][0]["startTimeUtc"] = "yesterday"
    assert list(validator.iter_errors(bad))


def _assert_valid(validator, doc):
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
    assert not errors, errors[:5]
    for run in doc["runs"]:
        for res in run["results"]:
            for loc in res.get("locations", []):
                uri = loc["physicalLocation"]["artifactLocation"]["uri"]
                assert uri and _URI_REF.fullmatch(uri), uri
                assert ":" not in uri.split("/")[0], uri  # would read as a scheme


def test_synthetic_result_is_valid_sarif(validator, synthetic, rubric):
    doc = to_sarif(synthetic, rubric)
    assert doc["version"] == "2.1.0" and doc["$schema"] == SARIF_SCHEMA_URI
    assert len(doc["runs"]) == 1 and len(doc["runs"][0]["results"]) == len(synthetic.findings) >= 8
    _assert_valid(validator, doc)


def test_demo_result_is_valid_sarif_and_leaks_no_secret(validator, demo_scan, rubric, tmp_path):
    from auditlib.demo import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY

    doc = to_sarif(demo_scan, rubric)
    _assert_valid(validator, doc)
    assert len(doc["runs"][0]["results"]) == len(demo_scan.findings)
    text = write_sarif(demo_scan, rubric, tmp_path / "findings.sarif").read_text(encoding="utf-8")
    for key in (FAKE_OPENAI_KEY, FAKE_ANTHROPIC_KEY):
        assert key not in text
        assert key[4:16] not in text  # not even a fragment past the 4 visible characters
    assert "sk-p********" in text  # the masked form is what shows


# ---------------------------------------------------------------------------------------- the mapping
def test_run_tool_and_rules(synthetic, rubric):
    run = to_sarif(synthetic, rubric)["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "auditlib" and driver["version"]
    assert "informationUri" not in driver  # no placeholder address
    ids = [r["id"] for r in driver["rules"]]
    assert ids == list(rubric.rules.rules)  # every rubric rule, fired or not, in rubric order
    rule = driver["rules"][ids.index("secret.committed_credential")]
    assert rule["shortDescription"]["text"] == "Secret: committed credential"
    assert rule["fullDescription"]["text"] == rule["help"]["text"] == rubric.rule("secret.committed_credential").remediation
    props = rule["properties"]
    assert props["security-severity"] == "9.5" and props["category"] == "security_access"
    assert props["phase"] == 3 and props["effort"] == "S" and props["owasp"] == "LLM02"
    assert "security" in props["tags"] and "external/owasp-llm-2025/llm02" in props["tags"]
    assert rule["defaultConfiguration"]["level"] == "error"
    low = driver["rules"][ids.index("llm.hardcoded_model")]
    assert low["properties"]["security-severity"] == "3.0" and "security" not in low["properties"]["tags"]
    assert rule_title("llm.call_without_timeout") == "LLM: call without timeout"


def test_every_rule_id_resolves(synthetic, rubric):
    run = to_sarif(synthetic, rubric)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    for res in run["results"]:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]


def test_a_finding_of_a_rule_the_rubric_lacks_still_has_a_rule(synthetic, rubric):
    result = synthetic.model_copy(update={"findings": [make_finding("gone.rule", severity="medium")]})
    run = to_sarif(result, rubric)["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert rules[run["results"][0]["ruleIndex"]]["id"] == "gone.rule"
    assert rules[-1]["properties"]["security-severity"] == "5.5"


@pytest.mark.parametrize("severity,level,score", [
    ("critical", "error", "9.5"), ("high", "error", "8.0"), ("medium", "warning", "5.5"),
    ("low", "note", "3.0"), ("info", "note", "1.0"),
])
def test_level_mapping(synthetic, rubric, validator, severity, level, score):
    finding = make_finding(f"x.{severity}", severity=severity)
    doc = to_sarif(synthetic.model_copy(update={"findings": [finding]}), rubric)
    _assert_valid(validator, doc)
    run = doc["runs"][0]
    res = run["results"][0]
    assert res["level"] == level
    rule = run["tool"]["driver"]["rules"][res["ruleIndex"]]
    assert rule["properties"]["security-severity"] == score and rule["defaultConfiguration"]["level"] == level


def test_confidence_is_carried_per_result_and_per_rule(synthetic, rubric, validator):
    """Each result says its finding's confidence (a probe may grade one hit away from the rule's
    default); each rule says its default as ``precision``, the property GitHub code scanning reads."""
    finding = make_finding("llm.user_input_in_prompt", severity="high", confidence="high", fid="F-graded")
    doc = to_sarif(synthetic.model_copy(update={"findings": [*synthetic.findings, finding]}), rubric)
    _assert_valid(validator, doc)
    run = doc["runs"][0]
    by_id = {r["properties"]["findingId"]: r for r in run["results"]}
    assert by_id["F-graded"]["properties"]["confidence"] == "high"
    for f in synthetic.findings:
        assert by_id[f.id]["properties"]["confidence"] == f.confidence
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert rules["llm.user_input_in_prompt"]["properties"]["precision"] == rubric.rule("llm.user_input_in_prompt").confidence
    assert {r["properties"]["precision"] for r in rules.values()} <= {"high", "medium", "low"}
    assert rules["secret.committed_credential"]["properties"]["precision"] == "high"
    assert rules["secret.generic_high_entropy"]["properties"]["precision"] == "low"


def test_located_finding_has_path_and_line(synthetic, rubric):
    doc = to_sarif(synthetic, rubric)
    (res,) = _results_by_rule(doc, "secret.committed_credential")
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "src/my%20app.py", "uriBaseId": SRCROOT}
    assert loc["region"] == {"startLine": 3}
    assert res["partialFingerprints"] == {FINGERPRINT_KEY: res["properties"]["findingId"]}
    assert res["message"]["text"].startswith("Credential in code: openai api key: sk-p")


def test_finding_with_path_but_no_line(synthetic, rubric):
    (res,) = _results_by_rule(to_sarif(synthetic, rubric), "secret.env_file_committed")
    loc = res["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == ".env" and "region" not in loc


def test_finding_without_path_gets_a_repository_level_location(synthetic, rubric):
    no_path = [f for f in synthetic.findings if not f.path]
    assert no_path, "the synthetic facts should produce repository-wide findings (no tests, no CI)"
    doc = to_sarif(synthetic, rubric)
    for f in no_path:
        (res,) = [r for r in doc["runs"][0]["results"] if r["properties"]["findingId"] == f.id]
        (loc,) = res["locations"]
        assert loc["physicalLocation"]["artifactLocation"] == {"uri": REPOSITORY_URI, "uriBaseId": SRCROOT}
        assert "region" not in loc["physicalLocation"]
        assert res["properties"]["repositoryLevel"] is True


def test_history_only_finding(synthetic, rubric):
    (res,) = _results_by_rule(to_sarif(synthetic, rubric), "secret.in_history")
    assert res["properties"]["commit"] == OLD_COMMIT and res["properties"]["historyOnly"] is True
    assert res["properties"]["lineInCommit"] == 7
    assert OLD_COMMIT[:10] in res["message"]["text"]
    loc = res["locations"][0]
    assert loc["physicalLocation"]["artifactLocation"]["uri"] == "config.py"
    # the line belongs to the file as it was in that commit, not at the audited revision
    assert "region" not in loc["physicalLocation"]
    assert OLD_COMMIT in loc["message"]["text"]


def test_commit_is_added_to_a_message_that_lacks_it(synthetic, rubric):
    finding = make_finding("x.rule").model_copy(update={"commit": OLD_COMMIT, "path": "a.py", "line": 2})
    res = to_sarif(synthetic.model_copy(update={"findings": [finding]}), rubric)["runs"][0]["results"][0]
    assert res["message"]["text"].endswith(f"(commit {OLD_COMMIT[:10]})")


def test_provenance_and_invocation(synthetic, rubric):
    run = to_sarif(synthetic, rubric)["runs"][0]
    (vcs,) = run["versionControlProvenance"]
    assert vcs["revisionId"] == HEAD and vcs["branch"] == "main"
    assert vcs["repositoryUri"] == "https://example.com/acme/proto.git"  # no user, token, query or fragment
    assert run["properties"]["target"] == "proto"
    inv = run["invocations"][0]
    assert inv["executionSuccessful"] is True
    assert inv["properties"]["rubricVersion"] == rubric.version
    assert inv["properties"]["collectorsUnavailable"] == ["code"]
    assert inv["startTimeUtc"] == "2026-11-22T09:30:00Z"
    assert any("code could not run: boom" in n["message"]["text"] for n in inv["toolExecutionNotifications"])


def test_no_provenance_without_a_commit(synthetic, rubric):
    target = synthetic.target.model_copy(update={"commit": None})
    run = to_sarif(synthetic.model_copy(update={"target": target}), rubric)["runs"][0]
    assert "versionControlProvenance" not in run


@pytest.mark.parametrize("source,expected", [
    ("https://user:t0ken@github.com/acme/proto.git", "https://github.com/acme/proto.git"),
    ("https://github.com:8443/acme/proto?access_token=abc", "https://github.com:8443/acme/proto"),
    ("git@github.com:acme/proto.git", "ssh://github.com/acme/proto.git"),
    ("ssh://git:pw@[::1]:2222/proto.git", "ssh://[::1]:2222/proto.git"),
    ("/srv/repos/my proto", "file:///srv/repos/my%20proto"),
    ("", None),
])
def test_repository_uri(source, expected):
    assert repository_uri(source) == expected


def test_odd_paths_become_valid_uri_references(synthetic, rubric, validator):
    findings = [make_finding("x.rule", fid=f"F-{i}").model_copy(update={"path": p, "line": 1})
                for i, p in enumerate(["a:b.py", "dir/naïve #1.py", "./lead.py", "50%.py", "bad\udcffname.py"])]
    doc = to_sarif(synthetic.model_copy(update={"findings": findings}), rubric)
    _assert_valid(validator, doc)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in doc["runs"][0]["results"]]
    assert uris == ["a%3Ab.py", "dir/na%C3%AFve%20%231.py", "lead.py", "50%25.py", "bad%FFname.py"]


# ---------------------------------------------------------------------------------------- writing
def test_write_sarif_is_atomic_and_keeps_the_mode(synthetic, rubric, tmp_path):
    path = tmp_path / "out" / "findings.sarif"
    assert write_sarif(synthetic, rubric, path) == path
    assert json.loads(path.read_text(encoding="utf-8")) == to_sarif(synthetic, rubric)
    path.chmod(0o640)
    write_sarif(synthetic, rubric, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["findings.sarif"]  # no temp file left behind


def test_synthetic_secrets_never_appear(synthetic, rubric, tmp_path):
    text = write_sarif(synthetic, rubric, tmp_path / "findings.sarif").read_text(encoding="utf-8")
    for key in (TREE_KEY, HISTORY_KEY):
        assert key not in text and key[4:16] not in text
    assert "t0ken" not in text and "secret#frag" not in text
