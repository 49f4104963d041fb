"""The engine's entry point: a FileSet in, CodeFacts out.

One pass parses every Python and JS/TS file once into the IR (``front_py``, ``front_js``), the
resolver links the modules (``resolve.Repo``), and then:

- the fact builders fill the CodeFacts fields the probes and the report read: model call sites with
  their safeguards (``llm``), what the code does with prompts, responses and keys (``uses``), web
  endpoints and their authentication (``web``), SQL built from strings (``sql``), and the per-file
  layers, logging counts, imports and SDKs (``layers``);
- every registered check (``checks/``) runs over the calls, modules or files it asks for, and its
  hits go to ``CodeFacts.rule_hits``. On a large repository, where forking is safe
  (``worker.can_fork``: ``auditlib scan``), the checks run in a forked child, which inherits the IR
  at no cost, while this process traces model output (``uses``): the two longest parts of the
  analysis on both cores.

Nothing of the target is run.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..collect.files import FileSet, RepoFile
from ..collect.roles import file_role, is_project_path
from ..models import CodeFacts, RuleHit
from . import layers, llm, quota, scope, sql, tables, uses, web
from .checks import Check, load_all
from .ir import Call
from .query import Query
from .resolve import Knowledge, Repo, is_source

if TYPE_CHECKING:
    from ..worker import ForkJob

Progress = Callable[[str], None] | None
MAX_RULE_HITS = 2_000
"""Hits kept per rule (a generated or hostile repository can hold thousands of the same)."""


OnParsed = Callable[[str, str, object], None] | None

PARALLEL_CHECKS_MIN_MODULES = 400
"""From this many parsed files on, the checks may run in a forked child (see ``_facts``); below it a
fork costs more than it gives."""


def load(files: FileSet, *, progress: Progress = None, knowledge: Knowledge | None = None,
         on_parsed: OnParsed = None) -> tuple[Repo, list[str]]:
    """The resolver over every source file of ``files``, and one line per file not parsed."""
    repo = Repo(files.root, knowledge)
    errors = repo.load_files(files, progress, on_parsed)
    return repo, errors


def analyse(files: FileSet, *, progress: Progress = None, knowledge: Knowledge | None = None,
            on_parsed: OnParsed = None, release: bool = True, parallel: bool = False) -> CodeFacts:
    """Parse the target's Python and JS/TS files (never running them) and report what they show.

    ``on_parsed(path, text, module)`` sees each parsed file with its parse tree in ``module.syntax``
    (the complexity collector's hook: one parse per file for both).

    Python's cyclic garbage collector is paused while the IR exists: the IR is millions of small
    objects linked both ways (scopes and their module), all alive until the end, so every full
    collection would walk all of them for nothing (measured: a fifth of the engine's time on 3,000
    files). When the analysis returns, the IR's cycles are broken (``Repo.release``) so that reference
    counting frees it, and one collection picks up what is left.

    ``release=False`` (a process that exits right after the audit: ``auditlib scan``): the IR is not
    freed but moved out of the collector's sight (``gc.freeze``), for the exit to reclaim at once.
    ``parallel``: the checks of a large repository may run in a forked child (see ``_facts``)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _analyse(files, progress=progress, knowledge=knowledge, on_parsed=on_parsed, release=release,
                        parallel=parallel)
    finally:
        if was_enabled:
            gc.enable()
        if release:
            gc.collect()
        else:
            gc.freeze()


def _analyse(files: FileSet, *, progress: Progress, knowledge: Knowledge | None, on_parsed: OnParsed,
             release: bool = True, parallel: bool = False) -> CodeFacts:
    tables.refresh()
    sources = [f for f in files.files if is_source(f.path)]
    if not sources:
        return CodeFacts(available=False, reason="no Python or JavaScript/TypeScript files")
    if progress:
        progress(f"code: parsing {len(sources)} {_kind_of_files(sources)}")
    try:
        repo, errors = load(files, progress=progress, knowledge=knowledge, on_parsed=on_parsed)
    except ImportError as exc:  # a missing tree-sitter grammar wheel: say so, analyse nothing
        return CodeFacts(available=False, reason=f"parsers unavailable: {exc}")
    parsed = [m for m in repo.modules.values() if not m.error]
    if not parsed:
        return CodeFacts(available=False, reason=f"no source file could be parsed ({len(errors)} tried)",
                         parse_errors=errors)
    try:
        return _facts(repo, files, sources, errors, progress, parallel=parallel)
    finally:
        if release:
            repo.release()


def _facts(repo: Repo, files: FileSet, sources: list[RepoFile], errors: list[str], progress: Progress,
           parallel: bool = False) -> CodeFacts:
    parsed = [m for m in repo.modules.values() if not m.error]
    q = Query(repo)
    calls = llm.call_sites(q)
    # a test folder's sample app (fixtures of the rule tests) serves nobody: the project's endpoints only
    endpoints = [e for e in web.endpoints(q) if is_project_path(e.path)]
    sql_sites = sql.sql_sites(q)
    summary = layers.summarise(q, calls=calls, endpoints=endpoints, sql_sites=sql_sites)
    # forked here, after the model calls, endpoints and SQL sites are known: the child inherits them
    checks = _fork_checks(q, files) if parallel and len(parsed) >= PARALLEL_CHECKS_MIN_MODULES else None
    model_uses = sorted(uses.llm_uses(q, calls), key=lambda u: (u.path, u.line, u.kind))
    roles, quota_checks, binds = scope.file_roles(q, endpoints), quota.quota_checks(q), web.public_binds(q)
    facts = CodeFacts(
        available=True,
        reason=f"{len(errors)} of {len(sources)} {_kind_of_files(sources)} not parsed" if errors else None,
        files_parsed=len(parsed),
        parse_errors=sorted(errors),
        llm_calls=sorted(calls, key=lambda s: (s.path, s.line, s.api)),
        llm_sdks=summary.sdks,
        sql_sites=sorted(sql_sites, key=lambda s: (s.path, s.line)),
        endpoints=sorted(endpoints, key=lambda e: (e.path, e.line, e.route or "")),
        mixed_files=summary.mixed_files,
        print_calls=summary.prints,
        logging_calls=summary.logs,
        imports=summary.imports,
        llm_uses=model_uses,
        rule_hits=_checks_result(checks, q, files, progress),
        file_roles=roles,
        quota_checks=quota_checks,
        public_binds=binds,
    )
    if progress:
        progress(f"code: {len(facts.llm_calls)} model calls, {len(facts.sql_sites)} SQL sites, "
                 f"{len(facts.endpoints)} endpoints in {facts.files_parsed} files")
    return facts


def _fork_checks(q: Query, files: FileSet) -> ForkJob | None:
    """``run_checks`` in a forked child, or None where forking is not safe or refused (``worker.fork_call``)."""
    from ..worker import fork_call

    return fork_call(lambda: run_checks(q, files))


def _checks_result(checks: ForkJob | None, q: Query, files: FileSet, progress: Progress) -> list[RuleHit]:
    """The forked checks' hits; when the child failed, the checks run again here (nothing lost)."""
    if checks is not None:
        try:
            hits: list[RuleHit] = checks.result()
            return hits
        except Exception as exc:  # noqa: BLE001 - the child died: run the checks in this process
            if progress:
                progress(f"code: the checks' second process failed ({exc}); running them here")
    return run_checks(q, files)


def _kind_of_files(sources: list[RepoFile]) -> str:
    """"Python files", "JavaScript/TypeScript files", or "source files" for both (progress and reasons)."""
    python = sum(1 for f in sources if f.suffix == ".py")
    return "Python files" if python == len(sources) else "JavaScript/TypeScript files" if not python \
        else "source files"




def run_checks(q: Query, files: FileSet | None = None, rules: Iterable[str] | None = None) -> list[RuleHit]:
    """Every registered check (or those of ``rules``) over the repository; hits sorted by rule, path, line."""
    registry = load_all()
    wanted = set(rules) if rules is not None else None
    out: list[RuleHit] = []
    if files is not None and q.files is None:
        q.files = files  # checks that weigh deploy files (a production server command) read them here
    for rule, chks in sorted(registry.items()):
        if wanted is not None and rule not in wanted:
            continue
        got: list[RuleHit] = []
        for chk in chks:
            for hit in _run(chk, q, files):
                if len(got) >= MAX_RULE_HITS:
                    break
                got.append(hit)
        out += got
    out.sort(key=lambda h: (h.rule, h.path or "", h.line or 0))
    return out


def _as_hits(result: RuleHit | Iterable[RuleHit] | None) -> Iterable[RuleHit]:
    if result is None:
        return ()
    if isinstance(result, RuleHit):
        return (result,)
    return result


def _run(chk: Check, q: Query, files: FileSet | None) -> Iterable[RuleHit]:
    fn = chk.fn
    if chk.on == "call":  # the hot loop: every call site for every call check (no generator per call)
        wanted = frozenset(chk.names(q)) if chk.names is not None else None
        for path in sorted(q.repo.modules):
            if file_role(path) not in chk.roles:
                continue
            mod = q.repo.modules[path]
            calls: Iterable[Call] = mod.calls
            if wanted is not None:  # only the calls of the names the check can match (a per-module index)
                names, present = q.call_names(mod)
                if wanted.isdisjoint(present):
                    continue
                calls = [c for c, n in zip(mod.calls, names, strict=True) if n in wanted]
            for call in calls:
                got = fn(call, q)
                if got is None:
                    continue
                if isinstance(got, RuleHit):
                    yield got
                else:
                    yield from got
    elif chk.on == "module":
        for path in sorted(q.repo.modules):
            mod = q.repo.modules[path]
            if not mod.error and file_role(path) in chk.roles:
                yield from _as_hits(fn(mod, q))
    elif chk.on == "file" and files is not None:
        assert chk.files is not None
        for f in files.files:
            if chk.files.search(f.path) and file_role(f.path) in chk.roles | {"config"}:
                text = files.read_text(f)
                if text is not None:
                    yield from _as_hits(chk.fn(f.path, text, q))


def rule_of(rule: str) -> tuple[Check, ...]:
    """The registered checks of ``rule`` (none when the rule has a probe of its own)."""
    return load_all().get(rule, ())

