"""Each path rule alone, on hand-built evidence: what it reports, how sure it is, and when it stays quiet."""

from __future__ import annotations

from typing import Any

import pytest

from kit.diagnose.rules import RULES as ALL_RULES
from kit.diagnose.rules.path import (
    RULES,
    base_url_override,
    network_unreachable,
    proxy_interference,
    region_blocked,
    tls_interception,
)
from kit.values import AttemptResult, Evidence, PathCheck, Winner

API = "https://api.anthropic.com"
GW = "http://127.0.0.1:4000"


def attempt(**overrides: Any) -> AttemptResult:
    row: dict[str, Any] = dict(
        run_id="r1",
        attempt_id="a1",
        key_alias="fresh-1",
        fingerprint="fp1",
        hint="sk-ant-api03-abc...xyAA",
        source="env:ANTHROPIC_API_KEY",
        client="curl",
        client_version="7.88.1",
        endpoint="/v1/models",
        method="GET",
        model=None,
        api_version="2023-06-01",
        auth_style="x-api-key",
        base_url=API,
        status=401,
        error_type="authentication_error",
        error_message="invalid x-api-key",
        request_id="req_011CSHa1FurUZv2Lu8mxQdXf",
        responder="anthropic",
        latency_ms=120.0,
        transport_error=None,
        started_at="2026-11-27T00:00:00Z",
    )
    row.update(overrides)
    return AttemptResult(**row)


def healthy_path() -> tuple[PathCheck, ...]:
    return (
        PathCheck("dns", "api.anthropic.com", True, "resolves to 2 IPv4 and 2 IPv6 address(es)"),
        PathCheck("tcp", "api.anthropic.com:443", True, "IPv4 connect works"),
        PathCheck(
            "tls",
            "api.anthropic.com:443",
            True,
            "TLSv1.3, verified by system store",
            details=(("issuer", "WE1 (Google Trust Services)"),),
        ),
        PathCheck("http", "api.anthropic.com:443", True, "the API itself answers: 401 ..."),
        PathCheck(
            "base-url",
            API,
            True,
            "sends to the official API (the SDK's default)",
            client="sdk-python",
            details=(("url", API), ("source", "default")),
        ),
        PathCheck("proxy", API, True, "direct (no proxy applies)", client="sdk-python"),
    )


def test_registry_exports_every_rule_once() -> None:
    assert {r.name for r in RULES} == {
        "base_url_override",
        "proxy_interference",
        "tls_interception",
        "network_unreachable",
        "region_blocked",
    }
    assert all(r in ALL_RULES for r in RULES)
    assert {c for r in RULES for c in r.causes} == {
        "base-url-override",
        "proxy-interference",
        "tls-interception",
        "network-unreachable",
        "region-blocked",
    }


@pytest.mark.parametrize("check", RULES, ids=lambda r: r.name)
def test_rules_stay_quiet_on_a_healthy_path(check: Any) -> None:
    evidence = Evidence(path=healthy_path(), attempts=(attempt(),))
    assert check(evidence) == ()
    assert check(Evidence()) == ()


# ── base-url-override ───────────────────────────────────────────────────────────────────


def _override_row(client: str = "sdk-python") -> PathCheck:
    return PathCheck(
        "base-url",
        GW,
        False,
        "sends to 127.0.0.1, not the API (set by ANTHROPIC_BASE_URL)",
        client=client,
        details=(("url", GW), ("source", "ANTHROPIC_BASE_URL")),
        cause="base-url-override",
        fix="unset ANTHROPIC_BASE_URL",
    )


def test_base_url_override_configured_only_is_a_warning() -> None:
    findings = base_url_override(Evidence(path=(*healthy_path(), _override_row())))
    assert len(findings) == 1
    f = findings[0]
    assert (f.cause, f.severity) == ("base-url-override", "warning") and "sdk-python" in f.title
    assert "ANTHROPIC_BASE_URL" in f.fix


def test_base_url_override_with_a_gateway_answer_is_a_blocker() -> None:
    gw_attempts = tuple(
        attempt(
            attempt_id=f"a{i}",
            base_url=GW,
            responder="gateway",
            request_id=None,
            error_type="auth_error",
            error_message="Authentication Error, No api key passed in.",
            client=c,
        )
        for i, c in enumerate(("sdk-python", "sdk-node@1.14.0"))
    )
    evidence = Evidence(path=(*healthy_path(), _override_row()), attempts=(attempt(), *gw_attempts))
    (f,) = base_url_override(evidence)
    assert f.severity == "blocker" and f.confidence >= 0.9 and f.explains == 2
    assert any("gateway" in e for e in f.evidence) and "127.0.0.1" in f.title


