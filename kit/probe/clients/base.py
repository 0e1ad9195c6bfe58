"""The one interface every probe client implements, and the one place an answer becomes a tidy row.

A client adapter does a single job: send one ``Attempt`` with one key the way that client really
would, and report what came back as a ``Reply`` (status, headers, body, or the exception it raised).
``Client.send`` turns a ``Reply`` into an ``AttemptResult`` the same way for every client, so the
rows compare across clients: the responder and the error fields come from the same parsers, every
message is scrubbed, and any failure, even a bug in an adapter, becomes a row instead of an
exception (a probe of a broken key must never crash the notebook that is diagnosing it).

Transport failures keep the client's own exception class name in ``transport_error``
(``ConnectError``, ``ReadTimeout``, ``LocalProtocolError``, ``APIConnectionError``, curl's
``CURLE_COULDNT_CONNECT``…); ``transport_family`` maps any of them to a family for the diagnosis.
"""

from __future__ import annotations

import abc
import asyncio
import datetime as dt
import functools
import json
import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from kit.catalog import catalog
from kit.guard import redact
from kit.guard.limits import BODY_TOO_LARGE, parse_json, too_large_message
from kit.keys.credential import Credential
from kit.keys.naming import fingerprint, hint
from kit.path.responder import identify_responder, parse_error
from kit.values import Attempt, AttemptResult, AuthStyle, as_sent_style

__all__ = [
    "AUTH_STYLES",
    "ENDPOINTS",
    "MAX_FIELD_CHARS",
    "MAX_ID_CHARS",
    "MAX_MESSAGE_CHARS",
    "Client",
    "Reply",
    "auth_headers",
    "build_result",
    "model_ids",
    "request_body",
    "request_path",
    "secret_bytes",
    "tokens_used",
    "transport_family",
]

#: Every ``AuthStyle`` (kit.values), in the order help texts list them.
AUTH_STYLES: tuple[AuthStyle, ...] = get_args(AuthStyle)

#: Endpoints a plan may ask, with their method. Only ``/v1/messages`` can spend tokens.
ENDPOINTS = {
    "/v1/models": "GET",
    "/v1/models/{id}": "GET",
    "/v1/messages/count_tokens": "POST",
    "/v1/messages": "POST",
}

#: Messages are cut to this many characters in rows (a gateway's HTML page is not evidence).
MAX_MESSAGE_CHARS = 400
#: Ids, types and names in rows are cut to this many characters (a real request id is 28).
MAX_FIELD_CHARS = 120

#: The prompt for the POST endpoints: one word, so ``count_tokens`` counts a handful and a
#: ``/v1/messages`` request (only when the user asks for it) costs a few input tokens and 1 output token.
PROMPT = "Hi"

_FAMILIES = {
    "connect": (
        "ConnectError",
        "CURLE_COULDNT_CONNECT",
        "CURLE_COULDNT_RESOLVE_HOST",
        "ECONNREFUSED",
        "ENOTFOUND",
        "EAI_AGAIN",
        "APIConnectionError",
        "FetchError",
        "ConnectionRefusedError",
    ),
    "timeout": (
        "ConnectTimeout",
        "ReadTimeout",
        "WriteTimeout",
        "PoolTimeout",
        "TimeoutException",
        "APITimeoutError",
        "APIConnectionTimeoutError",
        "CURLE_OPERATION_TIMEDOUT",
        "ETIMEDOUT",
        "AttemptTimeout",
    ),
    "tls": (
        "SSLError",
        "SSLCertVerificationError",
        "CURLE_SSL_CONNECT_ERROR",
        "CURLE_PEER_FAILED_VERIFICATION",
        "CURLE_SSL_CACERT",
        "CURLE_SSL_CERTPROBLEM",
        "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
        "SELF_SIGNED_CERT_IN_CHAIN",
        "DEPTH_ZERO_SELF_SIGNED_CERT",
        "CERT_HAS_EXPIRED",
        "ERR_TLS_CERT_ALTNAME_INVALID",
    ),
    "reset": (
        "ReadError",
        "WriteError",
        "CURLE_RECV_ERROR",
        "CURLE_SEND_ERROR",
        "ECONNRESET",
        "EPIPE",
        "CURLE_GOT_NOTHING",
    ),
    "protocol": (
        "RemoteProtocolError",
        "CURLE_WEIRD_SERVER_REPLY",
        "CURLE_UNSUPPORTED_PROTOCOL",
        "CURLE_PARTIAL_FILE",
        "HPE_INVALID_CONSTANT",
        "CURLE_HTTP2",
        "CURLE_HTTP2_STREAM",
        "IncompleteBody",
    ),
    "refused-by-client": (
        "LocalProtocolError",
        "InvalidHeader",
        "ERR_INVALID_CHAR",
        "InvalidCharacterError",
        "TypeError",
        "CURLE_BAD_HEADER",
        "UnicodeEncodeError",
        "ByteStringError",
    ),
    "decode": ("JSONDecodeError", "DecodingError"),
    "proxy": ("ProxyError", "CURLE_COULDNT_RESOLVE_PROXY"),
    "too-large": (BODY_TOO_LARGE,),
}


