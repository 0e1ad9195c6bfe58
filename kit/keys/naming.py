"""How a secret is named without being shown: its fingerprint and its Console-style hint.

These two labels are the only way KeyLab ever refers to a key in output, and the redaction path puts
them in place of every secret it masks, so this module imports nothing but the catalog and the
character markers: the redaction path and the keys stage both build on it, and it on neither.
"""

from __future__ import annotations

import hashlib

from kit.catalog import catalog
from kit.keys.chars import marker

__all__ = ["MAX_INSPECT_CHARS", "as_bytes", "as_text", "coerce", "fingerprint", "hint"]

#: Values longer than this are not keys; only a key-shaped part inside them is looked for.
MAX_INSPECT_CHARS = 4096


def as_text(raw: bytes | str) -> str:
    """``raw`` as text; bytes that are not valid UTF-8 are kept as surrogate escapes (one character each)."""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="surrogateescape")
    return raw


def as_bytes(raw: bytes | str) -> bytes:
    """The bytes of ``raw``; text holding escaped bad bytes (``surrogateescape``) gives those bytes back."""
    if isinstance(raw, bytes):
        return raw
    try:
        return raw.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:  # lone surrogates outside the escape range
        return raw.encode("utf-8", errors="surrogatepass")


def coerce(raw: object) -> bytes | str:
    """Any value a caller may hand over (None, bytearray, a number) as bytes or text, never an error."""
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
    return hashlib.sha256(as_bytes(raw)).hexdigest()[:12]


def hint(value: bytes | str) -> str:
    """The Console-style hint: the known prefix, 3 characters, ``...``, the last 4 (``sk-ant-api03-R2D...igAA``).

    Characters that are not plain ASCII show as markers. Short or unknown values reveal at most a quarter
    of their characters, so a hint never gives away a useful part of a secret.
    """
    text = as_text(value)
    if not text:
        return "(empty)"
    kind = catalog().classify(text)
    prefix = kind.prefix if kind and kind.provider == "Anthropic" else ""
    body = text[len(prefix) :]
    if len(body) >= 28:  # 7 characters shown: at most a quarter of the body
        return prefix + "".join(map(marker, body[:3])) + "..." + "".join(map(marker, body[-4:]))
    if len(body) >= 8:
        return prefix + "".join(map(marker, body[:1])) + "..." + "".join(map(marker, body[-1:]))
    return prefix + f"…({len(body)} chars)"
