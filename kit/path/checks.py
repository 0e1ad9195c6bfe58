"""The network path to the API, step by step and without a key: DNS, TCP, proxy, TLS, HTTP and the clock.

A 401 is only the API's verdict if the API gave it. ``check_path`` walks every distinct route the
user's clients would take (direct, or through each proxy they would use; to the target and to any
other base URL a client is configured with; routes to the official API only when it is the target,
so a check against the simulator never reaches the internet) and returns one ``PathCheck`` row per
step:

- ``dns``   every address of the host, IPv4 and IPv6 (an official host that resolves to a private
  or loopback address is flagged: a hosts-file or DNS override sends the traffic elsewhere);
- ``tcp``   a connect to one address of each family, or to the proxy;
- ``proxy`` the proxy's answer to ``CONNECT`` (200, or 407/403 and who said it);
- ``tls``   protocol, cipher, subject, issuer, SANs and expiry, verified against the system store,
  certifi, the CA file the user gives and every CA file the environment names, each named with the
  clients that use it; an unexpected issuer on the official host warns of interception;
- ``http``  ``GET /v1/models`` with ``anthropic-version`` and no credential: the API's own 401
  ``x-api-key header is required`` with a ``req_`` request id proves who answers (``kit.path.responder``);
- ``clock`` the offset between this machine and the responder's ``Date`` header;

followed by the per-client ``base-url``, ``proxy`` and ``ca`` rows of ``kit.path.routing``.

Every failure is a row with a verdict and a fix, never an exception. Each step has its own timeout
and names are resolved once, in daemon threads, so an unresolvable name or a dead network cannot
hang the check; the whole run also has a deadline. No credential is ever sent (``trust_env`` is off,
so not even ``.netrc``), and TLS verification is never turned off.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import datetime as dt
import email.utils
import errno
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

import httpx2

from kit.catalog import catalog
from kit.env import Environment
from kit.path.responder import FOREIGN, explain_responder, parse_error
from kit.path.routing import (
    CLIENTS,
    base_url_for,
    ca_for,
    display_url,
    is_allowed_host,
    is_loopback,
    proxy_for,
    routing_checks,
)
from kit.path.tlsinfo import (
    CertInfo,
    TrustStore,
    cert_info,
    certifi_store,
    file_store,
    issuer_expected,
    system_store,
    verify_problem,
)
from kit.values import PathCheck

__all__ = ["DEFAULT_TIMEOUT", "acheck_path", "check_path"]

DEFAULT_TIMEOUT = 5.0
#: Above this many seconds of clock offset the row fails (TLS validity and token expiry start to break).
CLOCK_FAIL_S = 300.0
CLOCK_NOTE_S = 30.0
_MAX_HEADER_BYTES = 65536
_USER_AGENT = "KeyLab path check (no credential)"


@dataclass
class _Route:
    """One way to the API: a base URL, reached directly or through one proxy, and who goes this way."""

    url: str
    proxy_url: str | None = field(default=None, repr=False)
    proxy_shown: str | None = None
    proxy_from: str | None = None
    clients: list[str] = field(default_factory=list)

    @property
    def parts(self) -> SplitResult:
        return urlsplit(self.url)

    @property
    def host(self) -> str:
        return (self.parts.hostname or "").rstrip(".")

    @property
    def port(self) -> int:
        return self.parts.port or (443 if self.parts.scheme == "https" else 80)

    @property
    def label(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{shown}:{self.port}" + (f" via {self.proxy_shown}" if self.proxy_shown else "")

    def details(self) -> tuple[tuple[str, str], ...]:
        out = [("url", display_url(self.url)), ("clients", ", ".join(self.clients) or "KeyLab")]
        if self.proxy_shown:
            out.append(("proxy", f"{self.proxy_shown} (from {self.proxy_from})"))
        return tuple(out)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)


# ── DNS, in daemon threads so a stuck resolver never blocks the caller or interpreter exit ──────


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


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


_DNS_FIX = ("check the host name in the URL; test with `dig {host}` or `nslookup {host}`; "
            "on a VPN or captive Wi-Fi, reconnect or log in to the network first")


async def _dns(host: str, port: int, timeout: float, official_host: str,
               what: str = "") -> tuple[PathCheck, list[tuple[int, str]]]:
    start = time.perf_counter()
    literal = _ip_literal(host)
    if literal is not None:
        family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
        return PathCheck("dns", host, True, f"{host} is an address; nothing to resolve{what}", _ms(start),
                         (("ipv4" if family == socket.AF_INET else "ipv6", host),)), [(family, str(literal))]
    try:
        found = await _getaddrinfo(host, port, timeout)
    except TimeoutError:
        return PathCheck("dns", host, False, f"no DNS answer for {host} within {timeout:g} s{what}", _ms(start),
                         cause="network-unreachable", fix=_DNS_FIX.format(host=host)), []
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", -5)):
            verdict = f"{host} does not resolve (no such name){what}"
        elif exc.errno == socket.EAI_AGAIN:
            verdict = f"DNS lookup of {host} failed temporarily: no DNS server answered{what}"
        else:
            verdict = f"DNS lookup of {host} failed: {exc.strerror or exc}{what}"
        return PathCheck("dns", host, False, verdict, _ms(start), (("error", f"gaierror {exc.errno}"),),
                         cause="network-unreachable", fix=_DNS_FIX.format(host=host)), []
    except (OSError, UnicodeError) as exc:
        return PathCheck("dns", host, False, f"DNS lookup of {host} failed: {exc}{what}", _ms(start),
                         cause="network-unreachable", fix=_DNS_FIX.format(host=host)), []
    v4 = [ip for fam, ip in found if fam == socket.AF_INET]
    v6 = [ip for fam, ip in found if fam == socket.AF_INET6]
    details = (("ipv4", ", ".join(v4) or "none"), ("ipv6", ", ".join(v6) or "none"),
               ("resolver", "the system resolver (getaddrinfo)"))
    verdict = f"{host} resolves to {len(v4)} IPv4 and {len(v6)} IPv6 address(es){what}"
    if host.lower() == official_host.lower():
        odd = [ip for _, ip in found if not ipaddress.ip_address(ip.split("%")[0]).is_global]
        if odd:
            return PathCheck(
                "dns", host, False,
                f"{host} resolves to a non-public address ({', '.join(odd)}): a hosts-file entry or DNS override "
                "sends API traffic to another machine", _ms(start), details, cause="proxy-interference",
                fix=f"look for {host} in /etc/hosts (Windows: C:\\Windows\\System32\\drivers\\etc\\hosts) and "
                    "remove it, or ask whoever runs this network's DNS"), found
    return PathCheck("dns", host, True, verdict, _ms(start), details), found


# ── TCP ────────────────────────────────────────────────────────────────────────────────


def _family_name(family: int) -> str:
    return "IPv6" if family == socket.AF_INET6 else "IPv4"


async def _open(ip: str, port: int, timeout: float) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.wait_for(asyncio.open_connection(ip, port), timeout)


def _close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        with contextlib.suppress(Exception):  # already closed, or the loop is stopping
            writer.close()


def _tcp_failure(exc: BaseException, where: str, timeout: float) -> tuple[str, str]:
    if isinstance(exc, TimeoutError):
        return (f"no answer from {where} within {timeout:g} s: a firewall drops the packets or the network is down",
                "check the network connection and firewall; behind a corporate network, the API may only be "
                "reachable through the proxy (set HTTPS_PROXY)")
    if isinstance(exc, ConnectionRefusedError):
        return (f"{where} refused the connection: nothing listens there, or a firewall rejects it",
                "check the port in the URL, and that the server or proxy is running")
    if isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH, errno.EADDRNOTAVAIL):
        return (f"{where} is unreachable from this machine ({exc.strerror})",
                "check the network connection, VPN and routes")
    return f"connecting to {where} failed: {exc}", "check the network connection"


async def _tcp(addresses: list[tuple[int, str]], port: int, timeout: float, target: str,
               what: str = "") -> tuple[list[PathCheck], list[str]]:
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
            _, writer = await _open(ip, port, timeout)
        except (OSError, TimeoutError) as exc:
            verdict, fix = _tcp_failure(exc, shown, timeout)
            return PathCheck("tcp", target, False, f"{_family_name(family)}: {verdict}{what}", _ms(start),
                             (("address", shown),), cause="network-unreachable", fix=fix), False
        _close(writer)
        return PathCheck("tcp", target, True, f"{_family_name(family)} connect to {shown} works{what}", _ms(start),
                         (("address", shown),)), True

    results = await asyncio.gather(*(one(f, ip) for f, ip in picks))
    rows = [row for row, _ in results]
    good = [ip for (_, ip), (_, ok) in zip(picks, results, strict=True) if ok]
    if good and len(rows) > 1:  # one family works: the other's failure slows clients down but does not block them
        rows = [r if r.ok else PathCheck(r.step, r.target, False, r.verdict + "; the other family works, so clients "
                                         "fall back (after a delay)", r.elapsed_ms, r.details, None,
                                         "fix IPv6 routing, or ignore: clients fall back to IPv4")
                for r in rows]
    return rows, good


# ── Proxy CONNECT ──────────────────────────────────────────────────────────────────────


@dataclass
class _Tunnel:
    status: int | None
    headers: dict[str, str]
    reason: str
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None


async def _connect(proxy: SplitResult, proxy_ip: str, host: str, port: int, timeout: float) -> _Tunnel:
    """Open a CONNECT tunnel through an http:// proxy (with Basic credentials from its URL, as clients send).

    Connecting, asking and reading the answer share one ``timeout``.
    """
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(proxy_ip, proxy.port or 80)
            authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}", f"User-Agent: {_USER_AGENT}"]
            if proxy.username is not None:
                token = f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode()
                lines.append(f"Proxy-Authorization: Basic {base64.b64encode(token).decode()}")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
            await writer.drain()
            head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionResetError, BrokenPipeError) as exc:
        _close(writer)
        return _Tunnel(None, {}, f"the proxy closed the connection without answering CONNECT ({type(exc).__name__})")
    except BaseException:
        _close(writer)
        raise
    status_line, *header_lines = head[:_MAX_HEADER_BYTES].decode("latin-1").split("\r\n")
    parts = status_line.split(" ", 2)
    try:
        status = int(parts[1])
    except (IndexError, ValueError):
        _close(writer)
        return _Tunnel(None, {}, f"the proxy answered something that is not HTTP: {status_line[:60]!r}")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    reason = parts[2] if len(parts) > 2 else ""
    if 200 <= status < 300:
        return _Tunnel(status, headers, reason, reader, writer)
    _close(writer)
    return _Tunnel(status, headers, reason)


def _proxy_row(route: _Route, tunnel: _Tunnel | None, exc: BaseException | None, elapsed: float,
               timeout: float) -> PathCheck:
    target = route.label
    details = list(route.details())
    unset = route.proxy_from or "the proxy variable"
    if exc is not None:
        verdict, _ = _tcp_failure(exc, f"the proxy {route.proxy_shown}", timeout)
        return PathCheck("proxy", target, False, verdict, elapsed, tuple(details), "proxy-interference",
                         f"start the proxy or correct {unset}; if you need no proxy, unset {unset}")
    assert tunnel is not None
    details += [("status", str(tunnel.status)), ("reason", tunnel.reason)] + [
        (k, v[:80]) for k, v in tunnel.headers.items() if k in ("server", "via", "proxy-agent", "proxy-authenticate")]
    if tunnel.status is None:
        return PathCheck("proxy", target, False, tunnel.reason, elapsed, tuple(details), "proxy-interference",
                         f"check that {route.proxy_shown} is an HTTP proxy, or unset {unset}")
    if 200 <= tunnel.status < 300:
        return PathCheck("proxy", target, True, f"the proxy opened a tunnel to {route.host}:{route.port} "
                         f"({tunnel.status} {tunnel.reason})", elapsed, tuple(details))
    if tunnel.status == 407:
        return PathCheck("proxy", target, False, "the proxy wants its own credentials (407 Proxy Authentication "
                         "Required): every client going this way gets the proxy's answer, not the API's", elapsed,
                         tuple(details), "proxy-interference",
                         f"put the proxy credentials in {unset} (http://user:password@host:port) or ask IT to allow "
                         f"{route.host}")
    return PathCheck("proxy", target, False, f"the proxy refused to connect to {route.host}:{route.port} "
                     f"({tunnel.status} {tunnel.reason})", elapsed, tuple(details), "proxy-interference",
                     f"ask whoever runs the proxy to allow {route.host}:{route.port}, or add {route.host} to NO_PROXY "
                     "if it is reachable directly")


# ── TLS ────────────────────────────────────────────────────────────────────────────────


@dataclass
class _Handshake:
    store: TrustStore
    ok: bool
    protocol: str = ""
    cipher: str = ""
    peercert: dict[str, Any] | None = None
    code: str = ""
    problem: str = ""


async def _handshake(store: TrustStore, host: str, timeout: float,
                     opener: Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]) -> _Handshake:
    try:
        ctx = store.context()
    except (OSError, ssl.SSLError) as exc:
        code, problem = verify_problem(exc)
        return _Handshake(store, False, code=code, problem=problem)
    writer: asyncio.StreamWriter | None = None
    try:
        _, writer = await opener()
        await asyncio.wait_for(writer.start_tls(ctx, server_hostname=host, ssl_handshake_timeout=timeout), timeout)
        obj = writer.get_extra_info("ssl_object")
        cipher = obj.cipher() if obj is not None else None
        return _Handshake(store, True, protocol=(obj.version() or "") if obj is not None else "",
                          cipher=cipher[0] if cipher else "", peercert=obj.getpeercert() if obj is not None else None)
    except TimeoutError:
        return _Handshake(store, False, code="timeout", problem=f"no TLS handshake within {timeout:g} s")
    except (ssl.SSLError, OSError, ConnectionError) as exc:
        code, problem = verify_problem(exc)
        if isinstance(exc, (ConnectionError, OSError)) and not isinstance(exc, ssl.SSLError):
            code, problem = "reset", f"the connection was closed during the TLS handshake ({type(exc).__name__})"
        return _Handshake(store, False, code=code, problem=problem)
    finally:
        _close(writer)


_TLS_FIX = ("if your network inspects TLS, get its CA certificate from IT and add it to each client: append it to a "
            "copy of the certifi bundle and point SSL_CERT_FILE there (Python), CURL_CA_BUNDLE (curl), "
            "NODE_EXTRA_CA_CERTS (Node); never turn verification off")


def _tls_row(route: _Route, shakes: list[_Handshake], elapsed: float, official: bool,
             expected: Sequence[str], clock_offset: float | None = None) -> tuple[PathCheck, _Handshake | None]:
    target = route.label
    good = [s for s in shakes if s.ok]
    verified_by = "; ".join(
        f"{s.store.name}: {'verified' if s.ok else s.problem}" + (f" [{', '.join(s.store.clients)}]"
                                                               if s.store.clients else "")
        for s in shakes)
    details: list[tuple[str, str]] = [*route.details(), ("verification", verified_by)]
    if not good:
        codes = {s.code for s in shakes}
        first = shakes[0].problem if shakes else "no trust store could be used"
        if codes <= {"timeout", "reset"}:
            return PathCheck("tls", target, False, f"TLS handshake did not complete: {first}", elapsed,
                             tuple(details), "network-unreachable",
                             "check the network; a firewall or proxy may cut TLS connections to this host"), None
        if codes & {"not-tls"}:
            return PathCheck("tls", target, False, f"no TLS here: {first}", elapsed, tuple(details),
                             "base-url-override", "use the https:// URL of the API (http:// for a plain server)"), None
        if codes & {"expired", "not-yet-valid"}:
            return PathCheck("tls", target, False, f"certificate not valid now: {first}", elapsed, tuple(details),
                             "tls-interception", "check this machine's clock first; if it is right, something on the "
                             "path presents an out-of-date certificate"), None
        return PathCheck("tls", target, False, f"no trust store verifies this certificate: {first}", elapsed,
                         tuple(details), "tls-interception", _TLS_FIX), None
    user = [s for s in good if s.store.named_by_user]
    best = user[0] if user else good[0]
    info: CertInfo = cert_info(best.peercert or {})
    days = info.days_left()
    details += [
        ("protocol", best.protocol), ("cipher", best.cipher), ("subject", info.subject), ("issuer", info.issuer),
        ("sans", ", ".join(info.sans[:12]) + (" …" if len(info.sans) > 12 else "")),
        ("valid from", info.not_before.isoformat() if info.not_before else "?"),
        ("valid until", info.not_after.isoformat() if info.not_after else "?"),
        ("days left", f"{days:.0f}" if days is not None else "?"),
    ]
    missing = [s for s in shakes if not s.ok]
    lost = sorted({c for s in missing for c in s.store.clients if c in route.clients})
    split = ""
    if missing:
        split = (f"; NOT verified by {', '.join(s.store.name for s in missing)}"
                 + (f" ({', '.join(lost)} need the CA added)" if lost else ""))
    if official and not issuer_expected(info, expected):
        return PathCheck(
            "tls", target, False,
            f"certificate issued by {info.issuer!r}, not by an issuer the API uses ({', '.join(expected)}): "
            f"something on the path decrypts and re-encrypts TLS{split}", elapsed, tuple(details),
            "tls-interception",
            "ask IT whether the network inspects TLS and exempt api.anthropic.com, or install the inspection CA for "
            "every client (SSL_CERT_FILE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS)"), best
    verdict = (f"{best.protocol}, verified by {best.store.name}; issuer {info.issuer}"
               + (f"; expires in {days:.0f} days" if days is not None else "") + split)
    if lost and not user:
        # the stores disagree: some clients will fail TLS here while others work
        return PathCheck("tls", target, False, verdict, elapsed, tuple(details), "tls-interception",
                         "install the missing CA for the clients listed (see verification): SSL_CERT_FILE (Python), "
                         "CURL_CA_BUNDLE (curl), NODE_EXTRA_CA_CERTS (Node)"), best
    if days is not None and days < 7:
        return PathCheck("tls", target, False, verdict, elapsed, tuple(details), None,
                         "the certificate expires within a week: tell whoever runs this server"), best
    return PathCheck("tls", target, True, verdict, elapsed, tuple(details)), best


# ── HTTP and the clock ──────────────────────────────────────────────────────────────────


def _with_host(url: str, host: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0] + "@" if len(netloc) == 2 else ""
    shown = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"{userinfo}{shown}{port}").geturl()


async def _http(route: _Route, ip: str | None, proxy_ip: str | None, ctx: ssl.SSLContext | None,
                timeout: float) -> tuple[int, dict[str, str], bytes, float, float]:
    """GET <base>/v1/models with anthropic-version and no credential; (status, headers, body, ms, t_mid)."""
    url = route.url.rstrip("/") + "/v1/models"
    headers = {"anthropic-version": catalog().default_version, "user-agent": _USER_AGENT, "accept": "application/json"}
    extensions: dict[str, Any] = {}
    proxy = None
    if route.proxy_url:
        proxy = _with_host(route.proxy_url, proxy_ip) if proxy_ip else route.proxy_url
    elif ip is not None and _ip_literal(route.host) is None:
        # connect to the address the DNS step found, so httpx2 never resolves (and never hangs) on its own
        headers["host"] = route.parts.netloc.rsplit("@", 1)[-1]
        extensions["sni_hostname"] = route.host
        url = _with_host(url, ip)
    async with httpx2.AsyncClient(trust_env=False, verify=ctx if ctx is not None else True, proxy=proxy,
                                  timeout=timeout, follow_redirects=False) as client:
        start = time.perf_counter()
        response = await client.get(url, headers=headers, extensions=extensions)
        elapsed = _ms(start)
        mid = time.time() - elapsed / 2000
        body = response.content[:65536]
        return response.status_code, dict(response.headers), body, elapsed, mid


def _http_row(route: _Route, official: bool, status: int, headers: Mapping[str, str], body: bytes,
              elapsed: float) -> PathCheck:
    target = route.label
    responder, reasons = explain_responder(status, headers, body)
    etype, message = parse_error(body)
    h = {k.lower(): v for k, v in headers.items()}
    details: list[tuple[str, str]] = [*route.details(), ("status", str(status)), ("responder", responder)]
    details += [("why", r) for r in reasons]
    for name in ("request-id", "server", "via", "content-type", "location"):
        if name in h:
            details.append((name, h[name][:100]))
    if etype or message:
        details.append(("error", f"{etype or '-'}: {(message or '')[:160]}"))
    shown = f"{status} {etype or ''} {message!r}".replace("  ", " ") if message else str(status)
    foreign_cause = "proxy-interference" if (official or route.proxy_url) else "base-url-override"
    if responder == "anthropic":
        if status == 401 and message == catalog().error("missing-key").message:
            return PathCheck("http", target, True, f"the API itself answers: {shown} (request-id "
                             f"{h.get('request-id', '?')})", elapsed, tuple(details))
        if status == 404:
            return PathCheck("http", target, False, f"the API answers 404 at {route.url.rstrip('/')}/v1/models: the "
                             "base URL has a wrong path", elapsed, tuple(details), "base-url-override",
                             "use the base URL without a path (https://api.anthropic.com), the SDK adds /v1 itself")
        return PathCheck("http", target, True, f"the API answers: {shown}", elapsed, tuple(details))
    if responder == "region-block":
        return PathCheck("http", target, False, "the API's edge refuses this network: 403 'Request not allowed' "
                         "without the API's envelope (a region block, not a key problem)", elapsed, tuple(details),
                         "region-blocked", "use the API from a supported country (anthropic.com/supported-countries), "
                         "or through Amazon Bedrock / Google Vertex AI; keys are not the problem")
    cause = foreign_cause
    who = {"proxy": "a proxy", "html-proxy": "a web page (filter, captive portal or WAF)",
           "gateway": "a gateway or relay", "unknown": "something without the API's signature"}[responder]
    fix = ({"proxy-interference": "find the proxy or filter in between (proxy variables, .curlrc, system proxy, "
                                  "VPN) and exempt api.anthropic.com, or ask IT to allow it",
            "base-url-override": f"this URL is not the API: unset ANTHROPIC_BASE_URL / base_url, or use the key that "
                                 f"{route.host} expects"}[cause])
    ok = False if responder in FOREIGN or responder == "unknown" else None
    return PathCheck("http", target, ok, f"{who} answers, not the API: {shown}", elapsed, tuple(details), cause, fix)


def _clock_row(route: _Route, headers: Mapping[str, str], local_mid: float) -> PathCheck:
    h = {k.lower(): v for k, v in headers.items()}
    date = h.get("date")
    if not date:
        return PathCheck("clock", route.label, None, "the answer has no Date header; clock not checked")
    try:
        server = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return PathCheck("clock", route.label, None, f"the Date header is unreadable ({date[:40]!r})")
    if server.tzinfo is None:
        server = server.replace(tzinfo=dt.UTC)
    offset = server.timestamp() - local_mid
    details = (("server date", date), ("offset_s", f"{offset:+.1f}"))
    if abs(offset) > CLOCK_FAIL_S:
        return PathCheck("clock", route.label, False, f"this machine's clock is off by {offset:+.0f} s: certificate "
                         "checks and token expiry break", None, details, None,
                         "turn on automatic time (macOS: System Settings > General > Date & Time; Linux: "
                         "timedatectl set-ntp true)")
    note = " (a little off; the Date header has 1 s resolution)" if abs(offset) > CLOCK_NOTE_S else ""
    return PathCheck("clock", route.label, True, f"clock offset {offset:+.1f} s{note}", None, details)


# ── One route ───────────────────────────────────────────────────────────────────────────


@dataclass
class _Options:
    timeout: float
    stores: list[TrustStore]
    official_host: str
    expected: tuple[str, ...]
    dns: dict[tuple[str, int], asyncio.Task[tuple[PathCheck, list[tuple[int, str]]]]]


def _dns_task(options: _Options, host: str, port: int,
              what: str = "") -> asyncio.Task[tuple[PathCheck, list[tuple[int, str]]]]:
    key = (host.lower(), port)
    if key not in options.dns:
        options.dns[key] = asyncio.ensure_future(_dns(host, port, options.timeout, options.official_host, what))
    return options.dns[key]


async def _walk(route: _Route, options: _Options, rows: list[PathCheck], state: dict[str, str]) -> None:
    """The steps of one route, appending rows as they finish (so a deadline keeps what was learned)."""
    t = options.timeout
    official = route.host.lower() == options.official_host.lower()
    https = route.parts.scheme == "https"
    proxy = urlsplit(route.proxy_url) if route.proxy_url else None

    proxy_ip: str | None = None
    ip: str | None = None
    if proxy is not None:
        if proxy.scheme not in ("http", "https") or not proxy.hostname:
            rows.append(PathCheck("proxy", route.label, None, f"{proxy.scheme}:// proxies are not checked step by "
                                  "step; the HTTP row goes through the proxy as the clients do", None, route.details()))
        state["step"] = "dns"
        pdns, paddresses = await _dns_task(options, proxy.hostname or "", proxy.port or 80, " (the proxy)")
        rows.append(pdns)
        if not paddresses:
            return
        state["step"] = "tcp"
        tcp_rows, good = await _tcp(paddresses, proxy.port or 80, t, route.label, " (the proxy)")
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
        tcp_rows, good = await _tcp(addresses, route.port, t, route.label)
        rows.extend(tcp_rows)
        if not good:
            return
        ip = good[0]

    ctx: ssl.SSLContext | None = None
    if proxy is not None and proxy.scheme == "http" and https:
        state["step"] = "proxy"
        start = time.perf_counter()
        try:
            tunnel = await _connect(proxy, proxy_ip or "", route.host, route.port, t)
            _close(tunnel.writer)
            rows.append(_proxy_row(route, tunnel, None, _ms(start), t))
            if tunnel.status is None or not 200 <= tunnel.status < 300:
                return
        except (OSError, TimeoutError) as exc:
            rows.append(_proxy_row(route, None, exc, _ms(start), t))
            return

    if https:
        state["step"] = "tls"
        start = time.perf_counter()
        if proxy is not None and proxy.scheme == "http":
            async def opener() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
                tunnel = await _connect(proxy, proxy_ip or "", route.host, route.port, t)
                if tunnel.reader is None or tunnel.writer is None:
                    raise ConnectionResetError(f"the proxy answered CONNECT with {tunnel.status}")
                return tunnel.reader, tunnel.writer
        elif proxy is None:
            async def opener() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
                return await _open(ip or "", route.port, t)
        else:
            opener = None  # type: ignore[assignment]
        if opener is not None:
            shakes = list(await asyncio.gather(*(_handshake(s, route.host, t, opener) for s in options.stores)))
            row, best = _tls_row(route, shakes, _ms(start), official, options.expected)
            rows.append(row)
            if best is None:
                rows.append(PathCheck("http", route.label, None, "not checked: KeyLab sends nothing over TLS that no "
                                      "trust store verifies", None, route.details()))
                return
            ctx = best.store.context()
    elif not is_loopback(route.host):
        rows.append(PathCheck("tls", route.label, False, "plain HTTP to a host that is not this machine: anything "
                              "sent, a key included, can be read on the way", None, route.details(),
                              "base-url-override", "use an https:// URL"))

    state["step"] = "http"
    try:
        status, headers, body, elapsed, mid = await _http(route, ip, proxy_ip, ctx, t)
    except httpx2.TimeoutException as exc:
        rows.append(PathCheck("http", route.label, False, f"no HTTP answer within {t:g} s ({type(exc).__name__})",
                              None, route.details(), "network-unreachable",
                              "the server or proxy accepts connections but does not answer: try again, check the "
                              "proxy"))
        return
    except ImportError as exc:  # a socks:// proxy without the socksio package
        rows.append(PathCheck("http", route.label, None, f"not checked: {exc}", None, route.details()))
        return
    except httpx2.ProxyError as exc:
        rows.append(PathCheck("http", route.label, False, f"the proxy refused the request: {exc}", None,
                              route.details(), "proxy-interference", "check the proxy settings and credentials"))
        return
    except (httpx2.HTTPError, OSError, ssl.SSLError) as exc:
        rows.append(PathCheck("http", route.label, False, f"the request failed: {type(exc).__name__}: {exc}"[:300],
                              None, route.details(), "network-unreachable", "see the rows above for the failing step"))
        return
    rows.append(_http_row(route, official, status, headers, body, elapsed))
    state["step"] = "clock"
    rows.append(_clock_row(route, headers, mid))


# ── Routes and the public functions ─────────────────────────────────────────────────────


def _routes(env: Environment, api_url: str, clients: Sequence[str], explicit_base_url: str | None,
            node_version: str | None, system_proxies: Mapping[str, str] | None) -> list[_Route]:
    routes: dict[tuple[str, str | None], _Route] = {}

    def add(url: str, client: str, proxy_url: str | None, shown: str | None, source: str | None) -> None:
        key = (url.rstrip("/"), proxy_url)
        route = routes.setdefault(key, _Route(url.rstrip("/"), proxy_url, shown, source))
        if client not in route.clients:
            route.clients.append(client)

    own = proxy_for(env, api_url, "httpx2", system_proxies=system_proxies)
    add(api_url, "KeyLab", own.proxy_url, own.proxy, own.variable)
    target_is_official = _official_url(api_url)
    for client in clients:
        try:
            base = base_url_for(env, client, explicit=explicit_base_url, target=api_url)
            if base.problem:
                continue
            if _official_url(base.url) and not target_is_official:
                # the user points KeyLab elsewhere (a simulator, a gateway under test): clients that would go to
                # the real API are not the subject, and a test run must not reach the internet
                continue
            choice = proxy_for(env, base.url, client, node_version=node_version, system_proxies=system_proxies)
            add(base.url, client, choice.proxy_url, choice.proxy, choice.variable)
        except Exception:  # noqa: S112  (routing is best effort; the routing rows report the error)
            continue
    return list(routes.values())


def _official_url(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.scheme == "https" and (parts.hostname or "").rstrip(".").lower() == catalog().official_host
            and parts.port in (None, 443))


def _stores(env: Environment, ca_file: Path | None, clients: Sequence[str]) -> list[TrustStore]:
    node = [c for c in clients if c.startswith("sdk-node@")]
    stores = [system_store([c for c in clients if c in ("httpx2", "sdk-python", "curl")]),
              certifi_store(node)]
    if ca_file is not None:
        stores.append(file_store(f"your CA file {ca_file}", ca_file, (), named_by_user=True))
    seen: dict[str, TrustStore] = {}
    for client in clients:
        choice = ca_for(env, client)
        for variable, path in choice.files:
            plus = variable == "NODE_EXTRA_CA_CERTS"
            key = f"{variable}={path}"
            if key in seen:
                old = seen[key]
                seen[key] = TrustStore(old.name, (*old.clients, client), old.cafile, old.capath, False, plus)
            else:
                seen[key] = file_store(variable if not plus else f"Mozilla list + {variable}", path, (client,),
                                       plus_certifi=plus)
    stores.extend(seen.values())
    # clients whose variables replace the store are not "system store" users any more
    replaced = {c for s in seen.values() for c in s.clients if not s.extra_certifi}
    stores[0] = TrustStore(stores[0].name, tuple(c for c in stores[0].clients if c not in replaced),
                           stores[0].cafile, stores[0].capath, stores[0].os_store)
    return stores


async def acheck_path(env: Environment, api_url: str | None = None, *, timeout: float = DEFAULT_TIMEOUT,
                      allow_hosts: Sequence[str] = (), ca_file: Path | None = None,
                      expected_issuers: Sequence[str] | None = None, official_host: str | None = None,
                      clients: Sequence[str] = CLIENTS, node_version: str | None = None,
                      system_proxies: Mapping[str, str] | None = None,
                      explicit_base_url: str | None = None) -> tuple[PathCheck, ...]:
    """The async form of ``check_path`` (for callers that already run an event loop)."""
    cat = catalog()
    api_url = (api_url or cat.official_base_url).strip()
    official_host = official_host or cat.official_host
    expected = tuple(expected_issuers if expected_issuers is not None else cat.expected_tls_issuers)
    timeout = max(0.1, float(timeout))
    if node_version is None and any(c.startswith("sdk-node@") for c in clients):
        node_version = _node_version(env)
    if system_proxies is None:
        system_proxies = _system_proxies(env)
    routing = routing_checks(env, api_url, clients=clients, explicit_base_url=explicit_base_url,
                             node_version=node_version, system_proxies=system_proxies)
    routing = tuple(_annotate_allowed(r, api_url, allow_hosts) for r in routing)
    parts = urlsplit(api_url) if "://" in api_url else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        bad = PathCheck("base-url", api_url, False, f"{api_url!r} is not an http(s) URL; nothing to check",
                        fix="give the API URL with its scheme, e.g. https://api.anthropic.com")
        return (bad, *routing)
    try:
        stores = _stores(env, ca_file, clients)
        routes = _routes(env, api_url, clients, explicit_base_url, node_version, system_proxies)
    except Exception as exc:  # never an exception to the caller
        return (PathCheck("http", api_url, None, f"KeyLab could not plan the path check: {type(exc).__name__}: {exc}"),
                *routing)
    options = _Options(timeout, stores, official_host, expected, {})
    results: list[list[PathCheck]] = [[] for _ in routes]
    states: list[dict[str, str]] = [{"step": "dns"} for _ in routes]
    tasks = [asyncio.ensure_future(_walk(r, options, results[i], states[i])) for i, r in enumerate(routes)]
    deadline = timeout * 5 + 1
    _, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    for dns_task in list(options.dns.values()):
        if not dns_task.done():
            dns_task.cancel()
    await asyncio.gather(*pending, *options.dns.values(), return_exceptions=True)
    rows: list[PathCheck] = []
    for i, route in enumerate(routes):
        rows.extend(_tag(row, route) for row in results[i])
        task = tasks[i]
        if task in pending:
            rows.append(PathCheck(states[i]["step"], route.label, False, f"the path check ran out of time "
                                  f"({deadline:g} s) at this step", None, route.details(), "network-unreachable",
                                  "the network is very slow or a step hangs; try again with a longer timeout"))
        elif (error := task.exception()) is not None:
            rows.append(PathCheck(states[i]["step"], route.label, None,
                                  f"KeyLab failed at this step: {type(error).__name__}: {error}"[:300], None,
                                  route.details()))
    return (*rows, *routing)


def _tag(row: PathCheck, route: _Route) -> PathCheck:
    """The row with its route (url, clients, proxy) in its details, so tables and pictures can group by route."""
    have = {name for name, _ in row.details}
    extra = tuple(item for item in route.details() if item[0] not in have)
    if not extra:
        return row
    return PathCheck(row.step, row.target, row.ok, row.verdict, row.elapsed_ms, (*extra, *row.details), row.cause,
                     row.fix, row.client)


def _node_version(env: Environment) -> str | None:
    """``node --version`` of the node on the environment's PATH (None when there is none or it does not answer)."""
    node = shutil.which("node", path=env.get("PATH"))
    if node is None:
        return None
    try:
        done = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=5, check=False,
                              env=dict(env.variables))
    except (OSError, subprocess.SubprocessError):
        return None
    version = done.stdout.strip()
    return version if done.returncode == 0 and version.startswith("v") else None


