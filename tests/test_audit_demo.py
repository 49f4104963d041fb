"""The demo target audited in-process: the values results.json must carry."""

import json
import subprocess

from auditlib.audit import SCHEMA, AuditResult
from auditlib.demo import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY


def first_commit(repo):
    return subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=repo, capture_output=True,
                          text=True, check=True).stdout.strip()


def by_rule(result, rule):
    return [f for f in result.findings if f.rule == rule]


def test_committed_key_found_masked(demo_scan, demo_target):
    [f] = by_rule(demo_scan, "secret.committed_credential")
    assert (f.path, f.line, f.severity, f.category) == ("app.py", 7, "critical", "security_access")
    assert "sk-p********" in f.evidence and FAKE_OPENAI_KEY not in f.evidence
    assert first_commit(demo_target)[:10] in f.evidence  # exposed since the first commit


def test_key_removed_from_tree_is_found_in_history(demo_scan, demo_target):
    [f] = by_rule(demo_scan, "secret.in_history")
    assert f.commit == first_commit(demo_target) and f.path == "config.py"
    assert "sk-a********" in f.evidence


def test_no_secret_appears_anywhere_in_results(demo_scan):
    text = demo_scan.to_json()
    for key in (FAKE_OPENAI_KEY, FAKE_ANTHROPIC_KEY):
        assert key not in text and key[4:14] not in text


def test_vulnerable_dependency_found_offline(demo_scan):
    vulns = {f.evidence.split(" ")[0]: f for f in by_rule(demo_scan, "dependency.known_vulnerable")}
    assert set(vulns) == {"PYSEC-2023-62", "PYSEC-2023-74"}
    assert "CVE-2023-30861" in vulns["PYSEC-2023-62"].evidence and vulns["PYSEC-2023-62"].path == "requirements.txt"
    vc = demo_scan.facts.dependencies.vuln_check
    assert vc.status == "partial" and vc.checked == 2  # two pinned, two unpinned not looked up


def test_model_call_and_layering_findings(demo_scan):
    rules = {f.rule for f in demo_scan.findings}
    assert {"llm.user_input_in_prompt", "llm.call_without_timeout", "llm.inline_prompt", "architecture.sql_string_building",
            "architecture.mixed_layers", "testing.no_tests", "ci.missing", "history.authors_inactive"} <= rules
    sql = by_rule(demo_scan, "architecture.sql_string_building")
    assert {(f.path, f.line) for f in sql} >= {("app.py", 15), ("app.py", 48)}


def test_band_verdict_and_flip(demo_scan):
    sc, d = demo_scan.scorecard, demo_scan.decision
    assert sc.band == "high" and sc.total <= 19
    assert d.verdict == "not_ready"
    assert d.readiness["evaluation_set"].holds is False and d.readiness["use_case_validated"].holds is True
    assert d.flip.to == "rebuild"
    assert d.preconditions["engineers_available"].source == "evidence"  # from git: author inactive since March
    assert d.cost_money == (36000.0, 72000.0) and d.currency == "EUR"


def test_provenance_marks_auditor_answers(demo_scan):
    cats = demo_scan.scorecard.categories
    assert cats["incident_response"].source == "auditor"
    assert cats["security_access"].source == "auto" and cats["security_access"].provenance == "auto"
    items = {i.id: i for i in demo_scan.checklist}
    assert items["product.staged_rollout"].answer == "exception" and items["product.staged_rollout"].source == "auditor"
    assert items["security.secrets_manager"].answer == "no" and items["security.secrets_manager"].source == "auto"
    assert items["product.human_review"].answer is None and items["product.human_review"].provenance == "open"


def test_results_round_trip(demo_scan, tmp_path):
    path = demo_scan.write(tmp_path / "results.json")
    data = json.loads(path.read_text())
    assert data["schema"] == SCHEMA
    assert data["target"]["client"] == "Acme" and data["target"]["commit"] == demo_scan.facts.history.head
    f = data["findings"][0]
    assert {"id", "rule", "category", "severity", "title", "path", "line", "commit", "evidence", "phase", "effort"} <= set(f)
    again = AuditResult.read(path)
    assert again.decision.verdict == demo_scan.decision.verdict and len(again.findings) == len(demo_scan.findings)


def test_results_written_before_confidence_existed_still_read(demo_scan, tmp_path):
    """Results stay auditlib.results/1: a results.json without the findings' confidence reads as medium."""
    data = json.loads(demo_scan.to_json())
    for f in data["findings"]:
        del f["confidence"]
    path = tmp_path / "old-results.json"
    path.write_text(json.dumps(data))
    old = AuditResult.read(path)
    assert data["schema"] == SCHEMA
    assert len(old.findings) == len(demo_scan.findings) > 0
    assert {f.confidence for f in old.findings} == {"medium"}


def test_findings_carry_their_rules_confidence(demo_scan):
    [key] = by_rule(demo_scan, "secret.committed_credential")
    assert key.confidence == "high"  # a provider-format key
    assert {f.confidence for f in by_rule(demo_scan, "architecture.mixed_layers")} == {"low"}  # a heuristic
    [ci] = by_rule(demo_scan, "ci.missing")
    assert ci.confidence == "high"  # no CI configuration in the tree is a fact


def test_scorecard_basis_names_the_high_confidence_cap(demo_scan):
    """The demo's security category is capped by its committed key, and the basis says it was a
    finding of high confidence, by name."""
    security = demo_scan.scorecard.categories["security_access"]
    [cap] = [b for b in security.basis if b.startswith("capped")]
    assert cap.startswith("capped at 0 by a critical-severity finding of high confidence: Credential in code")
    assert "(app.py:7)" in cap


def test_report_shows_each_findings_confidence(demo_scan):
    from auditlib import report

    html = str(report.findings_table(demo_scan))
    assert "<th>Confidence</th>" in html
    rows = html.split("<tr>")[2:]  # after the header row
    assert len(rows) == len(demo_scan.findings)
    for f, row in zip(demo_scan.findings, rows, strict=False):
        assert f"<td>{f.confidence}<br>" in row
    summary = str(report.executive_summary(demo_scan))
    assert "<th>Confidence</th>" in summary and "by confidence:" in summary
    card = str(report.scorecard_table(demo_scan))
    assert "of high confidence: Credential in code" in card  # the client's view keeps the cap line
