"""The ``sdk-python`` client when the doctor's SDK process is up: the same SDK calls, sent from that process.

``kit.sources.sdk_process.SdkProcess`` already imported ``anthropic`` to say who wins; this adapter hands
each attempt to it (``kit.probe.clients.sdk_serve``), so the probe's rows are those of the in-process
``SdkPythonClient`` (the child runs exactly that class) and KeyLab's own process never imports the SDK.
"""

from __future__ import annotations

from kit.keys.credential import Credential
from kit.path.routing import CaChoice
from kit.probe.clients.base import Client, Reply, secret_bytes
from kit.probe.clients.sdk_serve import WORKER_ERROR, attempt_request, reply_from_line
from kit.sources.sdk_process import SdkProcess
from kit.values import Attempt

__all__ = ["SdkChildClient"]

#: How long past an attempt's own timeout the parent waits for the child's reply (the SDK bounds the call).
_GRACE_S = 5.0


class SdkChildClient(Client):
    """``anthropic.AsyncAnthropic`` (``max_retries=0``) in the doctor's SDK process, one reply line per attempt."""

    name = "sdk-python"

    def __init__(self, process: SdkProcess, *, max_connections: int = 32, trust: CaChoice | None = None) -> None:
        self._process = process
        self._max_connections = max(1, max_connections)
        self._trust = trust
        self.version = process.version

    async def exchange(self, attempt: Attempt, credential: Credential, timeout: float) -> Reply:
        secret = secret_bytes(credential)
        item = await self._process.request(
            lambda request_id: attempt_request(
                request_id, attempt, secret, timeout, trust=self._trust, max_connections=self._max_connections
            ),
            timeout + _GRACE_S,
        )
        if "worker_error" in item:
            return Reply(transport_error=WORKER_ERROR, error_message=str(item["worker_error"])[:400])
        return reply_from_line(item)
