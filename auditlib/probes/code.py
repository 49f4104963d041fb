"""Probes over the source-code facts: model-call hygiene and layering."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from ..analysis.llm import text_kinds
from ..metrics import APP_CALL_ROLES, app_calls
from ..models import Endpoint, Facts, Hit, LLMCallSite, Reach
from . import probe, role_of
from .practices import STEP_DOWN, local_only


def _where(c: LLMCallSite) -> str:
    kind = "" if c.kind in text_kinds() else f" ({c.kind} request)"
    return f"{c.api}(...){kind} in {c.function or 'module level'}"


def _call_probe(rule: str, title: str, bad: Callable[[LLMCallSite], bool], detail: Callable[[LLMCallSite], str], *,
                text_only: bool = False) -> None:
    """A probe over model call sites; ``text_only``: the question is about text generation (prompt,
    output cap, output schema), so embedding, image, audio and moderation requests are left out."""

    def fn(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
        kinds = text_kinds() if text_only else None
        for c in facts.code.llm_calls:
            if (kinds is None or c.kind in kinds) and bad(c):
                yield Hit(rule=rule, title=title, evidence=f"{_where(c)}: {detail(c)}", path=c.path, line=c.line)

    fn.__name__ = rule.replace(".", "_")
    fn.__doc__ = title
    probe(rule)(fn)


_call_probe("llm.call_without_timeout", "Model call without a timeout", lambda c: not c.has_timeout,
            lambda c: "no timeout on the call or its client; a slow provider hangs the request")
_call_probe("llm.call_without_retry", "Model call without retry", lambda c: not c.has_retry,
            lambda c: "no max_retries, retry decorator or retry loop")
_call_probe("llm.call_without_fallback", "Model call without a fallback", lambda c: not c.has_fallback,
            lambda c: "no error handling with an alternative path; a provider error fails the request")
_DATA_USES = ("model_output_parsed", "model_output_executed", "model_output_to_sql", "model_output_to_shell")
"""Uses of a response that need it to have a shape (issue 9): parsed (JSON, YAML, a regular expression),
made a file name, a URL or HTML, executed, run as SQL or passed to a shell."""


def _data_uses(facts: Facts) -> dict[str, list[Any]]:
    """``path:line`` of a model call -> the places its text is used as data (outside test code)."""
    from ..collect.roles import is_test_path

    out: dict[str, list[Any]] = {}
    for u in facts.code.llm_uses:
        if u.kind in _DATA_USES and u.call_at and not is_test_path(u.path):
            out.setdefault(u.call_at, []).append(u)
    return out


@probe("llm.unstructured_output")
def unstructured_output(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Text-generation calls with no output schema whose text is then parsed or reaches a sink
    (``model_output_parsed``, ``_executed``, ``_to_sql``, ``_to_shell`` uses). Free text shown to a person
    needs no schema: such calls are not reported (issue 9)."""
    uses = _data_uses(facts)
    kinds = text_kinds()
    for c in facts.code.llm_calls:
        if c.kind not in kinds or c.structured_output:
            continue
        used = uses.get(f"{c.path}:{c.line}")
        if used and (c.kind == "http" or c.provider == "http"):
            # a raw HTTP response is the provider's JSON envelope: parsing it, or following the URLs it
            # gives (a prediction to poll), is not parsing the model's text
            used = [u for u in used if u.kind != "model_output_parsed"]
        if not used:
            continue
        u = used[0]
        where = f"line {u.line}" if u.path == c.path else f"{u.path}:{u.line}"
        more = f" (and {len(used) - 1} more place{'s' if len(used) > 2 else ''})" if len(used) > 1 else ""
        yield Hit(rule="llm.unstructured_output", title="Model output used without a schema",
                  evidence=f"{_where(c)}: no response_format, tools or validation of the response, and its "
                           f"text reaches {u.api} at {where}{more}", path=c.path, line=c.line)


