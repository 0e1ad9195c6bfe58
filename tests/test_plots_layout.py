"""Every plot function, drawn small and large: no two text boxes overlap, no text leaves its cell or the figure.

The check uses matplotlib's own text extents (``Text.get_window_extent`` after a draw), the same boxes
the PNG is made from. Cell labels (``gid="kl-cell"``) must stay inside their cell.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.text import Text

from kit.keys.naming import fingerprint, hint
from kit.present import diagrams, pathview, plots
from kit.testing import fake_key
from kit.values import AttemptResult, Evidence, PathCheck, Source, Winner, rows_to_frame

MODELS = [
    "claude-3-5-sonnet-20241022",
    "claude-haiku-4-5",
    "claude-sonnet-4-6",
    "claude-3-haiku-20240307",
    "claude-opus-4-1-20250805",
]


def _row(
    alias: str,
    key: str,
    *,
    model: str,
    version: str = "2023-06-01",
    client: str = "httpx2",
    status: int | None = 401,
    n: int = 0,
    transport: str | None = None,
    reason: str = "",
) -> AttemptResult:
    ok = status == 200
    return AttemptResult(
        run_id="r",
        attempt_id=f"{alias}-{model}-{version}-{client}-{n}",
        key_alias=alias,
        fingerprint=fingerprint(key),
        hint=hint(key),
        source="env",
        client=client,
        client_version="1",
        endpoint="/v1/models/{id}",
        method="GET",
        model=model,
        api_version=version,
        auth_style="x-api-key",
        base_url="http://127.0.0.1:1",
        status=status,
        error_type=None if ok or status is None else "authentication_error",
        error_message=None if ok else "invalid x-api-key",
        request_id="req_011CabcdefghijklmnopqrstU",
        responder="anthropic" if status else "none",
        latency_ms=5.0 + n % 40,
        transport_error=transport,
        started_at=f"2026-11-27T01:00:{n % 60:02d}+00:00",
        reason=reason or f"stage {n % 4}: ask key {alias}",
    )


def _rows(keys: int, models: int, versions: int = 1, clients: int = 1) -> list[AttemptResult]:
    out = []
    for n, (k, m, v, c) in enumerate(itertools.product(range(keys), range(models), range(versions), range(clients))):
        key = fake_key(f"layout-{k}")
        model = MODELS[m % len(MODELS)] + ("" if m < len(MODELS) else f"-{m}")
        status: int | None = 200 if k % 3 == 0 else 401
        row = _row(
            f"key-{k}.txt" if k % 2 else f"env-{k}",
            key,
            model=model,
            version=f"2023-0{v + 1}-01",
            client=["httpx2", "sdk-python", "curl", "sdk-node@0.24.3"][c % 4],
            status=status,
            n=n,
        )
        if k % 5 == 4:
            row = replace(row, status=None, transport_error="LocalProtocolError", error_type=None)
        out.append(row)
    return out


def _evidence(keys: int, clients: int) -> Evidence:
    names = ["httpx2", "sdk-python", "curl", "sdk-node@0.24.3", "sdk-node@1.x", "dotenv-app"]
    sources = tuple(
        Source(
            id=f"s{k}",
            location=f"/home/someone/projects/app-{k}/.env line {k + 1}",
            kind="dotenv",
            variable="ANTHROPIC_API_KEY",
            fingerprint=fingerprint(fake_key(f"layout-{k}")),
            hint=hint(fake_key(f"layout-{k}")),
            length=108,
        )
        for k in range(keys)
    )
    winners = tuple(
        Winner(
            client=names[c % len(names)] + ("" if c < len(names) else f"-{c}"),
            client_version="1",
            source_id=f"s{c % keys}",
            fingerprint=sources[c % keys].fingerprint,
            hint=sources[c % keys].hint,
            header="x-api-key" if c % 2 else "authorization",
            base_url="https://api.anthropic.com",
            detail="",
        )
        for c in range(clients)
    )
    attempts = tuple(_rows(keys, 1))
    return Evidence(sources=sources, winners=winners, attempts=attempts)


def _path(size: str) -> list[PathCheck]:
    """Path rows as the checks write them: one ``http`` row per route, with its URL, clients and answer."""
    rows = []
    for i in range(1 if size == "small" else 8):
        responder = "anthropic" if i % 2 == 0 else ["gateway", "html-proxy", "region-block", "proxy"][i % 4]
        details = (
            ("url", f"https://gateway-{i}.internal.example.com/anthropic/v1"),
            ("clients", "httpx2, sdk-python, curl, sdk-node@0.24.3"[: 12 + 9 * (i % 4)]),
            ("proxy", "" if i % 3 else f"http://proxy-{i}.corp.example:3128"),
            ("status", "401"),
            ("responder", responder),
            ("request-id", "req_011CabcdefghijklmnopqrstU"),
        )
        rows.append(
            PathCheck(
                step="http",
                target=f"gateway-{i}.internal.example.com:443",
                ok=True,
                verdict="answered",
                elapsed_ms=3.0,
                details=details,
            )
        )
    return rows


PLOTS: dict[str, Callable[[str], Figure]] = {
    "path_figure": lambda size: pathview.path_figure(_path(size)),
    "outcome_heatmap": lambda size: plots.outcome_heatmap(
        rows_to_frame(_rows(1, 1) if size == "small" else _rows(50, 12)), "key", "model"
    ),
    "outcome_matrix": lambda size: plots.outcome_matrix(
        rows_to_frame(_rows(1, 2) if size == "small" else _rows(50, 5, 3, 4))
    ),
    "latency_by_client": lambda size: plots.latency_by_client(
        rows_to_frame(_rows(1, 1) if size == "small" else _rows(12, 2, 1, 4))
    ),
    "timeline": lambda size: plots.timeline(rows_to_frame(_rows(1, 1) if size == "small" else _rows(50, 2))),
    "plan_steps": lambda size: diagrams.plan_steps(rows_to_frame(_rows(1, 1) if size == "small" else _rows(30, 5))),
    "who_reads_what": lambda size: diagrams.who_reads_what(_evidence(1, 1) if size == "small" else _evidence(8, 14)),
}


def _texts(fig: Figure) -> list[Text]:
    """The texts matplotlib really draws: tick labels only of the ticks inside the view of a shown axis."""
    ticks: set[int] = set()
    drawn: set[int] = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                ticks.update({id(tick.label1), id(tick.label2)})
            if ax.axison and axis.get_visible():
                for tick in axis._update_ticks():
                    drawn.update(id(t) for t in (tick.label1, tick.label2) if t.get_visible())
    found = [
        t
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and (id(t) not in ticks or id(t) in drawn)
    ]
    return [t for t in found if t.get_window_extent().width > 0]


def _boxes(texts: list[Text]) -> np.ndarray:
    return np.array([[b.x0, b.y0, b.x1, b.y1] for b in (t.get_window_extent() for t in texts)])


def check_layout(fig: Figure) -> list[str]:
    """Problems with ``fig``'s text: overlapping boxes, text outside the figure, cell labels outside their cell."""
    fig.canvas.draw()
    texts = _texts(fig)
    boxes = _boxes(texts)
    problems = []
    if len(texts) > 1:
        tol = 0.5
        x0, y0, x1, y1 = (boxes[:, i] for i in range(4))
        overlap = (
            (x0[:, None] < x1[None, :] - tol)
            & (x0[None, :] < x1[:, None] - tol)
            & (y0[:, None] < y1[None, :] - tol)
            & (y0[None, :] < y1[:, None] - tol)
        )
        np.fill_diagonal(overlap, False)
        for i, j in zip(*np.nonzero(np.triu(overlap)), strict=True):
            problems.append(f"overlap: {texts[i].get_text()!r} and {texts[j].get_text()!r}")
    width, height = fig.bbox.width, fig.bbox.height
    for text, (a, b, c, d) in zip(texts, boxes, strict=True):
        if a < -0.5 or b < -0.5 or c > width + 0.5 or d > height + 0.5:
            problems.append(f"outside the figure: {text.get_text()!r}")
        if text.get_gid() == "kl-cell":
            ax: Any = text.axes
            x, y = text.get_position()
            (cx0, cy0), (cx1, cy1) = ax.transData.transform([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)])
            lo_x, hi_x, lo_y, hi_y = min(cx0, cx1), max(cx0, cx1), min(cy0, cy1), max(cy0, cy1)
            if a < lo_x - 0.5 or c > hi_x + 0.5 or b < lo_y - 0.5 or d > hi_y + 0.5:
                problems.append(f"leaves its cell: {text.get_text()!r}")
    return problems


# Large drawings cost seconds of matplotlib each: make test-fast keeps the small ones.
@pytest.mark.parametrize("size", ["small", pytest.param("large", marks=pytest.mark.slow)])
@pytest.mark.parametrize("name", sorted(PLOTS))
def test_no_text_overlaps_or_leaves_its_cell_or_the_figure(name: str, size: str) -> None:
    fig = PLOTS[name](size)
    try:
        problems = check_layout(fig)
        assert not problems, "\n".join(problems[:10])
    finally:
        plt.close(fig)


def test_every_plot_function_is_covered() -> None:
    public = {
        n
        for n in plots.__all__
        if callable(getattr(plots, n)) and n not in {"style", "figure_png", "key_label", "heatmaps", "outcome_figures"}
    }
    public |= {n for n in diagrams.__all__ if callable(getattr(diagrams, n))} | {"path_figure"}
    assert public <= set(PLOTS), public - set(PLOTS)


def test_the_checker_sees_an_overlap() -> None:
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.text(0.5, 0.5, "one label")
    ax.text(0.52, 0.5, "another label")
    try:
        assert any(p.startswith("overlap") for p in check_layout(fig))
    finally:
        plt.close(fig)
