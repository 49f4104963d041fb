"""auditlib's Jupyter server extension: any JupyterLab of an environment where auditlib is installed
saves a workbook's forms as their "run the workbook" placeholder (issue 12, section 2).

A form's widget view refers to a model that lives only in the kernel that drew it. Saved as is, a
reloaded page, a second tab or a restarted server shows "Error displaying widget: model not found" in
every form's place. ``auditlib open`` sets the save hook on its own server; this extension registers the
same hook on a plain ``jupyter lab`` (or ``jupyter notebook``) started in the environment, enabled by
``etc/jupyter/jupyter_server_config.d/auditlib.json``, which the wheel installs (pyproject.toml,
``shared-data``). The hook touches only the outputs auditlib's forms made (those carrying the
placeholder as their text/html), so other notebooks' widgets are saved as before.
"""

from __future__ import annotations

from typing import Any


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "auditlib.jupyter_ext"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:  # jupyter_server's ServerApp
    from .workbook import strip_live_forms

    serverapp.contents_manager.register_pre_save_hook(strip_live_forms)
    serverapp.log.info("auditlib: workbook forms are saved as their 'run the workbook' placeholder")