def prompt_injection_grade(c: LLMCallSite) -> tuple[str, str]:
    """(severity, what the model can do) of request data pasted into a call's prompt (issue 9): what an
    injected instruction can make the model do. Tools or an agent behind it: high (medium when every tool
    only looks things up: a search, Wikipedia, a read-only database; low with the visitor's own key or a
    local model, unless a tool runs code, SQL or shell commands on the server); plain text
    generation on the server's key: medium (off-task use of the key, the answer goes back to the caller);
    the visitor's own key or a model served locally: low (they only steer their own answer)."""
    payer = {"user": "the visitor's own key (bring your own key)", "local": "a model served locally, no paid tokens",
             "server": "server-paid tokens"}[c.key_source]
    if c.tools_run_code:
        return "high", f"tools that run model-written code or SQL on the server ({', '.join(c.tools) or 'an agent'})"
    if c.tools:
        if c.key_source == "server" and c.tools_read_only:
            return "medium", (f"the model's tools ({', '.join(c.tools)}) only look things up (search, read-only "
                              f"data), they act on nothing; {payer}")
        if c.key_source == "server":
            return "high", f"the model has tools ({', '.join(c.tools)}); {payer}"
        return "low", f"the model has tools ({', '.join(c.tools)}) but runs on {payer}"
    if c.key_source == "server":
        return "medium", f"no tools behind the model; {payer}"
    return "low", f"no tools behind the model; {payer}"


