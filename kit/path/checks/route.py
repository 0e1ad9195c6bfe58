"""One way to the API (a base URL, direct or through one proxy, and the clients that go that way).

Shared by every step of the path check, with the timing helper and the User-Agent the checks send.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

from kit.path.routing.urls import display_url

__all__ = ["MAX_HEADER_BYTES", "USER_AGENT", "Route", "elapsed_ms"]

MAX_HEADER_BYTES = 65536
USER_AGENT = "KeyLab path check (no credential)"


@dataclass
class Route:
    """One way to the API: a base URL, reached directly or through one proxy, and who goes this way."""

    url: str
    proxy_url: str | None = field(default=None, repr=False)
    proxy_shown: str | None = None
    proxy_from: str | None = None
    clients: list[str] = field(default_factory=list)

    @property
    def parts(self) -> SplitResult:
        return urlsplit(self.url)

    @property
    def host(self) -> str:
        return (self.parts.hostname or "").rstrip(".")

    @property
    def port(self) -> int:
        return self.parts.port or (443 if self.parts.scheme == "https" else 80)

    @property
    def label(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{shown}:{self.port}" + (f" via {self.proxy_shown}" if self.proxy_shown else "")

    def details(self) -> tuple[tuple[str, str], ...]:
        out = [("url", display_url(self.url)), ("clients", ", ".join(self.clients) or "KeyLab")]
        if self.proxy_shown:
            out.append(("proxy", f"{self.proxy_shown} (from {self.proxy_from})"))
        return tuple(out)


def elapsed_ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
