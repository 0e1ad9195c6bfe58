"""One plotting style for every notebook and report: fixed outcome colours, titles that state the conclusion.

Colours are the Okabe-Ito palette (safe for the common colour-vision deficiencies), and every cell
also carries a text label (status and count), so no conclusion depends on colour alone. Keys are
labelled by alias and hint, never by value. Functions take the tidy attempts DataFrame
(``kit.values.rows_to_frame``) and return a matplotlib Figure; nothing here touches the network.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from kit.values import OUTCOME_CLASSES

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "DIMENSION_LABELS",
    "OUTCOME_COLORS",
    "figure_png",
    "heatmaps",
    "key_label",
    "latency_by_client",
    "outcome_figures",
    "outcome_heatmap",
    "outcome_matrix",
    "style",
    "timeline",
]

#: Okabe-Ito colours, one per outcome class.
OUTCOME_COLORS: dict[str, str] = {
    "ok": "#009E73",
    "auth rejected": "#D55E00",
    "account": "#CC79A7",
    "request": "#E69F00",
    "transient": "#56B4E9",
    "transport": "#7F7F7F",
    "foreign responder": "#0072B2",
}

#: Column → how a person calls that dimension.
DIMENSION_LABELS = {
    "key": "key",
    "key_alias": "key",
    "model": "model",
    "api_version": "API version",
    "client": "client",
    "auth_style": "header style",
    "endpoint": "endpoint",
    "base_url": "base URL",
}

_RC: dict[str, Any] = {
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "figure.facecolor": "white",
}


def style() -> None:
    """Apply KeyLab's matplotlib settings (the notebooks call this once)."""
    plt.style.use(_RC)


def key_label(alias: str, hint: str) -> str:
    """How a key is named on a plot: its alias over its Console-style hint."""
    return f"{alias}\n{hint}" if hint else alias


