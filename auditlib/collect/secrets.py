"""Secrets collector: credentials in the working tree and in the whole git history.

Detectors are small named records (an id, a compiled pattern, keywords for a cheap prefilter), in
the style of Yelp/detect-secrets; false-positive filters are small named predicates. A discovered
secret only ever leaves this module as ``masking.mask()`` output and ``masking.fingerprint()``, and
the line it is on only with every secret-shaped value masked (``masking.redact_line``, which
scrubs the whole line with :func:`secret_spans`).

The collector reports what it saw; it never judges severity (that is the probes' job).
"""

from __future__ import annotations

import base64
import codecs
import dataclasses
import itertools
import json
import math
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

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
from auditlib.collect.history import SHARED_FORMAT, PatchTap
from auditlib.collect.roles import is_test_path
from auditlib.models import SecretFacts, SecretHit
from auditlib.rubric import read_knowledge

Progress = Callable[[str], None] | None

__all__ = ["DETECTORS", "Detector", "collect_secrets", "is_env_file", "is_test_path", "secret_spans"]


# ------------------------------------------------------------------------------------------ detectors
@dataclass(frozen=True)
class Detector:
    """One kind of credential: an id, a pattern whose ``secret`` group is the credential, keywords.

    A line is only matched against ``pattern`` when it contains one of ``keywords`` (lower case),
    which keeps the history scan cheap: most added lines contain none of them. Provider detectors are
    read from ``checklists/secrets.yaml`` (:func:`load_provider_detectors`); the few that need code
    (PEM keys, URL passwords, ``.env`` values, config passwords, the generic guess) are defined here.
    """

    id: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]
    generic: bool = False
    """Low-confidence detector: placeholders are dropped rather than flagged."""
    valid: Callable[[str], bool] | None = None
    """Extra shape check on the secret (rejects matches that merely look alike)."""
    shape: re.Pattern[str] | None = None
    """The documented format (full match): a value that fails it is kept at low confidence."""
    check: Callable[[str], bool | str | None] | None = None
    """A named check (checksum, JWT claims): True validated, False failed (kept at low confidence),
    ``"placeholder"`` a documented example, None not a credential of this kind at all (dropped)."""
    confidence: str = "high"
    """``high`` for a provider format, ``medium`` for a secret name with a key-shaped value."""
    path_filter: Callable[[str], bool] | None = None
    """Only for lines of files whose path passes (``.env`` files, config files); never without a path."""


def _not_kebab_words(secret: str) -> bool:
    # "sk-your-openai-key-here" and "sk-learn-compatible-2" are words, not keys: real key bodies are
    # random base62/base64url and always mix upper case with lower case or digits.
    body = _strip_prefix(secret)
    return any(c.isupper() for c in body) and any(c.islower() or c.isdigit() for c in body)


_B = r"(?<![A-Za-z0-9_\-])"  # left boundary that, unlike \b, also refuses "-" and "_"
_E = r"(?![A-Za-z0-9_\-])"
_ASSIGN = r"""["']?\s{0,5}(?:=>|:=|=|:)\s{0,5}"""

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def github_checksum(random_part: str) -> str:
    """The 6-character checksum GitHub appends to the 30 random characters of its ``gh?_`` tokens:
    CRC32 of the random part, in base62, left-padded with ``0``."""
    n = zlib.crc32(random_part.encode("ascii", "replace"))
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = _BASE62[r] + out
    return out.rjust(6, "0")


def _github_crc32(secret: str) -> bool | None:
    """``gh[pousr]_`` + 30 random + 6 checksum characters: whether the checksum holds (fine-grained
    ``github_pat_`` tokens are checked by shape only)."""
    if not re.fullmatch(r"gh[pousr]_[A-Za-z0-9]{36}", secret):
        return secret.startswith("github_pat_")
    body = secret[4:]
    return github_checksum(body[:30]) == body[30:]


def _jwt_payload(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    pad = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(pad.encode("ascii")))
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None


def _supabase_service_role(token: str) -> bool | str | None:
    """A Supabase service-role JWT (bypasses row-level security); the local development stack's
    well-known demo keys are placeholders. Anything else (an anon key, public by design; another
    JWT) is not this credential."""
    payload = _jwt_payload(token)
    if payload is None or payload.get("role") != "service_role":
        return None
    return "placeholder" if payload.get("iss") == "supabase-demo" else True


def _public_jwt(token: str) -> bool:
    """A JWT that is public by design: a Supabase anon key, or the local stack's demo keys."""
    payload = _jwt_payload(token)
    return payload is not None and (payload.get("role") == "anon" or payload.get("iss") == "supabase-demo")


_CHECKS: dict[str, Callable[[str], bool | str | None]] = {
    "github_crc32": _github_crc32,
    "supabase_service_role": _supabase_service_role,
}
_VALIDS: dict[str, Callable[[str], bool]] = {"kebab": _not_kebab_words}


def load_provider_detectors(path: Path | None = None) -> tuple[Detector, ...]:
    """The provider detectors of ``checklists/secrets.yaml`` (or the rubric folder's copy)."""
    from auditlib.rubric import knowledge_file

    data = read_knowledge(path or knowledge_file("secrets.yaml")) or {}
    out = []
    for entry in data.get("providers") or []:
        if "token" in entry:
            token = entry["token"]
            if token.startswith("https://"):
                pattern = f"(?P<secret>{token})"
            else:
                pattern = f"{_B}(?P<secret>{token}){_E}"
        else:
            pattern = (f"(?i:{entry['name']})[A-Za-z0-9_\\-.]{{0,30}}{_ASSIGN}"
                       f"""[rbuf]?["'`]?(?P<secret>{entry['value']})(?![A-Za-z0-9_\\-])""")
        out.append(Detector(
            id=entry["id"],
            pattern=re.compile(pattern),
            keywords=tuple(k.lower() for k in entry["keywords"]),
            valid=_VALIDS["kebab"] if entry.get("kebab") else None,
            shape=re.compile(entry["shape"]) if entry.get("shape") else None,
            check=_CHECKS[entry["check"]] if entry.get("check") else None,
            confidence=entry.get("confidence", "high"),
        ))
    return tuple(out)


