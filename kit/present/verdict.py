"""The verdict card: the answer first, the same in the notebook, the CLI, the HTML report and its share copy.

One ``VerdictCard`` value is made from a ``Diagnosis`` (``verdict_card``) and rendered three ways
(``to_markdown``, ``to_html``, ``to_text``) so every surface says the same thing in the same order: the top
cause in plain words, the one sentence of what changes the answer and what does not, the exact fix (its
commands as a copyable code block), and links down to the evidence. Each surface passes its own anchors
(``NOTEBOOK_ANCHORS`` for notebook 00 and its report, ``SOURCES_NOTEBOOK_ANCHORS`` for notebook 02,
``REPORT_ANCHORS`` for the export button's page, section names for the terminal).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kit.present.text import code_block, commands, md_text

if TYPE_CHECKING:
    from kit.diagnose.diagnosis import Diagnosis

__all__ = [
    "NOTEBOOK_ANCHORS",
    "REPORT_ANCHORS",
    "SECTION_LABELS",
    "SOURCES_NOTEBOOK_ANCHORS",
    "TEXT_ANCHORS",
    "VerdictCard",
    "verdict_card",
]

#: Evidence sections, in the order a support engineer reads them, and how a person calls each.
SECTION_LABELS: dict[str, str] = {
    "sources": "where the keys come from",
    "keys": "the keys' bytes",
    "path": "the network path",
    "probe": "what the API answered",
    "diagnosis": "every finding",
}
#: Notebook 00's step headings (JupyterLab and nbconvert make a heading's id from its text, spaces → "-").
NOTEBOOK_ANCHORS: dict[str, str] = {
    "sources": "#1-·-Where-the-keys-come-from",
    "keys": "#2-·-What-the-keys'-bytes-say",
    "path": "#3-·-The-network-path",
    "probe": "#4-·-Ask-the-API-(zero-tokens)",
    "diagnosis": "#5-·-Diagnosis",
}
#: Notebook 02's headings: its step heading, and the findings' heading in the sources panel's output.
SOURCES_NOTEBOOK_ANCHORS: dict[str, str] = {
    "sources": "#1-·-Who-wins,-per-client",
    "diagnosis": "#What-shadows-what",
}
#: The export button's page (``kit.present.report.session_report``): its sections' ids.
REPORT_ANCHORS: dict[str, str] = {name: f"#kl-{name}" for name in SECTION_LABELS}
#: The doctor's terminal report: the heading of each evidence block.
TEXT_ANCHORS: dict[str, str] = {
    "sources": "'Credential sources' below",
    "keys": "'Keys' below",
    "path": "'Network path' below",
    "probe": "'Requests' below",
    "diagnosis": "the numbered findings below",
}
_ICON = {"blocker": "✖", "warning": "!", "healthy": "✔", "none": "?"}
_COLOUR = {"blocker": "#D55E00", "warning": "#E69F00", "healthy": "#009E73", "none": "#7F7F7F"}
#: The attribution sentence's closing count, "(7 attempts over 4 keys …)": evidence, not the sentence.
_COUNTS = re.compile(r"\s*\(\d+ attempts?\b[^()]*(?:\([^()]*\)[^()]*)*\)\s*\.?\s*$")


@dataclass(frozen=True)
class VerdictCard:
    """The answer in four parts: the cause, what changes the answer, the fix, where the evidence is."""

    status: str  # blocker | warning | healthy | none
    cause: str  # the cause id from causes.md ("" when there is no finding)
    headline: str  # the top cause in plain words
    sentence: str  # what changes the answer and what does not
    fix: str  # the fix as written (code spans in backticks)
    commands: tuple[str, ...]  # the fix's commands, verbatim, for a copyable block
    sections: tuple[str, ...]  # evidence sections to link, most relevant first
    more: int = 0  # how many other findings follow

    # ---------------------------------------------------------------- renderings
    def to_markdown(self, anchors: Mapping[str, str] = NOTEBOOK_ANCHORS) -> str:
        """The card as Markdown (escaped: ``$``, ``@`` and Markdown specials render literally)."""
        lines = [f"## {_ICON[self.status]} {md_text(self.headline)}", ""]
        if self.sentence:
            lines += [f"**What changes the answer:** {md_text(self.sentence)}", ""]
        if self.fix:
            lines += [f"**Fix:** {md_text(self.fix)}", ""]
        if self.commands:
            lines += [code_block("\n".join(self.commands)), ""]
        links = [f"[{SECTION_LABELS[s]}]({anchors[s]})" for s in self.sections if s in anchors]
        if links:
            more = f" ({self.more} more finding{'s' if self.more != 1 else ''})" if self.more else ""
            lines.append("**Evidence:** " + " · ".join(links) + more)
        return "\n".join(lines).rstrip() + "\n"

    def to_html(self, anchors: Mapping[str, str] = REPORT_ANCHORS) -> str:
        """The card as one self-contained HTML block (no script; code as ``<pre>``)."""
        e = html.escape
        parts = [
            f'<div class="kl-verdict kl-{e(self.status)}" style="border:1px solid #ccc;border-left:6px solid '
            f'{_COLOUR[self.status]};padding:0.3em 1em;margin:0.5em 0;max-width:100%">',
            f'<h2 style="margin:0.3em 0">{_ICON[self.status]} {e(self.headline)}</h2>',
        ]
        if self.sentence:
            parts.append(f"<p><b>What changes the answer:</b> {e(self.sentence)}</p>")
        if self.fix:
            parts.append(f"<p><b>Fix:</b> {_html_code(self.fix)}</p>")
        if self.commands:
            parts.append(
                '<pre style="white-space:pre-wrap;overflow-wrap:anywhere"><code>'
                + e("\n".join(self.commands))
                + "</code></pre>"
            )
        links = [f'<a href="{e(anchors[s])}">{e(SECTION_LABELS[s])}</a>' for s in self.sections if s in anchors]
        if links:
            more = f" ({self.more} more finding{'s' if self.more != 1 else ''})" if self.more else ""
            parts.append("<p><b>Evidence:</b> " + " · ".join(links) + e(more) + "</p>")
        parts.append("</div>")
        return "".join(parts)

    def to_text(self, anchors: Mapping[str, str] = TEXT_ANCHORS) -> str:
        """The card for a terminal: short lines, the commands indented so they copy cleanly."""
        lines = [self.label]
        if self.sentence:
            lines.append(f"What changes the answer: {self.sentence}")
        if self.fix:
            lines.append(f"Fix: {self.fix}")
        lines += [f"    {command}" for command in self.commands]
        where = [anchors[s] for s in self.sections if s in anchors]
        if where:
            lines.append("Evidence: " + "; ".join(where))
        return "\n".join(lines) + "\n"

    @property
    def label(self) -> str:
        """The card's first line for a terminal: ``Cause: <id>: <headline>`` (what scripts and people grep for)."""
        if self.status == "healthy":
            return f"Healthy: {self.headline}."
        return f"Cause: {self.cause}: {self.headline}." if self.cause else self.headline

    def _repr_markdown_(self) -> str:
        return self.to_markdown()