def transport_family(name: str | None) -> str | None:
    """The family of a transport error class: connect, timeout, tls, reset, protocol, refused-by-client,
    decode, proxy or other (``None`` when there was no transport error)."""
    if not name:
        return None
    for family, names in _FAMILIES.items():
        if name in names:
            return family
    return "other"


@dataclass(frozen=True)
class Reply:
    """What one client got back for one attempt, before it becomes a row. Never holds the key."""

    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # response headers, names in lower case
    body: bytes = b""
    latency_ms: float | None = None
    transport_error: str | None = None  # the client's exception class when there is no (complete) answer
    error_message: str | None = None  # the client's own message for a transport error
    client_error: str | None = None  # what an SDK raised: "AuthenticationError: Error code: 401 - {...}"
    request_id: str | None = None
    user_agent: str | None = None  # what the client really sent
    sent_auth_style: str | None = None  # x-api-key | bearer | both | none, as really sent
    sent_version: str | None = None  # the anthropic-version really sent ("" when none was sent)
    client_version: str | None = None
    too_large: bool = False  # the client stopped reading at kit.guard.limits.MAX_BODY_BYTES


def secret_bytes(credential: Credential) -> bytes:
    """The key exactly as stored: bytes as read, or text encoded back to the bytes it was read from."""
    raw = credential.raw
    if isinstance(raw, bytes):
        return raw
    try:
        return raw.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return raw.encode("utf-8", "surrogatepass")


def secret_text(credential: Credential) -> str:
    """The key as a client that takes a string (an SDK) gets it: decoded as UTF-8, bad bytes replaced."""
    return secret_bytes(credential).decode("utf-8", "replace")


def auth_headers(style: str, secret: bytes) -> list[tuple[bytes, bytes]]:
    """The credential headers for ``style``, as raw bytes (so a defect in the key travels unchanged)."""
    if style in ("x-api-key", "default"):
        return [(b"x-api-key", secret)]
    if style == "bearer":
        return [(b"authorization", b"Bearer " + secret)]
    if style == "both":
        return [(b"x-api-key", secret), (b"authorization", b"Bearer " + secret)]
    return []


def request_path(attempt: Attempt) -> str:
    """The URL path of an attempt (``/v1/models/{id}`` filled in with the quoted model id)."""
    if "{id}" in attempt.endpoint:
        return attempt.endpoint.replace("{id}", urllib.parse.quote(attempt.model or "", safe=""))
    if attempt.endpoint == "/v1/models":
        return "/v1/models?limit=1000"
    return attempt.endpoint


def request_body(attempt: Attempt) -> bytes | None:
    """The JSON body of a POST attempt: a one-word prompt; ``max_tokens`` 1 on ``/v1/messages``."""
    if attempt.method != "POST":
        return None
    return _body(attempt.endpoint, attempt.model)


