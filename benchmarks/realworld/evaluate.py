"""Measure auditlib on real public AI repositories against hand labels (issue 8, part 6).

    .venv/bin/python benchmarks/realworld/evaluate.py --clones /tmp/realworld \
        [--mirrors /work/.mirror] [--json out.json] [--only NAME[,NAME...]] [--show-labels]
        [--clone-commands] [--labels heldout.yaml] [--history]

For each repository of repos.yaml (beside this script; ``--labels`` names another list, such as
heldout.yaml, whose entries may leave out ``calls``) it uses ``CLONES/<name>``, a clone at the
labelled commit. With ``--mirrors`` a missing clone is made with ``git clone`` from the fetched bare
mirror ``MIRRORS/<owner>+<repo>/repo`` and checked out at the commit (blobs a mirror lacks, such as
files over 4 MiB, are left out of the checkout with a sparse pattern and listed). A clone at another
commit is moved to the labelled one only when its working tree is clean.

It then runs auditlib's collectors and probes in this process, the way ``auditlib scan --offline``
does but without the history scan (``AuditContext(offline=True, history=False, parallel=False)``;
``--history`` turns it on, so that secret.in_history findings are graded as the CLI reports them),
and compares:

- model call sites: each labelled call against the detected ones (``facts.code.llm_calls``, Python and
  JS/TS merged, and any other ``*_calls`` list of call sites a later CodeFacts may add), same path and
  within +-2 lines of the labelled line (or one of its ``alt_lines``), one detected site per label;
  detected sites matching no label are listed as possible false positives;
- expected findings: per rule, recall (same path, within +-2 lines when the label has a line);
  findings of the labelled rules that match no label, and every critical or high finding that
  matches no label, are listed for hand review (precision is judged from that list);
- not_expected: findings that hit a place labelled as a false alarm;
- precision of critical/high findings (issue 9): each one is correct (at an expected label of
  severity critical or high), overrated (at an expected label of lower severity), wrong (at a
  not_expected place) or unlabelled (no label; listed, counted against precision); precision =
  correct / reported. Recall of the expected critical/high labels (found at critical/high) too.

The repositories' code is never run: auditlib reads files and git objects only, and this script
only runs git (clone, sparse-checkout, checkout) with hooks disabled.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
import time
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

TOLERANCE = 2
SEVERE = {"critical", "high"}
VERDICTS = ("correct", "overrated", "wrong", "unlabelled")


# ----------------------------------------------------------------------------------------- labels
LABEL_SUPPLEMENTS = Path(__file__).resolve().parent / "labels"
"""More labels, one file per group of rules (labels/<group>.yaml: ``repos: [{name, expected,
not_expected}]``), merged by repository name into whichever list is loaded: those who add rules
label their findings there without editing the same file at once."""


def load_labels(path: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    repos = data["repos"]
    by_name = {r.get("name"): r for r in repos}
    for extra in sorted(LABEL_SUPPLEMENTS.glob("*.yaml")) if LABEL_SUPPLEMENTS.is_dir() else ():
        for entry in (yaml.safe_load(extra.read_text(encoding="utf-8")) or {}).get("repos") or []:
            target = by_name.get(entry.get("name"))
            if target is None:
                continue  # a repository of the other list
            for section in ("expected", "not_expected"):
                target[section] = list(target.get(section) or []) + list(entry.get(section) or [])
    src = path.name
    names = [r["name"] for r in repos]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise SystemExit(f"{src}: duplicate names {sorted(dupes)}")
    for r in repos:
        # calls may be left out (a list labelled for findings only, e.g. heldout.yaml): no call recall then
        for key in ("name", "url", "commit"):
            if key not in r:
                raise SystemExit(f"{src}: {r.get('name', '?')} lacks {key}")
        if not re.fullmatch(r"[0-9a-f]{40}", str(r["commit"])):
            raise SystemExit(f"{src}: {r['name']}: commit must be a full sha")
        for section in ("calls", "expected", "not_expected"):
            for item in r.get(section) or []:
                if "path" not in item:
                    raise SystemExit(f"{src}: {r['name']} {section} entry without path: {item}")
                if section == "calls" and "line" not in item:
                    raise SystemExit(f"{src}: {r['name']} call without line: {item}")
                if section != "calls" and "rule" not in item:
                    raise SystemExit(f"{src}: {r['name']} {section} entry without rule: {item}")
    return repos


def label_lines(item: dict[str, Any]) -> list[int]:
    lines = [int(item["line"])] if item.get("line") is not None else []
    return lines + [int(x) for x in item.get("alt_lines") or []]


def norm_path(p: str | None) -> str:
    if p in (None, "", "."):
        return "."
    s = str(p).replace("\\", "/")
    while s.startswith("./"):
        s = s[2:]
    return s


def rule_matches(pattern: str, rule: str) -> bool:
    if pattern.endswith(".*"):
        return rule.startswith(pattern[:-1])
    return pattern == rule


def distance(item: dict[str, Any], path: str | None, line: int | None) -> int | None:
    """How far a detection at path:line is from a label (None: no match). Path-only labels match any
    line of the same path at distance 0; path "*" matches anywhere in the repository."""
    if item["path"] == "*":
        return 0
    if norm_path(item["path"]) != norm_path(path):
        return None
    lines = label_lines(item)
    if not lines:
        return 0
    if line is None:
        return None
    best = min(abs(int(line) - want) for want in lines)
    return best if best <= TOLERANCE else None


# ------------------------------------------------------------------------------------------ clones
def git(*args: str, cwd: Path | None = None, check: bool = True, input_: str | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_CONFIG_NOSYSTEM="1", GIT_LFS_SKIP_SMUDGE="1")
    cmd = ["git", "-c", "core.hooksPath=/dev/null", "-c", "advice.detachedHead=false", *args]
    proc = subprocess.run(cmd, check=False, cwd=cwd, env=env, input=input_, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {proc.stderr.strip()[-500:]}")
    return proc.stdout


def mirror_for(url: str, mirrors: Path) -> Path:
    m = re.match(r"https?://github\.com/([^/]+)/([^/]+?)(?:\.git)?/?$", url)
    if not m:
        raise RuntimeError(f"not a GitHub URL: {url}")
    return mirrors / f"{m.group(1)}+{m.group(2)}" / "repo"


def missing_blobs(repo: Path, commit: str) -> list[str]:
    """Paths of the commit's tree whose blobs the object store lacks (mirrors omit big files)."""
    out = git("ls-tree", "-r", "-z", commit, cwd=repo)
    entries = []
    for rec in out.split("\0"):
        if not rec:
            continue
        meta, _, path = rec.partition("\t")
        parts = meta.split()
        if len(parts) == 3 and parts[1] == "blob":
            entries.append((parts[2], path))
    if not entries:
        return []
    check = git("cat-file", "--batch-check", cwd=repo, input_="".join(f"{o}\n" for o, _ in entries))
    return [path for (obj, path), line in zip(entries, check.splitlines(), strict=False) if line.endswith(" missing")]


