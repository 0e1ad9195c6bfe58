"""Where a probe's time went, per client: getting ready (an install, a worker, the SDK's import), then its
requests. ``doctor --timings`` and ``probe --timings`` print these, so a user who waits can see why."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from kit.values import AttemptResult

__all__ = ["ClientTiming", "client_timings", "timing_lines"]


@dataclass(frozen=True)
class ClientTiming:
    """One client's share of a probe run (seconds of wall time; requests overlap, so shares do not add up)."""

    client: str
    ready_s: float  # building and starting it: an import, an install, a worker (clients start side by side)
    attempts: int
    busy_s: float  # from its first request out to its last answer in
    median_ms: float | None
    slowest_ms: float | None


def client_timings(
    results: Sequence[AttemptResult], ready: Sequence[tuple[str, float]] = ()
) -> tuple[ClientTiming, ...]:
    """Per client, in the order the clients were named: ready time, attempts, busy span and latencies."""
    names = list(dict.fromkeys([name for name, _ in ready] + [r.client for r in results]))
    ready_s = dict(ready)
    out = []
    for name in names:
        rows = [r for r in results if r.client == name]
        latencies = [r.latency_ms for r in rows if r.latency_ms is not None]
        starts = [(r.started, (r.latency_ms or 0.0) / 1000) for r in rows]
        spans = [(t.timestamp(), t.timestamp() + seconds) for t, seconds in starts if t is not None]
        busy = max(end for _, end in spans) - min(start for start, _ in spans) if spans else 0.0
        out.append(
            ClientTiming(
                client=name,
                ready_s=ready_s.get(name, 0.0),
                attempts=len(rows),
                busy_s=max(0.0, busy),
                median_ms=statistics.median(latencies) if latencies else None,
                slowest_ms=max(latencies) if latencies else None,
            )
        )
    return tuple(out)


def timing_lines(timings: Sequence[ClientTiming]) -> list[str]:
    """One aligned line per client, for a terminal."""
    if not timings:
        return []
    width = max(len(t.client) for t in timings)
    lines = []
    for t in timings:
        latency = (
            f"median {t.median_ms:6.0f} ms, slowest {t.slowest_ms:6.0f} ms"
            if t.median_ms is not None and t.slowest_ms is not None
            else "no request answered"
        )
        lines.append(
            f"  {t.client.ljust(width)}  ready {t.ready_s:6.3f} s  {t.attempts:3d} "
            f"{'request ' if t.attempts == 1 else 'requests'} in {t.busy_s:6.3f} s  ({latency})"
        )
    return lines
