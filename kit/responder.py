"""Who really answered: the API itself, or a gateway, proxy, WAF or captive portal on the way.

A 401 is only the API's verdict if the API gave it. The API's answers carry a ``request-id`` of the
``req_…`` form and, for errors, the ``{"type":"error","error":{...}}`` envelope; anything else was
produced by something on the path (anthropic-auth-facts.md §1, root-causes.md C16-C18, C22).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from kit.catalog import catalog

__all__ = ["RESPONDERS", "identify_responder", "parse_error"]

#: The verdicts, in the words the attempt rows use.
RESPONDERS = ("anthropic", "gateway", "html-proxy", "region-block", "proxy", "unknown", "none")


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _json(body: bytes | str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, TypeError):
        return None


def identify_responder(status: int | None, headers: Mapping[str, str], body: bytes | str) -> str:
    """Classify the responder of one HTTP answer (see ``RESPONDERS``)."""
    if status is None:
        return "none"
    h = _lower(headers)
    request_id = h.get("request-id", "")
    has_api_id = bool(re.match(catalog().request_id_pattern, request_id))
    data = _json(body)
    if status == 407:
        return "proxy"
    if isinstance(data, dict):
        error = data.get("error")
        if (status == 403 and isinstance(error, dict) and error.get("type") == "forbidden"
                and data.get("type") is None):
            return "region-block"
        if data.get("type") == "error" and isinstance(error, dict) and has_api_id:
            return "anthropic"
        if 200 <= status < 300 and has_api_id:
            return "anthropic"
        return "gateway"
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if "<html" in text[:2000].lower() or "text/html" in h.get("content-type", ""):
        return "html-proxy"
    if has_api_id:
        return "anthropic"
    return "unknown"


def parse_error(body: bytes | str) -> tuple[str | None, str | None]:
    """``(error.type, error.message)`` from an error body of any shape, or ``(None, None)``."""
    data = _json(body)
    if not isinstance(data, dict):
        return None, None
    error = data.get("error")
    if isinstance(error, dict):
        etype = error.get("type")
        message = error.get("message")
        return (str(etype) if etype is not None else None, str(message) if message is not None else None)
    if isinstance(error, str):
        return None, error
    for key in ("detail", "message"):
        if isinstance(data.get(key), str):
            return None, str(data[key])
    return None, None
