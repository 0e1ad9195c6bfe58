"""Untrusted text inside Markdown: strings from a file, the environment or a server are shown, never rendered.

A sandbox's description, a folder name, a variable's value or a server's message may hold ``<script>``,
an ``<img src=…>`` that calls home when the report is opened, or Markdown that fakes a heading or a link.
KeyLab's own Markdown keeps its formatting; every outside string goes through ``md_text`` (prose) or
``md_code`` (a path, a URL, an id) before it is put in. Both are scrubbed too.

``inert_html`` is the net under that: every Markdown string a notebook shows goes through it
(``kit.present.widgets.md``), so raw HTML outside code spans is shown as text even where a rule or a
view interpolated an outside string without escaping it. The one Markdown KeyLab builds with inline
HTML on purpose (a key drawn character by character) is marked ``TrustedMarkdown`` by the view that
shows it; its outside parts are escaped where it is built.
"""

from __future__ import annotations

import html
import re

from kit.guard.redact import scrub

__all__ = ["TrustedMarkdown", "inert_html", "md_code", "md_text"]

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


class TrustedMarkdown(str):
    """Markdown whose inline HTML is KeyLab's own, with every outside string already escaped where it was built."""


_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)


def inert_html(markdown: str) -> str:
    """``markdown`` with raw HTML outside code spans shown as text (``<`` and ``>`` escaped); code spans unchanged.

    Inside a code span Markdown already shows HTML as text, and escaping there would print ``&lt;``.
    """
    if isinstance(markdown, TrustedMarkdown) or ("<" not in markdown and ">" not in markdown):
        return markdown
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(markdown):
        out.append(_escape_tags(markdown[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape_tags(markdown[last:]))
    return "".join(out)


def _escape_tags(text: str) -> str:
    # ">" at a line's start is a Markdown quote, KeyLab's own formatting: only a ">" that could close a tag goes.
    # A backslash-escaped "<" or ">" (kit.present.text.md_escape) already renders as itself, never as HTML.
    text = re.sub(r"(?<!\\)<", "&lt;", text)
    return re.sub(r"(?<=\S)(?<!\\)>", "&gt;", text)
