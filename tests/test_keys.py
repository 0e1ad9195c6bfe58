"""Key inspection: kinds, defects with positions and Unicode names, repairs, labels that never leak the key."""

from __future__ import annotations

import pytest

from kit.keys.chars import char_class, marker
from kit.keys.credential import Credential
from kit.keys.inspect import inspect_key
from kit.keys.naming import fingerprint, hint
from kit.keys.report import KeyReport
from kit.testing import fake_key, find_leaks

KEY = fake_key("keys-test")
BODY = KEY[len("sk-ant-api03-") :]


def causes(value: str | bytes) -> tuple[str, ...]:
    return inspect_key(value).causes


def only(report: KeyReport, cause: str) -> list:
    return [d for d in report.defects if d.cause == cause]


def test_a_well_formed_key_has_no_defects_and_a_console_hint() -> None:
    report = inspect_key(KEY, alias="good")
    assert report.well_formed
    assert report.kind == "anthropic-api" and report.length == report.expected_length == 108
    assert report.hint == f"sk-ant-api03-{BODY[:3]}...{BODY[-4:]}"
    assert report.fingerprint == fingerprint(KEY) and len(report.fingerprint) == 12
    assert report.repaired_hint is None
    assert "prints 109 for it" in report.notes[0]


def test_the_tickets_109_characters_name_the_extra_character_and_explain_echo_wc() -> None:
    report = inspect_key(KEY + ".", alias="ticket")
    assert report.length == 109
    assert report.causes == ("key-extra-chars",)
    (defect,) = report.defects
    assert defect.position == 108 and defect.char == "U+002E FULL STOP"
    assert "109 characters where an Anthropic API key has 108" in defect.detail
    note = " ".join(report.notes)
    assert '`echo "$KEY" | wc -c`' in note and "prints 110 for this value and 109 for a correct key" in note
    assert report.repaired_fingerprint == fingerprint(KEY)


def test_a_correct_key_plus_echos_newline_is_explained_as_such() -> None:
    report = inspect_key(KEY + "\n")
    assert report.causes == ("key-whitespace",)
    assert report.defects[0].char == "U+000A LINE FEED" and report.defects[0].position == 108
    assert any("correct-length key plus the newline `echo` adds" in n for n in report.notes)
    assert report.hint == hint(KEY)  # the Console hint of the key itself


def test_an_extra_letter_after_the_closing_aa_is_located() -> None:
    report = inspect_key(KEY + "A")
    (defect,) = report.defects
    assert defect.cause == "key-extra-chars" and defect.position == 108
    assert "extra after the closing 'AA'" in defect.detail
    assert report.repaired_fingerprint == fingerprint(KEY)


def test_an_extra_character_inside_the_body_is_found_and_removed_by_the_repair() -> None:
    value = KEY[:50] + "," + KEY[50:]
    report = inspect_key(value)
    assert [(d.cause, d.position, d.char) for d in report.defects] == [("key-extra-chars", 50, "U+002C COMMA")]
    assert report.repaired_fingerprint == fingerprint(KEY)


def test_positions_of_invisible_characters_are_given_with_byte_offsets() -> None:
    value = KEY[:30] + "\u200b" + KEY[30:]
    report = inspect_key(value)
    (defect,) = report.defects
    assert (defect.cause, defect.position, defect.byte_offset) == ("key-invisible-char", 30, 30)
    assert defect.char == "U+200B ZERO WIDTH SPACE" and defect.detail == "zero-width character"
    assert "⟨U+200B⟩" in report.masked
    after = inspect_key("é" + KEY)  # two bytes before the key
    assert after.defects[0].byte_offset == 0
    cyr = inspect_key(KEY[:20] + "а" + KEY[21:])
    assert cyr.defects[0].position == 20


def test_look_alike_letters_say_which_letter_they_imitate() -> None:
    report = inspect_key(KEY[:40] + "\u0430" + KEY[41:])  # Cyrillic a
    (defect,) = report.defects
    assert defect.cause == "key-non-ascii" and "looks like 'a'" in defect.detail
    full = inspect_key(KEY[:40] + "\uff41" + KEY[41:])  # fullwidth a
    assert full.causes == ("key-non-ascii",)


def test_an_emoji_is_an_extra_character_not_a_look_alike() -> None:
    report = inspect_key(KEY + "\N{KEY}")
    assert report.causes == ("key-extra-chars",)
    assert report.defects[0].char == "U+1F511 KEY"


