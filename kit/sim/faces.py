"""What the OpenAI and Gemini faces share: their error envelopes, key masking, credentials and ``run_checks``.

A scenario's ``[api] provider`` picks the face; ``kit.sim.decide`` hands non-Anthropic requests to that face's
ordered checks through ``run_checks`` (``kit.sim.openai_face.CHECKS``,
``kit.sim.gemini_face.CHECKS``; both orders are in their module docstrings and docs/simulator.md).
Every text comes from ``data/catalog/provider_errors.toml`` through ``kit.providers``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kit.providers import provider_error
from kit.sim.accesslog import describe_credentials, describe_others, for_provider
from kit.sim.answers import Answer

if TYPE_CHECKING:
    from kit.sim.request import Request

__all__ = [
    "GOOGLE_FRONT_END",
    "describe_face_request",
    "face_credentials",
    "gemini_error",
    "mask_key",
    "openai_error",
    "run_checks",
]

#: Response headers of Google's front end (docs/reference/openai-gemini-auth.md §13); no request id (assumption).
GOOGLE_FRONT_END: tuple[tuple[str, str], ...] = (
    ("vary", "Origin, X-Origin, Referer"),
    ("x-xss-protection", "0"),
    ("x-frame-options", "SAMEORIGIN"),
    ("x-content-type-options", "nosniff"),
    ("server-timing", "gfet4t7; dur=12"),
    ("alt-svc", 'h3=":443"; ma=2592000,h3-29=":443"; ma=2592000'),
)
OPENAI_JSON = "application/json; charset=utf-8"
GEMINI_JSON = "application/json; charset=UTF-8"


def mask_key(value: str) -> str:
    """How OpenAI echoes a refused key: first 8, ``*`` for the middle, last 4 (length kept); short values as sent.

    docs/reference/openai-gemini-auth.md §5; the cut-off for short values is assumption ``openai-short-key-cutoff``.
    """
    if len(value) <= 12:
        return value
    return value[:8] + "*" * (len(value) - 12) + value[-4:]


def openai_error(error_id: str, check: str, *, headers: tuple[tuple[str, str], ...] = (), **fields: object) -> Answer:
    """An OpenAI rejection: ``{"error": {"message", "type", "param", "code"}}`` and an ``x-request-id``."""
    spec = provider_error(error_id)
    error = {"message": spec.render(**fields), "type": spec.type or None, "param": None, "code": spec.code or None}
    return Answer(
        status=spec.status,
        body=json.dumps({"error": error}, indent=4).encode(),
        headers=headers,
        content_type=OPENAI_JSON,
        check=check,
        error_id=error_id,
        id_header="x-request-id",
    )


def error_info(reason: str, metadata: dict[str, str]) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": "googleapis.com",
        "metadata": metadata,
    }


def localized(message: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.LocalizedMessage", "locale": "en-US", "message": message}


def gemini_error(
    error_id: str,
    check: str,
    *,
    details: list[dict[str, Any]] | None = None,
    metadata: dict[str, str] | None = None,
    headers: tuple[tuple[str, str], ...] = (),
    **fields: object,
) -> Answer:
    """A Gemini rejection in the google.rpc.Status envelope, pretty-printed with two spaces as the API does.

    With a reason (the catalog's ``code``) and no explicit ``details``, the details are the ErrorInfo
    and the LocalizedMessage of 2026 bodies (docs/reference/openai-gemini-auth.md §12).
    """
    spec = provider_error(error_id)
    message = spec.render(**fields)
    error: dict[str, Any] = {"code": spec.status, "message": message, "status": spec.type}
    if details is None and spec.code:
        meta = {"service": "generativelanguage.googleapis.com"} | (metadata or {})
        details = [error_info(spec.code, meta), localized(message)]
    if details:
        error["details"] = details
    return Answer(
        status=spec.status,
        body=json.dumps({"error": error}, indent=2).encode(),
        headers=GOOGLE_FRONT_END + headers,
        content_type=GEMINI_JSON,
        request_id=False,
        check=check,
        error_id=error_id,
    )


def face_credentials(req: Request, provider: str) -> tuple[tuple[str, str], ...]:
    """Gemini's credential places besides Authorization: the ``x-goog-api-key`` header and ``?key=``."""
    if provider != "gemini":
        return ()
    found: list[tuple[str, str]] = []
    header = req.headers.get("x-goog-api-key")
    if header is not None:
        found.append(("x-goog-api-key", header))
    query = req.query.get("key")
    if query is not None:
        found.append(("query:key", query))
    return tuple(found)


def describe_face_request(req: Request, provider: str) -> str:
    """The capture responder's sentence: where each credential arrived, as hint and fingerprint, and the client."""
    creds = for_provider(
        describe_others(face_credentials(req, provider)) + describe_credentials(None, req.authorization), provider
    )
    shown = " | ".join(c.describe() for c in creds) or "no credential"
    extra = ""
    if provider == "openai":
        extra = (
            f"; openai-organization {req.headers.get('openai-organization') or '(none)'}; "
            f"openai-project {req.headers.get('openai-project') or '(none)'}"
        )
    return (
        f"KeyLab capture: nothing was forwarded. {req.method} {req.path} arrived with {shown}{extra}; "
        f"user-agent {req.user_agent or '(none)'}."
    )


def run_checks(checks: tuple[tuple[str, Callable[[Any], Answer | None]], ...], view: Any, truncated: bool) -> Answer:
    """Run a face's checks in order; the first answer wins and is named after its check."""
    for name, check in checks:
        answer = check(view)
        if answer is not None:
            if answer.status and truncated:
                return replace(answer, kind="truncated", check=name)
            return replace(answer, check=name) if answer.check != name else answer
    raise AssertionError("the endpoint check always answers")  # pragma: no cover
