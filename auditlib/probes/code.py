"""Probes over the source-code facts: model-call hygiene and layering."""

from __future__ import annotations

from typing import Iterable

from ..analysis.llm import text_kinds
from ..models import Facts, Hit, LLMCallSite
from . import probe


def _where(c: LLMCallSite) -> str:
    kind = "" if c.kind in text_kinds() else f" ({c.kind} request)"
    return f"{c.api}(...){kind} in {c.function or 'module level'}"


def _call_probe(rule: str, title: str, bad, detail, *, text_only: bool = False) -> None:
    """A probe over model call sites; ``text_only``: the question is about text generation (prompt,
    output cap, output schema), so embedding, image, audio and moderation requests are left out."""

    def fn(facts: Facts, params: dict) -> Iterable[Hit]:
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
_call_probe("llm.unstructured_output", "Model output used without a schema", lambda c: not c.structured_output,
            lambda c: "no response_format, tools or validation of the response", text_only=True)
_call_probe("llm.user_input_in_prompt", "Request data pasted into the prompt", lambda c: c.user_input_in_prompt,
            lambda c: "request data flows into the prompt text (prompt injection)", text_only=True)
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
def no_token_tracking(facts: Facts, params: dict) -> Iterable[Hit]:
    """Model calls exist but nothing tracks tokens or cost: no library, no usage field read."""
    if facts.code.llm_calls and facts.practices.available and not _has(facts, "token_tracking") \
            and not reads_token_usage(facts):
        first = facts.code.llm_calls[0]
        yield Hit(rule="llm.no_token_tracking", title="No token or cost tracking",
                  evidence=f"{len(facts.code.llm_calls)} model call(s), no token-tracking library and "
                           "no read of the responses' usage fields",
                  path=first.path, line=first.line)


@probe("llm.no_feature_flag")
def no_feature_flag(facts: Facts, params: dict) -> Iterable[Hit]:
    """Model calls exist with no feature-flag service and not every call behind a flag check."""
    calls = facts.code.llm_calls
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


@probe("architecture.sql_string_building")
def sql_string_building(facts: Facts, params: dict) -> Iterable[Hit]:
    """SQL assembled from strings (injection)."""
    for s in facts.code.sql_sites:
        yield Hit(rule="architecture.sql_string_building", title="SQL built by string formatting",
                  evidence=f"SQL built with {s.how} in {s.function or 'module level'}", path=s.path, line=s.line)


def _no_auth_anywhere(facts: Facts) -> bool:
    eps = facts.code.endpoints
    # without the practices collector nobody measured the auth libraries: assert nothing structural
    return (bool(eps) and facts.practices.available and not any(e.has_auth for e in eps)
            and not _has(facts, "auth"))


@probe("architecture.no_authentication")
def no_authentication(facts: Facts, params: dict) -> Iterable[Hit]:
    """Web endpoints exist and none of them, nor any library, authenticates."""
    if _no_auth_anywhere(facts):
        eps = facts.code.endpoints
        routes = ", ".join(e.route or e.function for e in eps[:5]) + (" ..." if len(eps) > 5 else "")
        yield Hit(rule="architecture.no_authentication", title="No authentication anywhere",
                  evidence=f"{len(eps)} endpoint(s) ({routes}) and no authentication library or check",
                  path=eps[0].path, line=eps[0].line)


@probe("architecture.endpoint_without_auth")
def endpoint_without_auth(facts: Facts, params: dict) -> Iterable[Hit]:
    """Endpoints without authentication in a code base that authenticates elsewhere."""
    if _no_auth_anywhere(facts):
        return  # reported once, as a structural finding
    for e in facts.code.endpoints:
        if not e.has_auth:
            yield Hit(rule="architecture.endpoint_without_auth", title=f"Endpoint without authentication: {e.route or e.function}",
                      evidence=f"{e.framework} handler {e.function} declares no authentication", path=e.path, line=e.line)


@probe("architecture.mixed_layers")
def mixed_layers(facts: Facts, params: dict) -> Iterable[Hit]:
    """Files that mix web handlers, model calls and data access."""
    for m in facts.code.mixed_files:
        yield Hit(rule="architecture.mixed_layers", title="One file mixes " + " + ".join(m.layers),
                  evidence=f"{m.path} holds {', '.join(m.layers)} code together", path=m.path)


@probe("architecture.no_rate_limiting")
def no_rate_limiting(facts: Facts, params: dict) -> Iterable[Hit]:
    """Endpoints reach the model and nothing rate-limits them."""
    if facts.code.endpoints and facts.code.llm_calls and facts.practices.available and not _has(facts, "rate_limiting"):
        yield Hit(rule="architecture.no_rate_limiting", title="No rate limiting on endpoints that call the model",
                  evidence=f"{len(facts.code.endpoints)} endpoint(s), {len(facts.code.llm_calls)} model call(s), no rate-limiting library")
