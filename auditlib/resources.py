"""Where auditlib's own files are: the rubric, the notebooks and the package data. Ask here, nowhere else.

The rubric (``checklists/``) and the notebooks (``notebooks/``) sit at the top level of the repository
(the layout is part of the product card). They are found

- in a source checkout (``pip install -e .``, as ``make setup`` does, or the repository on
  ``sys.path``): the checkout's own top-level folders, so that editing them takes effect at once;
- in an installed wheel (``pip install .``, a wheel, ``pipx install``): inside the package, where the
  build puts them (``auditlib/_bundled/checklists`` and ``auditlib/_bundled/notebooks``, see
  ``force-include`` in pyproject.toml), through :mod:`importlib.resources`.

``AUDITLIB_RUBRIC`` and ``AUDITLIB_NOTEBOOKS`` point to other folders (:func:`rubric_dir`,
:func:`notebook_dir`); the shipped ones stay available (:func:`shipped_rubric_dir`) for the files a
custom rubric folder leaves out.

A package imported from a zip archive has no folders on disk: its resources are then copied once into
a private temp folder, removed at exit (Python 3.11's ``as_file`` cannot extract a folder).
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from importlib import resources as importlib_resources
from importlib.resources.abc import Traversable
from pathlib import Path

PACKAGE = "auditlib"
BUNDLED = "_bundled"
"""The package folder that holds the top-level folders in a built wheel (pyproject.toml)."""
RUBRIC = "checklists"
NOTEBOOKS = "notebooks"
DATA = "data"
"""Package data proper (auditlib/data/: the demo's advisories and answers), in the package in both cases."""

_HERE = Path(__file__).resolve().parent


@functools.lru_cache(maxsize=1)
def checkout_root() -> Path | None:
    """The repository root when auditlib runs from a source checkout (editable install), else None.

    A checkout is recognised by the ``pyproject.toml`` of the project ``auditlib`` beside the package
    folder: an installed copy (``.../site-packages/auditlib``) has none.
    """
    root = _HERE.parent
    try:
        text = (root / "pyproject.toml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return root if 'name = "auditlib"' in text else None


def shipped(name: str) -> Path:
    """A folder shipped with auditlib (``checklists``, ``notebooks``): the checkout's top-level one in a
    checkout, else the copy inside the installed package. The path is returned even when it does not
    exist, so that the caller's error names where it looked."""
    root = checkout_root()
    if root is not None and (root / name).is_dir():
        return root / name
    return _on_disk(importlib_resources.files(PACKAGE).joinpath(BUNDLED, name))


def shipped_rubric_dir() -> Path:
    """The rubric shipped with auditlib (the repository's checklists/)."""
    return shipped(RUBRIC)


def rubric_dir() -> Path:
    """The rubric in use: ``AUDITLIB_RUBRIC`` when set (read at each call), else the shipped one."""
    return Path(os.environ.get("AUDITLIB_RUBRIC") or shipped_rubric_dir())


def notebook_dir() -> Path:
    """The notebooks (workbook, report, portfolio): ``AUDITLIB_NOTEBOOKS`` when set, else the shipped ones."""
    return Path(os.environ.get("AUDITLIB_NOTEBOOKS") or shipped(NOTEBOOKS))


def data_dir() -> Path:
    """auditlib/data/: the demo's OSV advisories (CC-BY 4.0) and its sample answers file."""
    return _on_disk(importlib_resources.files(PACKAGE).joinpath(DATA))


def _on_disk(resource: Traversable) -> Path:
    """A package resource as a path on disk: itself when the package is a folder (the usual case)."""
    if isinstance(resource, Path):
        return resource
    key = str(resource)
    if key not in _EXTRACTED:
        _EXTRACTED[key] = _extract(resource)
    return _EXTRACTED[key]


_EXTRACTED: dict[str, Path] = {}


def _extract(resource: Traversable) -> Path:
    """Copy a resource of a zipped package into a private temp folder (once per process, see _on_disk)."""
    base = Path(tempfile.mkdtemp(prefix="auditlib-resources-"))  # 0700
    atexit.register(shutil.rmtree, base, ignore_errors=True)
    dest = base / resource.name
    if resource.is_dir():
        _copy_tree(resource, dest)
    elif resource.is_file():
        dest.write_bytes(resource.read_bytes())
    return dest


def _copy_tree(source: Traversable, dest: Path) -> None:
    dest.mkdir()
    for child in source.iterdir():
        if child.is_dir():
            _copy_tree(child, dest / child.name)
        else:
            (dest / child.name).write_bytes(child.read_bytes())
