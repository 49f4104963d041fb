"""Benchmark: `auditlib scan` on a large synthetic repository, against git's own floor.

    .venv/bin/python benchmarks/bench_scan.py [--commits 20000] [--files 3000] [--repo /tmp/auditlib-bench]

Builds (once, cached) a repository of about 20,000 commits over 3,000 Python and TypeScript files
with git fast-import, then times:
  - the floors: `git log --numstat` (history) and `git log -p --numstat` (history secrets);
  - `auditlib scan REPO --json out.json --offline` (collectors, probes, scoring; no notebook, no network),
    its per-collector seconds (from results.json) and its peak memory (ru_maxrss of the child).
Targets (issue 3): the scan within 3x the wall time of `git log -p --numstat`, peak memory under 1 GiB.
Not a test: run it on demand and put the numbers in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

PY_TEMPLATE = '''"""Module {n}."""
import logging

log = logging.getLogger(__name__)


def handler_{n}(payload, limit={v}):
    total = 0
    for item in payload:
        if item.get("kind") == "a":
            total += {v}
        elif item.get("kind") == "b":
            total -= 1
        else:
            log.info("skip %s", item)
    return min(total, limit)
'''
TS_TEMPLATE = '''// Component {n}
export function compute{n}(values: number[], limit = {v}): number {{
  let total = 0;
  for (const v of values) {{
    if (v > {v}) {{ total += v; }} else if (v < 0) {{ total -= 1; }}
  }}
  return Math.min(total, limit);
}}
'''


def build_repo(repo: Path, commits: int, files: int, seed: int = 7) -> None:
    """Create the synthetic repository with one git fast-import stream."""
    rng = random.Random(seed)
    repo.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    paths = [f"app/pkg{i % 40}/mod{i}.py" if i % 3 else f"web/src/comp{i}.ts" for i in range(files)]
    authors = [("Ada", "ada@example.com"), ("Bo", "bo@example.com"), ("Cy", "cy@example.com"), ("Di", "di@example.com")]
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE)
    out = proc.stdin
    start = 1_600_000_000

    index = {p: i for i, p in enumerate(paths)}

    def blob(path: str, version: int) -> bytes:
        n = index[path]
        tpl = TS_TEMPLATE if path.endswith(".ts") else PY_TEMPLATE
        return tpl.format(n=n, v=version).encode()

    for c in range(commits):
        name, email = authors[rng.randrange(len(authors))] if c > 50 else authors[0]
        ts = start + c * 1800
        msg = f"change {c}".encode()
        out.write(b"commit refs/heads/main\n")
        out.write(f"author {name} <{email}> {ts} +0000\ncommitter {name} <{email}> {ts} +0000\n".encode())
        out.write(b"data %d\n%s\n" % (len(msg), msg))
        touched = paths if c == 0 else rng.sample(paths, 3)
        for path in touched:
            data = blob(path, c)
            out.write(f"M 100644 inline {path}\n".encode())
            out.write(b"data %d\n%s\n" % (len(data), data))
        if c == commits // 2:  # one credential committed, and removed in the next commit
            key = ("sk-" + "proj-" + "".join(rng.choice("abcdefghijkLMNOPQRSTuvwxyz0123456789") for _ in range(48))).encode()
            data = b'OPENAI_API_KEY = "' + key + b'"\n'
            out.write(b"M 100644 inline app/settings.py\ndata %d\n%s\n" % (len(data), data))
        if c == commits // 2 + 1:
            out.write(b"D app/settings.py\n")
    out.close()
    if proc.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True)


def timed(cmd: list[str], cwd: Path | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS of the child in MiB) for one command, output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) // 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--files", type=int, default=3000)
    ap.add_argument("--repo", type=Path, default=Path("/tmp/auditlib-bench"))
    args = ap.parse_args()
    repo = args.repo / f"r{args.commits}x{args.files}"
    if not (repo / ".git").exists():
        t = time.perf_counter()
        build_repo(repo, args.commits, args.files)
        print(f"built {repo} in {time.perf_counter() - t:.0f} s")
    git_numstat, _ = timed(["git", "log", "--numstat", "--no-color", "HEAD"], cwd=repo)
    git_patch, _ = timed(["git", "log", "-p", "--numstat", "--no-color", "HEAD"], cwd=repo)
    out = args.repo / "bench-results.json"
    scan, peak = timed([sys.executable, "-m", "auditlib", "scan", str(repo), "--json", str(out), "--offline", "-q"])
    result = json.loads(out.read_text())
    report = {
        "repo": str(repo), "commits": args.commits, "files": args.files, "cpus": os.cpu_count(),
        "git_log_numstat_s": round(git_numstat, 2), "git_log_patch_numstat_s": round(git_patch, 2),
        "scan_s": round(scan, 2), "scan_over_git_log_patch": round(scan / git_patch, 2), "scan_peak_rss_mib": peak,
        "collectors_s": {k: v["seconds"] for k, v in result["run"]["collectors"].items()},
        "findings": len(result["findings"]),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
