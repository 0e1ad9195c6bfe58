"""Characters a key must not hold, by class: quotes, whitespace, invisibles, look-alikes; and how each is shown.

A key that "looks right" and fails usually holds a character a reader cannot see or cannot tell apart from
the right one. These tables and small functions name such characters (``U+200B ZERO WIDTH SPACE``) and
show them as markers (``⟨U+200B⟩``), so no output ever needs the raw character. They import nothing
else of the kit: inspection, cleaning and the redaction path all build on them.
"""

from __future__ import annotations

import unicodedata

__all__ = [
    "ASCII_WHITESPACE",
    "CONFUSABLES",
    "QUOTES",
    "char_class",
    "char_name",
    "classify_char",
    "is_invisible",
    "marker",
]

QUOTES = {
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
ASCII_WHITESPACE = {
    " ": "SPACE",
    "\t": "TAB",
    "\n": "LINE FEED",
    "\r": "CARRIAGE RETURN",
    "\f": "FORM FEED",
    "\v": "LINE TABULATION",
}
# Look-alike letters that copy/paste and keyboard layouts put into keys: the ASCII letter they imitate.
# (Fullwidth forms, superscripts and the like are found with NFKC instead.)
CONFUSABLES = {
    "а": "a",
    "е": "e",
    "о": "o",
    "р": "p",
    "с": "c",
    "у": "y",
    "х": "x",
    "і": "i",
    "ј": "j",
    "ѕ": "s",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "һ": "h",
    "ӏ": "l",
    "А": "A",
    "В": "B",
    "Е": "E",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "Х": "X",
    "І": "I",
    "Ј": "J",
    "Ѕ": "S",
    "Ү": "Y",
    "Ԍ": "G",
    "α": "a",
    "ο": "o",
    "ν": "v",
    "ρ": "p",
    "τ": "t",
    "κ": "k",
    "ι": "i",
    "υ": "u",
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
    "ı": "i",
    "ɡ": "g",
    "ⅼ": "l",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u2043": "-",
    "\ufe63": "-",
    "\uff0d": "-",
    "\u02cd": "_",
    "\uff3f": "_",
}
# Letters that render as nothing at all (used to hide text): treated as invisible, not as look-alikes.
_INVISIBLE_LETTERS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800", "\u034f", "\u17b4", "\u17b5"}
_BIDI = (
    {"\u200e", "\u200f", "\u061c"} | {chr(c) for c in range(0x202A, 0x202F)} | {chr(c) for c in range(0x2066, 0x206A)}
)
_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\u180e"}
_NO_BREAK = {"\u00a0", "\u202f", "\u2007"}


def marker(ch: str) -> str:
    """How a character is shown in KeyLab output: itself if plain ASCII, else ``⟨U+200B⟩`` (``⟨0xFF⟩``: bad byte)."""
    if len(ch) == 1 and 0xDC80 <= ord(ch) <= 0xDCFF:
        return f"⟨0x{ord(ch) - 0xDC00:02X}⟩"
    if ch.isascii() and ch.isprintable() and ch != " ":
        return ch
    return f"⟨U+{ord(ch):04X}⟩"


def char_name(ch: str) -> str:
    """The character's code point and Unicode name (``U+200B ZERO WIDTH SPACE``): how a defect names it."""
    if 0xDC80 <= ord(ch) <= 0xDCFF:
        return f"byte 0x{ord(ch) - 0xDC00:02X}"
    name = ASCII_WHITESPACE.get(ch) or unicodedata.name(ch, "")
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


def is_invisible(ch: str) -> bool:
    """True for a character a reader cannot see (any class ``char_class`` names)."""
    return char_class(ch) is not None


def classify_char(ch: str) -> tuple[str, str] | None:
    """(cause, detail) for one character outside plain ASCII, or None if it is plain."""
    if ch in ASCII_WHITESPACE:
        return None
    if ch in QUOTES:
        return "key-quoted", ("typographic quote" if not ch.isascii() else "quote character")
    invisible = char_class(ch)
    if invisible:
        return "key-invisible-char", invisible
    if ch.isascii():
        return None
    looks = CONFUSABLES.get(ch)
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