def test_base_url_override_from_winners_and_an_empty_value() -> None:
    winner = Winner(
        client="sdk-node@0.24.3",
        client_version="0.24.3",
        source_id="env:ANTHROPIC_API_KEY",
        header="x-api-key",
        fingerprint="fp1",
        hint="h",
        base_url="https://relay.example/anthropic",
    )
    empty = PathCheck(
        "base-url",
        "(empty)",
        False,
        "ANTHROPIC_BASE_URL gives '(empty)', which empty: every request fails before it leaves the machine",
        client="sdk-python",
        details=(("url", "(empty)"), ("source", "ANTHROPIC_BASE_URL")),
        cause="base-url-override",
        fix="run `unset ANTHROPIC_BASE_URL`",
    )
    findings = base_url_override(Evidence(path=(empty,), winners=(winner,)))
    assert {f.severity for f in findings} == {"blocker", "warning"}
    assert any("relay.example" in f.title for f in findings)
    assert any("unusable" in f.title for f in findings)


def test_base_url_override_ignores_the_users_own_target() -> None:
    target = PathCheck(
        "base-url",
        "http://127.0.0.1:5000",
        False,
        "x",
        client="curl",
        cause="base-url-override",
        details=(("url", "http://127.0.0.1:5000"), ("source", "target")),
    )
    assert base_url_override(Evidence(path=(target,))) == ()


# ── proxy-interference ──────────────────────────────────────────────────────────────────


def test_proxy_407_in_the_path_is_a_blocker() -> None:
    row = PathCheck(
        "proxy",
        "api.anthropic.com:443 via http://proxy:3128",
        False,
        "the proxy wants its own credentials (407 ...)",
        cause="proxy-interference",
        fix="put the proxy credentials in HTTPS_PROXY",
    )
    (f,) = proxy_interference(Evidence(path=(row,)))
    assert f.severity == "blocker" and f.fix.startswith("put the proxy credentials")


def test_html_answers_at_the_official_host_are_proxy_interference() -> None:
    attempts = (
        attempt(status=403, responder="html-proxy", request_id=None, error_type=None, error_message=None),
        attempt(attempt_id="a2", status=401, responder="gateway", request_id=None),
    )
    (f,) = proxy_interference(Evidence(path=healthy_path(), attempts=attempts))
    assert f.severity == "blocker" and f.confidence >= 0.9 and f.explains == 2


def test_a_gateway_at_a_non_official_url_is_not_proxy_interference() -> None:
    attempts = (attempt(base_url=GW, responder="gateway", request_id=None),)
    assert proxy_interference(Evidence(attempts=attempts)) == ()


def test_split_routes_are_a_warning_and_a_clean_proxy_a_note() -> None:
    via = PathCheck(
        "proxy", API, True, "via proxy http://proxy:3128 (from HTTPS_PROXY)", client="curl", cause="proxy-interference"
    )
    direct = PathCheck("proxy", API, True, "direct (no proxy applies)", client="sdk-node@0.24.3")
    (split,) = proxy_interference(Evidence(path=(via, direct)))
    assert split.severity == "warning" and "sdk-node@0.24.3" in split.title
    passed = PathCheck("http", "api.anthropic.com:443 via http://proxy:3128", True, "the API itself answers: 401")
    (note,) = proxy_interference(Evidence(path=(via, passed)))
    assert note.severity == "info" and "passes the API's answers through" in note.title


# ── tls-interception ────────────────────────────────────────────────────────────────────


def test_unexpected_issuer_is_a_warning_naming_the_issuer() -> None:
    row = PathCheck(
        "tls",
        "api.anthropic.com:443",
        False,
        "certificate issued by 'Zscaler Root CA' ...",
        details=(("issuer", "Zscaler Intermediate (Zscaler Inc.)"),),
        cause="tls-interception",
        fix="ask IT",
    )
    (f,) = tls_interception(Evidence(path=(row,)))
    assert f.severity == "warning" and "Zscaler" in f.title and f.fix == "ask IT"


