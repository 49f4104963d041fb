"""auditlib/resources.py: the checkout's top-level folders in a checkout, env overrides, zipped packages.
(The installed wheel is tested in test_install_wheel.py.)"""

from __future__ import annotations

import zipfile
from pathlib import Path

from auditlib import resources
from auditlib.rubric import DEFAULT_RUBRIC_DIR, load_rubric
from auditlib.run import NOTEBOOK_DIR
from tests.conftest import REPO_ROOT


def test_a_checkout_uses_its_top_level_folders():
    assert resources.checkout_root() == REPO_ROOT
    assert DEFAULT_RUBRIC_DIR == resources.shipped_rubric_dir() == REPO_ROOT / "checklists"
    assert resources.shipped(resources.NOTEBOOKS) == REPO_ROOT / "notebooks"
    assert resources.data_dir() == REPO_ROOT / "auditlib" / "data"
    assert (resources.data_dir() / "demo-answers.yaml").is_file()


def test_env_overrides(tmp_path, monkeypatch):
    monkeypatch.delenv("AUDITLIB_RUBRIC", raising=False)
    monkeypatch.delenv("AUDITLIB_NOTEBOOKS", raising=False)
    assert resources.rubric_dir() == DEFAULT_RUBRIC_DIR
    assert resources.notebook_dir() == REPO_ROOT / "notebooks" == NOTEBOOK_DIR
    monkeypatch.setenv("AUDITLIB_RUBRIC", str(tmp_path / "rubric"))
    monkeypatch.setenv("AUDITLIB_NOTEBOOKS", str(tmp_path / "nb"))
    assert resources.rubric_dir() == tmp_path / "rubric"
    assert resources.notebook_dir() == tmp_path / "nb"
    monkeypatch.setenv("AUDITLIB_RUBRIC", "")  # empty: the shipped one
    assert load_rubric().directory == DEFAULT_RUBRIC_DIR


def test_a_zipped_package_is_extracted_once(tmp_path):
    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("auditlib/_bundled/checklists/meta.yaml", "version: x\n")
        z.writestr("auditlib/_bundled/checklists/sub/a.txt", "a")
    folder = zipfile.Path(archive, "auditlib/_bundled/checklists/")
    path = resources._on_disk(folder)
    assert isinstance(path, Path) and path.name == "checklists"
    assert (path / "meta.yaml").read_text() == "version: x\n" and (path / "sub" / "a.txt").read_text() == "a"
    assert resources._on_disk(zipfile.Path(archive, "auditlib/_bundled/checklists/")) == path
    assert resources._on_disk(tmp_path) is tmp_path  # a folder on disk is itself
