"""Secrets collector: credentials in the working tree and in the whole git history.

Detectors are small named records (an id, a compiled pattern, keywords for a cheap prefilter), in
the style of Yelp/detect-secrets; false-positive filters are small named predicates. A discovered
secret only ever leaves this module as ``masking.mask()`` output and ``masking.fingerprint()``, and
the line it is on only with every secret-shaped value masked (``masking.redact_line``, which
scrubs the whole line with :func:`secret_spans`).

The collector reports what it saw; it never judges severity (that is the probes' job).
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from auditlib import masking
from auditlib.collect.files import (
    MAX_TEXT_BYTES,
    NOT_OWNER,
    SKIP_DIRS,
    FileSet,
    HeadState,
    decode,
    inspect_head,
)
from auditlib.collect.gitio import (
    GitRun,
    git_error_text,
    is_partial_clone,
    is_shallow,
    read_blobs,
    run_git,
    stream_git,
)
from auditlib.collect.roles import is_test_path
from auditlib.models import SecretFacts, SecretHit

Progress = Callable[[str], None] | None

__all__ = ["DETECTORS", "Detector", "collect_secrets", "is_env_file", "is_test_path", "secret_spans"]


# ------------------------------------------------------------------------------------------ detectors
@dataclass(frozen=True)
class Detector:
    """One kind of credential: an id, a pattern whose ``secret`` group is the credential, keywords.

    A line is only matched against ``pattern`` when it contains one of ``keywords`` (lower case),
    which keeps the history scan cheap: most added lines contain none of them.
    """

    id: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]
    generic: bool = False
    """Low-confidence detector: placeholders are dropped rather than flagged."""
    valid: Callable[[str], bool] | None = None
    """Extra shape check on the secret (rejects matches that merely look alike)."""


def _not_kebab_words(secret: str) -> bool:
    # "sk-your-openai-key-here" and "sk-learn-compatible-2" are words, not keys: real key bodies are
    # random base62/base64url and always mix upper case with lower case or digits.
    body = _strip_prefix(secret)
    return any(c.isupper() for c in body) and any(c.islower() or c.isdigit() for c in body)


_B = r"(?<![A-Za-z0-9_\-])"  # left boundary that, unlike \b, also refuses "-" and "_"
_E = r"(?![A-Za-z0-9_\-])"
_ASSIGN = r"""["']?\s{0,5}(?:=>|:=|=|:)\s{0,5}"""

DETECTORS: tuple[Detector, ...] = (
    Detector(
        "anthropic_api_key",
        re.compile(_B + r"(?P<secret>sk-ant-(?:api\d\d-|admin\d\d-)?[A-Za-z0-9_\-]{20,300})" + _E),
        ("sk-ant-",),
    ),
    Detector(
        "openai_api_key",
        re.compile(
            _B + r"(?P<secret>sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9][A-Za-z0-9_\-]{19,300})" + _E
        ),
        ("sk-",),
        valid=_not_kebab_words,
    ),
    Detector(
        "aws_access_key_id",
        re.compile(r"(?<![A-Za-z0-9])(?P<secret>(?:AKIA|ASIA)[A-Z0-9]{16})(?![A-Za-z0-9])"),
        ("akia", "asia"),
    ),
    Detector(
        "aws_secret_access_key",
        re.compile(
            r"(?i:(?:aws[_.\-]?)?secret[_.\-]?access[_.\-]?key|aws[_.\-]?secret(?:[_.\-]?key)?)"
            + _ASSIGN
            + r"""[rbuf]?["'`]?(?P<secret>[A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])"""
        ),
        ("secret",),
    ),
    Detector(
        "github_token",
        re.compile(
            _B + r"(?P<secret>gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}"
            r"|github_pat_[A-Za-z0-9_]{30,255})" + _E
        ),
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    ),
    Detector(
        "stripe_secret_key",
        re.compile(_B + r"(?P<secret>[sr]k_live_[A-Za-z0-9]{20,255})" + _E),
        ("sk_live_", "rk_live_"),
    ),
    Detector(
        "slack_webhook",
        re.compile(
            r"(?P<secret>https://hooks\.slack\.com/services/T[A-Za-z0-9_]{6,}/B[A-Za-z0-9_]{6,}/[A-Za-z0-9_]{12,})"
        ),
        ("hooks.slack.com",),
    ),
    Detector(
        "slack_token",
        re.compile(_B + r"(?P<secret>xox[baprs]-(?:[0-9]+-)+[A-Za-z0-9]{8,}(?:-[A-Za-z0-9]+)*)" + _E),
        ("xox",),
    ),
    Detector(
        "google_api_key",
        re.compile(r"(?<![A-Za-z0-9_])(?P<secret>AIza[0-9A-Za-z_\-]{35})(?![A-Za-z0-9_\-])"),
        ("aiza",),
    ),
    Detector(
        "private_key",
        re.compile(r"(?P<secret>-----BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----)"),
        ("private key",),
    ),
    Detector(
        "database_url_password",
        re.compile(
            r"(?i:\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?)(?:\+[a-z0-9]+)?)"
            r"://[^:/@\s'\"`]{0,128}:(?P<secret>[^@/\s'\"`]{1,256})@[^\s'\"`]"
        ),
        ("postgres", "mysql", "mariadb", "mongodb", "redis", "amqp"),
    ),
    Detector(
        "generic_high_entropy",
        re.compile(
            r"(?i:api[_\-.]?key|apikey|secret|token|passw(?:or)?d|passwd|pwd|auth[_\-.]?key|"
            r"access[_\-.]?key|client[_\-.]?secret|credentials?)"
            r"[A-Za-z0-9_\-.]{0,30}" + _ASSIGN +
            r"""(?:[rbuf]?(?P<q>["'`])(?P<secret>[^"'`\s]{20,256})(?P=q)"""
            r"""|(?P<bare>[^\s"'`;,()\[\]{}<>$]{20,256})(?=$|[\s;,]))"""
        ),
        ("key", "secret", "token", "pass", "pwd", "credential"),
        generic=True,
    ),
)


def _keyword_index() -> dict[str, frozenset[int]]:
    """Prefilter keyword -> indexes of the detectors it wakes.

    A keyword that contains a shorter one (``sk-ant-`` contains ``sk-``) is folded into it, because
    a regex alternation reports only one of them at a given position.
    """
    wanted: dict[str, set[int]] = {}
    for i, det in enumerate(DETECTORS):
        for k in det.keywords:
            wanted.setdefault(k, set()).add(i)
    index: dict[str, set[int]] = {}
    for k in sorted(wanted, key=len):
        base = next((b for b in index if b in k), None)
        index.setdefault(base or k, set()).update(wanted[k])
    return {k: frozenset(v) for k, v in index.items()}


_KEYWORDS = _keyword_index()
# Matching lower-cased text without re.I is several times faster than a case-insensitive search.
_KEYWORD_RE = re.compile("|".join(re.escape(k) for k in sorted(_KEYWORDS, key=len, reverse=True)))
_KEYWORD_BYTES_RE = re.compile(_KEYWORD_RE.pattern.encode())

_PREFIX_RE = re.compile(
    r"^(?:sk-ant-(?:api\d\d-|admin\d\d-)?|sk-(?:proj-|svcacct-|admin-|None-)?|AKIA|ASIA|gh[pousr]_|"
    r"github_pat_|[sr]k_live_|xox[baprs]-|AIza)"
)


def _strip_prefix(secret: str) -> str:
    return _PREFIX_RE.sub("", secret, count=1)


# ------------------------------------------------------------------------------------------- filters
# Named predicates, each one question about a candidate value. "Drop" filters say the value is not a
# literal credential at all; "placeholder" filters say it is a documented example or a stand-in.

_AWS_DOC_EXAMPLES = frozenset({"AKIA" + "IOSFODNN7" + "EXAMPLE", "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCY" + "EXAMPLEKEY"})
_PLACEHOLDER_WORDS = ("example", "your", "xxx", "placeholder", "dummy", "fake", "changeme", "change_me",
                      "replaceme", "replace_me", "redacted", "...")
_DEFAULT_PASSWORDS = frozenset({"password", "pass", "passwd", "pw", "pwd", "secret", "postgres", "root",
                                "admin", "user", "test", "guest", "mysql", "redis", "mongo", "example"})
_TEMPLATE_RE = re.compile(r"\$\{[^}]*\}|\{\{.*?\}\}|<[^<>]+>|%\([^)]*\)s|%s|\{[A-Za-z_][A-Za-z0-9_.]*\}")
_ENV_READ_BEFORE_RE = re.compile(
    r"(?:environ(?:\.get)?\s*[\[(]|getenv\s*\(|process\.env\.?|process\.env\[|import\.meta\.env\.|"
    r"ENV\s*\[|env\s*\(|config\s*\()\s*[\"'`]?$"
)
_ENV_READ_VALUE_RE = re.compile(r"^(?:os\.environ|os\.getenv|process\.env|import\.meta\.env|ENV\[|env\()", re.I)


def _is_template(value: str) -> bool:
    """Interpolation or a template slot (``${X}``, ``{{ x }}``, ``<key>``, ``%s``): not a literal."""
    return bool(_TEMPLATE_RE.search(value)) or value.startswith("$")


def _reads_environment(line: str, start: int, value: str) -> bool:
    """The value is the name of an environment variable being read, or the read itself."""
    return bool(_ENV_READ_BEFORE_RE.search(line[max(0, start - 40):start])) or bool(
        _ENV_READ_VALUE_RE.match(value)
    )


def _is_documented_example(value: str) -> bool:
    """AWS's documented example credentials."""
    return value in _AWS_DOC_EXAMPLES


def _has_placeholder_word(value: str) -> bool:
    low = value.lower()
    return any(w in low for w in _PLACEHOLDER_WORDS)


def _longest_run(body: str) -> int:
    """Longest run of one repeated character or of consecutive characters (``123456``, ``abcdef``)."""
    best = same = step_up = step_down = 1
    low = body.lower()
    for a, b in zip(low, low[1:]):
        same = same + 1 if a == b else 1
        step_up = step_up + 1 if ord(b) - ord(a) == 1 else 1
        step_down = step_down + 1 if ord(a) - ord(b) == 1 else 1
        best = max(best, same, step_up, step_down)
    return best if body else 0


def _is_low_variety(value: str) -> bool:
    """All one character, a handful of characters, or a long sequential/repeated run."""
    body = re.sub(r"[-_]", "", _strip_prefix(value))
    if not body:
        return True
    return len(set(body)) <= 3 or _longest_run(body) >= 6


_FAKE_MARK_RE = re.compile(r"\b(?:fake|dummy|mock(?:ed)?|not[\s_-]+(?:a[\s_-]+)?real|test[\s_-]+only)\b", re.I)
_COMMENT_RE = re.compile(r"(?:#|//|/\*|<!--|--\s)(?P<comment>.*)$")


def _marked_fake(path: str | None, line: str, end: int) -> bool:
    """In test code, the file name or a comment after the value says the key is fake.

    ``tests/fixtures/fake_keys.py`` or ``KEY = "sk-..."  # fake``. Outside test code a comment is not
    enough: anyone can write "fake" beside a live key.
    """
    if not path or not is_test_path(path):
        return False
    if _FAKE_MARK_RE.search(PurePosixPath(path).name.replace("_", " ").replace("-", " ")):
        return True
    m = _COMMENT_RE.search(line, end)
    return bool(m and _FAKE_MARK_RE.search(m.group("comment")))


def _is_placeholder(detector: Detector, value: str) -> bool:
    if _is_documented_example(value) or _has_placeholder_word(value) or _is_low_variety(value):
        return True
    if detector.id == "database_url_password" and value.lower() in _DEFAULT_PASSWORDS:
        return True
    return False


def shannon_entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    counts: dict[str, int] = {}
    for c in value:
        counts[c] = counts.get(c, 0) + 1
    n = len(value)
    return -sum(k / n * math.log2(k / n) for k in counts.values())


_HEX_RE = re.compile(r"^[0-9a-fA-F\-]+$")
_FILE_NAME_RE = re.compile(r"\.[a-z]{2,5}$")


def _looks_random(value: str) -> bool:
    """High-entropy check for the generic detector: random-looking, with letters and digits."""
    if "://" in value or value.startswith(("/", "./", "../", "~/")):
        return False  # URLs and paths
    if _FILE_NAME_RE.search(value) or ("/" in value and value == value.lower()):
        return False  # "models/tok-v2/tokenizer.json": a file, not a key (base64 with "/" has capitals)
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    entropy = shannon_entropy(value)
    if _HEX_RE.match(value):
        return entropy >= 3.0
    # The most entropy a string of n distinct characters can have is log2(n); ask for most of it.
    return entropy >= min(4.0, 0.8 * math.log2(len(value)))


# ------------------------------------------------------------------------------------ line scanning
@dataclass(frozen=True)
class _Candidate:
    detector: str
    secret: str
    """The value to mask and fingerprint (never stored past this module)."""
    placeholder: bool
    context: str


_PEM_BODY_RE = re.compile(r"[A-Za-z0-9+/=]{16,}")


def _pem_body(text: str | None) -> str:
    if not text:
        return ""
    text = re.sub(r"""^(?:\\n|\\r|["'`+,\s])+""", "", text)
    m = _PEM_BODY_RE.match(text)
    return m.group(0)[:64] if m else ""


# ---------------------------------------------------------------------------------------- scrubbing
# What ``masking.scrub`` masks in any text that leaves auditlib: every value of a secret's shape,
# whether or not the scanner would report it (placeholders, test keys and malformed look-alikes
# included), so that a line holding two keys, or a code snippet quoting one, never shows either.
_URL_PASSWORD_RE = re.compile(r"(?i:\b[a-z][a-z0-9+.\-]{0,30})://[^:/@\s'\"`]{0,128}:(?P<secret>[^@/\s'\"`]{1,256})@")
_PEM_REGION_RE = re.compile(r"""(?:[A-Za-z0-9+/=*]|\\[nr]|[\s"'`+,:]|-(?!----)){0,16384}""")  # "*": masked
_PEM_RUN_RE = re.compile(r"[A-Za-z0-9+/=]{16,}")
_PEM_DETECTOR = next(i for i, d in enumerate(DETECTORS) if d.id == "private_key")


def secret_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every secret-shaped value in ``text`` (unsorted, possibly overlapping).

    Provider shapes are taken as they are (no placeholder or shape filter: masking a look-alike costs
    nothing); the generic ``key = value`` shape and URL passwords only when the value is a literal
    (not a template or an environment read), and the generic one only when it looks random, as the
    scanner decides; for a PEM header, the key material after it (up to ``-----END`` or where the
    base64 stops). Cheap for text holding no keyword.
    """
    if "://" not in text and not _KEYWORD_RE.search(text.lower()):
        return []
    spans = _spans_in(text)
    lines = text.splitlines(keepends=True)
    if len(lines) > 1:
        # The scanner reads line by line, where a match cannot run on into the next line and hide
        # one there: scan each line too, so that whatever the scanner finds is masked here as well.
        pos = 0
        for line in lines:
            spans.extend((pos + s, pos + e) for s, e in _spans_in(line))
            pos += len(line)
    return spans


def _spans_in(text: str) -> list[tuple[int, int]]:
    woken: set[int] = set()
    for k in _KEYWORD_RE.findall(text.lower()):
        woken |= _KEYWORDS[k]
    spans: list[tuple[int, int]] = []
    for i in sorted(woken):
        det = DETECTORS[i]
        if i == _PEM_DETECTOR:
            for m in det.pattern.finditer(text):
                region = _PEM_REGION_RE.match(text, m.end())
                runs = list(_PEM_RUN_RE.finditer(text, m.end(), region.end()))
                if runs:
                    spans.append((runs[0].start(), runs[-1].end()))
            continue
        for m in det.pattern.finditer(text):
            group = "secret" if m.group("secret") is not None else "bare"
            value, start, end = m.group(group), m.start(group), m.end(group)
            if det.generic or det.id == "database_url_password":
                if _is_template(value) or _reads_environment(text, start, value):
                    continue
                if det.generic and not _looks_random(value):
                    continue
            spans.append((start, end))
    if "://" in text:
        for m in _URL_PASSWORD_RE.finditer(text):
            if not _is_template(m.group("secret")):
                spans.append(m.span("secret"))
    return spans


def scan_line(line: str, following: str | None = None, path: str | None = None) -> list[_Candidate]:
    """Every credential candidate on one line (``following``: the next line, for PEM bodies).

    ``path`` (the file the line is in) lets a key in test code that is marked fake, by its file name
    or a comment, be flagged as a placeholder.
    """
    woken: set[int] = set()
    for k in _KEYWORD_RE.findall(line.lower()):
        woken |= _KEYWORDS[k]
    if not woken:
        return []
    found: list[tuple[str, str, bool]] = []  # (detector, secret, placeholder)
    shown: list[str] = []  # every candidate value that is on this line
    taken: list[tuple[int, int]] = []  # spans claimed by provider detectors
    for i, det in enumerate(DETECTORS):
        if i not in woken:
            continue
        for m in det.pattern.finditer(line):
            group = "secret" if m.group("secret") is not None else "bare"
            value, start, end = m.group(group), m.start(group), m.end(group)
            if det.generic and any(s < end and start < e for s, e in taken):
                continue  # a provider detector already named this value
            if _is_template(value) or _reads_environment(line, start, value):
                continue
            if det.id == "private_key":
                body = _pem_body(line[end:]) or _pem_body(following)
                secret = f"{value}:{body}"
                placeholder = (not body or _has_placeholder_word(body) or _is_low_variety(body)
                               or _marked_fake(path, line, end))
                found.append((det.id, secret, placeholder))
                shown.append(body)  # (the next line's body too, should it also be on this line)
                taken.append((start, end))
                continue
            if det.generic:
                if (_has_placeholder_word(value) or _is_low_variety(value) or not _looks_random(value)
                        or _marked_fake(path, line, end)):
                    continue
                placeholder = False
            else:
                placeholder = _is_placeholder(det, value) or _marked_fake(path, line, end)
                # A placeholder is kept (flagged) even when malformed; a non-placeholder must look
                # like the real thing.
                if not placeholder and det.valid is not None and not det.valid(value):
                    continue
                taken.append((start, end))
            found.append((det.id, value, placeholder))
            shown.append(value)
    if not found:
        return []
    # One context for the line, with every candidate and every other secret-shaped value on it masked
    # (``masking.redact_line`` scrubs the whole line): a line holding two keys must show neither.
    context = masking.redact_line(line, shown)
    return [_Candidate(d, secret, placeholder, context) for d, secret, placeholder in found]


def _display_secret(c: _Candidate) -> str:
    # For a PEM key, show the body's first characters rather than the constant header.
    if c.detector == "private_key":
        return c.secret.split(":", 1)[1]
    return c.secret


def _hit(c: _Candidate, path: str, line: int | None, commit: str | None, in_tree: bool) -> SecretHit:
    return SecretHit(
        detector=c.detector,
        path=path,
        line=line,
        commit=commit,
        in_tree=in_tree,
        masked=masking.mask(_display_secret(c)),
        fingerprint=masking.fingerprint(c.secret),
        placeholder=c.placeholder,
        context=c.context,
    )


# ---------------------------------------------------------------------------------------- env files
_ENV_TEMPLATE_PARTS = frozenset({"example", "sample", "template", "dist", "tmpl", "tpl", "defaults"})


def is_env_file(path: str) -> bool:
    """``.env`` or ``.env.<something>`` that is not a template (``.env.example``, ``.env.sample``...)."""
    name = PurePosixPath(path).name
    if name == ".env":
        return True
    if not name.startswith(".env."):
        return False
    return not (set(name.lower().split(".")[2:]) & _ENV_TEMPLATE_PARTS)


# ------------------------------------------------------------------------------------------ history
_COMMIT_MARK = b"\x1fC"
_HUNK_RE = re.compile(rb"^@@+ [^+]*\+(\d+)")
_ZERO_OID = re.compile(r"^0+$")
_BROKEN_REF_RE = re.compile(r"ignoring broken ref (\S+)")

GIT_TIMEOUT = 120
"""Seconds any one of the short git commands of this module may take (streams have no limit)."""
MAX_DAMAGED_COMMITS = 100
"""Commits the history scan works around one by one after git stopped on them; past this many the
rest of the history is left unscanned (and counted)."""
FIRST_BATCH = 500
MAX_BATCH = 20_000
"""Commits per ``git log --no-walk --stdin`` once the history scan works around damage (see
``_scan_past_missing_objects``)."""
MAX_SHOWN = 5
"""Examples named in one sentence of ``limits`` or ``reason``."""


@dataclass
class _Seen:
    """Oldest sighting of one fingerprint in history."""

    when: int
    commit: str
    path: str
    line: int | None
    candidate: _Candidate


@dataclass
class _Damage:
    """What a damaged repository kept the history scan from reading."""

    head_problem: str | None = None
    """How HEAD is broken (``inspect_head``), when a reference had to be skipped for it."""
    skipped_refs: list[tuple[str, str]] = field(default_factory=list)
    """(reference, why) of the references that lead to no readable commit: left out of the scan."""
    readable_refs: int = 0
    blobs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    """Missing blob -> (commit, path) of the changes that could not be diffed for want of it."""
    commits: dict[str, str] = field(default_factory=dict)
    """Commit -> git's complaint, for commits whose changes could not be read at all."""
    handled: set[str] = field(default_factory=set)
    """Commits already scanned one by one (never fed to git again)."""
    unlisted: str | None = None
    """git's complaint when it could not walk the whole history (a missing commit)."""
    unscanned: int = 0
    """Commits left unscanned once MAX_DAMAGED_COMMITS were worked around."""

    @property
    def partial(self) -> bool:
        """Some change of the readable history was not scanned."""
        return bool(self.blobs or self.commits or self.unlisted or self.unscanned)


@dataclass
class _HistoryScan:
    checked: bool = False
    reason: str | None = None
    commits: int = 0
    introduced: dict[str, _Seen] | None = None
    env_files: dict[str, tuple[int, str]] | None = None
    """Env file path -> (time, commit) of the oldest commit that added lines to it."""
    shallow: bool = False
    missing_blobs: int = 0
    """Blobs of the history the scan could not read (absent from a partial clone, never fetched; or
    missing from a damaged copy)."""
    seen: set[str] = field(default_factory=set)
    """Commits whose header ``git log`` printed: each is counted once, however often it is re-read."""
    last: str | None = None
    """The last commit header of the current ``git log`` run (where git stopped, if it did)."""
    damage: _Damage = field(default_factory=_Damage)
    limits: list[str] = field(default_factory=list)


def _diff_path(raw: bytes) -> str | None:
    """The path of a ``+++ b/path`` header line (None for ``/dev/null``)."""
    p = raw[4:].rstrip(b"\r\n")
    if p.endswith(b"\t"):
        p = p[:-1]  # git ends the header with a tab when the path has a space
    if p.startswith(b'"') and p.endswith(b'"') and len(p) >= 2:
        try:
            p = codecs.escape_decode(p[1:-1])[0]  # git C-quotes odd paths
        except Exception:
            return None
    if not p.startswith(b"b/"):
        return None
    return p[2:].decode("utf-8", "replace")


def _vendored(path: str) -> bool:
    """Whether a path lies in a vendored or generated folder (skipped in history as in the tree)."""
    return any(p in SKIP_DIRS or p.endswith(".egg-info") for p in path.split("/")[:-1])


def _vendored_prefixes(files: FileSet, limit: int = 50) -> list[str]:
    """The vendored folders present in the tree (``node_modules``, ``web/node_modules``, ...)."""
    out: set[str] = set()
    for rel in files.skipped:
        parts = rel.split("/")
        for i, part in enumerate(parts[:-1]):
            if part in SKIP_DIRS or part.endswith(".egg-info"):
                out.add("/".join(parts[:i + 1]))
                break
    return sorted(out)[:limit]


def _history_pathspec(prefixes: list[str], excluded: Iterable[str] = ()) -> list[str]:
    # Literal prefix excludes let git skip the bulk of committed node_modules or virtualenvs cheaply.
    # Glob excludes (":(glob,exclude)**/node_modules/**") would catch every depth but cost git
    # about 14x its normal time on a 20,000-commit history; folders that only ever existed in
    # history are dropped on our side instead (_vendored), as their diffs stream past.
    # ``excluded``: paths of one damaged commit whose blob is missing.
    return ["--", "."] + [f":(literal,exclude){p}" for p in (*prefixes, *excluded)]


# ------------------------------------------------------------------------------------ git processes
def _log_args(prefixes: list[str], *revs: str, excluded: Iterable[str] = ()) -> list[str]:
    """``git log -p`` of ``revs``: only added lines (``-U0``, no context merged between hunks), the
    target's diff settings overridden where they would hide lines (no prefix, no root commit)."""
    # Blobs over the text limit are diffed as binary ("Binary files differ"), as the tree scan does
    # not read them either: a 50 MB data file must not be split into lines.
    return ["-c", "core.quotePath=false", "-c", f"core.bigFileThreshold={MAX_TEXT_BYTES}",
            "-c", "log.showRoot=true", "log", *revs, "--full-history", "-p", "--no-ext-diff", "--no-textconv",
            "--no-color", "-U0", "--inter-hunk-context=0", "--src-prefix=a/", "--dst-prefix=b/",
            "--format=%x1fC%H %ct", *_history_pathspec(prefixes, excluded)]


# ---------------------------------------------------------------------------------- the history scan
def _scan_history(root: Path, max_commits: int, progress: Progress, prefixes: list[str]) -> _HistoryScan:
    """Scan the whole history; never raises. What was found before any failure is kept."""
    result = _HistoryScan(introduced={}, env_files={})
    try:
        _scan_history_into(result, root, max_commits, progress, prefixes)
    except OSError as exc:  # git missing or not executable
        result.checked = False
        result.reason = f"history scan failed: cannot run git ({exc.strerror or exc})"
    except Exception as exc:  # an unforeseen failure: record it, keep what was found
        result.checked = False
        result.reason = f"history scan failed: {type(exc).__name__}: {str(exc).strip()[:200]}"
    result.limits = _damage_limits(result)
    return result


def _damaged(problem: str) -> str:
    """The reason for a repository git refuses (as ``collect_history`` words it)."""
    return problem if problem.startswith(NOT_OWNER) else f"the repository is damaged: {problem}"


def _refused(result: _HistoryScan, root: Path, stderr: bytes | str, state: HeadState | None = None) -> None:
    """git refused the repository before reading any commit: say why, in one complete line."""
    state = state or inspect_head(root)
    if state.status == "no-repo":
        result.reason = "not a git repository"
    elif state.status == "unreadable" and state.problem:
        result.reason = _damaged(state.problem)
    else:
        result.reason = f"history unreadable: {git_error_text(stderr)}"
    result.checked = False


def _scan_history_into(result: _HistoryScan, root: Path, max_commits: int, progress: Progress,
                       prefixes: list[str]) -> None:
    shallow = run_git(root, "rev-parse", "--is-shallow-repository")
    if shallow.returncode != 0:
        _refused(result, root, shallow.stderr)
        return
    result.shallow = is_shallow(root)

    def consume(out: Iterable[bytes]) -> bool:
        return _consume_log(out, result, max_commits, progress)

    if is_partial_clone(root):
        _scan_partial_clone(root, result, max_commits, progress, prefixes)
    else:
        # The healthy path: one streaming ``git log -p`` over the whole history.
        run = stream_git(root, _log_args(prefixes, "--all", f"--max-count={max_commits + 1}"), consume)
        capped = run.capped
        if run.failed:
            capped = _scan_damaged_history(result, run, root, max_commits, progress, prefixes)
            result.missing_blobs = len(result.damage.blobs)
        if result.reason is None:
            _conclude(result, capped, max_commits)
    if result.shallow:
        result.checked = False
        result.reason = "; ".join(filter(None, [
            f"shallow clone: only {result.commits} commits available; earlier history not checked", result.reason]))


def _conclude(result: _HistoryScan, capped: bool, max_commits: int) -> None:
    """``checked`` and ``reason`` once the history was read (as far as it could be)."""
    damage = result.damage
    if damage.partial:
        result.checked = False
        read = "history partly checked" if result.commits else "history unreadable"
        result.reason = f"{read}: {_partial_summary(damage)}"
        return
    result.checked = True
    if capped:
        result.reason = (f"history capped at the {max_commits} most recent commits; older commits not "
                         "scanned, introducing commits may be later than the true ones")
    elif damage.skipped_refs:
        result.reason = (f"the repository is damaged: {_refs_sentence(damage)}; the history of the "
                         f"{_n(damage.readable_refs, 'other reference')} was scanned")
    elif result.commits == 0:
        result.reason = "repository has no commits"


# ---------------------------------------------------------------------------- damaged repositories
def _scan_damaged_history(result: _HistoryScan, run: GitRun, root: Path, max_commits: int,
                          progress: Progress, prefixes: list[str]) -> bool:
    """git stopped reading the history: find out why and scan what can still be read.

    Before the first commit, git stops on the repository itself (refused: said and done) or on a
    reference that leads to a missing commit (the scan restarts from the readable references).
    Later, it stops on a missing object: the commit it stopped on is re-read without the paths
    whose blob is missing, and the rest of the history streams on from the next commit. Returns
    True when the commit cap was reached.
    """
    revs: list[str] = ["--all"]
    tips: list[str] | None = None
    if not result.seen:
        go_on, tips = _readable_start(result, root, run.stderr, progress)
        if not go_on:
            return False
        if tips is not None:
            revs = ["--stdin"]
            result.last = None
            run = stream_git(root, _log_args(prefixes, "--stdin", f"--max-count={max_commits + 1}"),
                              lambda out: _consume_log(out, result, max_commits, progress), tips)
            if not run.failed:
                return run.capped
    return _scan_past_missing_objects(result, run, root, revs, tips, max_commits, progress, prefixes)


def _readable_start(result: _HistoryScan, root: Path, stderr: str,
                    progress: Progress) -> tuple[bool, list[str] | None]:
    """git stopped before its first commit: why, and where to start instead.

    Returns (go on, tips): False when git refuses the repository or no reference leads to a readable
    commit (``reason`` says which); tips None when every reference is readable (the cause is
    elsewhere), else the commits of the readable ones (the others recorded in ``damage``).
    """
    damage = result.damage
    state = inspect_head(root)
    if state.status in ("unreadable", "no-repo"):
        _refused(result, root, stderr, state)
        return False, None
    tips, skipped = _readable_tips(root)
    if not skipped:
        return True, None
    damage.skipped_refs, damage.readable_refs = skipped, len(tips)
    damage.head_problem = state.problem if state.status == "broken" else None
    if not tips:
        result.checked = False
        result.reason = f"the repository is damaged: no reference leads to a readable commit ({_refs_text(damage)})"
        return False, None
    if progress is not None:
        progress(f"secrets: {_refs_sentence(damage)}; scanning the history of the {_n(len(tips), 'other')}")
    return True, tips


def _readable_tips(root: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """The commits every reference (and a detached HEAD) leads to, and the references that lead to
    no readable commit, with why. References to trees or blobs lead to no history: left out, as
    ``git log --all`` leaves them."""
    listing = run_git(root, "for-each-ref", "--format=%(objectname) %(refname)")
    skipped = [(m.group(1), "a broken reference that names no object")
               for m in _BROKEN_REF_RE.finditer(listing.stderr.decode("utf-8", "replace"))]
    if listing.returncode != 0:
        return [], skipped or [("every reference", git_error_text(listing.stderr, listing.returncode))]
    refs: list[tuple[str, str]] = []
    for line in listing.stdout.decode("utf-8", "replace").splitlines():
        sha, _, name = line.partition(" ")
        if re.fullmatch(r"[0-9a-f]{40,64}", sha) and name:
            refs.append((name, sha))
    if run_git(root, "symbolic-ref", "-q", "HEAD").returncode == 1:  # detached: HEAD is a tip of its own
        head = run_git(root, "rev-parse", "-q", "--verify", "HEAD")
        sha = head.stdout.decode("ascii", "replace").strip()
        if head.returncode == 0 and re.fullmatch(r"[0-9a-f]{40,64}", sha):
            refs.append(("HEAD", sha))
    # Two questions per reference: is its object there, and what does it peel to (a tag's target)?
    check = run_git(root, "cat-file", "--batch-check=%(objectname) %(objecttype)",
                     input="".join(f"{sha}\n{sha}^{{}}\n" for _name, sha in refs).encode())
    answers = check.stdout.decode("utf-8", "replace").splitlines()
    tips: list[str] = []
    for i, (name, sha) in enumerate(refs):
        own = answers[2 * i].split() if 2 * i < len(answers) else []
        peeled = answers[2 * i + 1].split() if 2 * i + 1 < len(answers) else []
        if len(peeled) == 2 and peeled[1] == "commit":
            if peeled[0] not in tips:
                tips.append(peeled[0])
        elif len(peeled) == 2 and peeled[1] in ("tree", "blob"):
            continue
        elif len(own) != 2 or own[1] == "missing":
            skipped.append((name, f"commit {sha[:12]} is missing from the object store"))
        else:
            skipped.append((name, f"{own[1]} {sha[:12]} leads to an object missing from the object store"))
    return tips, skipped


def _list_commits(root: Path, revs: list[str], tips: list[str] | None, max_commits: int,
                  prefixes: list[str]) -> tuple[list[str], str | None]:
    """The history's commits in ``git log`` order, and git's complaint when it could not walk all of it.

    With the scan's pathspec first (the commits ``git log`` shows); if git cannot (a missing tree),
    without it (commits only). What git listed before it stopped is kept.
    """
    best: list[str] = []
    error = None
    for pathspec in (_history_pathspec(prefixes), []):
        listed: list[str] = []

        def consume(out: Iterable[bytes], listed: list[str] = listed) -> bool:
            listed.extend(s for s in (raw.strip().decode("ascii", "replace") for raw in out) if s)
            return False

        run = stream_git(root, ["rev-list", *revs, "--full-history", f"--max-count={max_commits + 1}", *pathspec],
                          consume, tips)
        if not run.failed:
            return listed, None
        if len(listed) >= len(best):
            best, error = listed, run.error()
    return best, error


def _scan_past_missing_objects(result: _HistoryScan, run: GitRun, root: Path, revs: list[str],
                               tips: list[str] | None, max_commits: int, progress: Progress,
                               prefixes: list[str]) -> bool:
    """Scan the rest of the history after git stopped on a missing object; True when capped.

    The commit git stopped on (the last one it printed, or the first one it was given) is scanned on
    its own, around its missing blobs (``_scan_commit_around``); the commits after it stream on
    through ``git log --no-walk --stdin`` in batches (git reads a whole batch before it prints, so a
    batch is small after a stop and grows while the history reads cleanly). At most
    MAX_DAMAGED_COMMITS stops are worked around; the commits left after that are counted.
    """
    damage = result.damage
    if progress is not None:
        progress(f"secrets: git stopped reading the history ({run.error()}); scanning around the damage")
    listed, damage.unlisted = _list_commits(root, revs, tips, max_commits, prefixes)
    pending = [c for c in listed if c not in result.seen]
    index = {c: i for i, c in enumerate(pending)}
    pos, size = 0, FIRST_BATCH
    suspect = result.last
    while True:
        if suspect is not None:
            if len(damage.handled) >= MAX_DAMAGED_COMMITS:  # the suspect and every commit after it
                damage.unscanned = 1 + sum(1 for c in pending[pos:] if c not in damage.handled)
                return False
            if _scan_commit_around(result, suspect, root, max_commits, progress, prefixes):
                return True
            suspect = None
        if pos >= len(pending):
            return False
        batch = [c for c in pending[pos:pos + size] if c not in damage.handled]
        result.last = None
        run = stream_git(root, _log_args(prefixes, "--no-walk=unsorted", "--stdin"),
                          lambda out: _consume_log(out, result, max_commits, progress), batch) if batch else None
        if run is not None and run.capped:
            return True
        if run is None or not run.failed:
            pos, size = pos + size, min(size * 2, MAX_BATCH)
            continue
        suspect = result.last if result.last in index else batch[0]
        pos, size = index[suspect] + 1, FIRST_BATCH


@dataclass(frozen=True)
class _Change:
    """One file change of a commit (``git diff-tree --raw``)."""

    new_mode: str
    old: str
    new: str
    path: str
    """As git stores it, decoded with surrogateescape (turned back into the same bytes for git)."""

    @property
    def shown(self) -> str:
        return self.path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _commit_changes(root: Path, sha: str) -> tuple[int, list[_Change]] | str:
    """A commit's time and its file changes (trees only, never a blob), or git's complaint."""
    proc = run_git(root, "diff-tree", "-r", "-z", "--raw", "--no-abbrev", "--root", "--no-renames",
                    "--format=%ct", sha)
    if proc.returncode != 0:
        return git_error_text(proc.stderr, proc.returncode)
    parts = proc.stdout.split(b"\0")
    stamp = parts[0].strip() if parts else b""
    when = int(stamp) if stamp.isdigit() else 0
    changes = []
    i = 1
    while i + 1 < len(parts):
        meta = parts[i].lstrip(b"\n")
        if not meta.startswith(b":"):
            i += 1
            continue
        fields = meta[1:].decode("ascii", "replace").split()
        path = parts[i + 1].decode("utf-8", "surrogateescape")
        i += 2
        if len(fields) >= 5:
            changes.append(_Change(fields[1], fields[2], fields[3], path))
    return when, changes


def _scan_commit_around(result: _HistoryScan, sha: str, root: Path, max_commits: int, progress: Progress,
                        prefixes: list[str]) -> bool:
    """Scan one commit whose diff git could not finish; True when capped.

    ``git log -p`` of the commit alone, leaving out every path whose old or new blob the object
    store lacks (``git diff-tree --raw`` lists them without reading a blob); then the newer version
    of each such path, when present, is scanned whole (its lines dated by this commit: the older
    version that would tell which lines are new is the one missing). A commit git cannot read even
    so (a missing tree) is recorded, not scanned.
    """
    damage = result.damage
    damage.handled.add(sha)
    listed: tuple[int, list[_Change]] | str | None = None
    excluded: dict[str, _Change] = {}
    missing: set[str] = set()
    for attempt in range(2):
        result.last = None
        run = stream_git(root, _log_args(prefixes, "--no-walk", sha, excluded=list(excluded)),
                          lambda out: _consume_log(out, result, max_commits, progress))
        if not run.failed:
            if run.capped:
                return True
            break
        if attempt == 0:
            listed = _commit_changes(root, sha)
            if not isinstance(listed, str):  # every blob of its changes that the object store lacks
                missing = _absent(root, {oid for c in listed[1] for oid in (c.old, c.new) if not _ZERO_OID.match(oid)})
                for c in listed[1]:
                    for oid in (c.old, c.new):
                        if oid in missing:
                            excluded[c.path] = c
                            damage.blobs.setdefault(oid, []).append((sha, c.shown))
        if attempt == 1 or not excluded:  # not (only) missing blobs of its changes: it cannot be read
            damage.commits[sha] = run.error()
            return False
    if not excluded:
        return False
    when = listed[0] if isinstance(listed, tuple) else 0
    if sha not in result.seen:  # git printed nothing of it (every change was left out): count it here
        result.seen.add(sha)
        result.commits += 1
    env_files = result.env_files
    assert env_files is not None and result.introduced is not None
    wanted: dict[str, list[_Change]] = {}
    for c in excluded.values():
        if _ZERO_OID.match(c.new) or _vendored(c.shown):
            continue  # deleted here, or vendored: nothing of the project's own was added
        if is_env_file(c.shown):
            prev = env_files.get(c.shown)
            if prev is None or when <= prev[0]:
                env_files[c.shown] = (when, sha)
        if c.new not in missing and c.new_mode in ("100644", "100755"):
            wanted.setdefault(c.new, []).append(c)
    if wanted:
        for oid, data, _gone in read_blobs(root, [o.encode() for o in wanted], MAX_TEXT_BYTES):
            text = decode(data) if data is not None else None
            if text is None or not _KEYWORD_RE.search(text.lower()):
                continue
            for c in wanted.get(oid.decode("ascii", "replace"), []):
                _scan_text(result.introduced, text, c.shown, when, sha)
    return False


def _absent(root: Path, oids: set[str]) -> set[str]:
    """Those of ``oids`` that the object store does not hold (one ``git cat-file --batch-check``)."""
    if not oids:
        return set()
    proc = run_git(root, "cat-file", "--batch-check=%(objectname) %(objecttype)",
                    input="".join(f"{oid}\n" for oid in sorted(oids)).encode())
    found = {line.split()[0] for line in proc.stdout.decode("ascii", "replace").splitlines()
             if len(line.split()) == 2 and line.split()[1] != "missing"}
    return oids - found


def _scan_text(introduced: dict[str, _Seen], text: str, path: str, when: int, commit: str) -> None:
    """Record every secret of a whole file of history (a blob read whole, not a diff)."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if _KEYWORD_RE.search(line.lower()):
            following = lines[i + 1] if i + 1 < len(lines) else None
            _record(introduced, line, following, path, i + 1, when, commit)


# --------------------------------------------------------------------------- what the damage cost
def _n(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def _some(items: list[str], sep: str = ", ") -> str:
    """The first MAX_SHOWN of ``items``, and how many more."""
    more = len(items) - MAX_SHOWN
    return sep.join(items[:MAX_SHOWN]) + (f"{sep}and {more} more" if more > 0 else "")


def _refs_text(damage: _Damage) -> str:
    return _some([f"{name}: {why}" for name, why in damage.skipped_refs], "; ")


def _refs_sentence(damage: _Damage) -> str:
    """"1 reference leads to no readable commit (refs/heads/main: commit ... is missing ...)"."""
    n = len(damage.skipped_refs)
    return f"{_n(n, 'reference')} lead{'s' if n == 1 else ''} to no readable commit ({_refs_text(damage)})"


def _blob_examples(damage: _Damage) -> list[str]:
    out = []
    for blob, where in damage.blobs.items():
        commits = sorted({c[:12] for c, _p in where})
        paths = sorted({p for _c, p in where})
        out.append(f"blob {blob[:12]}: {_some(paths)} in {'commit' if len(commits) == 1 else 'commits'} "
                   f"{_some(commits)}")
    return out


def _partial_summary(damage: _Damage) -> str:
    """One line for ``reason``: what git could not read, the rest being scanned."""
    parts = []
    if damage.blobs:
        parts.append(f"git log failed on {_n(len(damage.blobs), 'unreadable blob')} "
                     f"({_some(_blob_examples(damage), '; ')})")
    if damage.commits:
        parts.append(f"{_n(len(damage.commits), 'commit')} could not be read "
                     f"({_some([c[:12] for c in damage.commits])})")
    if damage.unlisted:
        parts.append(f"git could not walk the whole history ({damage.unlisted})")
    if damage.unscanned:
        parts.append(f"{_n(damage.unscanned, 'commit')} not scanned after {_n(MAX_DAMAGED_COMMITS, 'damaged one')}")
    rest = "; the rest of the history was scanned" if not (damage.unscanned or damage.unlisted) else ""
    return "; ".join(parts) + rest


def _damage_limits(result: _HistoryScan) -> list[str]:
    """One sentence per kind of damage the history scan worked around, for ``SecretFacts.limits``."""
    damage = result.damage
    out = []
    if damage.skipped_refs:
        head = f"The repository is damaged: {damage.head_problem}. " if damage.head_problem else ""
        n = len(damage.skipped_refs)
        out.append(f"{head}The history scan for secrets skipped {_n(n, 'reference')} that lead{'s' if n == 1 else ''} "
                   f"to no readable commit ({_refs_text(damage)}) and scanned the history of the "
                   f"{_n(damage.readable_refs, 'readable reference')}.")
    if damage.blobs:
        n = len(damage.blobs)
        out.append(
            f"History partly checked for secrets: {_n(n, 'blob')} {'is' if n == 1 else 'are'} missing from the "
            f"object store ({_some(_blob_examples(damage), '; ')}), "
            "so those changes could not be diffed: where the newer version of the file was present it was "
            f"scanned whole instead, and every other change of the {_n(result.commits, 'commit')} read was scanned.")
    if damage.commits:
        shown = [f"{c[:12]} ({why})" for c, why in damage.commits.items()]
        out.append(f"History partly checked for secrets: {_n(len(damage.commits), 'commit')} could not be read "
                   f"and {'was' if len(damage.commits) == 1 else 'were'} not scanned: {_some(shown, '; ')}.")
    if damage.unlisted:
        out.append(f"History partly checked for secrets: git could not walk the whole history "
                   f"({damage.unlisted}); the commits it could not reach were not scanned.")
    if damage.unscanned:
        out.append(f"History partly checked for secrets: after working around "
                   f"{_n(MAX_DAMAGED_COMMITS, 'damaged commit')} the scan stopped; "
                   f"{_n(damage.unscanned, 'more commit')} "
                   f"{'was' if damage.unscanned == 1 else 'were'} not scanned (or only in part).")
    return out


def _record(introduced: dict[str, _Seen], text: str, following: str | None, path: str, line: int | None,
            when: int, commit: str) -> None:
    """Keep the oldest sighting of every secret on one line of history.

    History is read newest first, so a later sighting with the same time is the older one.
    """
    for c in scan_line(text, following, path):
        fp = masking.fingerprint(c.secret)
        seen = introduced.get(fp)
        if seen is None or when <= seen.when:
            introduced[fp] = _Seen(when, commit, path, line, c)


def _consume_log(stdout: Iterable[bytes], result: _HistoryScan, max_commits: int, progress: Progress) -> bool:
    """Walk ``git log -p`` output once; return True when more than ``max_commits`` commits exist.

    A commit already read (re-read around a damaged object) is not counted again.
    """
    introduced = result.introduced
    env_files = result.env_files
    seen = result.seen
    assert introduced is not None and env_files is not None
    commit = ""
    when = 0
    path: str | None = None
    in_hunk = False
    lineno = 0
    deferred: tuple[str, str, int] | None = None  # (text, path, line) of a PEM header awaiting its body

    def record(text: str, following: str | None, where: str, at: int) -> None:
        _record(introduced, text, following, where, at, when, commit)

    for raw in stdout:
        first = raw[:1]
        if first == b"+" and in_hunk:
            text = raw[1:].rstrip(b"\r\n").decode("utf-8", "replace")
            if deferred is not None:
                record(deferred[0], text, deferred[1], deferred[2])
                deferred = None
            if path is not None and _KEYWORD_BYTES_RE.search(raw.lower()):
                low = text.lower()
                if "private key" in low and "begin" in low:
                    deferred = (text, path, lineno)
                else:
                    record(text, None, path, lineno)
            lineno += 1
            continue
        if deferred is not None:
            record(deferred[0], None, deferred[1], deferred[2])
            deferred = None
        if first == b"-" and in_hunk:
            continue
        if first == b"@":
            m = _HUNK_RE.match(raw)
            if m:
                in_hunk = True
                lineno = int(m.group(1))
        elif raw.startswith(_COMMIT_MARK):
            head, _, ts = raw[len(_COMMIT_MARK):].strip().decode("ascii", "replace").partition(" ")
            commit, when = head, int(ts) if ts.isdigit() else 0
            path, in_hunk = None, False
            result.last = head
            if head not in seen:
                seen.add(head)
                result.commits += 1
                if result.commits > max_commits:
                    result.commits = max_commits
                    return True
                if progress is not None and result.commits % 500 == 0:
                    progress(f"secrets: scanning history ({result.commits} commits)")
        elif raw.startswith(b"diff "):
            path, in_hunk = None, False
        elif raw.startswith(b"+++ "):
            path = _diff_path(raw)
            if path is not None and _vendored(path):
                path = None
            if path is not None and is_env_file(path):
                prev = env_files.get(path)
                if prev is None or when <= prev[0]:
                    env_files[path] = (when, commit)
        # "Binary files ... differ", "index", "new file mode", "\ No newline": nothing to read.
    if deferred is not None:
        record(deferred[0], None, deferred[1], deferred[2])
    return False


# ------------------------------------------------------------------------------------ partial clones
def _missing_objects(root: Path, revs: list[str], tips: list[str] | None) -> tuple[set[bytes], GitRun]:
    """Objects reachable from the references that the local repository does not hold (never fetched)."""
    missing: set[bytes] = set()

    def consume(out: Iterable[bytes]) -> bool:
        for raw in out:
            if raw[:1] == b"?":
                missing.add(raw[1:].strip())
        return False

    return missing, stream_git(root, ["rev-list", *revs, "--objects", "--missing=print"], consume, tips)


def _raw_path(raw: bytes) -> str | None:
    p = raw.rstrip(b"\r\n")
    if p.startswith(b'"') and p.endswith(b'"') and len(p) >= 2:
        try:
            p = codecs.escape_decode(p[1:-1])[0]
        except Exception:
            return None
    return p.decode("utf-8", "replace") or None


@dataclass
class _Blob:
    """The oldest commit (in ``git log`` order) that wrote one blob, and where."""

    order: int
    when: int
    commit: str
    path: str


def _blobs_of_history(stdout: Iterable[bytes], result: _HistoryScan, max_commits: int,
                      progress: Progress) -> tuple[dict[bytes, _Blob], bool]:
    """Read ``git log --raw`` output: blob id -> its oldest writer; True when capped."""
    env_files = result.env_files
    assert env_files is not None
    blobs: dict[bytes, _Blob] = {}
    commit, when = "", 0
    for raw in stdout:
        if raw.startswith(_COMMIT_MARK):
            result.commits += 1
            if result.commits > max_commits:
                result.commits = max_commits
                return blobs, True
            head, _, ts = raw[len(_COMMIT_MARK):].strip().decode("ascii", "replace").partition(" ")
            commit, when = head, int(ts) if ts.isdigit() else 0
            if progress is not None and result.commits % 500 == 0:
                progress(f"secrets: listing history ({result.commits} commits)")
            continue
        if raw[:1] != b":":
            continue
        meta, _, rawpath = raw.partition(b"\t")
        fields = meta[1:].split()
        if len(fields) < 5 or fields[4][:1] not in (b"A", b"M", b"T"):
            continue
        path = _raw_path(rawpath)
        if path is None or _vendored(path):
            continue
        if is_env_file(path):
            prev = env_files.get(path)
            if prev is None or when <= prev[0]:
                env_files[path] = (when, commit)
        if fields[1] not in (b"100644", b"100755"):
            continue  # symlinks and submodules hold no text of the project's own
        prev_blob = blobs.get(fields[3])
        if prev_blob is None or when <= prev_blob.when:
            blobs[fields[3]] = _Blob(result.commits, when, commit, path)
    return blobs, False


def _scan_partial_clone(root: Path, result: _HistoryScan, max_commits: int, progress: Progress,
                        prefixes: list[str]) -> None:
    """History scan of a partial clone: every blob it holds, none it would have to fetch.

    ``git log -p`` would stop at the first blob the clone lacks (or fetch it from the promisor
    remote, which the offline environment forbids). Instead: list the missing objects, list every
    blob the history wrote with its oldest commit (``git log --raw``, which reads no blob), and scan
    the present blobs whole through one ``git cat-file --batch``. A secret is dated by the oldest
    present blob that holds it. Missing blobs are counted and named in ``reason``. References that
    lead to no readable commit are left out (and named), as in the full scan; a listing git cannot
    finish keeps what it listed.
    """
    introduced = result.introduced
    assert introduced is not None
    damage = result.damage
    if progress is not None:
        progress("secrets: partial clone, listing the objects it holds")
    revs: list[str] = ["--all"]
    tips: list[str] | None = None
    missing, run = _missing_objects(root, revs, tips)
    if run.failed:
        go_on, tips = _readable_start(result, root, run.stderr, progress)
        if not go_on:
            return
        if tips is not None:
            revs = ["--stdin"]
            missing, run = _missing_objects(root, revs, tips)
        # Still failing: cat-file will tell which blobs are absent.
    cmd = ["-c", "core.quotePath=false", "-c", "log.showRoot=true", "log", *revs, "--full-history", "--no-renames",
           "--raw", "--no-abbrev", f"--max-count={max_commits + 1}", "--format=%x1fC%H %ct",
           *_history_pathspec(prefixes)]
    listed: dict[bytes, _Blob] = {}

    def consume(out: Iterable[bytes]) -> bool:
        blobs, capped = _blobs_of_history(out, result, max_commits, progress)
        listed.update(blobs)
        return capped

    run = stream_git(root, cmd, consume, tips)
    capped = run.capped
    if run.failed:
        if not result.commits:
            _refused(result, root, run.stderr)
            return
        damage.unlisted = run.error()  # keep what was listed: those blobs are still scanned
    blobs = listed
    present = sorted((oid for oid in blobs if oid not in missing), key=lambda oid: blobs[oid].order)
    absent_oids = {oid for oid in blobs if oid in missing}
    scanned = 0
    for n, (oid, data, absent) in enumerate(read_blobs(root, present, MAX_TEXT_BYTES), 1):
        if absent:
            absent_oids.add(oid)
            continue
        scanned += 1
        blob = blobs.get(oid)
        text = decode(data) if blob is not None and data is not None else None
        if text is not None and _KEYWORD_RE.search(text.lower()):
            _scan_text(introduced, text, blob.path, blob.when, blob.commit)
        if progress is not None and n % 1000 == 0:
            progress(f"secrets: scanned {n} of {len(present)} blobs")
    absent = sorted(((oid, blobs[oid]) for oid in absent_oids), key=lambda kv: kv[1].order)
    result.missing_blobs = len(absent)
    scope = f"the {scanned} blob(s) it holds were scanned"
    reasons = []
    if absent:
        examples = ", ".join(f"{b.path} @ {b.commit[:10]}" for _oid, b in absent[:3])
        reasons.append(f"partial clone: {len(absent)} blob(s) of the history are not in the local repository "
                       f"and were not fetched ({examples}{', ...' if len(absent) > 3 else ''}); {scope}")
    if damage.unlisted:
        reasons.append(f"history partly checked: git could not walk the whole history ({damage.unlisted})")
    if reasons:
        result.checked = False
        result.reason = "; ".join(reasons)
    elif capped:
        result.checked = True
        result.reason = (f"history capped at the {max_commits} most recent commits (partial clone, every blob "
                         "present); older commits not scanned")
    else:
        result.checked = True
        if damage.skipped_refs:
            result.reason = (f"the repository is damaged: {_refs_sentence(damage)}; the history of the "
                             f"{_n(damage.readable_refs, 'other reference')} was scanned")


# ------------------------------------------------------------------------------------------ public
def _scan_tree(files: FileSet, progress: Progress) -> tuple[int, list[tuple[_Candidate, str, int]]]:
    scanned = 0
    out: list[tuple[_Candidate, str, int]] = []
    for f in files.files:
        text = files.read_text(f)
        if text is None:
            continue  # binary, oversize, symlink or unreadable: never read
        scanned += 1
        if not _KEYWORD_RE.search(text.lower()):
            continue
        lines = text.splitlines()
        seen: set[tuple[str, int]] = set()
        for i, line in enumerate(lines):
            for c in scan_line(line, lines[i + 1] if i + 1 < len(lines) else None, f.path):
                if (c.detector, i + 1) in seen:
                    continue  # one hit per (detector, path, line)
                seen.add((c.detector, i + 1))
                out.append((c, f.path, i + 1))
        if progress is not None and scanned % 1000 == 0:
            progress(f"secrets: scanned {scanned} files")
    return scanned, out


def _is_git_repo(root: Path) -> bool:
    return (root / ".git").exists()


def _ignored_now(root: Path, paths: list[str]) -> list[str]:
    """Those of ``paths`` (tracked files) that the ignore rules list today.

    ``git check-ignore --no-index`` answers as if the files were untracked: a ``.env`` committed
    before ``.gitignore`` named it is still tracked, and still in every clone.
    """
    if not paths:
        return []
    try:
        proc = run_git(root, "check-ignore", "--no-index", "--stdin", "-z",
                        input="".join(f"{p}\0" for p in paths).encode("utf-8", "surrogateescape"))
    except OSError:  # git missing
        return []
    if proc.returncode != 0:  # 1: none is ignored; else no answer, which is no evidence either way
        return []
    listed = {p for p in proc.stdout.decode("utf-8", "surrogateescape").split("\0") if p}
    return [p for p in paths if p in listed]


def collect_secrets(
    files: FileSet, *, history: bool = True, max_commits: int = 200_000, progress: Progress = None
) -> SecretFacts:
    """Find credentials in the working tree and, when ``history`` is set, in the whole git history.

    Every text file of ``files`` is scanned with provider-specific detectors and a low-confidence
    generic high-entropy detector; documented examples and placeholders are kept but flagged
    (``placeholder=True``), interpolations and environment reads are not reported. The history is
    read in one streaming ``git log -p`` pass (at most ``max_commits`` commits, newest first):
    secrets no longer in the tree become hits with ``in_tree=False`` and the commit that first added
    them; secrets still in the tree are given their introducing commit. Committed ``.env`` files are
    listed in ``env_files`` (templates such as ``.env.example`` are not), and those ``.gitignore``
    lists today (committed before the rule, still tracked) in ``env_files_ignored``. Keys in test
    code that are marked fake (file name or comment) are flagged as placeholders. In a partial
    clone the history scan reads the blobs the clone holds and counts the others
    (``history_missing_blobs``), never fetching them. Never raises for a broken or missing history:
    ``history_checked`` is then False and ``history_reason`` says why.

    A damaged copy loses only what git cannot read: references that lead to a missing commit are
    skipped (the others scanned, ``history_checked`` stays True), a commit whose diff needs a missing
    blob is scanned without that file (its newer version read whole where present) and the history
    streams on past it; ``history_reason`` ("history partly checked: ...") and ``limits`` name every
    blob, commit and reference that could not be read. A repository git refuses (an unknown
    extension, another owner, a garbage HEAD) gets git's complaint as one line in ``history_reason``.
    """
    if progress is not None:
        progress(f"secrets: scanning {len(files.files)} files")
    scanned, tree = _scan_tree(files, progress)
    env_files = sorted(f.path for f in files.files if is_env_file(f.path))
    env_ignored = _ignored_now(Path(files.root), env_files) if files.tracked_only else []

    hist = _HistoryScan(reason="history scan not requested")
    if history:
        if not _is_git_repo(Path(files.root)):
            hist = _HistoryScan(reason="not a git repository")
        else:
            if progress is not None:
                progress("secrets: scanning history")
            hist = _scan_history(Path(files.root), max_commits, progress, _vendored_prefixes(files))
            if progress is not None:
                progress(f"secrets: scanned history ({hist.commits} commits)")
    for limit in hist.limits:  # a damaged history is said at once, not only in the report
        if progress is not None:
            progress(f"secrets: {limit}")
    introduced = hist.introduced or {}
    # In a shallow clone the oldest available commit looks like it added everything, and in a
    # partial clone or a damaged copy the blob that first held a secret may be missing: do not date
    # tree secrets then.
    date_tree = not hist.shallow and not hist.missing_blobs and not hist.damage.partial

    hits: list[SecretHit] = []
    tree_fps: set[str] = set()
    for c, path, line in tree:
        fp = masking.fingerprint(c.secret)
        tree_fps.add(fp)
        seen = introduced.get(fp)
        hits.append(_hit(c, path, line, seen.commit if seen and date_tree else None, True))
    for fp, seen in sorted(introduced.items(), key=lambda kv: (kv[1].path, kv[1].line or 0, kv[0])):
        if fp not in tree_fps:
            hits.append(_hit(seen.candidate, seen.path, seen.line, seen.commit, False))
    # A committed .env that was later deleted: its values may be plain passwords no detector names.
    tree_paths = {f.path for f in files.files} | set(files.skipped)
    for path, (_, commit) in sorted((hist.env_files or {}).items()):
        if path not in tree_paths:
            hits.append(SecretHit(detector="env_file", path=path, commit=commit, in_tree=False,
                                  masked=masking.mask(""), fingerprint=masking.fingerprint("env_file:" + path)))

    return SecretFacts(
        files_scanned=scanned,
        history_checked=hist.checked,
        history_reason=hist.reason,
        commits_scanned=hist.commits,
        hits=hits,
        env_files=env_files,
        env_files_ignored=env_ignored,
        history_missing_blobs=hist.missing_blobs,
        limits=hist.limits,
    )