def test_unverified_chain_or_certificate_errors_are_blockers() -> None:
    row = PathCheck(
        "tls", "api.anthropic.com:443", False, "no trust store verifies this certificate: ...", cause="tls-interception"
    )
    (f,) = tls_interception(Evidence(path=(row,)))
    assert f.severity == "blocker"
    attempts = (
        attempt(
            status=None,
            responder="none",
            transport_error="SSLCertVerificationError",
            error_type=None,
            error_message=None,
            request_id=None,
        ),
    )
    (g,) = tls_interception(Evidence(attempts=attempts))
    assert g.severity == "blocker" and g.explains == 1


def test_connection_errors_behind_an_unverified_certificate_count_as_tls() -> None:
    # SDKs wrap a failed certificate check as a plain connection error (APIConnectionError, httpx ConnectError)
    path = (
        PathCheck("tcp", "api.anthropic.com:443", True, "IPv4 connect works"),
        PathCheck(
            "tls",
            "api.anthropic.com:443",
            False,
            "no trust store verifies this certificate: ...",
            cause="tls-interception",
            fix="install the CA",
        ),
    )
    attempts = tuple(
        attempt(
            attempt_id=f"a{i}",
            client=c,
            status=None,
            responder="none",
            transport_error=e,
            error_type=None,
            error_message=None,
            request_id=None,
        )
        for i, (c, e) in enumerate(
            (
                ("httpx2", "ConnectError"),
                ("sdk-python", "APIConnectionError"),
                ("curl", "CURLE_PEER_FAILED_VERIFICATION"),
            )
        )
    )
    (f,) = tls_interception(Evidence(path=path, attempts=attempts))
    assert f.severity == "blocker" and f.explains == 3
    assert network_unreachable(Evidence(path=path, attempts=attempts)) == ()
    # without the path evidence, a connection error is just that
    assert tls_interception(Evidence(attempts=attempts[:2])) == ()
    (g,) = network_unreachable(Evidence(attempts=attempts[:2]))
    assert g.severity == "blocker"


def test_proxy_errors_in_attempts_are_proxy_interference() -> None:
    attempts = (
        attempt(
            status=None,
            responder="none",
            transport_error="ProxyError",
            error_type=None,
            error_message="407 Proxy Authentication Required",
            request_id=None,
        ),
    )
    (f,) = proxy_interference(Evidence(attempts=attempts))
    assert f.severity == "blocker" and "ProxyError" in f.evidence[0]


# ── network-unreachable ─────────────────────────────────────────────────────────────────


def test_nothing_reachable_is_a_blocker() -> None:
    dns = PathCheck("dns", "api.anthropic.com", False, "does not resolve", cause="network-unreachable", fix="check DNS")
    attempts = (
        attempt(
            status=None,
            responder="none",
            transport_error="ConnectError",
            error_type=None,
            error_message=None,
            request_id=None,
        ),
    )
    (f,) = network_unreachable(Evidence(path=(dns,), attempts=attempts))
    assert f.severity == "blocker" and f.fix == "check DNS" and f.explains == 1


def test_a_dead_side_route_is_only_a_warning() -> None:
    dead = PathCheck("tcp", "127.0.0.1:4000", False, "refused", cause="network-unreachable")
    (f,) = network_unreachable(Evidence(path=(*healthy_path(), dead), attempts=(attempt(),)))
    assert f.severity == "warning"


def test_tls_errors_are_not_counted_as_unreachable() -> None:
    attempts = (
        attempt(
            status=None,
            responder="none",
            transport_error="SSLError",
            error_type=None,
            error_message=None,
            request_id=None,
        ),
    )
    assert network_unreachable(Evidence(attempts=attempts)) == ()


# ── region-blocked ──────────────────────────────────────────────────────────────────────


def test_region_block_from_attempts_or_the_path() -> None:
    attempts = (
        attempt(
            status=403,
            error_type="forbidden",
            error_message="Request not allowed",
            request_id=None,
            responder="region-block",
        ),
    )
    (f,) = region_blocked(Evidence(attempts=attempts))
    assert f.severity == "blocker" and "not a key problem" in f.title and f.explains == 1
    row = PathCheck(
        "http", "api.anthropic.com:443", False, "the API's edge refuses this network", cause="region-blocked"
    )
    (g,) = region_blocked(Evidence(path=(row,)))
    assert g.cause == "region-blocked"


def test_findings_render() -> None:
    row = PathCheck(
        "http", "api.anthropic.com:443", False, "the API's edge refuses this network", cause="region-blocked"
    )
    (f,) = region_blocked(Evidence(path=(row,)))
    assert "region-blocked" in f.to_text() and "<li>" in f.to_html() and f.to_dict()["cause"] == "region-blocked"
