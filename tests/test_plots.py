"""Plots say what to conclude, use fixed outcome colours, and label keys by alias and hint only."""

from __future__ import annotations

import itertools

import matplotlib.pyplot as plt
import pytest

from kit.keys.naming import fingerprint, hint
from kit.present import plots
from kit.testing import assert_no_leak, fake_key
from kit.values import OUTCOME_CLASSES, AttemptResult, rows_to_frame


def _row(
    alias: str,
    key: str,
    *,
    model: str,
    version: str = "2023-06-01",
    client: str = "httpx2",
    status: int = 401,
    n: int = 0,
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
        error_type=None if ok else "authentication_error",
        error_message=None if ok else "invalid x-api-key",
        request_id="req_011CabcdefghijklmnopqrstU",
        responder="anthropic",
        latency_ms=5.0 + n,
        transport_error=None,
        started_at=f"2026-11-27T01:00:0{n % 10}+00:00",
    )


def _ticket_like() -> tuple[list[AttemptResult], list[str]]:
    stale, fresh = fake_key("plots-stale"), fake_key("plots-fresh")
    rows = []
    for n, (model, version) in enumerate(
        itertools.product(["claude-haiku-4-5", "claude-sonnet-4-6"], ["2023-06-01", "2023-01-01"])
    ):
        rows.append(_row("env", stale, model=model, version=version, status=401, n=n))
        rows.append(_row(".env", fresh, model=model, version=version, status=200, n=n))
    return rows, [stale, fresh]


def _title(fig: object) -> str:
    return str(fig.axes[0].get_title(loc="left"))  # type: ignore[attr-defined]


def test_heatmap_title_states_that_only_the_key_matters() -> None:
    rows, _ = _ticket_like()
    frame = rows_to_frame(rows)
    assert (
        _title(plots.outcome_heatmap(frame, "key", "model")) == "The key decides the outcome; the model changes nothing"
    )
    assert (
        _title(plots.outcome_heatmap(frame, "key", "api_version"))
        == "The key decides the outcome; the API version changes nothing"
    )
    plt.close("all")


def test_heatmap_cells_carry_the_answer_and_count_and_keys_are_labelled_by_alias_and_hint() -> None:
    rows, keys = _ticket_like()
    fig = plots.outcome_heatmap(rows_to_frame(rows), "key", "model")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "401 ×2" in texts and "200 ×2" in texts
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [f"env\n{hint(keys[0])}", f".env\n{hint(keys[1])}"]
    png = plots.figure_png(fig)
    assert_no_leak([png.decode("latin-1"), "\n".join(texts + labels)], keys)


def test_outcome_colours_are_fixed_and_distinct() -> None:
    assert list(plots.OUTCOME_COLORS) == list(OUTCOME_CLASSES)
    assert len(set(plots.OUTCOME_COLORS.values())) == len(OUTCOME_CLASSES)


def test_heatmaps_skip_dimensions_that_did_not_vary() -> None:
    rows, _ = _ticket_like()
    figures = plots.heatmaps(rows_to_frame(rows), ("model", "api_version", "client"))
    assert [_title(f) for f in figures] == [
        "The key decides the outcome; the model changes nothing",
        "The key decides the outcome; the API version changes nothing",
    ]
    plt.close("all")


@pytest.mark.parametrize("make", [plots.latency_by_client, plots.timeline])
def test_latency_and_timeline_render_and_handle_no_data(make: object) -> None:
    rows, _ = _ticket_like()
    fig = make(rows_to_frame(rows))  # type: ignore[operator]
    assert _title(fig)
    empty = make(rows_to_frame([]))  # type: ignore[operator]
    assert empty.axes
    plt.close("all")


def test_timeline_title_counts_requests() -> None:
    rows, _ = _ticket_like()
    assert _title(plots.timeline(rows_to_frame(rows))).startswith("8 requests in ")
    plt.close("all")


def test_sparse_adaptive_data_claims_nothing_about_the_untried_dimension() -> None:
    stale, fresh = fake_key("plots-sparse-a"), fake_key("plots-sparse-b")
    rows = [
        _row("env", stale, model="claude-haiku-4-5", status=401),
        _row(".env", fresh, model="claude-sonnet-4-6", status=200),
    ]
    assert (
        _title(plots.outcome_heatmap(rows_to_frame(rows), "key", "model"))
        == "Outcome by key and model (each key tried with one model)"
    )
    plt.close("all")


def test_long_transport_labels_are_wrapped_to_fit_a_cell() -> None:
    key = fake_key("plots-transport")
    row = _row("key-1.txt", key, model="claude-haiku-4-5")
    from dataclasses import replace

    broken = replace(row, status=None, transport_error="LocalProtocolError", error_type=None)
    fig = plots.outcome_heatmap(rows_to_frame([broken]), "key", "model")
    label = fig.axes[0].texts[0].get_text()
    assert max(len(line) for line in label.splitlines()) <= 13, label
    plt.close("all")
