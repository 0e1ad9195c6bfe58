"""The steps of one route in order (DNS, TCP, proxy, TLS, HTTP, clock), appending rows as they finish."""

from __future__ import annotations

import asyncio
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx2

from kit.guard.gate import is_loopback_url
from kit.path.checks.clock import clock_row
from kit.path.checks.dns import check_dns
from kit.path.checks.http import http_get, http_row
from kit.path.checks.route import Route, elapsed_ms
from kit.path.checks.tcp import check_tcp, close_writer, open_tcp
from kit.path.checks.tls import handshake, tls_row
from kit.path.checks.tunnel import connect, proxy_row
from kit.path.tlsinfo import TrustStore
from kit.values import PathCheck, PathStep

__all__ = ["Options", "walk"]


@dataclass
class Options:
    timeout: float
    stores: list[TrustStore]
    official_host: str
    expected: tuple[str, ...]
    dns: dict[tuple[str, int], asyncio.Task[tuple[PathCheck, list[tuple[int, str]]]]]


def _dns_task(
    options: Options, host: str, port: int, what: str = ""
) -> asyncio.Task[tuple[PathCheck, list[tuple[int, str]]]]:
    key = (host.lower(), port)
    if key not in options.dns:
        options.dns[key] = asyncio.ensure_future(check_dns(host, port, options.timeout, options.official_host, what))
    return options.dns[key]


async def walk(route: Route, options: Options, rows: list[PathCheck], state: dict[str, PathStep]) -> None:
    """The steps of one route, appending rows as they finish (so a deadline keeps what was learned)."""
    t = options.timeout
    official = route.host.lower() == options.official_host.lower()
    https = route.parts.scheme == "https"
    proxy = urlsplit(route.proxy_url) if route.proxy_url else None

    proxy_ip: str | None = None
    ip: str | None = None
    if proxy is not None:
        if proxy.scheme not in ("http", "https") or not proxy.hostname:
            rows.append(
                PathCheck(
                    "proxy",
                    route.label,
                    None,
                    f"{proxy.scheme}:// proxies are not checked step by "
                    "step; the HTTP row goes through the proxy as the clients do",
                    None,
                    route.details(),
                )
            )
        state["step"] = "dns"
        pdns, paddresses = await _dns_task(options, proxy.hostname or "", proxy.port or 80, " (the proxy)")
        rows.append(pdns)
        if not paddresses:
            return
        state["step"] = "tcp"
        tcp_rows, good = await check_tcp(paddresses, proxy.port or 80, t, route.label, " (the proxy)")
        rows.extend(tcp_rows)
        if not good:
            return
        proxy_ip = good[0]
    else:
        state["step"] = "dns"
        dns_row, addresses = await _dns_task(options, route.host, route.port)
        rows.append(dns_row)
        if not addresses:
            return
        state["step"] = "tcp"
        tcp_rows, good = await check_tcp(addresses, route.port, t, route.label)
        rows.extend(tcp_rows)
        if not good:
            return
        ip = good[0]

    ctx: ssl.SSLContext | None = None
    if proxy is not None and proxy.scheme == "http" and https:
        state["step"] = "proxy"
        start = time.perf_counter()
        try:
            tunnel = await connect(proxy, proxy_ip or "", route.host, route.port, t)
            close_writer(tunnel.writer)
            rows.append(proxy_row(route, tunnel, None, elapsed_ms(start), t))
            if tunnel.status is None or not 200 <= tunnel.status < 300:
                return
        except (OSError, TimeoutError) as exc:
            rows.append(proxy_row(route, None, exc, elapsed_ms(start), t))
            return

    if https:
        state["step"] = "tls"
        start = time.perf_counter()
        if proxy is not None and proxy.scheme == "http":

            async def opener() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
                tunnel = await connect(proxy, proxy_ip or "", route.host, route.port, t)
                if tunnel.reader is None or tunnel.writer is None:
                    raise ConnectionResetError(f"the proxy answered CONNECT with {tunnel.status}")
                return tunnel.reader, tunnel.writer
        elif proxy is None:

            async def opener() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
                return await open_tcp(ip or "", route.port, t)
        else:
            opener = None  # type: ignore[assignment]
        if opener is not None:
            shakes = list(await asyncio.gather(*(handshake(s, route.host, t, opener) for s in options.stores)))
            row, best = tls_row(route, shakes, elapsed_ms(start), official, options.expected)
            rows.append(row)
            if best is None:
                rows.append(
                    PathCheck(
                        "http",
                        route.label,
                        None,
                        "not checked: KeyLab sends nothing over TLS that no trust store verifies",
                        None,
                        route.details(),
                    )
                )
                return
            ctx = best.store.context()
    elif not is_loopback_url(route.url):
        rows.append(
            PathCheck(
                "tls",
                route.label,
                False,
                "plain HTTP to a host that is not this machine: anything sent, a key included, can be read on the way",
                None,
                route.details(),
                "base-url-override",
                "use an https:// URL",
            )
        )

    state["step"] = "http"
    try:
        status, headers, body, elapsed, mid = await http_get(route, ip, proxy_ip, ctx, t)
    except httpx2.TimeoutException as exc:
        rows.append(
            PathCheck(
                "http",
                route.label,
                False,
                f"no HTTP answer within {t:g} s ({type(exc).__name__})",
                None,
                route.details(),
                "network-unreachable",
                "the server or proxy accepts connections but does not answer: try again, check the proxy",
            )
        )
        return
    except ImportError as exc:  # a socks:// proxy without the socksio package
        rows.append(PathCheck("http", route.label, None, f"not checked: {exc}", None, route.details()))
        return
    except httpx2.ProxyError as exc:
        rows.append(
            PathCheck(
                "http",
                route.label,
                False,
                f"the proxy refused the request: {exc}",
                None,
                route.details(),
                "proxy-interference",
                "check the proxy settings and credentials",
            )
        )
        return
    except (httpx2.HTTPError, OSError, ssl.SSLError) as exc:
        rows.append(
            PathCheck(
                "http",
                route.label,
                False,
                f"the request failed: {type(exc).__name__}: {exc}"[:300],
                None,
                route.details(),
                "network-unreachable",
                "see the rows above for the failing step",
            )
        )
        return
    rows.append(http_row(route, official, status, headers, body, elapsed))
    state["step"] = "clock"
    rows.append(clock_row(route, headers, mid))