def load_public(path: Path | None = None) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None,
                                                 tuple[tuple[frozenset[str], re.Pattern[str], re.Pattern[str]], ...]]:
    """``public`` of ``checklists/secrets.yaml``: (env names, values, configs) public by design."""
    from auditlib.rubric import knowledge_file

    data = read_knowledge(path or knowledge_file("secrets.yaml")) or {}
    pub = data.get("public") or {}
    configs = tuple((frozenset(c.get("detectors") or ()), re.compile(c["line"]), re.compile(c["file"]))
                    for c in pub.get("configs") or ())
    return (re.compile(pub["env_names"]) if pub.get("env_names") else None,
            re.compile(pub["values"]) if pub.get("values") else None, configs)


_PUBLIC_NAMES, _PUBLIC_VALUES, _PUBLIC_CONFIGS = load_public()


def _public_value(value: str, name: str | None = None) -> bool:
    """A value public by design (a publishable key, an OAuth client id), or any value of a public name."""
    return bool((_PUBLIC_VALUES is not None and _PUBLIC_VALUES.fullmatch(value))
                or (name and _PUBLIC_NAMES is not None and _PUBLIC_NAMES.search(name)))


def public_in_file(detector: str, line: str, text: str) -> bool:
    """A provider key that this file's configuration makes public (a Firebase web config's apiKey)."""
    return any(detector in dets and rx_line.search(line) and rx_file.search(text)
               for dets, rx_line, rx_file in _PUBLIC_CONFIGS)


# ------------------------------------------------------------------------ detectors that need code
_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_SECRET_NAME_RE = re.compile(r"(?i:key|secret|token|passw(?:or)?d|passwd|pwd|credential|auth|sid)")
_CONFIG_NAME_RE = re.compile(
    r"(?i)(?:^|/)(?:[^/]*(?:config|settings|secret|credential|database|db)[^/]*|[^/]*\.(?:ini|cfg|conf|toml|properties))$"
)
GENERIC_MIN_LENGTH = 24
"""Shortest value the generic high-entropy detector reports (issue 9: it fired on short strings)."""
ENV_VALUE_MIN_LENGTH = 16
"""Shortest ``*_KEY``/``*_SECRET``/``*_TOKEN`` value of a committed ``.env`` that is reported."""


def _is_config_file(path: str) -> bool:
    """A configuration file by its name (``config.py``, ``database.yml``, ``settings.json``, ``.ini``)."""
    return not is_test_path(path) and bool(_CONFIG_NAME_RE.search(path.lower()))


_CODE_DETECTORS: tuple[Detector, ...] = (
    Detector(
        "private_key",
        re.compile(r"(?P<secret>-----BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----)"),
        ("private key",),
    ),
    Detector(
        "database_url_password",
        re.compile(
            r"(?i:\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?)(?:\+[a-z0-9]+)?)"
            r"://(?P<user>[^:/@\s'\"`]{0,128}):(?P<secret>[^@/\s'\"`]{1,256})@(?P<host>[^\s'\"`:/?]+)"
        ),
        ("postgres", "mysql", "mariadb", "mongodb", "redis", "amqp"),
        confidence="high",
    ),
    Detector(
        # Any *_KEY / *_SECRET / *_TOKEN / *_PASSWORD value of key-like shape in a committed .env file
        # (a Deepgram key under a generic name, a Twilio auth token): the name says it is a secret.
        "env_file_value",
        re.compile(r"^\s*(?:export\s+)?(?P<name>" + _ENV_NAME + r")\s*=\s*(?P<q>[\"']?)(?P<secret>[^\s\"'#]+)(?P=q)\s*(?:#.*)?$"),
        ("key", "secret", "token", "pass", "pwd", "credential", "auth", "sid"),
        confidence="medium",
        path_filter=lambda p: is_env_file(p),
    ),
    Detector(
        # A literal password in a configuration file (``'password': 'S3cr...'``, ``DB_PASSWORD = "..."``),
        # reported only when the file also names a host that is not local (see _public_host).
        "config_password",
        re.compile(
            r"""(?i:(?:db|database|mysql|postgres|pg|sql|root|admin|smtp|mail|redis)?[_\-.]?(?:passw(?:or)?d|passwd|pwd))"""
            r"""["']?\s{0,5}(?:=>|:=|=|:)\s{0,5}[rbuf]?(?P<q>["'`])(?P<secret>[^"'`\s]{6,128})(?P=q)"""
        ),
        ("pass", "pwd"),
        confidence="medium",
        path_filter=_is_config_file,
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
        confidence="low",
    ),
)

