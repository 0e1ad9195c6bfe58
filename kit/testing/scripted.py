"""An in-process scripted client for engine tests, as httpx ships ``MockTransport``.

``ScriptedTransport`` holds a script of answers and is given to the probe as its client factory, so
tests of scheduling, the budget, ``retry-after`` and resume run without sockets or the simulator::

    transport = ScriptedTransport([Answer.rate_limited("0.3"), Answer.ok()])
    run = probe(creds, base_url="http://127.0.0.1:9", client_factory=transport, run_dir=tmp, progress=None)
    assert [c.attempt_try for c in transport.calls] == [0, 1]

The script is one of:

- a sequence of ``Answer``: try ``n`` of every attempt gets answer ``n`` (the last one repeats);
- a mapping from key alias to such a sequence (aliases not named get ``Answer.ok()``);
- a function ``(attempt, try) -> Answer``, for anything else.

Answers look like the API's: a 2xx ``GET /v1/models`` lists models, errors come in the API's
envelope with a request id of its form, so rows classify exactly as they do against the real API.
Nothing is sent anywhere and no key is kept: a call records the attempt, never the credential.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from kit.keys.credential import Credential
from kit.probe.clients.base import Client, Reply
from kit.values import Attempt

__all__ = ["Answer", "Call", "ScriptedClient", "ScriptedTransport"]

#: Models a scripted ``GET /v1/models`` lists unless the answer names others.
DEFAULT_MODELS = ("claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-6")
#: The error type and message the API sends for each status (its envelope's ``error`` object).
_ERRORS = {
    400: ("invalid_request_error", "invalid request"),
    401: ("authentication_error", "invalid x-api-key"),
    403: ("permission_error", "Your API key does not have permission to use the specified resource."),
    404: ("not_found_error", "not found"),
    429: ("rate_limit_error", "Number of requests has exceeded your per-minute rate limit"),
    500: ("api_error", "Internal server error"),
    529: ("overloaded_error", "Overloaded"),
}


@dataclass(frozen=True)
class Answer:
    """One scripted answer: an HTTP status with headers and body, or a transport failure; after ``delay`` s."""

    status: int | None = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes | str | Mapping[str, object] | None = None  # None: the API's body for this status and endpoint
    delay: float = 0.0
    transport_error: str | None = None  # e.g. "ConnectTimeout": no HTTP answer at all
    error_message: str | None = None  # the transport error's message, or the API error's message
    models: tuple[str, ...] = DEFAULT_MODELS  # what a 2xx GET /v1/models lists

    @classmethod
    def ok(cls, *, models: tuple[str, ...] = DEFAULT_MODELS, delay: float = 0.0) -> Answer:
        return cls(200, models=models, delay=delay)

    @classmethod
    def rejected(cls, message: str = "invalid x-api-key", *, delay: float = 0.0) -> Answer:
        return cls(401, error_message=message, delay=delay)

    @classmethod
    def rate_limited(cls, retry_after: str | float | None = None, *, delay: float = 0.0) -> Answer:
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        return cls(429, headers=headers, delay=delay)

    @classmethod
    def failed(
        cls, transport_error: str = "ConnectTimeout", message: str = "timed out", *, delay: float = 0.0
    ) -> Answer:
        return cls(None, transport_error=transport_error, error_message=message, delay=delay)

    def reply(self, attempt: Attempt, request_id: str) -> Reply:
        """The ``Reply`` a client would have built from this answer to ``attempt``."""
        if self.status is None:
            return Reply(
                transport_error=self.transport_error or "TransportError",
                error_message=self.error_message or "no answer",
            )
        headers = {
            "content-type": "application/json",
            "request-id": request_id,
            **{k.lower(): v for k, v in self.headers.items()},
        }
        body = self.body if self.body is not None else self._api_body(attempt, request_id)
        raw = json.dumps(body) if isinstance(body, Mapping) else body
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
        return Reply(
            status=self.status,
            headers=headers,
            body=data,
            request_id=request_id,
            sent_auth_style=attempt.auth_style if attempt.auth_style != "default" else "x-api-key",
            sent_version=attempt.api_version or "",
            user_agent="keylab-scripted",
        )

    def _api_body(self, attempt: Attempt, request_id: str) -> Mapping[str, object]:
        if 200 <= (self.status or 0) < 300:
            if attempt.endpoint == "/v1/models":
                return {
                    "data": [{"type": "model", "id": m, "display_name": m} for m in self.models],
                    "has_more": False,
                    "first_id": self.models[0] if self.models else None,
                    "last_id": self.models[-1] if self.models else None,
                }
            if attempt.endpoint == "/v1/messages":
                return {
                    "type": "message",
                    "role": "assistant",
                    "model": attempt.model,
                    "content": [],
                    "usage": {"input_tokens": 8, "output_tokens": 1},
                }
            return {"input_tokens": 8}
        error_type, message = _ERRORS.get(self.status or 0, ("api_error", "error"))
        return {
            "type": "error",
            "error": {"type": error_type, "message": self.error_message or message},
            "request_id": request_id,
        }


@dataclass(frozen=True)
class Call:
    """One request a scripted client answered (never the key): which attempt, which try, when."""

    attempt_id: str
    key_alias: str
    client: str
    endpoint: str
    attempt_try: int  # 0 for the first send of this attempt, 1 for its first retry, ...
    at: float  # time.monotonic() when it arrived


Script = Sequence[Answer] | Mapping[str, Sequence[Answer]] | Callable[[Attempt, int], Answer]


class ScriptedTransport:
    """The script and the record of calls, shared by the clients it makes; pass it as ``client_factory``."""

    def __init__(self, script: Script = ()) -> None:
        self.script = script
        self.calls: list[Call] = []
        self._tries: Counter[str] = Counter()

    def __call__(self, name: str) -> ScriptedClient:
        return ScriptedClient(self, name)

    def answer(self, attempt: Attempt) -> Answer:
        """The answer for this attempt's next try, recorded as a call."""
        n = self._tries[attempt.attempt_id]
        self._tries[attempt.attempt_id] += 1
        self.calls.append(
            Call(attempt.attempt_id, attempt.key_alias, attempt.client, attempt.endpoint, n, time.monotonic())
        )
        script = self.script
        if callable(script):
            return script(attempt, n)
        answers = script.get(attempt.key_alias, ()) if isinstance(script, Mapping) else script
        if not answers:
            return Answer.ok()
        return answers[min(n, len(answers) - 1)]


class ScriptedClient(Client):
    """A client named like a real one (``httpx2``, ``sdk-node@…``) whose answers come from a script."""

    def __init__(self, transport: ScriptedTransport, name: str = "httpx2") -> None:
        self.transport = transport
        self.name = name
        self.version = "scripted"

    async def exchange(self, attempt: Attempt, credential: Credential, timeout: float) -> Reply:
        answer = self.transport.answer(attempt)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        serial = f"{attempt.attempt_id}|{len(self.transport.calls)}"
        request_id = "req_" + hashlib.sha256(serial.encode()).hexdigest()[:24]
        return answer.reply(attempt, request_id)
