"""The Gemini face: ``[api] provider = "gemini"``. Keys in ``x-goog-api-key`` or ``?key=``, restrictions, projects.

Every text and status comes from docs/reference/openai-gemini-auth.md §9-§14 by way of
``data/catalog/provider_errors.toml``; bodies are google.rpc.Status, pretty-printed. Both API
versions are served (``v1``, what google-genai 3.x calls, and ``v1beta``). The order (the facts fix
that no key is refused before the lookup and that a bad key gets 400; the rest is assumption
``gemini-check-order``), as in docs/simulator.md:

 1. capture         the capture responder: 401 in Google's envelope saying what arrived
 2. responder       gateway / HTML proxy (shared); region-block: 400 FAILED_PRECONDITION location
 3. size            a body over the limit: 413 (the shared edge answer)
 4. route           unknown path or wrong method: 404 NOT_FOUND
 5. fault           500 INTERNAL, 503 UNAVAILABLE, or a dropped connection
 6. credentials     two credentials (header and ``?key=``, or a key and Authorization): 400;
                    an API key as Bearer: 401 ACCESS_TOKEN_TYPE_UNSUPPORTED; none: 403 unregistered callers
 7. key             unknown or revoked key: 400 API_KEY_INVALID; ``status = "expired"``: 400 expired
 8. referrer        the key's ``referrers`` do not match ``Referer``: 403 API_KEY_HTTP_REFERRER_BLOCKED
 9. api             the key's ``apis`` exclude generativelanguage: 403 API_KEY_SERVICE_BLOCKED
10. project         the project's ``api_enabled = false``: 403 SERVICE_DISABLED
11. key-policy      ``reject_unrestricted_standard_keys`` and an unrestricted ``AIza`` key: 401
12. quota           ``credit = "exhausted"``: 429 RESOURCE_EXHAUSTED with QuotaFailure, Help, RetryInfo
                    (generateContent and streamGenerateContent only)
13. body            malformed JSON or no ``contents``: 400 INVALID_ARGUMENT
14. model           unknown model: 404 NOT_FOUND
15. endpoint        models, generateContent (``x-gemini-service-tier``), streamGenerateContent (SSE), countTokens
"""

from __future__ import annotations

import fnmatch
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from kit.sim import responders
from kit.sim.answers import Answer, api_error
from kit.sim.endpoints import REPLY, estimate_input_tokens
from kit.sim.faces import GEMINI_JSON, GOOGLE_FRONT_END, describe_face_request, face_credentials, gemini_error
from kit.sim.request import Context, Request, fault_for
from kit.sim.world import KeySpec, Org

__all__ = ["CHECKS", "SERVICE", "View"]

SERVICE = "generativelanguage.googleapis.com"
_rng = random.SystemRandom()
_METHODS = {
    "models.list": "ModelService.ListModels",
    "models.get": "ModelService.GetModel",
    "generateContent": "GenerativeService.GenerateContent",
    "countTokens": "GenerativeService.CountTokens",
    "streamGenerateContent": "GenerativeService.StreamGenerateContent",
}
_GENERATE = ("generateContent", "streamGenerateContent")


@dataclass(frozen=True)
class Route:
    name: str  # models.list | models.get | generateContent | streamGenerateContent | countTokens
    version: str  # v1 | v1beta
    model: str = ""

    @property
    def method(self) -> str:
        """The RPC name Google's messages use (``google.ai.generativelanguage.v1beta.GenerativeService.…``)."""
        return f"google.ai.generativelanguage.{self.version}.{_METHODS[self.name]}"


@dataclass(frozen=True)
class Caller:
    key: KeySpec
    org: Org


def match(method: str, path: str) -> Route | None:
    parts = path.strip("/").split("/")
    if len(parts) < 2 or parts[0] not in ("v1", "v1beta") or parts[1] != "models":
        return None
    version = parts[0]
    if len(parts) == 2:
        return Route("models.list", version) if method == "GET" else None
    if len(parts) != 3:
        return None
    model, _, action = parts[2].partition(":")
    if not action:
        return Route("models.get", version, model) if method == "GET" else None
    if action in (*_GENERATE, "countTokens") and method == "POST":
        return Route(action, version, model)
    return None