@pytest.mark.parametrize(
    "label",
    [
        "ANTHROPIC_API_KEY=",
        "export ANTHROPIC_API_KEY=",
        "x-api-key: ",
        "set -gx ANTHROPIC_API_KEY ",
        "setenv ANTHROPIC_API_KEY ",
        "$env:ANTHROPIC_API_KEY=",
        '"ANTHROPIC_API_KEY": ',
    ],
)
def test_a_pasted_label_is_named_and_repaired(label: str) -> None:
    report = inspect_key(label + KEY)
    assert "key-extra-chars" in report.causes
    assert any("label" in d.detail for d in report.defects)
    assert report.repaired_fingerprint == fingerprint(KEY)


def test_bearer_prefix_quotes_and_whitespace_each_have_their_cause() -> None:
    assert causes("Bearer " + KEY) == ("key-bearer-prefix",)
    assert causes('"' + KEY + '"') == ("key-quoted",)
    assert causes("\u201c" + KEY + "\u201d") == ("key-quoted",)
    assert causes(" " + KEY) == ("key-whitespace",)
    inner = inspect_key(KEY[:60] + " " + KEY[60:])
    assert inner.defects[0].detail == "inner whitespace"


def test_kinds_other_than_api_keys() -> None:
    admin = inspect_key(fake_key("boss", "admin"))
    assert admin.causes == ("key-admin",) and admin.expected_length == 110 and admin.role == "admin"
    oauth = inspect_key(fake_key("cc", "oauth"))
    assert oauth.causes == ("key-oauth-token",) and oauth.role == "oauth"
    refresh = inspect_key(fake_key("cc", "oauth-refresh"))
    assert refresh.kind == "anthropic-oauth-refresh"
    openai = inspect_key("sk-proj-" + "Ab1" * 20)
    assert openai.causes == ("key-wrong-provider",) and "OpenAI" in openai.defects[0].detail
    unknown = inspect_key("hunter2-hunter2-hunter2")
    assert unknown.causes == ("key-wrong-provider",) and unknown.role == "unknown"


def test_truncation_and_a_missing_suffix() -> None:
    assert inspect_key(KEY[:100]).causes == ("key-truncated",)
    changed = KEY[:-2] + "xy"
    assert inspect_key(changed).causes == ("key-truncated",)


@pytest.mark.parametrize(
    "value",
    [
        "your-api-key",
        "sk-ant-...",
        "<KEY>",
        "[REDACTED]",
        "sk-ant-api03-xxxxxxxxxx",
        "sk-ant-api03-YOUR-KEY-HERE",
        "${ANTHROPIC_API_KEY}",
        "sk-ant-api03-R2D...igAA",
        "ANTHROPIC_API_KEY=your-api-key",
    ],
)
def test_placeholders(value: str) -> None:
    report = inspect_key(value)
    assert report.causes == ("key-placeholder",), report.defects
    assert report.role == "placeholder"


def test_empty_and_blank_values_are_missing_keys() -> None:
    for value in ("", b"", None, "   ", "\n", "\u200b\u200b"):
        report = inspect_key(value)
        assert report.causes == ("key-missing",)
        assert report.role == "missing"


def test_a_huge_value_is_a_document_and_the_one_key_inside_is_found() -> None:
    text = ("lorem ipsum " * 1000) + KEY + (" dolor" * 1000)
    report = inspect_key(text)
    assert report.causes == ("key-extra-chars",) and "far longer" in report.defects[0].detail
    assert report.repaired_fingerprint == fingerprint(KEY)
    assert report.masked == f"({len(text)} chars)"


def test_bytes_and_text_fingerprint_alike_even_with_invalid_utf8() -> None:
    raw = KEY.encode()[:30] + b"\xff" + KEY.encode()[30:]
    text = raw.decode("utf-8", "surrogateescape")
    assert fingerprint(raw) == fingerprint(text)
    report = inspect_key(raw)
    assert report.defects[0].char == "byte 0xFF" and report.defects[0].detail == "invalid UTF-8"
    assert "⟨0xFF⟩" in report.masked


