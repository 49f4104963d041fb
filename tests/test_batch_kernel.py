"""auditlib batch's default mode: one kept Jupyter kernel per worker (auditlib/kernelpool.py).

The end-to-end tests run real kernels on tiny fixture repositories with a copy of the notebooks
(``run.NOTEBOOK_DIR`` pointed at it) whose workbook has one probe cell after the parameters: it
records, before the target's intake, what the kernel holds (its pid, a variable a previous target
set, auditlib's module-level caches, live widgets) in ``OUT/<name>/probe.json``, then sets that
variable; for a target whose name starts with ``sleeper`` it sleeps, for ``crasher`` it kills its
own kernel. The comparison with ``auditlib audit`` uses the shipped notebooks on the demo target.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from auditlib import batch, kernelpool, run
from auditlib.batch import BatchFileError
from auditlib.kernelpool import KernelError, KernelSlot

from .conftest import REPO_ROOT, have_chromium
from .test_batch import _records, _repo

PROBE = '''import json, os, time
import ipywidgets
from auditlib import widgets as _w
from auditlib.collect import files as _files
_probe = {"pid": os.getpid(), "leaked": globals().get("LEAKED_BY_A_TARGET"),
          "real_root_cached": _files._real_root.cache_info().currsize, "head_blobs": len(_files._HEAD_BLOBS),
          "shared_widgets": len(_w._SHARED), "live_widgets": len(ipywidgets.widgets.widget._instances),
          "names": sorted(k for k in globals() if not k.startswith("_") and k not in ("In", "Out", "get_ipython", "exit", "quit", "open"))}
json.dump(_probe, open(os.path.join(out_dir, "probe.json"), "w"))
LEAKED_BY_A_TARGET = target
if os.path.basename(out_dir).startswith("sleeper"):
    time.sleep(600)
if os.path.basename(out_dir).startswith("crasher"):
    os.kill(os.getpid(), 9)
'''


def _probe_notebooks(folder: Path) -> Path:
    """The shipped notebooks, the workbook with the probe cell after its parameters cell."""
    folder.mkdir()
    shutil.copy(run.NOTEBOOK_DIR / "report.ipynb", folder / "report.ipynb")
    nb = json.loads((run.NOTEBOOK_DIR / "workbook.ipynb").read_text())
    at = next(i for i, c in enumerate(nb["cells"]) if "parameters" in c.get("metadata", {}).get("tags", []))
    nb["cells"].insert(at + 1, {"cell_type": "code", "execution_count": None, "id": "probe", "metadata": {},
                                "outputs": [], "source": PROBE.splitlines(keepends=True)})
    (folder / "workbook.ipynb").write_text(json.dumps(nb))
    return folder


def _probe(out: Path, name: str) -> dict:
    return json.loads((out / name / "probe.json").read_text())


def _kernels_of(pid: int) -> list[int]:
    """Live ipykernel processes whose parent is ``pid``."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
            cmd = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] not in ("Z", "X") and b"ipykernel" in cmd:
            found.append(int(stat.parent.name))
    return found


# ------------------------------------------------------------------------------ without a kernel
def test_batch_mode_is_kernel_unless_chosen(monkeypatch):
    monkeypatch.delenv("AUDITLIB_BATCH_MODE", raising=False)
    assert batch.batch_mode() == "kernel"
    assert batch.batch_mode("process") == "process"
    monkeypatch.setenv("AUDITLIB_BATCH_MODE", "process")
    assert batch.batch_mode() == "process" and batch.batch_mode("kernel") == "kernel"
    monkeypatch.setenv("AUDITLIB_BATCH_MODE", "threads")
    with pytest.raises(BatchFileError, match="AUDITLIB_BATCH_MODE: 'threads' is not a batch mode"):
        batch.batch_mode()


def test_target_state_is_emptied_and_knowledge_kept(tmp_path):
    from auditlib import workbook
    from auditlib.collect import files, roles

    repo = _repo(tmp_path / "r")
    files._real_root(str(repo))
    files._HEAD_BLOBS[str(repo)] = {"a.py": "0" * 40}
    roles.file_role("src/app.py")
    workbook._current = object()  # a session of the last intake
    kept = roles.file_role.cache_info().currsize
    cleared = kernelpool.clear_auditlib_state()
    assert "auditlib.collect.files._real_root" in cleared and files._real_root.cache_info().currsize == 0
    assert files._HEAD_BLOBS == {} and workbook._current is workbook.NOT_STARTED
    assert roles.file_role.cache_info().currsize == kept  # a pure function of the path: kept


