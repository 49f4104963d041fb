"""Masking of discovered secrets: the only form in which a secret ever leaves a collector."""

from __future__ import annotations

import hashlib
import re

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


def redact_line(line: str, secret: str, limit: int = 160) -> str:
    """A line of source with ``secret`` masked in it, shortened to ``limit`` characters."""
    masked = line.replace(secret, mask(secret)) if secret else line
    masked = masked.strip()
    if len(masked) > limit:
        masked = masked[: limit - 1] + "…"
    return masked


_URL_PASSWORD = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]+):(?P<pw>[^@/\s]+)@", re.I)


def redact_url_password(text: str) -> str:
    """Mask the password part of any ``scheme://user:password@`` URL in ``text``."""
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:{mask(m['pw'])}@", text)
