"""What the Python and the JavaScript/TypeScript code collectors share: the per-file record and
its aggregation into CodeFacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from ..models import CodeFacts, Endpoint, LLMCallSite, LLMUseSite, MixedFile, SQLSite


@dataclass
class FileFacts:
    """What one source file shows (the collectors extend it with their own working state)."""

    imports: set[str] = field(default_factory=set)
    sdks: set[str] = field(default_factory=set)
    llm_calls: list[LLMCallSite] = field(default_factory=list)
    sql_sites: list[SQLSite] = field(default_factory=list)
    endpoints: list[Endpoint] = field(default_factory=list)
    layers: set[str] = field(default_factory=set)
    """Which of web / llm / db the file holds."""
    prints: int = 0
    logs: int = 0
    llm_uses: list[LLMUseSite] = field(default_factory=list)


FLAG_ON_WORDS = {"enable", "enabled", "feature", "features", "flag", "flags", "switch", "toggle"}
FLAG_OFF_WORDS = {"disable", "disabled", "kill", "killswitch", "off", "offline", "mock", "fake", "stub",
                  "dry", "maintenance"}
AI_WORDS = {"ai", "llm", "llms", "gpt", "openai", "anthropic", "claude", "gemini", "model", "genai",
            "chatbot", "assistant", "copilot"}


def flag_word_sign(words: list[str]) -> int:
    """For the words of a name: +1 when it reads as "feature on" (AI_ENABLED, use_llm, feature_chat),
    -1 for "off" (DISABLE_AI, KILL_SWITCH, MOCK_LLM), 0 for anything else (OPENAI_API_KEY, DEBUG).
    Each collector splits names its own way (snake_case, camelCase)."""
    if any(w in FLAG_OFF_WORDS for w in words):
        return -1
    if any(w in FLAG_ON_WORDS for w in words):
        return 1
    for first, second in zip(words, words[1:]):
        if first == "use" and second in AI_WORDS:
            return 1
    return 0


def aggregate(results: Iterable[tuple[str, FileFacts]], *, errors: list[str], total: int, language: str) -> CodeFacts:
    """CodeFacts for the parsed files of one language (``total`` files were tried)."""
    results = list(results)
    facts: dict = {"imports": set(), "sdks": set(), "llm_calls": [], "llm_uses": [], "sql_sites": [],
                   "endpoints": [], "mixed": [], "prints": 0, "logs": 0}
    for path, r in results:
        facts["imports"] |= r.imports
        facts["sdks"] |= r.sdks
        facts["llm_calls"] += r.llm_calls
        facts["llm_uses"] += r.llm_uses
        facts["sql_sites"] += r.sql_sites
        facts["endpoints"] += r.endpoints
        facts["prints"] += r.prints
        facts["logs"] += r.logs
        if len(r.layers) >= 2:  # the one-layer prototype: handlers, model calls and data access together
            facts["mixed"].append(MixedFile(path=path, layers=sorted(r.layers)))
    parsed = len(results)
    reason = f"{len(errors)} of {total} {language} files not parsed" if errors else None
    return CodeFacts(
        available=parsed > 0,
        reason=reason if parsed else f"no {language} file could be parsed ({len(errors)} tried)",
        files_parsed=parsed,
        parse_errors=errors,
        llm_calls=sorted(facts["llm_calls"], key=lambda s: (s.path, s.line, s.api)),
        llm_sdks=sorted(facts["sdks"]),
        sql_sites=sorted(facts["sql_sites"], key=lambda s: (s.path, s.line)),
        endpoints=sorted(facts["endpoints"], key=lambda e: (e.path, e.line, e.route or "")),
        mixed_files=sorted(facts["mixed"], key=lambda m: m.path),
        print_calls=facts["prints"],
        logging_calls=facts["logs"],
        imports=sorted(facts["imports"]),
        llm_uses=sorted(facts["llm_uses"], key=lambda u: (u.path, u.line, u.kind)),
    )