DETECTORS: tuple[Detector, ...] = load_provider_detectors() + _CODE_DETECTORS


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


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex matching any of ``words`` (none a prefix of another), shaped as a trie: at each position
    the engine branches on the next character once instead of trying every word in turn (twice as
    fast as a plain alternation over source text)."""
    trie: dict[str, Any] = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(k for k in node if k)]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 and "" not in node else "(?:" + "|".join(alts) + ")"
        return body + ("?" if "" in node else "")

    return build(trie)


_KEYWORDS = _keyword_index()  # folded: no keyword contains (so none prefixes) another
# Matching lower-cased text without re.I is several times faster than a case-insensitive search.
_KEYWORD_RE = re.compile(_trie_pattern(_KEYWORDS))
_KEYWORD_BYTES_RE = re.compile(_KEYWORD_RE.pattern.encode())

_PREFIX_RE = re.compile(
    r"^(?:sk-ant-(?:api\d\d-|admin\d\d-)?|sk-(?:proj-|svcacct-|admin-|None-)?|AKIA|ASIA|gh[pousr]_|"
    r"github_pat_|[sr]k_live_|xox[baprs]-|AIza|gsk_|xai-|hf_|r8_|pplx-|tgp_v1_|lsv2_(?:pt|sk)_|sk_|pcsk_|"
    r"sb_secret_|SG\.|key-)"
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
# the last: a Python f-string or str.format slot, also with an index, a call or a format spec
# (``{p[1]}``, ``{rand(16)}``, ``{cfg.password!r}``)
_TEMPLATE_RE = re.compile(r"\$\{[^}]*\}|\{\{.*?\}\}|<[^<>]+>|%\([^)]*\)s|%s|\{[A-Za-z_][\w.\[\]()'\", !:-]*\}")
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
    for a, b in zip(low, low[1:], strict=False):
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


_LOCAL_HOST_RE = re.compile(
    r"^(?:localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|::1|host\.docker\.internal|[a-z0-9_\-]+|.*\.(?:local|localhost|internal|test|example|invalid)|(?:.*\.)?example\.(?:com|org|net))$",
    re.IGNORECASE,
)
_PRIVATE_IP_RE = re.compile(r"^(?:10\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.)")
_WORDY_PASSWORD_RE = re.compile(r"^[a-z]+\d{0,4}$")


def _is_local_host(host: str) -> bool:
    """``localhost``, a loopback or private address, a single-label name (a compose service such as
    ``db``) or a reserved example/test domain: not reachable from outside."""
    host = host.strip("[]").lower()
    return bool(_LOCAL_HOST_RE.match(host) or _PRIVATE_IP_RE.match(host))


def _url_password_placeholder(user: str | None, password: str, host: str | None) -> bool:
    """A connection-URL password that is a stand-in: the user name again (``langchain:langchain``),
    a default word, or a plain word (``somepassword``) for a database on the developer's machine."""
    low = password.lower()
    if low in _DEFAULT_PASSWORDS or (user and low == user.lower()):
        return True
    return bool(host and _is_local_host(host) and _WORDY_PASSWORD_RE.match(password))


_IDENTIFIER_RUN_RE = re.compile(r"[A-Z][A-Z0-9]{2,}_[A-Z][A-Z0-9_]{2,}")
_INNER_ASSIGN_RE = re.compile(r"[=:](?!=*$)")


def _generic_shape_ok(value: str) -> bool:
    """What the generic detector may report: long enough (GENERIC_MIN_LENGTH), not text run together
    (``LANGCHAIN_API_KEY=...`` inside a search index: constant names, inner ``=``/``:``), not a JWT that
    is public by design."""
    if len(value) < GENERIC_MIN_LENGTH:
        return False
    if _IDENTIFIER_RUN_RE.search(value) or _INNER_ASSIGN_RE.search(value):
        return False
    return not (value.startswith("eyJ") and _public_jwt(value))


def _key_like(value: str) -> bool:
    """A value of a key's shape for a secret name in ``.env``: long, no spaces, random-looking (hex,
    or letters mixed with digits), not a URL, a path, a number or a word list."""
    if len(value) < ENV_VALUE_MIN_LENGTH or "://" in value or value.startswith(("/", "./", "~")):
        return False
    if value.isdigit() or value.lower() in ("true", "false", "none", "null"):
        return False
    if value.startswith("eyJ") and _public_jwt(value):
        return False
    if _IDENTIFIER_RUN_RE.search(value):
        return False
    if not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    entropy = shannon_entropy(value)
    return entropy >= (3.0 if _HEX_RE.match(value) else 3.5)


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
    confidence: str = "high"
    shape_ok: bool | None = None
    """False: a provider prefix whose documented shape or checksum failed (see Detector.shape)."""
    needs_host: bool = False
    """A config password: reported only when its file names a host that is not local."""


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
        if det.path_filter is not None:
            continue  # path-bound (.env values, config passwords): the scanner masks what it found
        if i == _PEM_DETECTOR:
            for m in det.pattern.finditer(text):
                region = _PEM_REGION_RE.match(text, m.end())
                assert region is not None  # the pattern matches the empty string
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


LONG_LINE = 4_000
"""Lines longer than this (minified bundles, one-line JSON) are read in windows around their keywords."""
WINDOW = 600
"""Characters kept on each side of a keyword in a long line: more than any key and its assignment."""


def _windows(line: str) -> list[tuple[int, int]]:
    """The spans of a long line around its keywords, overlapping ones merged."""
    spans: list[tuple[int, int]] = []
    for m in _KEYWORD_RE.finditer(line.lower()):
        a, b = max(0, m.start() - WINDOW), min(len(line), m.end() + WINDOW)
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
        else:
            spans.append((a, b))
    return spans


def scan_line(line: str, following: str | None = None, path: str | None = None) -> list[_Candidate]:
    """Every credential candidate on one line (``following``: the next line, for PEM bodies).

    ``path`` (the file the line is in) lets a key in test code that is marked fake, by its file name
    or a comment, be flagged as a placeholder. A line over ``LONG_LINE`` characters is read in windows
    around its keywords (each window is then the context): the detectors' patterns run on a few
    hundred characters instead of megabytes of a minified bundle (measured: 16 s for one prototype's
    history of bundles, under 1 s this way).
    """
    if len(line) <= LONG_LINE:
        return _scan_line(line, following, path)
    found: dict[tuple[str, str], _Candidate] = {}
    for a, b in _windows(line):
        # a dense stretch of keywords merges into one long span: read it in overlapping pieces
        for start in range(a, b, LONG_LINE - WINDOW):
            end = min(b, start + LONG_LINE)
            for c in _scan_line(line[start:end], following if end == len(line) else None, path):
                found.setdefault((c.detector, c.secret), c)
            if end == b:
                break
    return list(found.values())


