"""System curl, the way the ticket's author tested: one process per request.

The key never appears on curl's command line (argv is readable by every user of the machine): the
whole request, URL and headers included, goes to ``curl --config -`` on stdin. curl passes header
bytes through untouched, so a key with a trailing newline travels with it (``x-api-key: …\\n``) and
the server's verdict on those bytes is what the row shows. Status and headers are read from a
``--dump-header`` file in a private (0700) temporary folder; the body arrives on curl's standard
output and is read up to ``kit.guard.limits.MAX_BODY_BYTES``: past it curl is stopped and the row says
the answer was larger (a file would let an endless answer fill the disk). Timing, the exit code and
curl's own error message come from ``--write-out '%{stderr}%{json}'``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from kit.errors import ClientUnavailable
from kit.guard.childenv import child_environment
from kit.guard.gate import proxies_apply
from kit.guard.limits import MAX_BODY_BYTES
from kit.guard.tempdirs import private_temp_dir, remove
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
from kit.probe.clients.trust import CA_VARIABLES
from kit.values import Attempt

__all__ = ["CURL_ERRORS", "CurlClient", "config_quote", "curl_ca_lines", "parse_header_block", "parse_status_line"]

#: curl's own messages and the write-out JSON are small; a dump of headers is bounded by curl (300 KB).
_STDERR_LIMIT = 64 * 1024
_HEADERS_LIMIT = 1024 * 1024

#: curl exit codes (libcurl-errors(3)) for failures a probe can meet, by their libcurl names.
CURL_ERRORS = {
    1: "CURLE_UNSUPPORTED_PROTOCOL",
    3: "CURLE_URL_MALFORMAT",
    5: "CURLE_COULDNT_RESOLVE_PROXY",
    6: "CURLE_COULDNT_RESOLVE_HOST",
    7: "CURLE_COULDNT_CONNECT",
    8: "CURLE_WEIRD_SERVER_REPLY",
    16: "CURLE_HTTP2",
    18: "CURLE_PARTIAL_FILE",
    23: "CURLE_WRITE_ERROR",
    26: "CURLE_READ_ERROR",
    28: "CURLE_OPERATION_TIMEDOUT",
    35: "CURLE_SSL_CONNECT_ERROR",
    43: "CURLE_BAD_FUNCTION_ARGUMENT",
    47: "CURLE_TOO_MANY_REDIRECTS",
    52: "CURLE_GOT_NOTHING",
    55: "CURLE_SEND_ERROR",
    56: "CURLE_RECV_ERROR",
    58: "CURLE_SSL_CERTPROBLEM",
    59: "CURLE_SSL_CIPHER",
    60: "CURLE_PEER_FAILED_VERIFICATION",
    61: "CURLE_BAD_CONTENT_ENCODING",
    77: "CURLE_SSL_CACERT_BADFILE",
    92: "CURLE_HTTP2_STREAM",
    97: "CURLE_PROXY",
}

_ESCAPES = {
    ord("\\"): b"\\\\",
    ord('"'): b'\\"',
    ord("\n"): b"\\n",
    ord("\r"): b"\\r",
    ord("\t"): b"\\t",
    ord("\v"): b"\\v",
}


def config_quote(value: bytes) -> bytes:
    """``value`` as a double-quoted curl config string: the same bytes once curl has read it.

    Raises ``ValueError`` for a NUL byte, which no curl config (or command line) can carry.
    """
    if b"\0" in value:
        raise ValueError("the value holds a NUL byte, which curl cannot send in a header")
    return b'"' + b"".join(_ESCAPES.get(byte, bytes([byte])) for byte in value) + b'"'


def parse_header_block(raw: bytes) -> dict[str, str]:
    """The headers of the last response in a ``--dump-header`` file (after any 1xx or proxy CONNECT)."""
    blocks = [b for b in raw.replace(b"\r\n", b"\n").split(b"\n\n") if b.strip()]
    if not blocks:
        return {}
    headers: dict[str, str] = {}
    for line in blocks[-1].split(b"\n")[1:]:
        name, sep, value = line.partition(b":")
        if sep:
            headers[name.decode("latin-1").strip().lower()] = value.decode("latin-1").strip()
    return headers


def curl_ca_lines(choice: CaChoice) -> list[bytes]:
    """``cacert``/``capath`` config lines for curl under ``choice`` (curl runs with ``-q``: a .curlrc's CA
    setting reaches it only through here)."""
    lines: list[bytes] = []
    for variable, path in choice.files:
        directory = variable == "SSL_CERT_DIR" or variable.startswith("capath")
        lines.append((b"capath = " if directory else b"cacert = ") + config_quote(path.encode()))
        if not directory and variable != "SSL_CERT_FILE":
            break  # CURL_CA_BUNDLE or a .curlrc cacert: the one bundle curl uses
    return lines


def parse_status_line(raw: bytes) -> int | None:
    """The status of the last response in a ``--dump-header`` file (``None`` when there is none)."""
    blocks = [b for b in raw.replace(b"\r\n", b"\n").split(b"\n\n") if b.strip()]
    if not blocks:
        return None
    parts = blocks[-1].split(b"\n", 1)[0].split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() and len(parts[1]) == 3 else None


def _max_time(timeout: float) -> float:
    """curl's ``max-time`` for a request timeout (curl is given at least a second)."""
    return max(1.0, timeout)