def ensure_clone(repo: dict[str, Any], clones: Path, mirrors: Path | None) -> tuple[Path, list[str]]:
    """The clone of ``repo`` at its labelled commit, and notes on what differs (missing blobs)."""
    dest = clones / repo["name"]
    commit = repo["commit"]
    notes: list[str] = []
    fresh = False
    if not dest.exists():
        if mirrors is None:
            raise RuntimeError(f"{dest} missing (clone it at {commit[:12]}, or pass --mirrors)")
        src = mirror_for(repo["url"], mirrors)
        if not src.exists():
            raise RuntimeError(f"no mirror at {src} (fetch github:{repo['url'].split('github.com/')[1]})")
        git("clone", "--quiet", "--no-checkout", str(src), str(dest))
        fresh = True
    head = git("rev-parse", "--verify", "--quiet", "HEAD", cwd=dest, check=False).strip()
    if fresh or head != commit:
        status = "" if fresh else git("status", "--porcelain", "--untracked-files=no", cwd=dest, check=False)
        if status.strip():
            raise RuntimeError(f"{dest} is at {head[:12]} with local changes; labels are for {commit[:12]}")
        lacking = missing_blobs(dest, commit)
        if lacking:
            patterns = ["!/" + re.sub(r"([\\*?\[\]!# ])", r"\\\1", p) for p in lacking]  # literal paths
            git("sparse-checkout", "set", "--no-cone", "/*", *patterns, cwd=dest)
        git("checkout", "--quiet", "--detach", "--force", commit, cwd=dest)
    lacking = missing_blobs(dest, commit)
    if lacking:
        notes.append(f"blobs missing from the mirror, left out: {', '.join(lacking[:5])}"
                     + (f" (+{len(lacking) - 5})" if len(lacking) > 5 else ""))
    return dest, notes