def _scan_line(line: str, following: str | None, path: str | None) -> list[_Candidate]:
    woken: set[int] = set()
    for k in _KEYWORD_RE.findall(line.lower()):
        woken |= _KEYWORDS[k]
    if not woken:
        return []
    found: list[_Candidate] = []  # with an empty context, set below
    shown: list[str] = []  # every candidate value that is on this line
    taken: list[tuple[int, int]] = []  # spans claimed by an earlier (more specific) detector
    for i, det in enumerate(DETECTORS):
        if i not in woken:
            continue
        if det.path_filter is not None and (path is None or not det.path_filter(path)):
            continue
        for m in det.pattern.finditer(line):
            group = "secret" if m.group("secret") is not None else "bare"
            value, start, end = m.group(group), m.start(group), m.end(group)
            if any(s < end and start < e for s, e in taken):
                continue  # a more specific detector already named this value
            if _is_template(value) or _reads_environment(line, start, value):
                continue
            if det.id == "private_key":
                body = _pem_body(line[end:]) or _pem_body(following)
                secret = f"{value}:{body}"
                placeholder = (not body or _has_placeholder_word(body) or len(set(body)) <= 8
                               or _marked_fake(path, line, end))
                found.append(_Candidate(det.id, secret, placeholder, "", "high"))
                shown.append(body)  # (the next line's body too, should it also be on this line)
                taken.append((start, end))
                continue
            candidate = _judge(det, m, value, line, end, path)
            if candidate is None:
                continue
            if candidate == "public":  # public by design (a Supabase anon key): nobody reports it
                taken.append((start, end))
                continue
            if not det.generic:
                taken.append((start, end))
            found.append(candidate)
            shown.append(value)
    if not found:
        return []
    # One context for the line, with every candidate and every other secret-shaped value on it masked
    # (``masking.redact_line`` scrubs the whole line): a line holding two keys must show neither.
    context = masking.redact_line(line, shown)
    return [dataclasses.replace(c, context=context) for c in found]


def _judge(det: Detector, m: re.Match[str], value: str, line: str, end: int,
           path: str | None) -> _Candidate | Literal["public"] | None:
    """What one match of ``det`` is: a candidate (placeholder or not, with its confidence), ``"public"``
    (a value public by design, which no other detector may report either) or None (not a secret)."""
    if (det.generic or det.id == "env_file_value") and _public_value(
            value, m.group("name") if det.id == "env_file_value" else None):
        return "public"  # a publishable key, an OAuth client id: nobody reports it
    if det.generic:
        if (_has_placeholder_word(value) or _is_low_variety(value) or not _looks_random(value)
                or not _generic_shape_ok(value) or _marked_fake(path, line, end)):
            return None
        return _Candidate(det.id, value, False, "", "low")
    if det.id == "env_file_value":
        if not _SECRET_NAME_RE.search(m.group("name")) or not _key_like(value):
            return None
        if _has_placeholder_word(value) or _is_low_variety(value):
            return None  # names-only .env lines are graded by the env-file rule, not here
        return _Candidate(det.id, value, False, "", "medium")
    if det.id == "config_password":
        low = value.lower()
        if (_has_placeholder_word(value) or low in _DEFAULT_PASSWORDS or "pass" in low or "secret" in low
                or _is_low_variety(value) or _marked_fake(path, line, end)):
            return None
        return _Candidate(det.id, value, False, "", "medium", needs_host=True)
    placeholder = _is_placeholder(det, value) or _marked_fake(path, line, end)
    if det.id == "database_url_password" and not placeholder:
        placeholder = _url_password_placeholder(m.group("user"), value, m.group("host"))
    shape_ok: bool | None = None
    if det.check is not None:
        verdict = det.check(value)
        if verdict is None:
            return "public" if value.startswith("eyJ") and _public_jwt(value) else None
        if verdict == "placeholder":
            placeholder, verdict = True, True
        shape_ok = bool(verdict)
    if det.shape is not None:
        shape_ok = bool(det.shape.fullmatch(value)) and shape_ok is not False
    # A placeholder is kept (flagged) even when malformed; a non-placeholder must look like the real
    # thing.
    if not placeholder and det.valid is not None and not det.valid(value):
        return None
    confidence = det.confidence if shape_ok is not False else "low"
    return _Candidate(det.id, value, placeholder, "", confidence, shape_ok)


def _display_secret(c: _Candidate) -> str:
    # For a PEM key, show the body's first characters rather than the constant header.
    if c.detector == "private_key":
        return c.secret.split(":", 1)[1]
    return c.secret


