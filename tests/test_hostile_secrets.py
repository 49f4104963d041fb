"""No secret leaves auditlib unmasked, whatever the target holds (issue 7, defect 1, and the fuzz campaign).

A line holding two keys, a key quoted in a model-call snippet, random text and random bytes: every
output (results.json, findings.sarif, both executed notebooks, report.html, the PDF's text) shows
at most the first four characters of any secret-shaped value.

Every key here is built at run time from random characters and split prefixes: no real secret, and no
literal key shape in this file. The property tests run about 200 examples each; a longer campaign:

    AUDITLIB_FUZZ=campaign .venv/bin/python -m pytest tests/test_hostile_secrets.py -m "not slow" -q

(20,000 examples per property, a tenth of that for the git-history fuzz).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import string
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from auditlib import cli
from auditlib.collect.files import decode, list_files
from auditlib.collect.secrets import (
    _ENV_READ_BEFORE_RE,
    _looks_random,
    collect_secrets,
    scan_line,
    secret_spans,
)
from auditlib.masking import VISIBLE_PREFIX, mask, scrub
from tests.gitrepo import git, make_repo

# ----------------------------------------------------------------------------------------- profiles
settings.register_profile("campaign", max_examples=20_000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = os.environ.get("AUDITLIB_FUZZ", "")
if PROFILE:
    settings.load_profile(PROFILE)
_BASE = settings.get_profile(PROFILE or "default")
FUZZ = settings(_BASE, max_examples=max(200, _BASE.max_examples), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
"""Pure-Python properties: 200 examples by default, the profile's count in a campaign."""
FUZZ_GIT = settings(FUZZ, max_examples=max(25, FUZZ.max_examples // 10))
"""Properties that build a git repository per example (about 50 ms each)."""

B62 = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits


# -------------------------------------------------------------------------------------------- keys
def _rand(rng: random.Random, n: int, alphabet: str = B62) -> str:
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if alphabet != B62 or (any(c.isupper() for c in s) and any(c.isdigit() for c in s)
                               and any(c.islower() for c in s)):
            return s


def two_keys(seed: int | None = None) -> tuple[str, str]:
    """The issue's reproduction: an OpenAI project key (48 random characters) and a Stripe live key (24)."""
    rng = random.Random(seed)
    return "sk" + "-proj-" + _rand(rng, 48), "sk" + "_live_" + _rand(rng, 24)




def leak_report(keys: list[str], outputs: dict[str, str]) -> list[str]:
    """Which key (or any 10 characters of it past the visible prefix) appears in which output."""
    leaks = []
    for key in keys:
        tail = key[VISIBLE_PREFIX:]
        pieces = {tail[i:i + 10] for i in range(0, len(tail) - 9, 5)}
        for name, text in outputs.items():
            if key in text or any(p in text for p in pieces):
                leaks.append(f"{key[:8]}... in {name}")
    return leaks


def two_key_source(a: str, b: str) -> str:
    return (f'C = {{"a": "{a}", "b": "{b}"}}\n'
            "\n"
            "from openai import OpenAI\n"
            "\n"
            "\n"
            "def usage():\n"
            f'    return OpenAI(api_key="{a}").chat.completions.create(model="gpt-4o", messages=[]).usage\n')


# --------------------------------------------------------------------------- end to end: scan, audit
def test_two_keys_on_one_line_never_reach_results_json_or_sarif(tmp_path: Path) -> None:
    a, b = two_keys()
    repo = make_repo(tmp_path / "target", {"config.py": f'C = {{"a": "{a}", "b": "{b}"}}\n'})
    out = tmp_path / "out" / "results.json"
    assert cli.main(["scan", str(repo), "--json", str(out), "--offline", "-q"]) == 0
    outputs = {"results.json": out.read_text(), "findings.sarif": (out.parent / "findings.sarif").read_text()}
    assert leak_report([a, b], outputs) == []
    data = json.loads(outputs["results.json"])
    hits = {h["detector"]: h for h in data["facts"]["secrets"]["hits"]}
    assert set(hits) >= {"openai_api_key", "stripe_secret_key"}
    # Both hits show the line with both keys masked, each to its first four characters.
    for hit in hits.values():
        assert a[:4] + "*" * 8 in hit["context"] and b[:4] + "*" * 8 in hit["context"], hit["context"]


def test_key_quoted_in_a_model_call_snippet_is_masked(tmp_path: Path) -> None:
    """A key in the code around a model call never reaches the facts or the findings built from them. The
    analysis engine names a usage read by its access path without arguments
    (``OpenAI().chat.completions.create().usage``); were an argument ever quoted, it would be masked."""
    a, b = two_keys()
    repo = make_repo(tmp_path / "target", {"app.py": two_key_source(a, b)})
    out = tmp_path / "out" / "results.json"
    assert cli.main(["scan", str(repo), "--json", str(out), "--offline", "-q"]) == 0
    text = out.read_text()
    assert leak_report([a, b], {"results.json": text, "findings.sarif": (out.parent / "findings.sarif").read_text()}) == []
    uses = json.loads(text)["facts"]["code"]["llm_uses"]
    usage = [u for u in uses if u["kind"] == "usage_read"]
    assert usage and all(u["api"] == "OpenAI().chat.completions.create().usage" for u in usage), uses


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """One ``auditlib audit`` (notebooks, HTML and, where Chromium is, the PDF) of the two-key target."""
    from tests.conftest import have_chromium

    root = tmp_path_factory.mktemp("hostile-secrets")
    a, b = two_keys()
    repo = make_repo(root / "target", {"app.py": two_key_source(a, b)})
    out = root / "audit"
    pdf = have_chromium()
    args = ["audit", str(repo), "--out", str(out), "--offline", "-q"] + ([] if pdf else ["--no-pdf"])
    assert cli.main(args) == 0
    return out, [a, b], pdf


@pytest.mark.slow
def test_audit_outputs_hold_no_key(audited) -> None:
    out, keys, _ = audited
    names = ("results.json", "workbook.ipynb", "report.ipynb", "report.html")
    outputs = {name: (out / name).read_text(encoding="utf-8") for name in names}
    # notebooks and HTML escape quotes and slashes: search the unescaped text too
    outputs.update({f"{n} (unescaped)": t.replace("\\\"", "\"").replace("&quot;", "\"").replace("&#x27;", "'")
                    for n, t in outputs.items()})
    assert leak_report(keys, outputs) == []
    assert "sk_l********" in outputs["report.html"] or "sk_l********" in outputs["results.json"]
    leftover = [p.name for p in out.iterdir() if p.is_file() and any(k.encode() in p.read_bytes() for k in keys)]
    assert leftover == []


@pytest.mark.slow
def test_audit_pdf_text_holds_no_key(audited) -> None:
    out, keys, pdf = audited
    if not pdf:
        pytest.skip("no Chromium: the PDF is not exported here")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", "-layout", str(out / "report.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    # a key wrapped across lines or table cells in the PDF is still found once whitespace is removed
    joined = re.sub(r"\s+", "", text)
    assert leak_report(keys, {"report.pdf": text, "report.pdf (joined)": joined}) == []
    assert "********" in joined  # the masked keys are there


# ------------------------------------------------------------------------------- line scanning (unit)
def test_scan_line_masks_every_key_on_the_line() -> None:
    a, b = two_keys(7)
    line = f'C = {{"a": "{a}", "b": "{b}"}}'
    found = scan_line(line)
    assert {c.detector for c in found} == {"openai_api_key", "stripe_secret_key"}
    for c in found:
        assert a not in c.context and b not in c.context
        assert c.context == f'C = {{"a": "{mask(a)}", "b": "{mask(b)}"}}'


def test_scan_line_masks_a_candidate_repeated_where_it_is_not_secret_shaped() -> None:
    rng = random.Random(11)
    value = _rand(rng, 32)
    a, _ = two_keys(3)
    found = scan_line(f'api_token = "{value}"; log({value!r}); k = "{a}"')
    assert found and all(value not in c.context and a not in c.context for c in found)


# ------------------------------------------------------------------------------------- strategies
_SEPARATORS = st.sampled_from([" ", "\n", "\t", "; ", ", ", " = ", "\r\n"])
_NOISE = st.text(max_size=80)
_FRAGMENTS = st.sampled_from([
    "api_key", "API_KEY", "secret", "token", "password", "pwd", "credentials", "auth_key", "=", ":", ":=", "=>",
    '"', "'", "`", " ", "\n", "\\n", "sk-", "sk-proj-", "sk-ant-api03-", "sk_live_", "rk_live_", "ghp_",
    "github_pat_", "xoxb-", "xoxp-", "AKIA", "AIza", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----", "postgres://", "mysql://", "https://", "user:", "@", "/", "hooks.slack.com/services/",
    "os.environ[", "getenv(", "${", "}", "{{", "<", ">", "*", "********", "example", "your", "-", "_", "1234567890",
    "aws_secret_access_key", "AWS_SECRET", "*" * 12, "…",
])
_B62_RUN = st.text(alphabet=B62, min_size=1, max_size=70)
_SECRETISH = st.lists(st.one_of(_FRAGMENTS, _B62_RUN, st.text(max_size=6)), max_size=30).map("".join)
"""Text built from keywords, operators, quotes, key prefixes and random runs: the scanner's edge cases."""


def _body(alphabet: str, n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=n, max_size=n)


def _mixed(n_min: int, n_max: int) -> st.SearchStrategy[str]:
    """A base62 body that mixes upper case, lower case and digits (as real keys do)."""
    return st.text(alphabet=B62, min_size=n_min, max_size=n_max).filter(
        lambda s: any(c.isupper() for c in s) and any(c.islower() for c in s) and any(c.isdigit() for c in s))


# (shape, strategy of (text to plant, the secret part of it that must not survive))
_PLANTED = {
    "openai_api_key": st.tuples(st.sampled_from(["", "proj-", "svcacct-", "admin-"]), _mixed(20, 80)).map(
        lambda t: ("sk" + "-" + t[0] + t[1],) * 2),
    "anthropic_api_key": _mixed(20, 100).map(lambda s: ("sk" + "-ant-api03-" + s,) * 2),
    "aws_access_key_id": _body(UPPER, 16).map(lambda s: ("AK" + "IA" + s,) * 2),
    "aws_secret_access_key": _body(B62 + "/+", 40).map(lambda s: ("aws_secret_access_key = " + s, s)),
    "github_token": _mixed(36, 60).map(lambda s: ("gh" + "p_" + s,) * 2),
    "stripe_secret_key": _mixed(20, 60).map(lambda s: ("sk" + "_live_" + s,) * 2),
    "slack_webhook": st.tuples(_body(UPPER, 8), _body(UPPER, 8), _mixed(24, 24)).map(
        lambda t: ("https://hooks." + f"slack.com/services/T{t[0]}/B{t[1]}/{t[2]}",) * 2),
    "slack_token": st.tuples(st.integers(10**9, 10**13), st.integers(10**9, 10**13), _mixed(24, 32)).map(
        lambda t: ("xo" + f"xb-{t[0]}-{t[1]}-{t[2]}",) * 2),
    "google_api_key": _body(B62 + "_-", 35).map(lambda s: ("AI" + "za" + s,) * 2),
    "private_key": st.tuples(st.sampled_from(["\n", "\\n"]), _body(B62 + "/+", 64), _body(B62 + "/+", 64)).map(
        lambda t: ("-----BEGIN RSA " + f"PRIVATE KEY-----{t[0]}{t[1]}{t[0]}{t[2]}{t[0]}-----END RSA PRIVATE KEY-----",
                   (t[1], t[2]))),
    "database_url_password": _mixed(12, 40).map(lambda s: (f"postgresql://app:{s}@db.internal:5432/app", s)),
    "url_password": _mixed(12, 40).map(lambda s: (f"https://deploy:{s}@git.example.org/x.git", s)),
    "generic_high_entropy": st.tuples(st.sampled_from(["api_key", "client_secret", "AUTH_TOKEN", "password"]),
                                      st.sampled_from(['"', "'"]), _mixed(20, 64).filter(_looks_random)).map(
        lambda t: (f"{t[0]} = {t[1]}{t[2]}{t[1]}", t[2])),
}


def _gone(secret: str | tuple[str, ...], out: str, noise: str) -> bool:
    """No more than the visible prefix of ``secret`` (of each part of it) is in ``out``, unless the noise
    around it held that text."""
    parts = (secret,) if isinstance(secret, str) else secret
    return all(p[VISIBLE_PREFIX:] not in out or p[VISIBLE_PREFIX:] in noise for p in parts)


# --------------------------------------------------------------------------------- property tests
@FUZZ
@given(text=st.one_of(st.text(), _SECRETISH), following=st.one_of(st.none(), st.text(), _SECRETISH),
       path=st.sampled_from([None, "app.py", "tests/fixtures/fake_keys.py", "src/test_x.js"]))
def test_scan_line_never_crashes_and_its_contexts_show_no_candidate(text: str, following: str | None,
                                                                    path: str | None) -> None:
    for line in text.splitlines() or [text]:
        found = scan_line(line, following, path)
        shown = [c.secret.split(":", 1)[1] if c.detector == "private_key" else c.secret for c in found]
        for c in found:
            assert len(c.context) <= 160
            for value in shown:
                if len(value) > VISIBLE_PREFIX * 2 and "*" not in value:  # (a value with "*" may sit in its own mask)
                    assert value not in c.context, (line, c)
            assert scrub(c.context) == c.context  # nothing secret-shaped is left in it


@FUZZ
@given(data=st.binary(max_size=4096))
def test_scan_line_and_scrub_never_crash_on_random_bytes(data: bytes) -> None:
    for text in {decode(data) or "", data.decode("utf-8", "replace"), data.decode("latin-1")}:
        out = scrub(text)
        assert scrub(out) == out
        for line in text.splitlines():
            scan_line(line, None, "x.py")


@FUZZ
@given(text=st.one_of(st.text(), _SECRETISH))
def test_scrub_is_idempotent_and_masks_whatever_the_scanner_finds(text: str) -> None:
    out = scrub(text)
    assert scrub(out) == out
    if not secret_spans(text):
        assert out is text  # nothing secret-shaped: the very same string back
    lines = text.splitlines()
    for i, line in enumerate(lines):
        for c in scan_line(line, lines[i + 1] if i + 1 < len(lines) else None):
            if c.detector != "private_key" and len(c.secret) > VISIBLE_PREFIX * 2 and "*" not in c.secret:
                assert c.secret not in out, (c, out)


@FUZZ
@given(shape=st.sampled_from(sorted(_PLANTED)), data=st.data(), before=_NOISE, after=_NOISE,
       sep1=_SEPARATORS, sep2=_SEPARATORS)
def test_a_planted_secret_of_every_shape_never_survives_scrub(shape: str, data, before: str, after: str,
                                                              sep1: str, sep2: str) -> None:
    planted, secret = data.draw(_PLANTED[shape], label="planted")
    assume(not _ENV_READ_BEFORE_RE.search(before + sep1))  # ``getenv( <value>`` names a variable
    text = before + sep1 + planted + sep2 + after
    out = scrub(text)
    assert _gone(secret, out, before + after), (shape, text, out)
    assert scrub(out) == out
    # also inside the one-line context the scanner gives, and in any candidate it finds there
    for line in text.splitlines():
        for c in scan_line(line):
            assert _gone(secret, c.context, before + after), (shape, line, c.context)


@FUZZ
@given(data=st.data(), n=st.integers(2, 4), glue=st.text(max_size=12))
def test_several_secrets_on_one_line_are_all_masked(data, n: int, glue: str) -> None:
    shapes = data.draw(st.lists(st.sampled_from(sorted(_PLANTED)), min_size=n, max_size=n), label="shapes")
    planted = [data.draw(_PLANTED[s], label=s) for s in shapes]
    assume("\n" not in glue and "\r" not in glue and not _ENV_READ_BEFORE_RE.search(glue + " "))
    line = (" " + glue + " ").join(p for p, _ in planted)
    out = scrub(line)
    for (_, secret), shape in zip(planted, shapes, strict=False):
        assert _gone(secret, out, glue), (shape, line, out)
    for c in scan_line(line.replace("\n", " ").replace("\\n", " ")):
        for _, secret in planted:
            assert _gone(secret, c.context, glue)


# -------------------------------------------------------------------------------- collector fuzzing
_FILE_CONTENT = st.one_of(
    st.binary(max_size=3000),
    st.text(max_size=2000).map(lambda s: s.encode("utf-8", "surrogatepass")),
    _SECRETISH.map(lambda s: s.encode("utf-8", "surrogatepass")),
)


def _planted_files(data, names: list[str]) -> tuple[dict[str, bytes], list[str]]:
    """Random files, some with keys planted in them; the keys returned are those whose hidden part does
    not also occur in the random bytes around them (that text is the file's own, not a leak)."""
    files: dict[str, bytes] = {}
    secrets: list[str] = []
    background = b""
    for name in names:
        content = data.draw(_FILE_CONTENT, label=name)
        background += b"\0" + content
        if data.draw(st.booleans(), label=f"{name} holds keys"):
            shapes = data.draw(st.lists(st.sampled_from(sorted(_PLANTED)), min_size=1, max_size=3), label="shapes")
            planted = [data.draw(_PLANTED[s], label=s) for s in shapes]
            line = " ".join(p for p, _ in planted)
            at = data.draw(st.integers(0, len(content)), label="at")
            content = content[:at] + b"\n" + line.encode() + b"\n" + content[at:]
            for _, secret in planted:
                secrets += [secret] if isinstance(secret, str) else list(secret)
        files[name] = content
    return files, [x for x in secrets if x[VISIBLE_PREFIX:].encode("utf-8", "surrogatepass") not in background]


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in _strings(k) + _strings(v)]
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in _strings(v)]
    return []


