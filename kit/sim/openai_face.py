"""The OpenAI face: ``[api] provider = "openai"``. Bearer keys, organizations, projects, scopes and quota.

Every text and status comes from docs/reference/openai-gemini-auth.md §2-§7 by way of
``data/catalog/provider_errors.toml``. The order (assumption ``openai-check-order`` where the facts
are silent), the same table as in docs/simulator.md:

 1. capture         the capture responder: 401 in OpenAI's envelope saying what arrived
 2. responder       gateway / HTML proxy (shared); region-block: 403 unsupported_country_region_territory
 3. size            a body over the limit: 413 (the shared edge answer)
 4. route           unknown path or wrong method: 404 ``Invalid URL (METHOD /path)``
 5. fault           500 server_error, 503 overloaded, or a dropped connection
 6. authentication  no Authorization / empty Bearer: 401 ``You didn't provide an API key…``; unknown or
                    revoked key: 401 ``invalid_api_key`` with the key masked (first 8, ``*``…, last 4)
 7. account         the key's organization is disabled: 401 ``account_deactivated``
 8. organization    ``OpenAI-Organization`` ≠ the key's org: 401 ``mismatched_organization``;
                    ``OpenAI-Project`` ≠ the key's project: 401 ``mismatched_project``
 9. scopes          a restricted key without the endpoint's scope: 401 ``Missing scopes: …``
10. quota           ``credit = "exhausted"``: 429 ``insufficient_quota`` (chat completions, responses)
11. body            malformed JSON, missing ``model`` / ``messages`` / ``input``: 400
12. model           unknown model: 404 ``model_not_found``
13. endpoint        the successful answer with ``openai-organization``, ``openai-version``, ``x-ratelimit-*``
                    (chat completions with ``"stream": true``: ``chat.completion.chunk`` events, then ``[DONE]``)

Every answer carries ``x-request-id`` (``req_`` + 32 hex), filled in by the server.
"""

from __future__ import annotations

import json
import random
import re
import string
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kit.sim import responders
from kit.sim.accesslog import split_bearer
from kit.sim.answers import Answer, api_error
from kit.sim.endpoints import REPLY, estimate_input_tokens
from kit.sim.faces import OPENAI_JSON, describe_face_request, mask_key, openai_error
from kit.sim.request import Context, Request, fault_for
from kit.sim.world import KeySpec, Org

__all__ = ["CHECKS", "ROUTES", "SCOPES", "View"]

_rng = random.SystemRandom()

#: (path pattern, method, route name, billed)
ROUTES: tuple[tuple[re.Pattern[str], str, str, bool], ...] = (
    (re.compile(r"/v1/models"), "GET", "models.list", False),
    (re.compile(r"/v1/models/(?P<p>[^/]+)"), "GET", "models.get", False),
    (re.compile(r"/v1/chat/completions"), "POST", "chat.completions", True),
    (re.compile(r"/v1/responses"), "POST", "responses", True),
)
#: The scope each route needs from a restricted key (assumption openai-scope-names).
SCOPES = {
    "models.list": "api.model.read",
    "models.get": "api.model.read",
    "chat.completions": "model.request",
    "responses": "api.responses.write",
}


@dataclass(frozen=True)
class Route:
    name: str
    billed: bool
    param: str = ""


@dataclass(frozen=True)
class Caller:
    key: KeySpec
    org: Org


def match(method: str, path: str) -> Route | None:
    for pattern, verb, name, billed in ROUTES:
        found = pattern.fullmatch(path)
        if found is not None and verb == method:
            return Route(name, billed, found.groupdict().get("p") or "")
    return None