def _hit(c: _Candidate, path: str, line: int | None, commit: str | None, in_tree: bool,
         seen_in: list[str] | None = None, commits: list[str] | None = None) -> SecretHit:
    return SecretHit(
        confidence=c.confidence,  # type: ignore[arg-type]
        shape_checked=c.shape_ok,
        seen_in=seen_in or [],
        commits=commits or [],
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
    """``.env`` or ``.env.<something>`` that is not a template (``.env.example``, ``.env.sample``...).
    Asked for every file of every commit of the history scan: plain string work, no path object."""
    name = path.rstrip("/").rsplit("/", 1)[-1]
    if name == ".env":
        return True
    if not name.startswith(".env."):
        return False
    return not (set(name.lower().split(".")[2:]) & _ENV_TEMPLATE_PARTS)


# ------------------------------------------------------------------------------------------ history
_COMMIT_MARK = b"\x1fC"
_HUNK_RE = re.compile(rb"@@+ [^+]*\+(\d+)")  # matched at a line's start (``match(patch, pos)``)
_BLOCK_BYTES = 1 << 20
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
    """Oldest sighting of one fingerprint in history, and every other one."""

    when: int
    commit: str
    path: str
    line: int | None
    candidate: _Candidate
    sightings: dict[tuple[str, str], tuple[int, int, int | None]] = field(default_factory=dict)
    """(path, commit) -> (time, minus the read order, line) of every commit that added the secret to a
    file."""


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
def _log_args(prefixes: list[str], *revs: str, excluded: Iterable[str] = (), shared: bool = False) -> list[str]:
    """``git log -p`` of ``revs``: only added lines (``-U0``, no context merged between hunks), the
    target's diff settings overridden where they would hide lines (no prefix, no root commit).
    ``shared``: the history collector reads the same stream (``history.PatchTap``): its commit fields
    are added to each header, renames are followed as it follows them (``-M``)."""
    # Blobs over the text limit are diffed as binary ("Binary files differ"), as the tree scan does
    # not read them either: a 50 MB data file must not be split into lines.
    return ["-c", "core.quotePath=false", "-c", f"core.bigFileThreshold={MAX_TEXT_BYTES}",
            "-c", "log.showRoot=true", "log", *revs, "--full-history", "-p", "--no-ext-diff", "--no-textconv",
            "--no-color", "-U0", "--inter-hunk-context=0", "--src-prefix=a/", "--dst-prefix=b/",
            "--no-show-signature", *(["-M", "--encoding=UTF-8"] if shared else []),
            "--format=%x1fC%H %ct" + (SHARED_FORMAT if shared else ""),
            # shared: no pathspec at all, which would drop commits without changes from the walk
            *([] if shared and not prefixes and not excluded else _history_pathspec(prefixes, excluded))]


# ---------------------------------------------------------------------------------- the history scan
def _scan_history(root: Path, max_commits: int, progress: Progress, prefixes: list[str],
                  tap: PatchTap | None = None) -> _HistoryScan:
    """Scan the whole history; never raises. What was found before any failure is kept. ``tap``: the
    history collector's reader of the same stream (see ``collect_secrets``)."""
    result = _HistoryScan(introduced={}, env_files={})
    try:
        _scan_history_into(result, root, max_commits, progress, prefixes, tap)
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
                       prefixes: list[str], tap: PatchTap | None = None) -> None:
    # The history collector shares the healthy pass only: one walk of every commit, nothing left out
    # by a pathspec (a commit touching only excluded folders would vanish from its counts).
    shared = tap if tap is not None and not prefixes and not is_partial_clone(root) else None
    if tap is not None:
        tap.valid = False  # until the shared pass is read whole
    shallow = run_git(root, "rev-parse", "--is-shallow-repository")
    if shallow.returncode != 0:
        _refused(result, root, shallow.stderr)
        return
    result.shallow = is_shallow(root)

    def consume(out: Iterable[bytes]) -> bool:
        return _consume_log(out, result, max_commits, progress, shared)

    if is_partial_clone(root):
        _scan_partial_clone(root, result, max_commits, progress, prefixes)
    else:
        # The healthy path: one streaming ``git log -p`` over the whole history.
        run = stream_git(root, _log_args(prefixes, "--all", f"--max-count={max_commits + 1}",
                                         shared=shared is not None), consume)
        capped = run.capped
        if shared is not None and not run.failed and not capped:
            shared.valid = True
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
        batch_run = stream_git(root, _log_args(prefixes, "--no-walk=unsorted", "--stdin"),
                               lambda out: _consume_log(out, result, max_commits, progress), batch) if batch else None
        if batch_run is not None and batch_run.capped:
            return True
        if batch_run is None or not batch_run.failed:
            pos, size = pos + size, min(size * 2, MAX_BATCH)
            continue
        stop = result.last if result.last is not None and result.last in index else batch[0]
        suspect = stop
        pos, size = index[stop] + 1, FIRST_BATCH


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
        for raw_oid, content, _gone in read_blobs(root, [o.encode() for o in wanted], MAX_TEXT_BYTES):
            text = decode(content) if content is not None else None
            if text is None or not _KEYWORD_RE.search(text.lower()):
                continue
            for c in wanted.get(raw_oid.decode("ascii", "replace"), []):
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
            introduced[fp] = _Seen(when, commit, path, line, c, seen.sightings if seen is not None else {})
        # read order breaks ties of time: history is read newest first
        introduced[fp].sightings.setdefault((path, commit), (when, -len(introduced[fp].sightings), line))


def _log_blocks(stdout: Iterable[bytes]) -> Iterator[bytes]:
    """``git log`` output in blocks of whole records: each block starts at a commit header or a
    ``diff`` line and ends where the next one starts (or at the end of the stream). A block is read
    a megabyte at a time and grows past that only for one file's diff bigger than it (bounded by the
    text limit: larger files are diffed as binary)."""
    read = getattr(stdout, "read1", None)
    chunks: Iterable[bytes] = iter(lambda: read(_BLOCK_BYTES), b"") if read is not None else stdout
    pending: list[bytes] = []  # whole lines not yet handed out, starting at a record
    rest = b""  # the unfinished last line of what was read
    for chunk in chunks:
        data = rest + chunk if rest else chunk
        end = data.rfind(b"\n") + 1
        rest = data[end:]
        if not end:
            continue
        lines = data[:end] if end < len(data) else data
        cut = max(lines.rfind(b"\n" + _COMMIT_MARK), lines.rfind(b"\ndiff ")) + 1
        if cut > 0:
            pending.append(lines[:cut])
            yield b"".join(pending)
            pending = [lines[cut:]]
        elif lines.startswith((_COMMIT_MARK, b"diff ")) and pending:
            yield b"".join(pending)
            pending = [lines]
        else:
            pending.append(lines)
    if rest:
        pending.append(rest + b"\n")
    if pending:
        yield b"".join(pending)


