""" "Another host" for tests, without the network: a private network namespace and listeners that record bytes.

A test that must show a key does *not* reach some host runs KeyLab inside a network namespace it makes
itself (``unshare --net``), where ``OTHER_HOST`` (a TEST-NET-style private address) is put on the
namespace's own loopback interface. Nothing sent there can leave the machine, and the machine's own
addresses are not even reachable from inside. ``Recorder`` listens on such an address and keeps every
byte it receives, so the test can search them for canaries.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

__all__ = [
    "ANSWER_401",
    "OTHER_HOST",
    "THIRD_HOST",
    "Recorder",
    "echo_key_answer",
    "netns_unavailable",
    "recorder",
    "redirect_answer",
    "run_in_netns",
]

#: The addresses other hosts have inside a test's namespace (never routed anywhere outside it).
OTHER_HOST = "10.200.0.2"
THIRD_HOST = "10.200.0.3"

_SETUP = f'ip link set lo up && ip addr add {OTHER_HOST}/32 dev lo && ip addr add {THIRD_HOST}/32 dev lo && exec "$@"'


def _unshare_argv() -> list[str]:
    import os

    argv = ["unshare", "--net"]
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        argv.append("--map-root-user")
    return argv


def netns_unavailable() -> str | None:
    """Why a private network namespace cannot be made here (``None`` when it can)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return "unshare or ip (util-linux, iproute2) is not installed"
    try:
        done = subprocess.run(
            [*_unshare_argv(), "sh", "-c", _SETUP, "sh", "true"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unshare --net failed: {exc}"
    if done.returncode != 0:
        return f"unshare --net is not permitted here: {done.stderr.strip()[:200]}"
    return None


def run_in_netns(
    argv: Sequence[str], *, timeout: float, env: dict[str, str] | None = None, cwd: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` inside a fresh network namespace whose loopback also holds ``OTHER_HOST``."""
    return subprocess.run(
        [*_unshare_argv(), "sh", "-c", _SETUP, "sh", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        cwd=cwd,
        check=False,
    )


ANSWER_401 = (
    b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\ncontent-length: 86\r\n"
    b"connection: close\r\n\r\n"
    b'{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}'
)


def redirect_answer(location: str, status: int = 307) -> bytes:
    """An HTTP answer that sends the client to ``location`` (a 307 keeps the method and, in some clients, headers)."""
    return (
        f"HTTP/1.1 {status} Temporary Redirect\r\nlocation: {location}\r\ncontent-length: 0\r\n"
        "connection: close\r\n\r\n"
    ).encode()


def echo_key_answer(request: bytes) -> bytes:
    """A hostile server's 401: the request's own x-api-key (or Authorization) copied into every field it fills."""
    key = b"none"
    for line in request.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() in (b"x-api-key", b"authorization"):
            key = value.strip()
            break
    text = key.decode("latin-1")
    body = (
        '{"type":"error","error":{"type":"' + text + '","message":"invalid x-api-key ' + text + '"},'
        '"request_id":"' + text + '"}'
    ).encode("latin-1")
    return (
        b"HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nrequest-id: "
        + key
        + b"\r\nanthropic-organization-id: "
        + key
        + b"\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: close\r\n\r\n"
        + body
    )


@dataclass
class Recorder:
    """A TCP listener that answers every connection with a 401 (over TLS if given) and keeps what it received."""

    host: str
    port: int = 0
    tls: ssl.SSLContext | None = None
    answer: bytes | Callable[[bytes], bytes] = ANSWER_401  # bytes, or made from the request's bytes
    received: list[bytes] = field(default_factory=list)
    connections: int = 0

    @property
    def data(self) -> bytes:
        return b"".join(self.received)


@contextlib.contextmanager
def recorder(
    host: str = OTHER_HOST,
    port: int = 0,
    tls: ssl.SSLContext | None = None,
    answer: bytes | Callable[[bytes], bytes] = ANSWER_401,
) -> Iterator[Recorder]:
    """Listen on ``host:port``; yield the ``Recorder`` (its ``port`` filled in); stop on exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(64)
    sock.settimeout(0.2)
    rec = Recorder(host=host, port=int(sock.getsockname()[1]), tls=tls, answer=answer)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        conn.settimeout(2.0)
        try:
            if rec.tls is not None:
                conn = rec.tls.wrap_socket(conn, server_side=True)
            chunks = b""
            while b"\r\n\r\n" not in chunks and len(chunks) < 1 << 20:
                piece = conn.recv(65536)
                if not piece:
                    break
                chunks += piece
            rec.received.append(chunks)
            conn.sendall(rec.answer(chunks) if callable(rec.answer) else rec.answer)
        except (OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            rec.connections += 1
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, name="keylab-recorder", daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        stop.set()
        thread.join(2)
        sock.close()
