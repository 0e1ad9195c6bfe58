"""Bounded answers for the httpx2-based clients: at most ``MAX_BODY_BYTES`` of a body, within a deadline.

httpx2 reads whatever a server sends (an endless chunked 200 grew one attempt to 6 GB), and its timeouts
apply to each read, so a server that drips one byte every half second is never timed out. ``bound``
is a response event hook: it replaces the response's byte stream with ``CappedStream``, which stops
at the limit (marking the response, so the row says "the answer was larger than N bytes") and raises
``httpx2.ReadTimeout`` when the whole body has not arrived within the read timeout. Being a hook,
it applies to raw httpx2 and to the official SDK (which reads through the same pool) alike, and
to every transport the pool picks, proxies included.
"""

from __future__ import annotations

import asyncio
import datetime
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx2

from kit.guard.limits import MAX_BODY_BYTES

__all__ = ["TOO_LARGE", "CappedStream", "bound", "was_cut"]

#: The response extension ``CappedStream`` sets when it stopped reading at the limit.
TOO_LARGE = "keylab_body_too_large"


class CappedStream(httpx2.AsyncByteStream):
    """Yields at most ``limit`` bytes of ``inner`` and ends; gives up after ``deadline_s`` in total."""

    def __init__(self, inner: httpx2.AsyncByteStream, response: httpx2.Response, limit: int, deadline_s: float) -> None:
        self._inner = inner
        self._response = response
        self._limit = limit
        self._deadline_s = deadline_s

    @property
    def elapsed(self) -> datetime.timedelta | None:  # read by httpx2.Response.elapsed
        value: datetime.timedelta | None = getattr(self._inner, "elapsed", None)
        return value

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        ends = time.monotonic() + self._deadline_s
        chunks = self._inner.__aiter__()
        try:
            while True:
                left = ends - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                try:
                    async with asyncio.timeout(left):
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
                if seen + len(chunk) > self._limit:
                    self._response.extensions[TOO_LARGE] = True
                    if self._limit > seen:
                        yield chunk[: self._limit - seen]
                    return
                seen += len(chunk)
                yield chunk
        except TimeoutError:
            raise httpx2.ReadTimeout(
                f"the answer's body did not arrive within {self._deadline_s:g} s in all "
                "(the server sends it too slowly)",
                request=self._response.request,
            ) from None
        finally:
            closer = getattr(chunks, "aclose", None)
            if closer is not None:
                await closer()

    async def aclose(self) -> None:
        await self._inner.aclose()


def _read_timeout(request: httpx2.Request, default: float) -> float:
    timeouts: Any = request.extensions.get("timeout") or {}
    value = timeouts.get("read") if isinstance(timeouts, dict) else None
    return float(value) if isinstance(value, int | float) and value > 0 else default


async def bound(response: httpx2.Response) -> None:
    """httpx2 response hook: cap the body at ``MAX_BODY_BYTES`` and its arrival at the read timeout."""
    response.stream = CappedStream(
        response.stream,  # type: ignore[arg-type]
        response,
        MAX_BODY_BYTES,
        _read_timeout(response.request, 20.0),
    )


def was_cut(response: httpx2.Response) -> bool:
    """True when ``bound`` stopped reading this response's body at the limit."""
    return bool(response.extensions.get(TOO_LARGE))
