"""Accepted findings (issue 12): a finding accepted with a written reason, in the repository's
``.auditlib.yaml`` or in the auditor's answers, leaves the score but stays listed with its reason."""

from __future__ import annotations

import datetime as dt
import json
from datetime import datetime
from pathlib import Path

import pytest

from auditlib.accept import (
    MAX_ACCEPT_ENTRIES,
    MAX_CONFIG_BYTES,
    apply_acceptances,
    entry_matches,
    parse_repo_config,
    read_repo_config,
    scoring_facts,
)
from auditlib.answers import Answers, load_answers, parse_answers
from auditlib.audit import AuditResult
from auditlib.collect.files import list_files
from auditlib.errors import AnswersError
from auditlib.fingerprint import ID_PATTERN, fingerprint_id
from auditlib.metrics import compute_metrics
from auditlib.models import AcceptEntry, PracticeFacts, RepoConfig, SecretFacts, SecretHit
from auditlib.rubric import load_rubric
from auditlib.scoring import build_checklist, build_scorecard

from .corpus import PRIVATE_KEY
from .factories import make_facts, make_finding
from .gitrepo import make_repo

RUBRIC = load_rubric()
TODAY = dt.date(2026, 11, 22)
NOW = datetime(2026, 11, 22, tzinfo=dt.UTC)


def config(text: str, files=None) -> RepoConfig:
    return parse_repo_config(text, ".auditlib.yaml", files)


def facts_with(cfg: RepoConfig | None = None, **parts):
    return make_facts(practices=PracticeFacts(config=cfg), **parts)


def key_finding(path="tests/fixtures/keys.py", line=3, **kw):
    return make_finding("secret.committed_credential", severity="critical", confidence="high", path=path,
                        line=line, fid=kw.pop("fid", "F-key"), **kw)


# ---------------------------------------------------------------------------------------- the file format
def test_a_valid_file_gives_its_entries_and_declared_ci():
    cfg = config("""
ci: [.ci/run]
accept:
  - rule: secret.committed_credential
    path: tests/fixtures/keys.py
    line: 3
    reason: Fake key of the detector tests.
    by: Security team
    until: 2027-06-30
  - fingerprint: fp-0123456789abcdef
    reason: Known and tracked in JIRA-12.
""", files=[".ci/run"])
    assert cfg.problems == []
    assert cfg.ci == [".ci/run"]
    assert [e.rule for e in cfg.accept] == ["secret.committed_credential", None]
    assert cfg.numbers == [1, 2]
    first = cfg.accept[0]
    assert (first.path, first.line, first.by, first.until) == ("tests/fixtures/keys.py", 3, "Security team",
                                                              dt.date(2027, 6, 30))
    assert cfg.accept[1].fingerprint == "fp-0123456789abcdef"


@pytest.mark.parametrize("entry, says", [
    ("{rule: secret.committed_credential}", "accept[1]: no `reason:`: an accepted finding needs a written reason; refused"),
    ("{rule: secret.committed_credential, reason: '   '}", "accept[1]: `reason`: an accepted finding needs a written `reason:` (it is empty); refused"),
    ("{reason: because}", "accept[1]: name the finding by `fingerprint:`"),
    ("{rule: '*', reason: because}", "accept[1]: `rule: *` names every rule"),
    ("{rule: secret.x, path: '**', reason: because}", "accept[1]: `path: **` names every file"),
    ("{fingerprint: F-1234, reason: because}", "is not a finding fingerprint"),
    ("{rule: secret.x, line: 3, reason: because}", "`line:` needs a `path:`"),
    ("{rule: secret.x, until: next week, reason: because}", "accept[1]: `until`: `until:` must be a date"),
    ("{rule: secret.x, reason: because, colour: red}", "accept[1]: unknown key `colour`"),
    ("just text", "accept[1]: not a mapping"),
])
def test_a_bad_entry_is_refused_with_one_line_and_the_others_kept(entry, says):
    cfg = config(f"accept:\n  - {entry}\n  - {{rule: secret.in_history, reason: fine}}\n")
    assert len(cfg.problems) == 1
    problem = cfg.problems[0]
    assert says in problem and "\n" not in problem
    assert [e.rule for e in cfg.accept] == ["secret.in_history"] and cfg.numbers == [2]


