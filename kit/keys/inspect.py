"""Inspect a credential's exact bytes: its kind, every defect with its position, a repair, and safe labels.

Most "invalid x-api-key" cases are decided here, before any request: the bytes are not the key (an
extra character, a quote, a zero-width space, a truncated copy, another provider's key, an OAuth
token). ``inspect_key`` never raises on any input and its ``KeyReport`` never holds the secret: it
carries a fingerprint (hash prefix) and a Console-style hint (``sk-ant-api03-R2D...igAA``).

The secret itself travels only inside a ``Credential``, whose ``repr`` and ``str`` are masked.
Positions are 0-based character (code point) indexes into the value as stored; bytes that are not
valid UTF-8 count as one character each and show as ``⟨0xFF⟩``.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from kit.catalog import KeyKind, catalog

__all__ = [
    "MAX_INSPECT_CHARS",
    "Credential",
    "Defect",
    "KeyReport",
    "char_class",
    "fingerprint",
    "hint",
    "inspect_key",
    "marker",
]

#: Values longer than this are not keys; only a key-shaped part inside them is looked for.
MAX_INSPECT_CHARS = 4096
#: At most this many per-character defects of one cause are listed; the rest are counted.
MAX_DEFECTS_PER_CAUSE = 12
_HIGHLIGHT = "background:#fde0dc;color:#b3261e;font-weight:bold"
#: ``masked`` never shows more than this many raw characters in a row from the body of a value.
_MAX_RAW_RUN = 5

_QUOTES = {
    '"': "QUOTATION MARK",
    "'": "APOSTROPHE",
    "`": "GRAVE ACCENT",
    "\u2018": "LEFT SINGLE QUOTATION MARK",
    "\u2019": "RIGHT SINGLE QUOTATION MARK",
    "\u201a": "SINGLE LOW-9 QUOTATION MARK",
    "\u201b": "SINGLE HIGH-REVERSED-9 QUOTATION MARK",
    "\u201c": "LEFT DOUBLE QUOTATION MARK",
    "\u201d": "RIGHT DOUBLE QUOTATION MARK",
    "\u201e": "DOUBLE LOW-9 QUOTATION MARK",
    "\u201f": "DOUBLE HIGH-REVERSED-9 QUOTATION MARK",
    "\u00ab": "LEFT-POINTING DOUBLE ANGLE QUOTATION MARK",
    "\u00bb": "RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK",
    "\u2039": "SINGLE LEFT-POINTING ANGLE QUOTATION MARK",
    "\u203a": "SINGLE RIGHT-POINTING ANGLE QUOTATION MARK",
    "\u2032": "PRIME",
    "\u2033": "DOUBLE PRIME",
    "\u00b4": "ACUTE ACCENT",
    "\u300c": "LEFT CORNER BRACKET",
    "\u300d": "RIGHT CORNER BRACKET",
    "\uff02": "FULLWIDTH QUOTATION MARK",
    "\uff07": "FULLWIDTH APOSTROPHE",
}
_ASCII_WHITESPACE = {" ": "SPACE", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\f": "FORM FEED",
                     "\v": "LINE TABULATION"}
# Look-alike letters that copy/paste and keyboard layouts put into keys: the ASCII letter they imitate.
# (Fullwidth forms, superscripts and the like are found with NFKC instead.)
_CONFUSABLES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ү": "Y", "Ԍ": "G",
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "τ": "t", "κ": "k", "ι": "i", "υ": "u",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "ı": "i", "ɡ": "g", "ⅼ": "l",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u2043": "-", "\ufe63": "-", "\uff0d": "-", "\u02cd": "_", "\uff3f": "_",
}
# Letters that render as nothing at all (used to hide text): treated as invisible, not as look-alikes.
_INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f", "\u17b4", "\u17b5"}
_BIDI = {"\u200e", "\u200f", "\u061c"} | {chr(c) for c in range(0x202A, 0x202F)} | \
        {chr(c) for c in range(0x2066, 0x206A)}
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\u180e"}
_NO_BREAK = {"\u00a0", "\u202f", "\u2007"}

_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_LABEL = re.compile(
    r"^\s*(?:export\s+|set\s+|\$env:|(?:declare|typeset)\s+-[A-Za-z]*x[A-Za-z]*\s+)?"
    rf"(?P<q>[\"']?)(?P<name>{_ENV_NAME})(?P=q)\s*[=:]\s*"
)
_WORD_LABEL = re.compile(rf"^\s*(?:set\s+(?:-{{1,2}}[A-Za-z]+\s+)+|setenv\s+)(?P<name>{_ENV_NAME})\s+")
_HEADER_LABEL = re.compile(r"^\s*(?P<name>x-api-key|authorization|api-key)\s*:\s*", re.IGNORECASE)
_BEARER = re.compile(r"^bearer\s+", re.IGNORECASE)
_HINT_SHAPE = re.compile(r"^(?:sk-ant-[a-z]+\d\d-)?[A-Za-z0-9_\-]{1,8}(?:\.{2,}|…|\*{2,}|•+)[A-Za-z0-9_\-]{0,8}$")
_UNEXPANDED = re.compile(r"^(?:\$\{?[A-Za-z_][A-Za-z0-9_]*(?::?-[^}]*)?\}?|%[A-Za-z_][A-Za-z0-9_]*%)$")
_PLACEHOLDER_WORDS = frozenset({
    "your", "my", "the", "a", "key", "api", "apikey", "here", "goes", "put", "paste", "insert", "replace", "me",
    "xxx", "redacted", "placeholder", "example", "dummy", "fake", "secret", "changeme", "change", "token",
    "anthropic", "claude", "value", "todo", "test", "demo", "sample", "enter", "real", "new", "actual",
})


def marker(ch: str) -> str:
    """How a character is shown in KeyLab output: itself if plain ASCII, else ``⟨U+200B⟩`` (``⟨0xFF⟩``: bad byte)."""
    if len(ch) == 1 and 0xDC80 <= ord(ch) <= 0xDCFF:
        return f"⟨0x{ord(ch) - 0xDC00:02X}⟩"
    if ch.isascii() and ch.isprintable() and ch != " ":
        return ch
    return f"⟨U+{ord(ch):04X}⟩"


def _char_name(ch: str) -> str:
    if 0xDC80 <= ord(ch) <= 0xDCFF:
        return f"byte 0x{ord(ch) - 0xDC00:02X}"
    name = _ASCII_WHITESPACE.get(ch) or unicodedata.name(ch, "")
    if not name:
        name = {"\x00": "NULL", "\x7f": "DELETE"}.get(ch, f"control character {unicodedata.category(ch)}")
    return f"U+{ord(ch):04X} {name}"


def char_class(ch: str) -> str | None:
    """The invisible-character class of ``ch`` (``"zero-width character"``, ``"bidirectional control"``...), or None.

    These are the characters a reader cannot see in a terminal or an editor, so a key holding one looks
    right and is not.
    """
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:
        return "invalid UTF-8"
    if ch == "\ufeff":
        return "byte order mark (BOM)"
    if ch in _ZERO_WIDTH:
        return "zero-width character"
    if ch in _BIDI:
        return "bidirectional control"
    if ch in _NO_BREAK:
        return "no-break space"
    if ch == "\u00ad":
        return "soft hyphen"
    if ch in _INVISIBLE_LETTERS:
        return "invisible filler character"
    if 0xFE00 <= code <= 0xFE0F or 0xE0100 <= code <= 0xE01EF:
        return "variation selector"
    if 0xE0000 <= code <= 0xE007F:
        return "tag character"
    category = unicodedata.category(ch)
    if category == "Cc":
        return "control character"
    if category == "Zs":
        return "unusual space"
    if category in ("Zl", "Zp"):
        return "line or paragraph separator"
    if category == "Cf":
        return "invisible format character"
    if category == "Co":
        return "private-use character"
    if category == "Cn":
        return "unassigned code point"
    if category == "Cs":
        return "lone surrogate"
    return None


def _is_invisible(ch: str) -> bool:
    return char_class(ch) is not None


def _as_text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="surrogateescape")
    return raw


def _as_bytes(raw: bytes | str) -> bytes:
    """The bytes of ``raw``; text holding escaped bad bytes (``surrogateescape``) gives those bytes back."""
    if isinstance(raw, bytes):
        return raw
    try:
        return raw.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # lone surrogates outside the escape range
        return raw.encode("utf-8", errors="surrogatepass")


def _coerce(raw: object) -> bytes | str:
    if raw is None:
        return b""
    if isinstance(raw, bytes | str):
        return raw
    if isinstance(raw, bytearray | memoryview):
        return bytes(raw)
    return str(raw)


def fingerprint(raw: bytes | str) -> str:
    """A stable, non-reversible label for exact bytes: the first 12 hex digits of their SHA-256.

    ``fingerprint(b)`` and ``fingerprint(b.decode("utf-8", "surrogateescape"))`` agree, so a value read
    from a file and the same value read from a variable compare equal.
    """
    return hashlib.sha256(_as_bytes(raw)).hexdigest()[:12]


def hint(value: bytes | str) -> str:
    """The Console-style hint: the known prefix, 3 characters, ``...``, the last 4 (``sk-ant-api03-R2D...igAA``).

    Characters that are not plain ASCII show as markers. Short or unknown values reveal at most a quarter
    of their characters, so a hint never gives away a useful part of a secret.
    """
    text = _as_text(value)
    if not text:
        return "(empty)"
    kind = catalog().classify(text)
    prefix = kind.prefix if kind and kind.provider == "Anthropic" else ""
    body = text[len(prefix):]
    if len(body) >= 16:
        return prefix + "".join(map(marker, body[:3])) + "..." + "".join(map(marker, body[-4:]))
    if len(body) >= 8:
        return prefix + "".join(map(marker, body[:1])) + "..." + "".join(map(marker, body[-1:]))
    return prefix + f"…({len(body)} chars)"


@dataclass(frozen=True)
class Defect:
    """One thing wrong with the bytes. ``cause`` is an ID from causes.md; ``position`` is 0-based."""

    cause: str
    detail: str
    position: int | None = None
    char: str | None = None  # the character's name ("U+200B ZERO WIDTH SPACE"), never a secret
    byte_offset: int | None = None  # where the character starts in the stored bytes (for hexdump readers)

    def describe(self) -> str:
        where = f" at position {self.position}" if self.position is not None else ""
        what = f" {self.char}" if self.char else ""
        return f"{self.detail}{what}{where}"


@dataclass(frozen=True)
class KeyReport:
    """What a credential's bytes say, with no secret in it: safe to print, log, plot and save."""

    alias: str
    fingerprint: str
    hint: str
    masked: str  # full-length picture: body masked, defects shown as markers in place
    length: int  # characters (code points) as stored
    byte_length: int
    kind: str | None  # catalog kind id, None if unrecognised
    kind_label: str
    role: str  # api | admin | oauth | foreign | unknown | missing | placeholder
    expected_length: int | None
    defects: tuple[Defect, ...] = ()
    repaired_fingerprint: str | None = None
    repaired_hint: str | None = None
    notes: tuple[str, ...] = ()
    source: str = ""  # the Source.id the value was read from ("" when inspected on its own)

    @property
    def well_formed(self) -> bool:
        """True when the bytes are exactly one credential of a recognised Anthropic API format."""
        return not self.defects and self.role == "api"

    @property
    def causes(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for defect in self.defects:
            seen.setdefault(defect.cause, None)
        return tuple(seen)

    def summary(self) -> str:
        if not self.defects:
            return f"{self.alias}: {self.kind_label}, {self.length} chars, no defects ({self.hint})"
        return f"{self.alias}: " + "; ".join(d.describe() for d in self.defects)

    def to_row(self) -> dict[str, Any]:
        """One flat row for a table (pandas at the edge): no secret, only labels."""
        return {
            "alias": self.alias, "kind": self.kind_label, "length": self.length,
            "expected": self.expected_length, "bytes": self.byte_length, "hint": self.hint,
            "fingerprint": self.fingerprint, "masked": self.masked, "causes": ", ".join(self.causes) or "ok",
            "repaired hint": self.repaired_hint or "", "source": self.source,
        }

    def masked_html(self) -> str:
        """``masked`` as HTML: invisible and odd characters highlighted in place, the hidden body dimmed."""
        out = []
        for part in re.split(r"(⟨[^⟩]*⟩|‹•×\d+›|‹\d+ chars›|•+)", self.masked):
            if not part:
                continue
            if part.startswith("⟨"):
                out.append(f'<span style="{_HIGHLIGHT}">{html.escape(part)}</span>')
            elif part.startswith(("•", "‹")):
                out.append(f'<span style="color:#888">{html.escape(part)}</span>')
            else:
                out.append("".join(
                    html.escape(c) if c.isalnum() or c in "_-" or self.length > MAX_INSPECT_CHARS
                    else f'<span style="{_HIGHLIGHT}">{html.escape(c)}</span>'
                    for c in part))
        return '<code style="white-space:pre-wrap;word-break:break-all">' + "".join(out) + "</code>"

    def to_markdown(self) -> str:
        """The report as Markdown (with the highlighted picture of the value as inline HTML)."""
        expected = f" of {self.expected_length}" if self.expected_length else ""
        verdict = "well-formed" if self.well_formed else ", ".join(f"`{c}`" for c in self.causes) or self.kind_label
        lines = [f"#### {html.escape(self.alias, quote=False)} · {self.kind_label} · {self.length}{expected} "
                 f"characters ({self.byte_length} bytes) · {verdict}", "",
                 f"- hint `{self.hint}` · fingerprint `{self.fingerprint}`",
                 f"- as stored: {self.masked_html()}"]
        ordered = sorted(self.defects, key=lambda d: (d.position is None, d.position or 0))
        for d in ordered:
            where = f"position {d.position}" if d.position is not None else "whole value"
            if d.byte_offset not in (None, d.position):
                where += f" (byte {d.byte_offset})"
            char = f" {html.escape(d.char, quote=False)}" if d.char else ""
            lines.append(f"- **{where}**:{char} {html.escape(d.detail, quote=False)} (`{d.cause}`)")
        if self.repaired_hint:
            lines.append(f"- repaired candidate: `{self.repaired_hint}` (fingerprint `{self.repaired_fingerprint}`)")
        lines += [f"- {note}" for note in self.notes]  # KeyLab's own words, with `code` spans
        return "\n".join(lines) + "\n"

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def defect_rows(self) -> list[dict[str, Any]]:
        """One row per defect: cause, position, byte offset, character name, detail."""
        return [{"alias": self.alias, "cause": d.cause, "position": d.position, "byte offset": d.byte_offset,
                 "character": d.char or "", "detail": d.detail} for d in self.defects]


@dataclass(frozen=True)
class Credential:
    """A secret and where it came from. ``repr``/``str`` show only the alias, hint and fingerprint.

    Creating one registers the secret with ``kit.guard.redact`` so that every later output is scrubbed of it.
    """

    alias: str
    raw: bytes | str = field(repr=False)
    source: str = ""

    def __post_init__(self) -> None:
        from kit.guard import redact  # redact imports this module; the import is deferred to break the cycle

        redact.remember([self.raw])

    @property
    def value(self) -> str:
        """The exact value as text (invalid UTF-8 bytes kept as surrogate escapes)."""
        return _as_text(self.raw)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.raw)

    @property
    def hint(self) -> str:
        return hint(self.raw)

    def report(self) -> KeyReport:
        return inspect_key(self.raw, alias=self.alias, source=self.source)

    def repaired(self) -> Credential | None:
        """A credential holding the obvious repair of these bytes, or ``None`` if there is none."""
        candidate = _repair(self.value)
        if candidate is None or candidate == self.value:
            return None
        return Credential(alias=f"{self.alias} (repaired)", raw=candidate, source=self.source)

    def __repr__(self) -> str:
        return f"Credential(alias={self.alias!r}, hint={self.hint!r}, fingerprint={self.fingerprint!r})"

    __str__ = __repr__


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
        return ("the value is an unexpanded variable reference: the loader that read it did not interpolate "
                "variables")
    if _HINT_SHAPE.match(bare) and len(bare) < 40:
        return ("the value is a key's display hint (first and last characters with '...'), not the key: the "
                "Console shows the full key only once, when it is created")
    kind = cat.classify(bare)
    rest = bare[len(kind.prefix):] if kind else bare
    if rest and all(c in cat.placeholder_filler for c in rest) and len(set(rest)) <= 3:
        return "the value is template text, not a secret"
    words = [w for w in re.split(r"[^a-z0-9]+", rest.lower()) if w]
    if kind and words and all(w in _PLACEHOLDER_WORDS or set(w) <= {"x"} for w in words):
        return "the value is template text after a real prefix, not a secret"
    return None


