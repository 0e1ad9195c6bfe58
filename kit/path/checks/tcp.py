"""The ``tcp`` step: a connect to one address of each family (or to the proxy), with a verdict and a fix."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import time

from kit.path.checks.route import elapsed_ms
from kit.values import PathCheck

__all__ = ["check_tcp", "close_writer", "open_tcp", "tcp_failure"]


def _family_name(family: int) -> str:
    return "IPv6" if family == socket.AF_INET6 else "IPv4"


async def open_tcp(ip: str, port: int, timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection(ip, port), timeout)


def close_writer(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        with contextlib.suppress(Exception):  # already closed, or the loop is stopping
            writer.close()


def tcp_failure(exc: BaseException, where: str, timeout: float) -> tuple[str, str]:
    if isinstance(exc, TimeoutError):
        return (
            f"no answer from {where} within {timeout:g} s: a firewall drops the packets or the network is down",
            "check the network connection and firewall; behind a corporate network, the API may only be "
            "reachable through the proxy (set HTTPS_PROXY)",
        )
    if isinstance(exc, ConnectionRefusedError):
        return (
            f"{where} refused the connection: nothing listens there, or a firewall rejects it",
            "check the port in the URL, and that the server or proxy is running",
        )
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL):
        return (
            f"{where} is unreachable from this machine ({exc.strerror})",
            "check the network connection, VPN and routes",
        )
    return f"connecting to {where} failed: {exc}", "check the network connection"


async def check_tcp(
    addresses: list[tuple[int, str]], port: int, timeout: float, target: str, what: str = ""
) -> tuple[list[PathCheck], list[str]]:
    """Connect to the first address of each family; rows and the addresses that answered."""
    picks: list[tuple[int, str]] = []
    for family in (socket.AF_INET, socket.AF_INET6):
        first = next((ip for fam, ip in addresses if fam == family), None)
        if first is not None:
            picks.append((family, first))

    async def one(family: int, ip: str) -> tuple[PathCheck, bool]:
        start = time.perf_counter()
        shown = f"[{ip}]:{port}" if family == socket.AF_INET6 else f"{ip}:{port}"
        try:
            _, writer = await open_tcp(ip, port, timeout)
        except (OSError, TimeoutError) as exc:
            verdict, fix = tcp_failure(exc, shown, timeout)
            return PathCheck(
                "tcp",
                target,
                False,
                f"{_family_name(family)}: {verdict}{what}",
                elapsed_ms(start),
                (("address", shown),),
                cause="network-unreachable",
                fix=fix,
            ), False
        close_writer(writer)
        return PathCheck(
            "tcp",
            target,
            True,
            f"{_family_name(family)} connect to {shown} works{what}",
            elapsed_ms(start),
            (("address", shown),),
        ), True

    results = await asyncio.gather(*(one(f, ip) for f, ip in picks))
    rows = [row for row, _ in results]
    good = [ip for (_, ip), (_, ok) in zip(picks, results, strict=True) if ok]
    if good and len(rows) > 1:  # one family works: the other's failure slows clients down but does not block them
        rows = [
            r
            if r.ok
            else PathCheck(
                r.step,
                r.target,
                False,
                r.verdict + "; the other family works, so clients fall back (after a delay)",
                r.elapsed_ms,
                r.details,
                None,
                "fix IPv6 routing, or ignore: clients fall back to IPv4",
            )
            for r in rows
        ]
    return rows, good
