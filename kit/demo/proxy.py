"""A real forward proxy with CONNECT on loopback, for the path demo and for tests (re-exported by kit.testing)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["forward_proxy"]


@contextmanager
def forward_proxy(basic_auth: str | None = None) -> Iterator[str]:
    """A real forward proxy with CONNECT (the proxy.py package) on a free loopback port; yield its URL.

    ``basic_auth="user:password"`` makes it answer 407 to requests without those credentials. The
    URL yielded carries no credentials; put them in it (``http://user:password@127.0.0.1:PORT``) to pass.
    """
    import proxy  # a dev dependency: pip install -e '.[dev]'

    args = [
        "--hostname",
        "127.0.0.1",
        "--port",
        "0",
        "--num-workers",
        "1",
        "--num-acceptors",
        "1",
        "--log-level",
        "ERROR",
    ]
    if basic_auth:
        args += ["--basic-auth", basic_auth]
    with proxy.Proxy(args) as running:
        yield f"http://127.0.0.1:{running.flags.port}"