def _check_collected(root: Path, history: bool, secrets: list[str]) -> None:
    start = time.monotonic()
    facts = collect_secrets(list_files(root), history=history)
    elapsed = time.monotonic() - start
    assert elapsed < 30, f"collect_secrets took {elapsed:.1f} s on a few small files"
    # every string of the facts, joined with a separator (not the JSON text: its escapes, such as the
    # "\u0010" of a control character, could spell a key's digits on their own)
    dumped = "\0".join(_strings(facts.model_dump()))
    for secret in secrets:
        assert secret[VISIBLE_PREFIX:] not in dumped, secret
    # whatever the scanner found in the raw files (placeholders and random look-alikes included)
    for hit in facts.hits:
        assert scrub(hit.context) == hit.context and len(hit.masked) <= VISIBLE_PREFIX + 8


@FUZZ
@given(data=st.data(), names=st.lists(st.sampled_from(["a.py", "b.js", ".env", "conf/c.yaml", "tests/t.py", "x.bin"]),
                                      min_size=1, max_size=4, unique=True))
def test_collect_secrets_fuzz_random_files(data, names: list[str]) -> None:
    files, secrets = _planted_files(data, names)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for rel, content in files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_bytes(content)
        _check_collected(root, False, secrets)


@FUZZ_GIT
@given(data=st.data(), names=st.lists(st.sampled_from(["a.py", "b.js", ".env", "conf/c.yaml", "x.bin"]),
                                      min_size=1, max_size=3, unique=True), delete=st.booleans())
def test_collect_secrets_fuzz_git_history(data, names: list[str], delete: bool) -> None:
    """Random files committed, then (maybe) deleted: the history scan reads them from ``git log -p``."""
    files, secrets = _planted_files(data, names)
    with tempfile.TemporaryDirectory() as tmp:
        root = make_repo(Path(tmp) / "r", files)
        if delete:
            git(root, "rm", "-q", "-r", "--", *files)
            git(root, "commit", "-q", "--allow-empty", "-m", "rm")
        _check_collected(root, True, secrets)
