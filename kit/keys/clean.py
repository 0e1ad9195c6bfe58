"""Cleaning and repair: what is left of a value once pasted labels, quotes, blanks, invisibles and look-alikes go.

Inspection uses it to find the key inside a damaged value and to offer the repaired candidate; the redaction
path uses the same cleaning so that a repaired copy of a registered secret is masked too. It imports only
the catalog, the character tables and the length limit, never the redaction path.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from kit.catalog import KeyKind, catalog
from kit.keys.chars import ASCII_WHITESPACE, CONFUSABLES, QUOTES, is_invisible
from kit.keys.naming import MAX_INSPECT_CHARS

__all__ = ["BEARER", "clean", "embedded", "matches", "repair", "strip_label"]

_ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_LABEL = re.compile(
    r"^\s*(?:export\s+|set\s+|\$env:|(?:declare|typeset)\s+-[A-Za-z]*x[A-Za-z]*\s+)?"
    rf"(?P<q>[\"']?)(?P<name>{_ENV_NAME})(?P=q)\s*[=:]\s*"
)
_WORD_LABEL = re.compile(rf"^\s*(?:set\s+(?:-{{1,2}}[A-Za-z]+\s+)+|setenv\s+)(?P<name>{_ENV_NAME})\s+")
_HEADER_LABEL = re.compile(r"^\s*(?P<name>x-api-key|authorization|api-key)\s*:\s*", re.IGNORECASE)
BEARER = re.compile(r"^bearer\s+", re.IGNORECASE)


def _label_name(name: str) -> bool:
    upper = name.upper()
    return "KEY" in upper or "TOKEN" in upper


def strip_label(text: str) -> tuple[str, str | None]:
    """Remove a pasted ``NAME=`` / ``export NAME=`` / ``set -gx NAME`` / ``x-api-key:`` label.

    Returns the rest and a safe description of the label (the label itself only when it is a
    conventional variable or header name).
    """
    match = _HEADER_LABEL.match(text)
    if match:
        rest = text[match.end() :]
        if rest.strip():
            return rest, f"the label {match.group(0).strip()!r}"
    for pattern in (_LABEL, _WORD_LABEL):
        match = pattern.match(text)
        if match and _label_name(match["name"]):
            rest = text[match.end() :]
            if rest.strip():
                label = match.group(0).strip()
                name = match["name"]
                conventional = name.isupper() and len(name) <= 40
                shown = f"the label {label!r}" if conventional else f"a {len(label)}-character label"
                return rest, shown
    return text, None


def clean(text: str) -> str:
    """Everything KeyLab would remove or map: labels, Bearer, quotes, whitespace, invisibles, look-alikes."""
    text, _ = strip_label(text)
    text = text.strip()
    text = BEARER.sub("", text)
    out = []
    for ch in text:
        if ch in QUOTES or ch in ASCII_WHITESPACE or is_invisible(ch):
            continue
        if ch in CONFUSABLES:
            out.append(CONFUSABLES[ch])
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


def matches(kind: KeyKind, value: str) -> bool:
    """True when ``value`` is exactly one credential of ``kind``: prefix, length, closing suffix and alphabet."""
    allowed = kind.allowed
    if not value.startswith(kind.prefix):
        return False
    if kind.length and len(value) != kind.length:
        return False
    if kind.suffix and not value.endswith(kind.suffix):
        return False
    return all(c in allowed for c in value[len(kind.prefix) :])


@cache
def _embedded_patterns() -> tuple[re.Pattern[str], ...]:
    """Exact patterns for the fixed-length Anthropic kinds (to find a key inside a longer text)."""
    patterns = []
    for kind in catalog().kinds:
        if kind.provider != "Anthropic" or not kind.length:
            continue
        middle = kind.length - len(kind.prefix) - len(kind.suffix)
        patterns.append(
            re.compile(
                rf"(?<![A-Za-z0-9_\-]){re.escape(kind.prefix)}[A-Za-z0-9_\-]{{{middle}}}{re.escape(kind.suffix)}"
                r"(?![A-Za-z0-9_\-])"
            )
        )
    return tuple(patterns)


def embedded(text: str) -> tuple[str, int] | None:
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


def repair(text: str) -> str | None:
    """The obvious repair, if one exists: the cleaned value, cut to the format's length when needed."""
    if len(text) > MAX_INSPECT_CHARS:
        found = embedded(text)
        return found[0] if found else None
    cleaned = clean(text)
    kind = catalog().classify(cleaned)
    if kind is not None:
        if matches(kind, cleaned):
            return cleaned
        if kind.length and len(cleaned) > kind.length:
            head = cleaned[: kind.length]
            if matches(kind, head):
                return head
            # An extra character inside the body: try dropping each character outside the alphabet.
            stripped = cleaned[: len(kind.prefix)] + "".join(
                c for c in cleaned[len(kind.prefix) :] if c in kind.allowed
            )
            if matches(kind, stripped):
                return stripped
    found = embedded(text)
    return found[0] if found else None
