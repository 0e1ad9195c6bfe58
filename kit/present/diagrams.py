"""Two pictures that are not matrices: the adaptive plan's steps, and who reads what.

``plan_steps`` answers "what did KeyLab ask, and why": one bar per step of the plan (its reason on the
left), split by outcome in the fixed colours, with the answers counted on the right. It stays compact
when the data is sparse, where a matrix would be mostly empty.

``who_reads_what`` answers "which key does each client really send": sources → clients → header →
verdict, one box per node, lines for "is read by", "sends in" and "gets". Boxes are sized and spaced from
their text, so nothing overlaps however many sources and clients there are.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from kit.present.plots import OUTCOME_COLORS, _with_key, style
from kit.values import OUTCOME_CLASSES, Evidence

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["plan_steps", "who_reads_what"]

_PT = 8.0
_CHAR_IN = 0.0085 * _PT


def _short(text: str, chars: int) -> str:
    """``text`` cut in the middle with "…" when longer than ``chars`` (paths keep their start and end)."""
    return text if len(text) <= chars else text[: chars // 2 - 1] + "…" + text[-(chars - chars // 2) :]


def _answer(status: Any, transport: Any) -> str:
    if status == status and status is not None:
        return str(int(status))
    return "no answer" if not transport else "refused" if "Protocol" in str(transport) else "no answer"


def plan_steps(frame: pd.DataFrame, title: str | None = None) -> Figure:
    """The plan's steps in the order asked: requests per step by outcome, answers counted on the right."""
    style()
    data = _with_key(frame)
    if data.empty:
        fig, ax = plt.subplots(figsize=(5, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "no requests", ha="center", va="center")
        return fig
    data = data.sort_values("started_at", kind="stable")
    steps = list(dict.fromkeys(data["reason"].fillna("").replace("", "(no reason recorded)")))
    reasons = data["reason"].fillna("").replace("", "(no reason recorded)")
    labels = [textwrap.fill(_short(s, 110), 55, break_long_words=False) for s in steps]
    answers = [
        ", ".join(
            f"{a} ×{n}"
            for a, n in Counter(
                _answer(s, t)
                for s, t in zip(data[reasons == step]["status"], data[reasons == step]["transport_error"], strict=False)
            ).most_common()
        )
        for step in steps
    ]
    most = max(int((reasons == step).sum()) for step in steps)
    label_w = max(len(line) for label in labels for line in label.splitlines()) * 0.0085 * 8.5
    answer_w = max(len(a) for a in answers) * _CHAR_IN + 0.3
    rows_h = [0.16 * len(label.splitlines()) + 0.22 for label in labels]
    fig, ax = plt.subplots(figsize=(label_w + 3.2 + answer_w + 1.6, sum(rows_h) + 1.1), layout="constrained")
    y = 0.0
    ticks = []
    for step, height, answer in zip(steps, rows_h, answers, strict=True):
        rows = data[reasons == step]
        left = 0
        centre = y + height / 2
        for outcome in OUTCOME_CLASSES:
            n = int((rows["outcome"] == outcome).sum())
            if n:
                ax.barh(centre, n, left=left, height=height * 0.7, color=OUTCOME_COLORS[outcome])
                left += n
        ax.text(most * 1.02, centre, answer, va="center", ha="left", fontsize=_PT)
        ticks.append(centre)
        y += height
    ax.set_yticks(ticks, labels=labels, fontsize=8.5)
    ax.set_ylim(y, 0)
    ax.set_xlim(0, most * 1.02 + answer_w * most / 3.2)
    ax.set_xlabel("requests")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="y", length=0)
    headline = title or f"{len(data)} request(s) in {len(steps)} step(s): each asked only what could change the answer"
    fig.suptitle(textwrap.fill(headline, 90), x=0.01, ha="left", fontsize=11, fontweight="bold")
    present = [c for c in OUTCOME_CLASSES if c in set(data["outcome"])]
    fig.legend(
        handles=[Patch(color=OUTCOME_COLORS[c], label=c) for c in present],
        loc="outside right upper",
        frameon=False,
        fontsize=_PT,
    )
    return fig


def _verdicts(evidence: Evidence) -> dict[str, str]:
    """fingerprint → what the API said to that key (from the attempts), in a few words."""
    said: dict[str, Counter[str]] = {}
    for a in evidence.attempts:
        said.setdefault(a.fingerprint, Counter())[_answer(a.status, a.transport_error)] += 1
    out = {}
    for fp, counts in said.items():
        top = counts.most_common(1)[0][0]
        word = "accepted" if top.startswith("2") else "rejected" if top in ("401", "403") else "answered"
        out[fp] = f"{word} ({top})"
    return out