@pytest.mark.parametrize("text, says", [
    ("accept: [", "not valid YAML"),
    ("- a\n- b\n", "not a mapping"),
    ("accept: {rule: x}", "`accept:` must be a list"),
    ("ignore: [x]\n", "unknown key `ignore`"),
    ("ci: 3\n", "`ci:` must be a path or a list of paths"),
    ("ci: [missing.sh]\n", "ci[1]: missing.sh is not a file of the repository"),
])
def test_a_bad_file_is_reported_not_raised(text, says):
    cfg = config(text, files=[])
    assert any(says in p for p in cfg.problems), cfg.problems


def test_an_alias_bomb_is_not_expanded():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i in range(1, 8):
        bomb += f"a{i}: &a{i} [*a{i - 1 if i > 1 else ''}, *a{i - 1 if i > 1 else ''}, *a{i - 1 if i > 1 else ''}, " \
                f"*a{i - 1 if i > 1 else ''}, *a{i - 1 if i > 1 else ''}, *a{i - 1 if i > 1 else ''}, " \
                f"*a{i - 1 if i > 1 else ''}, *a{i - 1 if i > 1 else ''}, *a{i - 1 if i > 1 else ''}, " \
                f"*a{i - 1 if i > 1 else ''}]\n"
    bomb = bomb.replace("*a0", "*a")
    cfg = config(bomb)
    assert cfg.accept == [] and any("aliases are expanded" in p for p in cfg.problems)


def test_entries_past_the_cap_are_not_read():
    body = "accept:\n" + "".join(f"  - {{rule: secret.in_history, path: f{i}.py, reason: r}}\n"
                                 for i in range(MAX_ACCEPT_ENTRIES + 5))
    cfg = config(body)
    assert len(cfg.accept) == MAX_ACCEPT_ENTRIES
    assert any(f"only the first {MAX_ACCEPT_ENTRIES}" in p for p in cfg.problems)


def test_the_file_is_read_from_the_tracked_tree_without_running_anything(tmp_path: Path):
    marker = tmp_path / "ran"
    repo = make_repo(tmp_path / "r", {
        ".auditlib.yaml": f"accept:\n  - !!python/object/apply:os.system ['touch {marker}']\n"
                          "  - {rule: secret.in_history, reason: fine}\n",
        "app.py": "print(1)\n"})
    cfg = read_repo_config(list_files(repo))
    assert not marker.exists()  # safe_load: no Python object is built, no command run
    assert cfg is not None and cfg.accept == [] and any("not valid YAML" in p for p in cfg.problems)


def test_an_oversize_or_linked_file_is_not_read(tmp_path: Path):
    big = make_repo(tmp_path / "big", {".auditlib.yaml": "# " + "x" * MAX_CONFIG_BYTES + "\n"})
    cfg = read_repo_config(list_files(big))
    assert cfg.accept == [] and "not read" in cfg.problems[0]
    none = make_repo(tmp_path / "none", {"app.py": "x = 1\n"})
    assert read_repo_config(list_files(none)) is None
    linked = tmp_path / "linked"
    linked.mkdir()
    (tmp_path / "outside.yaml").write_text("accept:\n  - {rule: secret.in_history, reason: fine}\n")
    (linked / ".auditlib.yaml").symlink_to(tmp_path / "outside.yaml")
    cfg = read_repo_config(list_files(linked))
    assert cfg is not None and cfg.accept == [] and cfg.problems  # a symlink is never followed


# ----------------------------------------------------------------------------------------------- matching
def test_fingerprints_survive_moved_lines_and_renames():
    a = make_finding("secret.committed_credential", path="a.py", line=3)
    b = make_finding("secret.committed_credential", path="b/renamed.py", line=90)
    assert fingerprint_id(a) == fingerprint_id(b)
    assert ID_PATTERN.match(fingerprint_id(a))
    c = make_finding("secret.in_history", path="a.py", line=3)
    assert fingerprint_id(c) != fingerprint_id(a)


def test_entries_match_by_rule_family_path_glob_and_line():
    f = key_finding(path="tests/fixtures/keys.py", line=3)
    assert entry_matches(AcceptEntry(rule="secret.*", reason="r"), f)
    assert entry_matches(AcceptEntry(rule="secret.committed_credential", path="tests/**", reason="r"), f)
    assert entry_matches(AcceptEntry(rule="secret.committed_credential", path="tests/", reason="r"), f)
    assert not entry_matches(AcceptEntry(rule="secret.committed_credential", path="tests/*.py", reason="r"), f)
    assert entry_matches(AcceptEntry(rule="secret.committed_credential", path="tests/fixtures/keys.py", line=3,
                                     reason="r"), f)
    assert not entry_matches(AcceptEntry(rule="secret.committed_credential", path="tests/fixtures/keys.py", line=4,
                                         reason="r"), f)
    assert not entry_matches(AcceptEntry(rule="llm.*", reason="r"), f)


