"""Engine trial, option (a): semgrep for model-call-site detection, against the real-world labels.

    .venv/bin/python benchmarks/engine_trial/semgrep/measure.py --clones /tmp/realworld \
        [--semgrep /tmp/semgrep-venv/bin/semgrep] [--only NAME[,NAME]] [--json out.json]
    .venv/bin/python benchmarks/engine_trial/semgrep/measure.py --synthetic /tmp/semgrep-synth [--files 3000]

semgrep is not a dependency of auditlib: install it into its own virtual environment outside the
checkout (python3 -m venv /tmp/semgrep-venv && /tmp/semgrep-venv/bin/pip install semgrep). It runs
offline on the local rules in rules/ (--metrics=off --disable-version-check --config rules/).

For each repository of benchmarks/realworld/repos.yaml (a clone at the labelled commit in
CLONES/<name>, as benchmarks/realworld/evaluate.py makes them) it:

1. runs semgrep once with rules/ (pass 1, "semgrep alone"): every result of a rule without
   ``metadata.role: export`` is a detected call site (path, start line);
2. the cross-file step (pass 2, unless --no-crossfile): semgrep OSS sees one file at a time, so a
   client built in lib/anthropic.ts and imported by a route is invisible to it. The ``role: export``
   rules of pass 1 name what each module offers (a module-level model object, a function whose body
   builds one, the default export); this script reads the repository's import statements (a few
   regular expressions), and for every file that imports such a name generates a taint rule whose
   source is that name (and whose sinks are those of the pass-1 taint rule of the language). The
   same generated rule also takes the file's own model-building functions as sources (a use above
   the ``def`` is too expensive for pass 1), and a generated st.session_state rule names them as the
   stored value. semgrep then runs again on those files only;
3. compares the detected sites with the labelled calls with evaluate.py's own functions (same path,
   within +-2 lines of the line or an alt_line, one detection per label, nearest first), prints
   recall (overall, Python, JS/TS), the detected sites that match no label (each with the rule and
   the source line, and the verdict of judged-extras.yaml when there is one), precision, and wall
   time per repository.

With --synthetic DIR it builds (once) a repository of --files files of about 100 lines (two thirds
Python, one third TypeScript, every tenth file with a model call) and times one semgrep run over
it, with its peak memory (ru_maxrss of semgrep and its children).

Nothing from the repositories is executed: semgrep parses files, this script reads them.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT / "benchmarks" / "realworld"))

import evaluate  # benchmarks/realworld/evaluate.py: labels and matching

RULES = HERE / "rules"
JUDGED = HERE / "judged-extras.yaml"
SEMGREP_FLAGS = ["--metrics=off", "--disable-version-check", "--json", "--quiet", "--oss-only"]
PY_EXT = (".py",)
JS_EXT = (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts")


# ------------------------------------------------------------------------------------------ semgrep
def run_semgrep(semgrep: str, config: Path, targets: list[str], cwd: Path) -> tuple[dict[str, Any], float, int]:
    """One semgrep run: (parsed JSON, wall seconds, peak RSS in MiB of semgrep and its children)."""
    cmd = [semgrep, "scan", *SEMGREP_FLAGS, "--config", str(config), *targets]
    env = dict(os.environ, SEMGREP_SEND_METRICS="off", SEMGREP_ENABLE_VERSION_CHECK="0")
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0)
        raw = out.read().decode("utf-8", "replace")
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise RuntimeError(f"semgrep exited {code}: {stderr.strip()[-800:]}") from exc
    bad = [e for e in data.get("errors", []) if "Rule" in str(e.get("type")) or "configuration" in e.get("message", "")]
    if bad:
        raise SystemExit(f"semgrep rejected the rules: {bad[0].get('message', '')[:600]}")
    return data, wall, usage.ru_maxrss // 1024


def engine_error(e: dict[str, Any]) -> bool:
    """semgrep-core failing on a file it can parse (a crash in a rule, not a syntax error)."""
    return "Internal matching error" in str(e.get("type")) or "Invalid_argument" in e.get("message", "")


def is_export(result: dict[str, Any]) -> bool:
    return (result.get("extra", {}).get("metadata") or {}).get("role") == "export"


def call_sites(results: list[dict[str, Any]], tag: str) -> list[dict[str, Any]]:
    """Call-site results -> one record per call. Two rules may report one call with different
    ranges: a taint rule reports the receiver (its focus), a search rule the whole call, and a
    parenthesised chain starts at its parenthesis. A result inside another one's range that starts
    within 2 lines of it is the same call; the record keeps the outer start line."""
    kept: list[dict[str, Any]] = []
    rs = sorted((r for r in results if not is_export(r)),
                key=lambda r: (r["path"], r["start"]["offset"], -r["end"]["offset"]))
    for r in rs:
        path = evaluate.norm_path(r["path"])
        start, end, line = r["start"]["offset"], r["end"]["offset"], int(r["start"]["line"])
        if any(k["path"] == path and k["_start"] <= start and end <= k["_end"] and line - k["line"] <= 2
               for k in kept):
            continue
        kept.append({"path": path, "line": line, "rule": r["check_id"].rsplit(".", 1)[-1],
                     "provider": (r["extra"].get("metadata") or {}).get("provider", ""),
                     "api": r["extra"].get("message", "")[:80], "pass": r.get("_pass", tag),
                     "_start": start, "_end": end})
    by_line: dict[tuple[str, int], dict[str, Any]] = {}
    for rec in kept:  # one record per (path, line), as evaluate.py counts them
        rec = {k: v for k, v in rec.items() if not k.startswith("_")}
        by_line.setdefault((rec["path"], rec["line"]), rec)
    return list(by_line.values())


# -------------------------------------------------------------------------------- cross-file step
PY_FROM = re.compile(r"^[ \t]*from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]+(\([^)]*\)|[^\n#]+)", re.MULTILINE)
PY_IMPORT = re.compile(r"^[ \t]*import[ \t]+([\w.]+)(?:[ \t]+as[ \t]+(\w+))?[ \t]*$", re.MULTILINE)
JS_IMPORT = re.compile(
    r"""\bimport\s+(?:type\s+)?(?:(?P<default>[\w$]+)\s*,?\s*)?(?:\{(?P<named>[^}]*)\})?\s*"""
    r"""(?:\*\s*as\s+(?P<star>[\w$]+))?\s*from\s*['"](?P<src>[^'"]+)['"]""")


def source_files(repo: Path) -> list[str]:
    out = subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "ls-files", "-z"], cwd=repo,
                         capture_output=True, text=True, check=False).stdout
    return [p for p in out.split("\0") if p.endswith(PY_EXT + JS_EXT) and (repo / p).is_file()]


def resolve_py(module: str, importer: str, files: set[str]) -> str | None:
    """A module name as written in ``importer`` -> a repository file, or None (third party)."""
    dots = len(module) - len(module.lstrip("."))
    name = module[dots:].replace(".", "/")
    bases: list[Path]
    if dots:
        base = Path(importer).parent
        for _ in range(dots - 1):
            base = base.parent
        bases = [base]
    else:  # absolute: from the repository root or any folder above the importer (src layouts)
        bases = [Path(".")] + list(Path(importer).parents)[:-1]
    for base in bases:
        stem = (base / name) if name else base
        for cand in (f"{stem}.py", f"{stem}/__init__.py"):
            cand = evaluate.norm_path(os.path.normpath(cand))
            if cand in files:
                return cand
    return None


def resolve_js(src: str, importer: str, files: set[str]) -> str | None:
    if src.startswith("."):
        stems = [os.path.normpath(str(Path(importer).parent / src))]
    elif src.startswith(("@/", "~/")):
        # tsconfig "paths" alias: the project root, or src/, of the importer's package
        parts = Path(importer).parts
        roots = [str(Path(*parts[:i])) if i else "." for i in range(len(parts))]
        stems = [os.path.normpath(str(Path(r) / sub / src[2:])) for r in roots for sub in ("", "src")]
    else:
        return None
    for stem in stems:
        for ext in ("",) + JS_EXT:
            for cand in (stem + ext, f"{stem}/index{ext}" if ext else None):
                if cand and evaluate.norm_path(cand) in files:
                    return evaluate.norm_path(cand)
    return None


def module_exports(results: list[dict[str, Any]]) -> dict[str, dict[str, set[str]]]:
    """path -> {"object": names, "factory": names}, from the role: export rules of pass 1."""
    mods: dict[str, dict[str, set[str]]] = {}
    aliases: dict[str, set[str]] = {}
    for r in results:
        if not is_export(r):
            continue
        kind = r["extra"]["metadata"].get("export")
        path = evaluate.norm_path(r["path"])
        msg = r["extra"].get("message", "").strip()
        if kind == "alias":
            aliases.setdefault(path, set()).add(msg.split("=", 1)[1])
            continue
        mods.setdefault(path, {"object": set(), "factory": set()})[kind].add(msg)
    for path, names in aliases.items():
        mod = mods.get(path)
        if mod:
            for n in names:
                for kind in ("object", "factory"):
                    if n in mod[kind]:
                        mod[kind].add("default")
    return mods


def import_bindings(repo: Path, files: list[str], exports: dict[str, dict[str, set[str]]]):
    """importer path -> list of (language, source pattern) for names imported from a module that
    exports a model object or a model-building function."""
    fileset = set(files)
    out: dict[str, list[tuple[str, str]]] = {}
    for path in files:
        text = (repo / path).read_text(encoding="utf-8", errors="replace")
        found: list[tuple[str, str]] = []
        if path.endswith(PY_EXT):
            for m in PY_FROM.finditer(text):
                mod = resolve_py(m.group(1), path, fileset)
                names = [n.strip() for n in m.group(2).strip("()").replace("\n", " ").split(",") if n.strip()]
                for item in names:
                    orig, _, alias = item.partition(" as ")
                    orig, local = orig.strip(), (alias or orig).strip()
                    if mod and mod in exports:
                        if orig in exports[mod]["object"]:
                            found.append(("python", local))
                        if orig in exports[mod]["factory"]:
                            found.append(("python", f"{local}(...)"))
                    # "from pkg import module": the module's names through the attribute
                    sub = resolve_py(f"{m.group(1)}.{orig}" if not m.group(1).endswith(".") else m.group(1) + orig,
                                     path, fileset)
                    if sub and sub in exports:
                        found += [("python", f"{local}.{n}") for n in exports[sub]["object"]]
                        found += [("python", f"{local}.{n}(...)") for n in exports[sub]["factory"]]
            for m in PY_IMPORT.finditer(text):
                mod = resolve_py(m.group(1), path, fileset)
                if mod and mod in exports:
                    local = m.group(2) or m.group(1)
                    found += [("python", f"{local}.{n}") for n in exports[mod]["object"]]
                    found += [("python", f"{local}.{n}(...)") for n in exports[mod]["factory"]]
        else:
            for m in JS_IMPORT.finditer(text):
                mod = resolve_js(m.group("src"), path, fileset)
                if not mod or mod not in exports:
                    continue
                ex = exports[mod]
                if m.group("default"):
                    if "default" in ex["object"]:
                        found.append(("js", m.group("default")))
                    if "default" in ex["factory"]:
                        found.append(("js", f"{m.group('default')}(...)"))
                for item in (m.group("named") or "").split(","):
                    item = item.strip().removeprefix("type ").strip()
                    if not item:
                        continue
                    orig, _, alias = item.partition(" as ")
                    orig, local = orig.strip(), (alias or orig).strip()
                    if orig in ex["object"]:
                        found.append(("js", local))
                    if orig in ex["factory"]:
                        found.append(("js", f"{local}(...)"))
                if m.group("star"):
                    found += [("js", f"{m.group('star')}.{n}") for n in ex["object"]]
                    found += [("js", f"{m.group('star')}.{n}(...)") for n in ex["factory"]]
        # the file's own model-building functions (a use above the def escapes pass 1)
        own = exports.get(path, {}).get("factory", set())
        lang = "python" if path.endswith(PY_EXT) else "js"
        for name in own:
            found += [(lang, f"{name}(...)"), (lang, f"$OBJ.{name}(...)")]
        if found:
            out[path] = sorted(set(found))
    return out


def base_rule(fname: str, rid: str) -> dict[str, Any]:
    rules = yaml.safe_load((RULES / fname).read_text(encoding="utf-8"))["rules"]  # anchors resolved
    return next(r for r in rules if r["id"] == rid)


def step_rules(bindings: dict[str, list[tuple[str, str]]], session_factories: dict[str, set[str]]) -> dict[str, Any]:
    """The second pass's rules, one per file:
    - cross-file: the pass-1 taint rule of the language with the names this file imports from a
      module that builds a model object as its sources;
    - same file: py-session-state-model-call with "a model-building function of this file" in place
      of "a model constructor" for the value stored in st.session_state (semgrep times out when one
      rule both checks the function's body and finds the store anywhere in the file)."""
    base = {"python": base_rule("python-objects.yaml", "py-model-object-call"),
            "js": base_rule("js-objects.yaml", "js-model-object-call")}
    out = []
    for i, (path, items) in enumerate(sorted(bindings.items())):
        for lang in ("python", "js"):
            pats = [p for lg, p in items if lg == lang]
            if not pats:
                continue
            rule = copy.deepcopy(base[lang])
            rule["id"] = f"xf-{i}-{lang}"
            rule["message"] = f"model call on a model object from {', '.join(pats)} (imported, or a function of this file)"
            rule["metadata"] = {"provider": "cross-file"}
            rule["paths"] = {"include": ["/" + path]}
            rule["pattern-sources"] = [{"exact": True, "pattern": p} for p in pats]
            out.append(rule)
    session = base_rule("python-objects.yaml", "py-session-state-model-call")
    for i, (path, names) in enumerate(sorted(session_factories.items())):
        rule = copy.deepcopy(session)
        rule["id"] = f"ss-{i}"
        rule["message"] = f"model call on a st.session_state entry filled by {', '.join(sorted(names))}()"
        rule["metadata"] = {"provider": "same-file factory"}
        rule["paths"] = {"include": ["/" + path]}
        src = rule["pattern-sources"][0]["patterns"]
        for k, item in enumerate(src):
            if "metavariable-pattern" in item and item["metavariable-pattern"]["metavariable"] == "$VAL":
                src[k] = {"metavariable-pattern": {"metavariable": "$VAL", "patterns": [
                    {"pattern-either": [{"pattern": f"{n}(...)"} for n in sorted(names)]}]}}
        out.append(rule)
    return {"rules": out}


def session_factories(repo: Path, results: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Python files with st.session_state and a function that builds a model object."""
    out: dict[str, set[str]] = {}
    for r in results:
        if is_export(r) and r["extra"]["metadata"].get("export") == "factory" and r["path"].endswith(".py"):
            path = evaluate.norm_path(r["path"])
            if "session_state" in (repo / path).read_text(encoding="utf-8", errors="replace"):
                out.setdefault(path, set()).add(r["extra"]["message"].strip())
    return out


# ------------------------------------------------------------------------------------------ compare
def load_judged() -> dict[tuple[str, str, int], dict[str, Any]]:
    if not JUDGED.exists():
        return {}
    data = yaml.safe_load(JUDGED.read_text(encoding="utf-8")) or {}
    return {(j["repo"], evaluate.norm_path(j["path"]), int(j["line"])): j for j in data.get("extras") or []}


def source_line(repo: Path, path: str, line: int) -> str:
    try:
        lines = (repo / path).read_text(encoding="utf-8", errors="replace").splitlines()
        return lines[line - 1].strip()[:110]
    except (OSError, IndexError):
        return ""


def measure_repo(repo: dict[str, Any], clones: Path, semgrep: str, crossfile: bool,
                 judged: dict, mirrors: Path | None = None) -> dict[str, Any]:
    target = clones / repo["name"]
    res: dict[str, Any] = {"name": repo["name"], "languages": repo.get("languages", [])}
    if mirrors is not None:
        try:
            evaluate.ensure_clone(repo, clones, mirrors)
        except Exception as exc:  # noqa: BLE001 - reported per repository
            res["error"] = str(exc)
            return res
    if not target.is_dir():
        res["error"] = f"no clone at {target}"
        return res
    head = evaluate.git("rev-parse", "HEAD", cwd=target, check=False).strip()
    if head != repo["commit"]:
        res["error"] = f"{target} is at {head[:12]}, labels are for {repo['commit'][:12]}"
        return res
    data, wall1, rss1 = run_semgrep(semgrep, RULES, ["."], target)
    found1 = call_sites(data["results"], "semgrep")
    res.update(seconds_pass1=round(wall1, 2), rss_pass1_mib=rss1,
               parse_errors=sorted({e.get("path", "") or e.get("message", "")[:60] for e in data.get("errors", [])
                                    if "Timeout" not in str(e.get("type")) and not engine_error(e)} - {""}),
               engine_errors=sorted({(e.get("path", "") + " " + e.get("rule_id", "").rsplit(".", 1)[-1]).strip()
                                     for e in data.get("errors", []) if engine_error(e)}),
               timeouts=sorted({(e.get("path", "") + " " + e.get("rule_id", "").rsplit(".", 1)[-1]).strip()
                                for e in data.get("errors", []) if "Timeout" in str(e.get("type"))}),
               files_scanned=len(data.get("paths", {}).get("scanned", [])))
    found_all = found1
    res["seconds_pass2"] = 0.0
    res["crossfile_bindings"] = {}
    if crossfile:
        t0 = time.perf_counter()
        files = source_files(target)
        bindings = import_bindings(target, files, module_exports(data["results"]))
        factories = session_factories(target, data["results"])
        res["crossfile_bindings"] = {k: [p for _, p in v] for k, v in bindings.items()}
        res["session_factories"] = {k: sorted(v) for k, v in factories.items()}
        if bindings or factories:
            with tempfile.TemporaryDirectory() as tmp:
                cfg = Path(tmp) / "step.yaml"
                cfg.write_text(yaml.safe_dump(step_rules(bindings, factories), sort_keys=False), encoding="utf-8")
                data2, _w, _r = run_semgrep(semgrep, cfg, sorted(set(bindings) | set(factories)), target)
            for r in data2["results"]:
                r["_pass"] = "step"
            found_all = call_sites(data["results"] + data2["results"], "semgrep")
        res["seconds_pass2"] = round(time.perf_counter() - t0, 2)
    calls = repo.get("calls") or []
    for tag, found in (("semgrep", found1), ("crossfile", found_all)):
        matched, missed, extra = evaluate.match_calls(calls, found)
        res[tag] = {"detected": len(found), "matched": matched, "missed": missed, "extra": extra}
    for det in res["crossfile"]["extra"]:
        det["code"] = source_line(target, det["path"], det["line"])
        j = judged.get((repo["name"], det["path"], det["line"]))
        det["verdict"] = j["verdict"] if j else "unjudged"
        det["why"] = j.get("why", "") if j else ""
    res["calls_labelled"] = len(calls)
    return res


def lang_of(path: str) -> str:
    return "python" if path.endswith(".py") else "js/ts"


def summarise(results: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in results if "error" not in r]
    out: dict[str, Any] = {"repos": len(ok), "errors": {r["name"]: r["error"] for r in results if "error" in r}}
    for tag in ("semgrep", "crossfile"):
        by_lang: dict[str, list[int]] = {}
        for r in ok:
            for lab in r[tag]["matched"] + r[tag]["missed"]:
                slot = by_lang.setdefault(lang_of(lab["path"]), [0, 0])
                slot[1] += 1
                slot[0] += lab in r[tag]["matched"]
        labelled = sum(r["calls_labelled"] for r in ok)
        matched = sum(len(r[tag]["matched"]) for r in ok)
        detected = sum(r[tag]["detected"] for r in ok)
        extras = [e for r in ok for e in r[tag]["extra"]]
        real = sum(1 for e in extras if e.get("verdict") == "real")
        out[tag] = {
            "labelled": labelled, "found": matched, "recall": round(matched / labelled, 3) if labelled else None,
            "by_language": {k: {"found": v[0], "labelled": v[1], "recall": round(v[0] / v[1], 3)}
                            for k, v in sorted(by_lang.items())},
            "detected": detected, "extra": len(extras),
            "precision_vs_labels": round(matched / detected, 3) if detected else None,
        }
        if tag == "crossfile":
            fp = sum(1 for e in extras if e.get("verdict") == "fp")
            out[tag].update(extra_real=real, extra_fp=fp, extra_unjudged=len(extras) - real - fp,
                            precision_judged=round((matched + real) / detected, 3) if detected else None)
    out["seconds_pass1_total"] = round(sum(r["seconds_pass1"] for r in ok), 2)
    out["seconds_pass2_total"] = round(sum(r["seconds_pass2"] for r in ok), 2)
    out["seconds_pass1_max"] = max((r["seconds_pass1"] for r in ok), default=0)
    out["rss_pass1_max_mib"] = max((r["rss_pass1_mib"] for r in ok), default=0)
    out["parse_errors"] = {r["name"]: r["parse_errors"] for r in ok if r["parse_errors"]}
    out["timeouts"] = {r["name"]: r["timeouts"] for r in ok if r["timeouts"]}
    out["engine_errors"] = {r["name"]: r["engine_errors"] for r in ok if r["engine_errors"]}
    return out


def print_report(results: list[dict[str, Any]], s: dict[str, Any]) -> None:
    w = sys.stdout.write
    w("\nModel call sites found by semgrep (pass 1: rules/ alone; +xf: with the cross-file step)\n\n")
    w(f"{'repository':32} {'lang':10} {'calls':>5} {'found':>5} {'+xf':>4} {'recall':>7} {'extra':>5} "
      f"{'files':>5} {'sec':>6} {'xf sec':>6} {'MiB':>5}\n")
    for r in results:
        if "error" in r:
            w(f"{r['name']:32} ERROR: {r['error']}\n")
            continue
        w(f"{r['name']:32} {','.join(r['languages'])[:10]:10} {r['calls_labelled']:>5} "
          f"{len(r['semgrep']['matched']):>5} {len(r['crossfile']['matched']):>4} "
          f"{evaluate.pct(len(r['crossfile']['matched']), r['calls_labelled']):>7} {len(r['crossfile']['extra']):>5} "
          f"{r['files_scanned']:>5} {r['seconds_pass1']:>6} {r['seconds_pass2']:>6} {r['rss_pass1_mib']:>5}\n")
    a, b = s["semgrep"], s["crossfile"]
    w(f"{'TOTAL':32} {'':10} {a['labelled']:>5} {a['found']:>5} {b['found']:>4} "
      f"{evaluate.pct(b['found'], b['labelled']):>7} {b['extra']:>5} {'':>5} {s['seconds_pass1_total']:>6} "
      f"{s['seconds_pass2_total']:>6}\n\n")
    for tag, label in (("semgrep", "semgrep alone"), ("crossfile", "with the cross-file step")):
        v = s[tag]
        langs = ", ".join(f"{k} {x['found']}/{x['labelled']} ({evaluate.pct(x['found'], x['labelled'])})"
                          for k, x in v["by_language"].items())
        w(f"recall, {label}: {v['found']}/{v['labelled']} ({evaluate.pct(v['found'], v['labelled'])}) - {langs}\n")
        w(f"  detected sites {v['detected']}, matching no label {v['extra']}, "
          f"precision against the labels {v['precision_vs_labels']}\n")
    b = s["crossfile"]
    w(f"  extras judged by hand (judged-extras.yaml): real call sites the labels lack {b['extra_real']}, "
      f"false positives {b['extra_fp']}, unjudged {b['extra_unjudged']}; judged precision {b['precision_judged']}\n")
    w(f"wall time: pass 1 {s['seconds_pass1_total']} s over {s['repos']} repositories "
      f"(max {s['seconds_pass1_max']} s), cross-file step {s['seconds_pass2_total']} s; "
      f"peak RSS of one run {s['rss_pass1_max_mib']} MiB\n")
    w("\nMissed call sites (with the cross-file step)\n")
    for r in results:
        for lab in r.get("crossfile", {}).get("missed", []):
            w(f"  {r['name']}: {lab['path']}:{lab['line']}  [{lab.get('kind', '')}] {lab.get('what', '')}\n")
    w("\nFound only through the cross-file step\n")
    for r in results:
        if "error" in r:
            continue
        only = [lab for lab in r["crossfile"]["matched"] if lab not in r["semgrep"]["matched"]]
        for lab in only:
            w(f"  {r['name']}: {lab['path']}:{lab['line']}  {lab.get('what', '')}\n")
    w("\nDetected sites with no label (verdict from judged-extras.yaml)\n")
    for r in results:
        for e in r.get("crossfile", {}).get("extra", []):
            w(f"  [{e['verdict']}] {r['name']}: {e['path']}:{e['line']} ({e['rule']}, {e['pass']})  {e['code']}\n")
            if e.get("why"):
                w(f"      {e['why']}\n")
    if s["timeouts"]:
        w("\nRule timeouts (semgrep gave up on that rule for that file; its matches there are lost)\n")
        for name, errs in s["timeouts"].items():
            w(f"  {name}: {', '.join(errs)}\n")
    if s["engine_errors"]:
        w("\nsemgrep-core errors on parsable files (an \"Other syntax error ... Invalid_argument\" loses the whole file)\n")
        for name, errs in s["engine_errors"].items():
            w(f"  {name}: {', '.join(errs)}\n")
    if s["parse_errors"]:
        w("\nFiles semgrep could not parse (fully or partly)\n")
        for name, errs in s["parse_errors"].items():
            w(f"  {name}: {', '.join(errs)}\n")


# ---------------------------------------------------------------------------------------- synthetic
PY_FILE = '''"""Module {n}: order handling."""
import logging
import os

log = logging.getLogger(__name__)
{client}

class Handler{n}:
    """Handles payloads of kind {n}."""

    def __init__(self, limit={n}):
        self.limit = limit
        self.seen = []

{methods}

def handler_{n}(payload, limit={n}):
    h = Handler{n}(limit)
    return h.run_0(payload)
'''
PY_METHOD = '''    def run_{i}(self, payload):
        total = 0
        for item in payload:
            if item.get("kind") == "a":
                total += {i}
            elif item.get("kind") == "b":
                total -= 1
            else:
                log.info("skip %s", item)
        self.seen.append(total)
        return min(total, self.limit)
'''
PY_CLIENT = '''from openai import OpenAI

client = OpenAI()


def ask_{n}(question):
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{{"role": "user", "content": question}}])
'''
TS_FILE = '''// Component {n}
{client}
export interface Item{n} {{ kind: string; value: number }}

{functions}
export default compute{n}_0;
'''
TS_FUNC = '''export function compute{n}_{i}(values: Item{n}[], limit = {i}): number {{
  let total = 0;
  for (const v of values) {{
    if (v.kind === "a") {{
      total += v.value;
    }} else if (v.value < 0) {{
      total -= 1;
    }}
  }}
  return Math.min(total, limit);
}}
'''
TS_CLIENT = '''import OpenAI from "openai";
const openai = new OpenAI();
export async function ask{n}(q: string) {{
  return openai.chat.completions.create({{ model: "gpt-4o-mini", messages: [{{ role: "user", content: q }}] }});
}}
'''


def build_synthetic(root: Path, files: int) -> tuple[int, int]:
    """files of about 100 lines; returns (files, bytes). Built once (a marker file holds the count)."""
    marker = root / ".synthetic"
    if marker.exists() and marker.read_text() == str(files):
        return files, sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and p.name != ".synthetic")
    root.mkdir(parents=True, exist_ok=True)
    total = 0
    for n in range(files):
        if n % 3:
            path = root / f"app/pkg{n % 40}/mod{n}.py"
            text = PY_FILE.format(n=n, client=PY_CLIENT.format(n=n) if n % 10 == 1 else "",
                                  methods="\n".join(PY_METHOD.format(i=i) for i in range(7)))
        else:
            path = root / f"web/src/comp{n}.ts"
            text = TS_FILE.format(n=n, client=TS_CLIENT.format(n=n) if n % 10 == 0 else "",
                                  functions="\n".join(TS_FUNC.format(n=n, i=i) for i in range(8)))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        total += len(text.encode())
    marker.write_text(str(files))
    return files, total


def measure_synthetic(root: Path, files: int, semgrep: str) -> dict[str, Any]:
    n, size = build_synthetic(root, files)
    lines = sum(p.read_text().count("\n") for p in root.rglob("*") if p.suffix in (".py", ".ts"))
    runs = []
    for _ in range(2):  # the first run warms the page cache
        data, wall, rss = run_semgrep(semgrep, RULES, ["."], root)
        runs.append({"seconds": round(wall, 2), "peak_rss_mib": rss, "results": len(data["results"]),
                     "scanned": len(data.get("paths", {}).get("scanned", []))})
    return {"root": str(root), "files": n, "bytes": size, "lines": lines, "cpus": os.cpu_count(), "runs": runs}


# ---------------------------------------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clones", type=Path, help="folder of clones, one per repository name")
    ap.add_argument("--labels", type=Path, default=ROOT / "benchmarks" / "realworld" / "repos.yaml",
                    help="labels (default: the real-world list; holdout.yaml beside this script for the hold-out)")
    ap.add_argument("--mirrors", type=Path, help="make missing clones from fetched mirrors (as evaluate.py does)")
    ap.add_argument("--semgrep", default="/tmp/semgrep-venv/bin/semgrep")
    ap.add_argument("--rules", type=Path, help="rules folder (default: rules/ beside this script)")
    ap.add_argument("--only", action="append")
    ap.add_argument("--no-crossfile", action="store_true", help="skip the cross-file step")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--synthetic", type=Path, help="build and time a synthetic repository in this folder")
    ap.add_argument("--files", type=int, default=3000)
    args = ap.parse_args(argv)
    if args.rules:
        global RULES  # the second pass reads its base rules from the same folder
        RULES = args.rules.resolve()
    version = subprocess.run([args.semgrep, "--version", "--disable-version-check", "--metrics=off"],
                             capture_output=True, text=True, check=True).stdout.strip()
    print(f"semgrep {version}, rules in {RULES}", file=sys.stderr)
    report: dict[str, Any] = {"semgrep": version, "rules": str(RULES)}
    if args.synthetic:
        report["synthetic"] = measure_synthetic(args.synthetic, args.files, args.semgrep)
        print(json.dumps(report["synthetic"], indent=2))
    if args.clones:
        repos = evaluate.load_labels(args.labels)
        args.clones.mkdir(parents=True, exist_ok=True)
        if args.only:
            wanted = {n.strip() for item in args.only for n in item.split(",") if n.strip()}
            repos = [r for r in repos if r["name"] in wanted]
        judged = load_judged()
        results = []
        for repo in repos:
            print(f"[semgrep] {repo['name']} ...", file=sys.stderr, flush=True)
            results.append(measure_repo(repo, args.clones, args.semgrep, not args.no_crossfile, judged, args.mirrors))
        summary = summarise(results)
        print_report(results, summary)
        report.update(summary=summary, repos=results)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