# ------------------------------------------------------------------------------------------- audit
def run_auditlib(target: Path, history: bool = False) -> tuple[Any, list[Any], dict[str, Any]]:
    """Collect facts and run the probes in-process (offline, one process; no history scan unless
    ``history``, which adds the secrets-in-history findings ``auditlib scan`` reports)."""
    from auditlib.answers import Answers
    from auditlib.audit import collect, evaluate
    from auditlib.context import AuditContext
    from auditlib.rubric import load_rubric

    rubric = load_rubric()
    ctx = AuditContext(target=target, source=str(target), offline=True, history=history, parallel=False,
                       progress=lambda _m: None)
    record: dict[str, dict[str, Any]] = {}
    with redirect_stderr(io.StringIO()):
        facts = collect(ctx, rubric, record)
        findings = evaluate(facts, rubric, Answers())[0]
    return facts, findings, record


def detected_calls(facts: Any) -> list[dict[str, Any]]:
    """Model call sites auditlib recorded: CodeFacts.llm_calls (Python and JS/TS merged), plus any
    other list of call-site records on CodeFacts (a later engine may split them)."""
    code = facts.code
    seen: set[tuple[str, int]] = set()
    out: list[dict[str, Any]] = []
    names = ["llm_calls"] + sorted(n for n in type(code).model_fields
                                   if n != "llm_calls" and re.search(r"(model|llm|ai)_?call", n))
    for name in names:
        for c in getattr(code, name, None) or []:
            path, line = getattr(c, "path", None), getattr(c, "line", None)
            if path is None or line is None or (path, line) in seen:
                continue
            seen.add((path, line))
            out.append({"path": path, "line": int(line), "api": getattr(c, "api", ""),
                        "provider": getattr(c, "provider", ""), "field": name})
    return out


def known_rules() -> set[str]:
    from auditlib.rubric import load_rubric

    return set(load_rubric().rules.rules)


# ---------------------------------------------------------------------------------------- matching
def match_calls(labels: list[dict[str, Any]], found: list[dict[str, Any]]):
    """One detected site per labelled call, nearest first."""
    pairs = []
    for i, lab in enumerate(labels):
        for j, det in enumerate(found):
            d = distance(lab, det["path"], det["line"])
            if d is not None:
                pairs.append((d, i, j))
    used_l: set[int] = set()
    used_d: set[int] = set()
    for _d, i, j in sorted(pairs):
        if i in used_l or j in used_d:
            continue
        used_l.add(i)
        used_d.add(j)
    matched = [labels[i] for i in sorted(used_l)]
    missed = [labels[i] for i in range(len(labels)) if i not in used_l]
    extra = [found[j] for j in range(len(found)) if j not in used_d]
    return matched, missed, extra


def finding_dict(f: Any) -> dict[str, Any]:
    return {"rule": f.rule, "severity": str(getattr(f.severity, "value", f.severity)), "path": f.path,
            "line": f.line, "evidence": (f.evidence or "")[:160]}


def match_findings(expected: list[dict[str, Any]], findings: list[dict[str, Any]]):
    """Each expected label is found when a finding of its rule is at its place, one finding per label
    (nearest first); returns the labels found, the labels missed, and the findings used as a dict
    {finding index: label index}."""
    pairs = []
    for i, lab in enumerate(expected):
        for j, f in enumerate(findings):
            if rule_matches(lab["rule"], f["rule"]):
                d = distance(lab, f["path"], f["line"])
                if d is not None:
                    pairs.append((d, i, j))
    used_l: set[int] = set()
    hit: dict[int, int] = {}
    for _d, i, j in sorted(pairs):
        if i in used_l or j in hit:
            continue
        used_l.add(i)
        hit[j] = i
    found_labels = [expected[i] for i in range(len(expected)) if i in used_l]
    missed_labels = [expected[i] for i in range(len(expected)) if i not in used_l]
    return found_labels, missed_labels, hit


