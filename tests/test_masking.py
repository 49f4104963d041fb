import random
import string
import time

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from auditlib.masking import VISIBLE_PREFIX, fingerprint, mask, redact_line, redact_url_password, scrub, scrub_model

KEY = "sk-" + "proj-" + "Zq81Lmx0Pw7Rt5Yv3Nb6Hc2Jd9Ks4Fg1"


def test_mask_shows_only_the_first_four_characters():
    masked = mask(KEY)
    assert masked.startswith(KEY[:VISIBLE_PREFIX])
    assert KEY[VISIBLE_PREFIX:VISIBLE_PREFIX + 4] not in masked
    assert len(masked) == VISIBLE_PREFIX + 8  # the length of the secret does not leak


def test_short_values_are_masked_entirely():
    assert mask("abc123") == "*" * 8


def test_fingerprint_is_stable_and_not_the_secret():
    assert fingerprint(KEY) == fingerprint(KEY + "  ")
    assert KEY not in fingerprint(KEY) and len(fingerprint(KEY)) == 16
    assert fingerprint(KEY) != fingerprint(KEY[:-1] + "x")


def test_redact_line_masks_the_secret_in_context():
    line = f'client = OpenAI(api_key="{KEY}")'
    red = redact_line(line, KEY)
    assert KEY not in red and "sk-p********" in red and red.startswith("client = OpenAI")


def test_redact_url_password():
    text = "DATABASE_URL=postgres://admin:" + "s3cr3tPassw0rd" + "@db.internal:5432/app"
    red = redact_url_password(text)
    assert "s3cr3tPassw0rd" not in red and "admin:s3cr********@db.internal" in red


# ------------------------------------------------------------------------------ scrub (issue 7, defect 1)
_rng = random.Random(7)


def _r(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n - 3)) + "aZ7"


STRIPE = "sk" + "_live_" + _r(24)
GITHUB = "gh" + "p_" + _r(36)


@pytest.mark.parametrize("text", [
    "API key committed in config.py (line 3)",
    "password = os.environ['DB_PASSWORD']",
    "token_url: https://oauth2.example.org/v1/token",
    "tokenizer_path: models/tok-v2/tokenizer.json",
    "secret.committed_credential",
    "sk-learn-compatible-2 and sk-your-openai-key",
    "https://github.com/acme/proto.git",
    "",
])
def test_scrub_leaves_text_without_secrets_as_it_is(text: str) -> None:
    assert scrub(text) is text


def test_scrub_masks_every_key_in_a_text_not_only_one() -> None:
    pem = _r(64, string.ascii_letters + string.digits + "/+")
    pw = _r(16)
    text = (f'C = {{"a": "{KEY}", "b": "{STRIPE}"}}\n'
            f"client = Github(token='{GITHUB}')  # and again: {GITHUB}\n"
            f"DB = 'postgres://app:{pw}@db:5432/x'\n"
            "-----BEGIN RSA " + f"PRIVATE KEY-----\n{pem}\n{pem[::-1]}\n-----END RSA PRIVATE KEY-----\n")
    out = scrub(text)
    for secret in (KEY, STRIPE, GITHUB, pw, pem, pem[::-1]):
        assert secret[4:] not in out, secret
    assert "sk-p********" in out and "sk_l********" in out and f"app:{pw[:4]}********@db" in out
    assert "-----END RSA PRIVATE KEY-----" in out
    assert scrub(out) == out


def test_redact_line_masks_every_key_and_never_shows_part_of_a_cut_key() -> None:
    line = f'C = {{"a": "{KEY}", "b": "{STRIPE}"}}'
    red = redact_line(line, KEY)
    assert KEY not in red and STRIPE not in red and "sk_l********" in red
    # a key straddling the length limit is masked before the line is cut
    long = "x = 1; " * 21 + f'token = "{STRIPE}"'
    red = redact_line(long, "")
    assert len(red) <= 160 and STRIPE[4:8] not in red.replace("sk_l********", "")


def test_redact_line_of_a_huge_minified_line_is_bounded() -> None:
    keys = ["sk" + "_live_" + _r(30) for _ in range(2000)]
    line = ";".join(f'var k{i}="{k}"' for i, k in enumerate(keys))  # ~100 KB, one line
    start = time.perf_counter()
    for k in keys[:200]:
        red = redact_line(line, k)
    assert time.perf_counter() - start < 5
    assert len(red) <= 160 and not any(k[4:] in red for k in keys)


class _Inner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    text: str
    items: list[str] = Field(default_factory=list)
    pair: tuple[str, int] = ("", 0)
    tags: frozenset[str] = frozenset()
    by_path: dict[str, str] = Field(default_factory=dict)
    number: int = 3


class _Outer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    schema_: str = Field("x/1", alias="schema")
    inner: _Inner
    many: list[_Inner] = Field(default_factory=list)
    note: str | None = None


def test_scrub_model_masks_every_string_and_keeps_types_aliases_and_frozen() -> None:
    inner = _Inner(text=f"key={STRIPE}", items=["plain", f"tok {GITHUB}"], pair=(GITHUB, 1), tags=frozenset({STRIPE}),
                   by_path={f"cfg/{STRIPE}": f"Authorization: {GITHUB}"})
    plain = _Inner(text="nothing to see")
    model = _Outer(inner=inner, many=[plain, inner], note=f"auditor pasted {KEY}")
    out = scrub_model(model)
    assert type(out) is _Outer and type(out.inner) is _Inner and out.many[0] is plain  # unchanged: not copied
    dumped = out.model_dump_json(by_alias=True)
    assert '"schema":"x/1"' in dumped
    for secret in (STRIPE, GITHUB, KEY):
        assert secret[4:] not in dumped
    assert out.inner.pair == (GITHUB[:4] + "*" * 8, 1) and isinstance(out.inner.tags, frozenset)
    assert out.inner.number == 3 and out.note == f"auditor pasted {KEY[:4]}********"
    with pytest.raises(ValidationError):
        out.inner.text = "changed"  # still frozen
    assert _Outer.model_validate_json(dumped) == out  # and still valid
    assert scrub_model(out) is out  # nothing left to mask: the same object back
    assert KEY in model.note  # the input is not modified


def test_scrub_model_on_an_audit_result_is_cheap_and_already_done(demo_scan) -> None:
    """``assemble`` scrubs the result it returns: scrubbing it again changes nothing and costs little."""
    start = time.perf_counter()
    again = scrub_model(demo_scan)
    elapsed = time.perf_counter() - start
    assert again is demo_scan
    assert elapsed < 1.0, f"scrub_model took {elapsed:.3f} s on the demo result"
    assert '"schema": "auditlib.results/1"' in again.to_json()


def test_a_secret_written_in_pieces_is_masked_piece_after_piece():
    from auditlib.masking import redact_line

    line = '"aws_secret": "v8pAbmROLokz3lcnke0E4O6F" + "tKdVRfLOakZkWCfi" + "moremore",'
    got = redact_line(line, "v8pAbmROLokz3lcnke0E4O6F")
    assert "tKdVRfLO" not in got and "moremore" not in got and "bmROLokz" not in got
    assert got.count("********") == 3
    assert redact_line('x = "abc" + "defgh"', "zzzzzzzzzzzz") == 'x = "abc" + "defgh"'  # nothing masked: untouched
