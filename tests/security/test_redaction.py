"""Promise: no byte of a key survives the one redaction path, however it is written.

Each test plants canaries made at run time and looks for any 12-character window of them in what
``kit.guard.redact`` lets through, as written and decoded (``kit.testing.canary``).
"""

from __future__ import annotations

import html
import json
import urllib.parse

import pytest

from kit.guard.redact import looks_like_key, remember, scrub, scrub_value
from kit.keys.credential import Credential
from kit.keys.naming import hint
from kit.testing.canary import assert_no_canary, canary_key

PREFIX = "sk-ant-api03-"


def _interrupted(key: str, every: int = 11, mark: str = "\u200b") -> str:
    """The key with an invisible character after every ``every`` characters of its body (issue 16, item 6)."""
    body = key[len(PREFIX) :]
    return PREFIX + "".join(body[i : i + every] + mark for i in range(0, len(body), every))


def _escaped_forms(value: str) -> dict[str, str]:
    """The ways a library or an encoder writes ``value``: every kind of escape the issue names, and more."""
    raw = value.encode("utf-8")
    return {
        "h11 bytes repr (\\xNN)": f"Illegal header value {raw!r}",
        "JSON of the h11 message (\\\\xNN)": json.dumps({"error": f"Illegal header value {raw!r}"}),
        "JSON \\u escapes": json.dumps({"value": value}),
        "Python str repr (\\u)": repr(value.encode("ascii", "backslashreplace").decode()),
        "URL %NN": urllib.parse.quote(value),
        "HTML character references": html.escape(value).encode("ascii", "xmlcharrefreplace").decode(),
        "JSONL of a notebook output": json.dumps({"text": [f"b'{raw!r}'"]}),
    }


@pytest.mark.parametrize("remembered", [True, False], ids=["remembered", "never-seen"])
def test_escaped_and_interrupted_copies_of_a_key_are_masked(remembered: bool) -> None:
    """Item 6: a zero-width space every 11 characters, written as escapes, must not let the pieces through."""
    canary = canary_key()
    if remembered:
        remember([canary])
    for mark in ("\u200b", "\u00a0", "\ufeff", "\u2060"):
        for how, text in _escaped_forms(_interrupted(canary, mark=mark)).items():
            assert_no_canary(scrub(text), [canary], where=f"{how} with U+{ord(mark):04X} leaks")


def test_escapes_of_every_kind_are_decoded_before_matching() -> None:
    """Item 6: \\xNN, \\uNNNN (also fully escaped ASCII), %NN and JSON \\u escapes of a whole key."""
    canary = canary_key()
    every_char_u = "".join(f"\\u{ord(c):04x}" for c in canary)
    every_char_x = "".join(f"\\x{ord(c):02x}" for c in canary)
    every_char_pct = "".join(f"%{ord(c):02X}" for c in canary)
    for text in (
        every_char_u,
        every_char_x,
        every_char_pct,
        json.dumps(every_char_u),
        f"&#x{ord(canary[0]):x};" + canary[1:],
    ):
        assert_no_canary(scrub(text), [canary], where=text[:8])


def test_a_file_holding_two_keys_does_not_make_the_prefix_a_secret() -> None:
    """Item 10: every hint read '[REDACTED]…' after a key file with two keys was inspected."""
    first, second, third = canary_key(), canary_key(), canary_key()
    Credential(alias="two-keys.txt", raw=f"{first}\n{second}\n")
    assert scrub(f"hint {hint(third)}") == f"hint {hint(third)}"
    assert_no_canary(scrub(f"{first} {second}"), [first, second])


def test_a_value_starting_with_a_quote_does_not_make_the_prefix_a_secret() -> None:
    """Item 10: the same bug after inspecting a value that starts with a quote."""
    quoted, other = canary_key(), canary_key()
    Credential(alias="quoted", raw=f'"{quoted}')
    Credential(alias="single", raw=f"'{quoted}'")
    assert scrub(hint(other)) == hint(other)
    assert_no_canary(scrub(f"x{quoted[5:]}"), [quoted])


def test_short_credentials_are_masked_as_whole_tokens() -> None:
    """Item 10: credentials under 8 characters were never registered and appeared whole in h11's message."""
    Credential(alias="short", raw="Zq7x9")
    out = scrub("Illegal header value b'Zq7x9\\n' and again Zq7x9 but not Zq7x9abc")
    assert "Zq7x9'" not in out and "again Zq7x9 " not in out
    assert "Zq7x9abc" in out  # only as a token of its own: a short value must not blank parts of words


def test_json_like_data_is_scrubbed_including_escaped_values() -> None:
    canary = canary_key()
    data = {"row": {"request_id": json.dumps(_interrupted(canary)), "note": [urllib.parse.quote(canary)]}}
    assert_no_canary(json.dumps(scrub_value(data)), [canary])


def test_key_shaped_values_are_recognised_for_refusal() -> None:
    canary = canary_key()
    assert looks_like_key(canary) and looks_like_key(f"http://{canary}@127.0.0.1:1")
    assert looks_like_key(urllib.parse.quote(_interrupted(canary)))
    assert not looks_like_key("data/runs") and not looks_like_key("http://127.0.0.1:8700")
    assert not looks_like_key("claude-haiku-4-5") and not looks_like_key("2023-06-01")


def test_a_hint_shows_at_most_a_quarter_of_the_value() -> None:
    """Item 10: hint() showed 7 characters of a 16-27 character value, more than the quarter it promises."""
    for length in range(1, 120):
        value = "".join("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"[i % 57] for i in range(length))
        shown = hint(value).replace("...", "")
        if "chars)" in shown:
            continue
        assert len(shown) * 4 <= length, (length, len(shown))