@functools.lru_cache(maxsize=1024)
def _body(endpoint: str, model: str | None) -> bytes:
    payload: dict[str, Any] = {"model": model, "messages": [{"role": "user", "content": PROMPT}]}
    if endpoint == "/v1/messages":
        payload["max_tokens"] = 1
    return json.dumps(payload, separators=(",", ":")).encode()


def _json(body: bytes) -> Any:
    return parse_json(body)


def model_ids(body: bytes) -> tuple[str, ...] | None:
    """The model ids a ``GET /v1/models`` answer lists, or ``None`` when the body is not such a list."""
    data = _json(body)
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        return None
    return tuple(str(m["id"]) for m in data["data"] if isinstance(m, dict) and "id" in m)


def tokens_used(body: bytes) -> int:
    """Input plus output tokens a ``/v1/messages`` answer reports in its ``usage`` (0 when none)."""
    data = _json(body)
    usage = data.get("usage") if isinstance(data, dict) else None
    if not isinstance(usage, dict):
        return 0
    total = 0
    for name in ("input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"):
        value = usage.get(name)
        if isinstance(value, int):
            total += value
    return total


#: Server-given identifiers (request id, organization id, error type) are cut to this many characters.
MAX_ID_CHARS = 120


def _clip(text: str | None, limit: int = MAX_MESSAGE_CHARS) -> str | None:
    """Cut, then scrub, then cut again: a 100 MB message costs what its first few KB cost (a key cut in half
    at the first cut lies past the second, so it never shows)."""
    if text is None:
        return None
    text = redact.scrub(text[: limit * 4])
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _field(text: str | None) -> str | None:
    """A short field a server (or a file name) chose: an id, a type, an alias. Scrubbed and clipped like a message."""
    return _clip(text, MAX_FIELD_CHARS)


def _non_json(reply: Reply, responder: str, parsed_error: bool) -> bool:
    """An answer whose body should be the API's JSON but is not (and is not an HTML page on the path)."""
    if reply.status is None or reply.transport_error or responder in ("html-proxy", "proxy") or parsed_error:
        return False
    return _json(reply.body) is None


