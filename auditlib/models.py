"""Typed, frozen records that flow through the audit: facts -> findings -> scorecard/decision -> results.

Collectors return facts (never judgments); probes turn facts into findings; scoring and the decision
are pure functions of findings, facts, rubric and answers. Every model here serialises to the
``auditlib.results/1`` JSON contract documented in the README.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
Effort = Literal["S", "M", "L"]
Confidence = Literal["high", "medium", "low"]
CONFIDENCES: tuple[str, ...] = ("high", "medium", "low")
"""How sure a finding is, from how it was established: ``high`` when the evidence proves it (a
provider-format key, a value followed from the request into SQL text), ``medium`` for a pattern that
is usually right, ``low`` for a heuristic. Only high-confidence findings may cap a category."""


class Frozen(BaseModel):
    """Base for all records: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Availability(Frozen):
    """Whether a collector could measure at all; a collector that cannot says why, never returns zero."""

    available: bool = True
    reason: str | None = None
    """Why the collector could not run (or ran only in part)."""
    limits: list[str] = Field(default_factory=list)
    """What this collector skipped, capped or clamped on hostile or damaged input (one sentence each);
    the report's appendix lists them, so a bounded audit never passes for a complete one."""


# ----------------------------------------------------------------------------------------- inventory
class LanguageStats(Frozen):
    files: int
    lines: int


class VendoredDir(Frozen):
    """A committed folder of vendored dependencies or generated files, skipped by every collector (issue 3)."""

    path: str
    files: int
    """Tracked files inside it."""
    kind: Literal["dependencies", "generated"]
    """``dependencies``: third-party packages (node_modules, a virtualenv, vendor/); ``generated``:
    build output and caches (dist/, __pycache__/, .next/...)."""


class LargeFile(Frozen):
    """A file too large to read, listed with its size (issue 3)."""

    path: str
    size: int
    """Size in bytes."""


class InventoryFacts(Availability):
    files: int = 0
    """Regular files considered (tracked files in a git repository)."""
    code_files: int = 0
    code_lines: int = 0
    """Non-blank lines in source-code files."""
    languages: dict[str, LanguageStats] = Field(default_factory=dict)
    skipped: int = 0
    """Files passed over (symlinks, vendored folders, binary or oversize)."""
    skipped_examples: list[str] = Field(default_factory=list)
    vendored_dirs: list[VendoredDir] = Field(default_factory=list)
    """Committed vendored or generated folders, most files first (issue 3)."""
    oversize: list[LargeFile] = Field(default_factory=list)
    """Files over ``oversize_limit`` bytes, not read by any collector; largest first, at most 50."""
    oversize_limit: int = 2_000_000
    roles: dict[str, int] = Field(default_factory=dict)
    """Files by role (app, script, test, evaluation, migration, config, docs, generated, vendored,
    other): one classification every collector and probe uses (auditlib.collect.roles)."""
    listed_from: Literal["index", "head", "walk"] = "index"
    """Where the file list came from: git's index (the tracked files); HEAD's tree, when the index is
    missing or unusable (``limits`` says why); a walk of the folder, when it is no git repository or
    git can give neither (then untracked files count too)."""


# -------------------------------------------------------------------------------------------- history
class AuthorStats(Frozen):
    name: str
    commits: int
    first_commit: str
    """ISO 8601 date of the author's first commit."""
    last_commit: str
    active_recently: bool
    """Committed within the activity window (90 days before the audit)."""
    lines_added: int = 0
    """Lines the author added, over all non-merge commits and all files (issue 3)."""
    lines_removed: int = 0
    owned_lines: int = 0
    """Lines the author changed (added + removed) in files that still exist, vendored folders and
    lockfiles left out: the ownership measure behind ``bus_factor`` and ``top_authors_active``."""
    ownership_share: float = 0.0
    """``owned_lines`` over all authors' owned lines (0 to 1)."""


class FileHistory(Frozen):
    """What the history shows about one file that exists at HEAD (renames followed) (issue 3)."""

    path: str
    """The file's path at HEAD."""
    commits: int = 0
    """Non-merge commits that changed the file (under any of its names)."""
    lines_added: int = 0
    lines_removed: int = 0
    churn: int = 0
    """``lines_added + lines_removed``."""
    binary_changes: int = 0
    """Commits that changed the file as binary (counted as changes with no lines)."""
    authors: int = 0
    """Distinct authors who changed the file."""
    author_shares: dict[str, float] = Field(default_factory=dict)
    """Author name -> share of the file's changed lines (by commits when no line changed, e.g. a
    binary file); the top five authors."""
    main_author: str | None = None
    main_author_share: float = 0.0
    """Knowledge concentration: the main author's share (1.0: one person wrote all of it)."""
    main_author_active: bool | None = None
    """Whether the main author committed (anywhere) within the activity window."""
    last_change: str | None = None
    """ISO 8601 date (UTC) of the last commit that changed the file."""
    previous_paths: list[str] = Field(default_factory=list)
    """Earlier names of the file (renames followed), most recent first, at most five."""


