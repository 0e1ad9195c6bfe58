"""Untrusted text inside Markdown: strings from a file, the environment or a server are shown, never rendered.

A sandbox's description, a folder name, a variable's value or a server's message may hold ``<script>``,
an ``<img src=…>`` that calls home when the report is opened, or Markdown that fakes a heading or a link.
KeyLab's own Markdown keeps its formatting; every outside string goes through ``md_text`` (prose) or
``md_code`` (a path, a URL, an id) before it is put in. Both are scrubbed too.
"""

from __future__ import annotations

import html
import re

from kit.guard.redact import scrub

__all__ = ["md_code", "md_text"]

# Characters that Markdown (CommonMark, and mistune in nbconvert) gives a meaning to.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>])")


def md_text(value: object) -> str:
    """``value`` as inert Markdown prose: HTML escaped, Markdown punctuation backslashed, lines joined."""
    text = scrub(str(value))
    text = " ".join(text.split())  # a newline could start a heading, a list or a fenced block
    text = html.escape(text, quote=False)
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def md_code(value: object) -> str:
    """``value`` as an inline code span that no backtick inside it can close (HTML in a code span is inert)."""
    text = " ".join(scrub(str(value)).splitlines())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"
