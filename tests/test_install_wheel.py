"""auditlib installed as a package (issue 12, section 1): a wheel built from the checkout, installed into a
fresh virtual environment outside it, runs `auditlib scan` and `auditlib demo` with the rubric and the
notebooks it carries (auditlib/_bundled/, read through importlib.resources), not the checkout's.

The fresh environment gets only the wheel (`pip --python VENV install --no-deps`): its third-party
dependencies come from this test's own environment through a .pth file, which adds that folder to
sys.path without running the .pth files in it (so this checkout's editable install is not activated
there). Nothing is downloaded except, by pip's isolated build, the build backend when it is not cached.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, have_chromium
from tests.gitrepo import make_repo

pytestmark = pytest.mark.slow

# A small prototype: a model call with request data pasted into the prompt, one pinned dependency.
APP = '''from flask import Flask, request
from openai import OpenAI

app = Flask(__name__)
client = OpenAI()


@app.route("/ask", methods=["POST"])
def ask():
    question = request.json["question"]
    resp = client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": f"Answer: {question}"}])
    return {"answer": resp.choices[0].message.content}
'''


def _inside(path: str | Path, folder: Path) -> bool:
    return Path(path).resolve().is_relative_to(folder.resolve())


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel, make a fresh venv in a temp folder, install the wheel alone into it."""
    base = tmp_path_factory.mktemp("install")
    assert not _inside(base, REPO_ROOT)
    dist = base / "dist"
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO_ROOT)],
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = dist.glob("auditlib-*.whl")

    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    deps = list(dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib")))
    (site / "_auditlib_test_deps.pth").write_text("".join(f"{d}\n" for d in deps))
    proc = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                           "--no-index", str(wheel)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]

    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "AUDITLIB_RUBRIC", "AUDITLIB_NOTEBOOKS")) and k != "VIRTUAL_ENV"}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # nbconvert's templates are data files of the nbconvert distribution (<prefix>/share/jupyter): here
    # in this test's environment, since nbconvert itself comes from there.
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(Path(sys.prefix) / "share" / "jupyter"),
                                                         os.environ.get("JUPYTER_PATH")]))
    work = base / "work"  # every command runs here: not the checkout
    work.mkdir()
    return {"wheel": wheel, "venv": venv, "python": python, "site": site, "env": env, "work": work,
            "auditlib": venv / "bin" / "auditlib"}


def run(installed: dict, *cmd: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=installed["work"], env=installed["env"], capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_the_wheel_carries_the_rubric_the_notebooks_and_the_demo_data(installed):
    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for folder in ("checklists", "notebooks"):
        shipped = {p.name for p in (REPO_ROOT / folder).iterdir() if p.is_file()}
        assert shipped and {f"auditlib/_bundled/{folder}/{n}" for n in shipped} <= names
    data = REPO_ROOT / "auditlib" / "data"
    assert {f"auditlib/{p.relative_to(data.parent).as_posix()}" for p in data.rglob("*") if p.is_file()} <= names
    metadata = zipfile.ZipFile(installed["wheel"]).read("auditlib-0.1.0.dist-info/METADATA").decode()
    assert "License-Expression: Apache-2.0" in metadata and "\nLicense:" not in metadata


def test_the_install_enables_the_jupyter_server_extension(installed):
    """A plain `jupyter lab` of the environment saves the workbook's forms as their placeholder: the wheel
    puts the config file that enables auditlib.jupyter_ext into the environment's etc/jupyter."""
    config = installed["venv"] / "etc" / "jupyter" / "jupyter_server_config.d" / "auditlib.json"
    assert json.loads(config.read_text())["ServerApp"]["jpserver_extensions"] == {"auditlib.jupyter_ext": True}
    code = ("from auditlib import jupyter_ext as j; print(j._jupyter_server_extension_points()[0]['module'])")
    proc = run(installed, installed["python"], "-I", "-c", code)
    assert proc.returncode == 0 and proc.stdout.strip() == "auditlib.jupyter_ext", proc.stderr[-3000:]


def test_the_installed_copy_is_imported_not_the_checkout(installed):
    code = ("import json, sys, auditlib; from auditlib import resources as r; from auditlib.run import NOTEBOOK_DIR; "
            "from auditlib.rubric import DEFAULT_RUBRIC_DIR; print(json.dumps({'file': auditlib.__file__, "
            "'path': sys.path, 'checkout': str(r.checkout_root()), 'rubric': str(DEFAULT_RUBRIC_DIR), "
            "'notebooks': str(NOTEBOOK_DIR), 'data': str(r.data_dir())}))")
    proc = run(installed, installed["python"], "-I", "-c", code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout)
    site = installed["site"]
    assert _inside(seen["file"], site) and not _inside(seen["file"], REPO_ROOT)
    assert seen["checkout"] == "None"
    for key in ("rubric", "notebooks", "data"):
        assert _inside(seen[key], site / "auditlib"), (key, seen[key])
    # the checkout is not on sys.path: only the dependencies' folder, which lies inside its .venv
    deps = set((site / "_auditlib_test_deps.pth").read_text().split())
    assert not [p for p in seen["path"] if p and _inside(p, REPO_ROOT) and p not in deps], seen["path"]


def test_installed_scan_of_a_small_repository(installed):
    repo = make_repo(installed["work"].parent / "prototype", {"app.py": APP, "requirements.txt": "flask==2.2.2\nopenai\n"})
    out = installed["work"] / "results.json"
    proc = run(installed, installed["auditlib"], "scan", repo, "--json", out, "--offline")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "Traceback" not in proc.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == "auditlib.results/1"
    assert {"target", "facts", "findings", "scorecard", "checklist", "decision"} <= set(data)
    rules = {f["rule"] for f in data["findings"]}
    assert "dependency.vulnerabilities_not_checked" in rules  # the rubric (rules.yaml) came with the wheel
    assert data["run"]["rubric_version"]


def test_installed_demo_writes_its_report(installed):
    out = installed["work"] / "demo"
    pdf = have_chromium()
    proc = run(installed, installed["auditlib"], "demo", "--out", out, *([] if pdf else ["--no-pdf"]))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (installed["work"] / "demo-target" / ".git").is_dir()
    data = json.loads((out / "results.json").read_text())
    assert data["schema"] == "auditlib.results/1" and data["findings"]
    assert _inside(data["run"]["vuln_db"], installed["site"])  # the demo's advisories, from the installed package
    assert {"dependency.known_vulnerable"} <= {f["rule"] for f in data["findings"]}
    # papermill ran the installed copy of the notebooks
    for name in ("workbook.ipynb", "report.ipynb"):
        nb = json.loads((out / name).read_text())
        assert _inside(nb["metadata"]["papermill"]["input_path"], installed["site"])
    html = (out / "report.html").read_text()
    assert "<html" in html.lower() and "not ready" in html.lower().replace("_", " ")
    if pdf:
        assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