def test_an_accepted_finding_is_marked_and_each_entry_reported():
    cfg = config("""
accept:
  - {rule: secret.committed_credential, path: tests/**, reason: Fake key of the tests., by: Sec}
  - {rule: llm.inline_prompt, path: nowhere.py, reason: Gone since.}
  - {rule: no.such.rule, reason: Typo.}
  - {rule: secret.in_history, reason: Old., until: 2026-01-31}
""")
    hist = make_finding("secret.in_history", path="old.py", line=1, fid="F-hist")
    findings, records = apply_acceptances([key_finding(), hist], facts_with(cfg), RUBRIC, Answers(), TODAY)
    key, old = findings
    assert key.accepted is not None and key.accepted.reason == "Fake key of the tests."
    assert (key.accepted.by, key.accepted.source, key.accepted.file, key.accepted.entry) == \
        ("Sec", "repository", ".auditlib.yaml", 1)
    assert old.accepted is None  # its acceptance expired
    assert all(f.fingerprint and ID_PATTERN.match(f.fingerprint) for f in findings)
    assert [(r.number, r.status) for r in records] == [(1, "applied"), (2, "unmatched"), (3, "refused"),
                                                        (4, "expired")]
    assert records[0].findings == ["F-key"]
    assert "matches no rule" in records[2].message
    assert records[3].message.startswith("expired on 2026-01-31") and records[3].findings == ["F-hist"]


def test_the_auditor_comes_first_and_may_refuse_the_repositorys_acceptances():
    cfg = config("accept:\n  - {rule: secret.committed_credential, reason: Says the repository.}\n")
    answers = Answers(auditor="J. Doe", accept=[AcceptEntry(fingerprint=fingerprint_id(key_finding()),
                                                            reason="Checked: a fixture.")])
    (f,), records = apply_acceptances([key_finding()], facts_with(cfg), RUBRIC, answers, TODAY)
    assert (f.accepted.source, f.accepted.reason, f.accepted.by) == ("auditor", "Checked: a fixture.", "J. Doe")
    assert [r.source for r in records] == ["auditor", "repository"]

    refuse = Answers(accept_repository=False)
    (f,), records = apply_acceptances([key_finding()], facts_with(cfg), RUBRIC, refuse, TODAY)
    assert f.accepted is None
    assert records[0].status == "ignored" and records[0].findings == ["F-key"]


def test_the_repository_files_problems_are_reported_as_refused_entries():
    cfg = config("accept:\n  - {rule: secret.committed_credential}\n")
    _, records = apply_acceptances([key_finding()], facts_with(cfg), RUBRIC, Answers(), TODAY)
    assert [(r.status, r.number) for r in records] == [("refused", 1)]
    assert "needs a written reason" in records[0].message


# ------------------------------------------------------------------------------------------- the answers
def test_an_answers_entry_without_a_reason_is_a_one_line_error(tmp_path: Path):
    path = tmp_path / "answers.yaml"
    path.write_text("accept:\n  - {rule: secret.committed_credential, path: tests/keys.py}\n")
    with pytest.raises(AnswersError) as err:
        load_answers(path, RUBRIC)
    assert str(err.value) == f"{path}: accept[1]: no `reason:`: an accepted finding needs a written reason"


def test_an_answers_entry_naming_no_rule_is_refused(tmp_path: Path):
    path = tmp_path / "answers.yaml"
    path.write_text("accept:\n  - {rule: secrets.committed, reason: typo}\n")
    with pytest.raises(AnswersError, match=r"accept\[1\] \(rule 'secrets.committed'\)"):
        load_answers(path, RUBRIC)


def test_answers_with_acceptances_round_trip(tmp_path: Path):
    from auditlib.answers import save_answers

    answers = parse_answers({"accept": [{"rule": "secret.*", "path": "tests/**", "reason": "Fixtures.",
                                         "until": "2027-01-01"}], "accept_repository": False})
    path = tmp_path / "answers.yaml"
    save_answers(answers, path)
    again = load_answers(path, RUBRIC)
    assert again.accept == answers.accept and again.accept_repository is False


