"""The decision order: one parsed request in, one answer out, through an ordered list of small checks.

Each check looks at the request (and what earlier steps established: the route, who is calling) and
either answers or passes. The first answer wins. The order is the simulator's model of the real API
(docs/reference/anthropic-auth.md §2 "Check ordering"); where the facts are silent the choice is recorded in
``data/catalog/assumptions.toml``. The same list is documented in docs/simulator.md.

 1. capture         the capture responder: every request gets an explanatory 401
 2. responder       a gateway, an HTML proxy, a region block or a hostile server answers instead of the API
 3. size            a body over the limit: 413 request_too_large (the edge, before the API)
 4. route           an unknown path: 404 not_found_error
 5. method          a known path with the wrong method: 405 (regardless of the key)
 6. fault           an injected 500 api_error, 529 overloaded_error or dropped connection
 7. authentication  no credential, unknown/revoked key, OAuth token, Bearer rules, both headers: 401
 8. scope           an admin key on inference, an inference key on the Admin API: 401
 9. version         anthropic-version missing or not accepted: 400
10. beta            an anthropic-beta name the API does not know: 400
11. workspace       identity-linked key without anthropic-workspace-id, or a wrong workspace: 400
12. org-disabled    the key's organization is disabled: 400 (every endpoint)
13. rate-limit      over the organization's requests per minute: 429 with retry-after
14. credit          credit balance exhausted: 400 (messages and count_tokens)
15. spend-limit     a spend limit reached: 400, or 429 for the tier's monthly cap (same endpoints)
16. body            content type, JSON, required fields: 400
17. parameters      parameters the requested anthropic-version removed (2026-10-21: temperature, …): 400
18. model           unknown or retired model: 404 "model: <id>"
19. endpoint        the successful answer, with the rate-limit headers

A truncated-body fault is applied to whatever answer the order produced. Latency is added by the
server. Everything here is pure except the rate limiter, which counts admitted requests.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from kit.sim import admin, endpoints, hostile, responders
from kit.sim.accesslog import describe_credentials, split_bearer
from kit.sim.answers import Answer, api_error
from kit.sim.ratelimit import RateVerdict
from kit.sim.request import Context, Request, fault_for
from kit.sim.scenario import KeySpec, Org, Scenario

__all__ = ["CHECKS", "OAUTH_BETA", "Context", "Identity", "Request", "Route", "decide", "fault_for", "match_route"]

#: The beta header OAuth clients send (docs/reference/anthropic-auth.md §6).
OAUTH_BETA = "oauth-2025-04-20"
OAUTH_PREFIXES = ("sk-ant-oat", "sk-ant-ort")
#: Parameters that anthropic-version 2026-10-21 removed (docs/reference/anthropic-auth.md §6).
REMOVED_IN_2026 = ("temperature", "top_p", "top_k")


@dataclass(frozen=True)
class Route:
    name: str
    family: str  # inference | admin
    billed: bool = False  # subject to credit and spend-limit blocks
    param: str = ""


@dataclass(frozen=True)
class Identity:
    key: KeySpec
    org: Org
    style: str  # x-api-key | bearer


_ROUTES: tuple[tuple[re.Pattern[str], str, str, str, bool], ...] = (
    (re.compile(r"/v1/models"), "GET", "models.list", "inference", False),
    (re.compile(r"/v1/models/(?P<p>[^/]+)"), "GET", "models.get", "inference", False),
    (re.compile(r"/v1/messages"), "POST", "messages", "inference", True),
    (re.compile(r"/v1/messages/count_tokens"), "POST", "count_tokens", "inference", True),
    (re.compile(r"/v1/organizations/api_keys"), "GET", "admin.api_keys.list", "admin", False),
    (re.compile(r"/v1/organizations/api_keys/(?P<p>[^/]+)"), "GET", "admin.api_keys.get", "admin", False),
    (re.compile(r"/v1/organizations/workspaces"), "GET", "admin.workspaces.list", "admin", False),
    (re.compile(r"/v1/organizations/workspaces/(?P<p>[^/]+)"), "GET", "admin.workspaces.get", "admin", False),
    (re.compile(r"/v1/organizations/me"), "GET", "admin.me", "admin", False),
)


def match_route(method: str, path: str) -> Route | tuple[str, ...] | None:
    """The route, or the methods the path allows (wrong method), or None (unknown path)."""
    allowed: list[str] = []
    for pattern, verb, name, family, billed in _ROUTES:
        match = pattern.fullmatch(path)
        if match is None:
            continue
        if verb == method:
            return Route(name, family, billed, match.groupdict().get("p") or "")
        allowed.append(verb)
    return tuple(allowed) if allowed else None


def authenticate(req: Request, scenario: Scenario) -> Identity | Answer:
    """Who is calling, or the 401 the API gives (docs/reference/anthropic-auth.md §2, §7, §10)."""
    api = scenario.api
    xk, au = req.x_api_key, req.authorization
    if xk is None and au is None:
        return api_error("missing-key", "authentication")
    if xk is not None and au is not None and api.reject_both_auth_headers:
        return api_error("both-auth-headers", "authentication")
    if xk is not None:
        if xk == "":
            return api_error("missing-key", "authentication")
        key = scenario.keys_by_value.get(xk)
        if key is None and ", " in xk:
            return _duplicate_header()
        if key is None or not key.usable or key.kind == "oauth":
            return api_error("invalid-key", "authentication")
        return Identity(key, scenario.orgs_by_id[key.org], "x-api-key")
    assert au is not None
    scheme, token = split_bearer(au)
    if scheme.lower() != "bearer" or not token:
        return api_error("invalid-bearer", "authentication")
    key = scenario.keys_by_value.get(token)
    if key is not None and key.kind == "oauth" and key.status == "expired":
        return api_error("oauth-expired", "authentication")  # checked before the beta (assumptions.toml)
    if token.startswith(OAUTH_PREFIXES) or (key is not None and key.kind == "oauth"):
        if (
            api.accept_oauth_tokens
            and OAUTH_BETA in req.betas
            and key is not None
            and key.kind == "oauth"
            and key.usable
        ):
            return Identity(key, scenario.orgs_by_id[key.org], "bearer")
        return api_error("oauth-not-supported", "authentication")
    if key is None or not key.usable or not api.accept_bearer_api_keys:
        return api_error("invalid-bearer", "authentication")
    return Identity(key, scenario.orgs_by_id[key.org], "bearer")


def _duplicate_header() -> Answer:
    """A key header sent twice arrives joined (``K, K``): 401 ``API key is invalid.`` without a request id."""
    return replace(api_error("duplicate-key-header", "authentication"), request_id=False)


class View:
    """One request under decision: facts established once (route, identity, payload) and shared by the checks."""

    def __init__(self, req: Request, ctx: Context) -> None:
        self.req = req
        self.ctx = ctx
        self.scenario = ctx.scenario

    @cached_property
    def route(self) -> Route | tuple[str, ...] | None:
        return match_route(self.req.method, self.req.path)

    @property
    def found(self) -> Route:
        assert isinstance(self.route, Route)
        return self.route

    @cached_property
    def auth(self) -> Identity | Answer:
        return authenticate(self.req, self.scenario)

    @property
    def who(self) -> Identity:
        assert isinstance(self.auth, Identity)
        return self.auth

    @property
    def org_uuid(self) -> str:
        return self.who.org.uuid

    @cached_property
    def rate(self) -> RateVerdict:
        return self.ctx.limiter.admit(self.who.org.id, self.ctx.now)

    @cached_property
    def payload(self) -> dict[str, Any] | Answer:
        return parse_body(self.req, self.found, self.org_uuid)


# --- the checks, in order -----------------------------------------------------------------------------


def check_capture(v: View) -> Answer | None:
    if v.scenario.api.responder != "capture":
        return None
    req = v.req
    return responders.capture(
        describe_credentials(req.x_api_key, req.authorization),
        req.x_api_key,
        req.authorization,
        req.version,
        req.beta,
        req.user_agent,
        req.method,
        req.path,
    )


def check_responder(v: View) -> Answer | None:
    api = v.scenario.api
    if api.responder == "gateway":
        return responders.gateway(v.req.x_api_key is not None or v.req.authorization is not None, api.responder_status)
    if api.responder == "html-proxy":
        return responders.html_proxy(api.responder_status)
    if api.responder == "litellm":  # the scenario's keys are the proxy's virtual keys; others are refused
        token = v.req.x_api_key or split_bearer(v.req.authorization or "")[1] or None
        return None if token in v.scenario.keys_by_value else responders.litellm(token, v.req.path)
    if api.responder == "cloudflare-ai-gateway":  # the scenario's keys include the gateway token
        _scheme, token = split_bearer(v.req.cf_aig_authorization or "")
        return None if token in v.scenario.keys_by_value else responders.cloudflare_ai_gateway()
    if api.responder == "region-block":
        return responders.region_block()
    if api.responder == "hostile":
        return hostile.answer(api.mode, v.req.x_api_key, v.req.authorization)
    return None


def check_size(v: View) -> Answer | None:
    return api_error("request-too-large", "size") if v.req.too_large else None


def check_route(v: View) -> Answer | None:
    return api_error("not-found", "route") if v.route is None else None


def check_method(v: View) -> Answer | None:
    if isinstance(v.route, tuple):
        return api_error("method-not-allowed", "method", headers=(("allow", ", ".join(v.route)),))
    return None


def check_fault(v: View) -> Answer | None:
    fault = fault_for(v.req, v.ctx)
    if fault == "api_error":
        return api_error("api-error", "fault")
    if fault == "overloaded":
        return api_error("overloaded", "fault")
    if fault == "reset":
        return Answer(status=0, kind="reset", check="fault", request_id=False)
    return None


def check_authentication(v: View) -> Answer | None:
    return v.auth if isinstance(v.auth, Answer) else None


def check_scope(v: View) -> Answer | None:
    who, route = v.who, v.found
    if route.family == "admin" and who.key.kind != "admin":
        return api_error("invalid-bearer" if who.style == "bearer" else "admin-endpoint-needs-admin-key", "scope")
    if route.family == "inference" and who.key.kind == "admin":
        return api_error("invalid-bearer" if who.style == "bearer" else "admin-key-on-inference", "scope")
    return None


def check_version(v: View) -> Answer | None:
    version = v.req.version
    if version is None:
        return api_error("version-missing", "version", org_uuid=v.org_uuid)
    if version not in v.scenario.api.versions:
        return api_error("version-invalid", "version", org_uuid=v.org_uuid, version=version)
    return None


def check_beta(v: View) -> Answer | None:
    for beta in v.req.betas:
        if beta not in v.scenario.api.betas:
            return api_error("beta-unsupported", "beta", org_uuid=v.org_uuid, beta=beta)
    return None


def check_workspace(v: View) -> Answer | None:
    key, ws = v.who.key, v.req.workspace_id
    if ws is None:
        return api_error("workspace-required", "workspace", org_uuid=v.org_uuid) if key.identity_linked else None
    known = v.scenario.workspaces_by_id.get(ws)
    usable = known is not None and known.org == key.org and not known.archived
    if key.kind == "api" and not key.identity_linked:
        usable = usable and ws == key.workspace
    return None if usable else api_error("workspace-invalid", "workspace", org_uuid=v.org_uuid)


def check_org_disabled(v: View) -> Answer | None:
    return api_error("org-disabled", "org-disabled", org_uuid=v.org_uuid) if v.who.org.disabled else None


def check_rate_limit(v: View) -> Answer | None:
    if v.rate.allowed:
        return None
    return api_error(
        "rate-limited",
        "rate-limit",
        org_uuid=v.org_uuid,
        headers=v.rate.headers,
        limit=v.scenario.rate_limit.requests_per_minute,
    )


def check_credit(v: View) -> Answer | None:
    if v.found.billed and v.who.org.credit == "exhausted":
        return api_error("credit-exhausted", "credit", org_uuid=v.org_uuid)
    return None


def check_spend_limit(v: View) -> Answer | None:
    org = v.who.org
    if not (v.found.billed and org.spend_limit_reached):
        return None
    if org.spend_limit_kind == "tier":
        return api_error(
            "spend-cap-429", "spend-limit", org_uuid=v.org_uuid, details={"error_code": "enforced_spend_limit_reached"}
        )
    today = dt.datetime.fromtimestamp(v.ctx.now, dt.UTC).date()
    resume = org.spend_limit_resume or endpoints.spend_limit_resume(today)
    error_id = "spend-limit-workspace" if org.spend_limit_kind == "workspace" else "spend-limit"
    return api_error(error_id, "spend-limit", org_uuid=v.org_uuid, resume_date=resume.isoformat())


def parse_body(req: Request, route: Route, org_uuid: str) -> dict[str, Any] | Answer:
    """The JSON object of a POST body, or the 400 the API gives for it."""
    ctype = (req.content_type or "").split(";")[0].strip().lower()
    if ctype != "application/json" and not ctype.endswith("+json"):
        return api_error("invalid-content-type", "body", org_uuid=org_uuid)
    try:
        payload = json.loads(req.body)
    except (ValueError, UnicodeDecodeError):
        return api_error("invalid-json", "body", org_uuid=org_uuid)
    if not isinstance(payload, dict):
        return api_error(
            "field-invalid", "body", org_uuid=org_uuid, field="body", problem="Input should be a valid dictionary"
        )
    required: tuple[tuple[str, type], ...] = (("model", str), ("messages", list))
    if route.name == "messages":
        required = (("model", str), ("max_tokens", int), ("messages", list))
    for name, kind in required:
        if name not in payload:
            return api_error("field-required", "body", org_uuid=org_uuid, field=name)
        value = payload[name]
        if not isinstance(value, kind) or isinstance(value, bool):
            what = {str: "a valid string", int: "a valid integer", list: "a valid list"}[kind]
            return api_error("field-invalid", "body", org_uuid=org_uuid, field=name, problem=f"Input should be {what}")
    if route.name == "messages" and payload["max_tokens"] < 1:
        return api_error(
            "field-invalid",
            "body",
            org_uuid=org_uuid,
            field="max_tokens",
            problem="Input should be greater than or equal to 1",
        )
    if not payload["messages"]:
        return api_error(
            "field-invalid", "body", org_uuid=org_uuid, field="messages", problem="at least one message is required"
        )
    return payload


def check_body(v: View) -> Answer | None:
    if v.req.method != "POST":
        return None
    return v.payload if isinstance(v.payload, Answer) else None


def check_parameters(v: View) -> Answer | None:
    if v.req.method != "POST" or v.req.version != "2026-10-21":
        return None
    payload = v.payload
    assert isinstance(payload, dict)
    for name in REMOVED_IN_2026:
        if name in payload:
            return api_error("parameter-removed", "parameters", org_uuid=v.org_uuid, field=name, version=v.req.version)
    return None


def check_model(v: View) -> Answer | None:
    if v.req.method != "POST":
        return None
    payload = v.payload
    assert isinstance(payload, dict)
    model = v.scenario.models_by_id.get(payload["model"])
    if model is None or model.retired:
        return api_error("model-not-found", "model", org_uuid=v.org_uuid, model=payload["model"])
    return None


def check_endpoint(v: View) -> Answer | None:
    route, org, scenario = v.found, v.who.org, v.scenario
    headers = v.rate.headers
    answer: Answer
    if route.name == "models.list":
        answer = endpoints.list_models(scenario, v.req.query, v.req.lifecycle, org.uuid)
    elif route.name == "models.get":
        answer = endpoints.retrieve_model(scenario, route.param, org.uuid)
    elif route.name == "messages":
        assert isinstance(v.payload, dict)
        answer = endpoints.messages(v.payload, org.uuid, ())
    elif route.name == "count_tokens":
        assert isinstance(v.payload, dict)
        answer = endpoints.count_tokens(v.payload, org.uuid, ())
    elif route.name == "admin.api_keys.list":
        answer = admin.list_api_keys(scenario, org, v.req.query)
    elif route.name == "admin.api_keys.get":
        answer = admin.get_api_key(scenario, org, route.param)
    elif route.name == "admin.workspaces.list":
        answer = admin.list_workspaces(scenario, org, v.req.query)
    elif route.name == "admin.workspaces.get":
        answer = admin.get_workspace(scenario, org, route.param)
    else:
        answer = admin.me(org)
    if answer.status == 200:
        answer = replace(answer, headers=answer.headers + headers)
    return answer


#: The decision order (see the module docstring and docs/simulator.md).
CHECKS: tuple[tuple[str, Callable[[View], Answer | None]], ...] = (
    ("capture", check_capture),
    ("responder", check_responder),
    ("size", check_size),
    ("route", check_route),
    ("method", check_method),
    ("fault", check_fault),
    ("authentication", check_authentication),
    ("scope", check_scope),
    ("version", check_version),
    ("beta", check_beta),
    ("workspace", check_workspace),
    ("org-disabled", check_org_disabled),
    ("rate-limit", check_rate_limit),
    ("credit", check_credit),
    ("spend-limit", check_spend_limit),
    ("body", check_body),
    ("parameters", check_parameters),
    ("model", check_model),
    ("endpoint", check_endpoint),
)


def decide(req: Request, ctx: Context) -> Answer:
    """Run the checks in order; the first answer wins. ``answer.check`` names the step that answered."""
    if ctx.scenario.api.provider != "anthropic":
        return _decide_face(req, ctx)
    view = View(req, ctx)
    for name, check in CHECKS:
        answer = check(view)
        if answer is not None:
            if answer.status and fault_for(req, ctx) == "truncated":
                return replace(answer, kind="truncated", check=name)
            return replace(answer, check=name) if answer.check != name else answer
    raise AssertionError("the endpoint check always answers")  # pragma: no cover


def _decide_face(req: Request, ctx: Context) -> Answer:
    """The answer of the face the scenario names (``openai`` or ``gemini``)."""
    from kit.sim import gemini_face, openai_face
    from kit.sim.faces import run_checks

    truncated = fault_for(req, ctx) == "truncated"
    if ctx.scenario.api.provider == "openai":
        return run_checks(openai_face.CHECKS, openai_face.View(req, ctx), truncated)
    return run_checks(gemini_face.CHECKS, gemini_face.View(req, ctx), truncated)
