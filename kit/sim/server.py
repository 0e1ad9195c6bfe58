"""The HTTP server: aiohttp on its own event loop in a background thread, or in the foreground for the CLI.

It parses each request into a ``decide.Request`` (reading the body with a size limit and a time
limit), asks ``decide`` for the answer, adds the request id and headers, delivers it (JSON, SSE, a
reset or a truncated body) and writes the access-log entry. Nothing in here decides what the API
would say. The listen backlog is large, so a burst of connections is queued, not refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestHandler

from kit.errors import UsageError
from kit.guard.redact import RedactingFilter
from kit.guard.tempdirs import private_temp_dir, remove
from kit.sim import faults as faultmod
from kit.sim import hostile
from kit.sim.accesslog import AccessLog, log_entry
from kit.sim.answers import REQUEST_ID_PLACEHOLDER, Answer, api_error, new_openai_request_id, new_request_id
from kit.sim.decide import Context, Request, decide
from kit.sim.endpoints import sse_bytes
from kit.sim.faces import face_credentials
from kit.sim.ratelimit import RateLimiter
from kit.sim.scenario import Scenario, load_scenario

__all__ = ["SimServer", "serve"]

LISTEN_BACKLOG = 1024
#: Idle connections (including ones that never finish their headers) are closed after this many seconds.
IDLE_TIMEOUT_S = 60.0
SERVER_HEADER = "keylab-sim"
#: After refusing a body (413, 408) the rest of it is read and dropped for at most this long, then the socket closes.
LINGER_S = 2.0
_PLACEHOLDER = REQUEST_ID_PLACEHOLDER.encode()


class _TooLarge(Exception):
    pass


#: aiohttp reports malformed requests (a raw newline inside x-api-key, say) with the raw header bytes;
#: its records go through this logger, whose filter scrubs them before any handler prints them.
_SERVER_LOG = logging.getLogger("kit.sim.server")
_SERVER_LOG.addFilter(RedactingFilter())


class _EdgeRequestHandler(RequestHandler):
    """aiohttp's protocol handler, except that a request it cannot parse is never echoed back.

    aiohttp's default 400 body quotes the offending header line, which for a key with a raw newline
    is the key itself. The real API's edge answers such requests with a bare 400; so does this.
    """

    def handle_error(
        self, request: Any, status: int = 500, exc: BaseException | None = None, message: str | None = None
    ) -> web.StreamResponse:
        if status != 500:
            message = (
                f"{status} Bad Request\n\nThe request could not be parsed as HTTP (for example a header "
                "value holds a raw newline or another character HTTP does not allow)."
            )
        return super().handle_error(request, status, exc, message)

    def log_exception(self, *args: Any, **kw: Any) -> None:
        # A request HTTP cannot parse is the client's mistake, answered with a 400: one line, no traceback.
        # Anything else is the simulator's own failure and keeps its (scrubbed) traceback.
        exc = kw.get("exc_info")
        if isinstance(exc, HttpProcessingError):
            self.logger.info("refused a request HTTP cannot parse (%s)", type(exc).__name__)
            return
        super().log_exception(*args, **kw)


class _EdgeServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _EdgeRequestHandler(self, loop=self._loop, **self._kwargs)


@dataclass
class SimServer:
    """A running simulator. ``url`` is its base URL; ``entries()`` the access log kept in memory."""

    url: str
    scenario: Scenario
    ca_path: Path | None = None
    access_log: Path | None = None
    log: AccessLog = field(default_factory=lambda: AccessLog(None), repr=False)

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1].rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def entries(self) -> list[dict[str, Any]]:
        """The access-log entries of the requests answered so far (most recent 10,000)."""
        return self.log.entries()

    def key(self, name: str) -> str:
        """The value of the scenario's key ``name`` (for tests that send it; never print it)."""
        return self.scenario.key(name).value


