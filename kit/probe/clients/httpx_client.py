"""Raw httpx2: the key's bytes exactly as stored, defects included, so the server's verdict is about them.

No SDK sits in between: no trimming, no retries, no header of its own choosing. When the bytes
cannot travel at all (h11 refuses a header value with a newline, a leading or trailing space, or a
NUL), that refusal is the answer: a row with ``transport_error = "LocalProtocolError"`` and h11's
own message, which is what any h11-based client (the Python SDK included) would hit.
"""

from __future__ import annotations

import asyncio
import functools
import os
import ssl
import time
from collections.abc import Callable
from typing import Any

import httpx2

from kit.guard.gate import proxies_apply
from kit.keys.credential import Credential
from kit.path.routing import CaChoice
from kit.probe.clients.base import (
    Client,
    Reply,
    auth_headers,
    request_body,
    request_path,
    secret_bytes,
)
from kit.probe.clients.bounded import bound, was_cut
from kit.probe.clients.trust import ssl_context_for
from kit.values import Attempt

__all__ = ["HttpxClient", "RoutePools", "default_ssl_context", "transport_name"]


def default_ssl_context() -> ssl.SSLContext:
    """httpx2's default verifying context, as a client would build it (``SSL_CERT_FILE``/``SSL_CERT_DIR``
    honoured), made once per setting: loading a CA bundle costs ~80 ms, a fixed cost per run otherwise."""
    return _ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx2.create_ssl_context()


def transport_name(exc: BaseException) -> str:
    """The exception's class name, or the TLS error's class when a certificate or handshake failed."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLError):
            return type(current).__name__
        current = current.__cause__ or current.__context__
    return type(exc).__name__


class RoutePools:
    """One httpx2 pool per kind of route; whether the user's proxies apply is the host gate's answer.

    ``kit.guard.gate.proxies_apply``: HTTPS off loopback may use them (it travels in a CONNECT tunnel,
    so a proxy never sees the key); plain HTTP and loopback never do, so a key cannot be handed to a
    proxy in cleartext. ``make(trust_env)`` builds a pool with the caller's own options.
    """

    def __init__(self, make: Callable[[bool], httpx2.AsyncClient]) -> None:
        self._make = make
        self._pools: dict[bool, httpx2.AsyncClient] = {}

    def get(self, base_url: str) -> httpx2.AsyncClient:
        proxied = proxies_apply(base_url)
        pool = self._pools.get(proxied)
        if pool is None:
            pool = self._pools[proxied] = self._make(proxied)
        return pool

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            await pool.aclose()


class HttpxClient(Client):
    """httpx2's async client, one connection pool per run (the environment's proxies only where the gate says)."""

    name = "httpx2"

    def __init__(
        self, *, max_connections: int = 32, verify: ssl.SSLContext | str | bool = True, trust: CaChoice | None = None
    ) -> None:
        """``trust``: what httpx2 would trust in the investigated environment (``SSL_CERT_FILE``/``SSL_CERT_DIR``);
        without it, KeyLab's own process settings."""
        if verify is False:
            raise ValueError("TLS verification is never disabled; pass a CA bundle path or an SSLContext instead")
        self.version = httpx2.__version__
        self._limits = httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        if trust is not None and verify is True:
            verify = ssl_context_for(trust)
        self._verify = default_ssl_context() if verify is True else verify
        self._pools = RoutePools(
            lambda trust_env: httpx2.AsyncClient(
                limits=self._limits,
                trust_env=trust_env,
                verify=self._verify,
                follow_redirects=False,
                event_hooks={"response": [bound]},
            )
        )

    def _pool(self, base_url: str) -> httpx2.AsyncClient:
        return self._pools.get(base_url)

    async def aclose(self) -> None:
        await self._pools.aclose()

    async def exchange(self, attempt: Attempt, credential: Credential, timeout: float) -> Reply:
        headers: list[tuple[bytes, bytes]] = auth_headers(attempt.auth_style, secret_bytes(credential))
        if attempt.api_version:
            headers.append((b"anthropic-version", attempt.api_version.encode()))
        body = request_body(attempt)
        if body is not None:
            headers.append((b"content-type", b"application/json"))
        url = attempt.base_url.rstrip("/") + request_path(attempt)
        pool = self._pool(attempt.base_url)
        user_agent = pool.headers.get("user-agent")
        style = "x-api-key" if attempt.auth_style == "default" else attempt.auth_style
        common: dict[str, Any] = {
            "user_agent": user_agent,
            "sent_auth_style": style,
            "sent_version": attempt.api_version or "",
        }
        began = time.perf_counter()
        try:
            # httpx2's timeouts are per read; this one bounds the whole exchange (its own fire first when they can)
            async with asyncio.timeout(timeout + 1.0):
                return await self._send(pool, attempt, url, headers, body, timeout, began, common)
        except TimeoutError:
            return Reply(
                transport_error="ReadTimeout",
                error_message=f"no complete answer within {timeout + 1.0:g} s",
                latency_ms=(time.perf_counter() - began) * 1000,
                **common,
            )

    async def _send(
        self,
        pool: httpx2.AsyncClient,
        attempt: Attempt,
        url: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
        timeout: float,
        began: float,
        common: dict[str, Any],
    ) -> Reply:
        try:
            request = pool.build_request(
                attempt.method,
                url,
                headers=headers,
                content=body,
                timeout=httpx2.Timeout(timeout, connect=min(5.0, timeout)),
            )
            response = await pool.send(request, stream=True)
        except httpx2.HTTPError as exc:
            return Reply(
                transport_error=transport_name(exc),
                error_message=str(exc) or repr(exc),
                latency_ms=(time.perf_counter() - began) * 1000,
                **common,
            )
        try:
            data = await response.aread()  # at most MAX_BODY_BYTES: the pool's ``bound`` hook stops there
        except httpx2.HTTPError as exc:  # headers arrived, the body did not (reset, truncated, bad encoding)
            return Reply(
                status=response.status_code,
                headers=dict(response.headers),
                transport_error=transport_name(exc),
                error_message=str(exc) or repr(exc),
                latency_ms=(time.perf_counter() - began) * 1000,
                **common,
            )
        finally:
            await response.aclose()
        return Reply(
            status=response.status_code,
            headers=dict(response.headers),
            body=data,
            too_large=was_cut(response),
            latency_ms=(time.perf_counter() - began) * 1000,
            **common,
        )