def _with_key(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["key"] = [key_label(a, h) for a, h in zip(frame["key_alias"], frame["hint"], strict=False)]
    if "outcome" not in frame:
        from kit.values import classify_outcome

        frame["outcome"] = [
            classify_outcome(s, e, r, t)
            for s, e, r, t in zip(
                frame["status"], frame["error_type"], frame["responder"], frame["transport_error"], strict=False
            )
        ]
    for column in ("model", "api_version", "client", "auth_style", "endpoint", "base_url"):
        if column in frame:
            frame[column] = frame[column].fillna("(none)").astype(str)
    return frame


def _words(name: str) -> str:
    """``LocalProtocolError`` → ``Local Protocol``: an exception name as words that wrap between words."""
    import re

    return " ".join(re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+", name.removesuffix("Error"))) or name


def _answer(statuses: Sequence[Any], transport_errors: Sequence[Any]) -> str:
    """A cell's label: the most common answer and how many attempts gave it (wrapped between words only)."""
    answers = [
        (str(int(s)) if s == s and s is not None else (t or "no answer"))
        for s, t in zip(statuses, transport_errors, strict=False)
    ]
    top = max(set(answers), key=answers.count)
    count = answers.count(top)
    more = len(set(answers)) - 1
    label = top if top.isdigit() else textwrap.fill(_words(top), 11, break_long_words=False)
    return f"{label} ×{count}" + (f"\n+{more} other" if more else "")


def _conclusion(frame: pd.DataFrame, rows: str, cols: str) -> str:
    row_name, col_name = DIMENSION_LABELS.get(rows, rows), DIMENSION_LABELS.get(cols, cols)
    per_row = frame.groupby(rows)["outcome"].nunique()
    per_col = frame.groupby(cols)["outcome"].nunique()
    if frame[cols].nunique() < 2:
        return f"Outcome by {row_name} ({col_name}: only one value tried)"
    if (frame.groupby(rows)[cols].nunique() < 2).all():
        # Sparse (adaptive) data: no row was tried with two values, so nothing can be said about the column.
        return f"Outcome by {row_name} and {col_name} (each {row_name} tried with one {col_name})"
    if (per_row <= 1).all() and frame.groupby(rows)["outcome"].first().nunique() > 1:
        return f"The {row_name} decides the outcome; the {col_name} changes nothing"
    if (per_row <= 1).all():
        return f"Every {row_name} gets the same outcome for every {col_name}"
    if (per_col <= 1).all():
        return f"The {col_name} decides the outcome; the {row_name} changes nothing"
    return f"Outcome depends on both {row_name} and {col_name}"


#: Text sizes (points) and the width of one character at that size (inches), for sizing cells to their text.
_CELL_PT = 8.0
_CHAR_IN = 0.0085 * _CELL_PT  # DejaVu Sans: about 0.61 em per character


def _text_width(text: str, points: float = _CELL_PT) -> float:
    return max((len(line) for line in text.splitlines()), default=0) * 0.0085 * points


def _grid(
    data: pd.DataFrame, rows: str, cols: str, row_values: Sequence[str]
) -> tuple[list[str], list[list[float]], list[list[str]]]:
    classes = list(OUTCOME_CLASSES)
    col_values = list(dict.fromkeys(data[cols]))
    # One pass over plain lists (a DataFrame filter per cell made a 50-key run's matrix take seconds). A missing
    # value (None, NaN) matches no cell, as ``==`` would have it.
    outcomes, statuses, errors = (data[c].tolist() for c in ("outcome", "status", "transport_error"))
    members: dict[tuple[Any, Any], list[int]] = {}
    for i, key in enumerate(zip(data[rows].tolist(), data[cols].tolist(), strict=True)):
        if all(v is not None and v == v for v in key):
            members.setdefault(key, []).append(i)
    grid: list[list[float]] = []
    labels: list[list[str]] = []
    for r in row_values:
        grid_row: list[float] = []
        label_row: list[str] = []
        for c in col_values:
            cell = members.get((r, c))
            if not cell:
                grid_row.append(float("nan"))
                label_row.append("–")
                continue
            counts = Counter(outcomes[i] for i in cell)
            most = max(counts.values())
            grid_row.append(float(classes.index(min(o for o, n in counts.items() if n == most))))  # as Series.mode()
            label_row.append(_answer([statuses[i] for i in cell], [errors[i] for i in cell]))
        grid.append(grid_row)
        labels.append(label_row)
    return col_values, grid, labels


def _tick(text: str, width_in: float) -> str:
    """A column label wrapped (between words and after hyphens) to fit ``width_in`` inches."""
    chars = max(6, int(width_in / _CHAR_IN))
    return textwrap.fill(text, chars, break_long_words=False, break_on_hyphens=True)


def _facet(
    ax: Any, data: pd.DataFrame, rows: str, cols: str, row_values: Sequence[str], cell_w: float, show_rows: bool
) -> None:
    classes = list(OUTCOME_CLASSES)
    col_values, grid, labels = _grid(data, rows, cols, row_values)
    cmap = ListedColormap([OUTCOME_COLORS[c] for c in classes]).with_extremes(bad="#F2F2F2")
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(classes) - 0.5, aspect="auto")
    ax.set_xticks(range(len(col_values)), labels=[_tick(c, cell_w - 0.1) for c in col_values], fontsize=_CELL_PT)
    ax.set_yticks(range(len(row_values)), labels=row_values if show_rows else [""] * len(row_values))
    ax.tick_params(length=0)
    for i, row_labels in enumerate(labels):
        for j, text in enumerate(row_labels):
            value = grid[i][j]
            dark = value == value and classes[int(value)] in ("auth rejected", "foreign responder", "transport")
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=_CELL_PT,
                color="white" if dark else "black",
                gid="kl-cell",
            )
    ax.set_xticks([x - 0.5 for x in range(1, len(col_values))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(row_values))], minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


def _cell_size(data: pd.DataFrame, rows: str, dims: Sequence[str], row_values: Sequence[str]) -> tuple[float, float]:
    widths = [0.8]
    for dim in dims:
        _, _, labels = _grid(data, rows, dim, row_values)
        widths += [_text_width(t) + 0.25 for row in labels for t in row]
        widths += [min(_text_width(v) + 0.2, 1.6) for v in dict.fromkeys(data[dim])]
    lines = max([2] + [len(v.splitlines()) for v in row_values])
    return max(widths), max(0.5, 0.16 * lines + 0.18)


