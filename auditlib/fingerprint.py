"""A finding's content fingerprint: what identifies it apart from where it sits.

One definition, used by the re-audit comparison (auditlib.diff, to pair findings across audits) and
by accepted findings (auditlib.accept, to name a finding in ``.auditlib.yaml`` or the answers file so
that the entry survives moved lines and renamed files).

The fingerprint is the finding's rule, title and evidence with line numbers (``app.py:25``,
``line 12``), commit ids and the finding's own path taken out; ``fingerprint_id`` is its short,
printable hash (``fp-`` and 16 hex digits), shown on every finding of results.json.
"""

from __future__ import annotations

import hashlib
import re

from .models import Finding

_LINE_REF = re.compile(r"(?<=[\w\])]):\d+(?::\d+)?\b")
_LINE_WORD = re.compile(r"\b(lines?)\s+\d+(?:\s*-\s*\d+)?", re.IGNORECASE)
_SHA = re.compile(r"\b[0-9a-f]{7,40}\b")
_SPACE = re.compile(r"\s+")

PREFIX = "fp-"
ID_PATTERN = re.compile(r"^fp-[0-9a-f]{16}$")
"""What a fingerprint id looks like (``fp-`` and 16 lower-case hex digits)."""


def normalise(text: str, own_paths: tuple[str, ...] = ()) -> str:
    """``text`` without what moves when nothing changed: line numbers (``app.py:25``, ``line 12``),
    commit ids, the finding's own path(s) (so a renamed file keeps its fingerprint), extra spaces."""
    text = _LINE_REF.sub(":#", text)
    for p in sorted((p for p in own_paths if p), key=len, reverse=True):
        text = text.replace(p, "<file>")
    text = _LINE_WORD.sub(lambda m: f"{m.group(1)} #", text)
    text = _SHA.sub("<commit>", text)
    return _SPACE.sub(" ", text).strip()


def fingerprint(f: Finding) -> str:
    """What identifies a finding apart from where it sits: rule, title and evidence, normalised."""
    own = (f.path,) if f.path else ()
    return "\x1f".join((f.rule, normalise(f.title, own), normalise(f.evidence, own)))


def fingerprint_id(f: Finding) -> str:
    """The short, printable form of ``fingerprint(f)``: ``fp-`` and the first 16 hex digits of its SHA-256."""
    digest = hashlib.sha256(fingerprint(f).encode("utf-8", "surrogateescape")).hexdigest()
    return PREFIX + digest[:16]
