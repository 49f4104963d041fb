"""Accepted findings (issue 12): a finding accepted with a written reason leaves the score but stays listed.

Two places may accept a finding, each entry with a required ``reason:``:

- the audited repository's own ``.auditlib.yaml`` (``accept:``), in the spirit of ``.gitleaksignore``
  or a detect-secrets baseline. It is hostile input: read as data (YAML ``safe_load``, at most
  MAX_CONFIG_BYTES, MAX_ACCEPT_ENTRIES entries, aliases bounded), never executed; a bad entry is
  refused with one line (``problems``) and the audit carries on. The auditor may refuse the
  repository's acceptances altogether (``accept_repository: false`` in the answers file);
- the auditor's answers file (``accept:``), where a bad entry is an error of the answers file.

File format (both places)::

    accept:
      - fingerprint: fp-1a2b3c4d5e6f7a8b      # the finding's fingerprint, as results.json shows it
        reason: Fake key planted for the detector tests; never a live credential.
      - rule: secret.committed_credential     # or a family: secret.*
        path: tests/corpus.py                 # optional; a glob (* within a folder, ** across folders)
        line: 35                              # optional
        reason: ...
        by: Security team                     # optional
        until: 2027-06-30                     # optional: the acceptance expires after this date

How it is applied (``apply_acceptances``, called by auditlib.audit.evaluate after the probes): each
finding gets its fingerprint (auditlib.fingerprint, the one the re-audit comparison pairs findings
with) and, when an entry names it, ``accepted`` (reason, by, source). The auditor's entries come
first. Accepted findings stay in results.json and the report's appendix; the scorecard, the
checklist's pre-answers, the severity counts and the decision read the other findings only, and the
metrics are measured without the evidence behind accepted findings (``scoring_facts``: an accepted
committed key no longer counts as a live credential). Every entry is reported with what became of
it (``AcceptanceRecord``): applied, expired, unmatched (names no finding of this audit), refused or
ignored.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError

from .answers import (
    _expanded_size,  # the same alias-expansion bound as the answers file
)
from .fingerprint import fingerprint_id
from .models import Acceptance, AcceptEntry, Facts, Finding, RepoConfig, SecretHit
from .pathglob import path_matches

if TYPE_CHECKING:
    from .answers import Answers
    from .collect.files import FileSet
    from .rubric import Rubric

CONFIG_NAMES = (".auditlib.yaml", ".auditlib.yml")
"""The repository's own auditlib file, at its root (the first that exists)."""
MAX_CONFIG_BYTES = 256_000
"""A larger ``.auditlib.yaml`` is not read (one is a few kilobytes)."""
MAX_ACCEPT_ENTRIES = 1000
"""Entries of an ``accept:`` list read at most; the rest are reported as not read."""
MAX_CI_ENTRIES = 50
"""Declared CI entry points read at most."""
MAX_CONFIG_NODES = 50_000
"""Values in ``.auditlib.yaml`` once YAML aliases are expanded."""
REPOSITORY_FILE = CONFIG_NAMES[0]
ANSWERS_FILE = "answers"

Status = Literal["applied", "expired", "unmatched", "refused", "ignored"]


class AcceptanceRecord(BaseModel):
    """What became of one ``accept:`` entry in this audit (results.json ``acceptances``)."""

    source: Literal["repository", "auditor"]
    file: str
    """``.auditlib.yaml`` (its path in the repository) or ``answers``."""
    number: int | None = None
    """The entry's position (1-based) in the file's ``accept:`` list; None for a problem of the file."""
    status: Status
    """``applied``: it accepts the findings listed; ``expired``: its ``until`` date has passed, the findings
    count again; ``unmatched``: it names no finding of this audit (fixed, or out of date); ``refused``: the
    entry is malformed (``message`` says why); ``ignored``: a repository entry the auditor does not honour."""
    entry: AcceptEntry | None = None
    findings: list[str] = Field(default_factory=list)
    """Ids of the findings the entry names (accepted by it unless an earlier entry accepted them)."""
    message: str = ""


# ------------------------------------------------------------------------------------ the repository file
def entry_error(exc: ValidationError) -> str:
    """One line for a refused entry: the first problem pydantic found, in the file's words."""
    return describe_entry_error(exc.errors()[0])


def describe_entry_error(err: Any, skip: int = 0) -> str:
    """One line for one pydantic error of an ``accept:`` entry (``skip``: leading parts of its location
    that name the entry, as ``accept.0`` in the answers file)."""
    field = ".".join(str(p) for p in err.get("loc", ())[skip:])
    if err.get("type") == "missing" and field == "reason":
        return "no `reason:`: an accepted finding needs a written reason"
    if err.get("type") == "extra_forbidden":
        return f"unknown key `{field}` (keys: fingerprint, rule, path, line, reason, by, until)"
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    return f"`{field}`: {msg}" if field else msg


