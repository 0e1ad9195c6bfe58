"""Answers from something other than the API: a gateway, an HTML proxy, a region block, and the capture desk.

The first three reproduce what stands in the way in real life (docs/reference/root-causes.md C16-C18, C22): a
LiteLLM-style gateway's own JSON shape with no ``request-id``, an HTML error page, and the edge's
bare 403. The capture responder is KeyLab's own: it tells the caller what it received.
"""

from __future__ import annotations

import hashlib
import json

from kit.sim.accesslog import CredentialSeen, auth_style, safe_text
from kit.sim.answers import REQUEST_ID_PLACEHOLDER, Answer, api_error, error_body

__all__ = ["capture", "cloudflare_ai_gateway", "gateway", "html_proxy", "litellm", "region_block"]

HTML_PAGE = """<!DOCTYPE html>
<html><head><title>403 Forbidden</title></head>
<body>
<h1>Access Denied</h1>
<p>Your request to this site was blocked by your organization's web filter.</p>
<p>Category: Artificial Intelligence. If you believe this is a mistake, contact your IT help desk.</p>
<hr><address>corporate-proxy</address>
</body></html>
"""


def gateway(has_credential: bool, status: int) -> Answer:
    """A LiteLLM-style proxy: its own error shape, no ``request-id``, its own server header."""
    if has_credential:
        message = (
            "Authentication Error, Invalid proxy server token passed. Unable to find token in cache "
            "or `LiteLLM_VerificationTokenTable`"
        )
    else:
        message = "Authentication Error, No api key passed in."
    body = {"error": {"message": message, "type": "auth_error", "param": "None", "code": str(status or 401)}}
    return Answer(
        status=status or 401,
        body=json.dumps(body).encode(),
        request_id=False,
        headers=(("server", "uvicorn"), ("x-litellm-version", "1.74.0")),
        check="responder",
        error_id=None,
    )


def litellm(credential: str | None, path: str) -> Answer:
    """A LiteLLM proxy refusing a key that is not one of its virtual keys (facts sheet §5.2, litellm 1.110.2).

    On ``/v1/messages*`` and ``/anthropic/*`` the envelope is Anthropic-shaped (no ``request_id``): only the
    message text gives LiteLLM away. Elsewhere it is LiteLLM's own ``auth_error`` shape.
    """
    if not credential:
        message = "Authentication Error, No api key passed in."
    elif not credential.startswith("sk-"):
        message = "Authentication Error, LiteLLM Virtual Key expected. Received=****, expected to start with 'sk-'."
    else:
        digest = hashlib.sha256(credential.encode()).hexdigest()
        message = (
            f"Authentication Error, Invalid proxy server token passed. key={digest}, not found in db. "
            "Create key via `/key/generate` call."
        )
    if path.startswith(("/v1/messages", "/anthropic/")):
        body: dict[str, object] = {"type": "error", "error": {"type": "authentication_error", "message": message}}
    else:
        body = {"error": {"message": message, "type": "auth_error", "param": "None", "code": "401"}}
    return Answer(
        status=401,
        body=json.dumps(body).encode(),
        request_id=False,
        headers=(("server", "uvicorn"), ("x-litellm-version", "1.110.2")),
        check="responder",
        error_id=None,
    )


def cloudflare_ai_gateway() -> Answer:
    """An authenticated Cloudflare AI Gateway without a valid ``cf-aig-authorization`` (facts sheet §5.3)."""
    body = {
        "result": None,
        "success": False,
        "errors": [{"code": 10000, "message": "Authentication error"}],
        "messages": [],
    }
    return Answer(
        status=401,
        body=json.dumps(body).encode(),
        request_id=False,
        headers=(("server", "cloudflare"), ("cf-ray", "8f00000000000000-AMS")),
        check="responder",
        error_id=None,
    )


def html_proxy(status: int) -> Answer:
    return Answer(
        status=status or 403,
        body=HTML_PAGE.encode(),
        content_type="text/html; charset=utf-8",
        request_id=False,
        check="responder",
    )


def region_block() -> Answer:
    answer = api_error("region-blocked", "responder")
    return Answer(
        status=answer.status, body=answer.body, request_id=False, check="responder", error_id="region-blocked"
    )


def capture(
    credentials: tuple[CredentialSeen, ...],
    x_api_key: str | None,
    authorization: str | None,
    version: str | None,
    beta: str | None,
    user_agent: str | None,
    method: str,
    path: str,
) -> Answer:
    """401 in the API's envelope whose message says what arrived: header style, hint, fingerprint, length, defects."""
    style = auth_style(x_api_key, authorization)
    if credentials:
        creds = " | ".join(c.describe() for c in credentials)
    else:
        creds = "no credential (neither x-api-key nor Authorization was sent)"
    secrets = (x_api_key, authorization.partition(" ")[2] if authorization else None, authorization)

    def safe(value: str | None) -> str:
        return safe_text(value, *secrets) or "(none)"

    message = (
        f"KeyLab capture: nothing was forwarded. {safe(method)} {safe(path)} arrived with auth style {style}: "
        f"{creds}; anthropic-version {safe(version)}; anthropic-beta {safe(beta)}; "
        f"user-agent {safe(user_agent)}."
    )
    body = error_body("authentication_error", message, request_id=REQUEST_ID_PLACEHOLDER)
    return Answer(
        status=401,
        body=json.dumps(body, ensure_ascii=False).encode(),
        check="capture",
        headers=(("x-keylab-capture", "1"),),
    )