def not_expected_hit(lab: dict[str, Any], f: dict[str, Any]) -> bool:
    """Whether finding ``f`` falls on the place a not_expected label names."""
    if not rule_matches(lab["rule"], f["rule"]):
        return False
    if norm_path(lab["path"]) == "." and not label_lines(lab):
        return True  # a repository-level label: any finding of that rule, wherever it points
    return distance(lab, f["path"], f["line"]) is not None


def violations(not_expected: list[dict[str, Any]], findings: list[dict[str, Any]]):
    """Findings at a place labelled not_expected, each once (with the first label it hits; two labels
    a line apart would otherwise count one finding twice)."""
    out = []
    for f in findings:
        lab = next((lab for lab in not_expected if not_expected_hit(lab, f)), None)
        if lab is not None:
            out.append({"label": lab, "finding": f})
    return out


def severe_verdicts(expected: list[dict[str, Any]], not_expected: list[dict[str, Any]],
                    findings: list[dict[str, Any]], hit: dict[int, int]) -> list[dict[str, Any]]:
    """Every critical/high finding with its verdict against the labels (issue 9's precision):
    correct (matched an expected label of severity critical or high), overrated (matched an expected
    label of lower severity), wrong (at a not_expected place) or unlabelled (no label: counts against
    precision until someone labels it)."""
    out = []
    for j, f in enumerate(findings):
        if f["severity"] not in SEVERE:
            continue
        row: dict[str, Any] = {"finding": f}
        if j in hit:
            lab = expected[hit[j]]
            sev = str(lab.get("severity") or "").lower()
            row.update(verdict="correct" if sev in SEVERE else "overrated", label_severity=sev or None,
                       why=lab.get("why", ""))
        else:
            lab = next((lab for lab in not_expected if not_expected_hit(lab, f)), None)
            if lab is not None:
                row.update(verdict="wrong", why=lab.get("why", ""))
            else:
                row.update(verdict="unlabelled")
        out.append(row)
    return out


def severe_label_recall(expected: list[dict[str, Any]], findings: list[dict[str, Any]],
                        hit: dict[int, int]) -> list[dict[str, Any]]:
    """Every expected label of severity critical or high with how it was found: "severe" (by a
    critical/high finding), "lower" (found, but rated medium or below) or "missed"."""
    by_label = {i: findings[j] for j, i in hit.items()}
    out = []
    for i, lab in enumerate(expected):
        if str(lab.get("severity") or "").lower() not in SEVERE:
            continue
        f = by_label.get(i)
        status = "missed" if f is None else ("severe" if f["severity"] in SEVERE else "lower")
        out.append({"label": lab, "status": status, "found_severity": f["severity"] if f else None})
    return out


# ------------------------------------------------------------------------------------------- report
def pct(a: int, b: int) -> str:
    return f"{100 * a / b:.0f} %" if b else "-"