class WeekActivity(Frozen):
    """Commits of one calendar week (Monday, UTC) of the history, for the timeline (issue 3)."""

    week: str
    """ISO date of the week's Monday."""
    commits: int
    by_author: dict[str, int] = Field(default_factory=dict)
    """Author name -> commits that week, for the most active authors; the rest under "(others)"."""


class HistoryFacts(Availability):
    head: str | None = None
    """Full sha of the audited commit."""
    branch: str | None = None
    commits: int = 0
    authors: list[AuthorStats] = Field(default_factory=list)
    first_commit: str | None = None
    last_commit: str | None = None
    shallow: bool = False
    """History is partial (a shallow clone): counts are lower bounds."""
    top_authors_active: bool | None = None
    """Whether the authors who own most of the code (``owners``: covering half of the changed lines of
    files that still exist) committed in the window; by commits when no line count is known."""
    activity_window_days: int = 90
    dirty: bool = False
    """The working tree has uncommitted changes to tracked files (evidence may not match HEAD)."""
    merge_commits: int = 0
    """Merge commits (counted in ``commits``; their diffs are not counted as changes)."""
    line_stats: bool = True
    """Per-file line counts were read (False in a partial clone, where they would fetch blobs)."""
    lines_added: int = 0
    lines_removed: int = 0
    files_changed: int = 0
    """Distinct files (renames followed) that any commit changed, deleted ones included."""
    files_owned: int = 0
    """Files that still exist and count for ownership (vendored folders and lockfiles left out)."""
    files: list[FileHistory] = Field(default_factory=list)
    """The ``files_owned`` files with the most churn, at most 200, most churn first."""
    bus_factor: int | None = None
    """Fewest authors who together changed at least half of the lines of the files that still exist
    (``owned_lines``); None without commits. 1 means one person holds most of the knowledge."""
    owners: list[str] = Field(default_factory=list)
    """Those authors (the bus-factor set), largest share first."""
    timeline: list[WeekActivity] = Field(default_factory=list)
    """Commits per week, oldest first; weeks without commits are left out."""
    history_days: int | None = None
    """Days from the first to the last commit."""
    prototype_mode: bool = False
    """A single author or a short history: a fact about the project's stage, not a finding."""
    prototype_reasons: list[str] = Field(default_factory=list)
    damaged: str | None = None
    """How the repository is broken, when it is (a missing HEAD commit, a loop of symbolic
    references, an unknown repository extension, missing objects); None for a sound repository.
    ``limits`` says what that cost."""
    history_from: str | None = None
    """The reference whose history was read instead of HEAD's when HEAD is broken (``refs/heads/dev``);
    None when HEAD's history was read. ``head`` and ``branch`` stay None then."""
    undated_commits: int = 0
    """Commits counted without their date (none, unparsable, beyond year 9999 or after the audit)."""
    truncated: bool = False
    """Older commits could not be read (missing objects): counts are lower bounds, as in a shallow clone."""


# -------------------------------------------------------------------------------------------- secrets
class SecretHit(Frozen):
    detector: str
    """Detector id, e.g. ``openai_api_key``, ``aws_access_key_id``, ``env_file``."""
    path: str
    line: int | None = None
    commit: str | None = None
    """For a secret seen only in history: the commit that introduced it."""
    in_tree: bool = True
    """Present in the current tree (False: only in history)."""
    masked: str
    """The secret with everything after its first 4 characters masked."""
    fingerprint: str
    """Hash of the secret, to match it across commits; never the secret itself."""
    placeholder: bool = False
    """Looks like a documented example or placeholder rather than a live credential."""
    context: str = ""
    """The line with the secret masked, shortened."""
    confidence: Confidence | None = None
    """How the value was recognised (issue 9): ``high`` a provider format whose shape, markers or
    checksum were validated; ``medium`` a secret-like name with a key-shaped value (or a provider prefix
    whose shape did not validate, see ``shape_checked``); ``low`` the generic high-entropy guess."""
    shape_checked: bool | None = None
    """False when a provider prefix matched but its documented length, marker or checksum did not (a
    truncated, altered or made-up key); None when the detector has no shape to check."""
    seen_in: list[str] = Field(default_factory=list)
    """Every place the same secret was seen (``path:line`` in the tree, ``path @ commit`` in history),
    the first one being ``path``/``line``: one hit per distinct secret (issue 9)."""
    commits: list[str] = Field(default_factory=list)
    """Every commit of the history that added the secret (oldest first, full ids)."""


class SecretFacts(Availability):
    files_scanned: int = 0
    history_checked: bool = False
    history_reason: str | None = None
    commits_scanned: int = 0
    hits: list[SecretHit] = Field(default_factory=list)
    env_files: list[str] = Field(default_factory=list)
    env_files_ignored: list[str] = Field(default_factory=list)
    """Those of ``env_files`` that ``.gitignore`` lists now: committed before the rule, still tracked
    (issue 3)."""
    env_files_without_values: list[str] = Field(default_factory=list)
    """Those of ``env_files`` that hold names only: every value empty, a placeholder or commented out
    (issue 9)."""
    env_files_reported: list[str] = Field(default_factory=list)
    """Those of ``env_files`` whose every value is a credential reported at its line of that file
    (``secret.committed_credential``): the file adds nothing to those findings (heldout2)."""
    history_missing_blobs: int = 0
    """Blobs of the history absent from the object store (a partial clone, never fetched; or a damaged
    copy), not scanned (issues 3 and 7)."""
    """Committed .env-style files (``.env``, ``.env.production``; not ``.env.example``)."""


