"""Benchmark: `auditlib batch` throughput on N copies of the demo target, and one large repository.

    .venv/bin/python benchmarks/bench_batch.py [--targets 20] [--workers 2] [--modes pdf,no-pdf]
        [--batch-modes kernel] [--repeat 3] [--big-commits 5000] [--big-files 1000] [--dir /tmp/auditlib-bench-batch]

Builds N copies of the bundled demo prototype (auditlib/demo.py's builder; each a real git
repository, with the demo's answers and OSV records), writes a targets file, and times
`auditlib batch TARGETS --out OUT --workers W --force` end to end (process start to exit), with
HTML and PDF (`pdf`) and with `--no-pdf`, in each batch mode (`kernel`: one kept kernel per worker,
the default; `process`: a process per target, AUDITLIB_BATCH_MODE=process). For each run it reports:

- ``per_minute``: targets done per minute of wall time, end to end (the batch's own start, its
  imports, one kernel and one Chromium start per worker included);
- ``steady_per_minute``: the rate once every worker has finished its first target (from the times
  the progress lines arrive): what a portfolio of hundreds of targets runs at;
- ``mean_target_s``: the mean seconds per target that batch.json records;
- ``cpu_per_target_s``: the CPU seconds of the whole batch (every process it starts, from a
  cgroup-v1 cpuacct group when the machine allows one) per target done, and
  ``cpu_bound_per_minute``, what the machine's cores could do at that cost if nothing else ran:
  the figure that does not move with the load other users put on a shared machine.

Each configuration runs ``--repeat`` times, interleaved; the medians are printed last, with the
load average before and after each run (the machine may be shared: say so with the figures).

Then one synthetic repository of ``--big-commits`` commits over ``--big-files`` Python and
TypeScript files (``bench_scan.build_repo``, cached under --dir) is audited alone (one worker, HTML
and PDF, kernel mode): its seconds as batch.json records them, and the wall time of that batch.

Issue 10's target: 30 demo-sized targets a minute on 2 cores with HTML and PDF.
Not a test: run it on demand and put the figures in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def build(folder: Path, n: int) -> Path:
    """N copies of the demo target under ``folder`` and the targets file naming them."""
    from auditlib.demo import DEMO_ADVISORIES, DEMO_ANSWERS, build_demo_target

    folder.mkdir(parents=True, exist_ok=True)
    first = build_demo_target(folder / "repos" / "demo-1")
    for i in range(2, n + 1):
        dest = folder / "repos" / f"demo-{i}"
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(first, dest, symlinks=True)
    lines = [f"defaults: {{client: Bench, offline: true, vuln_db: {DEMO_ADVISORIES}}}", "targets:"]
    lines += [f"  - {{target: repos/demo-{i}, answers: {DEMO_ANSWERS}}}" for i in range(1, n + 1)]
    targets = folder / "targets.yaml"
    targets.write_text("\n".join(lines) + "\n")
    return targets


def build_big(folder: Path, commits: int, files: int) -> Path:
    """The synthetic repository (bench_scan's shape: Python and TypeScript modules, four authors, one
    key committed and removed) and a targets file naming it alone."""
    from bench_scan import build_repo

    repo = folder / f"big-r{commits}x{files}"
    if not (repo / ".git").exists():
        shutil.rmtree(repo, ignore_errors=True)
        t = time.perf_counter()
        build_repo(repo, commits, files)
        print(f"built {repo} in {time.perf_counter() - t:.0f} s", flush=True)
    targets = folder / f"big-{commits}.yaml"
    targets.write_text(f"defaults: {{client: Bench, offline: true}}\ntargets:\n  - {{target: {repo}, name: big}}\n")
    return targets


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


CPUACCT = Path("/sys/fs/cgroup/cpuacct")


def cpu_group() -> Path | None:
    """A cgroup-v1 cpuacct group for one batch (its CPU time, every process of it included: the
    kernels, Chromium's renderers, git); None when this machine does not allow one (not root...)."""
    if not (CPUACCT / "cgroup.procs").exists():
        return None
    group = CPUACCT / f"auditlib-bench-{os.getpid()}-{time.monotonic_ns()}"
    try:
        group.mkdir()
    except OSError:
        return None
    return group


def run(targets: Path, out: Path, workers: int, pdf: bool, batch_mode: str) -> dict:
    cmd = [sys.executable, "-m", "auditlib", "batch", str(targets), "--out", str(out), "--workers", str(workers),
           "--force"] + ([] if pdf else ["--no-pdf"])
    env = {**os.environ, "AUDITLIB_BATCH_MODE": batch_mode}
    group = cpu_group()

    def join() -> None:  # in the child, before exec: the batch and all it starts are in the group
        if group is not None:
            with open(group / "cgroup.procs", "w") as fh:
                fh.write(str(os.getpid()))

    before = load()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=join)
    arrivals = []
    for line in proc.stderr:  # plain progress lines (not a terminal): one per target
        if line.startswith("[batch] ") and ": " in line:
            arrivals.append(time.perf_counter() - start)
    proc.wait()
    wall = time.perf_counter() - start
    cpu = None
    if group is not None:
        time.sleep(0.5)  # Chromium's and the kernels' last processes end
        cpu = int((group / "cpuacct.usage").read_text()) / 1e9
        try:
            group.rmdir()
        except OSError:
            pass
    data = json.loads((out / "batch.json").read_text())
    done = [t for t in data["targets"] if t["status"] == "done"]
    steady = None
    if len(arrivals) > workers + 1:
        steady = round(60 * (len(arrivals) - workers) / (arrivals[-1] - arrivals[workers - 1]), 1)
    return {"batch_mode": batch_mode, "mode": "html+pdf" if pdf else "no-pdf", "exit": proc.returncode,
            "targets": len(data["targets"]), "done": len(done), "wall_s": round(wall, 1),
            "per_minute": round(60 * len(done) / wall, 1), "steady_per_minute": steady,
            "mean_target_s": round(sum(t["seconds"] for t in done) / max(1, len(done)), 1),
            "cpu_s": None if cpu is None else round(cpu, 1),
            "cpu_per_target_s": None if cpu is None or not done else round(cpu / len(done), 2),
            "load_before": before, "load_after": load(),
            "errors": [t["error"] for t in data["targets"] if t["error"]][:3]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=20, help="0: the large repository only")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--modes", default="pdf,no-pdf")
    ap.add_argument("--batch-modes", default="kernel", help="kernel, process, or both: kernel,process")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--big-commits", type=int, default=5000, help="0: no large repository")
    ap.add_argument("--big-files", type=int, default=1000)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/auditlib-bench-batch"))
    args = ap.parse_args()
    rows: dict[tuple[str, str], list[dict]] = {}
    if args.targets:
        targets = build(args.dir, args.targets)
        print(f"{args.targets} demo targets, --workers {args.workers}, {os.cpu_count()} CPUs, load {load()}", flush=True)
    for _ in range(args.repeat if args.targets else 0):
        for batch_mode in args.batch_modes.split(","):
            for mode in args.modes.split(","):
                row = run(targets, args.dir / f"out-{batch_mode}-{mode}", args.workers, pdf=(mode == "pdf"),
                          batch_mode=batch_mode)
                rows.setdefault((batch_mode, row["mode"]), []).append(row)
                print(json.dumps(row), flush=True)
    ok = all(r["exit"] == 0 for rs in rows.values() for r in rs)
    for (batch_mode, mode), rs in rows.items():
        steady = [r["steady_per_minute"] for r in rs if r["steady_per_minute"]]
        print(json.dumps({"median": f"{batch_mode} {mode}", "runs": len(rs),
                          "per_minute": statistics.median(r["per_minute"] for r in rs),
                          "per_minute_all": [r["per_minute"] for r in rs],
                          "steady_per_minute": statistics.median(steady) if steady else None,
                          "steady_all": steady,
                          "mean_target_s": statistics.median(r["mean_target_s"] for r in rs),
                          "cpu_per_target_s": statistics.median(cpus) if (cpus := [r["cpu_per_target_s"] for r in rs
                                                                                     if r["cpu_per_target_s"]]) else None,
                          "cpu_bound_per_minute": round(60 * (os.cpu_count() or 1) / statistics.median(cpus), 1)
                          if cpus else None}), flush=True)
    if args.big_commits:
        big = build_big(args.dir, args.big_commits, args.big_files)
        results = []
        for _ in range(max(1, args.repeat)):
            row = run(big, args.dir / f"out-big-{args.big_commits}", 1, pdf=True, batch_mode="kernel")
            results.append(row)
            print(json.dumps({"big": f"{args.big_commits} commits x {args.big_files} files", **row}), flush=True)
        ok = ok and all(r["exit"] == 0 for r in results)
        print(json.dumps({"median": f"{args.big_commits}-commit target (html+pdf, kernel)",
                          "target_s": statistics.median(r["mean_target_s"] for r in results),
                          "target_all": [r["mean_target_s"] for r in results],
                          "wall_s": statistics.median(r["wall_s"] for r in results)}), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
