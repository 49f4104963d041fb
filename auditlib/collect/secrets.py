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
import subprocess
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from auditlib import masking
from auditlib.collect.files import MAX_TEXT_BYTES, SKIP_DIRS, FileSet, decode, open_repo
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


_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "fixture", "fixtures", "__fixtures__",
                        "testdata", "test_data", "test-data", "__mocks__", "mocks", "e2e"})
_FAKE_MARK_RE = re.compile(r"\b(?:fake|dummy|mock(?:ed)?|not[\s_-]+(?:a[\s_-]+)?real|test[\s_-]+only)\b", re.I)
_COMMENT_RE = re.compile(r"(?:#|//|/\*|<!--|--\s)(?P<comment>.*)$")


def is_test_path(path: str) -> bool:
    """Test code or test data: under ``tests/``, ``fixtures/``, ``__mocks__/``..., or a test file."""
    pure = PurePosixPath(path.lower())
    if any(part in _TEST_DIRS for part in pure.parts[:-1]):
        return True
    name = pure.name
    return name.startswith("test_") or pure.stem.endswith("_test") or ".test." in name or ".spec." in name


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


@dataclass
class _Seen:
    """Oldest sighting of one fingerprint in history."""

    when: int
    commit: str
    path: str
    line: int | None
    candidate: _Candidate


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
    """Blobs a partial clone does not hold (not scanned, never fetched)."""


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


def _history_pathspec(prefixes: list[str]) -> list[str]:
    # Literal prefix excludes let git skip the bulk of committed node_modules or virtualenvs cheaply.
    # Glob excludes (":(glob,exclude)**/node_modules/**") would catch every depth but cost git
    # about 14x its normal time on a 20,000-commit history; folders that only ever existed in
    # history are dropped on our side instead (_vendored), as their diffs stream past.
    return ["--", "."] + [f":(literal,exclude){p}" for p in prefixes]


def _scan_history(root: Path, max_commits: int, progress: Progress, prefixes: list[str]) -> _HistoryScan:
    result = _HistoryScan(introduced={}, env_files={})
    try:
        with open_repo(root) as repo:
            try:
                result.shallow = repo.git.rev_parse("--is-shallow-repository").strip() == "true"
            except Exception:
                result.shallow = (Path(repo.git_dir) / "shallow").exists()
            executable = type(repo.git).GIT_PYTHON_GIT_EXECUTABLE or "git"
            if _is_partial_clone(repo):
                _scan_partial_clone(repo, executable, result, max_commits, progress, prefixes)
                if result.shallow:
                    result.checked = False
                    result.reason = "; ".join(filter(None, [
                        f"shallow clone: only {result.commits} commits available; earlier history not checked",
                        result.reason]))
                return result
            # Blobs over the text limit are diffed as binary ("Binary files differ"), as the tree
            # scan does not read them either: a 50 MB data file must not be split into lines.
            cmd = [executable, "-c", "core.quotePath=false", "-c", f"core.bigFileThreshold={MAX_TEXT_BYTES}",
                   "log", "--all", "--full-history", "-p",
                   "--no-ext-diff", "--no-textconv", "--no-color", "-U0",
                   f"--max-count={max_commits + 1}", "--format=%x1fC%H %ct", *_history_pathspec(prefixes)]
            capped, failure = _stream_git(
                repo, cmd, lambda out: _consume_log(out, result, max_commits, progress))
    except (InvalidGitRepositoryError, NoSuchPathError):
        result.reason = "not a git repository"
        return result
    except Exception as exc:  # git missing, unreadable repository: record and carry on
        result.reason = f"history scan failed: {type(exc).__name__}: {str(exc).strip()[:200]}"
        return result
    if failure:
        result.reason = failure
    elif result.shallow:
        result.reason = (f"shallow clone: only {result.commits} commits available; earlier history not "
                         "checked")
    elif capped:
        result.checked = True
        result.reason = (f"history capped at the {max_commits} most recent commits; older commits not "
                         "scanned, introducing commits may be later than the true ones")
    else:
        result.checked = True
        if result.commits == 0:
            result.reason = "repository has no commits"
    return result


