"""Re-audit comparison (auditlib.diff, `auditlib diff`): a before/after pair of fixture repositories.

Before: a Flask app with a committed OpenAI-format key, a webhook helper, no tests. After, in a new
commit: the key is read from the environment (the history still holds it), a test file is added,
lines are inserted above the app's findings, the helper is renamed (git mv, a line added above its
finding), and a new module with an outbound request without a timeout is added.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from datetime import datetime, timezone
from pathlib import Path

import pytest

from auditlib import AuditContext, audit
from auditlib.cli import main
from auditlib.demo import FAKE_OPENAI_KEY
from auditlib.diff import DiffError, compare, load_pair, load_result, normalise, write_diff

from .conftest import have_chromium
from .gitrepo import git

APP = '''import sqlite3

from flask import Flask, request
from openai import OpenAI

from config import OPENAI_API_KEY

app = Flask(__name__)
client = OpenAI(api_key=OPENAI_API_KEY)


@app.route("/ask", methods=["POST"])
def ask():
    question = request.json["q"]
    reply = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": f"Answer this: {question}"}],
    )
    return {"answer": reply.choices[0].message.content}


@app.route("/orders")
def orders():
    db = sqlite3.connect("app.db")
    customer = request.args["customer"]
    rows = db.execute(f"SELECT * FROM orders WHERE customer = '{customer}'").fetchall()
    return {"rows": rows}
'''
NOTIFY = '''import requests


def notify(url, payload):
    """Tell the ops channel."""
    return requests.post(url, json=payload)
'''
WEBHOOK = '''import requests


def forward(url, body):
    return requests.post(url, data=body)
'''
TEST_APP = '''from app import app


def test_orders_needs_a_customer():
    client = app.test_client()
    assert client.get("/orders").status_code == 400
'''
SHIFT = 5  # lines inserted above the app's code


def _scan(root: Path, when: datetime):
    return audit(AuditContext(target=root, source=str(root), offline=True, now=when, progress=lambda _m: None))


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(before, after) results of the same repository, one commit apart."""
    root = tmp_path_factory.mktemp("diff") / "support-bot"
    root.mkdir()
    (root / "app.py").write_text(APP)
    (root / "config.py").write_text(f'OPENAI_API_KEY = "{FAKE_OPENAI_KEY}"\n')
    (root / "notify.py").write_text(NOTIFY)
    (root / "requirements.txt").write_text("flask==3.0.0\nopenai==1.30.0\nrequests==2.32.3\n")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "prototype")
    before = _scan(root, datetime(2026, 9, 1, tzinfo=timezone.utc))

    (root / "config.py").write_text('import os\n\nOPENAI_API_KEY = os.environ["OPENAI_API_KEY"]\n')
    (root / "app.py").write_text('"""Support bot."""\nimport logging\n\nlog = logging.getLogger(__name__)\n\n' + APP)
    (root / "services").mkdir()
    git(root, "mv", "notify.py", "services/notify.py")
    (root / "services/notify.py").write_text("# ops notifications\n" + NOTIFY)
    (root / "webhook.py").write_text(WEBHOOK)
    (root / "tests").mkdir()
    (root / "tests/test_app.py").write_text(TEST_APP)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "hardening sprint")
    after = _scan(root, datetime(2026, 11, 1, tzinfo=timezone.utc))
    return before, after


@pytest.fixture(scope="module")
def diff(pair):
    return compare(*pair)


def _rules(changes, side):
    return sorted((getattr(c, side).rule, getattr(c, side).path) for c in changes)


def test_the_fixture_pair_has_what_the_scenario_needs(pair):
    before, after = pair
    rules_before = {f.rule for f in before.findings}
    assert {"secret.committed_credential", "testing.no_tests", "http.call_without_timeout"} <= rules_before
    assert "secret.in_history" not in rules_before
    assert "testing.no_tests" not in {f.rule for f in after.findings}
    assert "secret.in_history" in {f.rule for f in after.findings}


def test_fixed_and_new_are_right(diff):
    assert _rules(diff.findings.fixed, "old") == [("testing.no_tests", None)]
    assert _rules(diff.findings.new, "new") == [("http.call_without_timeout", "webhook.py")]
    assert diff.counts["fixed"] == 1 and diff.counts["new"] == 1


def test_every_finding_is_accounted_for_once(pair, diff):
    before, after = pair
    old_ids = [c.old.id for c in diff.findings.fixed + diff.findings.still_open]
    new_ids = [c.new.id for c in diff.findings.new + diff.findings.still_open]
    assert sorted(old_ids) == sorted(f.id for f in before.findings)
    assert sorted(new_ids) == sorted(f.id for f in after.findings)