def _legend(fig: Figure, data: pd.DataFrame) -> None:
    present = [c for c in OUTCOME_CLASSES if c in set(data["outcome"])]
    fig.legend(
        handles=[Patch(color=OUTCOME_COLORS[c], label=c) for c in present],
        loc="outside right upper",
        frameon=False,
        fontsize=_CELL_PT,
    )


def _empty(message: str) -> Figure:
    fig, ax = plt.subplots(figsize=(5, 1.5))
    ax.axis("off")
    ax.text(0.5, 0.5, message, ha="center", va="center")
    return fig


def outcome_matrix(
    frame: pd.DataFrame,
    dims: Sequence[str] = ("model", "api_version", "client"),
    rows: str = "key",
    title: str | None = None,
    *,
    title_on_axes: bool = False,
) -> Figure:
    """One outcome matrix, key × what was tried: one facet per dimension that varied, cells sized to their text.

    Cells show the answer and its count in full; column labels wrap between words to their cell's width;
    the figure grows with the data (legible from 1 to 50 rows and columns). A dimension tried with one
    value only is named in the title instead of drawn. ``title_on_axes`` puts the title on the (single)
    facet instead of the figure, widening the facet to hold it on one line.
    """
    style()
    data = _with_key(frame)
    if data.empty:
        return _empty("no attempts to show")
    varied = [d for d in dims if d in data and data[d].nunique() > 1] or [next((d for d in dims if d in data), "model")]
    row_values = list(dict.fromkeys(data[rows]))
    headline = title or (_conclusion(data, rows, varied[0]) if len(varied) == 1 else _overall(data, rows, varied))
    cell_w, cell_h = _cell_size(data, rows, varied, row_values)
    widths = [data[d].nunique() for d in varied]
    if title_on_axes:
        cell_w = max(cell_w, (len(headline) * 0.1 + 0.2) / sum(widths))
    label_w = max(_text_width(v, 9.5) for v in row_values) + 0.3
    tick_lines = max(len(_tick(str(v), cell_w - 0.1).splitlines()) for d in varied for v in data[d].unique())
    height = cell_h * len(row_values) + 0.9 + 0.15 * tick_lines + 0.35
    width = cell_w * sum(widths) + 0.35 * (len(varied) - 1) + label_w + 1.6
    fig, axes = plt.subplots(
        1, len(varied), figsize=(width, height), width_ratios=widths, squeeze=False, layout="constrained"
    )
    for index, (ax, dim) in enumerate(zip(axes[0], varied, strict=True)):
        _facet(ax, data, rows, dim, row_values, cell_w, show_rows=index == 0)
        name = DIMENSION_LABELS.get(dim, dim)
        if title_on_axes:
            ax.set_title(headline, loc="left")
            ax.set_xlabel(name)
        else:
            ax.set_title(_tick(name, cell_w * widths[index]), fontsize=9.5, loc="left", fontweight="normal")
    axes[0][0].set_ylabel(DIMENSION_LABELS.get(rows, rows))
    if not title_on_axes:
        fig.suptitle(
            textwrap.fill(headline, max(30, int((width - 1.6) / 0.1))),
            x=0.01,
            ha="left",
            fontsize=11,
            fontweight="bold",
        )
    _legend(fig, data)
    return fig


def _overall(data: pd.DataFrame, rows: str, dims: Sequence[str]) -> str:
    row_name = DIMENSION_LABELS.get(rows, rows)
    if (data.groupby(rows)["outcome"].nunique() <= 1).all() and data.groupby(rows)["outcome"].first().nunique() > 1:
        others = ", ".join(DIMENSION_LABELS.get(d, d) for d in dims)
        return f"The {row_name} decides the outcome; {others} change nothing"
    return f"Outcome by {row_name} and " + ", ".join(DIMENSION_LABELS.get(d, d) for d in dims)


def outcome_heatmap(frame: pd.DataFrame, rows: str = "key", cols: str = "model", title: str | None = None) -> Figure:
    """Cells coloured by the dominant outcome class of the attempts at (row, column), labelled with the answer."""
    return outcome_matrix(frame, (cols,), rows=rows, title=title, title_on_axes=True)