def _label_name(name: str) -> bool:
    upper = name.upper()
    return "KEY" in upper or "TOKEN" in upper


def _strip_label(text: str) -> tuple[str, str | None]:
    """Remove a pasted ``NAME=`` / ``export NAME=`` / ``set -gx NAME`` / ``x-api-key:`` label.

    Returns the rest and a safe description of the label (the label itself only when it is a
    conventional variable or header name).
    """
    match = _HEADER_LABEL.match(text)
    if match:
        rest = text[match.end():]
        if rest.strip():
            return rest, f"the label {match.group(0).strip()!r}"
    for pattern in (_LABEL, _WORD_LABEL):
        match = pattern.match(text)
        if match and _label_name(match["name"]):
            rest = text[match.end():]
            if rest.strip():
                label = match.group(0).strip()
                name = match["name"]
                conventional = name.isupper() and len(name) <= 40
                shown = f"the label {label!r}" if conventional else f"a {len(label)}-character label"
                return rest, shown
    return text, None


def _clean(text: str) -> str:
    """Everything KeyLab would remove or map: labels, Bearer, quotes, whitespace, invisibles, look-alikes."""
    text, _ = _strip_label(text)
    text = text.strip()
    text = _BEARER.sub("", text)
    out = []
    for ch in text:
        if ch in _QUOTES or ch in _ASCII_WHITESPACE or _is_invisible(ch):
            continue
        if ch in _CONFUSABLES:
            out.append(_CONFUSABLES[ch])
            continue
        if not ch.isascii():
            folded = unicodedata.normalize("NFKC", ch)
            if folded.isascii() and len(folded) == 1 and (folded.isalnum() or folded in "_-"):
                out.append(folded)
                continue
            if unicodedata.category(ch).startswith("M"):
                continue  # a combining mark riding on the previous letter
        out.append(ch)
    return "".join(out)


