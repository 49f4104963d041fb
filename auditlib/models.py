"""Typed, frozen records that flow through the audit: facts -> findings -> scorecard/decision -> results.

Collectors return facts (never judgments); probes turn facts into findings; scoring and the decision
are pure functions of findings, facts, rubric and answers. Every model here serialises to the
``auditlib.results/1`` JSON contract documented in the README.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
Effort = Literal["S", "M", "L"]


class Frozen(BaseModel):
    """Base for all records: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Availability(Frozen):
    """Whether a collector could measure at all; a collector that cannot says why, never returns zero."""

    available: bool = True
    reason: str | None = None
    """Why the collector could not run (or ran only in part)."""


# ----------------------------------------------------------------------------------------- inventory
class LanguageStats(Frozen):
    files: int
    lines: int


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


# -------------------------------------------------------------------------------------------- history
class AuthorStats(Frozen):
    name: str
    commits: int
    first_commit: str
    """ISO 8601 date of the author's first commit."""
    last_commit: str
    active_recently: bool
    """Committed within the activity window (90 days before the audit)."""


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
    """Whether the authors with most commits (covering half of them) committed in the window."""
    activity_window_days: int = 90
    dirty: bool = False
    """The working tree has uncommitted changes to tracked files (evidence may not match HEAD)."""


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


class SecretFacts(Availability):
    files_scanned: int = 0
    history_checked: bool = False
    history_reason: str | None = None
    commits_scanned: int = 0
    hits: list[SecretHit] = Field(default_factory=list)
    env_files: list[str] = Field(default_factory=list)
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


class VulnCheck(Frozen):
    status: Literal["checked", "partial", "not_checked"]
    source: str | None = None
    """Where the data came from: ``osv-dir:<path>``, ``pip-audit (osv)``, ..."""
    reason: str | None = None
    """Why the check did not run, or ran in part."""
    checked: int = 0
    """Pinned dependencies looked up."""
    unchecked: list[str] = Field(default_factory=list)
    """Dependencies that could not be looked up (unpinned, unknown ecosystem)."""


class DependencyFacts(Availability):
    manifests: list[Manifest] = Field(default_factory=list)
    dependencies: list[Dependency] = Field(default_factory=list)
    vulnerabilities: list[Vulnerability] = Field(default_factory=list)
    vuln_check: VulnCheck = VulnCheck(status="not_checked", reason="no dependency manifests")


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


class SQLSite(Frozen):
    path: str
    line: int
    function: str | None = None
    how: str
    """f-string, concatenation, % formatting, .format()."""


class Endpoint(Frozen):
    path: str
    line: int
    function: str
    framework: str
    route: str | None = None
    has_auth: bool = False


class MixedFile(Frozen):
    path: str
    layers: list[str]
    """Which of web / llm / db the file mixes."""


class CodeFacts(Availability):
    """What the Python source shows: model calls, SQL building, endpoints, layering."""

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


# ------------------------------------------------------------------------------------------ practices
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
    readme: bool = False
    runbooks: list[str] = Field(default_factory=list)
    eval_files: list[str] = Field(default_factory=list)
    libraries: dict[str, list[str]] = Field(default_factory=dict)
    """Capability -> libraries found: error_tracking, tracing, metrics, structured_logging, retry,
    rate_limiting, feature_flags, validation, auth, caching, token_tracking."""


class ComplexityFunction(Frozen):
    path: str
    line: int
    name: str
    complexity: int


class ComplexityFacts(Availability):
    functions: int = 0
    mean: float | None = None
    max: int | None = None
    over_threshold: list[ComplexityFunction] = Field(default_factory=list)
    threshold: int = 10
    tool: str = "radon"


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
    """What a probe reports: one occurrence of its rule. The rubric adds severity, category, phase."""

    rule: str
    title: str
    evidence: str
    path: str | None = None
    line: int | None = None
    commit: str | None = None


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