def _record_starts(block: bytes) -> list[int]:
    """Where the records of a block start (commit headers, ``diff`` lines), in order; 0 first."""
    out = [0]
    for mark in (b"\ndiff ", b"\n" + _COMMIT_MARK):
        i = block.find(mark)
        while i >= 0:
            out.append(i + 1)
            i = block.find(mark, i + 1)
    out.sort()
    return out


def _consume_log(stdout: Iterable[bytes], result: _HistoryScan, max_commits: int, progress: Progress,
                 tap: PatchTap | None = None) -> bool:
    """Walk ``git log -p`` output once; return True when more than ``max_commits`` commits exist.

    A commit already read (re-read around a damaged object) is not counted again. ``tap`` is handed
    every commit header, ``diff`` line and extended header, and each file's counts of added and removed
    lines, for the history collector.

    The patch is read a block of whole records at a time, not line by line: a file's extended headers
    (up to its first ``@@`` hunk header) are read line by line, its patch lines only by C-level
    searches: the keyword prefilter over the lower-cased patch finds the added lines to decode and scan
    (a line's number is its hunk's start plus the added lines before it in that hunk), and the added
    and removed lines are counted, not visited (with ``-U0`` they are what ``--numstat`` counts).
    """
    introduced = result.introduced
    env_files = result.env_files
    seen = result.seen
    assert introduced is not None and env_files is not None
    commit = ""
    when = 0
    for block in _log_blocks(stdout):
        starts = _record_starts(block)
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(block)
            eol = block.find(b"\n", start, end)
            eol = end if eol < 0 else eol + 1
            first = block[start:eol]
            if first.startswith(_COMMIT_MARK):
                line = first[len(_COMMIT_MARK):]
                if tap is not None:
                    tap.commit(line)
                head, _, ts = line.split(b"\x1f", 1)[0].strip().decode("ascii", "replace").partition(" ")
                commit, when = head, int(ts) if ts.isdigit() else 0
                result.last = head
                if head not in seen:
                    seen.add(head)
                    result.commits += 1
                    if result.commits > max_commits:
                        result.commits = max_commits
                        return True
                    if progress is not None and result.commits % 500 == 0:
                        progress(f"secrets: scanning history ({result.commits} commits)")
                continue  # the blank line after the header: nothing to read
            path: str | None = None
            headers_from = start
            if first.startswith(b"diff "):
                headers_from = eol
                if tap is not None:
                    tap.file(first)
            hunks = block.find(b"\n@@", headers_from - 1, end)
            patch = hunks + 1 if hunks >= 0 else end
            for raw in block[headers_from:patch].split(b"\n")[:-1]:  # whole lines: the last piece is empty
                if raw.startswith(b"index "):
                    continue  # blob ids: nothing to read
                if raw.startswith(b"+++ "):
                    if tap is not None:
                        tap.header(raw)
                    path = _diff_path(raw)
                    if path is not None and _vendored(path):
                        path = None
                    if path is not None and is_env_file(path):
                        prev = env_files.get(path)
                        if prev is None or when <= prev[0]:
                            env_files[path] = (when, commit)
                elif tap is not None:  # "--- a/...", "rename from/to", "Binary files ... differ", "index"
                    tap.header(raw)
            if patch >= end:
                continue
            if tap is not None:
                tap.lines(block.count(b"\n+", patch - 1, end), block.count(b"\n-", patch - 1, end))
            if path is not None:
                _scan_patch(block[patch:end], path, introduced, when, commit)
    return False


def _scan_patch(patch: bytes, path: str, introduced: dict[str, _Seen], when: int, commit: str) -> None:
    """Scan the added lines of one file's patch (``@@`` hunks without context) that hold a secret keyword.

    With ``-U0`` a hunk is one change: its removed lines, then its added ones. The keyword prefilter
    runs from each hunk's first added line to the hunk's end, over the lower-cased patch; a line's
    number is its hunk's start plus the added lines before it."""
    low = patch.lower()
    find, search = low.find, _KEYWORD_BYTES_RE.search
    n = len(patch)
    h = 0  # the patch starts at its first hunk header
    while h < n:
        nxt = find(b"\n@@", h + 2)
        end = nxt + 1 if nxt >= 0 else n
        plus = find(b"\n+", h, end)  # the newline before the hunk's first added line
        m = search(low, plus + 1, end) if plus >= 0 else None
        header = _HUNK_RE.match(patch, h) if m is not None else None
        while m is not None and header is not None:
            ls = low.rfind(b"\n", 0, m.start()) + 1
            le = find(b"\n", m.start(), end)
            le = end if le < 0 else le
            if patch[ls:ls + 1] == b"+":  # an added line (not a "\\ No newline" note)
                text = patch[ls + 1:le].rstrip(b"\r\n").decode("utf-8", "replace")
                following = None
                lowtext = text.lower()
                if "private key" in lowtext and "begin" in lowtext and patch[le + 1:le + 2] == b"+":
                    nl = find(b"\n", le + 1, end)
                    following = patch[le + 2:end if nl < 0 else nl].rstrip(b"\r\n").decode("utf-8", "replace")
                lineno = int(header.group(1)) + low.count(b"\n+", plus, ls)
                _record(introduced, text, following, path, lineno, when, commit)
            m = search(low, le, end)  # one scan a line, however many keywords it holds
        h = end


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
    for n, (oid, data, is_absent) in enumerate(read_blobs(root, present, MAX_TEXT_BYTES), 1):
        if is_absent:
            absent_oids.add(oid)
            continue
        scanned += 1
        blob = blobs.get(oid)
        text = decode(data) if blob is not None and data is not None else None
        if blob is not None and text is not None and _KEYWORD_RE.search(text.lower()):
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
def _scan_tree(files: FileSet, progress: Progress) -> tuple[int, list[tuple[_Candidate, str, int]], set[str]]:
    """(files read, candidates with their place, fingerprints of keys public by design in their file)."""
    scanned = 0
    out: list[tuple[_Candidate, str, int]] = []
    public: set[str] = set()
    for f in files.files:
        text = files.read_text(f)
        if text is None:
            continue  # binary, oversize, symlink or unreadable: never read
        scanned += 1
        low = text.lower()
        if not _KEYWORD_RE.search(low):
            continue
        lines = text.splitlines()
        # only lines with a keyword can hold a candidate (scan_line finds nothing on the others):
        # the lower-cased lines are tested here, without a call per line
        low_lines = low.splitlines()
        keyword = _KEYWORD_RE.search if len(low_lines) == len(lines) else None
        seen: set[tuple[str, int]] = set()
        public_host: bool | None = None
        for i, line in enumerate(lines):
            if keyword is not None and not keyword(low_lines[i]):
                continue
            for c in scan_line(line, lines[i + 1] if i + 1 < len(lines) else None, f.path):
                if (c.detector, i + 1) in seen:
                    continue  # one hit per (detector, path, line)
                if public_in_file(c.detector, line, text):
                    public.add(masking.fingerprint(c.secret))
                    continue  # public by design in this file (a Firebase web config's apiKey)
                if c.needs_host:
                    if public_host is None:
                        public_host = _names_public_host(text)
                    if not public_host:
                        continue
                seen.add((c.detector, i + 1))
                out.append((c, f.path, i + 1))
        if progress is not None and scanned % 1000 == 0:
            progress(f"secrets: scanned {scanned} files")
    return scanned, out, public


