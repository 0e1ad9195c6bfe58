"""The verdict on one credential's bytes: ``Defect`` (one thing wrong, with its position) and ``KeyReport``.

A report never holds the secret: a fingerprint, a hint and a masked picture stand for it, so a report is
safe to print, log, plot and save. This module only holds and renders reports; ``kit.keys.inspect`` makes
them.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any, Literal

from kit.catalog import KeyRole
from kit.keys.naming import MAX_INSPECT_CHARS

__all__ = ["Defect", "KeyReport", "ValueRole"]

#: What a value is in the Anthropic slot: a key kind's role, or why it is no key at all.
ValueRole = KeyRole | Literal["unknown", "missing", "placeholder"]

_HIGHLIGHT = "background:#fde0dc;color:#b3261e;font-weight:bold"


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
    role: ValueRole
    expected_length: int | None
    defects: tuple[Defect, ...] = ()
    repaired_fingerprint: str | None = None
    repaired_hint: str | None = None
    notes: tuple[str, ...] = ()
    source: str = ""  # the Source.id the value was read from ("" when inspected on its own)
    provider: str = "anthropic"  # whose formats the value was checked against (kit.keys.provider_inspect)

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
            "alias": self.alias,
            "kind": self.kind_label,
            "length": self.length,
            "expected": self.expected_length,
            "bytes": self.byte_length,
            "hint": self.hint,
            "fingerprint": self.fingerprint,
            "masked": self.masked,
            "causes": ", ".join(self.causes) or "ok",
            "repaired hint": self.repaired_hint or "",
            "source": self.source,
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
                out.append(
                    "".join(
                        html.escape(c)
                        if c.isalnum() or c in "_-" or self.length > MAX_INSPECT_CHARS
                        else f'<span style="{_HIGHLIGHT}">{html.escape(c)}</span>'
                        for c in part
                    )
                )
        return '<code style="white-space:pre-wrap;word-break:break-all">' + "".join(out) + "</code>"

    def to_markdown(self) -> str:
        """The report as Markdown (with the highlighted picture of the value as inline HTML)."""
        expected = f" of {self.expected_length}" if self.expected_length else ""
        verdict = "well-formed" if self.well_formed else ", ".join(f"`{c}`" for c in self.causes) or self.kind_label
        lines = [
            f"#### {html.escape(self.alias, quote=False)} · {self.kind_label} · {self.length}{expected} "
            f"characters ({self.byte_length} bytes) · {verdict}",
            "",
            f"- hint `{self.hint}` · fingerprint `{self.fingerprint}`",
            f"- as stored: {self.masked_html()}",
        ]
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
        return [
            {
                "alias": self.alias,
                "cause": d.cause,
                "position": d.position,
                "byte offset": d.byte_offset,
                "character": d.char or "",
                "detail": d.detail,
            }
            for d in self.defects
        ]