def _matches(kind: KeyKind, value: str) -> bool:
    allowed = kind.allowed
    if not value.startswith(kind.prefix):
        return False
    if kind.length and len(value) != kind.length:
        return False
    if kind.suffix and not value.endswith(kind.suffix):
        return False
    return all(c in allowed for c in value[len(kind.prefix):])


@cache
def _embedded_patterns() -> tuple[re.Pattern[str], ...]:
    """Exact patterns for the fixed-length Anthropic kinds (to find a key inside a longer text)."""
    patterns = []
    for kind in catalog().kinds:
        if kind.provider != "Anthropic" or not kind.length:
            continue
        middle = kind.length - len(kind.prefix) - len(kind.suffix)
        patterns.append(re.compile(
            rf"(?<![A-Za-z0-9_\-]){re.escape(kind.prefix)}[A-Za-z0-9_\-]{{{middle}}}{re.escape(kind.suffix)}"
            r"(?![A-Za-z0-9_\-])"
        ))
    return tuple(patterns)


def _embedded(text: str) -> tuple[str, int] | None:
    """The one well-formed Anthropic key inside ``text`` and where it starts, if there is exactly one."""
    found: dict[str, int] = {}
    for pattern in _embedded_patterns():
        for match in pattern.finditer(text):
            found.setdefault(match.group(0), match.start())
            if len(found) > 1:
                return None
    if len(found) == 1:
        ((value, position),) = found.items()
        return value, position
    return None


