"""The ``proxy`` step: the proxy's answer to ``CONNECT`` (200, or 407/403 and who said it)."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from urllib.parse import SplitResult, unquote

from kit.path.checks.route import MAX_HEADER_BYTES, USER_AGENT, Route
from kit.path.checks.tcp import close_writer, tcp_failure
from kit.values import PathCheck

__all__ = ["Tunnel", "connect", "proxy_row"]


@dataclass
class Tunnel:
    status: int | None
    headers: dict[str, str]
    reason: str
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None


async def connect(proxy: SplitResult, proxy_ip: str, host: str, port: int, timeout: float) -> Tunnel:
    """Open a CONNECT tunnel through an http:// proxy (with Basic credentials from its URL, as clients send).

    Connecting, asking and reading the answer share one ``timeout``.
    """
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(proxy_ip, proxy.port or 80)
            authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}", f"User-Agent: {USER_AGENT}"]
            if proxy.username is not None:
                token = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode()
                lines.append(f"Proxy-Authorization: Basic {base64.b64encode(token).decode()}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionResetError, BrokenPipeError) as exc:
        close_writer(writer)
        return Tunnel(None, {}, f"the proxy closed the connection without answering CONNECT ({type(exc).__name__})")
    except BaseException:
        close_writer(writer)
        raise
    status_line, *header_lines = head[:MAX_HEADER_BYTES].decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        close_writer(writer)
        return Tunnel(None, {}, f"the proxy answered something that is not HTTP: {status_line[:60]!r}")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    reason = parts[2] if len(parts) > 2 else ""
    if 200 <= status < 300:
        return Tunnel(status, headers, reason, reader, writer)
    close_writer(writer)
    return Tunnel(status, headers, reason)


def proxy_row(
    route: Route, tunnel: Tunnel | None, exc: BaseException | None, elapsed: float, timeout: float
) -> PathCheck:
    target = route.label
    details = list(route.details())
    unset = route.proxy_from or "the proxy variable"
    if exc is not None:
        verdict, _ = tcp_failure(exc, f"the proxy {route.proxy_shown}", timeout)
        return PathCheck(
            "proxy",
            target,
            False,
            verdict,
            elapsed,
            tuple(details),
            "proxy-interference",
            f"start the proxy or correct {unset}; if you need no proxy, unset {unset}",
        )
    assert tunnel is not None
    details += [("status", str(tunnel.status)), ("reason", tunnel.reason)] + [
        (k, v[:80]) for k, v in tunnel.headers.items() if k in ("server", "via", "proxy-agent", "proxy-authenticate")
    ]
    if tunnel.status is None:
        return PathCheck(
            "proxy",
            target,
            False,
            tunnel.reason,
            elapsed,
            tuple(details),
            "proxy-interference",
            f"check that {route.proxy_shown} is an HTTP proxy, or unset {unset}",
        )
    if 200 <= tunnel.status < 300:
        return PathCheck(
            "proxy",
            target,
            True,
            f"the proxy opened a tunnel to {route.host}:{route.port} ({tunnel.status} {tunnel.reason})",
            elapsed,
            tuple(details),
        )
    if tunnel.status == 407:
        return PathCheck(
            "proxy",
            target,
            False,
            "the proxy wants its own credentials (407 Proxy Authentication "
            "Required): every client going this way gets the proxy's answer, not the API's",
            elapsed,
            tuple(details),
            "proxy-interference",
            f"put the proxy credentials in {unset} (http://user:password@host:port) or ask IT to allow {route.host}",
        )
    return PathCheck(
        "proxy",
        target,
        False,
        f"the proxy refused to connect to {route.host}:{route.port} ({tunnel.status} {tunnel.reason})",
        elapsed,
        tuple(details),
        "proxy-interference",
        f"ask whoever runs the proxy to allow {route.host}:{route.port}, or add {route.host} to NO_PROXY "
        "if it is reachable directly",
    )