def _column(ax: Any, x: float, items: Sequence[tuple[str, str]], total: int, colour: str) -> dict[str, float]:
    """Boxes for ``items`` (id, label) at ``x``, spread over ``total`` rows; returns each id's y."""
    ys = {}
    step = total / max(len(items), 1)
    for index, (ident, label) in enumerate(items):
        y = total - (index + 0.5) * step
        ax.text(
            x,
            y,
            label,
            ha="center",
            va="center",
            fontsize=_PT,
            gid="kl-node",
            bbox={"boxstyle": "round,pad=0.3", "facecolor": colour, "edgecolor": "#999999"},
        )
        ys[ident] = y
    return ys


def who_reads_what(evidence: Evidence, title: str | None = None) -> Figure:
    """Sources → clients → header → verdict: which key each client really sends, and what the API said to it."""
    style()
    winners = list(evidence.winners)
    if not winners:
        fig, ax = plt.subplots(figsize=(5, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "no client found a key", ha="center", va="center")
        return fig
    by_id = {s.id: s for s in evidence.sources}
    used = list(dict.fromkeys(w.source_id for w in winners if w.source_id))
    sources = [
        (sid, _short(by_id[sid].location, 34) + (f"\n{by_id[sid].hint}" if by_id.get(sid) and by_id[sid].hint else ""))
        if sid in by_id
        else (sid, _short(sid, 34))
        for sid in used
    ]
    clients = [(w.client, _short(w.client, 22)) for w in winners]
    headers = [(h, h) for h in dict.fromkeys(w.header or "no header" for w in winners)]
    verdict_of = _verdicts(evidence)
    keys = list(dict.fromkeys(w.fingerprint or "none" for w in winners))
    hints = {w.fingerprint or "none": w.hint or "no key" for w in winners}
    verdicts = [(fp, f"{hints[fp]}\n{verdict_of.get(fp, 'not asked')}") for fp in keys]
    total = max(len(sources), len(clients), len(headers), len(verdicts))
    widths = [
        max(len(line) for _, label in col for line in label.splitlines()) * _CHAR_IN + 0.35
        for col in (sources, clients, headers, verdicts)
    ]
    gap = 0.7
    xs, x = [], 0.0
    for box in widths:
        xs.append(x + box / 2)
        x += box + gap
    height = max(1.6, 0.62 * total + 0.9)
    fig, ax = plt.subplots(figsize=(x - gap + 0.3, height), layout="constrained")
    ax.set_xlim(-0.15, x - gap + 0.15)
    ax.set_ylim(-0.1, total + 0.45)
    ax.axis("off")
    ys = [
        _column(ax, xs[0], sources, total, "#F7F7F7"),
        _column(ax, xs[1], clients, total, "#EAF2FB"),
        _column(ax, xs[2], headers, total, "#F7F7F7"),
        _column(ax, xs[3], verdicts, total, "#F7F7F7"),
    ]
    for w in winners:
        client_y = ys[1][w.client]
        if w.source_id in ys[0]:
            ax.plot(
                [xs[0] + widths[0] / 2, xs[1] - widths[1] / 2],
                [ys[0][w.source_id], client_y],
                color="#999999",
                linewidth=1,
                zorder=0,
            )
        colour = "#999999"
        verdict = verdict_of.get(w.fingerprint or "none", "")
        if verdict.startswith("rejected"):
            colour = OUTCOME_COLORS["auth rejected"]
        elif verdict.startswith("accepted"):
            colour = OUTCOME_COLORS["ok"]
        header_y = ys[2][w.header or "no header"]
        ax.plot(
            [xs[1] + widths[1] / 2, xs[2] - widths[2] / 2], [client_y, header_y], color=colour, linewidth=1.2, zorder=0
        )
        ax.plot(
            [xs[2] + widths[2] / 2, xs[3] - widths[3] / 2],
            [header_y, ys[3][w.fingerprint or "none"]],
            color=colour,
            linewidth=1.2,
            zorder=0,
        )
    for x_at, name in zip(xs, ("source", "client", "header", "key and verdict"), strict=True):
        ax.text(x_at, total + 0.3, name, ha="center", va="center", fontsize=9, fontweight="bold")
    ax.set_title(title or "Who reads what: each client's key, the header it goes in, and what the API said", loc="left")
    return fig
