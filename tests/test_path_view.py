"""The path check for people: lanes, the picture, the tables and the summary, from real path rows."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kit.demo.pathdemo import DemoPath, start_demo
from kit.errors import UsageError
from kit.path.checks import check_path
from kit.present.pathview import (
    lanes,
    path_figure,
    path_findings,
    path_summary,
    path_table,
    routing_table,
)
from kit.present.plots import figure_png
from kit.values import PathCheck

CLIENTS = ("httpx2", "sdk-python", "curl", "sdk-node@0.24.3")


@pytest.fixture(scope="module")
def gateway_demo() -> Iterator[DemoPath]:
    demo = start_demo("gateway")
    yield demo
    demo.close()


@pytest.fixture(scope="module")
def rows(gateway_demo: DemoPath) -> tuple[PathCheck, ...]:
    return check_path(gateway_demo.env, gateway_demo.api_url, timeout=3, clients=CLIENTS, **gateway_demo.kwargs)


def test_lanes_name_clients_route_and_responder(rows: tuple[PathCheck, ...]) -> None:
    by_outcome = {lane.outcome: lane for lane in lanes(rows)}
    assert set(by_outcome) == {"ok", "foreign responder"}
    api, gateway = by_outcome["ok"], by_outcome["foreign responder"]
    assert "Anthropic API" in api.answer and "req_" in api.answer and "httpx2" in api.clients
    assert "gateway" in gateway.answer and "sdk-python" in gateway.clients and "sdk-node@0.24.3" in gateway.clients
    assert gateway.destination.startswith("localhost:") and gateway.proxy == "direct"


def test_picture_is_a_png_with_a_concluding_title(rows: tuple[PathCheck, ...]) -> None:
    fig = path_figure(rows)
    assert fig.axes[0].get_title() == "1 of 2 route(s) do not reach the API"
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "who answered" in texts and "a gateway" in texts and "direct" in texts
    assert figure_png(fig).startswith(b"\x89PNG")


def test_tables_and_summary(rows: tuple[PathCheck, ...]) -> None:
    table = path_table(rows)
    assert list(table.columns) == ["step", "client", "target", "ok", "verdict", "ms", "cause", "fix"]
    assert set(table["ok"]) <= {"✓", "✗", "–"}
    assert (table[table["ok"] == "✗"]["fix"] != "").all()  # every failure names its fix
    per_client = routing_table(rows)
    assert list(per_client["client"]) == list(CLIENTS)
    python = per_client[per_client["client"] == "sdk-python"].iloc[0]
    assert python["base URL"].startswith("✗") and "ANTHROPIC_BASE_URL" in python["base URL"]
    summary = path_summary(rows)
    assert summary.startswith("**1 of 2 route(s)** reach the API itself")


def test_findings_are_sorted_by_severity(rows: tuple[PathCheck, ...]) -> None:
    findings = path_findings(rows)
    assert findings and findings[0].severity == "blocker" and findings[0].cause == "base-url-override"
    order = {"blocker": 0, "warning": 1, "info": 2}
    assert [order[f.severity] for f in findings] == sorted(order[f.severity] for f in findings)


def test_an_empty_check_draws_and_summarises() -> None:
    assert path_figure(()).axes[0].get_title().startswith("The path to the API: nothing")
    assert path_summary(()) == "**No route was checked**; every check passed."


def test_unknown_demo_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="healthy, gateway"):
        start_demo("nope")


def test_a_route_no_check_contacted_reads_not_tried_not_yes() -> None:
    """Issue 14: pointed at a simulator, the SDKs' routes to the official API were never contacted."""
    from kit.present.pathview import NOT_TRIED
    from kit.present.views import path_summary_items

    sim, api = "http://127.0.0.1:4000", "https://api.anthropic.com"
    route = (("url", sim), ("clients", "KeyLab, httpx2"))
    rows = (
        PathCheck("tcp", "127.0.0.1:4000", True, "IPv4 connect works", details=route),
        PathCheck("http", "127.0.0.1:4000", True, "the API itself answers: 401", details=route),
        PathCheck("base-url", sim, True, "sends to the target", client="httpx2"),
        PathCheck("base-url", api, True, "sends to the official API", client="sdk-python"),
        PathCheck("proxy", api, True, "direct (no proxy applies)", client="sdk-python"),
        PathCheck("base-url", "", False, "ANTHROPIC_BASE_URL gives ''", client="sdk-node@0.24.3"),
    )
    guided = path_summary_items(rows)[1].frame
    said = {(r["step"], r["client"]): r["ok"] for r in guided.to_dict("records")}
    assert said[("base-url", "httpx2")] == "yes" and said[("tcp", "")] == "yes"
    assert said[("base-url", "sdk-python")] == NOT_TRIED and said[("proxy", "sdk-python")] == NOT_TRIED
    assert said[("base-url", "sdk-node@0.24.3")] == "NO", "a problem the model finds is still a failure"
    table = {(r["step"], r["client"]): r["ok"] for r in path_table(rows).to_dict("records")}
    assert table[("base-url", "sdk-python")] == NOT_TRIED and table[("base-url", "httpx2")] == "✓"
    per_client = routing_table(rows).set_index("client")
    assert per_client.loc["sdk-python", "base URL"].startswith(f"{NOT_TRIED}:")
    assert per_client.loc["httpx2", "base URL"].startswith("✓")
