"""The wire between the doctor and its one SDK process: attempts in, replies out, as JSON lines.

The parent (``kit.probe.clients.sdk_child_client``) writes one line per attempt: the attempt, the key's
bytes base64-encoded (never on a command line), the timeout and what the SDK trusts (a ``CaChoice``).
The child (``kit/sources/sdk_child.py --serve``) runs ``serve_requests``: each attempt goes through the
same ``SdkPythonClient`` the probe used in-process, concurrently, and its ``Reply`` comes back as one line
with the same id. Replies hold what the SDK got (status, headers, the bounded body, its exception's
message); the parent scrubs them like any other client's answer.

Encoding helpers are shared by both ends, so the two cannot drift; only ``serve_requests`` imports the SDK.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import threading
from collections.abc import Mapping
from typing import IO, Any

from kit.keys.credential import Credential
from kit.path.routing import CaChoice
from kit.probe.clients.base import Reply
from kit.values import Attempt

__all__ = ["attempt_request", "reply_from_line", "reply_line", "serve_requests"]

#: The failure class a reply carries when the SDK process itself failed (not the SDK or the network).
WORKER_ERROR = "SdkWorkerError"


def _ca_choice(data: Mapping[str, Any] | None) -> CaChoice | None:
    if not data:
        return None
    return CaChoice(
        client=str(data["client"]),
        store=str(data["store"]),
        files=tuple((str(a), str(b)) for a, b in data.get("files") or ()),
        ignored=tuple(str(x) for x in data.get("ignored") or ()),
        problems=tuple(str(x) for x in data.get("problems") or ()),
        verification_off=data.get("verification_off"),
    )


def attempt_request(
    request_id: int,
    attempt: Attempt,
    secret: bytes,
    timeout: float,
    *,
    trust: CaChoice | None,
    max_connections: int,
) -> bytes:
    """One request line for the child (ends in a newline)."""
    item = {
        "id": request_id,
        "attempt": dataclasses.asdict(attempt),
        "key_b64": base64.b64encode(secret).decode(),
        "timeout": timeout,
        "trust": dataclasses.asdict(trust) if trust is not None else None,
        "max_connections": max_connections,
    }
    return json.dumps(item).encode() + b"\n"


def reply_line(request_id: int, reply: Reply) -> bytes:
    """One reply line for the parent (ends in a newline); the body travels base64-encoded."""
    item = dataclasses.asdict(reply)
    item["headers"] = dict(reply.headers)
    item["body"] = base64.b64encode(reply.body).decode()
    item["id"] = request_id
    return json.dumps(item).encode() + b"\n"


_REPLY_FIELDS = {f.name for f in dataclasses.fields(Reply)}


def reply_from_line(item: Mapping[str, Any]) -> Reply:
    """The ``Reply`` a reply line carries (unknown fields ignored, so an older child still answers)."""
    fields = {k: v for k, v in item.items() if k in _REPLY_FIELDS}
    fields["body"] = base64.b64decode(str(item.get("body") or ""))
    fields["headers"] = {str(k): str(v) for k, v in dict(item.get("headers") or {}).items()}
    return Reply(**fields)


# ---------------------------------------------------------------- the child's side


class _Clients:
    """One ``SdkPythonClient`` per (trust, pool size), as the in-process probe had one per client."""

    def __init__(self) -> None:
        self._made: dict[str, Any] = {}

    def get(self, trust: Mapping[str, Any] | None, max_connections: int) -> Any:
        from kit.probe.clients.sdk_python import SdkPythonClient

        key = json.dumps([trust, max_connections], sort_keys=True)
        client = self._made.get(key)
        if client is None:
            client = self._made[key] = SdkPythonClient(max_connections=max_connections, trust=_ca_choice(trust))
        return client

    async def aclose(self) -> None:
        for client in self._made.values():
            await client.aclose()

    @staticmethod
    def warm(trust: Mapping[str, Any] | None) -> None:
        """Load the client's code and its CA bundle before the first request (the parent is still busy)."""
        from kit.probe.clients.sdk_python import SdkPythonClient  # noqa: F401 - the import is the point
        from kit.probe.clients.trust import ssl_context_for

        choice = _ca_choice(trust)
        if choice is not None:
            ssl_context_for(choice)


async def _answer(item: Mapping[str, Any], clients: _Clients, out: IO[bytes], lock: threading.Lock) -> None:
    request_id = int(item.get("id", -1))
    try:
        attempt = Attempt(**item["attempt"])
        credential = Credential(alias=attempt.key_alias, raw=base64.b64decode(item["key_b64"]))
        client = clients.get(item.get("trust"), int(item.get("max_connections") or 8))
        reply = await client.exchange(attempt, credential, float(item.get("timeout") or 20.0))
        reply = dataclasses.replace(reply, client_version=client.version)
    except Exception as exc:  # a bad line or a bug here is one failed row, never a dead process
        reply = Reply(transport_error=WORKER_ERROR, error_message=f"the SDK process failed: {type(exc).__name__}")
    with lock:
        out.write(reply_line(request_id, reply))
        out.flush()


async def _serve(source: IO[bytes], out: IO[bytes], trust: Mapping[str, Any] | None) -> None:
    _Clients.warm(trust)
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[bytes] = asyncio.Queue()

    def read() -> None:  # a thread: a blocking readline must not stop the requests in flight
        for line in iter(source.readline, b""):
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, b"")

    threading.Thread(target=read, name="keylab-sdk-stdin", daemon=True).start()
    clients, lock, tasks = _Clients(), threading.Lock(), set[asyncio.Task[None]]()
    try:
        while line := await lines.get():
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError:
                continue
            task = asyncio.create_task(_answer(item, clients, out, lock))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await clients.aclose()


def serve_requests(source: IO[bytes], out: IO[bytes], trust: Mapping[str, Any] | None = None) -> None:
    """Answer request lines from ``source`` on ``out`` until ``source`` ends (the child's main loop).

    ``trust`` (a ``CaChoice`` as a dict) is what the SDK will most likely trust: loaded before the first request.
    """
    asyncio.run(_serve(source, out, trust))
