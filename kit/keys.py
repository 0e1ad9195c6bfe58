"""Inspect a credential's exact bytes: its kind, every defect with its position, a repair, and safe labels.

Most "invalid x-api-key" cases are decided here, before any request: the bytes are not the key (an
extra character, a quote, a zero-width space, a truncated copy, another provider's key, an OAuth
token). ``inspect_key`` never raises on any input and its ``KeyReport`` never holds the secret: it
carries a fingerprint (hash prefix) and a Console-style hint (``sk-ant-api03-R2D...igAA``).

The secret itself travels only inside a ``Credential``, whose ``repr`` and ``str`` are masked.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from kit.catalog import KeyKind, catalog

__all__ = [
    "MAX_INSPECT_CHARS",
    "Credential",
    "Defect",
    "KeyReport",
    "fingerprint",
    "hint",
    "inspect_key",
    "marker",
]

#: Values longer than this are not keys; only their head and tail are examined.
MAX_INSPECT_CHARS = 4096

_QUOTES = {
    '"': "QUOTATION MARK",
    "'": "APOSTROPHE",
    "`": "GRAVE ACCENT",
    "\u2018": "LEFT SINGLE QUOTATION MARK",
    "\u2019": "RIGHT SINGLE QUOTATION MARK",
    "\u201c": "LEFT DOUBLE QUOTATION MARK",
    "\u201d": "RIGHT DOUBLE QUOTATION MARK",
    "\u201e": "DOUBLE LOW-9 QUOTATION MARK",
    "\u00ab": "LEFT-POINTING DOUBLE ANGLE QUOTATION MARK",
    "\u00bb": "RIGHT-POINTING DOUBLE ANGLE QUOTATION MARK",
    "\u2039": "SINGLE LEFT-POINTING ANGLE QUOTATION MARK",
    "\u203a": "SINGLE RIGHT-POINTING ANGLE QUOTATION MARK",
}
_ASCII_WHITESPACE = {" ": "SPACE", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\f": "FORM FEED",
                     "\v": "LINE TABULATION"}
# Look-alike letters that copy/paste and keyboard layouts put into keys: the ASCII letter they imitate.
_CONFUSABLES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S",
    "α": "a", "ο": "o", "ν": "v", "ρ": "p", "τ": "t", "κ": "k", "ι": "i",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
}
_LABEL = re.compile(
    r"^\s*(?:export\s+|set\s+|\$env:)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*[=:]\s*", re.IGNORECASE
)
_HEADER_LABEL = re.compile(r"^\s*(?P<name>x-api-key|authorization)\s*:\s*", re.IGNORECASE)
_BEARER = re.compile(r"^bearer\s+", re.IGNORECASE)


def marker(ch: str) -> str:
    """How a character is shown in KeyLab output: itself if plain, else ``⟨U+200B⟩``."""
    if len(ch) == 1 and 0xDC80 <= ord(ch) <= 0xDCFF:
        return f"⟨0x{ord(ch) - 0xDC00:02X}⟩"
    if ch.isascii() and ch.isprintable() and ch != " ":
        return ch
    return f"⟨U+{ord(ch):04X}⟩"


def _char_name(ch: str) -> str:
    if 0xDC80 <= ord(ch) <= 0xDCFF:
        return f"byte 0x{ord(ch) - 0xDC00:02X} (not valid UTF-8)"
    name = _ASCII_WHITESPACE.get(ch) or unicodedata.name(ch, "")
    if not name:
        name = {"\x00": "NULL"}.get(ch, f"control character {unicodedata.category(ch)}")
    return f"U+{ord(ch):04X} {name}"


def _as_text(raw: bytes | str) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="surrogateescape")
    return raw


def _as_bytes(raw: bytes | str) -> bytes:
    if isinstance(raw, bytes):
        return raw
    return raw.encode("utf-8", errors="surrogatepass")


def fingerprint(raw: bytes | str) -> str:
    """A stable, non-reversible label for exact bytes: the first 12 hex digits of their SHA-256."""
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


@dataclass(frozen=True)
class Credential:
    """A secret and where it came from. ``repr``/``str`` show only the alias, hint and fingerprint."""

    alias: str
    raw: bytes | str = field(repr=False)
    source: str = ""

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
        return inspect_key(self.raw, alias=self.alias)

    def repaired(self) -> Credential | None:
        """A credential holding the obvious repair of these bytes, or ``None`` if there is none."""
        candidate = _repair(self.value)
        if candidate is None or candidate == self.value:
            return None
        return Credential(alias=f"{self.alias} (repaired)", raw=candidate, source=self.source)

    def __repr__(self) -> str:
        return f"Credential(alias={self.alias!r}, hint={self.hint!r}, fingerprint={self.fingerprint!r})"

    __str__ = __repr__


def _is_invisible(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat in ("Cf", "Cc", "Zs", "Zl", "Zp", "Co", "Cn") or 0xDC80 <= ord(ch) <= 0xDCFF


def _placeholder(text: str) -> bool:
    cat = catalog()
    bare = text.strip().strip("\"'`").strip()
    if bare.lower() in cat.placeholders:
        return True
    if bare.startswith("<") and bare.endswith(">"):
        return True
    kind = cat.classify(bare)
    rest = bare[len(kind.prefix):] if kind else bare
    return bool(rest) and all(c in cat.placeholder_filler for c in rest) and len(set(rest)) <= 3


def _strip_label(text: str) -> tuple[str, str | None]:
    """Remove a pasted ``NAME=`` / ``export NAME=`` / ``x-api-key:`` label; return what was removed."""
    for pattern in (_HEADER_LABEL, _LABEL):
        match = pattern.match(text)
        if match and (pattern is _HEADER_LABEL or "KEY" in match["name"].upper()
                      or "TOKEN" in match["name"].upper()):
            rest = text[match.end():]
            if rest.strip():
                return rest, match.group(0).strip()
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
            if folded.isascii() and len(folded) == 1 and folded.isalnum():
                out.append(folded)
                continue
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


def _repair(text: str) -> str | None:
    """The obvious repair, if one exists: the cleaned value, cut to the format's length when needed."""
    if len(text) > MAX_INSPECT_CHARS:
        return None
    cleaned = _clean(text)
    kind = catalog().classify(cleaned)
    if kind is None:
        return None
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
    return None