def parse_repo_config(text: str, path: str = REPOSITORY_FILE, files: Iterable[str] | None = None) -> RepoConfig:
    """The repository's ``.auditlib.yaml`` from its text; never raises on bad content: what is refused
    is listed in ``problems``. ``files`` (the repository's paths) checks that declared CI entry points exist."""
    problems: list[str] = []

    def bad(message: str) -> RepoConfig:
        return RepoConfig(path=path, problems=[message])

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return bad("not valid YAML: " + " ".join(str(exc).split())[:200])
    except RecursionError:
        return bad("not valid YAML: nested too deeply")
    if data is None:
        return RepoConfig(path=path)
    if not isinstance(data, dict):
        return bad("not a mapping (expected keys accept: and ci:)")
    if _expanded_size(data, MAX_CONFIG_NODES + 1) > MAX_CONFIG_NODES:
        return bad(f"more than {MAX_CONFIG_NODES} values once YAML aliases are expanded; not read")
    for key in data:
        if key not in ("accept", "ci"):
            problems.append(f"unknown key `{str(key)[:60]}` (keys: accept, ci); ignored")

    ci: list[str] = []
    raw_ci = data.get("ci")
    if raw_ci is not None:
        items = [raw_ci] if isinstance(raw_ci, str) else raw_ci
        if not isinstance(items, list):
            problems.append("`ci:` must be a path or a list of paths; ignored")
            items = []
        known = set(files) if files is not None else None
        for n, item in enumerate(items[:MAX_CI_ENTRIES], 1):
            if not isinstance(item, str) or not item.strip():
                problems.append(f"ci[{n}]: not a path; ignored")
                continue
            p = item.strip().removeprefix("./")
            if known is not None and p not in known:
                problems.append(f"ci[{n}]: {p[:200]} is not a file of the repository; ignored")
                continue
            if p not in ci:
                ci.append(p)
        if len(items) > MAX_CI_ENTRIES:
            problems.append(f"ci: only the first {MAX_CI_ENTRIES} entries were read")

    accept: list[AcceptEntry] = []
    numbers: list[int] = []
    raw = data.get("accept")
    if raw is not None and not isinstance(raw, list):
        problems.append("`accept:` must be a list of entries; ignored")
        raw = []
    for n, item in enumerate((raw or [])[:MAX_ACCEPT_ENTRIES], 1):
        if not isinstance(item, dict):
            problems.append(f"accept[{n}]: not a mapping (rule/fingerprint, reason...); refused")
            continue
        try:
            accept.append(AcceptEntry.model_validate(item))
            numbers.append(n)
        except ValidationError as exc:
            problems.append(f"accept[{n}]: {entry_error(exc)}; refused")
    if raw and len(raw) > MAX_ACCEPT_ENTRIES:
        problems.append(f"accept: only the first {MAX_ACCEPT_ENTRIES} entries were read")
    return RepoConfig(path=path, ci=ci, accept=accept, numbers=numbers, problems=problems)


def read_repo_config(files: FileSet) -> RepoConfig | None:
    """The target's ``.auditlib.yaml`` (a tracked file at its root; a symlink, a binary or an oversize
    file is refused with a problem line), or None when it has none."""
    by_path = {f.path: f for f in files.files}
    for name in CONFIG_NAMES:
        f = by_path.get(name)
        if f is None:
            if name in files.skipped:
                return RepoConfig(path=name, problems=[f"not read: {files.skipped[name]}"])
            continue
        if f.size > MAX_CONFIG_BYTES:
            why = f"{f.size} bytes, over the {MAX_CONFIG_BYTES // 1000} kB a {name} may have; not read"
            return RepoConfig(path=name, problems=[why])
        text = files.read_text(f)
        if text is None:
            return RepoConfig(path=name, problems=["not read: binary or unreadable"])
        return parse_repo_config(text, name, by_path)
    return None


# ---------------------------------------------------------------------------------------------- matching
def entry_matches(entry: AcceptEntry, f: Finding) -> bool:
    """Whether ``entry`` names finding ``f`` (its fingerprint, or its rule with the optional path and line)."""
    if entry.fingerprint and f.fingerprint != entry.fingerprint:
        return False
    if entry.rule and not fnmatch.fnmatchcase(f.rule, entry.rule):
        return False
    if entry.path:
        if not f.path or not path_matches(entry.path, f.path):
            return False
        if entry.line is not None and f.line != entry.line:
            return False
    return True


def unknown_rule(entry: AcceptEntry, rubric: Rubric) -> bool:
    """The entry names a rule (or family) that no rule of the rubric matches."""
    return bool(entry.rule and not rubric.matching_rules([entry.rule]))


