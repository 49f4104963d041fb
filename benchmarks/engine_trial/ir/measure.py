"""Measure the IR prototype (engine trial, option b) on the real-world list and on a synthetic repository.

    .venv/bin/python benchmarks/engine_trial/ir/measure.py [--clones /tmp/realworld] [--mirrors /work/.mirror]
        [--only NAME,...] [--baseline] [--heldout [--heldout-clones DIR]] [--ablate]
        [--synthetic [--files 3000] [--repeat 3]] [--json out.json]

--baseline also runs the audit's whole code collector (auditlib.analysis.analyse) on the same repositories;
--heldout measures heldout.yaml (repositories not used to build the first version; cloned from the
mirrors); --ablate switches each resolution step of resolve.STEPS off in turn and lists the labels lost.

Model call sites are compared with benchmarks/realworld/repos.yaml exactly as
benchmarks/realworld/evaluate.py does (its load_labels / match_calls: same path, within +-2 lines of the
label or an alt_line, one detection per label, nearest first). Detected sites with no label are listed
with the verdict recorded by hand in judged_extras.yaml (real: a call site the labels missed; false: a
false positive); precision counts the real ones as correct. Timing is wall time of load + lower +
resolve + query per repository, in this process.

--synthetic builds (once, cached) a repository of --files files of about 100 lines (two thirds Python
under app/pkgN/, one third TypeScript under web/src/, as benchmarks/bench_scan.py lays them out), with
imports between modules, classes keeping clients on self/this, and a model call in one file of 25, and
runs the engine in a child process to report its wall time and peak memory (ru_maxrss).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent.parent
sys.path.insert(0, str(ROOT))

from auditlib.analysis.resolve import STEPS, Knowledge, Repo
from benchmarks.realworld.evaluate import (
    distance,
    ensure_clone,
    load_labels,
    match_calls,
    pct,
)


def load_repo(path: Path, knowledge: Knowledge | None = None, disabled: frozenset = frozenset()) -> Repo:
    """The engine's resolver over a folder, loaded the way the audit loads it (auditlib's file list)."""
    from auditlib.collect.files import list_files

    repo = Repo(path, knowledge, disabled)
    repo.load_files(list_files(path))
    return repo


def run_repo(path: Path, knowledge: Knowledge, disabled: frozenset = frozenset()) -> tuple[list[dict], Repo, float]:
    t = time.perf_counter()
    repo = load_repo(path, knowledge, disabled)
    calls = repo.model_calls()
    return calls, repo, time.perf_counter() - t


def realworld(args) -> dict:
    labels = load_labels(ROOT / "benchmarks" / "realworld" / "repos.yaml")
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        labels = [r for r in labels if r["name"] in wanted]
    judged_path = HERE / "judged_extras.yaml"
    judged = yaml.safe_load(judged_path.read_text(encoding="utf-8")) if judged_path.exists() else {}
    judged = judged or {}
    k = Knowledge.load()
    rows, missed_all, extra_all = [], [], []
    steps_total: dict[str, int] = {}
    by_entry: dict[str, int] = {}
    by_lang = {"python": [0, 0], "js/ts": [0, 0]}
    real_extra = false_extra = unjudged = 0
    for r in labels:
        try:
            target, _notes = ensure_clone(r, Path(args.clones), Path(args.mirrors) if args.mirrors else None)
        except Exception as exc:  # noqa: BLE001 - reported, the next repository runs
            rows.append({"name": r["name"], "error": str(exc)})
            continue
        calls, repo, secs = run_repo(target, k)
        for s, n in repo.steps_used.items():
            steps_total[s] = steps_total.get(s, 0) + n
        found = [{"path": c["path"], "line": c["line"], "api": c["how"], "provider": c["what"]} for c in calls]
        matched, missed, extra = match_calls(r.get("calls") or [], found)
        for lab in matched + missed:
            slot = by_lang["python" if lab["path"].endswith(".py") else "js/ts"]
            slot[1] += 1
            slot[0] += lab in matched
        verdicts = judged.get(r["name"]) or {}
        for e in extra:
            v = verdicts.get(f"{e['path']}:{e['line']}")
            e["verdict"] = (v or {}).get("verdict", "unjudged") if isinstance(v, dict) else (v or "unjudged")
            e["why"] = (v or {}).get("why", "") if isinstance(v, dict) else ""
            real_extra += e["verdict"] == "real"
            false_extra += e["verdict"] == "false"
            unjudged += e["verdict"] == "unjudged"
            extra_all.append((r["name"], e))
        missed_all += [(r["name"], m) for m in missed]
        for det in found:
            if any(distance(lab, det["path"], det["line"]) is not None for lab in matched):
                how = det["api"]
                kind = next((kd for kd in sorted(k.kinds, key=len, reverse=True) if how.startswith(kd + ".")), None)
                key = (f"kind {kind}" if kind else "http (raw request to a model URL)" if how.startswith(":")
                       or "(" in how.split(")")[0] and how.split("(")[0].endswith(("fetch", "post", "request"))
                       else "wrapper" if how.startswith("wrapper") else f"function {how.split('(')[0]}")
                by_entry[key] = by_entry.get(key, 0) + 1
        base = {}
        if args.baseline:
            bfound, bsecs = baseline_calls(target)
            bm, _bmiss, bext = match_calls(r.get("calls") or [], bfound)
            base = {"base_found": len(bm), "base_extra": len(bext), "base_seconds": bsecs}
        rows.append({**base, "name": r["name"], "labelled": len(r.get("calls") or []), "found": len(matched),
                     "detected": len(found), "extra": len(extra), "seconds": secs,
                     "files": len(repo.modules), "lines": sum(m.lines for m in repo.modules.values()),
                     "parse_errors": len(repo.errors)})
    ok = [x for x in rows if "error" not in x]
    lab = sum(x["labelled"] for x in ok)
    fnd = sum(x["found"] for x in ok)
    det = sum(x["detected"] for x in ok)
    out = sys.stdout.write
    out(f"\n{'repository':32} {'files':>5} {'lines':>6} {'calls':>5} {'found':>5} {'recall':>7} {'extra':>5} {'ms':>6}\n")
    for x in rows:
        if "error" in x:
            out(f"{x['name']:32} ERROR {x['error']}\n")
            continue
        out(f"{x['name']:32} {x['files']:>5} {x['lines']:>6} {x['labelled']:>5} {x['found']:>5} "
            f"{pct(x['found'], x['labelled']):>7} {x['extra']:>5} {x['seconds'] * 1000:>6.0f}\n")
    total_s = sum(x["seconds"] for x in ok)
    out(f"{'TOTAL':32} {sum(x['files'] for x in ok):>5} {sum(x['lines'] for x in ok):>6} {lab:>5} {fnd:>5} "
        f"{pct(fnd, lab):>7} {det - fnd:>5} {total_s * 1000:>6.0f}\n")
    for lang, (f, n) in by_lang.items():
        out(f"  {lang}: {f}/{n} ({pct(f, n)})\n")
    if args.baseline:
        bf = sum(x.get("base_found", 0) for x in ok)
        bs = sum(x.get("base_seconds", 0) for x in ok)
        out(f"  the whole code collector (analysis.analyse): {bf}/{lab} ({pct(bf, lab)}), "
            f"{sum(x.get('base_extra', 0) for x in ok)} with no label, {bs * 1000:.0f} ms in all\n")
    prec_strict = fnd / det if det else 0
    prec_judged = (fnd + real_extra) / det if det else 0
    out(f"\nDetected {det}: {fnd} at a label, {real_extra} real sites the labels miss, {false_extra} false "
        f"positives, {unjudged} not judged yet.\nPrecision: {100 * prec_judged:.1f} % (judged), "
        f"{100 * prec_strict:.1f} % if every unlabelled site counted as false.\n")
    out("\nMissed call sites\n")
    for name, m in missed_all:
        out(f"  {name}: {m['path']}:{m['line']}  [{m.get('kind', '')}] {m.get('what', '')}\n")
    out("\nDetected call sites with no label\n")
    for name, e in extra_all:
        out(f"  [{e['verdict']}] {name}: {e['path']}:{e['line']}  {e['provider']} {e['api']}"
            f"{'  -- ' + e['why'] if e['why'] else ''}\n")
    out("\nKnowledge entries behind the matched sites\n")
    for key, n in sorted(by_entry.items(), key=lambda kv: (-kv[1], kv[0])):
        out(f"  {n:>4}  {key}\n")
    out("\nResolution steps used (times a step produced a value, whole list)\n")
    for s, n in sorted(steps_total.items(), key=lambda kv: -kv[1]):
        out(f"  {n:>6}  {s}\n")
    return {"rows": rows, "labelled": lab, "found": fnd, "detected": det, "real_extra": real_extra,
            "false_extra": false_extra, "unjudged": unjudged, "by_language": by_lang,
            "precision_judged": prec_judged, "precision_strict": prec_strict, "seconds_total": total_s,
            "missed": [{"repo": n, **m} for n, m in missed_all],
            "extra": [{"repo": n, **e} for n, e in extra_all], "steps": steps_total}


def baseline_calls(path: Path) -> tuple[list[dict], float]:
    """The audit's code collector (auditlib.analysis.analyse: every fact, not only call sites): its
    model call sites (CodeFacts.llm_calls) and its time."""
    import contextlib
    import io

    from auditlib.analysis import analyse
    from auditlib.collect.files import list_files

    t = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        calls = list(analyse(list_files(path)).llm_calls or [])
    return [{"path": c.path, "line": c.line, "api": getattr(c, "api", ""), "provider": getattr(c, "provider", "")}
            for c in calls], time.perf_counter() - t


def heldout(args) -> dict:
    """The held-out repositories of heldout.yaml (not used while building the prototype's first version)."""
    repos = load_labels(HERE / "heldout.yaml")
    k = Knowledge.load()
    per_batch: dict[int, list[int]] = {}
    out = sys.stdout.write
    out(f"\nHeld-out repositories\n\n{'repository':30} {'batch':>5} {'calls':>5} {'found':>5} {'extra':>5} {'ms':>6}\n")
    missed_all, extra_all = [], []
    base_batch: dict[int, list[int]] = {}
    for r in repos:
        try:
            target, _ = ensure_clone(r, Path(args.heldout_clones), Path(args.mirrors or "/work/.mirror"))
        except Exception as exc:  # noqa: BLE001 - reported, the next repository runs
            out(f"{r['name']:30} ERROR {exc}\n")
            continue
        calls, _repo, secs = run_repo(target, k)
        found = [{"path": c["path"], "line": c["line"], "api": c["how"], "provider": c["what"]} for c in calls]
        matched, missed, extra = match_calls(r["calls"], found)
        if args.baseline:
            bfound, _bs = baseline_calls(target)
            bm, _bmiss, bext = match_calls(r["calls"], bfound)
            b = base_batch.setdefault(r.get("batch", 0), [0, 0])
            b[0] += len(bm)
            b[1] += len(bext)
        slot = per_batch.setdefault(r.get("batch", 0), [0, 0, 0])
        slot[0] += len(matched)
        slot[1] += len(r["calls"])
        slot[2] += len(extra)
        missed_all += [(r["name"], m) for m in missed]
        extra_all += [(r["name"], e) for e in extra]
        out(f"{r['name']:30} {r.get('batch', 0):>5} {len(r['calls']):>5} {len(matched):>5} {len(extra):>5} "
            f"{secs * 1000:>6.0f}\n")
    for b, (f, n, e) in sorted(per_batch.items()):
        out(f"  batch {b}: {f}/{n} ({pct(f, n)}), {e} detections with no label\n")
    tf = sum(v[0] for v in per_batch.values())
    tn = sum(v[1] for v in per_batch.values())
    out(f"  all: {tf}/{tn} ({pct(tf, tn)})\n")
    if args.baseline:
        for b, (f, e) in sorted(base_batch.items()):
            n = per_batch[b][1]
            out(f"  today's analysers, batch {b}: {f}/{n} ({pct(f, n)}), {e} detections with no label\n")
        bf = sum(v[0] for v in base_batch.values())
        out(f"  today's analysers, all: {bf}/{tn} ({pct(bf, tn)})\n")
    out("\nMissed\n")
    for name, m in missed_all:
        out(f"  {name}: {m['path']}:{m['line']}  {m.get('what', '')}\n")
    out("\nDetected with no label\n")
    for name, e in extra_all:
        out(f"  {name}: {e['path']}:{e['line']}  {e['provider']} {e['api']}\n")
    return {"per_batch": per_batch, "missed": missed_all, "extra": extra_all}


def ablation(args) -> dict:
    """Switch each resolution step off in turn: which labelled call sites does it recover, and which
    unlabelled detections does it add?"""
    labels = load_labels(ROOT / "benchmarks" / "realworld" / "repos.yaml")
    if args.only:
        wanted = {n.strip() for n in args.only.split(",")}
        labels = [r for r in labels if r["name"] in wanted]
    sets = [(r, Path(args.clones)) for r in labels]
    if args.heldout:  # the held-out list too (its repositories are marked "held-out:")
        sets += [({**r, "name": "held-out:" + r["name"]}, Path(args.heldout_clones))
                 for r in load_labels(HERE / "heldout.yaml")]
    k = Knowledge.load()

    def run(disabled: frozenset) -> tuple[set, set]:
        hit, extra = set(), set()
        for r, clones in sets:
            name = r["name"].removeprefix("held-out:")
            target = clones / name
            if not target.exists():
                target, _ = ensure_clone({**r, "name": name}, clones, Path(args.mirrors) if args.mirrors else None)
            calls, _repo, _s = run_repo(target, k, disabled)
            found = [{"path": c["path"], "line": c["line"], "api": c["how"], "provider": c["what"]} for c in calls]
            matched, _missed, ext = match_calls(r.get("calls") or [], found)
            hit |= {(r["name"], m["path"], m["line"], m.get("what", "")) for m in matched}
            extra |= {(r["name"], e["path"], e["line"]) for e in ext}
        return hit, extra

    full, full_extra = run(frozenset())
    print("\nAblation: labels lost when one resolution step is switched off (of "
          f"{len(full)} found with all steps)\n")
    report = {}
    for step, desc in STEPS.items():
        hit, extra = run(frozenset({step}))
        lost = sorted(full - hit)
        report[step] = {"lost": lost, "extra_removed": sorted(full_extra - extra)}
        n_dev = sum(1 for x in lost if not x[0].startswith("held-out:"))
        print(f"{step:18} -{n_dev:>2} list, -{len(lost) - n_dev:>2} held-out  {desc}")
        for name, path, line, what in lost:
            print(f"{'':22}{name}: {path}:{line}  {what[:90]}")
    return report


# ------------------------------------------------------------------------------------------ synthetic
from benchmarks.bench_scan import synthetic_file  # noqa: E402 - one shape for both benchmarks


def build_synthetic(repo: Path, files: int) -> None:
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "tsconfig.json").write_text('{"compilerOptions": {"paths": {"@/*": ["./web/*"]}}}\n')
    for i in range(files):
        rel, text = synthetic_file(i, files, i % 97)
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith(".py"):
            (path.parent / "__init__.py").touch()
        path.write_text(text)
    (repo / "app" / "__init__.py").touch()