# --------------------------------------------------------------------------------------- dependencies
Ecosystem = Literal["PyPI", "npm"]


class Manifest(Frozen):
    path: str
    kind: str
    """requirements, pyproject, pipfile, package.json, ..."""
    ecosystem: Ecosystem
    lockfile: bool = False
    """The file is a lockfile (exact resolved versions)."""


class Dependency(Frozen):
    name: str
    ecosystem: Ecosystem
    spec: str
    """The version requirement as written (``==2.2.2``, ``^1.0``, empty for none)."""
    version: str | None = None
    """The exact version when pinned, else None."""
    pinned: bool = False
    path: str
    line: int | None = None
    dev: bool = False


class Vulnerability(Frozen):
    package: str
    version: str
    ecosystem: Ecosystem
    id: str
    aliases: list[str] = Field(default_factory=list)
    summary: str = ""
    fixed: list[str] = Field(default_factory=list)
    path: str | None = None
    line: int | None = None
    # (issue 3) where to act: the upgrade that resolves it and the manifest entry behind a locked version
    fix: str | None = None
    """The lowest fixed version above the installed one (the upgrade that resolves this advisory)."""
    declared: str | None = None
    """The range the manifest declares (``^4.17.0``) when the version was read from a lockfile."""
    locked_at: str | None = None
    """``lockfile:line`` the exact version was read from, when ``path`` is the declaring manifest."""
    fix_in_range: bool | None = None
    """Whether ``fix`` satisfies ``declared`` (refreshing the lockfile is then enough); None: unknown."""


class VulnCheck(Frozen):
    status: Literal["checked", "partial", "not_checked"]
    source: str | None = None
    """Where the data came from: ``osv-dir:<path>``, ``pip-audit (osv)``, ..."""
    reason: str | None = None
    """Why the check did not run, or ran in part."""
    checked: int = 0
    """Pinned dependencies looked up."""
    unchecked: list[str] = Field(default_factory=list)
    """Dependencies that could not be looked up (unpinned, unknown ecosystem); at most 100 names."""
    unchecked_count: int = 0
    """How many distinct names could not be looked up (``unchecked`` lists the first 100)."""


class DependencyFacts(Availability):
    """Manifests, dependencies and vulnerabilities, each list capped (issue 7): the ``*_found``
    counts say how many there were, ``limits`` what was capped or not read."""

    manifests: list[Manifest] = Field(default_factory=list)
    dependencies: list[Dependency] = Field(default_factory=list)
    vulnerabilities: list[Vulnerability] = Field(default_factory=list)
    vuln_check: VulnCheck = VulnCheck(status="not_checked", reason="no dependency manifests")
    manifests_found: int = 0
    """Manifest and lockfile paths found (``manifests`` lists at most 1,000)."""
    dependencies_found: int = 0
    """Dependency entries parsed from the manifests and lockfiles read (``dependencies`` keeps at
    most 20,000, at most 10,000 from one file)."""
    vulnerabilities_found: int = 0
    """Vulnerabilities found (``vulnerabilities`` keeps at most 1,000)."""