_STATE_SCAN = r'''
import ast, importlib, json, pkgutil, sys
import auditlib
from auditlib.kernelpool import module_caches
mods = []
for m in pkgutil.walk_packages(auditlib.__path__, "auditlib."):
    if not m.name.endswith("__main__"):
        mods.append(importlib.import_module(m.name))
found = {"caches": sorted(module_caches()), "state": []}
for mod in mods:
    for name, value in vars(mod).items():
        if isinstance(value, (dict, list, set)) and not value and not name.startswith("__"):
            found["state"].append(f"{mod.__name__}.{name}")  # empty at import: filled as it runs
        if isinstance(value, type) and value.__module__ == mod.__name__:
            for attr, member in vars(value).items():
                if (isinstance(member, (dict, list, set)) and not member and attr.startswith("_")
                        and not attr.startswith("__")):  # a private class-level cache (not pydantic's model_config)
                    found["state"].append(f"{mod.__name__}.{name}.{attr}")
    for node in ast.walk(ast.parse(open(mod.__file__, encoding="utf-8").read())):
        if isinstance(node, ast.Global):  # rebound by a function
            found["state"] += [f"{mod.__name__}.{n}" for n in node.names]
print(json.dumps(found))
'''


def test_every_module_level_cache_and_global_of_auditlib_is_classified():
    """A new module-level cache, empty container or rebound global in auditlib must be put in
    kernelpool's lists: emptied before each target of a kept kernel, or kept (and why)."""
    proc = subprocess.run([sys.executable, "-c", _STATE_SCAN], capture_output=True, text=True, timeout=120,
                          cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    classified = {f"{m}.{a}" for m, attrs in kernelpool.CLEARED_STATE.items() for a in attrs}
    classified |= {f"{m}.{a}" for m, attrs in kernelpool.KEPT_STATE.items() for a in attrs}
    unknown_state = sorted(set(found["state"]) - classified)
    unknown_caches = sorted(c for c in found["caches"] if c not in kernelpool.KEEP_CACHES)
    assert not unknown_state, f"module-level state not in kernelpool.CLEARED_STATE / KEPT_STATE: {unknown_state}"
    # every other cache is emptied before each target, which is safe; name the ones that are
    assert set(unknown_caches) <= {"auditlib.collect.files._real_root", "auditlib.analysis.resolve.Knowledge.constructor",
                                   "auditlib.analysis.resolve.Knowledge.function",
                                   "auditlib.analysis.resolve.Knowledge.family",
                                   "auditlib.analysis.resolve.Knowledge.is_http"}, (
        f"new auditlib caches, emptied before every target of a kept kernel: {unknown_caches}; if one holds "
        "nothing of a target (a knowledge file, a pure function), add it to kernelpool.KEEP_CACHES, else to this list")


def test_a_worker_whose_kernel_cannot_start_runs_its_targets_in_processes(tmp_path, monkeypatch):
    starts = []

    def refuse(self):
        starts.append(1)
        raise KernelError("could not start the Jupyter kernel: refused by the test")

    ran = []
    monkeypatch.setattr(KernelSlot, "_start", refuse)
    monkeypatch.setattr(batch, "run_target", lambda job, on_start=None, printer=None:
                        ran.append(job["name"]) or {"name": job["name"], "status": "done", "seconds": 0.0})
    repos = [_repo(tmp_path / n) for n in ("a", "b", "c")]
    f = tmp_path / "t.txt"
    f.write_text("".join(f"{r}\n" for r in repos))
    res = batch.run_batch(f, tmp_path / "out", workers=1, pdf=False, quiet=True, mode="kernel")
    assert ran == ["a", "b", "c"] and {r["status"] for r in res.records.values()} == {"done"}
    assert len(starts) == 2 and res.kernel_starts == 0  # after two failures in a row: no more tries


# ------------------------------------------------------------------------------ end to end
@pytest.mark.slow
def test_one_kernel_serves_several_targets_each_in_a_clean_kernel(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "NOTEBOOK_DIR", _probe_notebooks(tmp_path / "notebooks"))
    names = ["alpha", "beta", "gamma"]
    for n in names:
        _repo(tmp_path / n)
    f = tmp_path / "t.yaml"
    f.write_text("defaults: {offline: true, pdf: false}\ntargets:\n" + "".join(f"  - target: {n}\n" for n in names))
    out = tmp_path / "out"
    res = batch.run_batch(f, out, workers=1, quiet=True, mode="kernel")
    assert res.failed == 0, res.records
    assert res.kernel_starts == 1
    probes = [_probe(out, n) for n in names]
    assert len({p["pid"] for p in probes}) == 1  # one kernel process for the three targets
    kernels = [re.search(r"in kernel (\S+) \(target (\d) of it", (out / n / "audit.log").read_text()).groups()
               for n in names]
    assert len({k for k, _ in kernels}) == 1 and [int(i) for _, i in kernels] == [1, 2, 3]
    for p in probes:  # what a previous target left is gone: the namespace, auditlib's caches, its widgets
        assert p["leaked"] is None
        assert p["real_root_cached"] == 0 and p["head_blobs"] == 0
        assert p["shared_widgets"] == 0 and p["live_widgets"] == 0
    assert probes[1]["names"] == probes[0]["names"] == probes[2]["names"]  # only the parameters
    # the executed notebooks are numbered from 1 in every target, as in a new kernel
    counts = [[c.get("execution_count") for c in json.loads((out / n / "workbook.ipynb").read_text())["cells"]
               if c["cell_type"] == "code"] for n in names]
    assert counts[0] == counts[1] == counts[2] and counts[0][:3] == [1, 2, 3]
    assert not _kernels_of(os.getpid())  # the batch ended its kernel


@pytest.mark.slow
def test_a_timeout_or_a_dead_kernel_fails_only_its_target(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "NOTEBOOK_DIR", _probe_notebooks(tmp_path / "notebooks"))
    names = ["first", "sleeper", "after-timeout", "crasher", "after-crash"]
    for n in names:
        _repo(tmp_path / n)
    f = tmp_path / "t.yaml"
    f.write_text("defaults: {offline: true, pdf: false}\ntargets:\n"
                 + "".join(f"  - {{target: {n}{', timeout: 8' if n == 'sleeper' else ''}}}\n" for n in names))
    out = tmp_path / "out"
    started = time.monotonic()
    res = batch.run_batch(f, out, workers=1, quiet=True, mode="kernel")
    assert time.monotonic() - started < 240
    recs = res.records
    assert [recs[n]["status"] for n in names] == ["done", "failed", "done", "failed", "done"], recs
    slow = recs["sleeper"]
    assert slow["error"] == "timed out after 8 s (--timeout); the kernel running it was killed"
    assert 8 <= slow["seconds"] < 30
    partial = out / "sleeper" / "workbook.partial.ipynb"
    assert slow["notebook"] == str(partial)
    cells = json.loads(partial.read_text())["cells"]
    assert any("time.sleep(600)" in "".join(c["source"]) for c in cells)  # the cell it was killed in
    assert not (out / "sleeper" / "workbook.ipynb").exists()  # no previous notebook: none made up
    crash = recs["crasher"]
    assert crash["error"].startswith("workbook.ipynb failed: DeadKernelError"), crash
    assert crash["notebook"] == str((out / "crasher" / "workbook.ipynb").resolve())
    assert json.loads(Path(crash["notebook"]).read_text())["cells"]
    pids = {n: _probe(out, n)["pid"] for n in names}
    assert pids["first"] == pids["sleeper"]  # the sleeper ran in the first kernel,
    assert pids["after-timeout"] != pids["sleeper"]  # the next target in a new one,
    assert pids["after-timeout"] == pids["crasher"] != pids["after-crash"]  # and after the crash another
    assert res.kernel_starts == 3
    assert _probe(out, "after-timeout")["leaked"] is None and _probe(out, "crasher")["leaked"] is None
    assert "auditlib: error: timed out after 8 s" in (out / "sleeper" / "audit.log").read_text()
    data = json.loads((out / "batch.json").read_text())
    assert data["summary"] == {"done": 3, "failed": 2, "skipped": 0, "pending": 0, "total": 5}
    assert data["options"]["mode"] == "kernel"
    assert not _kernels_of(os.getpid())


def _comparable_results(path: Path) -> dict:
    """results.json without what differs between two runs of one audit: times and durations."""
    data = json.loads(path.read_text())

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()
                    if k not in ("audited_at", "seconds", "at", "duration", "started_at", "now")}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(data)