# --------------------------------------------------------------------------- one hit per secret
_HOST_RE = re.compile(
    r"""(?i)(?:host(?:name)?|server|endpoint|addr(?:ess)?)["']?\s{0,5}(?:=>|:=|=|:)\s{0,5}[rbuf]?["'`]?(?P<host>[A-Za-z0-9.\-]+)"""
    r"""|@(?P<athost>[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)"""
)


def _names_public_host(text: str) -> bool:
    """The text names a database or mail host reachable from outside (not localhost, a private
    address, a compose service name or an example domain)."""
    for m in _HOST_RE.finditer(text):
        host = (m.group("host") or m.group("athost") or "").strip(".-")
        if not host or _is_local_host(host):
            continue
        if re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", host) or re.search(r"\.[a-z]{2,}$", host, re.IGNORECASE):
            return True
    return False


def _history_public_host(root: Path, where: list[tuple[str, str]]) -> bool:
    """Whether any of the (path, commit) versions names a public host (for a config password seen in
    history only)."""
    specs = [f"{commit}:{path}".encode("utf-8", "surrogateescape") for path, commit in where[:20]]
    try:
        for _oid, data, _absent in read_blobs(root, specs, MAX_TEXT_BYTES):
            text = decode(data) if data is not None else None
            if text is not None and _names_public_host(text):
                return True
    except (OSError, RuntimeError):
        return False
    return False


def _strict_prefixes(values: dict[str, str]) -> set[str]:
    """Fingerprints whose value is a strict prefix of another value (a key later cut short, ``sk-proj-
    AbCd`` after the whole key): the longer one is the secret."""
    ordered = sorted(values.items(), key=lambda kv: kv[1])
    out = set()
    for (fp, value), (_fp2, nxt) in itertools.pairwise(ordered):
        if len(nxt) > len(value) and nxt.startswith(value):
            out.add(fp)
    return out


MAX_LISTED = 50
"""Places and commits kept per secret (the count is said in full)."""


def _distinct_hits(tree: list[tuple[_Candidate, str, int]], introduced: dict[str, _Seen], date_tree: bool,
                   root: Path, public: set[str] | frozenset[str] = frozenset()) -> list[SecretHit]:
    """One hit per distinct secret, tree and history together, with every place and commit it was
    seen in; values that are a strict prefix of another reported one are dropped; a config password
    seen only in history is kept when one of its versions names a public host; a key the tree shows to
    be public by design (``public``: fingerprints) is not reported from history either."""
    in_tree: dict[str, list[tuple[_Candidate, str, int]]] = {}
    for c, path, line in tree:
        in_tree.setdefault(masking.fingerprint(c.secret), []).append((c, path, line))
    values = {fp: places[0][0].secret for fp, places in in_tree.items()}
    for fp, sighting in introduced.items():
        values.setdefault(fp, sighting.candidate.secret)
    dropped = _strict_prefixes({fp: v for fp, v in values.items() if not v.startswith("-----BEGIN")})
    hits: list[SecretHit] = []
    for fp, places in in_tree.items():
        if fp in dropped:
            continue
        seen = introduced.get(fp)
        c, path, line = places[0]
        where = [f"{p}:{n}" for _c, p, n in places]
        commits = _commits_of(seen)
        if seen is not None:
            where += [f"{p} @ {cm[:10]}" for (p, cm) in _sightings(seen) if not any(p == q for _c, q, _n in places)]
        hits.append(_hit(c, path, line, seen.commit if seen and date_tree else None, True,
                         where[:MAX_LISTED], commits))
    for fp, seen in sorted(introduced.items(), key=lambda kv: (kv[1].path, kv[1].line or 0, kv[0])):
        if fp in in_tree or fp in dropped or fp in public:
            continue
        c = seen.candidate
        if c.needs_host and not _history_public_host(root, _sightings(seen)):
            continue
        where = [f"{p} @ {cm[:10]}" for (p, cm) in _sightings(seen)]
        hits.append(_hit(c, seen.path, seen.line, seen.commit, False, where[:MAX_LISTED], _commits_of(seen)))
    return hits


