"""Who really answered: the API itself, or a gateway, proxy, WAF or captive portal on the way.

A 401 is only the API's verdict if the API gave it. The API's answers carry its signature: a
``request-id`` header of the ``req_…`` form (also in newer error bodies as ``request_id``), an
``anthropic-organization-id`` header when a key was recognised, and for errors the envelope
``{"type":"error","error":{"type":…,"message":…}}``. Anything else was produced by something on
the path (docs/reference/anthropic-auth.md §1, §10; docs/reference/root-causes.md C16-C18, C22):

- ``proxy``: a forward proxy spoke for itself (407, ``Proxy-Authenticate``, a proxy error page).
- ``html-proxy``: a web page or redirect instead of JSON: WAF block pages, captive portals, login walls.
- ``gateway``: JSON in a foreign shape, or the API's shape without its signature (LiteLLM, a relay).
- ``region-block``: the edge's bare ``{"error":{"type":"forbidden","message":"Request not allowed"}}``.
- ``unknown``: an answer with no signature either way (an empty 401, plain text).
- ``none``: no HTTP answer at all.

``explain_responder`` returns the same verdict with the reasons, for tables and findings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from kit.catalog import catalog

__all__ = ["FOREIGN", "RESPONDERS", "explain_responder", "identify_responder", "parse_error"]

#: The verdicts, in the words the attempt rows use.
RESPONDERS = ("anthropic", "gateway", "html-proxy", "region-block", "proxy", "unknown", "none")
#: Verdicts that mean something other than the API produced the answer.
FOREIGN = frozenset({"gateway", "html-proxy", "region-block", "proxy"})

# Headers and server names that forward proxies and inspection boxes add to their own answers.
_PROXY_HEADERS = ("proxy-authenticate", "x-squid-error", "x-zscaler-error", "x-bluecoat-via", "x-proxy-error")
_PROXY_SERVERS = re.compile(
    r"squid|zscaler|bluecoat|proxysg|fortigate|mcafee web gateway|websense|forcepoint|"
    r"privoxy|tinyproxy|ziproxy|proxy\.py|mitmproxy|charles|fiddler",
    re.IGNORECASE,
)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _json(body: bytes | str) -> Any:
    try:
        if isinstance(body, bytes):
            body = body.decode("utf-8-sig", "replace")
        return json.loads(body)
    except (ValueError, TypeError, RecursionError):  # 50,000 nested arrays from a hostile server: not evidence
        return None


def _title(body: bytes) -> str:
    match = _TITLE.search(body[:20000])
    if not match:
        return ""
    return " ".join(match.group(1).decode("utf-8", "replace").split())[:80]


def explain_responder(status: int | None, headers: Mapping[str, str], body: bytes | str) -> tuple[str, tuple[str, ...]]:
    """``(verdict, reasons)`` for one HTTP answer; the verdict is one of ``RESPONDERS``."""
    if status is None:
        return "none", ("no HTTP answer",)
    h = _lower(headers)
    raw = body.encode("utf-8", "replace") if isinstance(body, str) else (body or b"")
    data = _json(raw)
    pattern = catalog().request_id_pattern
    header_id = h.get("request-id", "")
    body_id = data.get("request_id") if isinstance(data, dict) else None
    has_header_id = bool(re.match(pattern, header_id))
    has_body_id = isinstance(body_id, str) and bool(re.match(pattern, body_id))
    has_org = bool(h.get("anthropic-organization-id"))
    signature: list[str] = []
    if has_header_id:
        signature.append(f"request-id {header_id}")
    elif header_id:
        signature.append(f"request-id {header_id[:40]!r} is not of the API's req_ form")
    if has_body_id:
        signature.append(f"body request_id {body_id}")
    if has_org:
        signature.append("anthropic-organization-id header")
    signed = has_header_id or has_body_id or has_org
    content_type = h.get("content-type", "").lower()

    if status == 407:
        challenge = (f"Proxy-Authenticate: {h['proxy-authenticate'][:60]}",) if "proxy-authenticate" in h else ()
        return "proxy", ("407 Proxy Authentication Required: a proxy wants its own credentials", *challenge)
    proxy_marks = [name for name in _PROXY_HEADERS if name in h]
    server = h.get("server", "")
    if not signed and (proxy_marks or _PROXY_SERVERS.search(server) or _PROXY_SERVERS.search(h.get("via", ""))):
        marks = proxy_marks + ([f"server: {server}"] if server else []) + ([f"via: {h['via']}"] if "via" in h else [])
        return "proxy", (f"the answer comes from a proxy ({', '.join(marks)})", "no request-id of the req_ form")

    if isinstance(data, dict):
        error = data.get("error")
        if status == 403 and isinstance(error, dict) and error.get("type") == "forbidden" and data.get("type") is None:
            return "region-block", (
                "403 with the edge's bare forbidden body (no envelope, no request id): "
                f"{str(error.get('message', ''))[:80]!r}",
            )
        envelope = data.get("type") == "error" and isinstance(error, dict) and "type" in error
        if envelope and signed:
            return "anthropic", ("the API's error envelope", *signature)
        if not envelope and 200 <= status < 300 and signed:
            return "anthropic", ("a 2xx JSON answer", *signature)
        if envelope:
            return "gateway", (
                "the API's error envelope but no request-id: a relay or gateway imitating it",
                *signature,
            )
        keys = ", ".join(sorted(str(k) for k in data)[:6])
        return "gateway", (f"JSON in a foreign shape (keys: {keys})", *(signature or ["no request-id"]))
    if 300 <= status < 400 and "location" in h and not signed:
        return "html-proxy", (f"{status} redirect to {h['location'][:80]}: a captive portal or login wall",)
    is_html = "text/html" in content_type or b"<html" in raw[:2000].lower() or b"<!doctype html" in raw[:200].lower()
    if is_html:
        title = _title(raw)
        return "html-proxy", (
            f"an HTML page{f' titled {title!r}' if title else ''} instead of JSON",
            *(signature or ["no request-id"]),
        )
    if signed:
        return "anthropic", ("not JSON, but carries the API's signature", *signature)
    if status == 401 and "www-authenticate" in h:
        return "gateway", (f"401 asking for its own auth (WWW-Authenticate: {h['www-authenticate'][:40]})",)
    return "unknown", (f"{status} with {content_type or 'no content type'} and no request-id",)


def identify_responder(status: int | None, headers: Mapping[str, str], body: bytes | str) -> str:
    """Classify the responder of one HTTP answer (see ``RESPONDERS``)."""
    return explain_responder(status, headers, body)[0]


def parse_error(body: bytes | str) -> tuple[str | None, str | None]:
    """``(error.type, error.message)`` from an error body of any shape, or ``(None, None)``."""
    data = _json(body)
    if not isinstance(data, dict):
        return None, None
    error = data.get("error")
    if isinstance(error, dict):
        etype = error.get("type") or error.get("code")
        message = error.get("message")
        return (str(etype) if etype is not None else None, str(message) if message is not None else None)
    if isinstance(error, str):
        description = data.get("error_description")  # OAuth style: a code plus a description
        return (error, description) if isinstance(description, str) else (None, error)
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict) and "message" in errors[0]:
        return None, str(errors[0]["message"])
    for key in ("detail", "message", "msg"):
        value = data.get(key)
        if isinstance(value, str):
            return None, value
        if isinstance(value, list) and value and isinstance(value[0], dict) and "msg" in value[0]:
            return None, str(value[0]["msg"])  # FastAPI validation errors
    return None, None
