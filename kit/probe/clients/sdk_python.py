"""The installed official Python SDK (``anthropic``), used the way an application uses it.

The key goes in as ``api_key=`` and the SDK chooses the header (2.x sends it as
``Authorization: Bearer`` with ``anthropic-version: 2026-10-21``, docs/reference/anthropic-auth.md §7); a plan
that names a style or version overrides it through ``default_headers``, as a user would. ``max_retries=0``, so
one attempt is one request. The SDK's exception class and message are kept in ``client_error``
(what the application would print), the request id comes from the exception, and what the SDK
really put on the wire (User-Agent, header style, version) is read from the outgoing request.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx2

from kit.keys.credential import Credential
from kit.path.routing import CaChoice
from kit.probe.clients.base import PROMPT, Client, Reply, secret_text
from kit.probe.clients.bounded import bound, was_cut
from kit.probe.clients.httpx_client import RoutePools, default_ssl_context, transport_name
from kit.probe.clients.trust import ssl_context_for
from kit.values import Attempt, SentAuthStyle

__all__ = ["SdkPythonClient", "sent_auth_style"]

_sent: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar("keylab_sdk_sent", default=None)


def sent_auth_style(headers: httpx2.Headers) -> SentAuthStyle:
    """How a request carried its credential: x-api-key, bearer, both or none."""
    has_key = "x-api-key" in headers
    has_bearer = headers.get("authorization", "").lower().startswith("bearer")
    if has_key and has_bearer:
        return "both"
    return "x-api-key" if has_key else "bearer" if has_bearer else "none"


async def _record(request: httpx2.Request) -> None:
    """httpx2 request hook: note what the SDK really sends (never the key itself)."""
    sent = _sent.get()
    if sent is not None:
        sent["user_agent"] = request.headers.get("user-agent", "")
        sent["auth_style"] = sent_auth_style(request.headers)
        sent["version"] = request.headers.get("anthropic-version", "")


@contextlib.contextmanager
def _sdk_sees_no_custom_headers() -> Iterator[None]:
    """Hide ``ANTHROPIC_CUSTOM_HEADERS`` while the SDK is built: it reads KeyLab's own environment, and a second
    key in that variable would ride along. The constructor is synchronous, so no other attempt runs meanwhile."""
    saved = os.environ.pop("ANTHROPIC_CUSTOM_HEADERS", None)
    try:
        yield
    finally:
        if saved is not None:
            os.environ["ANTHROPIC_CUSTOM_HEADERS"] = saved


class SdkPythonClient(Client):
    """``anthropic.AsyncAnthropic`` with ``max_retries=0`` over one shared httpx2 pool per run."""

    name = "sdk-python"

    def __init__(self, *, max_connections: int = 32, trust: CaChoice | None = None) -> None:
        """``trust``: what the SDK would trust in the investigated environment; without it, KeyLab's own."""
        self.version = anthropic.__version__
        self._limits = httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        verify = ssl_context_for(trust) if trust is not None else default_ssl_context()
        # No redirects: a 3xx is the answer. Following one would carry the key to a host the gate never saw.
        self._pools = RoutePools(
            lambda trust_env: httpx2.AsyncClient(
                limits=self._limits,
                trust_env=trust_env,
                follow_redirects=False,
                event_hooks={"request": [_record], "response": [bound]},
                verify=verify,
            )
        )

    def _pool(self, base_url: str) -> httpx2.AsyncClient:
        return self._pools.get(base_url)

    async def aclose(self) -> None:
        await self._pools.aclose()

    def _sdk(self, attempt: Attempt, key: str, timeout: float) -> anthropic.AsyncAnthropic:
        headers: dict[str, Any] = {}
        if attempt.api_version:
            headers["anthropic-version"] = attempt.api_version
        options: dict[str, Any] = {"api_key": key}
        style = attempt.auth_style
        if style == "x-api-key":
            headers.update({"X-Api-Key": key, "Authorization": anthropic.Omit()})
        elif style == "bearer":
            options = {"auth_token": key}
        elif style == "both":
            headers["X-Api-Key"] = key
            options = {"auth_token": key}
        elif style == "none":
            headers.update({"X-Api-Key": anthropic.Omit(), "Authorization": anthropic.Omit()})
        with _sdk_sees_no_custom_headers():
            return anthropic.AsyncAnthropic(
                **options,
                base_url=attempt.base_url,
                max_retries=0,
                default_headers=headers or None,
                timeout=httpx2.Timeout(timeout, connect=min(5.0, timeout)),
                http_client=self._pool(attempt.base_url),
            )

    async def _call(self, sdk: anthropic.AsyncAnthropic, attempt: Attempt) -> Any:
        messages: Any = [{"role": "user", "content": PROMPT}]
        model: Any = attempt.model or ""
        if attempt.endpoint == "/v1/models":
            return await sdk.models.with_raw_response.list(limit=1000)
        if attempt.endpoint == "/v1/models/{id}":
            return await sdk.models.with_raw_response.retrieve(model)
        if attempt.endpoint == "/v1/messages/count_tokens":
            return await sdk.messages.with_raw_response.count_tokens(model=model, messages=messages)
        if attempt.endpoint == "/v1/messages":
            return await sdk.messages.with_raw_response.create(model=model, max_tokens=1, messages=messages)
        raise ValueError(f"the SDK client does not know endpoint {attempt.endpoint}")

    async def exchange(self, attempt: Attempt, credential: Credential, timeout: float) -> Reply:
        sent: dict[str, str] = {}
        token = _sent.set(sent)
        began = time.perf_counter()
        try:
            sdk = self._sdk(attempt, secret_text(credential), timeout)
            async with asyncio.timeout(timeout + 1.0):  # the SDK's timeouts are per read: bound the whole call
                raw = await self._call(sdk, attempt)
            response: httpx2.Response = raw.http_response
            return self._reply(
                sent,
                began,
                status=response.status_code,
                headers=dict(response.headers),
                body=response.content,
                too_large=was_cut(response),
            )
        except anthropic.APIStatusError as exc:
            return self._reply(
                sent,
                began,
                status=exc.status_code,
                headers=dict(exc.response.headers),
                body=exc.response.content,
                request_id=exc.request_id,
                too_large=was_cut(exc.response),
                client_error=f"{type(exc).__name__}: {exc}",
            )
        except anthropic.APIConnectionError as exc:
            cause = exc.__cause__ or exc.__context__
            name = transport_name(cause) if cause else type(exc).__name__
            detail = f"{exc} ({type(cause).__name__}: {cause})" if cause else str(exc)
            return self._reply(
                sent, began, transport_error=name, error_message=detail, client_error=f"{type(exc).__name__}: {exc}"
            )
        except TimeoutError:
            return self._reply(
                sent,
                began,
                transport_error="ReadTimeout",
                error_message=f"no complete answer within {timeout + 1.0:g} s",
            )
        except (anthropic.AnthropicError, TypeError, ValueError) as exc:  # raised before any request
            return self._reply(
                sent,
                began,
                transport_error=type(exc).__name__,
                error_message=str(exc),
                client_error=f"{type(exc).__name__}: {exc}",
            )
        finally:
            _sent.reset(token)

    def _reply(self, sent: dict[str, str], began: float, **fields: Any) -> Reply:
        return Reply(
            latency_ms=(time.perf_counter() - began) * 1000,
            user_agent=sent.get("user_agent"),
            sent_auth_style=sent.get("auth_style"),
            sent_version=sent.get("version"),
            **fields,
        )
