"""The one redaction path: headers, key shapes, remembered keys, logs, exceptions, URLs and JSON-like data."""

from __future__ import annotations

import io
import logging

import httpx2

from kit.guard import redact
from kit.guard.redact import (
    SENSITIVE_HEADERS,
    RedactingFilter,
    redact_headers,
    redact_url,
    remember,
    scrub,
    scrub_exception,
    scrub_value,
)
from kit.keys.credential import Credential
from kit.keys.naming import fingerprint, hint
from kit.testing import fake_key, find_leaks

KEY = fake_key("redact")
BODY = KEY[len("sk-ant-api03-") :]


def test_sensitive_headers_cover_the_credential_headers() -> None:
    assert {"x-api-key", "authorization", "proxy-authorization", "cookie"} <= SENSITIVE_HEADERS


def test_headers_keep_their_names_and_show_only_hint_and_fingerprint() -> None:
    out = redact_headers(
        {
            "X-Api-Key": KEY,
            "Authorization": f"Bearer {KEY}",
            "anthropic-version": "2023-06-01",
            "Cookie": "session=abcdefghijklmnop",
        }
    )
    assert out["X-Api-Key"] == f"[REDACTED {hint(KEY)} fp:{fingerprint(KEY)}]"
    assert out["Authorization"].startswith("Bearer [REDACTED ")
    assert out["anthropic-version"] == "2023-06-01"
    assert not find_leaks(str(out), [KEY, "session=abcdefghijklmnop"])
    assert redact_headers([("x-api-key", "")]) == {"x-api-key": "(empty)"}


def test_headers_from_a_real_httpx2_request_are_masked() -> None:
    request = httpx2.Request("GET", "http://127.0.0.1/v1/models", headers={"x-api-key": KEY})
    assert not find_leaks(str(redact_headers(request.headers.items())), [KEY])


def test_key_shaped_text_is_masked_without_being_remembered() -> None:
    text = f"curl -H 'x-api-key: {KEY}' and an admin key {fake_key('a', 'admin')} and sk-proj-abcdefghijklmnop12"
    out = scrub(text)
    assert not find_leaks(out, [KEY, fake_key("a", "admin")])
    assert "sk-proj-abcdefghijklmnop12" not in out


def test_a_key_with_an_invisible_character_inside_is_masked_whole() -> None:
    damaged = KEY[:20] + "\u200b" + KEY[20:]
    assert not find_leaks(scrub(f"value: {damaged}"), [KEY])


def test_remembered_secrets_are_masked_even_without_prefix_or_in_pieces() -> None:
    remember([KEY])
    assert not find_leaks(scrub(f"body only: {BODY}"), [KEY])
    assert not find_leaks(scrub(f"a run: xx{BODY[30:50]}yy"), [KEY])
    assert scrub("nothing secret here") == "nothing secret here"


def test_a_credential_registers_itself_and_its_repaired_form() -> None:
    Credential(alias="k", raw=f'"{KEY}"\n')
    assert not find_leaks(scrub(f"the cleaned key {BODY}"), [KEY])


def test_a_cut_copy_of_a_key_does_not_leave_the_rest_in_clear() -> None:
    Credential(alias="cut", raw=KEY[:40])
    assert not find_leaks(scrub(f"full key here: {KEY} end"), [KEY])


def test_bearer_values_and_header_lines_are_masked() -> None:
    out = scrub("Authorization: Bearer some-gateway-token-123456\n> x-api-key: hunter2hunter2\n")
    assert "some-gateway-token-123456" not in out and "hunter2hunter2" not in out
    assert out.count("[REDACTED") == 2


def test_scrub_is_stable_on_its_own_output() -> None:
    remember([KEY])
    once = scrub(f"key {KEY} in Authorization: Bearer {KEY}")
    assert scrub(once) == once


def test_forget_all_forgets() -> None:
    secret = "plain-secret-value-xyz"
    remember([secret])
    assert secret not in scrub(secret)
    redact.forget_all()
    assert scrub(secret) == secret


def test_values_longer_than_a_key_are_not_remembered() -> None:
    remember(["word " * 2000])
    assert scrub("word word word") == "word word word"


def test_scrub_value_walks_json_like_data() -> None:
    remember([KEY])
    data = {"headers": {"x-api-key": KEY, "accept": "json"}, "log": [f"sent {KEY}", 3, None], "raw": KEY.encode()}
    out = scrub_value(data)
    assert not find_leaks(str(out), [KEY])
    assert out["headers"]["accept"] == "json" and out["log"][1:] == [3, None]


def test_exceptions_and_their_chain_are_scrubbed() -> None:
    try:
        try:
            raise KeyError(KEY)
        except KeyError as inner:
            raise RuntimeError(f"failed with {KEY}") from inner
    except RuntimeError as exc:
        text = scrub_exception(exc)
        short = scrub_exception(exc, with_traceback=False)
    assert "Traceback" in text and "RuntimeError" in text and not find_leaks(text, [KEY])
    assert short.startswith("RuntimeError") and not find_leaks(short, [KEY])


def test_the_logging_filter_scrubs_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    log = logging.getLogger("keylab-test-redact")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("using %s for %s", KEY, "x")
        log.warning("broken format %s %s", KEY)  # a bad format string must not break logging or leak
        try:
            raise ValueError(f"bad key {KEY}")
        except ValueError:
            log.exception("request failed")
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "using [REDACTED" in text and "ValueError" in text and "request failed" in text
    assert not find_leaks(text, [KEY])


def test_urls_lose_passwords_and_secret_query_values() -> None:
    assert (
        redact_url("https://user:pa55word@gw.example/v1?key=abc&x=1")
        == "https://user:[REDACTED]@gw.example/v1?key=[REDACTED]&x=1"
    )
    assert redact_url("https://api.anthropic.com") == "https://api.anthropic.com"
    assert redact_url("http://token@127.0.0.1:8080/") == "http://[REDACTED]@127.0.0.1:8080/"


def test_prose_after_the_word_bearer_is_left_alone_but_tokens_are_masked() -> None:
    from kit.guard.redact import scrub

    prose = "the key was sent as Bearer (confidence 90%) and Bearer authentication is refused"
    assert scrub(prose) == prose
    assert "abcd1234efgh" not in scrub("Authorization: Bearer abcd1234efgh")
