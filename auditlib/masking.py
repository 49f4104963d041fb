"""Masking of discovered secrets: the only form in which a secret ever leaves a collector."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)

VISIBLE_PREFIX = 4
"""How many leading characters of a secret may be shown (the issue's rule: never beyond the first 4)."""


def mask(secret: str) -> str:
    """Return ``secret`` with everything after its first four characters replaced.

    The length of the mask is fixed so that the length of the secret does not leak either.
    """
    secret = secret.strip()
    if len(secret) <= VISIBLE_PREFIX * 2:
        return "*" * 8
    return secret[:VISIBLE_PREFIX] + "*" * 8


def fingerprint(secret: str) -> str:
    """A stable, non-reversible id for a secret (to match it across commits without storing it)."""
    return hashlib.sha256(secret.strip().encode("utf-8", "replace")).hexdigest()[:16]


def redact_line(line: str, secret: str | Iterable[str] = "", limit: int = 160) -> str:
    """A line of source with ``secret`` (one value or several) and every other secret-shaped value on it
    masked, shortened to ``limit`` characters.

    Masking comes before shortening, so a key cut by the limit is never shown in part. Only the start
    of a long line is scrubbed (with a margin well past the longest key), so a minified bundle with
    thousands of keys on one line costs a few kilobytes per key, not the whole line each time.
    """
    values = sorted({v for v in ([secret] if isinstance(secret, str) else secret) if v}, key=len, reverse=True)

    def redact(text: str) -> str:
        text = scrub(text)  # on the text as written, where every shape is whole
        for value in values:  # then what is left of the candidates, longest first
            text = text.replace(value, mask(value))
        return _mask_continuations(text) if values else text

    text = line.strip()
    window = limit + 2048
    while True:
        if len(text) <= window:
            text = redact(text)
            break
        part = redact(text[:window])
        # What a cut at ``window`` may leave unmasked (a key or URL cut short of its shape) lies in
        # the last few hundred characters of ``part``; keep it far from what is shown.
        if len(part) >= limit + 1024:
            text = part
            break
        window *= 4
    if len(text) > limit:
        # a value too long to be secret-shaped can become so once cut: scrub what is shown again
        text = scrub(text[: limit - 1] + "…")
    return text


# A quoted piece concatenated right after a masked one (``"v8pA********" + "tKdVRfLO..."``): the rest of
# a secret written in pieces, which no detector sees as a secret on its own.
_CONTINUATION = re.compile(r"""(\*{8}["'`]\s*\+\s*)(["'`])(?!\*{8}["'`])([^"'`\\\n]{4,})\2""")


def _mask_continuations(text: str) -> str:
    """``text`` with every string piece joined by ``+`` to a masked value masked whole, piece after piece."""
    while True:
        got = _CONTINUATION.sub(lambda m: f"{m.group(1)}{m.group(2)}{'*' * 8}{m.group(2)}", text)
        if got == text:
            return text
        text = got


_spans = None


def scrub(text: str) -> str:
    """``text`` with every secret-shaped value in it masked (``mask()``), whatever the scanner made of it.

    Every provider key shape of :data:`auditlib.collect.secrets.DETECTORS`, the generic high-entropy
    ``key = value``, the key material after a PEM ``PRIVATE KEY`` header and the password of any
    ``scheme://user:password@`` URL; placeholders and test keys too. Idempotent, and masked values do
    not match again. Returns ``text`` itself when there is nothing to mask (a keyword prefilter makes
    that case cheap), so it can run over every string of a result.
    """
    global _spans
    if not text or not isinstance(text, str):
        return text
    if _spans is None:
        # masking is imported by the collector, so the detectors are looked up on first use
        from auditlib.collect.secrets import secret_spans

        _spans = secret_spans
    for _ in range(8):  # masking can, at worst, uncover a shorter match around it: repeat to a fixed point
        spans = _spans(text)
        if not spans:
            return text
        # The same value elsewhere in the text, where it is not secret-shaped (``print("<key>")``
        # after ``api_key = "<key>"``), is the same secret.
        for value in {text[s:e] for s, e in spans if e - s >= 8}:
            at = text.find(value)
            while at >= 0:
                spans.append((at, at + len(value)))
                at = text.find(value, at + 1)
        spans.sort()
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        out: list[str] = []
        pos = 0
        for start, end in merged:
            out.append(text[pos:start])
            out.append(mask(text[start:end]))
            pos = end
        out.append(text[pos:])
        new = "".join(out)
        if new == text:
            return text
        text = new
    return text


_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@", re.I)


def redact_url_password(text: str) -> str:
    """Mask the password part of any ``scheme://user:password@`` URL in ``text``."""
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{mask(m['pw'])}@", text)


def scrub_model(model: M) -> M:
    """``model`` with every string inside it (nested models, lists, tuples, sets, dict keys and values)
    passed through :func:`scrub`.

    The safety net of every output: results.json, findings.sarif, the notebooks, report.html and the
    PDF are all built from the audit result, so a key that reached any text field (a finding's
    context, a code snippet quoted by a collector, an auditor's note) is masked before it leaves.
    Types, aliases, frozen-ness and unset-ness are kept (changed models are copied with
    ``model_copy``, which does not re-validate); unchanged parts are returned as they are.
    """
    scrubbed: M = _scrub_value(model)
    return scrubbed


def _utf8_clean(text: str) -> str:
    """``text`` with lone surrogates (a file name that was not UTF-8, kept by ``surrogateescape``)
    shown as U+FFFD, so every output can be written as UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        cleaned = _utf8_clean(value)
        scrubbed = scrub(cleaned)
        return value if scrubbed is value else scrubbed
    if isinstance(value, BaseModel):
        changes = {}
        for name in type(value).model_fields:
            old = getattr(value, name, None)
            new = _scrub_value(old)
            if new is not old:
                changes[name] = new
        extra = value.__pydantic_extra__
        if extra:
            for name, old in extra.items():
                new = _scrub_value(old)
                if new is not old:
                    changes[name] = new
        return value.model_copy(update=changes) if changes else value
    if isinstance(value, (list, tuple)):
        items = [_scrub_value(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=False)):
            return value
        if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple
            return type(value)(*items)
        return type(value)(items)
    if isinstance(value, dict):
        pairs = [(_scrub_value(k), _scrub_value(v)) for k, v in value.items()]
        if all(k2 is k and v2 is v for (k2, v2), (k, v) in zip(pairs, value.items(), strict=False)):
            return value
        out = value.copy()  # keeps a dict subclass (and a defaultdict's factory)
        out.clear()
        out.update(pairs)
        return out
    if isinstance(value, (set, frozenset)):
        items = [_scrub_value(v) for v in value]
        if all(a is b for a, b in zip(items, value, strict=False)):
            return value
        return type(value)(items)
    return value