def _html_code(text: str) -> str:
    """Prose with its backticked spans as ``<code>`` (everything escaped)."""
    out, last = [], 0
    for match in re.finditer(r"(`+)(.+?)(?<!`)\1(?!`)", text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f"<code>{html.escape(match.group(2))}</code>")
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _section(cause: str) -> str:
    from kit.diagnose.diagnosis import LAYERS

    layer = LAYERS.get(cause)
    return {0: "keys", 1: "sources", 2: "path"}.get(layer, "probe") if layer is not None else "probe"


def verdict_card(diagnosis: Diagnosis | None) -> VerdictCard:
    """The card for ``diagnosis`` (``None``: nothing has been diagnosed yet)."""
    if diagnosis is None or diagnosis.top is None:
        return VerdictCard(
            status="none",
            cause="",
            headline="No answer yet: KeyLab found no credential and sent no request.",
            sentence="",
            fix="Name where your key lives (key_variables, dotenv_files or key_files) and run again.",
            commands=(),
            sections=("sources",),
        )
    top = diagnosis.top
    status = "healthy" if top.cause == "healthy" else ("blocker" if top.severity == "blocker" else "warning")
    attribution = diagnosis.attribution
    sentence = _COUNTS.sub("", attribution.sentence).rstrip(" .") + "." if attribution.attempts else ""
    first = _section(top.cause)
    sections = tuple(dict.fromkeys([first, *(["probe"] if attribution.attempts else []), "diagnosis"]))
    headline = top.title[:1].upper() + top.title[1:]
    return VerdictCard(
        status=status,
        cause=top.cause,
        headline=headline.rstrip("."),
        sentence=sentence,
        fix=top.fix,
        commands=tuple(commands(top.fix)),
        sections=sections,
        more=len(diagnosis.findings) - 1,
    )
