"""The clients KeyLab models, in the order tables show them, and the Node SDK versions routing depends on."""

from __future__ import annotations

import re

from kit.catalog import client_catalog

__all__ = ["CLIENTS", "NODE_SDK_CURRENT", "NODE_SDK_FETCH_SINCE", "node_sdk_client", "version_tuple"]

#: The newest Node SDK KeyLab knows of (data/catalog/clients.toml); it and the ticket's are checked by default.
NODE_SDK_CURRENT = client_catalog().node_current
#: From this version on the Node SDK uses the runtime's fetch; before it, node-fetch 2 with its own
#: keep-alive agent (npm: @anthropic-ai/sdk 0.41.0 depends on node-fetch, 0.50.1 has no dependencies).
NODE_SDK_FETCH_SINCE = (0, 50, 0)

#: The clients KeyLab models, in the order tables show them.
CLIENTS = client_catalog().path


def node_sdk_client(version: str) -> str:
    return f"sdk-node@{version}"


def version_tuple(text: str) -> tuple[int, ...]:
    """``"v22.12.0"`` → ``(22, 12, 0)``; ``()`` when there is no number."""
    parts = re.findall(r"\d+", text.lstrip("v"))
    return tuple(int(p) for p in parts[:3]) if parts else ()
