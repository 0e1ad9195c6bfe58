"""Inspect a credential's exact bytes: its kind, every defect with its position, a repair, and safe labels.

Most "invalid x-api-key" cases are decided here, before any request: the bytes are not the key (an
extra character, a quote, a zero-width space, a truncated copy, another provider's key, an OAuth
token). ``inspect_key`` never raises on any input and its ``KeyReport`` never holds the secret: it
carries a fingerprint (hash prefix) and a Console-style hint (``sk-ant-api03-R2D...igAA``).

Positions are 0-based character (code point) indexes into the value as stored; bytes that are not
valid UTF-8 count as one character each and show as ``⟨0xFF⟩``. The pieces live beside this module:
``chars`` (character classes), ``naming`` (fingerprint and hint), ``clean`` (cleaning and repair),
``report`` (the verdict) and ``credential`` (the holder of a secret).
"""

from __future__ import annotations

import re
from typing import Any

from kit.catalog import KeyKind, catalog
from kit.keys.chars import ASCII_WHITESPACE, QUOTES, char_name, classify_char, is_invisible, marker
from kit.keys.clean import BEARER, clean, embedded, repair, strip_label
from kit.keys.naming import MAX_INSPECT_CHARS, as_bytes, as_text, coerce, fingerprint, hint
from kit.keys.report import Defect, KeyReport

__all__ = ["MAX_DEFECTS_PER_CAUSE", "inspect_key"]

#: At most this many per-character defects of one cause are listed; the rest are counted.
MAX_DEFECTS_PER_CAUSE = 12
#: ``masked`` never shows more than this many raw characters in a row from the body of a value.
_MAX_RAW_RUN = 5

_HINT_SHAPE = re.compile(r"^(?:sk-ant-[a-z]+\d\d-)?[A-Za-z0-9_\-]{1,8}(?:\.{2,}|…|\*{2,}|•+)[A-Za-z0-9_\-]{0,8}$")
_UNEXPANDED = re.compile(r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?-[^}]*)?\}?|%[A-Za-z_][A-Za-z0-9_]*%)$")
_PLACEHOLDER_WORDS = frozenset(
    {
        "your",
        "my",
        "the",
        "a",
        "key",
        "api",
        "apikey",
        "here",
        "goes",
        "put",
        "paste",
        "insert",
        "replace",
        "me",
        "xxx",
        "redacted",
        "placeholder",
        "example",
        "dummy",
        "fake",
        "secret",
        "changeme",
        "change",
        "token",
        "anthropic",
        "claude",
        "value",
        "todo",
        "test",
        "demo",
        "sample",
        "enter",
        "real",
        "new",
        "actual",
    }
)


def _placeholder(text: str) -> str | None:
    """Why ``text`` is template text rather than a secret, or None."""
    cat = catalog()
    bare = text.strip().strip("\"'`\u201c\u201d\u2018\u2019").strip()
    if not bare:
        return None
    if bare.lower() in cat.placeholders:
        return "the value is template text, not a secret"
    if bare.startswith("<") and bare.endswith(">"):
        return "the value is a <placeholder>, not a secret"
    if _UNEXPANDED.match(bare):
        return "the value is an unexpanded variable reference: the loader that read it did not interpolate variables"
    if _HINT_SHAPE.match(bare) and len(bare) < 40:
        return (
            "the value is a key's display hint (first and last characters with '...'), not the key: the "
            "Console shows the full key only once, when it is created"
        )
    kind = cat.classify(bare)
    rest = bare[len(kind.prefix) :] if kind else bare
    if rest and all(c in cat.placeholder_filler for c in rest) and len(set(rest)) <= 3:
        return "the value is template text, not a secret"
    words = [w for w in re.split(r"[^a-z0-9]+", rest.lower()) if w]
    if kind and words and all(w in _PLACEHOLDER_WORDS or set(w) <= {"x"} for w in words):
        return "the value is template text after a real prefix, not a secret"
    return None