def _repair(text: str) -> str | None:
    """The obvious repair, if one exists: the cleaned value, cut to the format's length when needed."""
    if len(text) > MAX_INSPECT_CHARS:
        found = _embedded(text)
        return found[0] if found else None
    cleaned = _clean(text)
    kind = catalog().classify(cleaned)
    if kind is not None:
        if _matches(kind, cleaned):
            return cleaned
        if kind.length and len(cleaned) > kind.length:
            head = cleaned[: kind.length]
            if _matches(kind, head):
                return head
            # An extra character inside the body: try dropping each character outside the alphabet.
            stripped = cleaned[: len(kind.prefix)] + "".join(
                c for c in cleaned[len(kind.prefix):] if c in kind.allowed
            )
            if _matches(kind, stripped):
                return stripped
    found = _embedded(text)
    return found[0] if found else None


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
        offset = len(_as_bytes(self.text[:position])) if position is not None else None
        self.items.append(Defect(cause, detail, position, char, offset))

    def has_positional(self, cause: str) -> bool:
        return self.counts.get(cause, 0) > 0

    def done(self) -> tuple[Defect, ...]:
        extra = [Defect(cause, f"and {n} more like these") for cause, n in self.dropped.items()]
        return tuple(self.items + extra)


def _classify_char(ch: str) -> tuple[str, str] | None:
    """(cause, detail) for one character outside plain ASCII, or None if it is plain."""
    if ch in _ASCII_WHITESPACE:
        return None
    if ch in _QUOTES:
        return "key-quoted", ("typographic quote" if not ch.isascii() else "quote character")
    invisible = char_class(ch)
    if invisible:
        return "key-invisible-char", invisible
    if ch.isascii():
        return None
    looks = _CONFUSABLES.get(ch)
    if looks is None:
        folded = unicodedata.normalize("NFKC", ch)
        if folded.isascii() and len(folded) == 1 and folded.isprintable():
            looks = folded
    category = unicodedata.category(ch)
    if looks is not None and (looks.isalnum() or looks in "_-"):
        return "key-non-ascii", f"look-alike character (looks like {looks!r})"
    if category.startswith("L"):
        return "key-non-ascii", "letter from another script"
    if category.startswith("N"):
        return "key-non-ascii", "digit from another script"
    if category.startswith("M"):
        return "key-non-ascii", "combining mark (changes how the previous letter looks)"
    return "key-extra-chars", "non-ASCII symbol"


