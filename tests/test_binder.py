"""binder/: the repo2docker configuration that opens the workbook on mybinder.org."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"


def test_binder_configuration_is_valid():
    runtime = (BINDER / "runtime.txt").read_text().strip()
    assert runtime.startswith("python-") and tuple(map(int, runtime.removeprefix("python-").split("."))) >= (3, 11)
    reqs = [Requirement(line) for line in (BINDER / "requirements.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")]
    assert {"jupyterlab", "ipywidgets"} <= {r.name for r in reqs}
    post = BINDER / "postBuild"
    assert os.access(post, os.X_OK) and post.read_text().startswith("#!")
    text = post.read_text()
    assert "pip install" in text and " -e ." in text and "auditlib demo" in text
    assert (BINDER / "apt.txt").read_text().split() == ["git"]


@pytest.mark.slow
def test_binder_installs_in_a_fresh_venv(tmp_path):
    """Do what repo2docker does: a new environment, requirements.txt, then postBuild in the repo."""
    repo = tmp_path / "repo"
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    if not files:
        pytest.skip("not a git checkout")
    for rel in files:
        if (ROOT / rel).is_file():
            (repo / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, repo / rel)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}", "VIRTUAL_ENV": str(venv),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    run = lambda *cmd: subprocess.run(cmd, cwd=repo, env=env, capture_output=True, text=True, timeout=1200)
    proc = run("pip", "install", "-q", "-r", "binder/requirements.txt")
    assert proc.returncode == 0, proc.stderr[-2000:]
    proc = run("bash", "binder/postBuild")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (repo / "audits" / "demo" / "results.json").exists() and (repo / "audits" / "demo-target" / ".git").exists()
    proc = run("jupyter", "labextension", "list")
    assert "@jupyter-widgets/jupyterlab-manager" in proc.stdout + proc.stderr  # widgets render in JupyterLab
    proc = run("python", "-c", "import auditlib, ipywidgets; print(auditlib.__version__)")
    assert proc.returncode == 0 and proc.stdout.strip()