def _masked(text: str, prefix_len: int) -> str:
    """The whole value with plain body characters hidden and every odd character shown as a marker.

    The first 3 and last 4 body characters show (as in the hint), odd ASCII characters show as
    themselves, everything else as ``⟨U+XXXX⟩``; never more than a few raw body characters in a row.
    """
    pieces: list[str] = []
    hidden = 0
    raw_run = 0
    body_len = len(text) - prefix_len
    for index, ch in enumerate(text):
        body_index = index - prefix_len
        plain = ch.isascii() and (ch.isalnum() or ch in "_-")
        visible = index < prefix_len or 0 <= body_index < 3 or body_index >= body_len - 4
        if plain and not visible:
            hidden += 1
            raw_run = 0
            continue
        if hidden:
            pieces.append(_hidden(hidden))
            hidden = 0
        shown = marker(ch)
        if index >= prefix_len and shown == ch:
            raw_run += 1
            if raw_run > _MAX_RAW_RUN:
                shown = f"⟨U+{ord(ch):04X}⟩"
                raw_run = 0
        else:
            raw_run = 0
        pieces.append(shown)
    if hidden:
        pieces.append(_hidden(hidden))
    return "".join(pieces)


def _hidden(count: int) -> str:
    """A run of hidden characters: bullets, or ``‹•×88›`` for a long run (delimited, so a digit after it is clear)."""
    return "•" * count if count <= 4 else f"‹•×{count}›"