# ---------------------------------------------------------------------------------------- the score
def test_an_accepted_critical_finding_neither_caps_nor_counts():
    accepted = key_finding().model_copy(update={"accepted": _acceptance()})
    card = build_scorecard(RUBRIC, [accepted], {}, Answers())
    sec = card.categories["security_access"]
    assert sec.suggested is None or sec.suggested > 0
    assert not any(b.startswith("capped") for b in sec.basis)
    assert "left out: 1 accepted finding(s) (reasons in the appendix)" in sec.basis
    assert sec.evidence == []
    uncapped = build_scorecard(RUBRIC, [key_finding()], {}, Answers()).categories["security_access"]
    assert uncapped.score == 0 and any(b.startswith("capped at 0") for b in uncapped.basis)


def test_accepted_findings_leave_the_checklist_and_the_decision_metrics():
    accepted = key_finding().model_copy(update={"accepted": _acceptance()})
    live = [f for f in [accepted] if f.accepted is None]
    metrics = compute_metrics(make_facts(), live)
    assert metrics["severe_security_findings"] == 0
    entries = build_checklist(RUBRIC, [accepted], metrics, Answers())
    assert all("F-key" not in e.evidence for e in entries)


def test_the_secret_behind_an_accepted_finding_is_no_live_credential():
    hit = SecretHit(detector="private_key", path="tests/fixtures/keys.py", line=3, masked="MIIE********",
                    fingerprint="h1", confidence="high")
    other = SecretHit(detector="private_key", path="app.py", line=9, masked="MIIE********", fingerprint="h2",
                      confidence="high")
    facts = make_facts(secrets=SecretFacts(hits=[hit, other], history_checked=True))
    accepted = key_finding().model_copy(update={"accepted": _acceptance()})
    assert compute_metrics(facts, [])["live_secrets_in_tree"] == 2
    scored = scoring_facts(facts, [accepted, make_finding("secret.committed_credential", path="app.py", line=9)])
    assert compute_metrics(scored, [])["live_secrets_in_tree"] == 1
    assert facts.secrets.hits == [hit, other]  # the facts themselves stay complete


def _acceptance():
    from auditlib.models import Acceptance

    return Acceptance(reason="Fake key of the tests.", source="repository", file=".auditlib.yaml", entry=1)


# -------------------------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def accepted_audit(tmp_path_factory):
    """A repository with the planted fake key of the test corpus and a .auditlib.yaml accepting it."""
    from auditlib import AuditContext, audit

    root = tmp_path_factory.mktemp("accept")
    repo = make_repo(root / "r", {
        "tests/fixtures/keys.py": 'PEM = """' + PRIVATE_KEY + '"""\n',
        "tests/test_app.py": "def test_x():\n    assert True\n",
        "app.py": "print('hi')\n",
        ".auditlib.yaml": "accept:\n"
                          "  - rule: secret.committed_credential\n"
                          "    path: tests/fixtures/**\n"
                          "    reason: The planted fake key of the detector tests; never a live credential.\n"
                          "    by: Maintainers\n"
                          "  - {rule: secret.committed_credential, path: tests/other.py}\n"})
    plain = make_repo(root / "plain", {
        "tests/fixtures/keys.py": 'PEM = """' + PRIVATE_KEY + '"""\n',
        "tests/test_app.py": "def test_x():\n    assert True\n",
        "app.py": "print('hi')\n"})

    def run(target):
        return audit(AuditContext(target=target, source=str(target), offline=True, now=NOW,
                                  progress=lambda _m: None))

    return run(repo), run(plain)


def test_the_planted_key_is_accepted_end_to_end(accepted_audit):
    result, plain = accepted_audit
    (key,) = [f for f in result.findings if f.rule == "secret.committed_credential"]
    (raw,) = [f for f in plain.findings if f.rule == "secret.committed_credential"]
    assert raw.severity == "critical" and raw.accepted is None
    assert key.accepted is not None and key.accepted.by == "Maintainers"
    assert key.fingerprint == raw.fingerprint  # the same finding, named the same way
    assert plain.scorecard.categories["security_access"].score == 0
    sec = result.scorecard.categories["security_access"]
    assert sec.score > plain.scorecard.categories["security_access"].score
    assert result.metrics["live_secrets_in_tree"] == 0 and plain.metrics["live_secrets_in_tree"] == 1
    assert result.metrics["severe_security_findings"] == 0
    assert [(r.status, r.number) for r in result.acceptances] == [("applied", 1), ("refused", 2)]