def evaluate_repo(repo: dict[str, Any], clones: Path, mirrors: Path | None, rules: set[str],
                  labelled_rules: set[str], history: bool = False) -> dict[str, Any]:
    """One repository: clone, audit, compare. ``labelled_rules``: every rule named in an expected or
    not_expected label of the whole list (their unmatched findings are kept for review)."""
    started = time.monotonic()
    result: dict[str, Any] = {"name": repo["name"], "url": repo["url"], "commit": repo["commit"],
                              "languages": repo.get("languages", []), "kind": repo.get("kind")}
    try:
        target, notes = ensure_clone(repo, clones, mirrors)
    except Exception as exc:  # noqa: BLE001 - one repository's trouble never stops the run
        result["error"] = str(exc)
        return result
    result["notes"] = notes
    try:
        facts, findings, record = run_auditlib(target, history)
    except Exception as exc:  # noqa: BLE001 - reported per repository
        result["error"] = f"auditlib failed: {type(exc).__name__}: {exc}"
        return result
    result["collectors"] = {k: {"available": v.get("available", True), "reason": v.get("reason")}
                            for k, v in record.items() if isinstance(v, dict)}
    code_reason = getattr(facts.code, "reason", None)
    if code_reason:
        result["code_collector_note"] = code_reason
    calls = repo.get("calls") or []
    found = detected_calls(facts)
    matched, missed, extra = match_calls(calls, found)
    fdicts = [finding_dict(f) for f in findings]
    expected = repo.get("expected") or []
    got, lost, hit = match_findings(expected, fdicts)
    unmatched = [f for j, f in enumerate(fdicts) if j not in hit]
    result.update({
        "calls_labelled": len(calls), "calls_found": len(matched), "calls_detected": len(found),
        "missed_calls": missed, "extra_calls": extra, "matched_calls": matched,
        "expected_labelled": len(expected), "expected_found": len(got),
        "expected_found_list": got, "expected_missed": lost,
        "findings_total": len(fdicts),
        "findings_by_rule": _count(f["rule"] for f in fdicts),
        "matched_by_rule": _count(fdicts[j]["rule"] for j in hit),
        "severe_reported": sum(1 for f in fdicts if f["severity"] in SEVERE),
        "severe_matched": sum(1 for j in hit if fdicts[j]["severity"] in SEVERE),
        "unmatched_findings": [f for f in unmatched
                               if any(rule_matches(r, f["rule"]) for r in labelled_rules) or f["severity"] in SEVERE],
        "not_expected_violations": violations(repo.get("not_expected") or [], fdicts),
        "severe_findings": severe_verdicts(expected, repo.get("not_expected") or [], fdicts, hit),
        "severe_labels": severe_label_recall(expected, fdicts, hit),
        "proposed_rules": sorted({lab["rule"] for lab in expected if lab["rule"] not in rules}),
        "seconds": round(time.monotonic() - started, 1),
    })
    return result


def _count(items) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in items:
        out[i] = out.get(i, 0) + 1
    return dict(sorted(out.items()))


def summarise(results: list[dict[str, Any]], repos: list[dict[str, Any]], rules: set[str]) -> dict[str, Any]:
    ok = [r for r in results if "error" not in r]
    by_lang: dict[str, list[int]] = {}
    for r in ok:
        for lab in r["matched_calls"] + r["missed_calls"]:
            lang = "python" if lab["path"].endswith(".py") else "js/ts"
            slot = by_lang.setdefault(lang, [0, 0])
            slot[1] += 1
            slot[0] += lab in r["matched_calls"]
    per_rule: dict[str, dict[str, Any]] = {}
    for r in ok:
        for lab in r["expected_found_list"] + r["expected_missed"]:
            slot = per_rule.setdefault(lab["rule"], {"labelled": 0, "found": 0, "proposed": lab["rule"] not in rules})
            slot["labelled"] += 1
            slot["found"] += lab in r["expected_found_list"]
    # precision material: every finding of a labelled rule over the whole list, how many matched a label,
    # and how many hit a place labelled as a false alarm (the rest need a look by hand)
    for key, slot in per_rule.items():
        slot["reported"] = sum(n for r in ok for rule, n in r["findings_by_rule"].items() if rule_matches(key, rule))
        slot["matched"] = sum(n for r in ok for rule, n in r["matched_by_rule"].items() if rule_matches(key, rule))
        slot["false_alarms"] = sum(1 for r in ok for v in r["not_expected_violations"]
                                   if rule_matches(key, v["finding"]["rule"]))
    # issue 9's precision: every critical/high finding against the labels
    verdicts = [v for r in ok for v in r["severe_findings"]]
    counts = {k: sum(1 for v in verdicts if v["verdict"] == k) for k in VERDICTS}
    by_rule: dict[str, dict[str, int]] = {}
    for v in verdicts:
        slot = by_rule.setdefault(v["finding"]["rule"], {"reported": 0, **{k: 0 for k in VERDICTS}})
        slot["reported"] += 1
        slot[v["verdict"]] += 1
    sev_labels = [x for r in ok for x in r["severe_labels"]]
    sev_real = [x for x in sev_labels if x["label"]["rule"] in rules]
    precision = {
        "reported": len(verdicts), **counts,
        "precision": round(counts["correct"] / len(verdicts), 3) if verdicts else None,
        "by_rule": dict(sorted(by_rule.items(), key=lambda kv: (-kv[1]["reported"], kv[0]))),
        "recall_labelled": len(sev_labels),
        "recall_found": sum(1 for x in sev_labels if x["status"] == "severe"),
        "recall_found_lower": sum(1 for x in sev_labels if x["status"] == "lower"),
        "recall": (round(sum(1 for x in sev_labels if x["status"] == "severe") / len(sev_labels), 3)
                   if sev_labels else None),
        "recall_labelled_existing_rules": len(sev_real),
        "recall_found_existing_rules": sum(1 for x in sev_real if x["status"] == "severe"),
    }
    calls_l = sum(r["calls_labelled"] for r in ok)
    calls_f = sum(r["calls_found"] for r in ok)
    exp_l = sum(r["expected_labelled"] for r in ok)
    exp_f = sum(r["expected_found"] for r in ok)
    return {
        "repos": len(results), "repos_evaluated": len(ok),
        "errors": {r["name"]: r["error"] for r in results if "error" in r},
        "calls_labelled": calls_l, "calls_found": calls_f,
        "call_recall": round(calls_f / calls_l, 3) if calls_l else None,
        "calls_by_language": {k: {"found": v[0], "labelled": v[1]} for k, v in sorted(by_lang.items())},
        "detected_not_labelled": sum(len(r["extra_calls"]) for r in ok),
        "expected_labelled": exp_l, "expected_found": exp_f,
        "expected_recall": round(exp_f / exp_l, 3) if exp_l else None,
        "per_rule": dict(sorted(per_rule.items())),
        "severe_reported": sum(r["severe_reported"] for r in ok),
        "severe_matched": sum(r["severe_matched"] for r in ok),
        "severe_false_alarms": sum(1 for r in ok for v in r["not_expected_violations"]
                                   if v["finding"]["severity"] in SEVERE),
        "not_expected_violations": sum(len(r["not_expected_violations"]) for r in ok),
        "severe_precision": precision,
    }


