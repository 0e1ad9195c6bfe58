"""Where each client would really send a request: its base URL, its proxy and the CA bundle it trusts.

One module per question, each rule read from the client's source (named where it is used):
``clients`` (the clients modelled and their versions), ``baseurls``, ``proxies`` (with ``curlrc``),
``cabundles``, and ``rows``, which turns the answers into ``base-url``, ``proxy`` and ``ca`` rows.
Nothing here does I/O except reading files the environment names (a ``.curlrc``, an SDK profile, a
CA bundle). Whether a key may go to a URL, and whether a proxy may carry it, is not decided here
but by the one host gate, ``kit.guard.gate``.
"""

from __future__ import annotations

from kit.path.routing.baseurls import BaseUrlChoice, base_url_for
from kit.path.routing.cabundles import CaChoice, ca_for
from kit.path.routing.clients import CLIENTS, NODE_SDK_CURRENT, NODE_SDK_FETCH_SINCE, node_sdk_client
from kit.path.routing.curlrc import curlrc
from kit.path.routing.proxies import ProxyChoice, proxy_for
from kit.path.routing.rows import routing_checks
from kit.path.routing.urls import display_url

__all__ = [
    "CLIENTS",
    "NODE_SDK_CURRENT",
    "NODE_SDK_FETCH_SINCE",
    "BaseUrlChoice",
    "CaChoice",
    "ProxyChoice",
    "base_url_for",
    "ca_for",
    "curlrc",
    "display_url",
    "node_sdk_client",
    "proxy_for",
    "routing_checks",
]
