"""The analysis engine's knowledge files follow AUDITLIB_RUBRIC: a consultancy adds an SDK in its own
copy of checklists/models.yaml, without Python."""

from __future__ import annotations

import shutil
from pathlib import Path

from auditlib.analysis import analyse
from auditlib.collect.files import list_files
from auditlib.rubric import DEFAULT_RUBRIC_DIR, knowledge_file, load_rubric

IN_HOUSE = """
from acme_llm import AcmeClient

client = AcmeClient()

def answer(q):
    return client.talk(prompt=q)
"""


def test_an_sdk_added_in_a_rubric_copy_is_found(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "target"
    target.mkdir()
    (target / "app.py").write_text(IN_HOUSE)
    assert analyse(list_files(target)).llm_calls == []  # unknown to the shipped table

    rubric = tmp_path / "rubric"
    shutil.copytree(DEFAULT_RUBRIC_DIR, rubric)
    models = (rubric / "models.yaml").read_text(encoding="utf-8")
    models = models.replace("\nkinds:\n", "\nkinds:\n  acme.client:\n    calls:\n      talk: chat\n", 1)
    models = models.replace("\nconstructors:\n", "\nconstructors:\n  - {match: '^acme_llm\\.AcmeClient$', kind: acme.client}\n", 1)
    (rubric / "models.yaml").write_text(models, encoding="utf-8")
    monkeypatch.setenv("AUDITLIB_RUBRIC", str(rubric))
    assert knowledge_file("models.yaml") == rubric / "models.yaml"
    load_rubric()  # the copy is still a valid rubric

    (site,) = analyse(list_files(target)).llm_calls
    assert (site.api, site.line, site.kind) == ("client.talk", 7, "chat")


def test_a_rubric_folder_without_knowledge_files_uses_the_shipped_ones(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("AUDITLIB_RUBRIC", str(tmp_path))
    assert knowledge_file("web.yaml") == DEFAULT_RUBRIC_DIR / "web.yaml"
