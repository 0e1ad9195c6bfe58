"""The path check's wall time on loopback, healthy and broken, and its bound when nothing answers.

- a healthy TLS simulator, directly and through a real forward proxy (proxy.py, CONNECT);
- a gateway in ANTHROPIC_BASE_URL beside the API (two routes, walked concurrently);
- a closed port and an unresolvable ``.invalid`` name (fail fast);
- a server that accepts connections and never speaks, at timeout 1 s: the check must stay near one
  timeout per hop, and always under its deadline (5 x timeout + 1 s).

Each case runs ``REPEAT`` times; the median and the maximum are reported.
"""

from __future__ import annotations

import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kit.path.checks import check_path
from kit.sim import serve
from kit.testing import forward_proxy, sandbox_env, silent_server

REPEAT = 5


def _timed(fn: Callable[[], object]) -> tuple[float, float]:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1), round(max(times), 1)


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    root = Path(tempfile.mkdtemp(prefix="keylab-bench-path-"))
    env = sandbox_env(root)
    only = ("httpx2",)
    with serve("healthy", tls=True) as api, serve("gateway") as gateway, forward_proxy() as proxy:
        ca = api.ca_path
        cases: list[tuple[str, Callable[[], object]]] = [
            ("healthy TLS, direct", lambda: check_path(env, api.url, timeout=5, clients=only, ca_file=ca)),
            (
                "healthy TLS, via proxy.py",
                lambda: check_path(env.with_variables(HTTPS_PROXY=proxy), api.url, timeout=5, clients=only, ca_file=ca),
            ),
            (
                "API + gateway in ANTHROPIC_BASE_URL",
                lambda: check_path(
                    env.with_variables(ANTHROPIC_BASE_URL=f"http://localhost:{gateway.port}"),
                    api.url,
                    timeout=5,
                    clients=("httpx2", "sdk-python"),
                    ca_file=ca,
                ),
            ),
        ]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            closed = s.getsockname()[1]
        cases += [
            ("closed port", lambda: check_path(env, f"https://127.0.0.1:{closed}", timeout=5, clients=only)),
            ("unresolvable name", lambda: check_path(env, "https://api.keylab-bench.invalid", timeout=5, clients=only)),
        ]
        with silent_server() as port:
            cases.append(
                (
                    "silent server, timeout 1 s (deadline 6 s)",
                    lambda: check_path(env, f"https://127.0.0.1:{port}", timeout=1, clients=only),
                )
            )
            cases.append(
                (
                    "silent proxy, timeout 1 s (deadline 6 s)",
                    lambda: check_path(
                        env.with_variables(HTTPS_PROXY=f"http://127.0.0.1:{port}"), api.url, timeout=1, clients=only
                    ),
                )
            )
            for name, fn in cases:
                median, worst = _timed(fn)
                rows.append({"case": name, "median_ms": median, "max_ms": worst, "runs": REPEAT})
    return rows