def latency_by_client(frame: pd.DataFrame, title: str | None = None) -> Figure:
    """Latency of every answered attempt by client: a strip of points over a box."""
    style()
    data = _with_key(frame)
    data = data[data["latency_ms"].notna()]
    clients = list(dict.fromkeys(data["client"])) if not data.empty else []
    fig, ax = plt.subplots(figsize=(max(4.5, 1.3 * len(clients) + 2), 3.0), layout="constrained")
    if not clients:
        ax.axis("off")
        ax.text(0.5, 0.5, "no answered attempts", ha="center", va="center")
        return fig
    series = [data[data["client"] == c]["latency_ms"].astype(float).tolist() for c in clients]
    ax.boxplot(series, orientation="horizontal", widths=0.5, showfliers=False)
    for i, client in enumerate(clients, start=1):
        sub = data[data["client"] == client]
        ys = [i + (k % 7 - 3) * 0.04 for k in range(len(sub))]
        ax.scatter(
            sub["latency_ms"].astype(float),
            ys,
            s=14,
            alpha=0.8,
            c=[OUTCOME_COLORS[o] for o in sub["outcome"]],
            zorder=3,
        )
    ax.set_yticks(range(1, len(clients) + 1), labels=clients)
    ax.set_xlabel("latency (ms)")
    medians = {c: sorted(s)[len(s) // 2] for c, s in zip(clients, series, strict=False) if s}
    slowest = max(medians, key=lambda c: medians[c])
    fastest = min(medians, key=lambda c: medians[c])
    auto = (
        f"Median latency: {fastest} {medians[fastest]:.0f} ms … {slowest} {medians[slowest]:.0f} ms"
        if slowest != fastest
        else f"Median latency {medians[slowest]:.0f} ms"
    )
    ax.set_title(title or auto, loc="left")
    return fig


def timeline(frame: pd.DataFrame, title: str | None = None) -> Figure:
    """When each attempt started and how long it took, coloured by outcome."""
    import pandas as pd

    style()
    data = _with_key(frame)
    fig, ax = plt.subplots(figsize=(7, max(2.2, 0.42 * data["key"].nunique() + 1.5)), layout="constrained")
    if data.empty:
        ax.axis("off")
        ax.text(0.5, 0.5, "no attempts", ha="center", va="center")
        return fig
    started = pd.to_datetime(data["started_at"], utc=True, format="ISO8601")
    t0 = started.min()
    offsets = (started - t0).dt.total_seconds() * 1000.0
    durations = data["latency_ms"].fillna(0).astype(float)
    keys = list(dict.fromkeys(data["key"]))
    for (_, row), start, dur in zip(data.iterrows(), offsets, durations, strict=False):
        y = keys.index(row["key"])
        ax.barh(y, max(dur, 0.5), left=start, height=0.6, color=OUTCOME_COLORS[row["outcome"]], alpha=0.85)
    ax.set_yticks(range(len(keys)), labels=keys)
    ax.set_xlabel("ms since the first request")
    total = float((offsets + durations).max())
    ax.set_title(title or f"{len(data)} requests in {total / 1000:.2f} s", loc="left")
    present = [c for c in OUTCOME_CLASSES if c in set(data["outcome"])]
    fig.legend(
        handles=[Patch(color=OUTCOME_COLORS[c], label=c) for c in present],
        loc="outside right upper",
        frameon=False,
        fontsize=8.5,
    )
    return fig


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes with no metadata beyond the software name (for reports and tests)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": "KeyLab"})
    plt.close(fig)
    return buffer.getvalue()


def heatmaps(frame: pd.DataFrame, dimensions: Sequence[str] = ("model", "api_version", "client")) -> list[Any]:
    """Key × each dimension that the attempts actually varied (a dimension with one value is skipped)."""
    figures = []
    for dim in dimensions:
        if dim in frame and frame[dim].fillna("(none)").nunique() > 1:
            figures.append(outcome_heatmap(frame, "key", dim))
    return figures


def outcome_figures(frame: pd.DataFrame) -> list[Any]:
    """The outcome pictures for the attempts: one matrix, key × every dimension that varied (facets)."""
    return [outcome_matrix(frame, ("endpoint", "model", "api_version", "client"))]
