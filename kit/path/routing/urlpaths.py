"""The URL a client really calls for a base URL, and whether its path has ``/v1`` doubled or missing.

Facts sheet §5.1: the official SDKs and Claude Code append ``/v1/messages`` to the base URL (a trailing
slash is tolerated); ``@ai-sdk/anthropic`` appends ``/messages`` and normalises only api.anthropic.com.
The table is ``[paths]`` in ``data/catalog/tools.toml``. Pure string work: nothing is sent.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from kit.catalog import DATA_DIR

__all__ = ["PathVerdict", "messages_url", "path_verdict"]

PathVerdict = Literal["ok", "doubled", "missing"]


@lru_cache(maxsize=1)
def _paths() -> dict[str, object]:
    with (DATA_DIR / "catalog" / "tools.toml").open("rb") as fh:
        return dict(tomllib.load(fh)["paths"])


def _suffix(client: str) -> str:
    table = _paths()
    name = client if client in table else client.split("@", 1)[0] + "@current"
    value = table.get(name, "/v1/messages")
    return value if isinstance(value, str) else "/v1/messages"


def messages_url(client: str, base_url: str) -> str:
    """The Messages URL ``client`` builds from ``base_url``."""
    suffix = _suffix(client)
    parts = urlsplit(base_url)
    normalised = _paths().get("normalised_hosts", [])
    if suffix == "/messages" and isinstance(normalised, list) and parts.hostname in normalised:
        return f"{parts.scheme}://{parts.netloc}/v1/messages"
    return base_url.rstrip("/") + suffix


def path_verdict(url: str) -> PathVerdict:
    """``doubled`` when the path ends in ``/v1/v1/messages``; ``missing`` when ``/messages`` has no ``/v1``."""
    path = urlsplit(url).path.rstrip("/")
    if path.endswith("/v1/v1/messages"):
        return "doubled"
    if path.endswith("/messages") and not path.endswith("/v1/messages"):
        return "missing"
    return "ok"
