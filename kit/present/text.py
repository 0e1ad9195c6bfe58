"""Text that survives rendering: the one escaping path for every dynamic string that reaches Markdown.

JupyterLab (marked + MathJax) and nbconvert (mistune) read a notebook's Markdown output three ways at once:
as Markdown (``*``, ``_``, ``[``, ``<`` change the text), as LaTeX (two ``$`` make the text between them italic
math and drop characters) and as GFM autolinks (``sdk-node@0.24.3`` becomes a ``mailto:`` link). A fix a
user copies must come out exactly as KeyLab wrote it, so:

- prose is escaped with backslashes (``\\$``, ``\\@``, ``\\*``, …), which every one of these renderers reads
  as the literal character (JupyterLab's math scanner skips ``\\$``);
- text in backticks stays a code span, untouched: Markdown renders code literally, and JupyterLab's math
  scanner skips ``$`` inside backticks;
- whole commands are fenced code blocks (``code_block``), which nothing rewrites.

``commands(text)`` picks the commands out of a fix (its backticked spans that read as a command), so the
verdict card and the tests agree on what "the fix command" is.
"""

from __future__ import annotations

import re

__all__ = ["code_block", "code_span", "commands", "markdown_html", "md_escape", "md_guard", "md_text"]

#: Characters that change Markdown, LaTeX or autolinking when they appear in prose.
_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$@~])")
#: A code span: a run of backticks, its content, the same run (CommonMark's rule, one line).
_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)")
#: A backticked span that reads as a command rather than a name: a word, a space and more.
_COMMAND = re.compile(r"^(?:[A-Za-z_][\w.-]*|\$\(|\./)\S*\s+\S")


def md_escape(text: str) -> str:
    """Escape ``text`` so that Markdown, LaTeX and autolinking render it literally (prose only)."""
    escaped = _SPECIAL.sub(r"\\\1", text)
    # A line that starts with "1." or "-" would become a list; "+"/"=" at the start, a heading underline.
    return re.sub(r"(?m)^(\s*)([-+=]|\d+\.)(\s)", lambda m: m.group(1) + "\\" + m.group(2) + m.group(3), escaped)


def md_text(text: str) -> str:
    """Escape the prose of ``text`` and keep its backticked code spans as code (the way findings are written)."""
    out: list[str] = []
    last = 0
    for match in _SPAN.finditer(text):
        out.append(md_escape(text[last : match.start()]))
        out.append(code_span(match.group(2)))
        last = match.end()
    out.append(md_escape(text[last:]))
    return "".join(out)


def md_guard(markdown: str) -> str:
    """Markdown written by KeyLab (emphasis kept) made safe: ``$``, ``@`` and ``<`` outside code spans escaped."""
    out: list[str] = []
    last = 0
    guard = re.compile(r"(?<!\\)([$@<])")
    for match in _SPAN.finditer(markdown):
        out.append(guard.sub(r"\\\1", markdown[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(guard.sub(r"\\\1", markdown[last:]))
    return "".join(out)


def code_span(text: str) -> str:
    """``text`` as an inline code span, with a fence long enough for any backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def code_block(text: str, language: str = "bash") -> str:
    """``text`` as a fenced code block (a copyable command), fenced past any backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`{3,}", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"


def commands(text: str) -> list[str]:
    """The commands in a fix: its backticked spans that read as a command (``unset X``, ``printf %s …``)."""
    found = [m.group(2).strip() for m in _SPAN.finditer(text)]
    return list(dict.fromkeys(c for c in found if len(c) >= 12 and _COMMAND.match(c) and ":" not in c.split()[0]))


def markdown_html(text: str) -> str:
    """Markdown as HTML (nbconvert's renderer), in a block MathJax leaves alone: for outputs built as HTML."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return f'<div class="tex2jax_ignore mathjax_ignore">{markdown2html_mistune(text)}</div>'