def _stream_git(repo, cmd: list[str], consume: Callable[[Iterable[bytes]], bool]) -> tuple[bool, str | None]:
    """Run ``cmd`` and feed its stdout to ``consume`` as it arrives; ``consume`` returns True to stop
    early (a cap), which kills git. Returns (stopped early, failure reason or None): a
    kill after the cap is our doing, not a failure."""
    proc = repo.git.execute(cmd, as_process=True)
    try:
        stderr_tail = _StderrTail(proc.proc.stderr)
        capped = consume(proc.proc.stdout)
        if capped:
            proc.proc.kill()
        rc = proc.proc.wait()
        stderr_tail.join()
    finally:
        if proc.proc.poll() is None:
            proc.proc.kill()
            proc.proc.wait()
    failure = None
    if rc != 0 and not capped:
        msg = stderr_tail.text().strip().splitlines()
        failure = f"git log failed (exit {rc}): {msg[-1][:200] if msg else 'no message'}"
    return capped, failure


class _StderrTail:
    """Drains a pipe in a thread (a chatty stderr must not block git) and keeps its last bytes."""

    def __init__(self, stream) -> None:
        self._tail = b""
        self._thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self._thread.start()

    def _run(self, stream) -> None:
        try:
            for chunk in iter(lambda: stream.read(65536), b""):
                self._tail = (self._tail + chunk)[-4096:]
        except (OSError, ValueError):
            pass

    def join(self) -> None:
        self._thread.join(timeout=5)

    def text(self) -> str:
        return self._tail.decode("utf-8", "replace")


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
    """Walk ``git log -p`` output once; return True when more than ``max_commits`` commits exist."""
    introduced = result.introduced
    env_files = result.env_files
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
            result.commits += 1
            if result.commits > max_commits:
                result.commits = max_commits
                return True
            head, _, ts = raw[len(_COMMIT_MARK):].strip().decode("ascii", "replace").partition(" ")
            commit, when = head, int(ts) if ts.isdigit() else 0
            path, in_hunk = None, False
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
def _is_partial_clone(repo) -> bool:
    """A clone made with ``--filter`` (it names a promisor remote): some objects may be absent."""
    try:
        out = repo.git.config("--get-regexp", r"^(extensions\.partialclone|remote\..*\.promisor)$")
    except GitCommandError:  # exit 1: none of these keys is set
        return False
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        value = value.strip().lower()
        if (key.lower() == "extensions.partialclone" and value) or value in {"true", "yes", "on", "1"}:
            return True
    return False


def _missing_objects(repo, executable: str) -> set[bytes]:
    """Objects reachable from any ref that the local repository does not hold (never fetched)."""
    cmd = [executable, "rev-list", "--all", "--objects", "--missing=print"]
    proc = repo.git.execute(cmd, as_process=True)
    missing: set[bytes] = set()
    try:
        stderr_tail = _StderrTail(proc.proc.stderr)
        for raw in proc.proc.stdout:
            if raw[:1] == b"?":
                missing.add(raw[1:].strip())
        rc = proc.proc.wait()
        stderr_tail.join()
    finally:
        if proc.proc.poll() is None:
            proc.proc.kill()
            proc.proc.wait()
    if rc != 0:
        raise RuntimeError(f"git rev-list failed (exit {rc}): {stderr_tail.text().strip()[-200:]}")
    return missing


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


def _read_blobs(repo, executable: str, oids: list[bytes]) -> Iterable[tuple[bytes, bytes | None]]:
    """``(oid, content)`` for each blob through one ``git cat-file --batch`` (None: too large)."""
    proc = repo.git.execute([executable, "cat-file", "--batch"], as_process=True, istream=subprocess.PIPE)
    stdin, stdout = proc.proc.stdin, proc.proc.stdout

    def feed() -> None:
        try:
            for oid in oids:
                stdin.write(oid + b"\n")
            stdin.close()
        except (OSError, ValueError):
            pass  # git stopped reading: the reader below sees why

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    stderr_tail = _StderrTail(proc.proc.stderr)
    try:
        for _ in oids:
            header = stdout.readline()
            if not header:
                raise RuntimeError(f"git cat-file stopped: {stderr_tail.text().strip()[-200:]}")
            parts = header.split()
            if len(parts) < 3:  # "<oid> missing"
                yield parts[0] if parts else b"", None
                continue
            size = int(parts[2])
            if size > MAX_TEXT_BYTES:  # not read as text in the tree either: skip it in chunks
                left = size + 1
                while left > 0:
                    chunk = stdout.read(min(left, 1 << 20))
                    if not chunk:
                        break
                    left -= len(chunk)
                yield parts[0], None
                continue
            data = stdout.read(size + 1)[:size]
            yield parts[0], data
    finally:
        if proc.proc.poll() is None:
            proc.proc.kill()
        proc.proc.wait()
        writer.join(timeout=5)
        stderr_tail.join()