class _Defects:
    """Collects defects, capping per-character ones so a pasted document does not list thousands."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.items: list[Defect] = []
        self.counts: dict[str, int] = {}
        self.dropped: dict[str, int] = {}
        self._seen: set[tuple[str, str, int | None]] = set()

    def add(self, cause: str, detail: str, position: int | None = None, char: str | None = None) -> None:
        key = (cause, detail, position)
        if key in self._seen:
            return
        self._seen.add(key)
        if position is not None:
            self.counts[cause] = self.counts.get(cause, 0) + 1
            if self.counts[cause] > MAX_DEFECTS_PER_CAUSE:
                self.dropped[cause] = self.dropped.get(cause, 0) + 1
                return
        offset = len(as_bytes(self.text[:position])) if position is not None else None
        self.items.append(Defect(cause, detail, position, char, offset))

    def has_positional(self, cause: str) -> bool:
        return self.counts.get(cause, 0) > 0

    def done(self) -> tuple[Defect, ...]:
        extra = [Defect(cause, f"and {n} more like these") for cause, n in self.dropped.items()]
        return tuple(self.items + extra)


def inspect_key(raw: bytes | str | None, alias: str = "key", *, source: str = "") -> KeyReport:
    """Examine a credential exactly as stored. Never raises; never puts the secret in the report."""
    raw = coerce(raw)
    text = as_text(raw)
    fp = fingerprint(raw)
    byte_length = len(as_bytes(raw))
    cat = catalog()

    def report(**kw: Any) -> KeyReport:
        return KeyReport(alias=alias, fingerprint=fp, length=len(text), byte_length=byte_length, source=source, **kw)

    if not text.strip() or all(is_invisible(c) or c in ASCII_WHITESPACE for c in text):
        what = "empty" if not text else f"only blank or invisible characters ({len(text)})"
        found = _Defects(text)
        found.add("key-missing", f"the value is {what}")
        return report(
            hint="(empty)" if not text else f"({len(text)} blank)",
            masked=_masked(text, 0),
            kind=None,
            kind_label="no value",
            role="missing",
            expected_length=None,
            defects=found.done(),
        )

    if len(text) > MAX_INSPECT_CHARS:
        return _inspect_huge(text, report)

    placeholder = _placeholder(text) or _placeholder(strip_label(text)[0])
    if placeholder:
        found = _Defects(text)
        found.add("key-placeholder", placeholder)
        return report(
            hint=hint(raw),
            masked=_masked(text, 0),
            kind=None,
            kind_label="placeholder",
            role="placeholder",
            expected_length=None,
            defects=found.done(),
        )

    if cat.classify(clean(text)) is None and (inner := embedded(text)):
        return _inspect_embedded(text, inner, report)

    found = _Defects(text)
    notes: list[str] = []
    body, label = strip_label(text)
    offset = len(text) - len(body)
    bearer = BEARER.match(body.lstrip())
    bearer_end = offset + (len(body) - len(body.lstrip())) + (bearer.end() if bearer else 0)
    if label:
        found.add(
            "key-extra-chars", f"the value starts with {label} (a variable or header name pasted with the key)", 0
        )
    if bearer:
        found.add(
            "key-bearer-prefix",
            "the value starts with 'Bearer ' (the header scheme, not part of the key)",
            bearer_end - bearer.end(),
        )

    for index, ch in enumerate(text):
        if index < offset or (bearer and index < bearer_end and text[offset:index].strip()):
            continue  # the label, and the 'Bearer ' word with its space, are reported above
        if ch in ASCII_WHITESPACE:
            place = (
                "leading"
                if not text[offset:index].strip()
                else "trailing"
                if not text[index + 1 :].strip()
                else "inner"
            )
            found.add("key-whitespace", f"{place} whitespace", index, char_name(ch))
            continue
        classified = classify_char(ch)
        if classified:
            found.add(classified[0], classified[1], index, char_name(ch))

    cleaned = clean(text)
    kind = cat.classify(cleaned)
    expected = kind.length if kind and kind.length else None
    start = text.find(cleaned[:4]) if cleaned else 0

    if kind is not None and kind.cause:
        found.add(kind.cause, f"this is {_a(kind.label)} ({kind.provider}), not an Anthropic API key")
    elif kind is None:
        if cleaned.lower().startswith("sk-ant-"):
            found.add(
                "key-wrong-provider",
                "the value starts with 'sk-ant-' but with no known key type after it (expected 'sk-ant-api03-')",
            )
        else:
            found.add(
                "key-wrong-provider",
                "the value does not start with any known key prefix (Anthropic API keys start with 'sk-ant-api03-')",
            )

    if kind is not None:
        _check_length(text, cleaned, kind, start, offset, found)

    if crlf := text.endswith("\r\n"):
        notes.append("The value ends with CR LF: it was read from a file with Windows line endings.")
    if expected:
        notes.append(_length_note(kind, len(text), byte_length, text.endswith("\n") and not crlf))

    repaired = repair(text)
    if repaired and kind is None:
        kind = cat.classify(repaired)
        expected = kind.length if kind and kind.length else None
    role = kind.role if kind else "unknown"
    return report(
        hint=hint(repaired if repaired else cleaned or text),
        masked=_masked(text, start + len(kind.prefix) if kind and kind.provider == "Anthropic" else 0),
        kind=kind.id if kind else None,
        kind_label=kind.label if kind else "unrecognised value",
        role=role,
        expected_length=expected,
        defects=found.done(),
        repaired_fingerprint=fingerprint(repaired) if repaired and repaired != text else None,
        repaired_hint=hint(repaired) if repaired and repaired != text else None,
        notes=tuple(notes),
    )


def _check_length(text: str, cleaned: str, kind: KeyKind, start: int, offset: int, found: _Defects) -> None:
    """Length and alphabet: truncated, extra characters outside the alphabet, extra after the suffix."""
    expected = kind.length or None
    allowed = kind.allowed
    odd = [
        (i, c)
        for i, c in enumerate(text)
        if i >= max(offset, start + len(kind.prefix))
        and c.isascii()
        and c.isprintable()
        and c not in allowed
        and c not in QUOTES
        and c != " "
    ]
    too_long = expected is not None and len(cleaned) > expected
    for index, ch in odd:
        if too_long and expected is not None:
            detail = (
                f"{len(cleaned)} characters where {_a(kind.label)} has {expected}; extra character "
                "outside the key alphabet"
            )
        else:
            detail = "character outside the key alphabet"
        found.add("key-extra-chars", detail, index, char_name(ch))
    if expected is None:
        return
    if len(cleaned) < expected:
        found.add(
            "key-truncated",
            f"{len(cleaned)} characters where {_a(kind.label)} has {expected}: "
            f"{expected - len(cleaned)} missing (copied in part?)",
        )
    elif too_long and not odd and not found.has_positional("key-extra-chars"):
        extra = cleaned[expected:]
        if kind.suffix and cleaned[expected - len(kind.suffix) : expected] == kind.suffix:
            names = ", ".join(char_name(c) for c in extra[:8]) + (" ..." if len(extra) > 8 else "")
            position = text.rfind(extra) if extra else None
            found.add(
                "key-extra-chars",
                f"{len(cleaned)} characters where {_a(kind.label)} has {expected}; "
                f"extra after the closing '{kind.suffix}': {names}",
                position if position is not None and position >= 0 else None,
            )
        else:
            found.add(
                "key-extra-chars",
                f"{len(cleaned)} characters where {_a(kind.label)} has {expected}; the "
                "extra character is inside the body, so this copy cannot be repaired: copy the key again",
            )
    if kind.suffix and len(cleaned) == expected and not cleaned.endswith(kind.suffix):
        found.add(
            "key-truncated",
            f"{_a(kind.label)} ends with '{kind.suffix}'; this one does not, so characters were lost or changed",
        )


def _length_note(kind: KeyKind | None, length: int, byte_length: int, ends_with_newline: bool) -> str:
    """Explain what ``echo "$KEY" | wc -c`` prints, for this value and for a correct key."""
    label = kind.label if kind else "key"
    expected = kind.length if kind else 0
    lead = f"{_cap(_a(label))} is {expected} characters; this value is {length} characters ({byte_length} bytes)."
    if length == expected == byte_length:
        return (
            f'{lead} `echo "$KEY" | wc -c` prints {expected + 1} for it, because echo appends a newline; '
            f'`printf %s "$KEY" | wc -c` prints {expected}.'
        )
    if ends_with_newline and length == expected + 1:
        return (
            f'{lead} That is a correct-length key plus the newline `echo` adds: `echo "$KEY" | wc -c` prints '
            f"{expected + 1} for a correct {expected}-character key. Store it without the newline "
            '(`printf %s "$KEY" > file`).'
        )
    return (
        f'{lead} `echo "$KEY" | wc -c` counts the newline echo appends, so it prints {byte_length + 1} for '
        f'this value and {expected + 1} for a correct key; `printf %s "$KEY" | wc -c` counts the key alone '
        f"({byte_length})."
    )


def _inspect_embedded(text: str, inner: tuple[str, int], report: Any) -> KeyReport:
    """A well-formed key inside other text (a sentence, a JSON blob, a log line): name the extra text around it."""
    key, start = inner
    after = len(text) - start - len(key)
    kind = catalog().classify(key)
    found = _Defects(text)
    found.add(
        "key-extra-chars",
        f"the key sits inside other text: {start} character(s) before it and {after} after "
        "it were pasted with it (a sentence, JSON or a log line)",
        0 if start else start + len(key),
    )
    if kind is not None and kind.cause:
        found.add(kind.cause, f"this is {_a(kind.label)} ({kind.provider}), not an Anthropic API key")
    prefix = len(kind.prefix) if kind else 0
    masked = (f"‹{start} chars›" if start else "") + _masked(key, prefix) + (f"‹{after} chars›" if after else "")
    return report(  # type: ignore[no-any-return]
        hint=hint(key),
        masked=masked,
        kind=kind.id if kind else None,
        kind_label=kind.label if kind else "unrecognised value",
        role=kind.role if kind else "unknown",
        expected_length=kind.length if kind and kind.length else None,
        defects=found.done(),
        repaired_fingerprint=fingerprint(key),
        repaired_hint=hint(key),
    )


def _inspect_huge(text: str, report: Any) -> KeyReport:
    """A value far longer than any key: a file or a document. Look for one key inside it, never scan it all."""
    found = _Defects(text[:0])
    inner = embedded(text)
    kind = catalog().classify(inner[0]) if inner else None
    if inner:
        found.add(
            "key-extra-chars",
            f"the value is {len(text)} characters, far longer than any key (a whole file "
            f"or a document was read); it holds one {kind.label if kind else 'key'} starting at character "
            f"{inner[1]}",
        )
    else:
        found.add(
            "key-extra-chars",
            f"the value is {len(text)} characters, far longer than any key (a whole file "
            "or a document was read instead of the key)",
        )
    repaired = inner[0] if inner else None
    return report(  # type: ignore[no-any-return]
        hint=hint(repaired) if repaired else f"({len(text)} chars)",
        masked=f"({len(text)} chars)",
        kind=kind.id if kind else None,
        kind_label="not a key",
        role="unknown",
        expected_length=kind.length if kind else None,
        defects=found.done(),
        repaired_fingerprint=fingerprint(repaired) if repaired else None,
        repaired_hint=hint(repaired) if repaired else None,
    )


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _a(label: str) -> str:
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label
