"""Which routes a path check contacted, and how a routing row reads when its route was never contacted.

A client's routing rows (``base-url``, ``proxy``, ``ca``) are a model of where it would send; only the network
rows (``dns`` … ``http``, ``client`` None) contacted anything. When KeyLab is pointed at a simulator or a gateway
under test, a client that would go to the official API is left out of the checks, so a routing row of its that
"passed" says nothing about the network: it reads ``NOT_TRIED``, never "ok". The doctor's text and JSON and the
notebooks' tables all ask here, so the fact has one home. Values only: nothing here imports pandas or matplotlib.
"""

from __future__ import annotations

from collections.abc import Sequence

from kit.values import PathCheck

__all__ = ["NOT_TRIED", "shown_ok", "untried"]

#: What a routing row that passed reads as when no network check went that client's way.
NOT_TRIED = "not tried"


def _d(row: PathCheck) -> dict[str, str]:
    return dict(row.details)


def untried(rows: Sequence[PathCheck]) -> set[str]:
    """The clients whose route no network check contacted: their routing rows are a model, not a pass.

    Each network row names the clients that go its way (``details["clients"]``); a client that would go to
    the official API while KeyLab is pointed elsewhere (a simulator, a gateway under test) is left out of
    the checks. Rows from a run that did not record the clients tell nothing, so nobody is marked.
    """
    network = [r for r in rows if r.client is None]
    if network and not any("clients" in _d(r) for r in network):
        return set()
    tried = {c.strip() for r in network for c in _d(r).get("clients", "").split(",")}
    return {r.client for r in rows if r.client is not None and r.client not in tried}


def shown_ok(row: PathCheck, not_tried: set[str]) -> bool | str | None:
    """A row's outcome as shown: ``NOT_TRIED`` for a routing row that passed on a route never contacted."""
    if row.ok is True and row.client is not None and row.client in not_tried:
        return NOT_TRIED
    return row.ok