def _scan_partial_clone(repo, executable: str, result: _HistoryScan, max_commits: int, progress: Progress,
                        prefixes: list[str]) -> None:
    """History scan of a partial clone: every blob it holds, none it would have to fetch.

    ``git log -p`` would stop at the first blob the clone lacks (or fetch it from the promisor
    remote, which the offline environment forbids). Instead: list the missing objects, list every
    blob the history wrote with its oldest commit (``git log --raw``, which reads no blob), and scan
    the present blobs whole through one ``git cat-file --batch``. A secret is dated by the oldest
    present blob that holds it. Missing blobs are counted and named in ``reason``.
    """
    introduced = result.introduced
    assert introduced is not None
    if progress is not None:
        progress("secrets: partial clone, listing the objects it holds")
    missing = _missing_objects(repo, executable)
    cmd = [executable, "-c", "core.quotePath=false", "log", "--all", "--full-history", "--no-renames",
           "--raw", "--no-abbrev", f"--max-count={max_commits + 1}", "--format=%x1fC%H %ct",
           *_history_pathspec(prefixes)]
    listed: dict[bytes, _Blob] = {}

    def consume(out: Iterable[bytes]) -> bool:
        blobs, capped = _blobs_of_history(out, result, max_commits, progress)
        listed.update(blobs)
        return capped

    capped, failure = _stream_git(repo, cmd, consume)
    if failure:
        result.reason = failure
        return
    blobs = listed
    absent = sorted(((oid, b) for oid, b in blobs.items() if oid in missing), key=lambda kv: kv[1].order)
    present = sorted((oid for oid in blobs if oid not in missing), key=lambda oid: blobs[oid].order)
    for n, (oid, data) in enumerate(_read_blobs(repo, executable, present), 1):
        blob = blobs.get(oid)
        text = decode(data) if blob is not None and data is not None else None
        if text is not None and _KEYWORD_RE.search(text.lower()):
            lines = text.splitlines()
            for i, line in enumerate(lines):
                if _KEYWORD_RE.search(line.lower()):
                    following = lines[i + 1] if i + 1 < len(lines) else None
                    _record(introduced, line, following, blob.path, i + 1, blob.when, blob.commit)
        if progress is not None and n % 1000 == 0:
            progress(f"secrets: scanned {n} of {len(present)} blobs")
    result.missing_blobs = len(absent)
    scope = f"the {len(present)} blob(s) it holds were scanned"
    if absent:
        examples = ", ".join(f"{b.path} @ {b.commit[:10]}" for _oid, b in absent[:3])
        result.reason = (f"partial clone: {len(absent)} blob(s) of the history are not in the local repository "
                         f"and were not fetched ({examples}{', ...' if len(absent) > 3 else ''}); {scope}")
    elif capped:
        result.checked = True
        result.reason = (f"history capped at the {max_commits} most recent commits (partial clone, every blob "
                         "present); older commits not scanned")
    else:
        result.checked = True


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
        with open_repo(root) as repo:
            out = repo.git.check_ignore("--no-index", "--", *paths)
    except GitCommandError as exc:
        if exc.status == 1:  # none is ignored
            return []
        return []  # no answer is no evidence either way
    except Exception:  # not a repository, git missing
        return []
    listed = {line.strip() for line in out.splitlines() if line.strip()}
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
    introduced = hist.introduced or {}
    # In a shallow clone the oldest available commit looks like it added everything, and in a
    # partial clone the blob that first held a secret may be missing: do not date tree secrets then.
    date_tree = not hist.shallow and not hist.missing_blobs

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
    )

