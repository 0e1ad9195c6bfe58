"""Trouble on demand: the seeded draw that picks injected faults, the added latency, and how faults are delivered.

``decide`` chooses *which* fault a request gets from its draw (a pure comparison with the scenario's
shares); this module owns the generator behind the draws and the two faults that are not answers at
all: a connection dropped with a TCP reset, and a body cut off half way.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct

from kit.sim.scenario import Scenario

__all__ = ["FaultSource", "abort", "reset_connection"]


class FaultSource:
    """One seeded generator per server, so the same scenario produces the same sequence of faults."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._rng = random.Random(scenario.faults.seed)
        self._active = scenario.faults.any

    def draw(self) -> float:
        """A number in [0, 1) for ``decide``; 1.0 (never a fault) when the scenario injects none."""
        return self._rng.random() if self._active else 1.0

    def delay_s(self) -> float:
        """Latency to add before answering: the API's own plus the faults' fixed and jittered parts."""
        ms = float(self.scenario.api.latency_ms + self.scenario.faults.latency_ms)
        if self.scenario.faults.latency_jitter_ms:
            ms += self._rng.uniform(0, self.scenario.faults.latency_jitter_ms)
        return ms / 1000.0


def reset_connection(transport: asyncio.BaseTransport | None) -> None:
    """Drop the connection with a TCP RST (SO_LINGER 0), the way a crashing upstream looks to a client."""
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    abort(transport)


def abort(transport: asyncio.BaseTransport | None) -> None:
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