def test_shifted_findings_stay_open_and_nothing_else_moves(diff):
    still = diff.findings.still_open
    in_app = [c for c in still if c.old.path == "app.py" and c.old.line]
    assert len(in_app) >= 8  # the model call's findings, the endpoints, the SQL
    # repository-level findings placed at the first model call may count the repository's routes: the
    # "after" side adds webhook.py's route, so their evidence may change with the line (and says so)
    counted = {"errors.no_circuit_breaker", "llm.no_cost_attribution", "performance.model_calls_uncached"}
    for c in in_app:
        assert c.new.line == c.old.line + SHIFT
        if c.rule in counted:
            assert c.match in ("same_file", "same_file_changed") and f"line {c.old.line} -> {c.new.line}" in c.changes
            continue
        assert c.match == "same_file", (c.rule, c.changes)
        assert c.changes == [f"line {c.old.line} -> {c.new.line}"]
    special = {"secret.in_history", "http.call_without_timeout"}
    for c in still:
        if c.rule not in special and not (c.old.path == "app.py" and c.old.line):
            assert c.match == "same_file" and c.changes == [], (c.rule, c.changes)
    assert diff.counts["worse"] == 0


def test_a_key_removed_from_the_tree_but_in_history_stays_open(diff):
    [c] = [c for c in diff.findings.still_open if c.rule.startswith("secret.")]
    assert c.match == "same_secret"
    assert (c.old.rule, c.new.rule) == ("secret.committed_credential", "secret.in_history")
    assert c.old.path == c.new.path == "config.py"
    assert c.trend == "better" and "still in the git history" in c.note
    assert "secret.committed_credential" not in {x.rule for x in diff.findings.fixed}
    assert "secret.in_history" not in {x.rule for x in diff.findings.new}


def test_a_finding_in_a_renamed_file_stays_open(diff):
    [c] = [c for c in diff.findings.still_open if c.rule == "http.call_without_timeout"]
    assert (c.old.path, c.new.path) == ("notify.py", "services/notify.py")
    assert c.match in ("renamed", "moved")
    assert c.new.line == c.old.line + 1
    assert "file notify.py -> services/notify.py" in c.changes


def test_scores_band_and_verdict(pair, diff):
    before, after = pair
    s = diff.scores
    assert (s.total.old, s.total.new) == (before.scorecard.total, after.scorecard.total)
    assert s.total_delta == after.scorecard.total - before.scorecard.total
    testing = next(c for c in s.categories if c.id == "testing")
    assert testing.new > testing.old  # a test file now exists
    assert [c.id for c in s.categories] == list(after.scorecard.categories)
    assert s.verdict.old == before.decision.verdict and s.verdict.new == after.decision.verdict
    assert s.band.changed == (before.scorecard.band != after.scorecard.band)
    assert diff.old.commit == before.target.commit and diff.new.commit == after.target.commit


def test_comparing_an_audit_with_itself_changes_nothing(pair):
    before, _ = pair
    d = compare(before, before)
    assert d.counts == {"fixed": 0, "new": 0, "still_open": len(before.findings), "better": 0, "worse": 0}
    assert all(c.changes == [] for c in d.findings.still_open)
    assert d.scores.total_delta == 0 and not d.checklist
    assert any("same commit" in w for w in d.warnings)


def test_two_findings_of_one_rule_in_one_file_pair_by_fingerprint_not_order(pair):
    """Remove the first of two same-rule findings: the second is still open, the first fixed."""
    before, _ = pair
    f = next(x for x in before.findings if x.path == "app.py" and x.rule == "architecture.endpoint_without_auth")
    twin = f.model_copy(update={"id": "F-twin", "title": f.title + "x", "line": f.line + 40})
    old = before.model_copy(update={"findings": [twin, *before.findings]})
    d = compare(old, before)
    assert [c.old.id for c in d.findings.fixed] == ["F-twin"] and not d.findings.new


@pytest.mark.parametrize("text,own,expected", [
    ("path: request.args.q (app.py:25) → f-string → db.execute", ("app.py",),
     "path: request.args.q (<file>:#) → f-string → db.execute"),
    ("sk-p******** added in commit 75e639bb5a, still in history", (), "sk-p******** added in commit <commit>, still in history"),
    ("complex function at line 12 (complexity 23)", (), "complex function at line # (complexity 23)"),
    ("app.py holds db, llm, web code together", ("app.py",), "<file> holds db, llm, web code together"),
    ("model='gpt-4o'", (), "model='gpt-4o'"),
])
def test_normalise_takes_out_what_moves(text, own, expected):
    assert normalise(text, own) == expected


# ------------------------------------------------------------------------------------------ the CLI
@pytest.fixture
def folders(pair, tmp_path):
    """An audit folder for the old result and a bare results.json for the new one."""
    before, after = pair
    (tmp_path / "old").mkdir()
    before.write(tmp_path / "old" / "results.json")
    after.write(tmp_path / "new.json")
    return tmp_path / "old", tmp_path / "new.json"


