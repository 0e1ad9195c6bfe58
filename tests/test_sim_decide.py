"""Each check of the decision order, called directly with parsed requests (no server, no sockets)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from kit.catalog import catalog
from kit.sim import decide as decide_module
from kit.sim import load_scenario
from kit.sim.answers import Answer
from kit.sim.decide import CHECKS, Context, Request, decide
from kit.sim.ratelimit import RateLimiter
from kit.sim.scenario import Scenario
from kit.testing import fake_key

MSG = {"model": "claude-haiku-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]}


def ask(
    scenario: str | Scenario,
    *,
    method: str = "POST",
    path: str = "/v1/messages",
    key: str | None = "alpha",
    kind: str = "api",
    bearer: str | None = None,
    version: str | None = "2023-06-01",
    body: Any = MSG,
    draw: float = 1.0,
    limiter: RateLimiter | None = None,
    **extra: Any,
) -> Answer:
    s = load_scenario(scenario)
    raw = json.dumps(body).encode() if not isinstance(body, bytes) else body
    fields: dict[str, Any] = {
        "x_api_key": fake_key(key, kind) if key else None,
        "authorization": f"Bearer {fake_key(bearer, kind)}" if bearer else None,
        "version": version,
        "content_type": "application/json" if method == "POST" else None,
        "body": raw if method == "POST" else b"",
    }
    req = Request(method=method, path=path, **(fields | extra))
    return decide(req, Context(s, limiter or RateLimiter(s.rate_limit.requests_per_minute), time.time(), draw))


def error_of(answer: Answer) -> tuple[int, str, str]:
    data = json.loads(answer.body)
    return answer.status, data["error"]["type"], data["error"]["message"]


def expect(answer: Answer, error_id: str, check: str, **fields: object) -> None:
    spec = catalog().error(error_id)
    assert error_of(answer) == (spec.status, spec.type, spec.render(**fields))
    assert answer.check == check and answer.error_id == error_id


def test_the_order_is_the_documented_one() -> None:
    names = [name for name, _ in CHECKS]
    assert names[:7] == ["capture", "responder", "size", "route", "method", "fault", "authentication"]
    assert names.index("version") > names.index("authentication")
    assert names.index("model") > names.index("body") > names.index("credit")
    assert names[-1] == "endpoint"
    doc = decide_module.__doc__ or ""
    for name in names:
        assert f" {name} " in doc, name


def test_healthy_key_gets_a_reply_with_usage_and_headers() -> None:
    answer = ask("healthy")
    data = json.loads(answer.body)
    assert answer.status == 200 and answer.check == "endpoint"
    assert data["type"] == "message" and data["usage"]["output_tokens"] == 5 and data["stop_reason"] == "max_tokens"
    names = dict(answer.headers)
    assert names["anthropic-ratelimit-requests-limit"] and answer.org_uuid


def test_capture_answers_everything_with_what_arrived() -> None:
    answer = ask("capture", path="/nowhere", key="alpha")
    status, etype, message = error_of(answer)
    assert (status, etype, answer.check) == (401, "authentication_error", "capture")
    assert "x-api-key sk-ant-api03-" in message and "108 chars" in message and fake_key("alpha") not in message


def test_foreign_responders() -> None:
    gw = ask("gateway")
    assert gw.status == 401 and not gw.request_id and json.loads(gw.body)["error"]["type"] == "auth_error"
    html = ask("html-proxy")
    assert html.status == 403 and html.content_type.startswith("text/html") and b"<html>" in html.body
    block = ask("region-block")
    assert json.loads(block.body) == {"error": {"type": "forbidden", "message": "Request not allowed"}}
    assert block.status == 403 and not block.request_id


def test_size_route_method() -> None:
    expect(ask("healthy", too_large=True), "request-too-large", "size")
    expect(ask("healthy", method="GET", path="/v1/nothing"), "not-found", "route")
    answer = ask("healthy", method="GET", path="/v1/messages", key=None)
    expect(answer, "method-not-allowed", "method")
    assert ("allow", "POST") in answer.headers


def test_faults_pick_by_share_and_path() -> None:
    expect(ask("overloaded", draw=0.99), "overloaded", "fault")
    assert ask("overloaded", draw=0.5, method="GET", path="/v1/models").status == 200  # only /v1/messages*
    expect(ask("overloaded", draw=0.5, key="nobody"), "overloaded", "fault")  # before authentication
    expect(ask("server-error", draw=0.5), "api-error", "fault")
    assert ask("healthy", draw=0.0).status == 200  # no faults configured: any draw passes
    flaky = load_scenario("flaky")
    assert ask(flaky, draw=0.05).status == 500
    assert ask(flaky, draw=0.15).status == 529
    assert ask(flaky, draw=0.22).kind == "reset"
    truncated = ask(flaky, draw=0.27)
    assert truncated.kind == "truncated" and truncated.status == 200
    assert ask(flaky, draw=0.5).kind == "json"


@pytest.mark.parametrize(
    ("kwargs", "error_id"),
    [
        ({"key": None}, "missing-key"),
        ({"key": "nobody"}, "invalid-key"),
        ({"key": "old"}, "invalid-key"),
        ({"key": "archived"}, "invalid-key"),
        ({"key": "expired"}, "invalid-key"),
        ({"key": None, "bearer": "old"}, "invalid-bearer"),
        ({"key": None, "bearer": "nobody"}, "invalid-bearer"),
        ({"key": "alpha", "bearer": "alpha"}, "both-auth-headers"),
    ],
)
def test_authentication_on_revoked_key_scenario(kwargs: dict[str, Any], error_id: str) -> None:
    answer = ask("revoked-key", **kwargs)
    expect(answer, error_id, "authentication")
    assert answer.org_uuid is None


def test_authentication_oauth_and_bearer_rules() -> None:
    expect(ask("oauth-token", key="claude-code", kind="oauth"), "invalid-key", "authentication")
    expect(ask("oauth-token", key=None, bearer="claude-code", kind="oauth"), "oauth-not-supported", "authentication")
    expect(ask("oauth-token", key=None, bearer="someone-else", kind="oauth"), "oauth-not-supported", "authentication")
    expect(ask("bearer-rejected", key=None, bearer="alpha"), "invalid-bearer", "authentication")
    assert ask("healthy", key=None, bearer="alpha").status == 200
    expect(ask("healthy", key=None, authorization="Basic abc"), "invalid-bearer", "authentication")
    expect(ask("healthy", key=None, x_api_key=""), "missing-key", "authentication")


def test_oauth_accepted_only_with_the_beta_when_the_scenario_allows_it() -> None:
    data = {"name": "oauth-ok", "api": {"accept_oauth_tokens": True}, "keys": [{"name": "cc", "kind": "oauth"}]}
    s = load_scenario(data)
    expect(ask(s, key=None, bearer="cc", kind="oauth"), "oauth-not-supported", "authentication")
    assert ask(s, key=None, bearer="cc", kind="oauth", beta="oauth-2025-04-20").status == 200


def test_version_is_checked_after_authentication() -> None:
    expect(ask("healthy", version=None), "version-missing", "version")
    expect(ask("healthy", key="nobody", version=None), "invalid-key", "authentication")
    expect(ask("bearer-rejected", key=None, bearer="alpha", version=None), "invalid-bearer", "authentication")
    expect(ask("healthy", version="2024-10-22"), "version-invalid", "version", version="2024-10-22")
    expect(ask("version-2023-only", version="2026-10-21"), "version-invalid", "version", version="2026-10-21")
    assert ask("healthy", version="2023-01-01").status == 200


def test_scope_of_admin_and_inference_keys() -> None:
    expect(ask("admin-key", key="ops-admin", kind="admin"), "admin-key-on-inference", "scope")
    expect(ask("admin-key", method="GET", path="/v1/organizations/api_keys"), "admin-endpoint-needs-admin-key", "scope")
    assert ask("admin-key", method="GET", path="/v1/organizations/me", key="ops-admin", kind="admin").status == 200


def test_beta_header() -> None:
    expect(ask("healthy", beta="made-up-2099-01-01"), "beta-unsupported", "beta", beta="made-up-2099-01-01")
    assert ask("healthy", beta="prompt-caching-2024-07-31, token-counting-2024-11-01").status == 200


def test_workspace_rules() -> None:
    expect(ask("identity-linked", key="personal"), "workspace-required", "workspace")
    assert ask("identity-linked", key="personal", workspace_id="wrkspc_team").status == 200
    expect(ask("identity-linked", key="personal", workspace_id="wrkspc_old"), "workspace-invalid", "workspace")
    expect(ask("identity-linked", key="alpha", workspace_id="wrkspc_team"), "workspace-invalid", "workspace")
    assert ask("identity-linked", key="alpha", workspace_id="wrkspc_default").status == 200


def test_account_blocks() -> None:
    expect(ask("org-disabled"), "org-disabled", "org-disabled")
    expect(ask("org-disabled", method="GET", path="/v1/models"), "org-disabled", "org-disabled")
    expect(ask("credit-exhausted"), "credit-exhausted", "credit")
    expect(ask("credit-exhausted", path="/v1/messages/count_tokens"), "credit-exhausted", "credit")
    assert ask("credit-exhausted", method="GET", path="/v1/models").status == 200
    expect(ask("spend-limit"), "spend-limit", "spend-limit", resume_date="2026-12-01")
    cap = ask("spend-cap-tier")
    expect(cap, "spend-cap-429", "spend-limit")
    assert json.loads(cap.body)["error"]["details"] == {"error_code": "enforced_spend_limit_reached"}
    assert "retry-after" not in dict(cap.headers)
    assert ask("credit-exhausted").org_uuid == load_scenario("credit-exhausted").orgs[0].uuid


def test_rate_limit_counts_per_organization() -> None:
    s = load_scenario("rate-limited")
    limiter = RateLimiter(s.rate_limit.requests_per_minute)
    first, second, third = (ask(s, limiter=limiter) for _ in range(3))
    assert first.status == second.status == 200
    assert dict(second.headers)["anthropic-ratelimit-requests-remaining"] == "0"
    expect(third, "rate-limited", "rate-limit", limit=2)
    retry = int(dict(third.headers)["retry-after"])
    assert 1 <= retry <= 60


@pytest.mark.parametrize(
    ("body", "ctype", "error_id", "fields"),
    [
        (b"{not json", "application/json", "invalid-json", {}),
        (json.dumps(MSG).encode(), "text/plain", "invalid-content-type", {}),
        (
            json.dumps({"model": "claude-haiku-4-5", "messages": []}).encode(),
            "application/json",
            "field-required",
            {"field": "max_tokens"},
        ),
        (
            json.dumps({"max_tokens": 5, "messages": [{}]}).encode(),
            "application/json",
            "field-required",
            {"field": "model"},
        ),
        (
            json.dumps(dict(MSG, max_tokens="5")).encode(),
            "application/json",
            "field-invalid",
            {"field": "max_tokens", "problem": "Input should be a valid integer"},
        ),
        (
            b"[1, 2]",
            "application/json",
            "field-invalid",
            {"field": "body", "problem": "Input should be a valid dictionary"},
        ),
    ],
)
def test_body_errors(body: bytes, ctype: str, error_id: str, fields: dict[str, str]) -> None:
    s = load_scenario("healthy")
    req = Request(
        method="POST",
        path="/v1/messages",
        x_api_key=fake_key("alpha"),
        version="2023-06-01",
        content_type=ctype,
        body=body,
    )
    expect(decide(req, Context(s, RateLimiter(0), time.time())), error_id, "body", **fields)


def test_parameters_removed_in_2026_10_21() -> None:
    body = dict(MSG, temperature=0.5)
    expect(ask("healthy", version="2026-10-21", body=body), "parameter-removed", "parameters", field="temperature")
    assert ask("healthy", version="2023-06-01", body=body).status == 200


def test_models_retired_and_unknown() -> None:
    expect(
        ask("retired-models", body=dict(MSG, model="claude-3-haiku-20240307")),
        "model-not-found",
        "model",
        model="claude-3-haiku-20240307",
    )
    expect(
        ask("healthy", body=dict(MSG, model="claude-haiku-4.5")), "model-not-found", "model", model="claude-haiku-4.5"
    )
    expect(ask("healthy", key="nobody", body=dict(MSG, model="nope")), "invalid-key", "authentication")
    got = ask("retired-models", method="GET", path="/v1/models/claude-3-haiku-20240307")
    assert got.status == 200 and json.loads(got.body)["lifecycle"] == "retired"
    expect(ask("healthy", method="GET", path="/v1/models/claude-9"), "model-not-found", "endpoint", model="claude-9")


def test_model_list_pagination_and_lifecycle() -> None:
    def page(**query: str) -> dict[str, Any]:
        answer = ask("retired-models", method="GET", path="/v1/models", query=query)
        assert answer.status == 200, answer.body
        return dict(json.loads(answer.body))

    everything = page(limit="1000")
    ids = [m["id"] for m in everything["data"]]
    assert len(ids) == 3 and not everything["has_more"]  # retired ones hidden by default
    first = page(limit="2")
    assert first["has_more"] and first["first_id"] == ids[0] and first["last_id"] == ids[1]
    rest = page(limit="2", after_id=first["last_id"])
    assert [m["id"] for m in rest["data"]] == ids[2:] and not rest["has_more"]
    back = page(limit="1", before_id=ids[2])
    assert [m["id"] for m in back["data"]] == [ids[1]] and back["has_more"]
    answer = ask("retired-models", method="GET", path="/v1/models", lifecycle=("retired",))
    assert {m["lifecycle"] for m in json.loads(answer.body)["data"]} == {"retired"}
    bad = ask("healthy", method="GET", path="/v1/models", query={"limit": "0"})
    expect(bad, "query-invalid", "endpoint", param="limit", problem="Input should be greater than or equal to 1")


def test_admin_endpoints() -> None:
    def admin(path: str, **query: str) -> tuple[int, dict[str, Any]]:
        answer = ask("revoked-key", method="GET", path=path, key="admin", kind="admin", query=query)
        return answer.status, json.loads(answer.body)

    status, listing = admin("/v1/organizations/api_keys")
    assert status == 200 and {k["name"] for k in listing["data"]} == {"alpha", "old", "archived", "expired"}
    by_name = {k["name"]: k for k in listing["data"]}
    assert by_name["old"]["status"] == "inactive" and by_name["old"]["workspace_id"] == "wrkspc_default"
    hint = by_name["old"]["partial_key_hint"]
    assert hint.startswith("sk-ant-api03-") and "..." in hint and fake_key("old") not in json.dumps(listing)
    status, only = admin("/v1/organizations/api_keys", status="inactive")
    assert [k["name"] for k in only["data"]] == ["old"]
    status, page = admin("/v1/organizations/api_keys", limit="2")
    assert len(page["data"]) == 2 and page["has_more"]
    status, one = admin(f"/v1/organizations/api_keys/{by_name['old']['id']}")
    assert status == 200 and one["name"] == "old"
    status, spaces = admin("/v1/organizations/workspaces")
    assert status == 200 and [w["id"] for w in spaces["data"]] == ["wrkspc_default"]
    status, me = admin("/v1/organizations/me")
    assert me == {"id": load_scenario("revoked-key").orgs[0].uuid, "name": "Example Org", "type": "organization"}


def test_every_answer_error_comes_from_the_catalog() -> None:
    answers = [ask("revoked-key", key="old"), ask("healthy", version=None), ask("credit-exhausted")]
    for answer in answers:
        assert answer.error_id is not None
        assert error_of(answer)[2] == catalog().error(answer.error_id).render() or answer.error_id == "version-invalid"


def test_every_unconfirmed_answer_is_explained_by_an_assumption() -> None:
    explained = {eid for a in catalog().assumptions for eid in a.errors}
    guesses = {eid for eid, spec in catalog().errors.items() if not spec.confirmed}
    assert guesses <= explained, sorted(guesses - explained)
    assert len({a.id for a in catalog().assumptions}) == len(catalog().assumptions)