class _Handler:
    """The request handler bound to one scenario, its rate limiter, fault source and access log."""

    def __init__(
        self,
        scenario: Scenario,
        log: AccessLog,
        on_entry: Callable[[dict[str, Any]], None] | None,
        idle_timeout_s: float,
    ) -> None:
        self.scenario = scenario
        self.log = log
        self.on_entry = on_entry
        self.limiter = RateLimiter(scenario.rate_limit.requests_per_minute)
        self.faults = faultmod.FaultSource(scenario)
        self.idle_timeout_s = idle_timeout_s

    async def _read_body(self, request: web.BaseRequest, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.content.iter_chunked(1 << 16):
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    async def __call__(self, request: web.BaseRequest) -> web.StreamResponse:
        started = time.perf_counter()
        api = self.scenario.api
        headers = request.headers
        length = request.content_length
        too_large = length is not None and length > api.max_body_bytes
        body = b""
        answer: Answer | None = None
        if not too_large and request.body_exists:
            try:
                body = await asyncio.wait_for(self._read_body(request, api.max_body_bytes), api.body_timeout_s)
            except _TooLarge:
                too_large = True
            except TimeoutError:
                answer = api_error("request-timeout", "body-timeout")
        versions = headers.getall("anthropic-version", [])
        betas = headers.getall("anthropic-beta", [])
        parsed = Request(
            method=request.method,
            path=request.path,
            query={k: request.query[k] for k in request.query},
            lifecycle=tuple(request.query.getall("lifecycle", [])) + tuple(request.query.getall("lifecycle[]", [])),
            x_api_key=", ".join(headers.getall("x-api-key", [])) or None,  # sent twice: joined, as HTTP stacks do
            authorization=headers.get("authorization"),
            version=", ".join(versions) if versions else None,
            beta=", ".join(betas) if betas else None,
            workspace_id=headers.get("anthropic-workspace-id"),
            user_agent=headers.get("user-agent"),
            cf_aig_authorization=headers.get("cf-aig-authorization"),
            content_type=headers.get("content-type"),
            content_length=length,
            body=body,
            too_large=too_large,
            headers={name.lower(): ", ".join(headers.getall(name)) for name in headers},
        )
        if answer is None:
            answer = decide(parsed, Context(self.scenario, self.limiter, time.time(), self.faults.draw()))
        delay = self.faults.delay_s()
        if delay:
            await asyncio.sleep(delay)
        request_id = None
        if answer.request_id:
            request_id = new_openai_request_id() if answer.id_header == "x-request-id" else new_request_id()
        entry = log_entry(
            method=request.method,
            path=request.path,
            status=answer.status or None,
            headers={k.lower(): v for k, v in headers.items() if k.lower() not in ("x-api-key", "authorization")},
            request_id=request_id,
            check=answer.check,
            error_id=answer.error_id,
            elapsed_ms=(time.perf_counter() - started) * 1000,
            x_api_key=parsed.x_api_key,
            authorization=parsed.authorization,
            provider=self.scenario.api.provider,
            others=face_credentials(parsed, self.scenario.api.provider),
        )
        if answer.kind in ("reset", "truncated"):
            entry["fault"] = answer.kind
        self.log.write(entry)
        if self.on_entry is not None:
            self.on_entry(entry)
        return await self._deliver(request, answer, request_id, close=too_large or answer.check == "body-timeout")

    def _headers(self, answer: Answer, request_id: str | None) -> dict[str, str]:
        out = {"content-type": answer.content_type, "server": SERVER_HEADER, "x-keylab-scenario": self.scenario.name}
        if request_id:
            out[answer.id_header] = request_id
        if answer.org_uuid:
            out["anthropic-organization-id"] = answer.org_uuid
        for name, value in answer.headers:
            out[name] = value
        return out

    async def _deliver(
        self, request: web.BaseRequest, answer: Answer, request_id: str | None, close: bool
    ) -> web.StreamResponse:
        if answer.kind == "reset":
            faultmod.reset_connection(request.transport)
            raise asyncio.CancelledError  # nothing more can be sent on this connection
        body = answer.body
        if request_id and _PLACEHOLDER in body:
            body = body.replace(_PLACEHOLDER, request_id.encode())
        headers = self._headers(answer, request_id)
        if answer.kind.startswith("hostile-"):
            return await hostile.deliver(request, answer, headers)
        if answer.kind == "sse":
            stream = web.StreamResponse(status=answer.status, headers=headers)
            await stream.prepare(request)
            for event in sse_bytes(answer.events):
                await stream.write(event)
            await stream.write_eof()
            return stream
        if answer.kind == "truncated":
            cut = web.StreamResponse(status=answer.status, headers=headers)
            cut.content_length = len(body)
            await cut.prepare(request)
            await cut.write(body[: max(1, len(body) // 2)])
            await asyncio.sleep(0)
            faultmod.abort(request.transport)
            raise asyncio.CancelledError
        response = web.Response(status=answer.status, body=body, headers=headers)
        if close:
            response.force_close()
        return response


def _reachable(host: str) -> str:
    """The host part of a URL a client on this machine can use: all-interfaces addresses become loopback
    (``http://0.0.0.0:PORT`` is not a URL anyone can connect to; the doctor refuses it)."""
    if host in ("", "0.0.0.0"):  # noqa: S104 - naming the all-interfaces address, not binding to it
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def _tls_context(folder: Path) -> tuple[ssl.SSLContext, Path]:
    import trustme

    ca = trustme.CA(organization_name="KeyLab simulator throwaway CA")
    cert = ca.issue_cert("127.0.0.1", "localhost", "::1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_path = folder / "keylab-sim-ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    return context, ca_path


class _Running:
    """Owns the loop thread, the runner and the temporary CA folder of one server."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="keylab-sim", daemon=True)
        self.runner: web.ServerRunner | None = None
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    async def start(self, handler: _Handler, host: str, port: int, ssl_context: ssl.SSLContext | None) -> int:
        server = _EdgeServer(
            handler,
            keepalive_timeout=handler.idle_timeout_s,
            access_log=None,
            handler_cancellation=True,
            lingering_time=LINGER_S,
            logger=_SERVER_LOG,
        )
        self.runner = web.ServerRunner(server, handle_signals=False, shutdown_timeout=2.0)
        await self.runner.setup()
        site = web.TCPSite(self.runner, host, port, backlog=LISTEN_BACKLOG, ssl_context=ssl_context, reuse_address=True)
        await site.start()
        addresses = self.runner.addresses
        return int(addresses[0][1])

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@contextlib.contextmanager
def serve(
    scenario: str | Path | Scenario = "healthy",
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = False,
    access_log: Path | None = None,
    on_entry: Callable[[dict[str, Any]], None] | None = None,
    idle_timeout_s: float = IDLE_TIMEOUT_S,
    keep_entries: int = 10_000,
) -> Iterator[SimServer]:
    """Run the simulator in a background thread; yield a ``SimServer`` once it listens; stop it cleanly on exit.

    ``on_entry`` is called with each access-log entry; ``keep_entries`` bounds the entries kept in memory
    for ``SimServer.entries()``; ``idle_timeout_s`` closes connections that stay idle or never finish
    their headers.
    """
    loaded = load_scenario(scenario)
    log = AccessLog(Path(access_log) if access_log else None, keep=keep_entries)
    handler = _Handler(loaded, log, on_entry, idle_timeout_s)
    running = _Running()
    tmp = private_temp_dir("keylab-sim-")  # the CA; removed at exit, on SIGTERM and on SIGHUP
    try:
        ssl_context, ca_path = _tls_context(Path(tmp)) if tls else (None, None)
        running.thread.start()
        try:
            future = asyncio.run_coroutine_threadsafe(running.start(handler, host, port, ssl_context), running.loop)
            try:
                bound = future.result(timeout=30)
            except OSError as exc:
                raise UsageError(
                    f"the simulator cannot listen on {host}:{port}: {exc.strerror or exc}",
                    "choose another --port, or --port 0 for a free one",
                ) from None
            shown = _reachable(host)
            server = SimServer(
                url=f"{'https' if tls else 'http'}://{shown}:{bound}",
                scenario=loaded,
                ca_path=ca_path,
                access_log=log.path,
                log=log,
            )
            yield server
        finally:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(running.stop(), running.loop).result(timeout=10)
            running.loop.call_soon_threadsafe(running.loop.stop)
            running.thread.join(timeout=10)
            with contextlib.suppress(Exception):
                running.loop.close()
            log.close()
    finally:
        remove(tmp)