def _sightings(seen: _Seen) -> list[tuple[str, str]]:
    """(path, commit) of every sighting: the one the hit is placed at first, then oldest first."""
    first = (seen.path, seen.commit)
    rest = [k for k, _v in sorted(seen.sightings.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0])) if k != first]
    return [first, *rest]


def _commits_of(seen: _Seen | None) -> list[str]:
    if seen is None:
        return []
    out: list[str] = []
    for _path, commit in _sightings(seen):
        if commit not in out:
            out.append(commit)
    return out[:MAX_LISTED]


# ------------------------------------------------------------------------------- env file contents
_ENV_LINE_RE = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)\s*=\s*(?P<value>.*)$")


def _env_text_holds_values(text: str) -> bool:
    """Whether an env file gives a value to a secret name (``*_KEY``, ``*_SECRET``, ``*_TOKEN``,
    ``*_PASSWORD``...): not empty, not a placeholder (``YOUR OPEN AI API KEY``, ``sk-...``), not an
    interpolation; commented lines do not count. Any provider key the scanner finds counts too."""
    return next(_env_value_lines(text), None) is not None


def _env_value_lines(text: str) -> Iterator[int]:
    """The lines (1-based) of an env file that give a value to a secret name or hold a provider key
    (``_env_text_holds_values``)."""
    for n, line in enumerate(text.splitlines(), 1):
        m = _ENV_LINE_RE.match(line)
        if not m:
            continue
        value = m.group("value").split(" #", 1)[0].strip().strip("\"'`").strip()
        if any(not c.placeholder for c in scan_line(line, None, None)):
            yield n
            continue
        if not _SECRET_NAME_RE.search(m.group("name")) or not value:
            continue
        if (" " in value or _is_template(value) or _has_placeholder_word(value) or _is_low_variety(value)
                or value.lower() in _DEFAULT_PASSWORDS or value.endswith("...") or len(value) < 6):
            continue
        yield n


def _env_files_that_held_values(root: Path, paths: list[str]) -> set[str]:
    """Those of ``paths`` (env files deleted from the tree) of which some committed version held a
    value (``_env_text_holds_values``); a version that cannot be read (a missing blob, a binary or
    oversize file) counts as holding one."""
    held: set[str] = set()
    for path in paths:
        proc = run_git(root, "log", "--all", "--format=%H", "--diff-filter=AMT", "--", path)
        commits = proc.stdout.decode("ascii", "replace").split() if proc.returncode == 0 else []
        if not commits:
            held.add(path)  # no answer is no evidence: keep the finding
            continue
        specs = [f"{c}:{path}".encode("utf-8", "surrogateescape") for c in commits[:200]]
        try:
            for _oid, data, absent in read_blobs(root, specs, MAX_TEXT_BYTES):
                text = decode(data) if data is not None else None
                if absent or text is None or _env_text_holds_values(text):  # unreadable: keep it
                    held.add(path)
                    break
        except (OSError, RuntimeError):
            held.add(path)
    return held


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
    files: FileSet, *, history: bool = True, max_commits: int = 200_000, progress: Progress = None,
    tap: PatchTap | None = None,
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

    ``tap`` (``history.patch_tap``): the history collector reads its line counts from the same pass
    (one ``git log -p`` for both); ``tap.valid`` says afterwards whether the pass was read whole.
    """
    if progress is not None:
        progress(f"secrets: scanning {len(files.files)} files")
    scanned, tree, public = _scan_tree(files, progress)
    env_files = sorted(f.path for f in files.files if is_env_file(f.path))
    env_ignored = _ignored_now(Path(files.root), env_files) if files.tracked_only else []

    hist = _HistoryScan(reason="history scan not requested")
    if history:
        if not _is_git_repo(Path(files.root)):
            hist = _HistoryScan(reason="not a git repository")
        else:
            if progress is not None:
                progress("secrets: scanning history")
            hist = _scan_history(Path(files.root), max_commits, progress, _vendored_prefixes(files), tap)
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

    root = Path(files.root)
    hits = _distinct_hits(tree, introduced, date_tree, root, public)
    # A committed .env that was later deleted: its values may be plain passwords no detector names,
    # unless no version of it ever held a value for a secret name (names only, placeholders).
    tree_paths = {f.path for f in files.files} | set(files.skipped)
    gone = {path: commit for path, (_, commit) in (hist.env_files or {}).items() if path not in tree_paths}
    held = _env_files_that_held_values(root, sorted(gone)) if gone else set()
    for path, commit in sorted(gone.items()):
        if path in held:
            hits.append(SecretHit(detector="env_file", path=path, commit=commit, in_tree=False,
                                  masked=masking.mask(""), fingerprint=masking.fingerprint("env_file:" + path),
                                  confidence="medium"))
    by_path = {f.path: f for f in files.files}
    without_values, all_reported = [], []
    reported = {(h.path, h.line) for h in hits if h.in_tree and not h.placeholder and h.detector != "generic_high_entropy"}
    for path in env_files:
        text = files.read_text(by_path[path]) if path in by_path else None
        if text is None:
            continue
        lines = list(_env_value_lines(text))
        if not lines:
            without_values.append(path)
        elif all((path, n) in reported for n in lines):
            all_reported.append(path)

    return SecretFacts(
        files_scanned=scanned,
        history_checked=hist.checked,
        history_reason=hist.reason,
        commits_scanned=hist.commits,
        hits=hits,
        env_files=env_files,
        env_files_ignored=env_ignored,
        env_files_without_values=without_values,
        env_files_reported=all_reported,
        history_missing_blobs=hist.missing_blobs,
        limits=hist.limits,
    )

