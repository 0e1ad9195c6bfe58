"""Scenario files: every shipped one loads; a bad one raises ScenarioError naming the field and the fix."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from kit.catalog import DATA_DIR, catalog
from kit.demo.fakekeys import derive_key
from kit.demo.sandbox import render_template
from kit.errors import ScenarioError
from kit.sim import list_scenarios, load_scenario

SHIPPED = list_scenarios()
FAMILIES = {
    "ticket",
    "healthy",
    "capture",
    "revoked-key",
    "oauth-token",
    "bearer-rejected",
    "both-headers",
    "admin-key",
    "identity-linked",
    "credit-exhausted",
    "org-disabled",
    "spend-limit",
    "spend-cap-tier",
    "rate-limited",
    "overloaded",
    "server-error",
    "flaky",
    "version-2023-only",
    "retired-models",
    "gateway",
    "html-proxy",
    "region-block",
}


def test_every_failure_family_has_a_scenario() -> None:
    assert set(SHIPPED) >= FAMILIES


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_load_and_are_described(name: str) -> None:
    s = load_scenario(name)
    assert s.name == name and len(s.description) > 30
    for key in s.keys:
        assert key.value == derive_key(key.name, key.kind)  # nothing key-shaped is committed
    for model in s.models:
        assert catalog().model(model.id) is not None, f"{name}: model {model.id} is not in the catalog"
    text = (DATA_DIR / "scenarios" / f"{name}.toml").read_text()
    assert not re.search(r"sk-ant-(api|admin|oat|ort)[0-9]{2}-[A-Za-z0-9_-]{20,}", text)


def test_ticket_keeps_its_contract_with_the_demo_sandbox() -> None:
    s = load_scenario("ticket")
    assert {k.name: k.status for k in s.keys} == {
        "prototype-2024": "inactive",
        "fresh-1": "active",
        "fresh-2": "active",
        "fresh-3": "active",
        "ticket-admin": "active",
    }
    sandbox = (DATA_DIR / "demo" / "ticket" / "sandbox.toml").read_text()
    rendered = render_template(sandbox, Path("/h"), Path("/p"))
    assert s.key("prototype-2024").value in rendered
    assert {m.id for m in s.models if m.retired} == {
        "claude-3-haiku-20240307",
        "claude-3-sonnet-20240229",
        "claude-3-5-sonnet-20241022",
    }


def test_a_scenario_by_path_and_by_dict(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('description = "x"\n[[keys]]\nname = "k"\n')
    s = load_scenario(path)
    assert s.name == "mine" and s.keys[0].org == "org-default" and s.orgs[0].id == "org-default"
    assert (
        load_scenario({"name": "d", "keys": [{"name": "k", "value": "literal-value"}]}).key("k").value
        == "literal-value"
    )


def bad(data: dict[str, Any]) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario({"name": "bad", **data})
    return info.value


@pytest.mark.parametrize(
    ("data", "field", "fix"),
    [
        ({"api": {"responder": "proxy"}}, "api.responder", "anthropic, gateway"),
        ({"api": {"responder": "gatway"}}, "api.responder", "did you mean 'gateway'"),
        ({"api": {"accept_bearer_api_keys": "yes"}}, "api.accept_bearer_api_keys", "true or false"),
        ({"api": {"versions": []}}, "api.versions", "2023-06-01"),
        ({"api": {"latency_ms": -5}}, "api.latency_ms", "0 or more"),
        ({"api": {"latency": 5}}, "api.latency", "did you mean 'latency_ms'"),
        ({"keys": [{"name": "a", "stauts": "active"}]}, "keys[0].stauts", "did you mean 'status'"),
        ({"keys": [{"name": "a", "status": "revoked"}]}, "keys[0].status", "active, inactive, archived, expired"),
        ({"keys": [{"name": "a", "kind": "oauth-token"}]}, "keys[0].kind", "did you mean 'oauth'"),
        ({"keys": [{"status": "active"}]}, "keys[0].name", "add name"),
        ({"keys": [{"name": "a", "org": "org-x"}]}, "keys[0].org", "[[orgs]]"),
        ({"keys": [{"name": "a"}, {"name": "a"}]}, "keys[1].name", "unique"),
        ({"keys": [{"name": "a", "value": " padded "}]}, "keys[0].value", "without surrounding whitespace"),
        ({"orgs": [{"id": "o", "credit": "low"}]}, "orgs[0].credit", "ok, exhausted"),
        ({"orgs": [{"id": "o", "spend_limit_resume": "soon"}]}, "orgs[0].spend_limit_resume", "YYYY-MM-DD"),
        ({"models": [{"id": "m", "retired": "no"}]}, "models[0].retired", "true or false"),
        ({"rate_limit": {"requests_per_minute": 1.5}}, "rate_limit.requests_per_minute", "an integer"),
        ({"faults": {"overloaded": 1.5}}, "faults.overloaded", "0.1"),
        ({"faults": {"overloaded": 0.6, "api_error": 0.6}}, "faults.api_error", "at most 1"),
        ({"faults": {"paths": ["v1/messages"]}}, "faults.paths", "/v1/messages"),
        ({"keys": {"name": "a"}}, "keys", "[[keys]]"),
        ({"colour": "blue"}, "colour", "known fields"),
    ],
)
def test_validation_names_the_field_and_the_fix(data: dict[str, Any], field: str, fix: str) -> None:
    err = bad(data)
    assert f"'{field}'" in err.problem, err.problem
    assert fix in err.fix, err.fix


def test_unknown_scenario_name_suggests_the_close_one() -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario("helthy")
    assert "did you mean 'healthy'" in info.value.fix


def test_broken_toml_and_missing_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("name = \n")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(broken)
    with pytest.raises(ScenarioError, match="does not exist"):
        load_scenario(tmp_path / "absent.toml")


def test_scenario_repr_shows_no_key() -> None:
    s = load_scenario("healthy")
    assert s.key("alpha").value not in repr(s) + repr(s.keys)
