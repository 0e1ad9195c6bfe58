"""The ``dns`` step: every address of a host, in daemon threads so a stuck resolver never blocks the caller
or interpreter exit; an official host that resolves to a non-public address is flagged."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import threading
import time

from kit.path.checks.route import elapsed_ms
from kit.values import PathCheck

__all__ = ["check_dns", "ip_literal"]


async def _getaddrinfo(host: str, port: int, timeout: float) -> list[tuple[int, str]]:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[list[tuple[int, str]]] = loop.create_future()

    def settle(result: list[tuple[int, str]] | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result or [])

    def work() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found: list[tuple[int, str]] = []
            for family, _, _, _, sockaddr in infos:
                item = (int(family), str(sockaddr[0]))
                if item not in found:
                    found.append(item)
            result, error = found, None
        except BaseException as exc:  # handed to the loop, never raised in the thread
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop is gone: the caller gave up long ago
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name=f"keylab-dns-{host}", daemon=True).start()
    return await asyncio.wait_for(future, timeout)


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


_DNS_FIX = (
    "check the host name in the URL; test with `dig {host}` or `nslookup {host}`; "
    "on a VPN or captive Wi-Fi, reconnect or log in to the network first"
)


async def check_dns(
    host: str, port: int, timeout: float, official_host: str, what: str = ""
) -> tuple[PathCheck, list[tuple[int, str]]]:
    start = time.perf_counter()
    literal = ip_literal(host)
    if literal is not None:
        family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
        return PathCheck(
            "dns",
            host,
            True,
            f"{host} is an address; nothing to resolve{what}",
            elapsed_ms(start),
            (("ipv4" if family == socket.AF_INET else "ipv6", host),),
        ), [(family, str(literal))]
    try:
        found = await _getaddrinfo(host, port, timeout)
    except TimeoutError:
        return PathCheck(
            "dns",
            host,
            False,
            f"no DNS answer for {host} within {timeout:g} s{what}",
            elapsed_ms(start),
            cause="network-unreachable",
            fix=_DNS_FIX.format(host=host),
        ), []
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            verdict = f"{host} does not resolve (no such name){what}"
        elif exc.errno == socket.EAI_AGAIN:
            verdict = f"DNS lookup of {host} failed temporarily: no DNS server answered{what}"
        else:
            verdict = f"DNS lookup of {host} failed: {exc.strerror or exc}{what}"
        return PathCheck(
            "dns",
            host,
            False,
            verdict,
            elapsed_ms(start),
            (("error", f"gaierror {exc.errno}"),),
            cause="network-unreachable",
            fix=_DNS_FIX.format(host=host),
        ), []
    except (OSError, UnicodeError) as exc:
        return PathCheck(
            "dns",
            host,
            False,
            f"DNS lookup of {host} failed: {exc}{what}",
            elapsed_ms(start),
            cause="network-unreachable",
            fix=_DNS_FIX.format(host=host),
        ), []
    v4 = [ip for fam, ip in found if fam == socket.AF_INET]
    v6 = [ip for fam, ip in found if fam == socket.AF_INET6]
    details = (
        ("ipv4", ", ".join(v4) or "none"),
        ("ipv6", ", ".join(v6) or "none"),
        ("resolver", "the system resolver (getaddrinfo)"),
    )
    verdict = f"{host} resolves to {len(v4)} IPv4 and {len(v6)} IPv6 address(es){what}"
    if host.lower() == official_host.lower():
        odd = [ip for _, ip in found if not ipaddress.ip_address(ip.split("%")[0]).is_global]
        if odd:
            return PathCheck(
                "dns",
                host,
                False,
                f"{host} resolves to a non-public address ({', '.join(odd)}): a hosts-file entry or DNS override "
                "sends API traffic to another machine",
                elapsed_ms(start),
                details,
                cause="proxy-interference",
                fix=f"look for {host} in /etc/hosts (Windows: C:\\Windows\\System32\\drivers\\etc\\hosts) and "
                "remove it, or ask whoever runs this network's DNS",
            ), found
    return PathCheck("dns", host, True, verdict, elapsed_ms(start), details), found