class View:
    """One request under decision by the OpenAI face: route, caller and payload, each worked out once."""

    def __init__(self, req: Request, ctx: Context) -> None:
        self.req = req
        self.ctx = ctx
        self.scenario = ctx.scenario

    @cached_property
    def route(self) -> Route | None:
        return match(self.req.method, self.req.path)

    @cached_property
    def auth(self) -> Caller | Answer:
        authorization = self.req.authorization
        if authorization is None:
            return openai_error("openai-missing-key", "authentication")
        scheme, token = split_bearer(authorization)
        if scheme.lower() != "bearer" or not token:
            return openai_error("openai-missing-key", "authentication")
        key = self.scenario.keys_by_value.get(token)
        if key is None or not key.usable:
            return openai_error("openai-invalid-key", "authentication", masked=mask_key(token))
        return Caller(key, self.scenario.orgs_by_id[key.org])

    @property
    def who(self) -> Caller:
        assert isinstance(self.auth, Caller)
        return self.auth

    @cached_property
    def payload(self) -> dict[str, Any] | Answer:
        try:
            payload = json.loads(self.req.body)
        except (ValueError, UnicodeDecodeError):
            return openai_error("openai-invalid-json", "body")
        if not isinstance(payload, dict):
            return openai_error("openai-invalid-json", "body")
        return payload


def check_capture(v: View) -> Answer | None:
    if v.scenario.api.responder != "capture":
        return None
    body = {
        "error": {
            "message": describe_face_request(v.req, "openai"),
            "type": "invalid_request_error",
            "param": None,
            "code": "keylab_capture",
        }
    }
    return Answer(
        status=401,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type=OPENAI_JSON,
        headers=(("x-keylab-capture", "1"),),
        id_header="x-request-id",
    )


def check_responder(v: View) -> Answer | None:
    api = v.scenario.api
    if api.responder == "gateway":
        return responders.gateway(v.req.authorization is not None, api.responder_status)
    if api.responder == "html-proxy":
        return responders.html_proxy(api.responder_status)
    if api.responder == "region-block":
        return openai_error("openai-unsupported-country", "responder")
    return None


def check_size(v: View) -> Answer | None:
    return api_error("request-too-large", "size") if v.req.too_large else None


def check_route(v: View) -> Answer | None:
    if v.route is None:
        return openai_error("openai-not-found", "route", method=v.req.method, path=v.req.path)
    return None


def check_fault(v: View) -> Answer | None:
    fault = fault_for(v.req, v.ctx)
    if fault == "api_error":
        return openai_error("openai-server-error", "fault")
    if fault == "overloaded":
        return openai_error("openai-overloaded", "fault")
    if fault == "reset":
        return Answer(status=0, kind="reset", check="fault", request_id=False)
    return None


def check_authentication(v: View) -> Answer | None:
    return v.auth if isinstance(v.auth, Answer) else None


def check_account(v: View) -> Answer | None:
    return openai_error("openai-account-deactivated", "account") if v.who.org.disabled else None


def check_organization(v: View) -> Answer | None:
    org_header = v.req.headers.get("openai-organization")
    if org_header is not None and org_header != v.who.key.org:
        return openai_error("openai-mismatched-organization", "organization")
    project_header = v.req.headers.get("openai-project")
    if project_header is not None and project_header != v.who.key.project:
        return openai_error("openai-mismatched-project", "organization")
    return None


def check_scopes(v: View) -> Answer | None:
    key = v.who.key
    if key.kind != "restricted":
        return None
    assert v.route is not None
    needed = SCOPES[v.route.name]
    granted = set(key.scopes) | {f"api.{s}" for s in key.scopes}
    return None if needed in granted else openai_error("openai-missing-scopes", "scopes", scopes=needed)


def check_quota(v: View) -> Answer | None:
    assert v.route is not None
    if v.route.billed and v.who.org.credit == "exhausted":
        return openai_error("openai-insufficient-quota", "quota")
    return None


def check_body(v: View) -> Answer | None:
    if v.req.method != "POST":
        return None
    payload = v.payload
    if isinstance(payload, Answer):
        return payload
    assert v.route is not None
    for name in ("model", "messages" if v.route.name == "chat.completions" else "input"):
        if name not in payload:
            return openai_error("openai-invalid-json", "body")
    return None


def check_model(v: View) -> Answer | None:
    assert v.route is not None
    if v.route.name == "models.get":
        wanted = v.route.param
    elif v.req.method == "POST":
        assert isinstance(v.payload, dict)
        wanted = str(v.payload["model"])
    else:
        return None
    model = v.scenario.models_by_id.get(wanted)
    if model is None or model.retired:
        return openai_error("openai-model-not-found", "model", model=wanted)
    return None


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 1686935002, "owned_by": "openai"}