def synthetic(args) -> dict:
    repo = Path(args.synthetic_dir) / f"ir-synthetic-{args.files}"
    if not repo.exists():
        t = time.perf_counter()
        build_synthetic(repo, args.files)
        print(f"built {repo} in {time.perf_counter() - t:.1f} s")
    runs = []
    for _ in range(args.repeat):
        proc = subprocess.run([sys.executable, __file__, "--synthetic-child", str(repo)], capture_output=True,
                              text=True, check=True)
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    runs.sort(key=lambda r: r["total_s"])
    result = runs[len(runs) // 2]  # the median run
    result["all_total_s"] = [round(r["total_s"], 2) for r in runs]
    result["rss_mib"] = max(r["rss_mib"] for r in runs)
    result["peak_rss_mib"] = result["rss_mib"]
    print(f"\nSynthetic repository {repo}: {result['files']} files, {result['lines']} lines, "
          f"{result['bytes'] / 1e6:.1f} MB")
    print(f"  read + parse + lower: {result['load_s']:.2f} s (of which parsing {result['parse_s']:.2f} s), "
          f"resolve + query: {result['query_s']:.2f} s, total {result['total_s']:.2f} s; "
          f"peak RSS {result['peak_rss_mib']} MiB; {result['sites']} model call sites (expected {result['expected']}); "
          f"median of {len(runs)} runs {result['all_total_s']}")
    if args.baseline:
        bruns = []
        for _ in range(args.repeat):
            proc = subprocess.run([sys.executable, __file__, "--baseline-child", str(repo)], capture_output=True,
                                  text=True, check=True)
            bruns.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        bruns.sort(key=lambda r: r["total_s"])
        base = bruns[len(bruns) // 2]
        base["all_total_s"] = [round(r["total_s"], 2) for r in bruns]
        base["peak_rss_mib"] = base["rss_mib"]
        result["baseline"] = base
        print(f"  the whole code collector (analysis.analyse) on the same files: {base['total_s']:.2f} s "
              f"(list files {base['list_s']:.2f} s, Python {base['py_s']:.2f} s, JS/TS {base['js_s']:.2f} s), "
              f"{base['sites']} model call sites; peak RSS {base['peak_rss_mib']} MiB; runs {base['all_total_s']}")
    return result


def baseline_child(path: str) -> None:
    """The audit's whole code collector on a folder (every fact, not only call sites), for comparison."""
    from auditlib.analysis import analyse
    from auditlib.collect.files import list_files

    t0 = time.perf_counter()
    files = list_files(Path(path))
    t1 = time.perf_counter()
    facts = analyse(files)
    t3 = time.perf_counter()
    print(json.dumps({"list_s": t1 - t0, "py_s": 0.0, "js_s": 0.0, "total_s": t3 - t0,
                      "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "sites": len(facts.llm_calls or [])}))


def synthetic_child(path: str) -> None:
    repo_path = Path(path)
    t0 = time.perf_counter()
    repo = load_repo(repo_path)
    t1 = time.perf_counter()
    sites = repo.model_calls()
    t2 = time.perf_counter()
    files = len(repo.modules)
    expected = sum(1 for m in repo.modules.values()
                   if m.path.endswith(".py") and Path(m.path).stem.startswith("mod")
                   and int(Path(m.path).stem[3:]) % 25 == 1)
    ts = sorted(int(Path(m.path).stem[4:]) for m in repo.modules.values() if m.path.endswith(".ts"))
    expected += sum(1 for idx, _ in enumerate(ts) if idx % 25 == 0)
    parse_s = sum(m.parse_seconds for m in repo.modules.values())
    print(json.dumps({"files": files, "lines": sum(m.lines for m in repo.modules.values()), "parse_s": parse_s,
                      "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "bytes": sum(p.stat().st_size for p in repo_path.rglob("*") if p.is_file()),
                      "load_s": t1 - t0, "query_s": t2 - t1, "total_s": t2 - t0, "sites": len(sites),
                      "expected": expected}))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clones", default="/tmp/realworld")
    ap.add_argument("--mirrors", default=None)
    ap.add_argument("--only")
    ap.add_argument("--synthetic", action="store_true", help="also time the synthetic repository")
    ap.add_argument("--synthetic-only", action="store_true")
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the synthetic timing (the median is shown)")
    ap.add_argument("--synthetic-dir", default="/tmp/auditlib-bench")
    ap.add_argument("--synthetic-child", help=argparse.SUPPRESS)
    ap.add_argument("--baseline-child", help=argparse.SUPPRESS)
    ap.add_argument("--baseline", action="store_true",
                    help="also time the whole code collector (auditlib.analysis.analyse) on the same repositories")
    ap.add_argument("--ablate", action="store_true", help="switch each resolution step off in turn")
    ap.add_argument("--heldout", action="store_true", help="also measure the held-out list (heldout.yaml)")
    ap.add_argument("--heldout-clones", default="/tmp/heldout-clones")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    if args.synthetic_child:
        synthetic_child(args.synthetic_child)
        return 0
    if args.baseline_child:
        baseline_child(args.baseline_child)
        return 0
    result: dict = {}
    if args.synthetic or args.synthetic_only:
        # first, while this process is small: a child's ru_maxrss counts the parent it was forked from
        result["synthetic"] = synthetic(args)
    if not args.synthetic_only:
        result["realworld"] = realworld(args)
    if args.heldout:
        result["heldout"] = heldout(args)
    if args.ablate:
        result["ablation"] = ablation(args)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