def inspect_key(raw: bytes | str | None, alias: str = "key", *, source: str = "") -> KeyReport:
    """Examine a credential exactly as stored. Never raises; never puts the secret in the report."""
    raw = _coerce(raw)
    text = _as_text(raw)
    fp = fingerprint(raw)
    byte_length = len(_as_bytes(raw))
    cat = catalog()

    def report(**kw: Any) -> KeyReport:
        return KeyReport(alias=alias, fingerprint=fp, length=len(text), byte_length=byte_length, source=source, **kw)

    if not text.strip() or all(_is_invisible(c) or c in _ASCII_WHITESPACE for c in text):
        what = "empty" if not text else f"only blank or invisible characters ({len(text)})"
        found = _Defects(text)
        found.add("key-missing", f"the value is {what}")
        return report(hint="(empty)" if not text else f"({len(text)} blank)", masked=_masked(text, 0), kind=None,
                      kind_label="no value", role="missing", expected_length=None, defects=found.done())

    if len(text) > MAX_INSPECT_CHARS:
        return _inspect_huge(text, report)

    placeholder = _placeholder(text) or _placeholder(_strip_label(text)[0])
    if placeholder:
        found = _Defects(text)
        found.add("key-placeholder", placeholder)
        return report(hint=hint(raw), masked=_masked(text, 0), kind=None, kind_label="placeholder",
                      role="placeholder", expected_length=None, defects=found.done())

    if cat.classify(_clean(text)) is None and (embedded := _embedded(text)):
        return _inspect_embedded(text, embedded, report)

    found = _Defects(text)
    notes: list[str] = []
    body, label = _strip_label(text)
    offset = len(text) - len(body)
    bearer = _BEARER.match(body.lstrip())
    bearer_end = offset + (len(body) - len(body.lstrip())) + (bearer.end() if bearer else 0)
    if label:
        found.add("key-extra-chars", f"the value starts with {label} (a variable or header name pasted with "
                  "the key)", 0)
    if bearer:
        found.add("key-bearer-prefix", "the value starts with 'Bearer ' (the header scheme, not part of the key)",
                  bearer_end - bearer.end())

    for index, ch in enumerate(text):
        if index < offset or (bearer and index < bearer_end and text[offset:index].strip()):
            continue  # the label, and the 'Bearer ' word with its space, are reported above
        if ch in _ASCII_WHITESPACE:
            place = ("leading" if not text[offset:index].strip()
                     else "trailing" if not text[index + 1:].strip() else "inner")
            found.add("key-whitespace", f"{place} whitespace", index, _char_name(ch))
            continue
        classified = _classify_char(ch)
        if classified:
            found.add(classified[0], classified[1], index, _char_name(ch))

    cleaned = _clean(text)
    kind = cat.classify(cleaned)
    expected = kind.length if kind and kind.length else None
    start = text.find(cleaned[:4]) if cleaned else 0

    if kind is not None and kind.cause:
        found.add(kind.cause, f"this is {_a(kind.label)} ({kind.provider}), not an Anthropic API key")
    elif kind is None:
        if cleaned.lower().startswith("sk-ant-"):
            found.add("key-wrong-provider", "the value starts with 'sk-ant-' but with no known key type after it "
                      "(expected 'sk-ant-api03-')")
        else:
            found.add("key-wrong-provider", "the value does not start with any known key prefix "
                      "(Anthropic API keys start with 'sk-ant-api03-')")

    if kind is not None:
        _check_length(text, cleaned, kind, start, offset, found)

    if crlf := text.endswith("\r\n"):
        notes.append("The value ends with CR LF: it was read from a file with Windows line endings.")
    if expected:
        notes.append(_length_note(kind, len(text), byte_length, text.endswith("\n") and not crlf))

    repaired = _repair(text)
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
    odd = [(i, c) for i, c in enumerate(text) if i >= max(offset, start + len(kind.prefix)) and c.isascii()
           and c.isprintable() and c not in allowed and c not in _QUOTES and c != " "]
    too_long = expected is not None and len(cleaned) > expected
    for index, ch in odd:
        if too_long and expected is not None:
            detail = (f"{len(cleaned)} characters where {_a(kind.label)} has {expected}; extra character "
                      "outside the key alphabet")
        else:
            detail = "character outside the key alphabet"
        found.add("key-extra-chars", detail, index, _char_name(ch))
    if expected is None:
        return
    if len(cleaned) < expected:
        found.add("key-truncated", f"{len(cleaned)} characters where {_a(kind.label)} has {expected}: "
                  f"{expected - len(cleaned)} missing (copied in part?)")
    elif too_long and not odd and not found.has_positional("key-extra-chars"):
        extra = cleaned[expected:]
        if kind.suffix and cleaned[expected - len(kind.suffix):expected] == kind.suffix:
            names = ", ".join(_char_name(c) for c in extra[:8]) + (" ..." if len(extra) > 8 else "")
            position = text.rfind(extra) if extra else None
            found.add("key-extra-chars", f"{len(cleaned)} characters where {_a(kind.label)} has {expected}; "
                      f"extra after the closing '{kind.suffix}': {names}",
                      position if position is not None and position >= 0 else None)
        else:
            found.add("key-extra-chars", f"{len(cleaned)} characters where {_a(kind.label)} has {expected}; the "
                      "extra character is inside the body, so this copy cannot be repaired: copy the key again")
    if kind.suffix and len(cleaned) == expected and not cleaned.endswith(kind.suffix):
        found.add("key-truncated", f"{_a(kind.label)} ends with '{kind.suffix}'; this one does not, so characters "
                  "were lost or changed")


