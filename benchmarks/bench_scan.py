"""Benchmark: `auditlib scan` on a large synthetic repository, against git's own floor.

    .venv/bin/python benchmarks/bench_scan.py [--commits 20000] [--files 3000] [--repo /tmp/auditlib-bench] [--runs 5]

Builds (once, cached) a repository of about 20,000 commits over 3,000 Python and TypeScript files of
about 100 lines each (about 10 MB of source; the shape of issue 8) with git fast-import, then times:
  - the floors: `git log --numstat` (history) and `git log -p --numstat` (history secrets);
  - `auditlib scan REPO --json out.json --offline` (collectors, probes, scoring; no notebook, no network),
    its per-collector seconds (from results.json) and its peak memory (ru_maxrss of the child).
Each of ``--runs`` rounds times the two floors and the scan one after the other; the medians and the
median of the per-round ratios are reported (a shared machine's load moves single runs by 30 %).
Targets (issue 8): the scan within 2x the wall time of `git log -p --numstat`, peak memory under 1 GiB.
Not a test: run it on demand and put the numbers in the README.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY_FILE = '''"""Module {n}: handlers and a service object."""
import logging
import os

from app.pkg{p}.mod{dep} import Service{dep}, helper_{dep}
from .mod{dep2} import make_client_{dep2}
{extra_import}
log = logging.getLogger(__name__)
LIMIT_{n} = {v}


class Service{n}:
    def __init__(self, client=None):
        self.client = client or {factory}()
        self.limit = LIMIT_{n}
        self.peer = Service{dep}()

    def total(self, payload):
        total = 0
        for item in payload:
            if item.get("kind") == "a":
                total += {v}
            elif item.get("kind") == "b":
                total -= 1
            else:
                log.info("skip %s", item)
        return min(total, self.limit)

    def peer_total(self, payload):
        return self.peer.total(payload) + helper_{dep}(payload)

    def ask(self, text):
{ask_body}


def helper_{n}(payload, limit={v}):
    values = [x.get("v", 0) for x in payload if isinstance(x, dict)]
    if not values:
        return 0
    best = max(values)
    worst = min(values)
    spread = best - worst
    if spread > limit:
        log.warning("spread %s over %s", spread, limit)
    return spread


def make_client_{n}():
    key = os.environ.get("API_KEY_{n}", "")
    return {client_expr}


def handler_{n}(payload, limit={v}):
    service = Service{n}()
    total = service.total(payload)
    extra = helper_{n}(payload, limit)
    if total > limit:
        return {{"status": "over", "total": total, "extra": extra}}
    if total < 0:
        return {{"status": "under", "total": total, "extra": extra}}
    parts = []
    for i in range(3):
        parts.append(str(i * total))
    text = ",".join(parts)
    log.debug("handler_{n} %s", text)
    return {{"status": "ok", "total": total, "extra": extra, "text": text}}


def summarise_{n}(rows):
    out = {{}}
    for row in rows:
        key = row.get("key", "none")
        out.setdefault(key, 0)
        out[key] += row.get("value", 0)
    ordered = sorted(out.items(), key=lambda kv: kv[1])
    return ordered[:10]


def validate_{n}(payload):
    errors = []
    if not isinstance(payload, list):
        errors.append("payload must be a list")
        return errors
    for i, item in enumerate(payload):
        if not isinstance(item, dict):
            errors.append(f"item {{i}} is not an object")
        elif "kind" not in item:
            errors.append(f"item {{i}} has no kind")
    return errors
'''

TS_FILE = '''// Component {n}
import {{ compute{dep}, Store{dep} }} from "./comp{dep}";
import {{ client{dep} }} from "@/src/comp{dep}";
{extra_import}
export const client{n} = {client_expr};

export function compute{n}(values: number[], limit = {v}): number {{
  let total = 0;
  for (const v of values) {{
    if (v > {v}) {{ total += v; }} else if (v < 0) {{ total -= 1; }}
  }}
  return Math.min(total, limit) + compute{dep}(values, limit);
}}

export class Store{n} {{
  private items: Map<string, number> = new Map();
  client = {tsclient};
  peer = new Store{dep}();

  add(key: string, value: number): void {{
    const prev = this.items.get(key) ?? 0;
    this.items.set(key, prev + value);
  }}

  total(): number {{
    let sum = 0;
    for (const [, v] of this.items) {{
      sum += v;
    }}
    return sum;
  }}

  async ask(text: string) {{
{ask_body}
  }}
}}

export function summarise{n}(rows: {{ key: string; value: number }}[]) {{
  const out: Record<string, number> = {{}};
  for (const row of rows) {{
    out[row.key] = (out[row.key] ?? 0) + row.value;
  }}
  return Object.entries(out).sort((a, b) => a[1] - b[1]).slice(0, 10);
}}

export function validate{n}(payload: unknown): string[] {{
  const errors: string[] = [];
  if (!Array.isArray(payload)) {{
    errors.push("payload must be a list");
    return errors;
  }}
  payload.forEach((item, i) => {{
    if (typeof item !== "object" || item === null) {{
      errors.push(`item ${{i}} is not an object`);
    }} else if (!("kind" in item)) {{
      errors.push(`item ${{i}} has no kind`);
    }}
  }});
  return errors;
}}

export async function handler{n}(req: Request) {{
  const body = await req.json();
  const store = new Store{n}();
  for (const [k, v] of Object.entries(body)) {{
    store.add(k, Number(v));
  }}
  const total = store.total();
  if (total > {v}) {{
    return Response.json({{ status: "over", total }});
  }}
  const answer = await store.ask(JSON.stringify(body));
  return Response.json({{ status: "ok", total, answer }});
}}
'''



def synthetic_file(i: int, files: int, version: int) -> tuple[str, str]:
    """Path and text of file ``i`` of ``files`` at ``version``: about 100 lines, two thirds Python under
    app/pkgN/ and one third TypeScript under web/src/, importing each other (same package, relative,
    and through the ``@/`` alias), classes keeping clients on self/this, a model call in one file of 25."""
    v = version % 97
    if i % 3:
        p = i % 40
        same_pkg = [j for j in range(p, files, 40) if j % 3] or [i]
        k = same_pkg.index(i) if i in same_pkg else 0
        dep = same_pkg[(k + 1) % len(same_pkg)]
        dep2 = same_pkg[(k + 2) % len(same_pkg)]
        model = i % 25 == 1
        text = PY_FILE.format(
            n=i, p=p, dep=dep, dep2=dep2, v=v, factory=f"make_client_{i if model else dep2}",
            extra_import="from openai import OpenAI\n" if model else "",
            client_expr="OpenAI(api_key=key)" if model else "{\"key\": key}",
            ask_body=("        response = self.client.chat.completions.create(model=\"gpt-4o\", "
                      "messages=[{\"role\": \"user\", \"content\": text}])\n        return response"
                      if model else "        return self.client.get(\"key\")"))
        return f"app/pkg{p}/mod{i}.py", text
    ts_ids = range(0, files, 3)
    idx = i // 3
    dep = ts_ids[(idx + 1) % len(ts_ids)]
    model = idx % 25 == 0
    text = TS_FILE.format(
        n=i, dep=dep, v=v, tsclient=f"client{i if model else dep}",
        extra_import='import Anthropic from "@anthropic-ai/sdk";\n' if model else "",
        client_expr="new Anthropic()" if model else "{ key: process.env.KEY }",
        ask_body=("    return this.client.messages.create({ model: \"claude\", max_tokens: 100, "
                  "messages: [{ role: \"user\", content: text }] });" if model else
                  "    return this.peer.total() + text.length;"))
    return f"web/src/comp{i}.ts", text


def build_repo(repo: Path, commits: int, files: int, seed: int = 7) -> None:
    """Create the synthetic repository with one git fast-import stream."""
    rng = random.Random(seed)
    repo.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    paths = [synthetic_file(i, files, 0)[0] for i in range(files)]
    authors = [("Ada", "ada@example.com"), ("Bo", "bo@example.com"), ("Cy", "cy@example.com"), ("Di", "di@example.com")]
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=repo, stdin=subprocess.PIPE)
    out = proc.stdin
    start = 1_600_000_000

    index = {p: i for i, p in enumerate(paths)}

    def blob(path: str, version: int) -> bytes:
        return synthetic_file(index[path], files, version)[1].encode()

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
    ap.add_argument("--runs", type=int, default=5, help="timed runs of the floors and the scan (medians reported)")
    args = ap.parse_args()
    repo = args.repo / f"r{args.commits}x{args.files}-100"
    if not (repo / ".git").exists():
        t = time.perf_counter()
        build_repo(repo, args.commits, args.files)
        print(f"built {repo} in {time.perf_counter() - t:.0f} s")
    out = args.repo / "bench-results.json"
    numstats, patches, scans, ratios, peak = [], [], [], [], 0
    for i in range(args.runs):
        # interleaved, so that a change in the machine's load touches the floor and the scan alike
        numstats.append(timed(["git", "log", "--numstat", "--no-color", "HEAD"], cwd=repo)[0])
        patches.append(timed(["git", "log", "-p", "--numstat", "--no-color", "HEAD"], cwd=repo)[0])
        scan, rss = timed([sys.executable, "-m", "auditlib", "scan", str(repo), "--json", str(out), "--offline",
                           "-q"])
        scans.append(scan)
        ratios.append(scan / patches[-1])
        peak = max(peak, rss)
        print(f"run {i + 1}/{args.runs}: git log -p --numstat {patches[-1]:.2f} s, scan {scan:.2f} s "
              f"({ratios[-1]:.2f}x)", file=sys.stderr)
    git_numstat, git_patch, scan = statistics.median(numstats), statistics.median(patches), statistics.median(scans)
    result = json.loads(out.read_text())
    report = {
        "repo": str(repo), "commits": args.commits, "files": args.files, "cpus": os.cpu_count(), "runs": args.runs,
        "git_log_numstat_s": round(git_numstat, 2), "git_log_patch_numstat_s": round(git_patch, 2),
        "scan_s": round(scan, 2), "scan_over_git_log_patch": round(scan / git_patch, 2),
        "ratio_per_run": [round(r, 2) for r in ratios], "ratio_median": round(statistics.median(ratios), 2),
        "scan_peak_rss_mib": peak,
        "collectors_s": {k: v["seconds"] for k, v in result["run"]["collectors"].items()},
        "findings": len(result["findings"]),
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
