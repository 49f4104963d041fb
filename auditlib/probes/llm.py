"""Probes of the llm family: model-call defect classes (issue 3).

They read ``CodeFacts.llm_uses`` (what the code does with a model's prompt, output and key) and the
per-call fields ``messages_from_client`` and ``provider == "http"``; the JS/TS collector fills the same
records, so each probe covers both languages. Evidence reads ``api(...) in function: what``.

Use sites in test code are not reported: a test that ``exec``s a canned "model answer" or logs a fake
prompt ships nothing to production, and a false critical costs the auditor's credibility.
"""

from __future__ import annotations

from typing import Any, Iterable

from ..collect.roles import is_test_path
from ..models import Facts, Hit, LLMCallSite, LLMUseSite
from . import probe, role_of


def in_tests(path: str) -> bool:
    """Whether ``path`` is test code or test data (the ``test`` role of auditlib.collect.roles)."""
    return is_test_path(path)


def _use_evidence(u: LLMUseSite) -> str:
    api = u.api if u.api.endswith("=") else f"{u.api}(...)"
    return f"{api} in {u.function or 'module level'}: {u.detail}"


def _use_probe(rule: str, title: str, kinds: set[str]) -> None:
    def fn(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
        for u in facts.code.llm_uses:
            if u.kind in kinds and not in_tests(u.path):
                yield Hit(rule=rule, title=title, evidence=_use_evidence(u), path=u.path, line=u.line)

    fn.__name__ = rule.replace(".", "_")
    fn.__doc__ = f"{title} (use sites of kind {', '.join(sorted(kinds))}, test code excluded)."
    probe(rule)(fn)


_use_probe("llm.prompt_or_response_logged", "Prompt or model response written to logs",
           {"prompt_logged", "response_logged"})


@probe("llm.api_key_from_user")
def api_key_from_user(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """A visitor's provider key kept process-wide (the process environment, an SDK module's global key, a
    client that outlives the visitor's run): one finding per file, at its first place, the others listed
    in the evidence. A client built from the visitor's key for their own run (bring your own key) is no
    use site at all (analysis/uses.py)."""
    by_path: dict[str, list[LLMUseSite]] = {}
    for u in facts.code.llm_uses:
        if u.kind == "api_key_from_user" and not in_tests(u.path):
            by_path.setdefault(u.path, []).append(u)
    for path, uses in by_path.items():
        uses.sort(key=lambda u: u.line)
        first, rest = uses[0], uses[1:]
        more = f"; also line{'s' if len(rest) > 1 else ''} {', '.join(str(u.line) for u in rest)}" if rest else ""
        yield Hit(rule="llm.api_key_from_user", title="Visitor's API key kept process-wide",
                  evidence=_use_evidence(first) + more, path=path, line=first.line, confidence="high")
_use_probe("llm.model_output_executed", "Model output executed as code", {"model_output_executed"})
_use_probe("llm.code_executing_agent", "Agent or tool runs model-written code", {"code_executing_agent"})
_use_probe("llm.unsafe_deserialization", "Dangerous deserialization enabled",
           {"unsafe_deserialization"})


@probe("llm.model_output_to_sql")
def model_output_to_sql(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Model output run as SQL, graded by the database (issue 9): the rule's severity (high) on the
    server's database or one not followed; medium when every database the agent may get is opened
    read-only (model-written SQL can only read; some may be the visitor's own); low when it is the
    visitor's own database, from a URL they type (their own data)."""
    for u in facts.code.llm_uses:
        if u.kind != "model_output_to_sql" or in_tests(u.path):
            continue
        severity = {"read_only": "medium", "visitor": "low"}.get(u.database or "")
        yield Hit(rule="llm.model_output_to_sql", title="Model output run as SQL", evidence=_use_evidence(u),
                  path=u.path, line=u.line, severity=severity,  # type: ignore[arg-type]
                  confidence="medium" if severity else None)


@probe("llm.model_output_to_shell")
def model_output_to_shell(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Model output passed to a shell, graded by where it runs (issue 9): on a server (application code)
    the rule's severity (critical: a prompt injection runs commands on the server); in a command-line tool
    or script on the user's own machine (role ``script``) medium, with the user's rights; low when the
    command runs only after the user chooses to run it (an [E]xecute prompt, a confirmation): the tool's
    purpose."""
    for u in facts.code.llm_uses:
        if u.kind != "model_output_to_shell" or in_tests(u.path):
            continue
        severity = why = None
        if role_of(facts, u.path) == "script":
            if u.confirmed:
                severity, why = "low", "a command-line tool on the user's own machine, run on their choice"
            else:
                severity, why = "medium", ("a command-line tool or script on the user's own machine, with "
                                           "the user's rights, without asking first")
        evidence = _use_evidence(u) + (f" ({why})" if why else "")
        yield Hit(rule="llm.model_output_to_shell", title="Model output passed to a shell", evidence=evidence,
                  path=u.path, line=u.line, severity=severity)  # type: ignore[arg-type]


def _where(c: LLMCallSite) -> str:
    return f"{c.api}(...) in {c.function or 'module level'}"


_USER_ASSISTANT_ONLY = {"anthropic", "google", "bedrock"}
"""Providers whose message list takes only user and assistant turns: the system prompt is a separate
parameter the client cannot replace through the messages."""


@probe("llm.client_supplied_messages")
def client_supplied_messages(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """The server forwards the client's whole message list. Graded by what a forged turn gains (issue 9):
    high when the client can send a ``system`` turn and the model has tools behind it; medium for a plain
    proxy (no tools, or an API whose messages cannot carry a system turn): the risk there is the open
    route, which the authentication rules grade."""
    signed_in = _behind_authentication(facts)
    for c in facts.code.llm_calls:
        if not c.messages_from_client or in_tests(c.path):
            continue
        system = c.provider not in _USER_ASSISTANT_ONLY
        roles = ("so the client picks the roles, system included" if system else
                 f"the {c.provider} API takes only user and assistant turns, so the server's system prompt stays")
        server_tools = [t for t in c.tools if not t.endswith("from the request")]
        if system and server_tools:
            severity, why = "high", f"the model has tools ({', '.join(server_tools)}) a forged system turn can steer"
        elif c.tools and not server_tools:
            severity, why = "medium", "the only tools are those the client sends itself"
        else:
            severity = "medium"
            why = "a plain proxy: no tools behind the model" if not c.tools else \
                f"tools ({', '.join(c.tools)}), but no system turn can be forged"
        confidence = "high"
        if (c.path, c.line) in signed_in:
            # Only signed-in users reach the call: a chat client whose users build their own conversation
            # (chatbot-ui) does so by design; a forged turn steers their own session. Low when tools of
            # the server sit behind the model (a signed-in user can still steer those), else nothing.
            if not (system and server_tools):
                continue
            severity, confidence = "low", "medium"
            why += "; only signed-in users reach this route, so a forged turn steers their own session"
        yield Hit(rule="llm.client_supplied_messages",
                  title="Client sends the whole conversation",
                  evidence=f"{_where(c)}: the message list comes from the request and reaches the model "
                           f"unchanged, {roles}; {why}",
                  path=c.path, line=c.line, severity=severity, confidence=confidence)  # type: ignore[arg-type]


def _behind_authentication(facts: Facts) -> set[tuple[str, int]]:
    """(path, line) of the model calls that only authenticated endpoints reach (what each endpoint's
    handler reaches is measured by the engine): reached by at least one endpoint, and by none that is
    open to anyone."""
    authed: set[tuple[str, int]] = set()
    open_: set[tuple[str, int]] = set()
    for e in facts.code.endpoints:
        for r in e.reaches or ():
            if r.kind in ("model", "local_model"):
                (authed if e.has_auth else open_).add((r.path, r.line))
    return authed - open_


@probe("llm.raw_http_call")
def raw_http_call(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """The provider's HTTP API is called directly instead of through its SDK."""
    for c in facts.code.llm_calls:
        if c.provider == "http" and not in_tests(c.path):
            yield Hit(rule="llm.raw_http_call", title="Model API called over raw HTTP",
                      evidence=f"{_where(c)}: raw HTTP request to the provider's endpoint; no SDK "
                               "retries, typed errors or response parsing",
                      path=c.path, line=c.line)
