"""The ``http`` step: ``GET /v1/models`` with ``anthropic-version`` and no credential, and who answered."""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx2

from kit.catalog import catalog
from kit.path.checks.dns import ip_literal
from kit.path.checks.route import USER_AGENT, Route, elapsed_ms
from kit.path.responder import FOREIGN, explain_responder, parse_error
from kit.path.routing.urls import without_userinfo
from kit.values import PathCheck

__all__ = ["http_get", "http_row"]


def _with_host(url: str, host: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    userinfo = netloc[0] + "@" if len(netloc) == 2 else ""
    shown = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    return parts._replace(netloc=f"{userinfo}{shown}{port}").geturl()


@functools.cache
def _default_context() -> ssl.SSLContext:
    """What ``verify=True`` with ``trust_env=False`` builds, built once: loading the CA bundle costs ~20 ms of
    CPU, and httpx2 builds the context when the client is made, even for an ``http://`` URL."""
    return httpx2.create_ssl_context(verify=True, trust_env=False)


async def http_get(
    route: Route, ip: str | None, proxy_ip: str | None, ctx: ssl.SSLContext | None, timeout: float
) -> tuple[int, dict[str, str], bytes, float, float]:
    """GET <base>/v1/models with anthropic-version and no credential; (status, headers, body, ms, t_mid)."""
    # The check is keyless: a user part in a base URL is a credential (often the key) and is never sent.
    url = without_userinfo(route.url).rstrip("/") + "/v1/models"
    headers = {"anthropic-version": catalog().default_version, "user-agent": USER_AGENT, "accept": "application/json"}
    extensions: dict[str, Any] = {}
    proxy = None
    if route.proxy_url:
        proxy = _with_host(route.proxy_url, proxy_ip) if proxy_ip else route.proxy_url
    elif ip is not None and ip_literal(route.host) is None:
        # connect to the address the DNS step found, so httpx2 never resolves (and never hangs) on its own
        headers["host"] = route.parts.netloc.rsplit("@", 1)[-1]
        extensions["sni_hostname"] = route.host
        url = _with_host(url, ip)
    async with httpx2.AsyncClient(
        trust_env=False,
        verify=ctx if ctx is not None else _default_context(),
        proxy=proxy,
        timeout=timeout,
        follow_redirects=False,
    ) as client:
        start = time.perf_counter()
        response = await client.get(url, headers=headers, extensions=extensions)
        elapsed = elapsed_ms(start)
        mid = time.time() - elapsed / 2000
        body = response.content[:65536]
        return response.status_code, dict(response.headers), body, elapsed, mid


def http_row(
    route: Route, official: bool, status: int, headers: Mapping[str, str], body: bytes, elapsed: float
) -> PathCheck:
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
            return PathCheck(
                "http",
                target,
                True,
                f"the API itself answers: {shown} (request-id {h.get('request-id', '?')})",
                elapsed,
                tuple(details),
            )
        if status == 404:
            return PathCheck(
                "http",
                target,
                False,
                f"the API answers 404 at {route.url.rstrip('/')}/v1/models: the base URL has a wrong path",
                elapsed,
                tuple(details),
                "base-url-override",
                "use the base URL without a path (https://api.anthropic.com), the SDK adds /v1 itself",
            )
        return PathCheck("http", target, True, f"the API answers: {shown}", elapsed, tuple(details))
    if responder == "region-block":
        return PathCheck(
            "http",
            target,
            False,
            "the API's edge refuses this network: 403 'Request not allowed' "
            "without the API's envelope (a region block, not a key problem)",
            elapsed,
            tuple(details),
            "region-blocked",
            "use the API from a supported country (anthropic.com/supported-countries), "
            "or through Amazon Bedrock / Google Vertex AI; keys are not the problem",
        )
    cause = foreign_cause
    who = {
        "proxy": "a proxy",
        "html-proxy": "a web page (filter, captive portal or WAF)",
        "gateway": "a gateway or relay",
        "unknown": "something without the API's signature",
    }[responder]
    fix = {
        "proxy-interference": "find the proxy or filter in between (proxy variables, .curlrc, system proxy, "
        "VPN) and exempt api.anthropic.com, or ask IT to allow it",
        "base-url-override": f"this URL is not the API: unset ANTHROPIC_BASE_URL / base_url, or use the key that "
        f"{route.host} expects",
    }[cause]
    ok = False if responder in FOREIGN or responder == "unknown" else None
    return PathCheck("http", target, ok, f"{who} answers, not the API: {shown}", elapsed, tuple(details), cause, fix)