def build_result(
    attempt: Attempt,
    credential: Credential,
    reply: Reply,
    *,
    run_id: str,
    client_name: str,
    client_version: str,
    started_at: str,
) -> AttemptResult:
    """The tidy row for one attempt. Every text field is scrubbed; no field can hold the key."""
    headers = {k.lower(): v for k, v in reply.headers.items()}
    responder = identify_responder(reply.status, headers, reply.body)
    error_type: str | None = None
    error_message: str | None = None
    if reply.status is not None and reply.status >= 400:
        error_type, error_message = parse_error(reply.body)
    transport_error = reply.transport_error
    if reply.too_large and not transport_error:
        transport_error = BODY_TOO_LARGE
        error_message = too_large_message()
    elif transport_error:
        error_message = reply.error_message or error_message
    elif _non_json(reply, responder, parsed_error=error_type is not None or error_message is not None):
        transport_error = "JSONDecodeError"
        kind = headers.get("content-type", "no content-type")
        preview = redact.scrub(reply.body[:4096].decode("utf-8", "replace"))[:100]  # cut before scrubbing
        error_message = f"the answer ({reply.status}, {kind}, {len(reply.body)} bytes) is not JSON: {preview!r}"
    # Every field a server chose is scrubbed and clipped here, before the row is stored anywhere: a hostile
    # server may echo the request's key into its request id, its organization id or the error's type.
    request_id = _field(reply.request_id or headers.get("request-id"))
    error_type = _field(error_type)
    client_error = _clip(reply.client_error)
    key_fingerprint, key_hint = _labels(credential.raw)
    return AttemptResult(
        run_id=run_id,
        attempt_id=attempt.attempt_id,
        key_alias=_field(attempt.key_alias) or "",
        fingerprint=key_fingerprint,
        hint=key_hint,
        source=_field(credential.source) or "",
        client=attempt.client,
        client_version=reply.client_version or client_version,
        endpoint=attempt.endpoint,
        method=attempt.method,
        model=attempt.model,
        api_version=_field(attempt.api_version if reply.sent_version is None else (reply.sent_version or None)),
        auth_style=as_sent_style(reply.sent_auth_style) or attempt.auth_style,
        base_url=redact.redact_url(attempt.base_url),
        status=reply.status,
        error_type=_clip(error_type, MAX_ID_CHARS),
        error_message=_clip(error_message) if error_message else client_error if transport_error else None,
        request_id=request_id,
        responder=responder,
        latency_ms=None if reply.latency_ms is None else round(reply.latency_ms, 2),
        transport_error=transport_error,
        started_at=started_at,
        organization_id=_field(headers.get("anthropic-organization-id")),
        user_agent=_clip(reply.user_agent),
        reason=attempt.reason,
        client_error=client_error,
    )


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Client(abc.ABC):
    """One way of sending a request. Subclasses implement ``exchange``; ``send`` is shared.

    ``name`` is the client's label in rows (``httpx2``, ``sdk-python``, ``curl``, ``sdk-node@0.24.3``);
    ``version`` the version of the program or package that really sends.
    """

    name: str = "client"
    version: str = ""

    async def start(self) -> None:  # noqa: B027 - optional hook
        """Prepare (start a worker process, open a pool). Raise ``ClientUnavailable`` if impossible."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release whatever ``start`` took."""

    @abc.abstractmethod
    async def exchange(self, attempt: Attempt, credential: Credential, timeout: float) -> Reply:
        """Send one attempt and describe the answer; transport failures become a ``Reply``, not an exception."""

    def _remember(self, raw: bytes | str) -> None:
        """Register a key with the redactor once per client (costly: every 12-character run is kept)."""
        seen: set[bytes | str] = self.__dict__.setdefault("_remembered", set())
        if raw not in seen:
            redact.remember([raw])
            seen.add(raw)

    async def send(
        self, attempt: Attempt, credential: Credential, *, run_id: str, timeout: float = 20.0
    ) -> AttemptResult:
        """Send one attempt and return its row. Never raises, except for cancellation."""
        result, _ = await self.send_with_reply(attempt, credential, run_id=run_id, timeout=timeout)
        return result

    async def send_with_reply(
        self, attempt: Attempt, credential: Credential, *, run_id: str, timeout: float = 20.0
    ) -> tuple[AttemptResult, Reply]:
        """``send``, plus the ``Reply`` (the engine reads model lists and token usage from its body)."""
        self._remember(credential.raw)
        started_at = utc_now()
        began = time.perf_counter()
        try:
            async with asyncio.timeout(timeout + 5.0):  # a backstop: every client has its own timeout too
                reply = await self.exchange(attempt, credential, timeout)
        except TimeoutError:
            reply = Reply(
                transport_error="AttemptTimeout",
                error_message=f"no answer within {timeout + 5.0:.0f} s (the client did not time out itself)",
            )
        except Exception as exc:  # an adapter bug or an unexpected client failure: still a row
            reply = Reply(transport_error=type(exc).__name__, error_message=str(exc))
        if reply.latency_ms is None:
            reply = _with_latency(reply, (time.perf_counter() - began) * 1000)
        result = build_result(
            attempt,
            credential,
            reply,
            run_id=run_id,
            client_name=self.name,
            client_version=self.version,
            started_at=started_at,
        )
        return result, reply


@functools.lru_cache(maxsize=1024)
def _labels(raw: bytes | str) -> tuple[str, str]:
    """``(fingerprint, hint)`` of a key, computed once per key rather than once per row."""
    return fingerprint(raw), hint(raw)


def _with_latency(reply: Reply, latency_ms: float) -> Reply:
    from dataclasses import replace

    return replace(reply, latency_ms=latency_ms)


def official_host() -> str:
    return catalog().official_host
