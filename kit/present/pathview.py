"""The path check for people: a table, a per-client routing table, a one-line summary and a picture.

The picture draws each route as a lane, client → proxy (or direct) → who answered, coloured by
outcome and labelled in words, so it reads the same in print and for colour-blind readers. It is a
plain matplotlib figure, so an exported HTML report shows it without JavaScript. Everything here is
computed from ``PathCheck`` rows alone, so a saved run can be drawn again later. Whether a route was contacted
(a routing row on a route no check went reads "not tried") is decided in ``kit.path.contact``, which the
doctor's text shares; ``NOT_TRIED``, ``untried`` and ``shown_ok`` are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kit.diagnose.rules.path import RULES
from kit.path.contact import NOT_TRIED, shown_ok, untried
from kit.present.plots import OUTCOME_COLORS
from kit.values import Evidence, Finding, PathCheck

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "NOT_TRIED",
    "Lane",
    "lanes",
    "path_figure",
    "path_findings",
    "path_summary",
    "path_table",
    "routing_table",
    "shown_ok",
    "untried",
]

_MARK = {True: "✓", False: "✗", None: "–"}
_NETWORK = ("dns", "tcp", "proxy", "tls", "http", "clock")


def _d(row: PathCheck) -> dict[str, str]:
    return dict(row.details)


def path_table(rows: Sequence[PathCheck]) -> pd.DataFrame:
    """One line per check: the network steps per route first, then each client's routing rows."""
    import pandas as pd

    network = [r for r in rows if r.client is None]
    routing = [r for r in rows if r.client is not None]
    not_tried = untried(rows)
    out = []
    for r in network + routing:
        d = _d(r)
        ok = shown_ok(r, not_tried)
        out.append(
            {
                "step": r.step,
                "client": r.client or d.get("clients", ""),
                "target": r.target,
                "ok": ok if isinstance(ok, str) else _MARK[ok],
                "verdict": r.verdict,
                "ms": None if r.elapsed_ms is None else round(r.elapsed_ms, 1),
                "cause": r.cause or "",
                "fix": r.fix if r.ok is False else "",
            }
        )
    return pd.DataFrame(out, columns=["step", "client", "target", "ok", "verdict", "ms", "cause", "fix"])


def routing_table(rows: Sequence[PathCheck]) -> pd.DataFrame:
    """One line per client: where it sends, through which proxy, trusting which CA store."""
    import pandas as pd

    clients: dict[str, dict[str, str]] = {}
    not_tried = untried(rows)
    for r in rows:
        if r.client is None or r.step not in ("base-url", "proxy", "ca"):
            continue
        entry = clients.setdefault(r.client, {"client": r.client})
        label = {"base-url": "base URL", "proxy": "proxy", "ca": "trusts"}[r.step]
        ok = shown_ok(r, not_tried)
        entry[label] = f"{ok}: {r.verdict}" if isinstance(ok, str) else f"{_MARK[ok]} {r.verdict}"
        if r.step == "base-url":
            entry["keys may go there"] = _d(r).get("keys sent", "")
    return pd.DataFrame(list(clients.values()), columns=["client", "base URL", "proxy", "trusts", "keys may go there"])


@dataclass(frozen=True)
class Lane:
    """One route, summarised for the picture."""

    clients: str
    proxy: str  # "direct" or the proxy as shown
    destination: str  # host:port
    answer: str  # who answered, in words
    outcome: str  # an OUTCOME_COLORS key
    failed_hop: int | None  # 0: before the proxy, 1: after it, None: it got through
    tls: str = ""


def lanes(rows: Sequence[PathCheck]) -> list[Lane]:
    """The routes of a path check, each with its clients, proxy and final answer."""
    groups: dict[tuple[str, str], list[PathCheck]] = {}
    for r in rows:
        if r.client is not None or r.step not in _NETWORK:
            continue
        d = _d(r)
        if "url" not in d:
            continue
        groups.setdefault((d["url"], d.get("proxy", "")), []).append(r)
    out: list[Lane] = []
    for (url, proxy), group in groups.items():
        d = _d(group[0])
        destination = next((r.target.split(" via ")[0] for r in group if r.step != "dns"), url)
        http = next((r for r in group if r.step == "http"), None)
        tls = next((r for r in group if r.step == "tls"), None)
        failed = next(
            (r for r in group if r.ok is False and r.step in ("dns", "tcp", "proxy", "tls") and r.cause is not None),
            None,
        )
        tls_text = ""
        if tls is not None:
            issuer = _d(tls).get("issuer", "")
            tls_text = f"TLS {_MARK[tls.ok]}" + (f" {issuer}" if issuer else "")
        behind_proxy = bool(proxy)
        if http is not None and "status" in _d(http):
            responder = _d(http).get("responder", "unknown")
            status = _d(http).get("status", "?")
            if responder == "anthropic":
                answer, outcome = f"Anthropic API\n{status}, request-id {_d(http).get('request-id', '?')[:16]}…", "ok"
            else:
                name = {
                    "region-block": "the API's edge: region block",
                    "html-proxy": "a web page (filter/portal)",
                    "gateway": "a gateway",
                    "proxy": "the proxy itself",
                    "unknown": "unknown responder",
                }
                answer = f"{name.get(responder, responder)}\n{status}, no API signature"
                outcome = "account" if responder == "region-block" else "foreign responder"
            out.append(Lane(d.get("clients", ""), proxy or "direct", destination, answer, outcome, None, tls_text))
            continue
        if failed is not None:
            hop = 0 if (failed.step in ("dns", "tcp") and behind_proxy) else 1
            if failed.step == "proxy":
                hop = 1
            outcome = "auth rejected" if failed.step == "tls" else "transport"
            answer = f"no answer: {failed.step} fails\n{_short(failed.verdict)}"
        else:
            hop, outcome = 1, "transport"
            answer = "no answer\n" + _short(http.verdict if http is not None else "not reached")
        out.append(Lane(d.get("clients", ""), proxy or "direct", destination, answer, outcome, hop, tls_text))
    return out


