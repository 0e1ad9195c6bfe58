"""What the simulator says: answer values, the API's error envelope, request ids and response headers.

``decide`` returns an ``Answer`` (a value); the server turns it into bytes. Error strings never live
here: they come from ``data/catalog/errors.toml`` through ``kit.catalog``, so a corrected fact is
corrected in one place.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import string
from dataclasses import dataclass, field
from typing import Any

from kit.catalog import catalog

__all__ = [
    "Answer",
    "api_error",
    "error_body",
    "json_answer",
    "new_message_id",
    "new_openai_request_id",
    "new_request_id",
]

_ALPHABET = string.ascii_letters + string.digits
_rng = random.SystemRandom()


def new_request_id() -> str:
    """A request id of the form the API sends: ``req_011C`` and 20 base-62 characters (28 characters in all)."""
    return "req_011C" + "".join(_rng.choices(_ALPHABET, k=20))


def new_openai_request_id() -> str:
    """An OpenAI request id: ``req_`` and 32 lower-case hex digits (docs/reference/openai-gemini-auth.md §6)."""
    return "req_" + "".join(_rng.choices("0123456789abcdef", k=32))


def new_message_id() -> str:
    return "msg_01" + "".join(_rng.choices(_ALPHABET, k=22))


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, before request ids and timing headers are added by the server.

    ``kind`` tells the server how to deliver it: ``json`` (a body), ``sse`` (a message stream whose
    events are in ``events``), ``reset`` (drop the connection) or ``truncated`` (send half the body).
    ``check`` names the decision step that produced it (docs/simulator.md lists them) and
    ``error_id`` the catalog error, for the access log and for tests.
    """

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()
    content_type: str = "application/json"
    request_id: bool = True  # the API's answers carry request-id; foreign responders do not
    org_uuid: str | None = None
    kind: str = "json"
    check: str = ""
    error_id: str | None = None
    events: tuple[tuple[str, dict[str, Any] | str], ...] = field(default=(), repr=False)  # name "": data only
    id_header: str = "request-id"  # x-request-id for the OpenAI face

    def with_kind(self, kind: str, check: str) -> Answer:
        return Answer(
            self.status,
            self.body,
            self.headers,
            self.content_type,
            self.request_id,
            self.org_uuid,
            kind,
            check,
            self.error_id,
            self.events,
            self.id_header,
        )


def _dumps(data: Any) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


def error_body(
    error_type: str,
    message: str,
    *,
    envelope: str = "api",
    request_id: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON of an error: the API envelope (``type``, ``error``, ``request_id``) or the bare edge form."""
    error: dict[str, Any] = {"type": error_type, "message": message}
    if details is not None:
        error["details"] = details
    if envelope == "bare":
        return {"error": error}
    return {"type": "error", "error": error, "request_id": request_id}


REQUEST_ID_PLACEHOLDER = "@@request_id@@"


def api_error(
    error_id: str,
    check: str,
    *,
    org_uuid: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
    details: dict[str, Any] | None = None,
    **fields: object,
) -> Answer:
    """The catalog's error ``error_id`` as an answer (the request id is filled in by the server)."""
    spec = catalog().error(error_id)
    body = error_body(
        spec.type, spec.render(**fields), envelope=spec.envelope, request_id=REQUEST_ID_PLACEHOLDER, details=details
    )
    return Answer(
        status=spec.status,
        body=_dumps(body),
        headers=headers,
        org_uuid=org_uuid,
        check=check,
        error_id=error_id,
        request_id=spec.envelope == "api",
    )


def json_answer(
    data: Any,
    *,
    status: int = 200,
    org_uuid: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
    check: str = "ok",
) -> Answer:
    return Answer(status=status, body=_dumps(data), headers=headers, org_uuid=org_uuid, check=check)


def rfc3339(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_time(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"