def _system_proxies(env: Environment) -> dict[str, str] | None:
    """The OS proxy settings httpx2 falls back on (macOS, Windows), read only for this process's own environment."""
    if sys.platform not in ("darwin", "win32") or dict(env.variables) != dict(os.environ):
        return None
    import urllib.request

    reader = "getproxies_macosx_sysconf" if sys.platform == "darwin" else "getproxies_registry"
    try:
        found: dict[str, str] = dict(getattr(urllib.request, reader)())
    except Exception:  # the OS settings are a bonus; never a failure
        return None
    return found


def _annotate_allowed(row: PathCheck, api_url: str, allow_hosts: Sequence[str]) -> PathCheck:
    """base-url rows say whether KeyLab's probe may send a key there (the same gate the probe uses)."""
    if row.step != "base-url" or not row.target or "://" not in row.target:
        return row
    allowed = is_allowed_host(row.target, api_url, allow_hosts)
    note = ("yes" if allowed else "no: KeyLab sends keys only to the target, loopback and hosts you name "
            "(allow_hosts)")
    return PathCheck(row.step, row.target, row.ok, row.verdict, row.elapsed_ms, (*row.details, ("keys sent", note)),
                     row.cause, row.fix, row.client)


def check_path(env: Environment, api_url: str = "https://api.anthropic.com", *, timeout: float = DEFAULT_TIMEOUT,
               allow_hosts: Sequence[str] = (), ca_file: Path | None = None,
               expected_issuers: Sequence[str] | None = None, official_host: str | None = None,
               clients: Sequence[str] = CLIENTS, node_version: str | None = None,
               system_proxies: Mapping[str, str] | None = None,
               explicit_base_url: str | None = None) -> tuple[PathCheck, ...]:
    """Check the path from this machine to ``api_url`` for every route ``env``'s clients would take.

    ``expected_issuers`` and ``official_host`` default to the catalog's (data/catalog/api.toml); a
    test passes its own to treat a loopback server as "official". ``ca_file`` adds a trust store
    (for example the simulator's CA). ``node_version`` (``"v22.12.0"``) decides whether
    NODE_USE_ENV_PROXY can apply; ``system_proxies`` are the OS proxy settings httpx2 would read.
    Safe to call inside a running event loop (Jupyter): the checks then run in a worker thread.
    """

    def run() -> tuple[PathCheck, ...]:
        return asyncio.run(acheck_path(
            env, api_url, timeout=timeout, allow_hosts=allow_hosts, ca_file=ca_file,
            expected_issuers=expected_issuers, official_host=official_host, clients=clients,
            node_version=node_version, system_proxies=system_proxies, explicit_base_url=explicit_base_url))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="keylab-path") as pool:
        return pool.submit(run).result()
