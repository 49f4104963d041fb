from auditlib.masking import VISIBLE_PREFIX, fingerprint, mask, redact_line, redact_url_password

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