def _usage(payload: dict[str, Any], words: int) -> tuple[int, int]:
    messages = payload.get("messages") or [{"content": payload.get("input", "")}]
    return estimate_input_tokens({"messages": messages}), words


def check_endpoint(v: View) -> Answer | None:
    route = v.route
    assert route is not None
    now = int(time.time())
    data: dict[str, Any]
    if route.name == "models.list":
        data = {"object": "list", "data": [_model(m.id) for m in v.scenario.models if not m.retired]}
    elif route.name == "models.get":
        data = _model(route.param)
    else:
        assert isinstance(v.payload, dict)
        model = str(v.payload["model"])
        words = REPLY.split(" ")
        prompt, completion = _usage(v.payload, len(words))
        suffix = "".join(_rng.choices(string.ascii_letters + string.digits, k=24))
        if route.name == "chat.completions":
            data = {
                "id": f"chatcmpl-{suffix}",
                "object": "chat.completion",
                "created": now,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": REPLY, "refusal": None},
                        "logprobs": None,
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                },
            }
        else:
            data = {
                "id": f"resp_{suffix}",
                "object": "response",
                "created_at": now,
                "status": "completed",
                "model": model,
                "output": [
                    {
                        "type": "message",
                        "id": f"msg_{suffix}",
                        "status": "completed",
                        "role": "assistant",
                        "content": [{"type": "output_text", "text": REPLY, "annotations": []}],
                    }
                ],
                "usage": {"input_tokens": prompt, "output_tokens": completion, "total_tokens": prompt + completion},
            }
    headers = _success_headers(v.who.key.org)
    if route.name == "chat.completions" and isinstance(v.payload, dict) and v.payload.get("stream") is True:
        return Answer(
            status=200,
            headers=headers,
            kind="sse",
            content_type="text/event-stream; charset=utf-8",
            events=_chunks(data),
            check="endpoint",
            id_header="x-request-id",
        )
    return Answer(
        status=200,
        body=json.dumps(data).encode(),
        headers=headers,
        content_type=OPENAI_JSON,
        check="endpoint",
        id_header="x-request-id",
    )


def _chunks(completion: dict[str, Any]) -> tuple[tuple[str, dict[str, Any] | str], ...]:
    """A chat completion as the stream of ``chat.completion.chunk`` events the SDK reads, ending in ``[DONE]``."""
    base = {k: completion[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

    def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
        return base | {"choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}

    words = REPLY.split(" ")
    events: list[tuple[str, dict[str, Any] | str]] = [("", chunk({"role": "assistant", "content": ""}, None))]
    events += [("", chunk({"content": w if i == 0 else " " + w}, None)) for i, w in enumerate(words)]
    events += [("", chunk({}, "stop")), ("", "[DONE]")]
    return tuple(events)


def _success_headers(org: str) -> tuple[tuple[str, str], ...]:
    return (
        ("openai-organization", org),
        ("openai-processing-ms", "12"),
        ("openai-version", "2020-10-01"),
        ("x-ratelimit-limit-requests", "10000"),
        ("x-ratelimit-remaining-requests", "9999"),
        ("x-ratelimit-reset-requests", "6ms"),
        ("x-ratelimit-limit-tokens", "30000000"),
        ("x-ratelimit-remaining-tokens", "29999990"),
        ("x-ratelimit-reset-tokens", "0s"),
    )


#: The decision order (see the module docstring and docs/simulator.md).
CHECKS: tuple[tuple[str, Callable[[View], Answer | None]], ...] = (
    ("capture", check_capture),
    ("responder", check_responder),
    ("size", check_size),
    ("route", check_route),
    ("fault", check_fault),
    ("authentication", check_authentication),
    ("account", check_account),
    ("organization", check_organization),
    ("scopes", check_scopes),
    ("quota", check_quota),
    ("body", check_body),
    ("model", check_model),
    ("endpoint", check_endpoint),
)
