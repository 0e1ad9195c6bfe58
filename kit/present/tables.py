"""Tables for people: the columns a person needs first, the rest folded away, and nothing a renderer garbles.

``PeopleTable`` wraps a DataFrame and renders it as plain HTML that fits a 1,280-px report: statuses as
whole numbers (nullable, never ``401.0``), blanks instead of ``NaN``, text left-aligned, tokens (hints,
fingerprints, request ids, paths) never broken in the middle, no index-name header row. The columns in
``first`` are the table; the others go in a collapsed ``<details>`` block with the same row labels.
Jupyter shows it through ``_repr_html_``; the plain-text form keeps every column (for logs and tests).

Left alignment is written on every header and cell (``CELL_STYLE``), not only in the ``<style>`` block:
JupyterLab's own rule ``:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td`` right-aligns output tables and
outranks a class selector, and its sanitizer drops ``<style>`` from an untrusted notebook's outputs, while an
inline ``text-align`` wins over both. So the table reads the same in JupyterLab, in the exported report and
in any other page the HTML is put in. ``left_aligned`` does the same for a pandas ``Styler``.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kit.guard.redact import scrub

if TYPE_CHECKING:
    import pandas as pd
    from pandas.io.formats.style import Styler

__all__ = ["CELL_STYLE", "TABLE_CSS", "PeopleTable", "cell_text", "left_aligned", "people"]

#: Columns whose values are tokens (never wrapped), by name.
TOKEN_COLUMNS = frozenset(
    {
        "hint",
        "fingerprint",
        "request id",
        "request_id",
        "key",
        "key_alias",
        "sends",
        "status",
        "ms",
        "latency_ms",
        "version",
        "api_version",
        "client",
        "run id",
        "length",
    }
)
#: Columns that hold whole numbers (shown without ".0"; missing ones blank).
INT_COLUMNS = frozenset({"status", "length", "chars", "position", "byte offset", "attempt", "retries"})

#: Written on every ``<th>`` and ``<td>``: an inline style outranks the notebook front end's right alignment.
CELL_STYLE = "text-align:left;vertical-align:top"

TABLE_CSS = (
    ".kl-table{border-collapse:collapse;font-size:12px;margin:0.3em 0;max-width:100%;table-layout:auto}"
    ".kl-table th,.kl-table td{text-align:left;vertical-align:top;padding:2px 6px;border:1px solid #ddd;"
    "word-break:normal;overflow-wrap:normal;white-space:normal}"
    ".kl-table th{background:#f4f4f4}"
    ".kl-table .kl-token{white-space:nowrap;font-family:monospace}"
    ".kl-more summary{cursor:pointer;color:#555;font-size:12px}"
)


def cell_text(value: Any, integer: bool = False) -> str:
    """One cell as text: blank for missing values, whole numbers without ``.0``."""
    if value is None:
        return ""
    try:
        if value != value:  # NaN, NaT, pd.NA raise or compare unequal
            return ""
    except (TypeError, ValueError):
        return ""
    if integer:
        try:
            return str(int(value))
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:.0f}"
    return str(value)


@dataclass
class PeopleTable:
    """A DataFrame shown for people: ``first`` columns in the table, the rest in a collapsed block."""

    frame: pd.DataFrame
    first: Sequence[str] = ()
    label: str = ""  # the column that names each row in the details block (default: the first column)
    tokens: frozenset[str] = field(default=TOKEN_COLUMNS)

    def _columns(self) -> tuple[list[str], list[str]]:
        columns = [str(c) for c in self.frame.columns]
        first = [c for c in self.first if c in columns] or columns
        return first, [c for c in columns if c not in first]

    def _html_table(self, columns: Sequence[str]) -> str:
        head = "".join(f'<th style="{CELL_STYLE}">{html.escape(c)}</th>' for c in columns)
        rows = []
        for _, row in self.frame.iterrows():
            cells = []
            for c in columns:
                text = html.escape(cell_text(row[c], c in INT_COLUMNS))
                cls = ' class="kl-token"' if c in self.tokens else ""
                cells.append(f'<td{cls} style="{CELL_STYLE}">{text}</td>')
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return f'<table class="kl-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'

    def to_html(self) -> str:
        first, rest = self._columns()
        parts = [f"<style>{TABLE_CSS}</style>", self._html_table(first)]
        if rest:
            label = self.label or first[0]
            names = ", ".join(rest)
            parts.append(
                f'<details class="kl-more"><summary>More columns: {html.escape(names)}</summary>'
                + self._html_table([label, *rest])
                + "</details>"
            )
        return scrub('<div class="kl-tables tex2jax_ignore mathjax_ignore">' + "".join(parts) + "</div>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        frame = self.frame.copy()
        for c in frame.columns:
            frame[c] = [cell_text(v, str(c) in INT_COLUMNS) for v in frame[c]]
        return scrub(frame.to_string(index=False))

    def to_csv(self) -> str:
        return scrub(self.frame.to_csv(index=False))

    @property
    def empty(self) -> bool:
        return bool(self.frame.empty)


def left_aligned(styler: Styler) -> Styler:
    """``styler`` with its headers and cells left-aligned and top-aligned, where any front end renders it.

    A Styler writes its rules into a ``<style>`` block under the table's own id, which outranks JupyterLab's
    right alignment (an id beats its classes); the exported report reads the same block.
    """
    rule: list[tuple[str, str | float]] = [("text-align", "left"), ("vertical-align", "top")]
    return styler.set_table_styles(
        [{"selector": "th", "props": rule}, {"selector": "td", "props": rule}], overwrite=False
    )


def people(frame: pd.DataFrame, first: Sequence[str] = (), label: str = "") -> PeopleTable:
    """``frame`` as a table for people (its index, if named, becomes the first column)."""
    if frame.index.name is not None:
        frame = frame.reset_index()
    return PeopleTable(frame=frame, first=list(first), label=label)
