"""Checks: registered functions that decide rules of checklists/rules.yaml, over the engine's IR.

A check is written once for every language the IR covers::

    @check("http.call_without_timeout", on="call")
    def http_call_without_timeout(call: Call, q: Query) -> Iterable[RuleHit] | RuleHit | None: ...

``on`` says what the engine hands it:

- ``"call"``: each call site of the repository (``Call``; ``call.scope.module`` is its file);
- ``"module"``: each parsed source module (``Module``);
- ``"file"``: each text file the check asks for by name (``files=`` a regex over the path:
  Dockerfiles, Procfiles, compose files, .env files), as ``(path, text, q)``.

A call check that can only match some callee names says so with ``names=`` (a function of the
analysis's Query returning them, called once per analysis:
``names=lambda q: knowledge().connection_words``); the engine then looks those calls up in a
per-module index instead of calling the check on every call site (most calls of a repository are no
business of most checks, and a 3,000-file repository has about 100,000).

A rule has at most one check per target: ``deployment.debug_enabled`` has a ``module`` check for the
code and a ``file`` check for deploy files. ``languages=`` says what the check covers (default: python
and js for code, config for files); the fixture harness asks for fixtures of each. ``q.files`` is the
target's FileSet when the engine was given one (a check may weigh other files: a production server
command in a Procfile).

The rule's severity, category, phase and remediation live in checklists/rules.yaml, with no probe
of its own: the engine's hits become findings through ``auditlib.probes.engine_probe``. Good and bad
fixtures for each language live in tests/rules/<rule id>/ (see README, "Adding a check").
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

LANGUAGES = {"call": ("python", "js"), "module": ("python", "js"), "file": ("config",)}
"""What a check covers unless it says otherwise (``languages=``): the Python and JS/TS IR for calls and
modules, the files it names for ``on="file"``. tests/test_rules_fixtures.py asks for a good and a bad
fixture of each."""


@dataclass(frozen=True)
class Check:
    rule: str
    on: str
    fn: Callable[..., Any]
    files: re.Pattern[str] | None = None
    roles: frozenset[str] = frozenset({"app", "script", "config", "other", "migration"})
    """File roles the check looks at (auditlib.collect.roles); tests, evaluations, docs, vendored and
    generated code are left out by default."""
    languages: tuple[str, ...] = ()
    """``python``, ``js`` (JS and TS) and ``config`` (the non-source files of an ``on="file"`` check)."""
    names: Callable[[Any], Iterable[str]] | None = None
    """A call check's prefilter: the callee last names it can match (``requests.post`` -> ``post``),
    asked once per analysis (``names(q)``). The engine hands it only those calls, found through a
    per-module index, instead of every call site of the repository (None: every call)."""


CHECKS: dict[str, tuple[Check, ...]] = {}
"""Rule id -> its checks: at most one per target, so a rule can look at code (``call`` or ``module``)
and at deploy files (``file``) alike."""


def check(rule: str, *, on: str = "call", files: str | None = None,
          roles: frozenset[str] | set[str] | None = None,
          languages: tuple[str, ...] | None = None,
          names: Callable[[Any], Iterable[str]] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``fn`` as the check of ``rule`` over ``on`` (one check per rule and target); ``names``
    (``on="call"`` only) says which callee last names it can match at all."""
    if on not in {"call", "module", "file"}:
        raise ValueError(f"check {rule}: unknown target {on!r}")
    if on == "file" and not files:
        raise ValueError(f"check {rule}: on='file' needs files=")
    if names is not None and on != "call":
        raise ValueError(f"check {rule}: names= is a prefilter of call checks")
    langs = tuple(languages) if languages is not None else LANGUAGES[on]
    if not langs or set(langs) - {"python", "js", "config"}:
        raise ValueError(f"check {rule}: languages must be among python, js, config")

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if any(c.on == on for c in CHECKS.get(rule, ())):
            raise ValueError(f"check {rule} registered twice on {on!r}")
        CHECKS[rule] = CHECKS.get(rule, ()) + (Check(rule, on, fn, re.compile(files) if files else None,
                                                     frozenset(roles) if roles is not None else Check.roles,
                                                     langs, names),)
        return fn

    return register


def load_all() -> dict[str, tuple[Check, ...]]:
    """Import every module of this package (their @check registrations) and return the registry."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return CHECKS
