"""Benchmark: `auditlib batch` throughput on N copies of the demo target.

    .venv/bin/python benchmarks/bench_batch.py [--targets 6] [--workers 2] [--modes pdf,no-pdf] [--dir /tmp/auditlib-bench-batch]

Builds N copies of the bundled demo prototype (auditlib/demo.py's builder; each a real git
repository, with the demo's answers and OSV records), writes a targets file, and times
`auditlib batch TARGETS --out OUT --workers W --force` end to end (process start to exit), with
HTML and PDF, and with `--no-pdf`. Prints targets per minute and the mean seconds per target that
batch.json records. Issue 10's target: 30 demo-sized targets a minute on 2 cores with HTML and PDF.
Not a test: run it on demand and put the figures in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


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


def run(targets: Path, out: Path, workers: int, pdf: bool) -> dict:
    cmd = [sys.executable, "-m", "auditlib", "batch", str(targets), "--out", str(out), "--workers", str(workers),
           "--force", "-q"] + ([] if pdf else ["--no-pdf"])
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    data = json.loads((out / "batch.json").read_text())
    done = [t for t in data["targets"] if t["status"] == "done"]
    return {"mode": "html+pdf" if pdf else "no-pdf", "exit": proc.returncode, "targets": len(data["targets"]),
            "done": len(done), "wall_s": round(wall, 1), "per_minute": round(60 * len(done) / wall, 1),
            "mean_target_s": round(sum(t["seconds"] for t in done) / max(1, len(done)), 1),
            "errors": [t["error"] for t in data["targets"] if t["error"]][:3]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, default=6)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--modes", default="pdf,no-pdf")
    ap.add_argument("--dir", type=Path, default=Path("/tmp/auditlib-bench-batch"))
    args = ap.parse_args()
    targets = build(args.dir, args.targets)
    print(f"{args.targets} demo targets, --workers {args.workers}, {os.cpu_count()} CPUs", flush=True)
    rows = []
    for mode in args.modes.split(","):
        row = run(targets, args.dir / f"out-{mode}", args.workers, pdf=(mode == "pdf"))
        rows.append(row)
        print(json.dumps(row), flush=True)
    return 0 if all(r["exit"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