def _masked(text: str, prefix_len: int) -> str:
    """The whole value with plain body characters hidden and every odd character shown as a marker."""
    pieces: list[str] = []
    run = 0
    body_len = len(text) - prefix_len
    for index, ch in enumerate(text):
        body_index = index - prefix_len
        plain = ch.isascii() and (ch.isalnum() or ch in "_-")
        visible = index < prefix_len or 0 <= body_index < 3 or body_index >= body_len - 4
        if plain and not visible:
            run += 1
            continue
        if run:
            pieces.append("•" * run if run <= 4 else f"•×{run}")
            run = 0
        pieces.append(marker(ch))
    if run:
        pieces.append("•" * run if run <= 4 else f"•×{run}")
    return "".join(pieces)


def inspect_key(raw: bytes | str | None, alias: str = "key") -> KeyReport:
    """Examine a credential exactly as stored. Never raises; never puts the secret in the report."""
    raw = b"" if raw is None else raw
    text = _as_text(raw)
    fp = fingerprint(raw)
    byte_length = len(_as_bytes(raw))
    defects: list[Defect] = []
    notes: list[str] = []
    cat = catalog()

    if not text.strip() or all(_is_invisible(c) for c in text):
        what = "empty" if not text else f"only blank or invisible characters ({len(text)})"
        return KeyReport(
            alias=alias, fingerprint=fp, hint=hint(raw) if text else "(empty)", masked=_masked(text, 0),
            length=len(text), byte_length=byte_length, kind=None, kind_label="no value", role="missing",
            expected_length=None, defects=(Defect("key-missing", f"the value is {what}"),),
        )

    if len(text) > MAX_INSPECT_CHARS:
        kind = cat.classify(text.lstrip())
        return KeyReport(
            alias=alias, fingerprint=fp, hint=hint(text[:64]), masked=f"({len(text)} chars)",
            length=len(text), byte_length=byte_length, kind=kind.id if kind else None,
            kind_label="not a key", role="unknown", expected_length=kind.length if kind else None,
            defects=(Defect("key-extra-chars", f"the value is {len(text)} characters, far longer than any key "
                            "(a whole file or a document was read instead of the key)"),),
        )

    if _placeholder(text):
        return KeyReport(
            alias=alias, fingerprint=fp, hint=hint(raw), masked=_masked(text, 0), length=len(text),
            byte_length=byte_length, kind=None, kind_label="placeholder", role="placeholder",
            expected_length=None,
            defects=(Defect("key-placeholder", "the value is template text, not a secret"),),
        )

    body, label = _strip_label(text)
    offset = len(text) - len(body)
    bearer = _BEARER.match(body.lstrip())
    bearer_end = offset + (len(body) - len(body.lstrip())) + (bearer.end() if bearer else 0)
    if label:
        defects.append(Defect("key-extra-chars", f"the value starts with the label {label!r}", position=0))

    # Characters at the ends first (whitespace and quotes), then everything inside.
    for index, ch in enumerate(text):
        if index < offset:
            continue
        name = _char_name(ch)
        if ch in _ASCII_WHITESPACE and bearer and index < bearer_end and text[offset:index].strip():
            continue  # the space inside a 'Bearer ' prefix is reported with that prefix
        if ch in _ASCII_WHITESPACE:
            place = ("leading" if not text[offset:index].strip()
                     else "trailing" if not text[index + 1:].strip() else "inner")
            defects.append(Defect("key-whitespace", f"{place} whitespace", index, name))
        elif ch in _QUOTES:
            defects.append(Defect("key-quoted", "quote character", index, name))
        elif _is_invisible(ch):
            defects.append(Defect("key-invisible-char", "invisible character", index, name))
        elif ch in _CONFUSABLES or (not ch.isascii()):
            folded = _CONFUSABLES.get(ch) or unicodedata.normalize("NFKC", ch)
            looks = f" (looks like {folded!r})" if folded.isascii() and len(folded) == 1 else ""
            defects.append(Defect("key-non-ascii", f"non-ASCII character{looks}", index, name))

    stripped = body.strip()
    if _BEARER.match(stripped):
        defects.append(Defect("key-bearer-prefix", "the value starts with 'Bearer '", text.find(stripped)))

    cleaned = _clean(text)
    kind = cat.classify(cleaned)
    expected = kind.length if kind and kind.length else None
    start = text.find(cleaned[:4]) if cleaned else 0

    if kind is not None and kind.cause:
        defects.append(Defect(kind.cause, f"this is {_a(kind.label)} ({kind.provider}), not an Anthropic API key"))
    elif kind is None:
        lowered = cleaned.lower()
        if lowered.startswith("sk-ant-"):
            defects.append(Defect("key-wrong-provider", "the value starts with 'sk-ant-' but with no known "
                                  "key type after it (expected 'sk-ant-api03-')"))
        else:
            defects.append(Defect("key-wrong-provider", "the value does not start with any known key prefix "
                                  "(Anthropic API keys start with 'sk-ant-api03-')"))

    if kind is not None:
        allowed = kind.allowed
        odd = [(i, c) for i, c in enumerate(text) if i >= offset + len(kind.prefix) and c.isascii()
               and c.isprintable() and c not in allowed and c not in _QUOTES and c != " "]
        for index, ch in odd:
            if index >= start + len(kind.prefix):
                defects.append(Defect("key-extra-chars", "character outside the key alphabet", index,
                                      _char_name(ch)))
        if expected is not None:
            if len(cleaned) < expected:
                defects.append(Defect("key-truncated", f"{len(cleaned)} characters where {_a(kind.label)} has "
                                      f"{expected}: {expected - len(cleaned)} missing (copied in part?)"))
            elif len(cleaned) > expected and not odd:
                extra = cleaned[expected:]
                if kind.suffix and cleaned[expected - len(kind.suffix):expected] == kind.suffix:
                    pos = start + expected
                    names = ", ".join(_char_name(c) for c in extra[:8])
                    defects.append(Defect("key-extra-chars", f"{len(cleaned)} characters where {_a(kind.label)} "
                                          f"has {expected}; extra after the closing "
                                          f"'{kind.suffix}': {names}", pos))
                else:
                    defects.append(Defect("key-extra-chars", f"{len(cleaned)} characters where {_a(kind.label)} "
                                          f"has {expected}; the extra character is inside the body, so this "
                                          "copy cannot be repaired: copy the key again"))
        if kind.suffix and expected and len(cleaned) == expected and not cleaned.endswith(kind.suffix):
            defects.append(Defect("key-truncated", f"{_a(kind.label)} ends with '{kind.suffix}'; this one does "
                                  "not, so characters were lost or changed"))

    if len(text) == (expected or 0) + 1 and text.endswith("\n"):
        notes.append("A correct key plus the newline that `echo` adds is "
                     f"{len(text)} bytes: `echo \"$KEY\" | wc -c` prints {len(text)} for a correct "
                     f"{expected}-character key. Store it without the newline (`printf %s \"$KEY\"`).")
    if expected and not any(d.cause == "key-whitespace" for d in defects):
        notes.append(f"{_cap(_a(kind.label if kind else 'key'))} is {expected} characters. `echo \"$KEY\" | wc -c` "
                     f"counts the newline echo adds and prints {expected + 1} for a correct key; "
                     "`printf %s \"$KEY\" | wc -c` counts the key alone.")

    repaired = _repair(text)
    role = kind.role if kind else "unknown"
    return KeyReport(
        alias=alias,
        fingerprint=fp,
        hint=hint(repaired if repaired else cleaned or text),
        masked=_masked(text, start + len(kind.prefix) if kind and kind.provider == "Anthropic" else 0),
        length=len(text),
        byte_length=byte_length,
        kind=kind.id if kind else None,
        kind_label=kind.label if kind else "unrecognised value",
        role=role,
        expected_length=expected,
        defects=tuple(_dedupe(defects)),
        repaired_fingerprint=fingerprint(repaired) if repaired and repaired != text else None,
        repaired_hint=hint(repaired) if repaired and repaired != text else None,
        notes=tuple(notes),
    )


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _a(label: str) -> str:
    return ("an " if label[:1].lower() in "aeiou" else "a ") + label


def _dedupe(defects: list[Defect]) -> list[Defect]:
    seen: set[tuple[str, str, int | None]] = set()
    out = []
    for defect in defects:
        key = (defect.cause, defect.detail, defect.position)
        if key not in seen:
            seen.add(key)
            out.append(defect)
    return out
