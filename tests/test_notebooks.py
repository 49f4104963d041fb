"""The committed notebooks: clean (no outputs), thin (no logic), parameterised."""

import json
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
REQUIRED_PARAMETERS = {"workbook.ipynb": {"target", "out_dir", "client", "auditor", "answers", "offline", "vuln_db"},
                       "report.ipynb": {"results"}, "portfolio.ipynb": {"folder", "since"},
                       "present.ipynb": {"audit"}}


def test_the_workbook_and_the_report_exist():
    assert {p.name for p in NOTEBOOKS} >= set(REQUIRED_PARAMETERS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_no_outputs_or_execution_counts(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c.get("outputs") or c.get("execution_count")]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_and_thin(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert "def " not in cell.source and "class " not in cell.source, "logic belongs in auditlib/"
            assert len(cell.source.splitlines()) <= 10, "notebook cells stay short"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_declares_the_documented_names(path):
    nb = nbformat.read(str(path), as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = {line.split(":")[0].strip() for line in tagged[0].source.splitlines() if ":" in line}
    assert REQUIRED_PARAMETERS[path.name] <= names
    for line in tagged[0].source.splitlines():
        assert "#" in line, f"parameter without a help comment: {line}"