def print_report(results: list[dict[str, Any]], summary: dict[str, Any], out=sys.stdout) -> None:
    w = out.write
    w("\nModel call sites (labelled call found at the same path within +-2 lines)\n\n")
    w(f"{'repository':34} {'lang':10} {'calls':>5} {'found':>5} {'recall':>7} {'extra':>5} "
      f"{'expect':>6} {'found':>5} {'!exp':>4} {'sec':>5}\n")
    for r in results:
        if "error" in r:
            w(f"{r['name']:34} ERROR: {r['error']}\n")
            continue
        w(f"{r['name']:34} {','.join(r['languages'])[:10]:10} {r['calls_labelled']:>5} {r['calls_found']:>5} "
          f"{pct(r['calls_found'], r['calls_labelled']):>7} {len(r['extra_calls']):>5} "
          f"{r['expected_labelled']:>6} {r['expected_found']:>5} {len(r['not_expected_violations']):>4} "
          f"{r['seconds']:>5}\n")
    s = summary
    w(f"{'TOTAL':34} {'':10} {s['calls_labelled']:>5} {s['calls_found']:>5} "
      f"{pct(s['calls_found'], s['calls_labelled']):>7} {s['detected_not_labelled']:>5} "
      f"{s['expected_labelled']:>6} {s['expected_found']:>5} {s['not_expected_violations']:>4}\n")
    for lang, v in s["calls_by_language"].items():
        w(f"  {lang}: {v['found']}/{v['labelled']} ({pct(v['found'], v['labelled'])})\n")
    w("\n(extra: detected call sites with no label; !exp: findings at places labelled not_expected)\n")

    w("\nExpected findings per rule. recall: labels found at their place. reported: findings of the rule\n"
      "over the whole list; matched: of those, at a labelled place; false: at a place labelled\n"
      "not_expected. matched/reported is a lower bound of precision: review the rest by hand (listed below)\n\n")
    w(f"{'rule':42} {'labelled':>8} {'found':>5} {'recall':>7} {'reported':>8} {'matched':>7} {'false':>5}\n")
    for rule, v in s["per_rule"].items():
        tag = " (proposed)" if v["proposed"] else ""
        w(f"{(rule + tag)[:42]:42} {v['labelled']:>8} {v['found']:>5} {pct(v['found'], v['labelled']):>7} "
          f"{v['reported']:>8} {v['matched']:>7} {v['false_alarms']:>5}\n")
    w(f"{'TOTAL':42} {s['expected_labelled']:>8} {s['expected_found']:>5} "
      f"{pct(s['expected_found'], s['expected_labelled']):>7}\n")

    w(f"\nCritical/high findings: {s['severe_reported']} reported, {s['severe_matched']} at an expected label, "
      f"{s['severe_false_alarms']} at a not_expected label, the rest unlabelled (listed below for review)\n")
    p = s["severe_precision"]
    w(f"\nPrecision of critical/high findings (issue 9): {p['correct']} correct of {p['reported']} reported = "
      f"{pct(p['correct'], p['reported'])}  ({p['overrated']} overrated: real but the label is medium or lower; "
      f"{p['wrong']} wrong: at a not_expected place; {p['unlabelled']} unlabelled: count against precision)\n")
    w(f"Recall of expected critical/high labels: {p['recall_found']} of {p['recall_labelled']} found at critical/high "
      f"= {pct(p['recall_found'], p['recall_labelled'])} ({p['recall_found_lower']} found at a lower severity; "
      f"existing rules only: {p['recall_found_existing_rules']} of {p['recall_labelled_existing_rules']} = "
      f"{pct(p['recall_found_existing_rules'], p['recall_labelled_existing_rules'])})\n\n")
    w(f"{'rule (critical/high findings)':42} {'reported':>8} {'correct':>7} {'overrated':>9} {'wrong':>5} "
      f"{'unlabelled':>10}\n")
    for rule, v in p["by_rule"].items():
        w(f"{rule[:42]:42} {v['reported']:>8} {v['correct']:>7} {v['overrated']:>9} {v['wrong']:>5} "
          f"{v['unlabelled']:>10}\n")
    w("\nMissed call sites\n")
    for r in results:
        for lab in r.get("missed_calls", []):
            w(f"  {r['name']}: {lab['path']}:{lab['line']}  [{lab.get('kind', '')}] {lab.get('what', '')}\n")
    w("\nDetected call sites with no label (possible false positives)\n")
    for r in results:
        for det in r.get("extra_calls", []):
            w(f"  {r['name']}: {det['path']}:{det['line']}  {det['provider']} {det['api']}\n")
    w("\nExpected findings missed\n")
    for r in results:
        for lab in r.get("expected_missed", []):
            where = f"{lab['path']}:{lab['line']}" if lab.get("line") else lab["path"]
            w(f"  {r['name']}: {lab['rule']} {where}  ({lab.get('severity', '')}) {lab.get('why', '')}\n")
    w("\nFindings matching no label (labelled rules, and every critical/high) - review by hand\n")
    for r in results:
        for f in r.get("unmatched_findings", []):
            where = f"{f['path']}:{f['line']}" if f.get("line") else (f["path"] or ".")
            w(f"  {r['name']}: [{f['severity']}] {f['rule']} {where}  {f['evidence'][:100]}\n")
    w("\nCritical/high findings not correct (overrated, wrong, unlabelled)\n")
    for r in results:
        for v in r.get("severe_findings", []):
            if v["verdict"] == "correct":
                continue
            f = v["finding"]
            where = f"{f['path']}:{f['line']}" if f.get("line") else (f["path"] or ".")
            label = f" (label: {v['label_severity']})" if v["verdict"] == "overrated" else ""
            w(f"  {r['name']}: {v['verdict']}{label} [{f['severity']}] {f['rule']} {where}  "
              f"{(v.get('why') or f['evidence'])[:90]}\n")
    w("\nExpected critical/high labels not found at critical/high\n")
    for r in results:
        for x in r.get("severe_labels", []):
            if x["status"] == "severe":
                continue
            lab = x["label"]
            where = f"{lab['path']}:{lab['line']}" if lab.get("line") else lab["path"]
            how = "missed" if x["status"] == "missed" else f"found at {x['found_severity']}"
            tag = " (proposed rule)" if lab["rule"] in r.get("proposed_rules", []) else ""
            w(f"  {r['name']}: {how} - {lab['rule']}{tag} {where} ({lab.get('severity')}) {lab.get('why', '')[:80]}\n")
    w("\nnot_expected violations\n")
    for r in results:
        for v in r.get("not_expected_violations", []):
            f = v["finding"]
            where = f"{f['path']}:{f['line']}" if f.get("line") else (f["path"] or ".")
            w(f"  {r['name']}: [{f['severity']}] {f['rule']} {where}  - label: {v['label'].get('why', '')}\n")
    notes = [(r["name"], n) for r in results for n in r.get("notes", [])]
    if notes:
        w("\nNotes\n")
        for name, n in notes:
            w(f"  {name}: {n}\n")