# ------------------------------------------------------------------------------------------------ llm
class LLMCallSite(Frozen):
    path: str
    line: int
    function: str | None = None
    """Enclosing function name, or None at module level."""
    provider: str
    """openai, anthropic, google, mistral, cohere, langchain, litellm, http, ..."""
    api: str
    """The call as written, e.g. ``client.chat.completions.create``."""
    kind: str = "chat"
    """What the call asks of the model: chat, completion, agent, http (raw HTTP to a model endpoint),
    embedding, image, audio, video, moderation (checklists/models.yaml, ``call_sites.kinds``)."""
    has_timeout: bool = False
    has_retry: bool = False
    has_fallback: bool = False
    """Inside a try/except whose handler does something other than re-raise."""
    structured_output: bool = False
    model: str | None = None
    """Model name when given as a string literal (hard-coded)."""
    prompt_inline: bool = False
    """Prompt text is a literal or f-string in the code."""
    user_input_in_prompt: bool = False
    """Request data or handler parameters flow into the prompt."""
    max_tokens_set: bool = False
    # Model-call defect classes (issue 3); the Python and the JS/TS collectors fill them alike.
    prompt_source: Literal["inline", "file", "unknown"] = "unknown"
    """Where the prompt's instruction text comes from: ``inline`` (a literal or f-string in the code),
    ``file`` (open().read(), Path.read_text, a prompts/ folder, a template loader, a prompt hub), or
    ``unknown`` (only parameters or values the analysis could not follow). ``file`` wins over inline
    text around it, and then ``prompt_inline`` is False."""
    guarded_by_flag: bool = False
    """The call only runs under an ``if`` on a flag: an environment variable, a settings attribute or a
    feature-flag client (``if os.getenv("AI_ENABLED")``, ``if flags.is_enabled("ai")``): a kill switch."""
    messages_from_client: bool = False
    """The whole message list comes from the request (``request.json["messages"]``, ``body.messages``,
    ``req.body.messages``) and reaches the model with the client's roles, ``system`` included."""
    # What the model can do and who pays (issue 9): the grade of llm.user_input_in_prompt and
    # llm.client_supplied_messages.
    user_input_where: str | None = None
    """Where the request data lands when ``user_input_in_prompt``: ``formatted into PromptTemplate.fromTemplate
    (line 40)``, ``f-string (line 22)``."""
    tools: list[str] = Field(default_factory=list)
    """What the model is given to act with: tools or functions on the call or bound to its client
    (``tools=``, ``bind_tools``), an agent (``AgentExecutor``, ``createReactAgent``, ``initialize_agent``),
    as written (at most five); empty when it only returns text."""
    tools_run_code: bool = False
    """Some of those tools run model-written code, SQL or shell commands (``agents`` of checklists/uses.yaml);
    SQL on a database opened read-only or on the visitor's own database does not count."""
    tools_read_only: bool = False
    """Every one of those tools only looks things up (a web search, Wikipedia, SQL on a read-only
    database: ``tools.read_only`` of checklists/models.yaml): an injected instruction can make the model
    search, not act."""
    key_source: Literal["server", "user", "local"] = "server"
    """Who pays for the request: ``server`` (the operator's key, from the environment or settings),
    ``user`` (the client is built from a key the visitor types or sends: bring your own key), ``local`` (a
    model served on the host or a localhost URL: Ollama, no paid tokens)."""


LLMUseKind = Literal[
    "prompt_logged", "response_logged", "usage_read", "api_key_from_user", "model_output_executed",
    "code_executing_agent", "unsafe_deserialization", "model_output_to_sql", "model_output_to_shell",
    "model_output_parsed",
]
"""What an :class:`LLMUseSite` records (issue 3):

- ``prompt_logged`` / ``response_logged``: a prompt (its non-constant parts) or a model response
  reaches print / a logger / console.log;
- ``usage_read``: token usage fields are read (``response.usage``, ``usage.total_tokens``, ...): a
  safeguard, not a defect;
- ``api_key_from_user``: a provider key comes from the request or a UI input and is stored in the
  process environment or given to a client (``os.environ[...] = request.args[...]``);
- ``model_output_executed``: ``exec`` / ``eval`` / ``compile`` (``eval`` / ``new Function`` in JS) of a
  value derived from a model response;
- ``code_executing_agent``: an agent or tool that runs model-written code (PandasAI ``.chat``,
  LangChain pandas/python agents, PythonREPLTool, ``allow_dangerous_code=True``);
- ``unsafe_deserialization``: ``allow_dangerous_deserialization=True`` (pickled vector stores);
- ``model_output_to_sql`` / ``model_output_to_shell``: a model response reaches a SQL execute call or
  a shell command (or an agent that runs model-written SQL);
- ``model_output_parsed``: a model response is parsed as data (``json.loads``, ``JSON.parse``, YAML, a
  regular expression) or becomes a file name, a URL or HTML (``output_sinks`` of checklists/uses.yaml).
"""


class LLMUseSite(Frozen):
    """One place where the code does something notable with a model's input, output or key (issue 3).

    Not tied to a single call site: the log line printing a response, the ``exec`` running model-written
    code, the ``os.environ[...] =`` storing a user's key. ``line`` is where that happens; ``call_line``
    points back at the model call involved, when there is one in the same file.
    """

    path: str
    line: int
    function: str | None = None
    """Enclosing function name, or None at module level."""
    kind: LLMUseKind
    api: str
    """The call or statement at ``line`` as written: ``logger.info``, ``exec``, ``cursor.execute``,
    ``os.environ[]``."""
    detail: str = ""
    """One line: what flows where, e.g. ``response of client.chat.completions.create (line 12)``."""
    call_line: int | None = None
    """Line of the model call whose prompt or output is involved, when known (same file)."""
    call_at: str | None = None
    """``path:line`` of that model call, in whichever file it is (None when no call is involved)."""
    database: Literal["read_only", "visitor"] | None = None
    """``model_output_to_sql`` of an agent (issue 9): every database it may run on is opened read-only
    (``read_only``: the model's SQL can only read; some may be the visitor's own) or is the visitor's own,
    from a URL they type (``visitor``); None: the server's database, or not known."""
    confirmed: bool = False
    """``model_output_to_shell``: the command runs only in a branch on an interactive answer of the person
    at the terminal (an [E]xecute prompt, ``typer.confirm``, ``input()``): run by their choice."""