def _length_note(kind: KeyKind | None, length: int, byte_length: int, ends_with_newline: bool) -> str:
    """Explain what ``echo "$KEY" | wc -c`` prints, for this value and for a correct key."""
    label = kind.label if kind else "key"
    expected = kind.length if kind else 0
    lead = f"{_cap(_a(label))} is {expected} characters; this value is {length} characters ({byte_length} bytes)."
    if length == expected == byte_length:
        return (f"{lead} `echo \"$KEY\" | wc -c` prints {expected + 1} for it, because echo appends a newline; "
                f"`printf %s \"$KEY\" | wc -c` prints {expected}.")
    if ends_with_newline and length == expected + 1:
        return (f"{lead} That is a correct-length key plus the newline `echo` adds: `echo \"$KEY\" | wc -c` prints "
                f"{expected + 1} for a correct {expected}-character key. Store it without the newline "
                "(`printf %s \"$KEY\" > file`).")
    return (f"{lead} `echo \"$KEY\" | wc -c` counts the newline echo appends, so it prints {byte_length + 1} for "
            f"this value and {expected + 1} for a correct key; `printf %s \"$KEY\" | wc -c` counts the key alone "
            f"({byte_length}).")


def _inspect_embedded(text: str, embedded: tuple[str, int], report: Any) -> KeyReport:
    """A well-formed key inside other text (a sentence, a JSON blob, a log line): name the extra text around it."""
    key, start = embedded
    after = len(text) - start - len(key)
    kind = catalog().classify(key)
    found = _Defects(text)
    found.add("key-extra-chars", f"the key sits inside other text: {start} character(s) before it and {after} after "
              "it were pasted with it (a sentence, JSON or a log line)", 0 if start else start + len(key))
    if kind is not None and kind.cause:
        found.add(kind.cause, f"this is {_a(kind.label)} ({kind.provider}), not an Anthropic API key")
    prefix = len(kind.prefix) if kind else 0
    masked = (f"‹{start} chars›" if start else "") + _masked(key, prefix) + (f"‹{after} chars›" if after else "")
    return report(  # type: ignore[no-any-return]
        hint=hint(key), masked=masked, kind=kind.id if kind else None,
        kind_label=kind.label if kind else "unrecognised value", role=kind.role if kind else "unknown",
        expected_length=kind.length if kind and kind.length else None, defects=found.done(),
        repaired_fingerprint=fingerprint(key), repaired_hint=hint(key),
    )


def _inspect_huge(text: str, report: Any) -> KeyReport:
    """A value far longer than any key: a file or a document. Look for one key inside it, never scan it all."""
    found = _Defects(text[:0])
    embedded = _embedded(text)
    kind = catalog().classify(embedded[0]) if embedded else None
    if embedded:
        found.add("key-extra-chars", f"the value is {len(text)} characters, far longer than any key (a whole file "
                  f"or a document was read); it holds one {kind.label if kind else 'key'} starting at character "
                  f"{embedded[1]}")
    else:
        found.add("key-extra-chars", f"the value is {len(text)} characters, far longer than any key (a whole file "
                  "or a document was read instead of the key)")
    repaired = embedded[0] if embedded else None
    return report(  # type: ignore[no-any-return]
        hint=hint(repaired) if repaired else f"({len(text)} chars)", masked=f"({len(text)} chars)",
        kind=kind.id if kind else None, kind_label="not a key", role="unknown",
        expected_length=kind.length if kind else None, defects=found.done(),
        repaired_fingerprint=fingerprint(repaired) if repaired else None,
        repaired_hint=hint(repaired) if repaired else None,
    )


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _a(label: str) -> str:
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label