def apply_acceptances(findings: list[Finding], facts: Facts, rubric: Rubric, answers: Answers | None,
                      today: _dt.date | None = None) -> tuple[list[Finding], list[AcceptanceRecord]]:
    """Every finding with its fingerprint and, when an entry accepts it, ``accepted``; and what became
    of each entry. Pure: reads the findings, the repository's ``.auditlib.yaml`` (from ``facts``) and
    the answers."""
    today = today or _dt.datetime.now(_dt.UTC).date()
    out = [f if f.fingerprint else f.model_copy(update={"fingerprint": fingerprint_id(f)}) for f in findings]
    records: list[AcceptanceRecord] = []
    entries: list[tuple[Literal["repository", "auditor"], str, int, AcceptEntry]] = []
    for n, e in enumerate(getattr(answers, "accept", []) or [], 1):
        entries.append(("auditor", ANSWERS_FILE, n, e))
    config = facts.practices.config
    honour = getattr(answers, "accept_repository", True)
    if config is not None:
        entries += [("repository", config.path, n, e) for n, e in zip(config.numbers, config.accept, strict=False)]
    accepted: dict[int, Acceptance] = {}
    for source, file, number, entry in entries:
        if source == "auditor" and not entry.by and answers is not None and answers.auditor:
            entry = entry.model_copy(update={"by": answers.auditor})
        rec = AcceptanceRecord(source=source, file=file, number=number, status="applied", entry=entry)
        records.append(rec)
        if unknown_rule(entry, rubric):
            rec.status, rec.message = "refused", f"`rule: {entry.rule}` matches no rule of the rubric"
            continue
        hits = [i for i, f in enumerate(out) if entry_matches(entry, f)]
        rec.findings = [out[i].id for i in hits]
        if source == "repository" and not honour:
            rec.status = "ignored"
            rec.message = "the auditor does not honour the repository's acceptances (accept_repository: false)"
            continue
        if entry.until is not None and entry.until < today:
            rec.status = "expired"
            rec.message = (f"expired on {entry.until.isoformat()}: "
                           + (f"{len(hits)} finding(s) count again" if hits else "it names no finding of this audit"))
            continue
        if not hits:
            rec.status = "unmatched"
            rec.message = "names no finding of this audit (fixed, or the entry is out of date)"
            continue
        for i in hits:
            accepted.setdefault(i, Acceptance(reason=entry.reason, by=entry.by, source=source, file=file,
                                              entry=number, until=entry.until.isoformat() if entry.until else None))
        rec.message = f"accepts {len(hits)} finding(s)"
    if config is not None:
        records += [AcceptanceRecord(source="repository", file=config.path, number=_number(p), status="refused",
                                     message=p) for p in config.problems]
    out = [f.model_copy(update={"accepted": accepted[i]}) if i in accepted else f for i, f in enumerate(out)]
    return out, records


def _number(problem: str) -> int | None:
    """The entry number of an ``accept[N]: ...`` problem line."""
    if problem.startswith("accept["):
        head = problem[7:problem.find("]")]
        return int(head) if head.isdigit() else None
    return None


def active(findings: Iterable[Finding]) -> list[Finding]:
    """The findings that are not accepted: those the score, counts and decision read."""
    return [f for f in findings if f.accepted is None]


# ------------------------------------------------------------------------------------------ scoring facts
_TREE_SECRET_RULES = ("secret.committed_credential", "secret.generic_high_entropy")


def scoring_facts(facts: Facts, findings: list[Finding]) -> Facts:
    """``facts`` without the evidence behind accepted findings, for the metrics: the secret of an
    accepted secret finding, an accepted committed env file, SQL site, request-data-in-prompt call,
    unauthenticated endpoint or mixed-layer file. The facts of results.json stay complete."""
    acc: dict[str, set[Any]] = defaultdict(set)
    for f in findings:
        if f.accepted is not None:
            acc[f.rule].add((f.path, f.line, f.commit))
    if not acc:
        return facts
    tree = set().union(*(acc.get(r, set()) for r in _TREE_SECRET_RULES))
    history = acc.get("secret.in_history", set())

    def kept(h: SecretHit) -> bool:
        if h.in_tree:
            return (h.path, h.line, None) not in tree
        return (h.path, h.line, h.commit) not in history

    s = facts.secrets
    env = {p for p, _, _ in acc.get("secret.env_file_committed", set())}
    secrets = s.model_copy(update={"hits": [h for h in s.hits if kept(h)],
                                   "env_files": [p for p in s.env_files if p not in env]})
    c = facts.code
    sql = {(p, ln) for p, ln, _ in acc.get("architecture.sql_string_building", set())}
    prompt = {(p, ln) for p, ln, _ in acc.get("llm.user_input_in_prompt", set())}
    open_eps = {(p, ln) for p, ln, _ in acc.get("architecture.endpoint_without_auth", set())}
    mixed = {p for p, _, _ in acc.get("architecture.mixed_layers", set())}
    code = c.model_copy(update={
        "sql_sites": [x for x in c.sql_sites if (x.path, x.line) not in sql],
        "llm_calls": [x.model_copy(update={"user_input_in_prompt": False}) if (x.path, x.line) in prompt else x
                      for x in c.llm_calls],
        "endpoints": [x for x in c.endpoints if (x.path, x.line) not in open_eps],
        "mixed_files": [x for x in c.mixed_files if x.path not in mixed],
    })
    return facts.model_copy(update={"secrets": secrets, "code": code})
