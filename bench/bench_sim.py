"""Simulator throughput: 50 keep-alive clients, 100,000 ``GET /v1/models`` with a valid key.

The server runs as its own process (``python -m kit sim --scenario healthy``), exactly as a user or
``make report`` starts it, so its memory is measured apart from the client's. Reported: requests per
second, p50/p99 latency, errors (goal 0) and the server's RSS at start, after warm-up and at the end
(goal: flat). ``KEYLAB_BENCH_SIM_REQUESTS`` shortens a run while working on it.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from typing import Any

import aiohttp
import psutil

from kit.testing import fake_key, simulator_process

CLIENTS = 50
REQUESTS = int(os.environ.get("KEYLAB_BENCH_SIM_REQUESTS", "100000"))
WARMUP = 2_000


def _mib(process: psutil.Process) -> float:
    return round(process.memory_info().rss / 2**20, 1)


async def _drive(url: str, total: int, latencies: list[float] | None) -> int:
    headers = {"x-api-key": fake_key("alpha"), "anthropic-version": "2023-06-01"}
    errors = 0
    remaining = total
    connector = aiohttp.TCPConnector(limit=CLIENTS, force_close=False)

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            try:
                async with session.get(url + "/v1/models", headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        errors += 1
            except aiohttp.ClientError:
                errors += 1
            if latencies is not None:
                latencies.append((time.perf_counter() - started) * 1000)

    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(CLIENTS)))
    return errors


def run() -> list[dict[str, Any]]:
    with simulator_process("healthy") as (url, proc):
        server = psutil.Process(proc.pid)
        rss_start = _mib(server)
        asyncio.run(_drive(url, WARMUP, None))
        rss_warm = _mib(server)
        latencies: list[float] = []
        started = time.perf_counter()
        errors = asyncio.run(_drive(url, REQUESTS, latencies))
        wall = time.perf_counter() - started
        rss_end = _mib(server)
        cuts = statistics.quantiles(latencies, n=100)
        return [
            {
                "requests": REQUESTS,
                "clients": CLIENTS,
                "seconds": round(wall, 1),
                "requests_per_s": round(REQUESTS / wall),
                "p50_ms": round(cuts[49], 2),
                "p99_ms": round(cuts[98], 2),
                "errors": errors,
                "rss_start_mib": rss_start,
                "rss_after_warmup_mib": rss_warm,
                "rss_end_mib": rss_end,
            }
        ]


if __name__ == "__main__":
    for row in run():
        print(row)
