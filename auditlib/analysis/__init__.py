"""The analysis engine (issue 8): one intermediate representation for Python and JS/TS, a
repository-wide resolver, model knowledge as data (checklists/models.yaml), and checks written once.

- ``ir``: the language-neutral shape (modules, scopes, calls with their control context, values);
- ``front_py`` / ``front_js``: the two front ends (Python ``ast``, tree-sitter);
- ``resolve``: what each expression may be, across functions and modules (``Repo``);
- ``query``: the value-query API the checks use (``Query``: where a value comes from, which model
  call a call is, what a call's options are);
- ``engine``: loads a FileSet into a ``Repo``, builds the CodeFacts the probes read and runs the
  registered checks (``checks/``) into ``CodeFacts.rule_hits``.

The audited code is parsed, never run.
"""

from __future__ import annotations

from .engine import analyse

__all__ = ["analyse"]
