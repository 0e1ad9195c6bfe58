"""One request as the simulator parsed it, the context it is answered in, and the fault its draw selects.

Shared by the Anthropic checks (``decide``) and the other providers' faces, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kit.sim.ratelimit import RateLimiter
from kit.sim.scenario import Scenario

__all__ = ["Context", "Request", "fault_for"]


@dataclass(frozen=True)
class Request:
    """What the server parsed from one HTTP request. Header names are lower case; values as received."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    lifecycle: tuple[str, ...] = ()
    x_api_key: str | None = field(default=None, repr=False)
    authorization: str | None = field(default=None, repr=False)
    version: str | None = None
    beta: str | None = None
    workspace_id: str | None = None
    user_agent: str | None = None
    cf_aig_authorization: str | None = field(default=None, repr=False)  # Cloudflare AI Gateway's own token
    content_type: str | None = None
    content_length: int | None = None
    body: bytes = field(default=b"", repr=False)
    too_large: bool = False
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)  # every header, lower-case names

    @property
    def betas(self) -> tuple[str, ...]:
        if not self.beta:
            return ()
        return tuple(b.strip() for b in self.beta.split(",") if b.strip())


@dataclass(frozen=True)
class Context:
    """Everything besides the request: the scenario, the rate limiter, the clock, the fault draw."""

    scenario: Scenario
    limiter: RateLimiter
    now: float
    draw: float = 1.0  # uniform in [0, 1); compared with the scenario's fault shares


def fault_for(req: Request, ctx: Context) -> str | None:
    """Which injected fault (api_error, overloaded, reset, truncated) this request's draw selects, if any."""
    f = ctx.scenario.faults
    if f.paths and not req.path.startswith(f.paths):
        return None
    edge = 0.0
    for name, share in (
        ("api_error", f.api_error),
        ("overloaded", f.overloaded),
        ("reset", f.reset),
        ("truncated", f.truncated),
    ):
        edge += share
        if share and ctx.draw < edge:
            return name
    return None
