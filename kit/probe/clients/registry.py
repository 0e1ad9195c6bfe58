"""Client construction: the names a probe accepts (``sdk-node`` expands to two versions) and their adapters.

The vocabulary itself (names, the Node SDK versions) lives in ``data/catalog/clients.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kit.catalog import client_catalog
from kit.env import Environment
from kit.errors import UsageError
from kit.path.routing import CaChoice, ca_for
from kit.probe.clients.base import Client

if TYPE_CHECKING:
    from kit.sources.sdk_process import SdkProcess

__all__ = ["KNOWN_CLIENTS", "client_names", "make_client", "prepare", "trusting"]

#: The clients a probe knows by name. ``sdk-node`` alone means the ticket's Node SDK and the current release.
KNOWN_CLIENTS = client_catalog().probe_names


def client_names(names: Sequence[str]) -> tuple[str, ...]:
    """Validate and expand client names (``sdk-node`` → the ticket's and the current Node SDK)."""
    vocabulary = client_catalog()
    simple = tuple(n for n in vocabulary.probe_names if n != "sdk-node")
    out: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        if name == "sdk-node":
            out.extend(vocabulary.node(v) for v in vocabulary.node_versions)
        elif name in simple or re.fullmatch(r"sdk-node@\d+\.\d+\.\d+[\w.-]*", name):
            out.append(name)
        else:
            ticket = vocabulary.node_ticket
            raise UsageError(
                f"unknown client {raw!r}",
                f"use {', '.join(simple)}, sdk-node ({ticket} and the current release) or "
                f"sdk-node@VERSION, e.g. --client sdk-node@{ticket}",
            )
    return tuple(dict.fromkeys(out))


def make_client(name: str, *, concurrency: int = 8, trust: CaChoice | None = None) -> Client:
    """The adapter for a client name (see ``client_names``); ``trust`` is what it trusts (``trusting``)."""
    if name == "httpx2":
        from kit.probe.clients.httpx_client import HttpxClient

        return HttpxClient(max_connections=max(1, concurrency), trust=trust)
    if name == "sdk-python":
        from kit.probe.clients.sdk_python import SdkPythonClient

        return SdkPythonClient(max_connections=max(1, concurrency), trust=trust)
    if name == "curl":
        from kit.probe.clients.curl import CurlClient

        return CurlClient(trust=trust)
    if name.startswith("sdk-node@"):
        from kit.probe.clients.sdk_node import NodeSdkClient

        return NodeSdkClient(name.split("@", 1)[1], trust=trust)
    raise UsageError(f"unknown client {name!r}", "see `python -m kit probe --help` for the clients")


def trusting(env: Environment, concurrency: int = 8, *, sdk: SdkProcess | None = None) -> Callable[[str], Client]:
    """A client factory whose clients trust what each would trust under ``env`` (``kit.path.routing.ca_for``):
    a sandbox's or the user's CA variables, never KeyLab's own process settings (issue 17 item 8).

    With ``sdk`` (the doctor's SDK process, when it serves), ``sdk-python`` is sent from that process.
    """

    def build(name: str) -> Client:
        trust = ca_for(env, name)
        if name == "sdk-python" and sdk is not None and sdk.serves():
            from kit.probe.clients.sdk_child_client import SdkChildClient

            return SdkChildClient(sdk, max_connections=concurrency, trust=trust)
        return make_client(name, concurrency=concurrency, trust=trust)

    return build


def prepare(env: Environment, names: Sequence[str]) -> None:
    """Do the one-off work of building these clients now (a CA bundle loaded, curl's version asked), so a
    caller with an idle moment, such as the doctor while the SDK imports, spares the probe the wait.
    Nothing is sent and nothing is kept but those caches; a failure here is met again, and told, later."""
    for name in names:
        if name in ("httpx2", "sdk-python"):
            from kit.probe.clients.trust import ssl_context_for

            ssl_context_for(ca_for(env, name))
        elif name == "curl":
            import shutil

            from kit.probe.clients.curl import curl_version

            path = shutil.which("curl")
            if path:
                curl_version(path)