def test_cli_writes_diff_json_and_html(folders, tmp_path, capsys):
    old, new = folders
    out = tmp_path / "diff-out"
    assert main(["diff", str(old), str(new), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "1 fixed, 1 new" in err
    data = json.loads((out / "diff.json").read_text())
    assert data["schema"] == "auditlib.diff/1" and data["results_schema"] == "auditlib.results/1"
    assert data["counts"]["fixed"] == 1 and data["counts"]["new"] == 1
    assert [c["old"]["rule"] for c in data["findings"]["fixed"]] == ["testing.no_tests"]
    assert "matching" in data and "same secret" in data["matching"]
    html = (out / "diff.html").read_text()
    assert "Findings fixed" in html and "New findings" in html and "Still open" in html
    assert "No automated tests" in html and "webhook.py" in html
    assert "<script" not in html.lower() and "Content-Security-Policy" in html
    assert "http://" not in html and "https://" not in html
    for name in ("diff.json", "diff.html"):
        text = (out / name).read_text()
        assert FAKE_OPENAI_KEY not in text and FAKE_OPENAI_KEY[4:12] not in text
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp file left


def test_a_secret_that_reached_a_results_file_unmasked_stays_masked(pair, tmp_path):
    """Defence in depth: a hand-edited or old results.json with a raw key does not leak it into the diff."""
    before, after = pair
    f = after.findings[0].model_copy(update={"evidence": f"key = {FAKE_OPENAI_KEY}"})
    leaky = after.model_copy(update={"findings": [f, *after.findings[1:]]})
    out = write_diff(compare(before, leaky), tmp_path / "out")
    for p in out.values():
        assert FAKE_OPENAI_KEY not in p.read_text() and FAKE_OPENAI_KEY[4:12] not in p.read_text()


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("auditlib: error: "), err
    assert "Traceback" not in err
    return lines[0]


def _edit(src: Path, dst: Path, change) -> Path:
    data = json.loads(src.read_text())
    change(data)
    dst.write_text(json.dumps(data))
    return dst


@pytest.mark.parametrize("make_old,expected", [
    (lambda t, old: t / "missing.json", "no such file or folder"),
    (lambda t, old: (t / "empty").mkdir() or t / "empty", "no results.json in this folder"),
    (lambda t, old: (t / "x.json").write_text("not json {") and t / "x.json", "not JSON"),
    (lambda t, old: (t / "x.json").write_text('{"a": 1}') and t / "x.json", "not an auditlib results file"),
    (lambda t, old: (t / "x.json").write_text('{"schema": "auditlib.results/1"}') and t / "x.json",
     "not a valid auditlib.results/1 file"),
    (lambda t, old: _edit(old / "results.json", t / "v2.json", lambda d: d.update(schema="auditlib.results/2")),
     "different schema versions"),
    (lambda t, old: _edit(old / "results.json", t / "other.json",
                          lambda d: d["target"].update(name="other-bot", source="/elsewhere/other-bot")),
     "different targets"),
])
def test_cli_errors_are_one_line_and_exit_2(folders, tmp_path, capsys, make_old, expected):
    old, new = folders
    bad = make_old(tmp_path, old)
    out = tmp_path / "out"
    assert main(["diff", str(bad), str(new), "--out", str(out), "-q"]) == 2
    assert expected in _one_line_error(capsys)
    assert not (out / "diff.json").exists()


def test_different_targets_are_compared_with_force_and_say_so(folders, tmp_path, capsys):
    old, new = folders
    other = _edit(old / "results.json", tmp_path / "other.json",
                  lambda d: d["target"].update(name="other-bot", source="/elsewhere/other-bot"))
    out = tmp_path / "out"
    assert main(["diff", str(other), str(new), "--out", str(out), "--force", "-q"]) == 0
    assert "auditlib: warning: Compared although" in capsys.readouterr().err
    data = json.loads((out / "diff.json").read_text())
    assert any("different targets" in w for w in data["warnings"])
    assert "different targets" in (out / "diff.html").read_text()


def test_api_errors_are_diff_errors(folders, tmp_path):
    old, new = folders
    with pytest.raises(DiffError, match="no such file"):
        load_result(tmp_path / "nope")
    a, b = load_pair(old, new)
    other = a.model_copy(update={"target": a.target.model_copy(update={"name": "x", "source": "y"})})
    with pytest.raises(DiffError, match="--force"):
        compare(other, b)


def test_cli_refuses_a_file_as_out(folders, tmp_path, capsys):
    old, new = folders
    (tmp_path / "taken").write_text("x")
    assert main(["diff", str(old), str(new), "--out", str(tmp_path / "taken"), "-q"]) == 2
    assert "not a directory" in _one_line_error(capsys)


@pytest.mark.slow
@pytest.mark.skipif(not have_chromium(), reason="needs chromium and pdftoppm")
def test_cli_pdf(folders, tmp_path):
    old, new = folders
    out = tmp_path / "out"
    assert main(["diff", str(old), str(new), "--out", str(out), "--pdf", "-q"]) == 0
    pdf = out / "diff.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        words = " ".join(text.split())  # table cells wrap
        assert "Re-audit comparison" in words and "Findings fixed" in words and "No automated tests" in words
        assert FAKE_OPENAI_KEY[4:12] not in text