#: How long past its max-time a curl may run before the adapter stops it.
_STUCK_S = 1.5


async def _read_capped(stream: asyncio.StreamReader | None, limit: int) -> tuple[bytes, bool]:
    """At most ``limit`` bytes of ``stream``; ``True`` when there was more."""
    if stream is None:
        return b"", False
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await stream.read(1 << 16)
        if not chunk:
            return b"".join(chunks), False
        if size + len(chunk) > limit:
            chunks.append(chunk[: limit - size])
            return b"".join(chunks), True
        size += len(chunk)
        chunks.append(chunk)


def _write_out(err: bytes) -> tuple[dict[str, Any], str]:
    """curl's ``%{json}`` write-out (the last JSON object on stderr) and the rest of stderr."""
    text = err.decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    start = text.rfind('{"')
    while start >= 0:
        try:
            meta, _ = decoder.raw_decode(text, start)
        except ValueError:
            meta = None
        if isinstance(meta, dict):
            return meta, text[:start].strip()
        start = text.rfind('{"', 0, start)
    return {}, text.strip()


@functools.cache
def curl_version(path: str) -> str:
    """What ``curl --version`` says its version is (asked once per program: a run may ask early, beside
    discovery, and the probe then does not wait for it)."""
    try:
        done = subprocess.run([path, "--version"], capture_output=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    first = done.stdout.decode("utf-8", "replace").split()
    return first[1] if len(first) > 1 else "unknown"


class CurlClient(Client):
    """``curl --config -`` per attempt; ``start`` finds curl and its version or says how to get it."""

    name = "curl"

    def __init__(self, executable: str | None = None, *, trust: CaChoice | None = None) -> None:
        """``trust``: what curl would trust in the investigated environment (``CURL_CA_BUNDLE``, ``SSL_CERT_*``,
        a .curlrc's ``cacert``); without it, what curl finds in KeyLab's own environment."""
        self._executable = executable
        self._trust = trust
        self._path: str | None = None
        self.version = ""

    async def start(self) -> None:
        path = self._executable or shutil.which("curl")
        if not path:
            raise ClientUnavailable(
                "the curl client was asked for, but no curl program is on PATH",
                "install curl (Debian/Ubuntu: apt-get install curl; macOS has it) or leave 'curl' out of --client",
            )
        self.version = await asyncio.to_thread(curl_version, path)
        self._path = path

    def _config(self, attempt: Attempt, credential: Credential, folder: Path, timeout: float) -> bytes:
        url = attempt.base_url.rstrip("/") + request_path(attempt)
        lines = [
            b"url = " + config_quote(url.encode()),
            b"request = " + config_quote(attempt.method.encode()),
            b"dump-header = " + config_quote(str(folder / "headers").encode()),
            b"max-time = " + str(_max_time(timeout)).encode(),
            b"connect-timeout = " + str(min(5.0, timeout)).encode(),
            b"silent",
            b"show-error",
        ]
        if self._trust is not None:
            lines.extend(curl_ca_lines(self._trust))
        if not proxies_apply(attempt.base_url):
            lines.append(b'noproxy = "*"')  # the gate: a key in cleartext, or for loopback, never goes to a proxy
        for name, value in auth_headers(attempt.auth_style, secret_bytes(credential)):
            lines.append(b"header = " + config_quote(name + b": " + value))
        if attempt.api_version:
            lines.append(b"header = " + config_quote(b"anthropic-version: " + attempt.api_version.encode()))
        body = request_body(attempt)
        if body is not None:
            lines.append(b"header = " + config_quote(b"content-type: application/json"))
            lines.append(b"data-binary = " + config_quote(body))
        return b"\n".join(lines) + b"\n"

    def _child_env(self, base_url: str) -> dict[str, str]:
        """The one sanitised child environment (``kit.guard.childenv``), less the CA variables when the trust is
        chosen for curl (it is in the config then)."""
        env = child_environment(os.environ, proxied=proxies_apply(base_url))
        if self._trust is None:
            return env
        return {k: v for k, v in env.items() if k not in CA_VARIABLES}

    async def exchange(self, attempt: Attempt, credential: Credential, timeout: float) -> Reply:
        if self._path is None:
            await self.start()
        assert self._path is not None
        style = "x-api-key" if attempt.auth_style == "default" else attempt.auth_style
        common: dict[str, Any] = {
            "user_agent": f"curl/{self.version}",
            "sent_auth_style": style,
            "sent_version": attempt.api_version or "",
        }
        folder = private_temp_dir("keylab-curl-")  # 0700, only we can read it; removed even on SIGTERM
        began = time.perf_counter()
        try:
            try:
                config = self._config(attempt, credential, folder, timeout)
            except ValueError as exc:
                return Reply(transport_error="CURLE_BAD_HEADER", error_message=str(exc), **common)
            proc = await asyncio.create_subprocess_exec(
                # -q first: no ~/.curlrc, so the request is exactly what the config says
                self._path,
                "-q",
                "--config",
                "-",
                "--write-out",
                "%{stderr}%{json}",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self._child_env(attempt.base_url),
            )
            try:
                bound = _max_time(timeout) + _STUCK_S  # if curl outlives its own max-time
                async with asyncio.timeout(bound):
                    body, too_large, err = await _talk(proc, config)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
                return Reply(
                    transport_error="CURLE_OPERATION_TIMEDOUT",
                    error_message=f"curl did not end within {bound:g} s (past its max-time): stopped",
                    latency_ms=(time.perf_counter() - began) * 1000,
                    **common,
                )
            except asyncio.CancelledError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
                raise
            latency = (time.perf_counter() - began) * 1000
            return _reply(proc.returncode or 0, body, too_large, err, folder, latency, common)
        finally:
            remove(folder)


async def _talk(proc: asyncio.subprocess.Process, config: bytes) -> tuple[bytes, bool, bytes]:
    """Send the config, read the body (bounded) and stderr; stop curl once the body passes the limit."""
    assert proc.stdin is not None
    with contextlib.suppress(ConnectionError):
        proc.stdin.write(config)
        await proc.stdin.drain()
    proc.stdin.close()
    errors = asyncio.ensure_future(_read_capped(proc.stderr, _STDERR_LIMIT))
    body, too_large = await _read_capped(proc.stdout, MAX_BODY_BYTES)
    if too_large:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await _discard(proc.stdout)
    err, more = await errors
    if more:
        await _discard(proc.stderr)
    await proc.wait()
    return body, too_large, err


async def _discard(stream: asyncio.StreamReader | None) -> None:
    """Read ``stream`` to its end and drop it. asyncio's ``Process.wait()`` returns only once every pipe has
    closed, and a pipe whose reader stopped past its limit stays paused, never seeing the end: the wait then
    lasted until the attempt's outer bound, and a too-large answer read as a timeout (one run in twenty)."""
    while stream is not None and await stream.read(1 << 16):
        pass


def _reply(
    code: int, body: bytes, too_large: bool, err: bytes, folder: Path, latency: float, common: dict[str, Any]
) -> Reply:
    meta, message = _write_out(err)
    dump = b""
    if (folder / "headers").exists():
        with (folder / "headers").open("rb") as fh:
            dump = fh.read(_HEADERS_LIMIT)
    status = int(meta.get("response_code") or meta.get("http_code") or 0) or parse_status_line(dump)
    headers = parse_header_block(dump)
    total = meta.get("time_total")
    latency_ms = float(total) * 1000 if isinstance(total, int | float) and total else latency
    if too_large:  # curl was stopped by us: what it had received is the answer, cut at the limit
        return Reply(status=status, headers=headers, body=body, too_large=True, latency_ms=latency, **common)
    exit_code = int(meta.get("exitcode", code) or code)
    if exit_code == 0 and status is not None:
        return Reply(status=status, headers=headers, body=body, latency_ms=latency_ms, **common)
    name = CURL_ERRORS.get(exit_code, f"CURLE_{exit_code}")
    said = str(
        meta.get("errormsg") or message.removeprefix(f"curl: ({exit_code})").strip() or f"curl exited with {exit_code}"
    )
    return Reply(
        status=status,
        headers=headers if status else {},
        body=body if status else b"",
        transport_error=name,
        error_message=f"curl: ({exit_code}) {said}",
        latency_ms=latency_ms,
        **common,
    )
