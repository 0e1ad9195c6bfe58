"""A hostile server: answers built to break a client, so KeyLab's own bounds can be tested and shown.

``[api] responder = "hostile"`` with ``mode`` makes every request get one of these answers. Each
mode reproduces a way a server on the path (a broken gateway, a tampered proxy, an attacker's
endpoint) can hurt the program that asks it (issue 17):

- ``huge``          a 401 whose declared body is 100 MB, streamed (a client must stop reading early)
- ``endless``       a chunked 200 that never ends (no Content-Length, bytes as fast as the client reads)
- ``nested``        a 401 whose body is 50,000 nested JSON arrays (a recursive parser overflows)
- ``drip``          a 401 whose body arrives one byte every half second (only a total deadline ends it)
- ``ansi``          ESC, BEL, CR and OSC sequences in ``request-id`` and ``error.message`` (terminal injection)
- ``echo-key``      the request's credential copied into ``request-id``, ``anthropic-organization-id``,
                    ``error.type`` and ``error.message`` (a server writing the key into artifacts)
- ``badutf8``       invalid UTF-8 in the body and non-ASCII bytes in a header
- ``many-headers``  10,000 response headers

Nothing here decides what the real API would say; ``decide`` asks ``answer`` only when the scenario
names this responder, and the server hands the streaming modes to ``deliver``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

from aiohttp import web

from kit.sim.answers import Answer

__all__ = ["DRIP_INTERVAL_S", "HOSTILE_MODES", "HUGE_BYTES", "NESTING", "STREAMED", "answer", "deliver"]

HOSTILE_MODES = ("huge", "endless", "nested", "drip", "ansi", "echo-key", "badutf8", "many-headers")
#: Modes the server cannot send as one body: ``deliver`` streams them.
STREAMED = ("huge", "endless", "drip")
HUGE_BYTES = 100 * 1024 * 1024
NESTING = 50_000
DRIP_INTERVAL_S = 0.5
MANY_HEADERS = 10_000
_CHUNK = 64 * 1024

#: What a terminal would obey if it were printed raw: clear the screen, move up, erase the line, set the
#: window title (OSC … BEL), ring the bell, and overwrite the line with a fake verdict after a CR.
ANSI_MESSAGE = (
    "\x1b[2J\x1b[1A\x1b[2K\x1b]0;keylab-owned\x07invalid x-api-key\x07\rHEALTHY: key works, nothing to fix\x1b[0m"
)
ANSI_REQUEST_ID = "req_\x1b[2K\x1b[1A\x1b[999DHEALTHY\x07"  # HTTP forbids CR in a header; CSI 999 D moves left

_HEAD = b'{"type":"error","error":{"type":"authentication_error","message":"'
_TAIL = b'"}}'


def _json_401(error_type: str, message: str, *, headers: tuple[tuple[str, str], ...] = ()) -> Answer:
    body = {"type": "error", "error": {"type": error_type, "message": message}, "request_id": None}
    return Answer(
        status=401,
        body=json.dumps(body, ensure_ascii=False).encode(),
        headers=headers,
        request_id=False,
        check="responder",
        error_id=None,
    )


def _credential(x_api_key: str | None, authorization: str | None) -> str:
    if x_api_key:
        return x_api_key
    if authorization:
        return authorization.removeprefix("Bearer ").strip()
    return "(no credential was sent)"


def _raw(body: bytes, extra: tuple[bytes, ...]) -> Answer:
    """A whole HTTP/1.1 response as bytes: header values aiohttp would refuse to send (ESC, BEL, 0xFF)."""
    head = [
        b"HTTP/1.1 401 Unauthorized",
        b"content-type: application/json",
        b"server: keylab-sim-hostile",
        b"connection: close",
        b"content-length: " + str(len(body)).encode(),
        *extra,
    ]
    return Answer(
        status=401,
        body=b"\r\n".join(head) + b"\r\n\r\n" + body,
        kind="hostile-raw",
        request_id=False,
        check="responder",
    )


def answer(mode: str, x_api_key: str | None, authorization: str | None) -> Answer:
    """The answer ``mode`` gives to any request (the credential is only used by ``echo-key``)."""
    if mode in STREAMED:
        return Answer(
            status=200 if mode == "endless" else 401, kind=f"hostile-{mode}", request_id=False, check="responder"
        )
    if mode == "nested":
        body = b"[" * NESTING + b"]" * NESTING
        return Answer(status=401, body=body, request_id=False, check="responder")
    if mode == "ansi":
        body = _json_401("authentication_error", ANSI_MESSAGE).body
        return _raw(body, (b"request-id: " + ANSI_REQUEST_ID.encode(), b"x-hostile: \x1b]8;;http://x\x07link\x1b[5m"))
    if mode == "echo-key":
        key = _credential(x_api_key, authorization)
        return _json_401(
            key, f"invalid x-api-key: {key}", headers=(("request-id", key), ("anthropic-organization-id", key))
        )
    if mode == "badutf8":
        body = _HEAD + b"invalid \xff\xfe\xc3( x-api-key \xed\xa0\x80 " + _TAIL
        return _raw(body, (b"x-hostile: caf\xe9 \xff\xfe \xc3(", b"request-id: req_\xff\xfe"))
    if mode == "many-headers":
        headers = tuple((f"x-hostile-{i}", "v" * 16) for i in range(MANY_HEADERS))
        return _json_401("authentication_error", "invalid x-api-key", headers=headers)
    raise ValueError(f"unknown hostile mode {mode!r}")


async def deliver(request: web.BaseRequest, answer: Answer, headers: dict[str, str]) -> web.StreamResponse:
    """Stream ``huge``, ``endless`` or ``drip`` (stopping quietly when the client hangs up), or write a raw answer."""
    mode = answer.kind.removeprefix("hostile-")
    if mode == "raw":  # written straight to the socket, then the connection is closed
        transport = request.transport
        if transport is not None:
            transport.write(answer.body)
            transport.close()
        raise asyncio.CancelledError
    stream = web.StreamResponse(status=answer.status, headers=headers)
    if mode == "huge":
        stream.content_length = HUGE_BYTES
    elif mode == "drip":
        stream.content_length = len(_HEAD) + 200 + len(_TAIL)
    with contextlib.suppress(ConnectionError, asyncio.CancelledError, RuntimeError):
        await stream.prepare(request)
        if mode == "huge":
            await _huge(request, stream)
        elif mode == "endless":
            await _endless(request, stream)
        else:
            await _drip(request, stream)
        await stream.write_eof()
    return stream


def _gone(request: web.BaseRequest) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def _huge(request: web.BaseRequest, stream: web.StreamResponse) -> None:
    filler = b"x" * _CHUNK
    await stream.write(_HEAD)
    left = HUGE_BYTES - len(_HEAD) - len(_TAIL)
    while left > 0 and not _gone(request):
        part = filler[: min(_CHUNK, left)]
        await stream.write(part)
        left -= len(part)
    await stream.write(_TAIL)


async def _endless(request: web.BaseRequest, stream: web.StreamResponse) -> None:
    item = b'{"type":"model","id":"claude-endless","display_name":"x"},'
    chunk = item * (_CHUNK // len(item))
    await stream.write(b'{"data":[')
    while not _gone(request):
        await stream.write(chunk)


async def _drip(request: web.BaseRequest, stream: web.StreamResponse) -> None:
    for piece in (_HEAD, b"x" * 200, _TAIL):
        for i in range(len(piece)):
            if _gone(request):
                return
            await stream.write(piece[i : i + 1])
            await asyncio.sleep(DRIP_INTERVAL_S)