def show_labels(repos: list[dict[str, Any]], clones: Path, mirrors: Path | None) -> None:
    """Print the source line at every labelled place (to review labels against the code)."""
    for repo in repos:
        try:
            target, _ = ensure_clone(repo, clones, mirrors)
        except Exception as exc:  # noqa: BLE001 - reported, the next repository is shown
            print(f"{repo['name']}: {exc}")
            continue
        print(f"== {repo['name']} @ {repo['commit'][:12]}")
        for section in ("calls", "expected", "not_expected"):
            for item in repo.get(section) or []:
                line = item.get("line")
                text = ""
                f = target / item["path"]
                if line and f.is_file():
                    lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
                    text = lines[line - 1].strip() if 0 < line <= len(lines) else "<past end of file>"
                elif item["path"] not in (".", "*") and not f.exists():
                    text = "<no such file>"
                tag = item.get("rule") or item.get("kind")
                if str(tag).startswith("secret."):  # never echo a credential, even a public one
                    text = re.sub(r"(?<=[=:@\"'])[^\s\"']{6,}", "<masked>", text)
                print(f"  {section[:4]} {tag:32} {item['path']}:{line or ''}  | {text[:110]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clones", required=True, type=Path, help="folder of clones, one per repository name")
    ap.add_argument("--mirrors", type=Path, help="folder of fetched bare mirrors (<owner>+<repo>/repo)")
    ap.add_argument("--json", type=Path, help="write the full result here")
    ap.add_argument("--only", action="append", help="repository name(s) to evaluate (comma-separated)")
    ap.add_argument("--labels", type=Path, default=HERE / "repos.yaml",
                    help="label file (default repos.yaml; heldout.yaml is the held-out list, "
                         "labelled after the rules were frozen)")
    ap.add_argument("--history", action="store_true",
                    help="also scan git history for secrets, as `auditlib scan` does "
                         "(off by default: repos.yaml is measured without it)")
    ap.add_argument("--show-labels", action="store_true", help="print the code at every labelled line and exit")
    ap.add_argument("--clone-commands", action="store_true",
                    help="print the git commands that make the clones from GitHub (nothing is run) and exit")
    args = ap.parse_args(argv)

    repos = load_labels(args.labels)
    if args.only:
        wanted = {n.strip() for item in args.only for n in item.split(",") if n.strip()}
        unknown = wanted - {r["name"] for r in repos}
        if unknown:
            raise SystemExit(f"unknown repository name(s): {', '.join(sorted(unknown))}")
        repos = [r for r in repos if r["name"] in wanted]
    if args.clone_commands:
        for r in repos:
            dest = args.clones / r["name"]
            print(f"git clone --quiet {r['url']} {dest} && git -C {dest} checkout --quiet --detach {r['commit']}")
        return 0
    args.clones.mkdir(parents=True, exist_ok=True)
    if args.show_labels:
        show_labels(repos, args.clones, args.mirrors)
        return 0
    rules = known_rules()
    labelled_rules = {lab["rule"] for r in load_labels(args.labels)
                      for lab in (r.get("expected") or []) + (r.get("not_expected") or [])}
    results = []
    for repo in repos:
        print(f"[realworld] {repo['name']} ...", file=sys.stderr, flush=True)
        results.append(evaluate_repo(repo, args.clones, args.mirrors, rules, labelled_rules, args.history))
    summary = summarise(results, repos, rules)
    print_report(results, summary)
    if args.json:
        args.json.write_text(json.dumps({"summary": summary, "repos": results}, indent=2, default=str),
                             encoding="utf-8")
        print(f"\nwrote {args.json}", file=sys.stderr)
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
