"""The OpenAI and Gemini faces of the simulator: scenario fields, the decision order and the shipped scenarios."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from kit.demo.fakekeys import derive_key
from kit.errors import ScenarioError
from kit.providers import provider, provider_error
from kit.sim import SimServer, load_scenario, serve
from kit.sim.faces import mask_key
from kit.sim.scenario import all_scenarios, list_scenarios
from kit.testing import assert_no_leak, fake_key

OPENAI = {
    "name": "o",
    "api": {"provider": "openai"},
    "orgs": [{"id": "org-main"}],
    "keys": [{"name": "alpha", "project": "proj_main"}],
}
GEMINI = {"name": "g", "api": {"provider": "gemini"}, "orgs": [{"id": "proj-main"}], "keys": [{"name": "alpha"}]}


def _with(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = json.loads(json.dumps(base))
    for table, value in changes.items():
        if isinstance(out.get(table), list):
            out[table][0].update(value)
        elif isinstance(out.get(table), dict):
            out[table].update(value)
        else:
            out[table] = value
    return out


@pytest.mark.parametrize(
    ("scenario", "needle"),
    [
        (_with(OPENAI, keys={"referrers": ["x"]}), "'keys[0].referrers' belongs to gemini scenarios"),
        (_with(OPENAI, keys={"workspace": "wrkspc_x"}), "'keys[0].workspace' belongs to anthropic scenarios"),
        (_with(GEMINI, keys={"scopes": ["model.read"]}), "'keys[0].scopes' belongs to openai scenarios"),
        (_with(GEMINI, orgs={"disabled": True}), "'orgs[0].disabled' belongs to anthropic and openai scenarios"),
        (_with(GEMINI, api={"versions": ["2023-06-01"]}), "'api.versions' belongs to anthropic scenarios"),
        ({"name": "a", "keys": [{"name": "k", "project": "proj_x"}]}, "'keys[0].project' belongs to openai scenarios"),
        ({"name": "a", "orgs": [{"id": "o", "api_enabled": False}]}, "'orgs[0].api_enabled' belongs to gemini"),
        (_with(OPENAI, rate_limit={"requests_per_minute": 2}), "'rate_limit' belongs to anthropic scenarios"),
        (_with(OPENAI, keys={"scopes": ["model.read"]}), "'keys[0].scopes' is set on a key that is not restricted"),
        (_with(OPENAI, keys={"kind": "admin"}), "'keys[0].kind' is 'admin', which is not one of api, restricted"),
        (_with(OPENAI, keys={"format": "google-api"}), "'keys[0].format' is 'google-api'"),
        (_with(OPENAI, api={"provider": "opnai"}), "did you mean 'openai'?"),
    ],
)
def test_fields_of_another_face_are_refused_with_field_and_fix(scenario: dict[str, Any], needle: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(scenario)
    assert needle in str(info.value)
    assert "fix" in str(info.value) or "did you mean" in str(info.value)


def test_face_keys_are_derived_in_the_provider_format() -> None:
    s = load_scenario(_with(OPENAI, keys={"kind": "restricted", "scopes": ["model.read"]}))
    assert s.keys[0].value == derive_key("alpha", "openai-project") and s.keys[0].scopes == ("model.read",)
    assert load_scenario(GEMINI).keys[0].value == derive_key("alpha", "google-api")
    legacy = load_scenario(_with(OPENAI, keys={"format": "openai-legacy"}))
    assert len(legacy.keys[0].value) == 51
    assert [m.id for m in load_scenario(GEMINI).models] == list(provider("gemini").sim_models)


@pytest.mark.parametrize("name", list_scenarios("openai") + list_scenarios("gemini"))
def test_shipped_provider_scenarios_load_and_are_described(name: str) -> None:
    s = load_scenario(name)
    face = name.split("/")[0]
    assert s.name == name and s.api.provider == face and len(s.description) > 30
    kinds = {k.id for k in provider(face).kinds}
    for key in s.keys:
        assert any(key.value == derive_key(key.name, kind) for kind in kinds)


def test_every_face_has_its_common_failures_and_a_listing() -> None:
    shipped = set(all_scenarios())
    for face, families in (
        (
            "openai",
            (
                "healthy",
                "revoked-key",
                "quota-exhausted",
                "org-mismatch",
                "restricted-key",
                "account-deactivated",
                "gateway",
                "capture",
            ),
        ),
        (
            "gemini",
            (
                "healthy",
                "revoked-key",
                "quota-exhausted",
                "referrer-restricted",
                "api-restricted",
                "api-not-enabled",
                "standard-key-retired",
                "capture",
            ),
        ),
    ):
        assert {f"{face}/{f}" for f in families} <= shipped
    assert set(list_scenarios()) <= shipped and "openai/healthy" not in list_scenarios()
    with pytest.raises(ScenarioError, match="did you mean 'openai/healthy'"):
        load_scenario("openai/healthy-ish")


@pytest.fixture(scope="module")
def sims() -> Iterator[dict[str, SimServer]]:
    import contextlib

    names = [
        "openai/healthy",
        "openai/account-deactivated",
        "openai/capture",
        "openai/region-block",
        "openai/gateway",
        "gemini/healthy",
        "gemini/api-not-enabled",
        "gemini/standard-key-retired",
        "gemini/capture",
    ]
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(serve(name)) for name in names}


def _get(url: str, headers: dict[str, Any] | None = None, body: Any = None) -> httpx2.Response:
    if body is None:
        return httpx2.get(url, headers=headers or {}, timeout=20)
    return httpx2.post(url, headers=headers or {}, json=body, timeout=20)


def test_openai_decision_order_and_answers(sims: dict[str, SimServer]) -> None:
    s = sims["openai/healthy"]
    auth = {"authorization": f"Bearer {s.key('alpha')}"}
    r = _get(s.url + "/v1/nope", auth)
    assert r.status_code == 404 and r.json()["error"]["message"] == "Invalid URL (GET /v1/nope)"
    r = _get(s.url + "/v1/chat/completions", auth)  # wrong method: the same 404, whatever the key
    assert r.status_code == 404
    r = _get(s.url + "/v1/models/gpt-9", auth)
    assert (r.status_code, r.json()["error"]["code"]) == (404, "model_not_found")
    r = _get(s.url + "/v1/chat/completions", auth, {"model": "gpt-4o"})
    assert r.status_code == 400  # messages missing
    r = _get(s.url + "/v1/models", {"authorization": "Basic abc"})
    assert r.json()["error"]["message"] == provider_error("openai-missing-key").message
    r = _get(s.url + "/v1/models", {"authorization": "Bearer short"})
    assert "Incorrect API key provided: short." in r.json()["error"]["message"]  # short values are echoed
    assert s.entries()[-1]["check"] == "authentication"


def test_openai_masking_keeps_length_first_eight_and_last_four() -> None:
    key = fake_key("x", "openai-project")
    masked = mask_key(key)
    assert len(masked) == len(key) and masked[:8] == key[:8] and masked[-4:] == key[-4:]
    assert set(masked[8:-4]) == {"*"} and mask_key("hello") == "hello"


def test_openai_account_region_gateway_and_capture(sims: dict[str, SimServer]) -> None:
    s = sims["openai/account-deactivated"]
    r = _get(s.url + "/v1/models", {"authorization": f"Bearer {s.key('alpha')}"})
    assert (r.status_code, r.json()["error"]["code"]) == (401, "account_deactivated")
    r = _get(sims["openai/region-block"].url + "/v1/models")
    assert (r.status_code, r.json()["error"]["code"]) == (403, "unsupported_country_region_territory")
    r = _get(sims["openai/gateway"].url + "/v1/models")
    assert r.status_code == 401 and "x-request-id" not in r.headers and "x-litellm-version" in r.headers
    c = sims["openai/capture"]
    key = fake_key("mine", "openai-project")
    r = _get(
        c.url + "/v1/chat/completions",
        {"authorization": f"Bearer {key}", "openai-organization": "org-x"},
        {"model": "gpt-4o", "messages": []},
    )
    message = r.json()["error"]["message"]
    assert r.status_code == 401 and "KeyLab capture" in message and "openai-organization org-x" in message
    assert "key-wrong-provider" not in message and _is_openai_request_id(r.headers["x-request-id"])
    assert_no_leak([message, json.dumps(c.entries())], [key])


def _is_openai_request_id(value: str) -> bool:
    return value.startswith("req_") and len(value) == 36


def test_gemini_project_policy_and_capture(sims: dict[str, SimServer]) -> None:
    s = sims["gemini/api-not-enabled"]
    r = _get(s.url + "/v1beta/models", {"x-goog-api-key": s.key("alpha")})
    error = r.json()["error"]
    assert (r.status_code, error["status"], error["details"][0]["reason"]) == (
        403,
        "PERMISSION_DENIED",
        "SERVICE_DISABLED",
    )
    assert "project 123456789012 before or it is disabled" in error["message"]
    assert error["details"][-1]["@type"].endswith("google.rpc.Help")
    assert r.text.startswith('{\n  "error": {\n    "code": 403')  # pretty-printed, two spaces
    p = sims["gemini/standard-key-retired"]
    r = _get(p.url + "/v1beta/models", {"x-goog-api-key": p.key("alpha")})
    assert (r.status_code, r.json()["error"]["details"][0]["reason"]) == (401, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
    for name in ("auth", "restricted"):
        assert _get(p.url + "/v1beta/models", {"x-goog-api-key": p.key(name)}).status_code == 200
    c = sims["gemini/capture"]
    key = fake_key("mine", "google-api")
    r = _get(c.url + "/v1beta/models", {"x-goog-api-key": (key + "\u200b").encode()})
    message = r.json()["error"]["message"]
    assert r.status_code == 401 and "x-goog-api-key" in message and "U+200B" in message
    assert_no_leak([message, json.dumps(c.entries())], [key])


def test_gemini_unknown_model_route_and_body(sims: dict[str, SimServer]) -> None:
    s = sims["gemini/healthy"]
    auth = {"x-goog-api-key": s.key("alpha")}
    r = _get(s.url + "/v1beta/models/gemini-9:generateContent", auth, {"contents": []})
    assert (r.status_code, r.json()["error"]["status"]) == (404, "NOT_FOUND")
    assert _get(s.url + "/v2/models", auth).status_code == 404
    r = _get(s.url + "/v1beta/models/gemini-2.5-flash:generateContent", auth, {"prompt": "x"})
    assert (r.status_code, r.json()["error"]["status"]) == (400, "INVALID_ARGUMENT")
    r = _get(
        s.url + "/v1beta/models/gemini-2.5-flash:generateContent", auth, {"contents": [{"parts": [{"text": "Hi"}]}]}
    )
    assert r.status_code == 200 and r.headers["x-gemini-service-tier"] == "standard"
    r = _get(s.url + "/v1/models/gemini-2.5-flash", {"x-goog-api-key": ""})
    assert r.status_code == 403  # an empty key counts as none


def test_faults_answer_in_each_face_envelope() -> None:
    for face, error_id in (("openai", "openai-server-error"), ("gemini", "gemini-internal")):
        scenario = _with(OPENAI if face == "openai" else GEMINI, faults={"api_error": 1.0})
        with serve(scenario) as s:
            r = _get(s.url + "/v1/models")
        assert r.status_code == 500 and r.json()["error"]["message"] == provider_error(error_id).message


def test_the_cli_serves_a_provider_scenario_by_its_name() -> None:
    from kit.testing import simulator_process

    with simulator_process("gemini/healthy") as (url, _proc):
        key = fake_key("alpha", "google-api")
        r = _get(url + "/v1/models", {"x-goog-api-key": key})
        assert r.status_code == 200 and r.headers["x-keylab-scenario"] == "gemini/healthy"
