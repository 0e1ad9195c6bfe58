"""Who wins: for each client, which credential it would send, from which source, in which header.

The installed official Python SDK is *asked*, not modelled: a subprocess with exactly the inspected
environment (variables, HOME, working directory) constructs ``anthropic.Anthropic()`` and reports the
fingerprint of what it resolved, the headers it would send, its base URL and its version. The same
subprocess then runs python-dotenv's real ``load_dotenv()`` (no override) and asks again, which is the
"app that calls load_dotenv()" client. Nothing secret crosses the process boundary: only fingerprints,
lengths and header names.

The Node SDK (0.24.x, the ticket's version, and the current 1.x line) and ``curl`` with
``$ANTHROPIC_API_KEY`` are modelled from their documented rules (docs/reference/anthropic-auth.md §7), including Node's
trimming of environment values. A winner's fingerprint is that of the exact bytes the client would send,
so it compares with ``Source.fingerprint``; where a client trims, the winner says so.

This module names the clients and asks each in order: ``sdk_python`` (the SDK asked through the child
program ``sdk_child``, or modelled), ``modelled`` (Node and curl); ``inventory`` is what they all read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kit.catalog import client_catalog
from kit.sources.inventory import Inventory, ShellValue
from kit.sources.modelled import NODE_CURRENT, NODE_TICKET, curl, js_trim, node_current, node_ticket
from kit.sources.sdk_python import ask_python_sdk, asked_winner, modelled_python
from kit.values import Winner

if TYPE_CHECKING:
    from kit.sources.sdk_process import SdkProcess

__all__ = [
    "CLIENTS",
    "NODE_CURRENT",
    "NODE_TICKET",
    "Inventory",
    "ShellValue",
    "ask_python_sdk",
    "find_winners",
    "js_trim",
]

#: Client names, in the order tables show them.
CLIENTS = client_catalog().sources


def find_winners(
    inventory: Inventory, *, ask_sdk: bool = True, python: str | None = None, sdk: SdkProcess | None = None
) -> tuple[tuple[Winner, ...], tuple[str, ...]]:
    """One ``Winner`` per client in ``CLIENTS``, and any problems met while finding them.

    ``sdk`` is an SDK process already started for this environment (the doctor's): its answer is used once,
    instead of starting a one-shot child; a later call asks anew.
    """
    problems: list[str] = []
    answer: dict[str, Any] | None = None
    reason = "not asked (ask_sdk=False)"
    if ask_sdk:
        fresh = sdk.fresh_answer() if sdk is not None and python is None else None
        answer, reason = fresh if fresh is not None else ask_python_sdk(inventory.env, python=python)
        if answer is None:
            problems.append(f"could not ask the installed Python SDK: {reason}; its winner is modelled instead")
    if answer is not None and "sdk" in answer:
        python_sdk = asked_winner("sdk-python", answer, answer["sdk"], inventory, dotenv=None)
        app = asked_winner(
            "dotenv-app", answer, answer.get("dotenv_app", {}), inventory, dotenv=answer.get("dotenv", {})
        )
    else:
        python_sdk = modelled_python(inventory, with_dotenv=False, reason=reason)
        app = modelled_python(inventory, with_dotenv=True, reason=reason)
    winners = (python_sdk, app, node_ticket(inventory), node_current(inventory), curl(inventory))
    return winners, tuple(problems)