def _outputs(cell: dict) -> list:
    """A cell's outputs, consecutive stream outputs of one stream as one (how the kernel cuts a
    stream into messages depends on timing, in a new kernel as in a kept one)."""
    shape: list = []
    for o in cell.get("outputs", []):
        item = (o["output_type"], o.get("name"), sorted(o.get("data", {})))
        if not (o["output_type"] == "stream" and shape and shape[-1] == item):
            shape.append(item)
    return shape


def _nb_shape(path: Path) -> dict:
    nb = json.loads(path.read_text())
    pm = nb["metadata"]["papermill"]
    return {"metadata": sorted(nb["metadata"]), "papermill": sorted(pm), "parameters": pm["parameters"],
            "exception": pm["exception"], "widgets": len(nb["metadata"].get("widgets", {}).get(
                "application/vnd.jupyter.widget-state+json", {}).get("state", {})),
            "cells": [(c["cell_type"], c["metadata"].get("tags"), c.get("execution_count"), _outputs(c),
                       c["metadata"].get("papermill", {}).get("status"),
                       "".join("".join(o["text"]) for o in c.get("outputs", []) if o.get("name") == "stdout")
                       .count("\n")) for c in nb["cells"]]}


def _steady_html(html: str) -> str:
    """report.html without what differs between two runs: cell ids, times, the collectors' seconds."""
    html = re.sub(r'id="cell-id=[0-9a-f-]+"', 'id="cell-id"', html)
    html = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:[+-]\d\d:\d\d|Z)?", "TIME", html)
    return re.sub(r"<td>\d+(?:\.\d+)? s</td>", "<td>N s</td>", html)