class View:
    """One request under decision by the Gemini face."""

    def __init__(self, req: Request, ctx: Context) -> None:
        self.req = req
        self.ctx = ctx
        self.scenario = ctx.scenario

    @cached_property
    def route(self) -> Route | None:
        return match(self.req.method, self.req.path)

    @property
    def found(self) -> Route:
        assert self.route is not None
        return self.route

    @cached_property
    def auth(self) -> Caller | Answer:
        keys = [value for _, value in face_credentials(self.req, "gemini") if value != ""]
        authorization = self.req.authorization
        if len(keys) + (authorization is not None) > 1:
            return gemini_error("gemini-two-credentials", "credentials")
        if authorization is not None:
            return gemini_error("gemini-bearer", "credentials", metadata={"method": self.found.method})
        if not keys:
            return gemini_error("gemini-missing-key", "credentials")
        key = self.scenario.keys_by_value.get(keys[0])
        if key is None or key.status in ("inactive", "archived"):
            return gemini_error("gemini-invalid-key", "key")
        if key.status == "expired":
            return gemini_error("gemini-expired-key", "key")
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
            return gemini_error("gemini-invalid-json", "body")
        if not isinstance(payload, dict) or not isinstance(payload.get("contents"), list):
            return gemini_error("gemini-invalid-json", "body")
        return payload


def check_capture(v: View) -> Answer | None:
    if v.scenario.api.responder != "capture":
        return None
    error = {"code": 401, "message": describe_face_request(v.req, "gemini"), "status": "UNAUTHENTICATED"}
    return Answer(
        status=401,
        body=json.dumps({"error": error}, indent=2, ensure_ascii=False).encode(),
        content_type=GEMINI_JSON,
        request_id=False,
        headers=(("x-keylab-capture", "1"),),
    )


def check_responder(v: View) -> Answer | None:
    api = v.scenario.api
    has_key = bool(face_credentials(v.req, "gemini")) or v.req.authorization is not None
    if api.responder == "gateway":
        return responders.gateway(has_key, api.responder_status)
    if api.responder == "html-proxy":
        return responders.html_proxy(api.responder_status)
    if api.responder == "region-block":
        return gemini_error("gemini-unsupported-location", "responder")
    return None


def check_size(v: View) -> Answer | None:
    return api_error("request-too-large", "size") if v.req.too_large else None


def check_route(v: View) -> Answer | None:
    return gemini_error("gemini-not-found", "route") if v.route is None else None


def check_fault(v: View) -> Answer | None:
    fault = fault_for(v.req, v.ctx)
    if fault == "api_error":
        return gemini_error("gemini-internal", "fault")
    if fault == "overloaded":
        return gemini_error("gemini-overloaded", "fault")
    if fault == "reset":
        return Answer(status=0, kind="reset", check="fault", request_id=False)
    return None


def check_credentials(v: View) -> Answer | None:
    return v.auth if isinstance(v.auth, Answer) and v.auth.check == "credentials" else None


def check_key(v: View) -> Answer | None:
    return v.auth if isinstance(v.auth, Answer) else None


def check_referrer(v: View) -> Answer | None:
    allowed = v.who.key.referrers
    if not allowed:
        return None
    referer = v.req.headers.get("referer", "")
    if referer and any(fnmatch.fnmatchcase(referer, pattern) for pattern in allowed):
        return None
    return gemini_error(
        "gemini-referrer-blocked",
        "referrer",
        referer=referer or "<empty>",
        metadata={"consumer": f"projects/{v.who.org.number}"},
    )


def check_api(v: View) -> Answer | None:
    apis = v.who.key.apis
    if not apis or SERVICE in apis:
        return None
    method = v.found.method
    return gemini_error(
        "gemini-service-blocked",
        "api",
        method=method,
        metadata={"consumer": f"projects/{v.who.org.number}", "apiName": SERVICE, "methodName": method},
    )


def check_project(v: View) -> Answer | None:
    org = v.who.org
    if org.api_enabled:
        return None
    url = f"https://console.developers.google.com/apis/api/{SERVICE}/overview?project={org.number}"
    help_link = {
        "@type": "type.googleapis.com/google.rpc.Help",
        "links": [{"description": "Google developers console API activation", "url": url}],
    }
    answer = gemini_error("gemini-service-disabled", "project", project=org.number)
    body = json.loads(answer.body)
    body["error"]["details"][0]["metadata"].update(
        {"consumer": f"projects/{org.number}", "activationUrl": url, "serviceTitle": "Generative Language API"}
    )
    body["error"]["details"].append(help_link)
    return Answer(
        status=answer.status,
        body=json.dumps(body, indent=2).encode(),
        headers=answer.headers,
        content_type=answer.content_type,
        request_id=False,
        check="project",
        error_id=answer.error_id,
    )


def check_key_policy(v: View) -> Answer | None:
    key = v.who.key
    if (
        v.scenario.api.reject_unrestricted_standard_keys
        and key.value.startswith("AIza")
        and not key.referrers
        and not key.apis
    ):
        return gemini_error("gemini-bearer", "key-policy", metadata={"method": v.found.method})
    return None