def test_char_classes_cover_the_invisible_families() -> None:
    expected = {
        "\u200b": "zero-width character",
        "\ufeff": "byte order mark (BOM)",
        "\u202e": "bidirectional control",
        "\u2066": "bidirectional control",
        "\u00a0": "no-break space",
        "\u00ad": "soft hyphen",
        "\x00": "control character",
        "\u2003": "unusual space",
        "\u2028": "line or paragraph separator",
        "\ufe0f": "variation selector",
        "\U000e0041": "tag character",
        "\u3164": "invisible filler character",
        "\ue000": "private-use character",
        "\u2061": "invisible format character",
        "a": None,
    }
    assert {c: char_class(c) for c in expected} == expected


def test_markers() -> None:
    assert marker("a") == "a" and marker(" ") == "⟨U+0020⟩" and marker("\u200b") == "⟨U+200B⟩"
    assert marker("\udcff") == "⟨0xFF⟩"


def test_too_many_odd_characters_are_counted_not_listed() -> None:
    report = inspect_key(KEY[:20] + "!" * 40 + KEY[20:])
    positional = [d for d in report.defects if d.position is not None]
    assert len(positional) == 12
    assert any(d.detail == "and 28 more like these" for d in report.defects)


def test_masked_shows_defects_in_place_and_hides_the_body() -> None:
    report = inspect_key(KEY[:40] + "\u00a0" + KEY[40:] + "\n")
    assert report.masked.startswith(f"sk-ant-api03-{BODY[:3]}‹•×")
    assert "⟨U+00A0⟩" in report.masked and report.masked.endswith("⟨U+000A⟩")
    assert not find_leaks(report.masked, [KEY])


def test_masked_never_shows_a_long_raw_run_of_punctuation() -> None:
    secret = "!@#$%^&*()+=!@#$%^&*()+="
    report = inspect_key(secret)
    assert not find_leaks(report.masked, [secret])
    assert not find_leaks(repr(report), [secret])


def test_credential_repr_and_str_hide_the_secret_and_report_keeps_alias_and_source() -> None:
    cred = Credential(alias="k", raw=KEY + "\n", source="file:/k.txt")
    for text in (repr(cred), str(cred), f"{cred}", repr(cred.report())):
        assert not find_leaks(text, [KEY])
    report = cred.report()
    assert report.alias == "k" and report.source == "file:/k.txt"
    repaired = cred.repaired()
    assert repaired is not None and repaired.value == KEY and repaired.alias == "k (repaired)"
    assert Credential(alias="ok", raw=KEY).repaired() is None


def test_rows_for_tables_hold_no_secret() -> None:
    report = inspect_key("\ufeff" + KEY + "\r\n", alias="bom")
    row = report.to_row()
    assert row["alias"] == "bom" and row["causes"] == "key-invisible-char, key-whitespace"
    rows = report.defect_rows()
    assert [r["position"] for r in rows] == [0, 109, 110]
    assert not find_leaks(str(row) + str(rows), [KEY])
    assert any("CR LF" in n for n in report.notes)


def test_markdown_and_html_pictures_highlight_defects_in_place() -> None:
    report = inspect_key(KEY[:40] + "\u200b" + KEY[40:] + ".\n", alias="a<b")
    picture = report.masked_html()
    assert '<span style="background:#fde0dc;color:#b3261e;font-weight:bold">⟨U+200B⟩</span>' in picture
    assert '<span style="background:#fde0dc;color:#b3261e;font-weight:bold">.</span>' in picture
    text = report.to_markdown()
    assert text.startswith("#### a&lt;b · Anthropic API key · 111 of 108 characters (113 bytes)")
    positions = [line.split("**")[1] for line in text.splitlines() if line.startswith("- **position")]
    assert positions == ["position 40", "position 109 (byte 111)", "position 110 (byte 112)"]
    assert '`echo "$KEY" | wc -c`' in text  # notes keep their code spans
    assert not find_leaks(text + picture, [KEY])
    assert report._repr_markdown_() == text


def test_a_key_inside_a_sentence_or_json_is_found_and_the_rest_is_not_shown() -> None:
    for text in (f"my new key is {KEY} thanks", f'{{"api_key": "{KEY}"}}'):
        report = inspect_key(text)
        assert report.causes == ("key-extra-chars",) and "sits inside other text" in report.defects[0].detail
        assert report.repaired_fingerprint == fingerprint(KEY) and report.kind == "anthropic-api"
        assert report.masked.startswith("‹") and "thanks" not in report.masked
