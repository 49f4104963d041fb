"""The command line: bad targets end with one line and a non-zero exit; scan writes the contract."""

import json
import subprocess
import sys

import pytest

from auditlib.cli import main
from auditlib.demo import DEMO_ADVISORIES, FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "auditlib", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300)


@pytest.mark.parametrize("make_target,expected", [
    (lambda tmp: str(tmp / "missing"), "no such directory"),
    (lambda tmp: (tmp / "file.txt").write_text("x") and str(tmp / "file.txt"), "not a directory"),
    (lambda tmp: (tmp / "plain").mkdir() or str(tmp / "plain"), "not a git repository"),
    (lambda tmp: (tmp / "nowhere.git").as_uri(), "cannot clone"),
])
def test_bad_target_is_one_line_and_exit_2(tmp_path, make_target, expected):
    target = make_target(tmp_path)
    proc = run_cli("scan", target, "--json", str(tmp_path / "r.json"), "-q")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("auditlib: error:") and expected in lines[0]
    assert not (tmp_path / "r.json").exists()


def test_url_target_is_refused_offline(tmp_path, capsys):
    assert main(["scan", "https://example.invalid/repo.git", "--json", str(tmp_path / "r.json"), "--offline", "-q"]) == 2
    assert "--offline forbids network access" in capsys.readouterr().err


def test_audit_bad_target_does_not_start_jupyter(tmp_path, capsys):
    assert main(["audit", str(tmp_path / "missing"), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert not (tmp_path / "out").exists()


def test_malformed_answers_file_is_one_line(demo_target, tmp_path, capsys):
    bad = tmp_path / "answers.yaml"
    bad.write_text("checklist:\n  product.staged_rollout: exception\n")
    code = main(["scan", str(demo_target), "--json", str(tmp_path / "r.json"), "--offline", "--answers", str(bad), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "exception needs a written reason" in err and len(err.strip().splitlines()) == 1


def test_missing_vuln_db_is_reported(demo_target, tmp_path, capsys):
    code = main(["scan", str(demo_target), "--json", str(tmp_path / "r.json"), "--vuln-db", str(tmp_path / "nope"), "-q"])
    assert code == 2 and "--vuln-db" in capsys.readouterr().err


def test_scan_writes_results_and_shows_progress(demo_target, tmp_path):
    out = tmp_path / "results.json"
    proc = run_cli("scan", str(demo_target), "--json", str(out), "--offline", "--vuln-db", str(DEMO_ADVISORIES))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == "auditlib.results/1"
    assert {"target", "facts", "findings", "scorecard", "checklist", "decision"} <= set(data)
    for collector in ("inventory", "history", "secrets", "dependencies", "code", "practices", "complexity"):
        assert f"collect: {collector}" in proc.stderr  # progress names each collector
    text = out.read_text() + proc.stderr
    assert FAKE_OPENAI_KEY not in text and FAKE_ANTHROPIC_KEY not in text
    assert FAKE_OPENAI_KEY[4:12] not in text


def test_scan_offline_without_vuln_db_says_not_checked(demo_target, tmp_path):
    out = tmp_path / "results.json"
    assert main(["scan", str(demo_target), "--json", str(out), "--offline", "-q"]) == 0
    data = json.loads(out.read_text())
    vc = data["facts"]["dependencies"]["vuln_check"]
    assert vc["status"] == "not_checked" and "offline" in vc["reason"]
    rules = {f["rule"] for f in data["findings"]}
    assert "dependency.vulnerabilities_not_checked" in rules and "dependency.known_vulnerable" not in rules


def test_scan_clones_a_url_target(demo_target, tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITLIB_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "results.json"
    # a file:// URL goes through the clone path; --vuln-db keeps the vulnerability check local
    assert main(["scan", demo_target.as_uri(), "--json", str(out), "--vuln-db", str(DEMO_ADVISORIES), "-q"]) == 0
    assert len(list((tmp_path / "cache" / "clones").iterdir())) == 1
    data = json.loads(out.read_text())
    assert data["target"]["source"] == demo_target.as_uri()
    assert data["facts"]["history"]["commits"] == 4
    assert any(f["rule"] == "secret.in_history" for f in data["findings"])


def test_scan_writes_sarif_beside_results(demo_target, tmp_path):
    out = tmp_path / "results.json"
    assert main(["scan", str(demo_target), "--json", str(out), "--offline", "-q"]) == 0
    sarif = json.loads((tmp_path / "findings.sarif").read_text())
    assert sarif["version"] == "2.1.0"
    assert len(sarif["runs"][0]["results"]) == len(json.loads(out.read_text())["findings"])


@pytest.mark.parametrize("source,name", [
    ("https://user:pw@example.com/acme/proto.git?token=abc#frag", "proto"),
    ("git@github.com:acme/proto.git", "proto"),
    ("/home/me/work/proto/", "proto"),
])
def test_target_name_drops_url_noise(source, name):
    from auditlib.audit import target_name

    assert target_name(source) == name


def test_report_renders_a_live_session_and_leaves_its_workbook_alone(demo_target, tmp_path, capsys):
    from auditlib.workbook import lab_command, prepare_workspace

    out = tmp_path / "session"
    prepare_workspace(demo_target, out, client="Acme Corp", auditor="J. Doe", offline=True, vuln_db=str(DEMO_ADVISORIES))
    lab_command(out, 9999)  # as `auditlib open` does: the folder is marked as a session's
    (out / "answers.yaml").write_text("scores:\n  testing: {score: 2, reason: integration tests in the client's CI}\n")
    notebook = (out / "workbook.ipynb").read_bytes()
    assert main(["report", str(out), "--no-pdf", "-q"]) == 0
    assert (out / "workbook.ipynb").read_bytes() == notebook  # not executed, not rewritten
    results = json.loads((out / "results.json").read_text())
    assert results["target"]["client"] == "Acme Corp" and results["run"]["offline"] is True
    assert results["scorecard"]["categories"]["testing"]["score"] == 2
    html = (out / "report.html").read_text()
    assert "Acme Corp" in html and str(demo_target) not in html and str(tmp_path) not in html  # no local path
    assert str(DEMO_ADVISORIES) not in html
    assert "Score: Automated testing" in html and "score: testing" not in html  # by question, not by id

    # `audit --out` on the session's folder would replace the open workbook: refused, pointing to `report`
    assert main(["audit", str(demo_target), "--out", str(out), "--offline", "--no-pdf", "-q"]) == 2
    assert "auditlib report" in capsys.readouterr().err
    assert (out / "workbook.ipynb").read_bytes() == notebook


def test_report_of_a_folder_without_a_workbook_is_one_line(tmp_path, capsys):
    assert main(["report", str(tmp_path), "-q"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("auditlib: error:") and "auditlib open" in err and "Traceback" not in err
