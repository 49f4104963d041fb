"""The portfolio view (`auditlib portfolio FOLDER`): every results.json under a folder as one table,
charts, ranked lists, the targets that failed, and the changes since a previous portfolio.

Fixture results are built with the real pure layers (scoring, checklist, decision) from synthetic facts,
findings and answers, so each is a valid ``auditlib.results/1`` file whose band and verdict come from
the rubric, not typed by hand.
"""

from __future__ import annotations

import base64
import csv
import json
import re
import shutil
from pathlib import Path

import pytest
from pandas import isna as pd_isna

from auditlib import portfolio as pf
from auditlib.answers import Answers
from auditlib.audit import AuditResult, RunInfo, TargetInfo
from auditlib.decision import decide
from auditlib.metrics import compute_metrics
from auditlib.rubric import load_rubric
from auditlib.scoring import build_checklist, build_scorecard

from .factories import make_facts, make_finding

RUBRIC = load_rubric()
CATS = list(RUBRIC.categories)
READY = {"use_case_validated": True, "eval_set_size": 250, "named_owner": "Dana", "data_model_fit": True,
         "engineers_available": True, "security_debt_patchable": True, "model_choice_fits": True,
         "predates_feedback": False, "core_logic_sound": True, "fits_in_sprint": True}


def finding(rule: str, n: int = 0, severity: str | None = None):
    r = RUBRIC.rule(rule)
    return make_finding(rule, category=r.category, severity=severity or r.severity, fid=f"F-{rule}-{n}",
                        path="app.py", line=10 + n, confidence="high")


def make_result(name: str, score: int, findings=(), source: str | None = None, **questions) -> AuditResult:
    """A result whose every category the auditor scored ``score``, with the READY answers
    overridden by ``questions`` (None removes one)."""
    q = {k: v for k, v in {**READY, **questions}.items() if v is not None}
    answers = Answers(scores={c: {"score": score, "reason": "fixture"} for c in CATS}, questions=q)
    facts = make_facts()
    findings = list(findings)
    metrics = compute_metrics(facts, findings)
    return AuditResult(
        target=TargetInfo(name=name, source=source or f"/repos/{name}", commit=f"{name[:1] * 40}",
                          audited_at="2026-11-22T10:00:00+00:00", client="Acme"),
        facts=facts, metrics=metrics, findings=findings,
        scorecard=build_scorecard(RUBRIC, findings, metrics, answers),
        checklist=build_checklist(RUBRIC, findings, metrics, answers), decision=decide(RUBRIC, metrics, answers),
        run=RunInfo(rubric_version=RUBRIC.version, auditlib_version="test", tools={}, collectors={}, offline=True),
        answers=answers)


def write(folder: Path, name: str, result: AuditResult) -> Path:
    (folder / name).mkdir(parents=True, exist_ok=True)
    return result.write(folder / name / "results.json")


@pytest.fixture(scope="module")
def audits(tmp_path_factory) -> Path:
    """Five audited targets (one per triage), a broken results.json, an empty folder, and a batch.json
    with one failed target (no folder) beside the done ones."""
    root = tmp_path_factory.mktemp("portfolio") / "acme"
    no_tests = "testing.no_tests"
    timeout = "llm.call_without_timeout"
    write(root, "alpha", make_result("alpha", 5, [finding(timeout, 0), finding(timeout, 1)]))
    write(root, "beta", make_result("beta", 3, [finding(no_tests), *(finding(timeout, i) for i in range(3))],
                                    business_impact="critical - payments"))
    write(root, "gamma", make_result("gamma", 1, [finding(no_tests), finding("secret.committed_credential")]))
    write(root, "delta", make_result("delta", 3, [finding(no_tests)], engineers_available=False))
    write(root, "epsilon", make_result("epsilon", 4, [finding(no_tests)], named_owner=None))
    (root / "broken").mkdir()
    (root / "broken" / "results.json").write_text('{"schema": "auditlib.results/1", "target": ')
    (root / "empty").mkdir()
    (root / "empty" / "notes.txt").write_text("nothing here")
    (root / "batch.json").write_text(json.dumps({"targets": [
        *({"name": n, "source": f"/repos/{n}", "status": "done", "seconds": 9.5, "commit": n[:1] * 40, "error": None,
           "notebook": None} for n in ("alpha", "beta", "gamma", "delta", "epsilon")),
        {"name": "zeta", "source": "https://user:hunter2secret@git.example.com/acme/zeta.git", "status": "failed",
         "seconds": 3.0, "commit": None, "error": "workbook.ipynb failed in cell 4: RuntimeError: boom\nsecond line",
         "notebook": "zeta/workbook.ipynb", "extra": "ignored"},
    ]}))
    return root