def _headings(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", h).replace("¶", "").strip() for h in re.findall(r"<h[12][^>]*>(.*?)</h[12]>", html, re.S)]


@pytest.mark.slow
def test_outputs_are_those_of_auditlib_audit(demo_target, tmp_path):
    """The demo through `auditlib audit` (papermill, a kernel per notebook) and twice through a
    kept kernel (the second in the kernel the first used): the same results, SARIF, notebooks,
    report sections and PDF pages."""
    from auditlib.demo import DEMO_ADVISORIES, DEMO_ANSWERS

    pdf = have_chromium()
    reference = tmp_path / "audit"
    cmd = [sys.executable, "-m", "auditlib", "audit", str(demo_target), "--out", str(reference), "--client", "Acme",
           "--auditor", "J. Doe", "--offline", "--vuln-db", str(DEMO_ADVISORIES), "--answers", str(DEMO_ANSWERS), "-q"]
    proc = subprocess.run(cmd + ([] if pdf else ["--no-pdf"]), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    f = tmp_path / "t.yaml"
    f.write_text(f"defaults: {{client: Acme, auditor: J. Doe, offline: true, vuln_db: {DEMO_ADVISORIES}, pdf: {str(pdf).lower()}}}\n"
                 f"targets:\n  - {{target: {demo_target}, name: one, answers: {DEMO_ANSWERS}}}\n"
                 f"  - {{target: {demo_target}, name: two, answers: {DEMO_ANSWERS}}}\n")
    res = batch.run_batch(f, tmp_path / "batch", workers=1, quiet=True, mode="kernel")
    assert res.failed == 0, res.records
    assert res.kernel_starts == 1
    expected_files = {"results.json", "findings.sarif", "workbook.ipynb", "report.ipynb", "report.html"} | (
        {"report.pdf"} if pdf else set())
    for name in ("one", "two"):
        out = tmp_path / "batch" / name
        assert expected_files <= {p.name for p in out.iterdir()}
        assert _comparable_results(out / "results.json") == _comparable_results(reference / "results.json")
        sarif, ref_sarif = (json.loads((d / "findings.sarif").read_text()) for d in (out, reference))
        assert [r["results"] for r in sarif["runs"]] == [r["results"] for r in ref_sarif["runs"]]
        for nb in ("workbook.ipynb", "report.ipynb"):
            shape, ref_shape = _nb_shape(out / nb), _nb_shape(reference / nb)
            ref_shape["parameters"]["out_dir" if nb == "workbook.ipynb" else "results"] = \
                shape["parameters"]["out_dir" if nb == "workbook.ipynb" else "results"]
            assert shape == ref_shape, nb
            assert json.loads((out / nb).read_text())["metadata"]["papermill"]["output_path"] == str(out / nb)
        html, ref_html = (d.joinpath("report.html").read_text() for d in (out, reference))
        assert _headings(html) == _headings(ref_html) and len(_headings(html)) >= 10
        assert _steady_html(html) == _steady_html(ref_html)  # the same report, but for times and durations
        assert "<script" not in html.lower()
        if pdf:
            pages = [subprocess.run(["pdfinfo", str(d / "report.pdf")], capture_output=True, text=True).stdout
                     for d in (out, reference)]
            assert re.search(r"Pages:\s+(\d+)", pages[0]).group(1) == re.search(r"Pages:\s+(\d+)", pages[1]).group(1)


@pytest.mark.slow
def test_process_mode_is_still_there(tmp_path, monkeypatch):
    """AUDITLIB_BATCH_MODE=process: the old path, a process (and papermill's kernels) per target."""
    good = _repo(tmp_path / "good")
    f = tmp_path / "t.txt"
    f.write_text(f"{good}\n{tmp_path / 'missing'}\n")
    env = {**os.environ, "AUDITLIB_BATCH_MODE": "process"}
    proc = subprocess.run([sys.executable, "-m", "auditlib", "batch", str(f), "--out", str(tmp_path / "out"),
                           "--no-pdf", "--offline", "--workers", "2"], capture_output=True, text=True, env=env,
                          timeout=600)
    assert proc.returncode == 1, proc.stderr
    recs = _records(tmp_path / "out")
    assert recs["good"]["status"] == "done" and recs["missing"]["status"] == "failed"
    assert not re.search(r"batch: auditing .* in kernel ", (tmp_path / "out" / "good" / "audit.log").read_text())
    assert json.loads((tmp_path / "out" / "batch.json").read_text())["options"]["mode"] == "process"
