"""Tools and runtimes beside shells and ``.env`` files (notebook 02): a table and a picture of who reads what.

A pure view over a ``Discovery``: the sources of kind ``tool``, ``runtime`` and ``ci`` (Claude Code's files, what
each env-file runtime loads, GitHub Actions) and the winners ``claude-code`` and ``runtime:*``. The picture is a
grid: one row per reader (each client, tool and runtime), one column per place a credential lives; a filled
mark is the place that reader's value comes from. Fingerprints and hints only, never a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kit.values import Finding

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kit.sources.discover import Discovery

__all__ = ["TOOL_KINDS", "readers_figure", "tools_detail", "tools_rows"]

TOOL_KINDS = ("tool", "runtime", "ci")


def tools_rows(d: Discovery) -> list[dict[str, Any]]:
    """One row per tool, runtime or CI source: where, what (hint, fingerprint), who uses it, notes."""
    rows = []
    for s in d.sources:
        if s.kind not in TOOL_KINDS:
            continue
        users = [w.client for w in d.winners if w.source_id == s.id]
        rows.append(
            {
                "kind": s.kind,
                "location": s.location,
                "variable": s.variable or "",
                "hint": s.hint or "",
                "fingerprint": s.fingerprint or "",
                "used by": ", ".join(users),
                "note": s.note,
            }
        )
    return rows


def readers_figure(d: Discovery) -> Figure | None:
    """Who reads what: readers (rows) × places (columns); a filled dot is where the reader's value comes from."""
    import matplotlib.pyplot as plt

    winners = [w for w in d.winners if w.source_id]
    places = list(dict.fromkeys(w.source_id for w in winners if w.source_id))
    if not winners or not places:
        return None
    labels = {s.id: s.location for s in d.sources}
    fig, ax = plt.subplots(figsize=(min(2 + 1.4 * len(places), 14), 1 + 0.45 * len(winners)))
    for y, w in enumerate(winners):
        x = places.index(w.source_id or "")
        ax.scatter([x], [y], s=160, color="#0072B2" if w.fingerprint else "#D55E00", zorder=3)
        ax.annotate(w.header or "no key", (x, y), xytext=(8, -4), textcoords="offset points", fontsize=8)
    ax.set_xticks(range(len(places)), [_short(labels.get(p, p)) for p in places], rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(len(winners)), [w.client for w in winners], fontsize=9)
    ax.set_xlim(-0.5, len(places) - 0.5)
    ax.grid(True, alpha=0.3)
    ax.set_title("Who reads what: each reader's credential comes from the marked place")
    fig.tight_layout()
    return fig


def _short(text: str, width: int = 34) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def tools_detail(d: Discovery, findings: Sequence[Finding]) -> list[Any]:
    """Tools, runtimes and CI: their sources as a table, the picture of who reads what, and their findings."""
    import pandas as pd

    rows = tools_rows(d)
    if not rows:
        return ["### Tools and runtimes", "No Claude Code files, env-file runtimes or CI run found here."]
    items: list[Any] = ["### Tools and runtimes (Claude Code, env-file loaders, CI)", pd.DataFrame(rows)]
    fig = readers_figure(d)
    if fig is not None:
        items.append(fig)
    items += [f.to_markdown() for f in findings]
    return items
