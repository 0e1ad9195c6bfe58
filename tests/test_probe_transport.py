"""Transport failures become rows with a transport error class, never exceptions: through every client.

Refused port, reset, timeout, TLS failure, non-JSON answers and truncated bodies, each on loopback:
the simulator's faults for reset and truncation, a closed port, a silent socket, a socket that
answers garbage, and the simulator over TLS with a CA nobody trusts.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import threading
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from subprocess import PIPE

from kit.catalog import DATA_DIR
from kit.guard.limits import MAX_BODY_BYTES
from kit.keys.credential import Credential
from kit.probe.clients.base import transport_family
from kit.probe.engine import probe
from kit.sim import serve
from kit.testing import fake_key

CLIENTS = ("httpx2", "sdk-python", "curl") if shutil.which("curl") else ("httpx2", "sdk-python")


def _rows(url: str, tmp_path: Path, timeout: float = 3.0):
    run = probe(
        [Credential("alpha", fake_key("alpha"), "test")],
        base_url=url,
        clients=CLIENTS,
        plan="full",
        run_dir=tmp_path,
        progress=None,
        timeout=timeout,
    )
    assert {r.client for r in run.results} == set(CLIENTS)
    return run.results


def _faulty(**faults: float) -> dict:
    with (DATA_DIR / "scenarios" / "healthy.toml").open("rb") as fh:
        data = tomllib.load(fh)
    data["faults"] = {**faults, "seed": 1}
    return data


@contextmanager
def _socket_server(reply: bytes | None) -> Iterator[str]:
    """A loopback TCP server: ``reply`` is sent after the request arrives (``None``: never answer)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve_forever() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            if reply is not None:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(reply)
                except OSError:
                    pass
                conn.close()

    thread = threading.Thread(target=serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def _assert_transport(rows, family: str | tuple[str, ...]) -> None:
    families = (family,) if isinstance(family, str) else family
    for row in rows:
        assert row.outcome == "transport", (row.client, row.status, row.transport_error)
        assert row.transport_error, row.client
        assert transport_family(row.transport_error) in families, (row.client, row.transport_error)
        assert row.error_message, row.client


def test_refused_port(tmp_path: Path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    rows = _rows(f"http://127.0.0.1:{port}", tmp_path)
    _assert_transport(rows, "connect")
    assert all(r.status is None and r.responder == "none" for r in rows)


def test_reset_connection(tmp_path: Path):
    with serve(_faulty(reset=1.0)) as server:  # type: ignore[arg-type]
        rows = _rows(server.url, tmp_path)
    _assert_transport(rows, ("reset", "protocol"))


def test_timeout(tmp_path: Path):
    with _socket_server(None) as url:
        rows = _rows(url, tmp_path, timeout=0.5)
    _assert_transport(rows, "timeout")
    sdk = next(r for r in rows if r.client == "sdk-python")
    assert sdk.client_error and sdk.client_error.startswith("APITimeoutError")


def test_tls_failure(tmp_path: Path):
    with serve("healthy", tls=True) as server:  # a throwaway CA that no client trusts
        rows = _rows(server.url, tmp_path, timeout=5)
        assert server.entries() == []  # the key never crossed the unverified connection
    _assert_transport(rows, "tls")


def test_garbage_instead_of_http(tmp_path: Path):
    with _socket_server(b"SSH-2.0-OpenSSH_9.2 not an HTTP server\r\n\r\n") as url:
        rows = _rows(url, tmp_path)
    _assert_transport(rows, ("protocol", "reset"))


def test_http_answer_that_is_not_json(tmp_path: Path):
    body = b"upstream connect error or disconnect/reset before headers"
    reply = (
        b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: close\r\n\r\n"
        + body
    )
    with _socket_server(reply) as url:
        rows = _rows(url, tmp_path)
    _assert_transport(rows, "decode")
    assert all(r.status == 503 and r.transport_error == "JSONDecodeError" for r in rows)
    assert all("not JSON" in (r.error_message or "") for r in rows)


def test_truncated_body(tmp_path: Path):
    with serve(_faulty(truncated=1.0)) as server:  # type: ignore[arg-type]
        rows = _rows(server.url, tmp_path)
    _assert_transport(rows, ("protocol", "reset", "decode"))
    assert all(r.status == 200 for r in rows if r.client != "sdk-python")  # the headers had arrived


def test_curl_stopped_past_the_limit_is_waited_for_at_once_however_its_pipe_was_left() -> None:
    """A killed curl's stdout still held data; asyncio waits for every pipe to close, and the reader had
    stopped (paused) past the limit, so the wait lasted until the attempt's outer bound and a too-large
    answer read as CURLE_OPERATION_TIMEDOUT (one hostile run in twenty). A 1 MiB pipe makes the pause sure."""
    import sys

    from kit.probe.clients.curl import _talk

    writer = (
        "import fcntl, sys\n"
        "fcntl.fcntl(1, 1031, 1 << 20)  # F_SETPIPE_SZ\n"
        "while True:\n"
        "    sys.stdout.buffer.write(b'x' * (1 << 20))\n"
    )

    async def once() -> tuple[int, bool]:
        proc = await asyncio.create_subprocess_exec(sys.executable, "-c", writer, stdin=PIPE, stdout=PIPE, stderr=PIPE)
        try:
            body, too_large, _ = await asyncio.wait_for(_talk(proc, b"config\n"), 5)
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
        return len(body), too_large

    async def many() -> list[tuple[int, bool]]:
        return [await once() for _ in range(6)]

    assert asyncio.run(many()) == [(MAX_BODY_BYTES, True)] * 6