class SQLSite(Frozen):
    path: str
    line: int
    function: str | None = None
    how: str
    """f-string, concatenation, % formatting, .format()."""
    origin: Literal["request", "model_output", "file", "unknown", "env", "literal"] = "unknown"
    """Where the values pasted into the query text come from, the worst of them (issue 9): request data
    (a handler's parameters included), model output (a tool's arguments included), a file, something
    not followed to its source, the environment or configuration, or constants of the code only."""
    trace: str | None = None
    """The value's path to the call: ``request.args['q'] (app.py:10) → f-string → cursor.execute (app.py:14)``."""
    values: list[str] = Field(default_factory=list)
    """The pasted expressions as written (``table``, ``cols``), at most five."""
    bound: bool = False
    """The call also passes bound parameters (the values themselves are not pasted into the text)."""


class Reach(Frozen):
    """Something an endpoint's handler reaches, directly or through the functions it calls (issue 9)."""

    kind: Literal["model", "write", "read", "local_model", "provider", "file", "network", "data"]
    """``model``: a model request (spends tokens); ``write``: data written (SQL or ORM writes, files
    written, messages sent, posts published, keys minted); ``read``: the users' own data read;
    ``local_model``: a model served on the host (Ollama): compute, no paid tokens; ``provider``: objects
    kept at a model provider changed with the server's key (files, assistants, threads); ``file``: files
    read; ``network``: other HTTP requests; ``data``: a database read naming no user data."""
    what: str
    """What is called (``openai.chat.completions.create``, ``db.delete (SQL DELETE)``)."""
    path: str
    line: int
    via: str | None = None
    """The handler's callee through which it is reached (None: in the handler itself)."""
    certain: bool = True
    """False when established from a name only (a receiver called ``db`` that resolves to nothing)."""
    caller_controlled: bool = False
    """The request's data names the target (the URL fetched): the caller chooses where it goes."""


class Endpoint(Frozen):
    path: str
    line: int
    function: str
    framework: str
    route: str | None = None
    has_auth: bool = False
    method: str | None = None
    """The HTTP method (``GET``, ``POST``...) when the declaration says it."""
    public: str | None = None
    """Why the route needs no authentication, else None: public by design (a health probe, the sign-in flow,
    issue 9; a callback authenticated by its sender's signature) or never reached (an Express route shadowed
    by an earlier one of the same method on the same router)."""
    reaches: list[Reach] | None = None
    """What the handler reaches, worst first; None when it was not measured."""


class MixedFile(Frozen):
    path: str
    layers: list[str]
    """Which of web / llm / db the file mixes."""


class QuotaCheck(Frozen):
    """A request refused when a count passes a limit: ``if (messageCount > maxMessagesPerDay) return 429``
    (the shapes are ``quota`` of checklists/platforms.yaml)."""

    path: str
    line: int
    function: str | None = None
    detail: str
    """What is compared and how the request is refused."""


class RuleHit(Frozen):
    """One occurrence of a rule found by a registered check of the analysis engine
    (auditlib/analysis/checks/): the rule id of checklists/rules.yaml, where, and what was seen.
    The rubric gives it severity, category and remediation, as it does for every probe's hit."""

    rule: str
    title: str
    evidence: str
    path: str | None = None
    line: int | None = None
    severity: Severity | None = None
    """Set when this occurrence is graded away from the rule's severity (what the value reaches)."""
    confidence: Confidence | None = None
    """Set when this occurrence is more or less certain than the rule's default confidence."""


class CodeFacts(Availability):
    """What the Python and JS/TS source shows (auditlib.analysis): model calls, what is done with their
    prompts, output and keys, SQL building, endpoints, layering, and the registered checks' hits."""

    files_parsed: int = 0
    parse_errors: list[str] = Field(default_factory=list)
    llm_calls: list[LLMCallSite] = Field(default_factory=list)
    llm_sdks: list[str] = Field(default_factory=list)
    """Model SDKs imported anywhere (openai, anthropic, ...)."""
    sql_sites: list[SQLSite] = Field(default_factory=list)
    endpoints: list[Endpoint] = Field(default_factory=list)
    mixed_files: list[MixedFile] = Field(default_factory=list)
    print_calls: int = 0
    logging_calls: int = 0
    imports: list[str] = Field(default_factory=list)
    """Top-level module names imported anywhere in the Python code."""
    llm_uses: list[LLMUseSite] = Field(default_factory=list)
    """What the code does with model prompts, responses and keys (issue 3), sorted by path and line."""
    rule_hits: list[RuleHit] = Field(default_factory=list)
    """What the engine's registered checks found (one rule each; auditlib/analysis/checks/), sorted by
    rule, path and line."""
    quota_checks: list[QuotaCheck] = Field(default_factory=list)
    """Hand-written per-user or per-client quotas that refuse a request (issue 9): rate limiting
    without a library."""
    file_roles: dict[str, str] = Field(default_factory=dict)
    """Source files whose role the engine read from their content, where it differs from the role of
    their path (auditlib.collect.roles): a command-line tool outside ``scripts/`` is ``script``. The
    probes ask ``auditlib.probes.role_of``, which reads this and falls back to the path's role."""
    public_binds: list[str] = Field(default_factory=list)
    """``path:line`` of Python calls that start a server on every interface (``host="0.0.0.0"``);
    without one, a Python web app with no deploy file runs on 127.0.0.1 only."""