def test_results_json_keeps_the_accepted_finding_and_reads_back(accepted_audit, tmp_path: Path):
    result, _ = accepted_audit
    path = result.write(tmp_path / "results.json")
    data = json.loads(path.read_text())
    (key,) = [f for f in data["findings"] if f["rule"] == "secret.committed_credential"]
    assert key["accepted"]["reason"].startswith("The planted fake key")
    assert key["accepted"]["source"] == "repository"
    assert data["acceptances"][1]["status"] == "refused"
    assert AuditResult.read(path).findings == result.findings
    assert PRIVATE_KEY.splitlines()[1] not in path.read_text()  # the key itself never leaves masked


def test_the_report_lists_the_accepted_finding_with_its_reason(accepted_audit):
    from auditlib import report

    result, _ = accepted_audit
    appendix = report.appendix(result).body
    assert "Accepted findings" in appendix and "The planted fake key of the detector tests" in appendix
    assert "refused" in appendix and "needs a written reason" in appendix
    cover = report.cover(result).body
    assert "1 finding(s) accepted with a written reason (1 by the repository&#x27;s own .auditlib.yaml" in cover
    summary = report.executive_summary(result).body
    assert "Also 1 accepted with a written reason" in summary and "critical" not in summary.split("findings:")[1]
    assert "Credential in code" not in report.findings_table(result).body
    assert "Credential in code" not in report.roadmap(result, RUBRIC).body


def test_sarif_reports_the_acceptance_as_a_suppression(accepted_audit):
    from auditlib.sarif import to_sarif

    result, _ = accepted_audit
    log = to_sarif(result, RUBRIC)
    (res,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "secret.committed_credential"]
    (sup,) = res["suppressions"]
    assert sup["kind"] == "external" and sup["status"] == "accepted"
    assert sup["justification"].startswith("The planted fake key")
    assert res["properties"]["fingerprint"].startswith("fp-")


def test_results_written_before_issue_12_still_read(accepted_audit, tmp_path: Path):
    """Old results.json (no fingerprint, accepted, acceptances, max_total, applicable...) still load, and
    the diff and the portfolio read them."""
    from auditlib import portfolio
    from auditlib.diff import compare

    result, _ = accepted_audit
    data = json.loads(result.to_json())
    data.pop("acceptances")
    for f in data["findings"]:
        f.pop("fingerprint")
        f.pop("accepted")
    for key in ("max_total", "scaled_total", "not_applicable"):
        data["scorecard"].pop(key)
    for c in data["scorecard"]["categories"].values():
        c.pop("applicable")
    for key in ("ci_kinds", "ci_followed", "config"):
        data["facts"]["practices"].pop(key)
    old_path = tmp_path / "old" / "results.json"
    old_path.parent.mkdir()
    old_path.write_text(json.dumps(data))
    old = AuditResult.read(old_path)
    assert old.scorecard.scaled_total == old.scorecard.total and old.scorecard.max_total == 40
    assert all(f.accepted is None for f in old.findings)
    diff = compare(old, result)
    assert diff.new.accepted == 1 and diff.old.accepted == 0
    (still,) = [c for c in diff.findings.still_open if c.rule == "secret.committed_credential"]
    assert any(ch.startswith("accepted: The planted fake key") for ch in still.changes)
    row = portfolio.read_result(old_path)
    assert row.scorecard.comparable_total == old.scorecard.total


def test_path_patterns_are_matched_without_backtracking():
    import time

    from auditlib.pathglob import path_matches

    assert path_matches("**/x/*.py", "x/a/x/b.py") and path_matches("tests/", "tests/a/b.py")
    assert not path_matches("tests/*", "tests/a/b.py") and not path_matches("tests/**", "testsx/a.py")
    start = time.perf_counter()
    hostile = [("/".join(["**"] * 60) + "/y", "/".join(["a"] * 60) + "/x"),
               ("*a" * 400 + "b", "a" * 900),
               ("[!/]" * 300, "b" * 300)]
    assert not any(path_matches(p, s) for p, s in hostile)
    assert time.perf_counter() - start < 2.0