@pytest.fixture(scope="module")
def previous(tmp_path_factory) -> Path:
    """An earlier portfolio: alpha scored lower, gamma audited under another folder name (same
    source), and omega, which is no longer in the portfolio."""
    root = tmp_path_factory.mktemp("portfolio") / "acme-before"
    write(root, "alpha", make_result("alpha", 3, [finding("llm.call_without_timeout")]))
    write(root, "gamma-old", make_result("gamma", 0, [finding("testing.no_tests")], source="/repos/gamma",
                                         engineers_available=False))
    write(root, "omega", make_result("omega", 2, []))
    return root


def test_fixture_results_are_valid_contract_files(audits):
    for name in ("alpha", "beta", "gamma", "delta", "epsilon"):
        r = AuditResult.read(audits / name / "results.json")
        assert r.target.name == name


def test_csv_has_one_row_per_target_and_the_documented_columns(audits):
    p = pf.load(audits)
    pf.write_csv(p)
    with open(audits / "portfolio.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = {r["name"]: r for r in reader}
        header = reader.fieldnames
    assert header == pf.columns(CATS)
    for col in ("name", "commit", "audited_at", "total", "band", "verdict", *CATS, "critical", "high", "medium",
                "triage", "top_risks"):
        assert col in header
    assert set(rows) == {"alpha", "beta", "gamma", "delta", "epsilon", "broken", "empty", "zeta"}
    alpha, gamma = rows["alpha"], rows["gamma"]
    assert (alpha["total"], alpha["band"], alpha["verdict"], alpha["status"]) == ("40", "low", "refactor", "audited")
    assert alpha["commit"] == "a" * 40 and alpha["audited_at"].startswith("2026-11-22")
    assert [alpha[c] for c in CATS] == ["5"] * 8
    assert (gamma["total"], gamma["band"]) == ("8", "high")
    assert (gamma["critical"], gamma["high"], gamma["medium"]) == ("1", "1", "0")
    assert gamma["top_risks"].split("; ")[0].startswith("title of secret.committed_credential (app.py:10)")
    assert rows["beta"]["business_impact"] == "critical"
    assert rows["alpha"]["seconds"] == "9.5"
    assert (audits / "portfolio.csv").stat().st_mode & 0o777 == 0o600  # atomic and owner-only, like every output


def test_triage_per_target_follows_band_and_verdict(audits):
    t = pf.load(audits).targets.set_index("name")
    assert t.loc["alpha", "triage"] == "launch_with_monitoring"   # low band, refactor
    assert t.loc["beta", "triage"] == "harden_first"              # moderate band, refactor
    assert t.loc["gamma", "triage"] == "refactor"                 # high band, refactor
    assert (t.loc["delta", "verdict"], t.loc["delta", "triage"]) == ("rebuild", "rebuild")
    assert (t.loc["epsilon", "verdict"], t.loc["epsilon", "triage"]) == ("not_ready", "not_ready")
    assert t.loc["epsilon", "band"] == "low"                      # not ready wins over a low launch risk


def test_failed_unreadable_and_empty_targets_are_listed_with_their_error(audits):
    p = pf.load(audits)
    bad = pf.not_audited(p).set_index("name")
    assert set(bad.index) == {"broken", "empty", "zeta"}
    assert bad.loc["zeta", "status"] == "failed"
    assert bad.loc["zeta", "error"] == "workbook.ipynb failed in cell 4: RuntimeError: boom second line"
    assert bad.loc["zeta", "notebook"] == "zeta/workbook.ipynb"
    assert "hunter2secret" not in bad.loc["zeta", "source"] and "git.example.com/acme/zeta" in bad.loc["zeta", "source"]
    assert bad.loc["broken", "status"] == "unreadable"
    assert bad.loc["broken", "error"].startswith("results.json: not valid JSON")
    assert (bad.loc["empty", "status"], bad.loc["empty", "error"]) == ("missing", "no results.json in this folder")
    html = str(pf.failed_table(p))
    for text in ("zeta", "RuntimeError: boom", "broken", "not valid JSON", "empty", "zeta/workbook.ipynb"):
        assert text in html
    # none of them is triaged or charted as if audited
    assert set(pf.audited(p)["name"]) == {"alpha", "beta", "gamma", "delta", "epsilon"}


def test_a_failed_rerun_keeps_the_earlier_audit_and_says_so(tmp_path):
    write(tmp_path, "alpha", make_result("alpha", 5))
    (tmp_path / "batch.json").write_text(json.dumps({"targets": [
        {"name": "alpha", "status": "failed", "error": "timeout after 600 s"}]}))
    row = pf.load(tmp_path).targets.set_index("name").loc["alpha"]
    assert row["status"] == "failed" and row["total"] == 40
    assert row["error"] == "timeout after 600 s (the table shows the earlier results.json)"


def test_fix_first_with_nothing_to_fix_says_so(tmp_path):
    # found by mypy (issue 12): the empty case added two HTML fragments, which raised TypeError
    write(tmp_path, "alpha", make_result("alpha", 5))
    html = str(pf.fix_first_table(pf.load(tmp_path)))
    assert "Nothing to fix: no finding above info." in html and "Score: for each target" in html


@pytest.mark.parametrize("content,note", [
    ("not json", "batch.json could not be read"),
    ('{"targets": 3}', "holds no `targets` list"),
])
def test_an_unreadable_batch_json_is_said_not_fatal(tmp_path, content, note):
    write(tmp_path, "alpha", make_result("alpha", 5))
    (tmp_path / "batch.json").write_text(content)
    p = pf.load(tmp_path)
    assert list(p.targets["name"]) == ["alpha"]
    assert any(note in n for n in p.notes) and note in str(pf.summary(p))


def test_most_common_findings(audits):
    c = pf.common_findings(pf.load(audits))
    assert list(c["rule"]) == ["testing.no_tests", "llm.call_without_timeout", "secret.committed_credential"]
    assert list(c["targets"]) == [4, 2, 1]
    assert list(c["occurrences"]) == [4, 5, 1]
    assert list(c["severity"]) == ["high", "medium", "critical"]


def test_fix_first_ranks_by_severity_reach_and_business_impact(audits):
    f = pf.fix_first(pf.load(audits))
    # testing.no_tests: high (5) in beta (critical impact, x4) and 3 targets without impact (x1): 20 + 15
    # secret.committed_credential: critical (10) in gamma: 10; llm.call_without_timeout: medium (2) in
    # alpha (x1) and beta (x4): 10; the tie goes to the more severe rule
    assert list(f["rule"]) == ["testing.no_tests", "secret.committed_credential", "llm.call_without_timeout"]
    assert list(f["score"]) == [35.0, 10.0, 10.0]
    assert f.set_index("rule").loc["testing.no_tests", "impact"] == "critical 1, not given 3"
    assert f.set_index("rule").loc["secret.committed_credential", "impact"] == "not given 1"


def test_heat_map_and_distribution_are_png_images(audits):
    p = pf.load(audits)
    m = pf.score_matrix(p)
    assert list(m.index) == ["gamma", "beta", "delta", "epsilon", "alpha"]  # lowest total first
    assert m.loc["gamma"].tolist() == [1.0] * 8
    for html in (pf.heatmap(p), pf.distribution(p)):
        found = re.search(r'src="data:image/png;base64,([^"]+)"', str(html))
        assert found, str(html)[:300]
        png = base64.b64decode(found.group(1))
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert width > 400 and height > 150


def test_since_shows_deltas_matched_by_name_then_source(audits, previous):
    p = pf.load(audits, since=previous)
    d = pf.deltas(p).set_index("name")
    a = d.loc["alpha"]
    assert (a["matched_by"], a["total_before"], a["total_after"], a["total_change"]) == ("name", 24, 40, 16)
    assert (a["band_before"], a["band_after"], a["triage_before"], a["triage_after"]) == (
        "moderate", "low", "harden_first", "launch_with_monitoring")
    g = d.loc["gamma"]
    assert g["matched_by"] == "source (was gamma-old)"
    assert (g["total_change"], g["verdict_before"], g["verdict_after"]) == (8, "rebuild", "refactor")
    if not pd_isna(a["fixed"]):  # auditlib.diff (the re-audit comparison) matched the findings
        assert (a["fixed"], a["new_findings"]) == (0, 1) and (g["fixed"], g["new_findings"]) == (0, 1)
    assert d.loc["beta", "matched_by"] == "new"
    assert d.loc["omega", "matched_by"] == "gone" and d.loc["omega", "total_before"] == 16
    html = str(pf.since_table(p))
    assert "24 → 40 (+16)" in html and "rebuild → refactor" in html
    assert "No previous portfolio" in str(pf.since_table(pf.load(audits)))


def test_every_rendered_section_names_its_targets(audits, previous):
    p = pf.load(audits, since=previous)
    targets = str(pf.targets_table(p))
    order = [targets.index(f"<td>{n}</td>") for n in ("epsilon", "delta", "alpha", "beta", "gamma")]
    assert order == sorted(order)  # in the rubric's triage order: not ready, rebuild, launch, harden, refactor
    assert "Launch with monitoring" in str(pf.triage_table(p)) and "Harden first" in str(pf.summary(p))
    assert "testing.no_tests" in str(pf.common_findings_table(p)) and "35" in str(pf.fix_first_table(p))
    assert "Acme" in str(pf.cover(p))


def test_shipped_triage_covers_every_band_and_verdict():
    tri = RUBRIC.portfolio
    assert [t.id for t in tri.triage] == ["not_ready", "rebuild", "launch_with_monitoring", "harden_first", "refactor"]
    assert tri.triage_for("low", "refactor").label == "Launch with monitoring"
    assert tri.triage_for(None, "refactor") is None


def test_a_triage_with_a_gap_is_rejected(tmp_path):
    import yaml

    from auditlib.errors import RubricError
    from auditlib.rubric import DEFAULT_RUBRIC_DIR

    dest = tmp_path / "checklists"
    shutil.copytree(DEFAULT_RUBRIC_DIR, dest)
    data = yaml.safe_load((dest / "portfolio.yaml").read_text())
    data["triage"] = [t for t in data["triage"] if t["id"] != "harden_first"]
    (dest / "portfolio.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(RubricError, match="portfolio.yaml.*moderate/refactor"):
        load_rubric(dest)
    (dest / "portfolio.yaml").unlink()  # a custom rubric without the file reads the shipped one
    assert load_rubric(dest).portfolio.triage_for("moderate", "refactor").id == "harden_first"


def test_cli_refuses_a_missing_or_empty_folder(tmp_path, capsys):
    from auditlib.cli import main

    assert main(["portfolio", str(tmp_path / "nope"), "--no-pdf"]) == 2
    assert "not a directory" in capsys.readouterr().err
    assert main(["portfolio", str(tmp_path), "--no-pdf"]) == 2
    assert "no results.json" in capsys.readouterr().err
    write(tmp_path, "alpha", make_result("alpha", 5))
    assert main(["portfolio", str(tmp_path), "--since", str(tmp_path / "nope"), "--no-pdf"]) == 2
    assert "--since" in capsys.readouterr().err


@pytest.mark.slow
def test_portfolio_end_to_end_html_pdf_csv(audits, previous, tmp_path):
    """`auditlib portfolio` runs the notebook (papermill), exports the HTML and prints the PDF."""
    from auditlib.cli import main

    from .conftest import have_chromium

    folder = tmp_path / "acme"
    shutil.copytree(audits, folder)
    for leftover in folder.glob("portfolio.*"):
        leftover.unlink()
    pdf = have_chromium()
    assert main(["portfolio", str(folder), "--since", str(previous), "-q"] + ([] if pdf else ["--no-pdf"])) == 0
    assert (folder / "portfolio.ipynb").exists()
    with open(folder / "portfolio.csv", newline="", encoding="utf-8") as fh:
        assert {r["name"] for r in csv.DictReader(fh)} == {"alpha", "beta", "gamma", "delta", "epsilon", "broken",
                                                           "empty", "zeta"}
    html = (folder / "portfolio.html").read_text(encoding="utf-8")
    for text in ("Portfolio: production readiness", "portfolio heat map", "category distribution chart",
                 "testing.no_tests", "Harden first", "RuntimeError: boom", "24 → 40 (+16)"):
        assert text in html, text
    assert "<script" not in html.lower() and "hunter2secret" not in html
    if pdf:
        import subprocess

        data = (folder / "portfolio.pdf").read_bytes()
        assert data.startswith(b"%PDF-")
        text = subprocess.run(["pdftotext", str(folder / "portfolio.pdf"), "-"], capture_output=True, text=True).stdout
        assert "Fix first" in text and "zeta" in text