def _short(text: str, width: int = 46) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _wrap(text: str, width: int = 28) -> str:
    import textwrap

    return "\n".join(textwrap.fill(part, width) for part in text.split("\n"))


def path_figure(rows: Sequence[PathCheck]) -> Figure:
    """Client → proxy → responder, one lane per route; green: the API answered, blue: something else did."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    items = lanes(rows)
    height = max(1.6, 1.5 * len(items) + 0.6)
    fig, ax = plt.subplots(figsize=(10, height), layout="constrained")
    ax.set_xlim(0, 10)
    ax.set_ylim(0, max(1, len(items)) * 1.5 + 0.1)
    ax.axis("off")
    if not items:
        ax.text(5, 0.75, "no route was checked", ha="center", va="center")
        ax.set_title("The path to the API: nothing to draw")
        return fig
    x = (0.2, 3.7, 7.0)
    w = (2.6, 2.4, 2.8)
    for i, lane in enumerate(reversed(items)):
        y = 0.35 + i * 1.5
        color = OUTCOME_COLORS.get(lane.outcome, "#7F7F7F")
        proxy_text = lane.proxy if lane.proxy == "direct" else f"proxy {lane.proxy}"
        answer = f"{lane.destination}\n{lane.answer}" + (f"\n{lane.tls}" if lane.tls else "")
        boxes = [
            (_wrap(lane.clients or "KeyLab", 30), "#FFFFFF", "#444444"),
            (_wrap(proxy_text, 26), "#F2F2F2" if lane.proxy == "direct" else "#FFF4D6", "#444444"),
            (_wrap(answer, 36), color, "white"),
        ]
        for j, (text, face, ink) in enumerate(boxes):
            ax.add_patch(
                FancyBboxPatch(
                    (x[j], y),
                    w[j],
                    0.9,
                    boxstyle="round,pad=0.03,rounding_size=0.08",
                    facecolor=face,
                    edgecolor="#555555",
                    linewidth=1,
                )
            )
            ax.text(x[j] + w[j] / 2, y + 0.45, text, ha="center", va="center", fontsize=7.5, color=ink)
        for hop in (0, 1):
            broken = lane.failed_hop is not None and hop >= lane.failed_hop
            start, end = x[hop] + w[hop], x[hop + 1]
            ax.annotate(
                "",
                xy=(end - 0.05, y + 0.45),
                xytext=(start + 0.05, y + 0.45),
                arrowprops={
                    "arrowstyle": "-|>",
                    "lw": 1.6,
                    "color": "#D55E00" if broken else "#333333",
                    "linestyle": "--" if broken else "-",
                },
            )
            if broken and hop == lane.failed_hop:
                ax.text((start + end) / 2, y + 0.62, "✗", ha="center", color="#D55E00", fontsize=12)
    top = max(1, len(items)) * 1.5 - 0.1
    for j, head in enumerate(("clients", "route", "who answered")):
        ax.text(x[j] + w[j] / 2, top, head, ha="center", va="center", fontsize=8.5, color="#555555", fontweight="bold")
    reached = sum(1 for lane in items if lane.outcome == "ok")
    title = (
        "The API itself answers on every route"
        if reached == len(items)
        else f"{len(items) - reached} of {len(items)} route(s) do not reach the API"
    )
    ax.set_title(title)
    return fig


def path_findings(rows: Sequence[PathCheck]) -> list[Finding]:
    """The path rules (kit.diagnose.rules.path) applied to these rows alone, most severe first."""
    evidence = Evidence(path=tuple(rows))
    order = {"blocker": 0, "warning": 1, "info": 2}
    found = [f for rule in RULES for f in rule(evidence)]
    return sorted(found, key=lambda f: (order[f.severity], -f.confidence))


def path_summary(rows: Sequence[PathCheck]) -> str:
    """One Markdown line: how many routes reach the API, and the first failing check."""
    items = lanes(rows)
    failed = [r for r in rows if r.ok is False]
    reached = sum(1 for lane in items if lane.outcome == "ok")
    head = f"**{reached} of {len(items)} route(s)** reach the API itself" if items else "**No route was checked**"
    if not failed:
        return head + "; every check passed."
    first = failed[0]
    return head + f"; **{len(failed)}** check(s) failed, first: `{first.step}` {first.target}: {first.verdict}"
