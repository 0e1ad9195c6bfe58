"""Show control characters as visible escapes in everything KeyLab prints to a terminal.

A server's ``error.message`` or ``request-id``, a ``.env`` value or a file name can hold ESC, BEL, CR,
OSC sequences or bidirectional overrides; printed raw they clear the screen, rewrite a line with a fake
verdict ("HEALTHY: key works") or hide a blocker. ``visible`` replaces each such character with
``<U+001B>`` (its code point), so what is shown is exactly what arrived and nothing can steer the
terminal. ``say`` is ``click.echo`` through ``visible``: the one way the CLI and the simulator print.
"""

from __future__ import annotations

import re

import click

__all__ = ["say", "visible"]

# C0 controls (TAB kept), DEL, C1 controls, the bidi embeddings/overrides/isolates and marks, line and
# paragraph separators, and lone surrogates (bytes that were not UTF-8, decoded with surrogateescape).
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_UNSAFE_KEEP_NL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    return f"<U+{ord(match.group()):04X}>"


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character shown as ``<U+XXXX>`` (newlines kept when asked)."""
    return (_UNSAFE_KEEP_NL if keep_newlines else _UNSAFE).sub(_escape, text)


def say(text: str, *, err: bool = False, nl: bool = True) -> None:
    """Print ``text`` (lines kept) with control characters made visible."""
    click.echo(visible(text, keep_newlines=True), err=err, nl=nl)