# ------------------------------------------------------------------------------------------ practices
class DockerBase(Frozen):
    """The base image of one ``FROM`` instruction (earlier stages and ``scratch`` left out) (issue 3)."""

    path: str
    line: int
    image: str
    """As written, with ``ARG`` defaults substituted."""
    pinned: bool
    """A digest (``@sha256:...``) or a tag naming a version (``3.11-slim``, ``20-alpine``); not
    ``latest``, no tag, or a tag without a version number (``alpine``, ``lts``)."""


ACCEPT_REASON_MAX = 2000
"""Longest written reason of an accepted finding (characters)."""


class AcceptEntry(Frozen):
    """One accepted finding (issue 12), as written in the repository's ``.auditlib.yaml`` or in the
    auditor's answers file (``accept:``): which finding, and why it is accepted.

    A finding is named by its fingerprint (``fp-...``, shown on every finding of results.json: it
    survives moved lines and renamed files), or by its rule (an id, or a family such as ``secret.*``)
    with an optional path (a glob: ``*`` within a folder, ``**`` across folders) and line. ``reason``
    is required; ``until`` (a date) makes the acceptance expire.
    """

    rule: str | None = Field(None, max_length=200)
    path: str | None = Field(None, max_length=1000)
    line: int | None = Field(None, ge=1)
    fingerprint: str | None = Field(None, max_length=40)
    reason: str = Field(max_length=ACCEPT_REASON_MAX)
    by: str | None = Field(None, max_length=200)
    until: _dt.date | None = None

    @field_validator("reason", mode="before")
    @classmethod
    def _reason_text(cls, value: Any) -> str:
        if value is None:
            raise ValueError("an accepted finding needs a written `reason:`")
        if not isinstance(value, str):
            raise ValueError("`reason:` must be text")
        if not value.strip():
            raise ValueError("an accepted finding needs a written `reason:` (it is empty)")
        return " ".join(value.split())

    @field_validator("rule", "path", "fingerprint", "by", mode="before")
    @classmethod
    def _text(cls, value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise ValueError("must be text")
        text = str(value).strip()
        return text or None

    @field_validator("until", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        if isinstance(value, _dt.datetime):
            return value.date()
        if isinstance(value, str):
            try:
                return _dt.date.fromisoformat(value.strip())
            except ValueError:
                raise ValueError("`until:` must be a date, YYYY-MM-DD") from None
        return value

    @model_validator(mode="after")
    def _names_a_finding(self) -> "AcceptEntry":
        if not self.rule and not self.fingerprint:
            raise ValueError("name the finding by `fingerprint:` (fp-...) or by `rule:` (with `path:` and `line:` "
                             "to narrow it)")
        if self.fingerprint and not (self.fingerprint.startswith("fp-") and len(self.fingerprint) == 19
                                     and all(c in "0123456789abcdef" for c in self.fingerprint[3:])):
            raise ValueError(f"`fingerprint:` {self.fingerprint!r} is not a finding fingerprint (fp- and 16 hex "
                             "digits, as results.json shows it)")
        if self.rule is not None and not self.rule.strip("*.? "):
            raise ValueError(f"`rule: {self.rule}` names every rule; name one rule or a family such as secret.*")
        if self.path is not None and not self.path.strip("*/? "):
            raise ValueError(f"`path: {self.path}` names every file; name a file or a folder (tests/**)")
        if self.line is not None and not self.path:
            raise ValueError("`line:` needs a `path:`")
        return self

    def describe(self) -> str:
        """The entry in one line: ``secret.committed_credential at tests/corpus.py:35`` or its fingerprint."""
        if self.fingerprint:
            what = self.fingerprint + (f" ({self.rule})" if self.rule else "")
        else:
            what = self.rule or ""
        if self.path:
            what += f" at {self.path}" + (f":{self.line}" if self.line else "")
        return what


class RepoConfig(Frozen):
    """The audited repository's own ``.auditlib.yaml`` (issue 12), read as data, never executed: CI
    entry points it declares and findings it accepts with a written reason. Bad entries are listed in
    ``problems`` (one line each) and left out; the audit carries on."""

    path: str
    """The file's path in the repository."""
    ci: list[str] = Field(default_factory=list)
    """Declared CI entry points that are files of the repository (scripts a CI runner calls)."""
    accept: list[AcceptEntry] = Field(default_factory=list)
    """The valid ``accept:`` entries, in file order."""
    numbers: list[int] = Field(default_factory=list)
    """The position (1-based) of each of ``accept`` in the file's ``accept:`` list, for messages."""
    problems: list[str] = Field(default_factory=list)
    """What was refused or ignored, one line each (``accept[2]: ...``)."""


class PracticeFacts(Availability):
    test_files: list[str] = Field(default_factory=list)
    test_lines: int = 0
    test_frameworks: list[str] = Field(default_factory=list)
    ci_files: list[str] = Field(default_factory=list)
    ci_runs_tests: bool = False
    ci_runs_audit: bool = False
    dockerfiles: list[str] = Field(default_factory=list)
    docker_nonroot: bool | None = None
    docker_healthcheck: bool | None = None
    migrations: list[str] = Field(default_factory=list)
    env_example: list[str] = Field(default_factory=list)
    """Committed templates of environment variables (``.env.example``), and sections of the README or docs/
    headed "Environment variables" that name them (``path#heading``)."""
    readme: bool = False
    runbooks: list[str] = Field(default_factory=list)
    eval_files: list[str] = Field(default_factory=list)
    libraries: dict[str, list[str]] = Field(default_factory=dict)
    """Capability -> libraries found: error_tracking, tracing, metrics, structured_logging, retry,
    rate_limiting, feature_flags, validation, auth, caching, token_tracking, analytics (browser SDKs),
    consent (cookie-consent managers)."""
    ci_runs_lint: bool = False
    """A CI file runs a linter or type checker (ruff, flake8, pylint, eslint, prettier, mypy, tsc...) (issue 3)."""
    docker_bases: list[DockerBase] = Field(default_factory=list)
    """The external base image of every ``FROM`` of every readable Dockerfile (issue 3)."""
    docker_base_pinned: bool | None = None
    """Every external base image is pinned (digest or version tag); None without a readable Dockerfile."""
    eval_cases: int | None = None
    """Cases counted in the evaluation files (None when no file could be counted) (issue 3)."""
    eval_case_counts: dict[str, int] = Field(default_factory=dict)
    """Evaluation file -> cases counted in it."""
    eval_uncounted: dict[str, str] = Field(default_factory=dict)
    """Evaluation file -> why its cases could not be counted."""
    eval_cases_partial: bool = False
    """Some evaluation file was too large to count in full: ``eval_cases`` is a lower bound."""
    deploy_files: list[str] = Field(default_factory=list)
    """Files other than Dockerfiles that deploy the code as a service (Procfile, vercel.json, fly.toml,
    render.yaml, compose files...; ``deploy_files`` of checklists/platforms.yaml)."""
    app_frameworks: list[str] = Field(default_factory=list)
    """Interactive-app frameworks the code uses (streamlit, gradio, next...; ``app_frameworks`` of
    checklists/platforms.yaml): an app a person opens, as opposed to a script."""
    platform_monitoring: list[str] = Field(default_factory=list)
    """Monitoring the hosting platform provides, declared in infrastructure files (an Azure Log Analytics
    workspace, Application Insights, CloudWatch alarms...), as ``path: what``; checklists/platforms.yaml."""
    ci_kinds: dict[str, Literal["hosted", "script", "declared"]] = Field(default_factory=dict)
    """CI file -> how it was recognised (issue 12): ``hosted``, a file a hosted CI service reads
    (.github/workflows, .gitlab-ci.yml...); ``script``, a script entry point a runner calls (``.ci/run``,
    ``ci/*.sh``); ``declared``, named by the repository's ``.auditlib.yaml`` (``ci:``). Vocabulary:
    checklists/ci.yaml."""
    ci_followed: list[str] = Field(default_factory=list)
    """What the CI files call that was read too, for the test, audit and lint commands: Makefile
    targets (``Makefile: test``), package.json scripts (``package.json: test``) and repository scripts
    (``scripts/test.sh``)."""
    config: RepoConfig | None = None
    """The repository's ``.auditlib.yaml``, when it has one (issue 12)."""
    health_checks: list[str] = Field(default_factory=list)
    """Health checks declared outside the code, as ``path: what`` (Dockerfile HEALTHCHECK, compose
    ``healthcheck:``, Kubernetes probes, render/railway ``healthCheckPath``, fly.toml ``checks``) (issue 11)."""
    orm_schemas: list[str] = Field(default_factory=list)
    """Files declaring database tables through an ORM (SQLAlchemy, Django, SQLModel, Prisma, drizzle,
    TypeORM, Sequelize), at most 20 (issue 11)."""
    dependency_bots: list[str] = Field(default_factory=list)
    """Dependabot or Renovate configuration files (issue 11)."""
    codeowners: list[str] = Field(default_factory=list)
    """CODEOWNERS or OWNERS files (at the root, under .github/, .gitlab/ or docs/) (issue 11, C049)."""
    architecture_docs: list[str] = Field(default_factory=list)
    """Architecture documents or decision records: ARCHITECTURE.md, DESIGN.md, docs/adr/, decisions/...
    (issue 11, C119)."""
    readme_lines: int | None = None
    """Lines of the root README (the longest one when there are several); None without one."""
    load_tests: list[str] = Field(default_factory=list)
    """Load-test scripts or tools: locustfiles, k6 scripts, artillery configs, JMeter plans, or the
    libraries (locust, artillery, autocannon, k6) (issue 11, C037)."""
    e2e_frameworks: list[str] = Field(default_factory=list)
    """End-to-end browser test frameworks (playwright, cypress, selenium, puppeteer, webdriverio,
    testcafe, nightwatch), from dependency names and config files (issue 11, C020)."""
    test_signals: dict[str, list[str]] = Field(default_factory=dict)
    """What the test files' text shows, kind -> up to 5 test files: ``failure_path`` (pytest.raises,
    toThrow, a 4xx/5xx assertion...), ``auth_boundary`` (401/403, unauthorized), ``model_mock`` (respx,
    vcrpy, a patched model SDK, msw, nock, a fake chat model), ``model_ref`` (the test names a model
    SDK or model code), ``app_client`` (TestClient, test_client, supertest...) (issue 11, C019-C023, C068)."""
    large_static_images: list[str] = Field(default_factory=list)
    """Raster images over 300 KB in a served static folder (public/, static/), as ``path (N KB)``, at most
    20, largest first (issue 11, C094)."""
    error_boundaries: list[str] = Field(default_factory=list)
    """Files that declare a React error boundary (componentDidCatch, getDerivedStateFromError,
    react-error-boundary, a Next.js error.tsx) (issue 11, C111)."""
    irreversible_migrations: list[str] = Field(default_factory=list)
    """Migrations that cannot be rolled back: an Alembic ``downgrade()`` that only passes, a knex migration
    without ``down`` (issue 11, C106)."""


class ComplexityFunction(Frozen):
    path: str
    line: int
    name: str
    complexity: int


class FileComplexity(Frozen):
    """Cyclomatic complexity of one file's functions (issue 3: hotspots)."""

    functions: int = 0
    max: int = 0
    total: int = 0
    """Sum of the complexity of the file's functions."""
    mi: float | None = None
    """radon's maintainability index (0-100, higher is easier to maintain) for a Python file among the
    100 with the highest total complexity; None for other languages, for the other files and for files
    over the MI size cap (issue 3)."""


class ComplexityFacts(Availability):
    functions: int = 0
    mean: float | None = None
    max: int | None = None
    over_threshold: list[ComplexityFunction] = Field(default_factory=list)
    threshold: int = 10
    tool: str = "radon"
    files: dict[str, FileComplexity] = Field(default_factory=dict)
    """Path -> complexity of the file, for the files with the highest total (at most 500)."""
    distribution: dict[str, dict[str, int]] = Field(default_factory=dict)
    """Language -> complexity bucket (``1-5``, ``6-10``, ``11-20``, ``21-50``, ``>50``) -> functions
    (issue 3)."""
    mi_max_bytes: int = 0
    """Python files larger than this get no maintainability index (radon's MI pass is slow on
    large generated files)."""
    mi_skipped: list[str] = Field(default_factory=list)
    """Python files left without a maintainability index (over the cap, or radon failed), at most 50."""


class Facts(Frozen):
    """Everything the collectors measured about one target."""

    inventory: InventoryFacts
    history: HistoryFacts
    secrets: SecretFacts
    dependencies: DependencyFacts
    code: CodeFacts
    practices: PracticeFacts
    complexity: ComplexityFacts


# ---------------------------------------------------------------------------------------- findings
class Hit(Frozen):
    """What a probe reports: one occurrence of its rule. The rubric adds severity, category, phase.
    ``severity`` and ``confidence``, when set, grade this occurrence away from the rule's defaults."""

    rule: str
    title: str
    evidence: str
    path: str | None = None
    line: int | None = None
    commit: str | None = None
    severity: Severity | None = None
    confidence: Confidence | None = None


class Acceptance(Frozen):
    """Why a finding is accepted, and by whom (issue 12)."""

    reason: str
    by: str | None = None
    source: Literal["repository", "auditor"]
    """``repository``: the target's own ``.auditlib.yaml``; ``auditor``: the answers file's ``accept:``."""
    file: str
    """``.auditlib.yaml`` or ``answers`` (never an absolute path)."""
    entry: int
    """The entry's position (1-based) in that file's ``accept:`` list."""
    until: str | None = None
    """ISO date the acceptance expires after, when it has one."""


class Finding(Frozen):
    id: str
    rule: str
    category: str
    severity: Severity
    title: str
    path: str | None = None
    line: int | None = None
    commit: str | None = None
    evidence: str
    phase: int
    effort: Effort
    owasp: str | None = None
    """OWASP Top 10 for LLM Applications 2025 id, where one applies."""
    structural: bool = False
    """The flaw is structural (an argument for rebuild), per the rubric."""
    remediation: str = ""
    confidence: Confidence = "medium"
    """How sure the finding is (see CONFIDENCES); results written before it existed read as medium."""
    fingerprint: str | None = None
    """The finding's content fingerprint (``fp-`` and 16 hex digits, auditlib.fingerprint): the same
    across moved lines and renamed files; what an ``accept:`` entry may name (issue 12). None in
    results written before it existed."""
    accepted: "Acceptance | None" = None
    """Set when the finding is accepted with a written reason (issue 12): it stays listed, but leaves
    the score, the severity counts and the decision."""

    @property
    def location(self) -> str:
        """``path:line`` (or the commit for history-only evidence)."""
        if self.path and self.line:
            where = f"{self.path}:{self.line}"
        else:
            where = self.path or ""
        if self.commit:
            where = f"{where} @ {self.commit[:10]}" if where else self.commit[:10]
        return where