@probe("llm.user_input_in_prompt")
def user_input_in_prompt(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Request data pasted into prompt text (not passed as its own user message), graded by what the model
    can do (``prompt_injection_grade``)."""
    kinds = text_kinds()
    for c in facts.code.llm_calls:
        if c.kind not in kinds or not c.user_input_in_prompt:
            continue
        severity, why = prompt_injection_grade(c)
        where = c.user_input_where or "request data flows into the prompt text"
        # medium confidence when the data went through a template the code does not show in full
        confidence = "medium" if "built-in" in where or "own template" in where else "high"
        yield Hit(rule="llm.user_input_in_prompt", title="Request data pasted into the prompt",
                  evidence=f"{_where(c)}: request data {where.removeprefix('request data ')} (prompt injection); {why}",
                  path=c.path, line=c.line, severity=severity, confidence=confidence)  # type: ignore[arg-type]
_call_probe("llm.inline_prompt", "Prompt written inline in code", lambda c: c.prompt_inline,
            lambda c: "prompt text is a string in the code, not a versioned prompt file", text_only=True)
_call_probe("llm.hardcoded_model", "Model name hard-coded", lambda c: c.model is not None,
            lambda c: f"model={c.model!r}")
_call_probe("llm.max_tokens_unset", "Model call without an output cap", lambda c: not c.max_tokens_set,
            lambda c: "max_tokens not set", text_only=True)


def _has(facts: Facts, capability: str) -> bool:
    return bool(facts.practices.libraries.get(capability))


def reads_token_usage(facts: Facts) -> bool:
    """The code reads token-usage fields of responses (``response.usage``, ``total_tokens``)."""
    return any(u.kind == "usage_read" for u in facts.code.llm_uses)


@probe("llm.no_token_tracking")
def no_token_tracking(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Model calls of the application or its scripts exist (``app_calls``: calls in tests, evaluations and
    examples spend nothing in use) but nothing tracks tokens or cost: no library, no usage field read."""
    calls = app_calls(facts) or []
    if calls and facts.practices.available and not _has(facts, "token_tracking") and not reads_token_usage(facts):
        first = calls[0]
        yield Hit(rule="llm.no_token_tracking", title="No token or cost tracking",
                  evidence=f"{len(calls)} model call(s), no token-tracking library and "
                           "no read of the responses' usage fields",
                  path=first.path, line=first.line)


@probe("llm.no_feature_flag")
def no_feature_flag(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Model calls of the application or its scripts exist with no feature-flag service and not every
    call behind a flag check."""
    calls = app_calls(facts) or []
    if not calls or not facts.practices.available or _has(facts, "feature_flags"):
        return
    unguarded = [c for c in calls if not c.guarded_by_flag]
    if not unguarded:
        return  # every call sits behind `if <flag>:` (an env var, a setting, a flag client)
    guarded = len(calls) - len(unguarded)
    note = f", {guarded} behind a flag check" if guarded else ""
    yield Hit(rule="llm.no_feature_flag", title="No kill switch around the AI surface",
              evidence=f"{len(calls)} model call(s){note}, no feature-flag library; "
                       f"first unguarded: {_where(unguarded[0])}")


_SQL_GRADES = {  # origin of the pasted values -> (severity, confidence, what the evidence says)
    "request": ("critical", "high", "request data reaches the SQL text (SQL injection)"),
    "model_output": ("high", "high", "model output reaches the SQL text (SQL injection through the model: "
                                     "prompt injection)"),
    "file": ("medium", "medium", "text read from a file reaches the SQL text"),
    "unknown": ("medium", "low", "the pasted value was not followed to its source"),
    "env": ("low", "medium", "only configuration or environment values are pasted"),
    "literal": ("low", "high", "only constants of the code are pasted (table names, column lists, placeholders)"),
}


@probe("architecture.sql_string_building")
def sql_string_building(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """SQL assembled from strings, graded by where the pasted values come from (issue 9): request data
    is critical, model output (a tool's arguments included) high, both with the value's path; constants
    of the code, configuration, and identifiers pasted beside bound parameters are low; command-line
    scripts and migrations are low whatever they paste (no request reaches them)."""
    for s in facts.code.sql_sites:
        severity, confidence, why = _SQL_GRADES[s.origin]
        if s.origin == "unknown" and s.bound:
            severity, confidence = "low", "medium"
            why = "the values are bound parameters; the pasted parts read as identifiers, not followed to their source"
        role = role_of(facts, s.path)
        if role in ("script", "migration") and severity not in ("low", "info"):
            severity, confidence = "low", "medium"
            why += f"; in a {'command-line script' if role == 'script' else 'migration'}, not on a request path"
        pasted = f" ({', '.join(s.values)})" if s.values else ""
        where = f"path: {s.trace}" if s.trace else f"in {s.function or 'module level'}"
        yield Hit(rule="architecture.sql_string_building", title="SQL built by string formatting",
                  evidence=f"SQL built with {s.how}{pasted}: {why}; {where}", path=s.path, line=s.line,
                  severity=severity, confidence=confidence)  # type: ignore[arg-type]


def _no_auth_anywhere(facts: Facts) -> bool:
    eps = facts.code.endpoints
    # without the practices collector nobody measured the auth libraries: assert nothing structural
    return (bool(eps) and facts.practices.available and not any(e.has_auth for e in eps)
            and not _has(facts, "auth"))


REACH_SEVERITY = {"model": "high", "write": "high", "read": "medium", "local_model": "medium", "provider": "medium",
                  "file": "medium", "network": "low", "data": "low"}
"""What an endpoint open to anyone costs, by what its handler reaches: spending model tokens or writing
data (rows, files, messages sent, keys minted) is high; reading the users' data, running a model served
on the host (compute, no paid tokens), changing objects kept at a model provider or reading files is
medium; an outbound request or a read of data that names no user data (a catalogue, a public corpus) is
low, an outbound request medium when the caller names the URL (the server fetches what it is told).
An endpoint that reaches nothing gets no finding."""
_ORDER = ("critical", "high", "medium", "low", "info")


def _grade(r: Reach) -> str:
    return "medium" if r.kind == "network" and r.caller_controlled else REACH_SEVERITY[r.kind]


def _worst(reaches: list[Reach]) -> Reach:
    return min(reaches, key=lambda r: (_ORDER.index(_grade(r)), not r.certain))


def _label(e: Endpoint) -> str:
    route = e.route or e.function
    return f"{e.method} {route}" if e.method and "," not in e.method else route


def _reached(r: Reach) -> str:
    via = f", through {r.via}" if r.via else ""
    return f"{r.what} ({r.path}:{r.line}{via})"


def _exposed(facts: Facts) -> list[tuple[Endpoint, list[Reach] | None]]:
    """Endpoints without authentication that are not public by design, with what they reach (None: not
    measured); those measured to reach nothing are left out."""
    return [(e, e.reaches) for e in facts.code.endpoints
            if not e.has_auth and not e.public and (e.reaches is None or e.reaches)]


def _confidence(r: Reach) -> str:
    """Medium when the resolver followed the handler to what it reaches; low when a name decided (a
    receiver called ``db`` that resolves to nothing). Never high: what the handler reaches is traced,
    but that no gateway, proxy or platform setting authenticates in front of it cannot be seen in the
    code, so a missing check is a lead for the auditor to confirm, and does not cap the score alone."""
    return "medium" if r.certain else "low"


@probe("architecture.no_authentication")
def no_authentication(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Web endpoints exist, none of them nor any library authenticates, and some of them reach something
    (a model, data, files, the network): graded by the worst of what they reach."""
    if not _no_auth_anywhere(facts):
        return
    exposed = _exposed(facts)
    if not exposed:
        return  # every endpoint is public by design or reaches nothing: nothing to protect
    measured = [(e, _worst(rs)) for e, rs in exposed if rs]
    first = exposed[0][0]
    if not measured:  # what the handlers reach was not measured: the rule's severity and confidence
        eps = facts.code.endpoints
        routes = ", ".join(e.route or e.function for e in eps[:5]) + (" ..." if len(eps) > 5 else "")
        yield Hit(rule="architecture.no_authentication", title="No authentication anywhere",
                  evidence=f"{len(eps)} endpoint(s) ({routes}) and no authentication library or check",
                  path=first.path, line=first.line)
        return
    measured.sort(key=lambda x: _ORDER.index(_grade(x[1])))
    shown = "; ".join(f"{_label(e)} -> {_reached(r)}" for e, r in measured[:3])
    worst = _worst([r for _, r in measured])
    severity, where = _exposure(facts, _grade(worst))
    yield Hit(rule="architecture.no_authentication", title="No authentication anywhere",
              evidence=f"{len(measured)} of {len(facts.code.endpoints)} endpoint(s) reach a model, data, files or "
                       f"the network ({shown}{' ...' if len(measured) > 3 else ''}) and no authentication "
                       f"library or check{where}",
              path=first.path, line=first.line, severity=severity,  # type: ignore[arg-type]
              confidence=_confidence(worst))  # type: ignore[arg-type]


def _exposure(facts: Facts, severity: str) -> tuple[str, str]:
    """The severity one step lower, and the reason for the evidence, when the app runs on the developer's
    machine only (``practices.local_only``); else the severity unchanged."""
    local = local_only(facts)
    return (STEP_DOWN[severity], f"; runs {local}") if local else (severity, "")


@probe("architecture.endpoint_without_auth")
def endpoint_without_auth(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Endpoints without authentication, graded by what their handler reaches (nothing reached, or a
    route public by design such as a health probe or the sign-in flow: no finding). Also when nothing
    authenticates anywhere: the structural finding says so once, these say which endpoints it exposes."""
    nowhere = _no_auth_anywhere(facts)
    for e, reaches in _exposed(facts):
        title = f"Endpoint without authentication: {e.route or e.function}"
        if reaches is None:  # what the handler reaches was not measured: the rule's severity, low confidence
            if nowhere:
                continue  # reported once, as the structural finding
            yield Hit(rule="architecture.endpoint_without_auth", title=title, path=e.path, line=e.line,
                      evidence=f"{e.framework} handler {e.function} declares no authentication", confidence="low")
            continue
        worst = _worst(reaches)
        more = len(reaches) - 1
        also = f"; and {more} more ({', '.join(sorted({r.kind for r in reaches[1:]}))})" if more else ""
        severity, where = _exposure(facts, _grade(worst))
        yield Hit(rule="architecture.endpoint_without_auth", title=title, path=e.path, line=e.line,
                  severity=severity, confidence=_confidence(worst),  # type: ignore[arg-type]
                  evidence=f"{_label(e)} reaches {_reached(worst)} with no authentication{also}{where}")


@probe("architecture.mixed_layers")
def mixed_layers(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Files that mix web handlers, model calls and data access."""
    for m in facts.code.mixed_files:
        yield Hit(rule="architecture.mixed_layers", title="One file mixes " + " + ".join(m.layers),
                  evidence=f"{m.path} holds {', '.join(m.layers)} code together", path=m.path)


@probe("architecture.no_rate_limiting")
def no_rate_limiting(facts: Facts, params: dict[str, Any]) -> Iterable[Hit]:
    """Endpoints reach the model and nothing rate-limits them: no rate-limiting library and no
    hand-written quota that refuses a request (``CodeFacts.quota_checks``: a per-user message count
    checked against a limit, issue 9)."""
    endpoints = [e for e in facts.code.endpoints if role_of(facts, e.path) in APP_CALL_ROLES]
    calls = app_calls(facts) or []
    if endpoints and calls and facts.practices.available \
            and not _has(facts, "rate_limiting") and not facts.code.quota_checks:
        yield Hit(rule="architecture.no_rate_limiting", title="No rate limiting on endpoints that call the model",
                  evidence=f"{len(endpoints)} endpoint(s), {len(calls)} model call(s), "
                           "no rate-limiting library and no quota check that refuses a request")