def check_quota(v: View) -> Answer | None:
    route = v.found
    if route.name not in _GENERATE or v.who.org.credit != "exhausted":
        return None
    details: list[dict[str, Any]] = [
        {
            "@type": "type.googleapis.com/google.rpc.QuotaFailure",
            "violations": [
                {
                    "quotaMetric": f"{SERVICE}/generate_content_free_tier_requests",
                    "quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
                    "quotaDimensions": {"location": "global", "model": route.model},
                }
            ],
        },
        {
            "@type": "type.googleapis.com/google.rpc.Help",
            "links": [
                {
                    "description": "Learn more about Gemini API quotas",
                    "url": "https://ai.google.dev/gemini-api/docs/rate-limits",
                }
            ],
        },
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "47s"},
    ]
    return gemini_error("gemini-quota", "quota", details=details)


def check_body(v: View) -> Answer | None:
    if v.req.method != "POST":
        return None
    return v.payload if isinstance(v.payload, Answer) else None


def check_model(v: View) -> Answer | None:
    route = v.found
    if route.name == "models.list":
        return None
    model = v.scenario.models_by_id.get(route.model)
    if model is None or model.retired:
        action = route.name if route.name != "models.get" else "getModel"
        return gemini_error("gemini-model-not-found", "model", model=route.model, version=route.version, method=action)
    return None


def _model(model_id: str) -> dict[str, Any]:
    return {
        "name": f"models/{model_id}",
        "version": "001",
        "displayName": model_id,
        "description": f"{model_id} (KeyLab simulator)",
        "inputTokenLimit": 1048576,
        "outputTokenLimit": 65536,
        "supportedGenerationMethods": ["generateContent", "countTokens"],
        "temperature": 1,
        "topP": 0.95,
        "topK": 64,
        "maxTemperature": 2,
    }


def _prompt_tokens(payload: dict[str, Any]) -> int:
    texts = [
        " ".join(str(p.get("text", "")) for p in c.get("parts", []) if isinstance(p, dict))
        for c in payload.get("contents", [])
        if isinstance(c, dict)
    ]
    return estimate_input_tokens({"messages": [{"content": t} for t in texts] or [{"content": ""}]})


def check_endpoint(v: View) -> Answer | None:
    route = v.found
    headers = GOOGLE_FRONT_END
    data: dict[str, Any]
    if route.name == "models.list":
        data = {"models": [_model(m.id) for m in v.scenario.models if not m.retired]}
    elif route.name == "models.get":
        data = _model(route.model)
    else:
        assert isinstance(v.payload, dict)
        prompt = _prompt_tokens(v.payload)
        if route.name == "countTokens":
            data = {"totalTokens": prompt}
        else:
            words = len(REPLY.split(" "))
            data = {
                "candidates": [
                    {"content": {"parts": [{"text": REPLY}], "role": "model"}, "finishReason": "STOP", "index": 0}
                ],
                "usageMetadata": {
                    "promptTokenCount": prompt,
                    "candidatesTokenCount": words,
                    "totalTokenCount": prompt + words,
                },
                "modelVersion": route.model,
                "responseId": "".join(_rng.choices(string.ascii_letters + string.digits, k=22)),
            }
            headers = (*headers, ("x-gemini-service-tier", "standard"))
            if route.name == "streamGenerateContent":
                return Answer(
                    status=200,
                    headers=headers,
                    kind="sse",
                    content_type="text/event-stream",
                    events=_stream(data),
                    request_id=False,
                    check="endpoint",
                )
    return Answer(
        status=200,
        body=json.dumps(data, indent=2).encode(),
        headers=headers,
        content_type=GEMINI_JSON,
        request_id=False,
        check="endpoint",
    )


def _stream(response: dict[str, Any]) -> tuple[tuple[str, dict[str, Any] | str], ...]:
    """A generateContent response as the ``alt=sse`` stream the SDK reads: one chunk per word, usage on the last."""
    words = REPLY.split(" ")
    events: list[tuple[str, dict[str, Any] | str]] = []
    for i, word in enumerate(words):
        last = i == len(words) - 1
        candidate: dict[str, Any] = {
            "content": {"parts": [{"text": word if i == 0 else " " + word}], "role": "model"},
            "index": 0,
        }
        if last:
            candidate["finishReason"] = "STOP"
        chunk = {
            "candidates": [candidate],
            "modelVersion": response["modelVersion"],
            "responseId": response["responseId"],
        }
        if last:
            chunk["usageMetadata"] = response["usageMetadata"]
        events.append(("", chunk))
    return tuple(events)


#: The decision order (see the module docstring and docs/simulator.md).
CHECKS: tuple[tuple[str, Callable[[View], Answer | None]], ...] = (
    ("capture", check_capture),
    ("responder", check_responder),
    ("size", check_size),
    ("route", check_route),
    ("fault", check_fault),
    ("credentials", check_credentials),
    ("key", check_key),
    ("referrer", check_referrer),
    ("api", check_api),
    ("project", check_project),
    ("key-policy", check_key_policy),
    ("quota", check_quota),
    ("body", check_body),
    ("model", check_model),
    ("endpoint", check_endpoint),
)
