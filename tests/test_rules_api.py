"""Each API rule alone, over hand-built evidence: what it reports, what it leaves to other rules, and its fix."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from scenarios.builders import admin_key, attempt, evidence, fp, key_value, report, source, winner

from kit.diagnose.rules import api
from kit.testing import assert_no_leak
from kit.values import Evidence, Finding


def only(findings: tuple[Finding, ...], cause: str) -> Finding:
    assert [f.cause for f in findings] == [cause], findings
    return findings[0]


# ---------------------------------------------------------------- key-rejected


def test_key_rejected_names_the_key_its_request_ids_and_where_it_is_stored() -> None:
    ev = evidence(
        attempt("old", "invalid-key", client="httpx2"),
        attempt("old", "invalid-key", client="curl"),
        attempt("old", "invalid-key", client="sdk-python", auth="x-api-key"),
        sources=(source("old", kind="shell", location="/home/u/.zshrc line 6", exported=True),),
        winners=(winner("sdk-python", "old"), winner("curl", "old")),
    )
    f = only(api.key_rejected(ev), "key-rejected")
    assert f.severity == "blocker" and f.confidence >= 0.9
    text = f.to_text()
    assert fp("old") in text and "req_" in text
    assert "/home/u/.zshrc line 6" in f.fix and "Console" in f.fix
    assert "3 clients" in text and "sent by: curl, sdk-python" in text
    assert f.explains == 3
    assert_no_leak([text], [key_value("old")])


def test_key_rejected_is_silent_when_the_same_key_is_accepted_somewhere() -> None:
    ev = evidence(attempt("k", "invalid-key", client="curl"), attempt("k", 200, client="httpx2"))
    assert api.key_rejected(ev) == ()


def test_key_rejected_leaves_malformed_keys_to_the_key_rules() -> None:
    bad = key_value("k") + "."
    ev = evidence(attempt("k", "invalid-key", value=bad), reports=(report("k", bad),))
    assert api.key_rejected(ev) == ()


def test_key_rejected_ignores_a_gateway_401() -> None:
    ev = evidence(attempt("k", "invalid-key", responder="gateway", request_id=None))
    assert api.key_rejected(ev) == ()


def test_key_rejected_is_a_warning_for_a_key_no_client_sends() -> None:
    ev = evidence(attempt("spare", "invalid-key"), attempt("main", 200), winners=(winner("sdk-python", "main"),))
    f = only(api.key_rejected(ev), "key-rejected")
    assert f.severity == "warning"


# ---------------------------------------------------------------- key-inactive


def test_key_inactive_matches_the_admin_list_by_hint_and_reports_the_status() -> None:
    ev = evidence(attempt("proto", "invalid-key"), admin_keys=(admin_key("proto", "inactive"),))
    f = only(api.key_inactive(ev), "key-inactive")
    assert "inactive" in f.title and "proto" in f.title
    assert "Re-activate" in f.fix
    # the more specific cause replaces key-rejected for the same key
    assert api.key_rejected(ev) == ()


def test_key_inactive_ignores_active_and_unmatched_keys() -> None:
    ev = evidence(attempt("a", 200), admin_keys=(admin_key("a", "active"), admin_key("elsewhere", "archived")))
    assert api.key_inactive(ev) == ()


def test_key_inactive_expired_says_create_a_new_key() -> None:
    ev = evidence(attempt("e", "invalid-key"), admin_keys=(admin_key("e", "expired", expires_at="2026-01-01"),))
    f = only(api.key_inactive(ev), "key-inactive")
    assert "expired" in f.fix and "create a new key" in f.fix
    assert any("expires 2026-01-01" in line for line in f.evidence)


# ---------------------------------------------------------------- workspace, scheme, both headers


def test_workspace_id_required_names_the_header_and_the_workspace_from_the_admin_api() -> None:
    ev = evidence(
        attempt("person", "workspace-required"), admin_keys=(admin_key("person", "active", workspace_id="wrkspc_team"),)
    )
    f = only(api.workspace_id_required(ev), "workspace-id-required")
    assert "anthropic-workspace-id: wrkspc_team" in f.fix
    assert f.severity == "blocker"


def test_wrong_auth_scheme_when_bearer_fails_and_x_api_key_works() -> None:
    ev = evidence(
        attempt("k", "invalid-bearer", auth="bearer", client="sdk-python"),
        attempt("k", 200, auth="x-api-key", client="httpx2"),
        sources=(source("k", variable="ANTHROPIC_AUTH_TOKEN", location="/p/.env line 2"),),
    )
    f = only(api.wrong_auth_scheme(ev), "wrong-auth-scheme")
    assert f.confidence >= 0.9
    assert "ANTHROPIC_API_KEY" in f.fix and "ANTHROPIC_AUTH_TOKEN" in f.fix and "/p/.env line 2" in f.fix


def test_wrong_auth_scheme_defers_to_key_rejected_when_x_api_key_is_rejected_too() -> None:
    ev = evidence(attempt("k", "invalid-bearer", auth="bearer"), attempt("k", "invalid-key"))
    assert api.wrong_auth_scheme(ev) == ()
    assert [f.cause for f in api.key_rejected(ev)] == ["key-rejected"]


def test_wrong_auth_scheme_leaves_oauth_tokens_to_the_key_rules() -> None:
    ev = evidence(attempt("t", "invalid-bearer", auth="bearer", kind="oauth"), reports=(report("t", kind="oauth"),))
    assert api.wrong_auth_scheme(ev) == ()


def test_both_auth_headers() -> None:
    ev = evidence(
        attempt("k", "both-auth-headers", auth="both", client="sdk-python"),
        attempt("k", 200, auth="x-api-key"),
        sources=(source("tok", variable="ANTHROPIC_AUTH_TOKEN", location="/h/.bashrc line 3"),),
        winners=(winner("sdk-python", "k", header="both"),),
    )
    f = only(api.both_auth_headers(ev), "both-auth-headers")
    assert f.severity == "blocker" and "unset ANTHROPIC_AUTH_TOKEN" in f.fix and "/h/.bashrc line 3" in f.fix


# ---------------------------------------------------------------- the account


@pytest.mark.parametrize(
    ("error", "cause", "words"),
    [
        ("credit-exhausted", "credit-exhausted", "Billing"),
        ("org-disabled", "org-disabled", "support"),
        ("permission-denied", "permission-denied", "admin"),
    ],
)
def test_account_answers(error: str, cause: str, words: str) -> None:
    ev = evidence(attempt("k", error, endpoint="/v1/messages/count_tokens", method="POST", model="claude-haiku-4-5"))
    rule = {
        "credit-exhausted": api.credit_exhausted,
        "org-disabled": api.org_disabled,
        "permission-denied": api.permission_denied,
    }[cause]
    f = only(rule(ev), cause)
    assert f.severity == "blocker" and words in f.fix
    assert "org-main" in f.to_text()
    for other in (api.key_rejected, api.rate_limited, api.healthy):
        assert other(ev) == ()


def test_spend_limit_400_names_the_resume_date() -> None:
    ev = evidence(attempt("k", "spend-limit", resume_date="2026-12-01"))
    f = only(api.spend_limit_reached(ev), "spend-limit-reached")
    assert "2026-12-01" in f.fix and "Limits" in f.fix


def test_spend_cap_429_is_a_spend_limit_not_a_rate_limit() -> None:
    ev = evidence(attempt("k", "spend-cap-429"))
    assert [f.cause for f in api.spend_limit_reached(ev)] == ["spend-limit-reached"]
    assert api.rate_limited(ev) == ()


# ---------------------------------------------------------------- transient


def test_rate_limited_is_a_warning_when_other_requests_got_through() -> None:
    ev = evidence(attempt("k", "rate-limited", limit=5, retry_wait_s=2.0), attempt("k", 200))
    f = only(api.rate_limited(ev), "rate-limited")
    assert f.severity == "warning" and any("waited 2.0 s" in line for line in f.evidence)


def test_rate_limited_blocks_when_nothing_got_through() -> None:
    ev = evidence(attempt("k", "rate-limited", limit=5), attempt("k", "rate-limited", limit=5))
    assert only(api.rate_limited(ev), "rate-limited").severity == "blocker"


def test_overloaded_and_server_error() -> None:
    ev = evidence(attempt("k", "overloaded"), attempt("k", "api-error"), attempt("k", 200))
    assert only(api.overloaded(ev), "overloaded").severity == "warning"
    assert only(api.server_error(ev), "server-error").severity == "warning"


# ---------------------------------------------------------------- the request


def test_model_unavailable_gives_the_retirement_date_and_successor() -> None:
    ev = evidence(
        attempt("k", 200),
        attempt("k", "model-not-found", endpoint="/v1/models/{id}", model="claude-3-haiku-20240307"),
        winners=(winner("sdk-python", "k"),),
    )
    f = only(api.model_unavailable(ev), "model-unavailable")
    assert f.severity == "blocker"
    assert "2026-04-19" in f.to_text() and "claude-3-haiku-20240307 → claude-haiku-4-5" in f.fix


def test_model_unavailable_from_the_catalog_when_auth_failed_first_is_a_warning() -> None:
    ev = evidence(attempt("k", "invalid-key"), models_requested=("claude-3-5-sonnet-20241022", "claude-haiku-4-5"))
    f = only(api.model_unavailable(ev), "model-unavailable")
    assert f.severity == "warning"
    assert "2025-10-28" in f.to_text() and "claude-sonnet-4-6" in f.fix
    assert "claude-haiku-4-5 " not in f.title  # a current model is not reported


def test_model_unavailable_suggests_the_closest_id_for_a_misspelling() -> None:
    ev = evidence(attempt("k", "model-not-found", endpoint="/v1/models/{id}", model="claude-haiku-4.5"))
    f = only(api.model_unavailable(ev), "model-unavailable")
    assert "claude-haiku-4.5 → claude-haiku-4-5" in f.fix


def test_version_invalid() -> None:
    ev = evidence(attempt("k", "version-invalid", version="2024-10-22"), attempt("k", 200, version="2023-06-01"))
    f = only(api.version_invalid(ev), "version-invalid")
    assert "2024-10-22" in f.title and "anthropic-version: 2023-06-01" in f.fix
    assert f.severity == "warning"  # another version works


# ---------------------------------------------------------------- healthy


def test_healthy_needs_the_key_a_client_really_sends() -> None:
    works = attempt("spare", 200)
    fails = attempt("main", "invalid-key")
    assert api.healthy(evidence(works, fails, winners=(winner("sdk-python", "main"),))) == ()
    f = only(api.healthy(evidence(works, fails, winners=(winner("sdk-python", "spare"),))), "healthy")
    assert f.severity == "info" and "sdk-python" in f.to_text()


def test_healthy_without_winner_evidence_takes_any_working_key() -> None:
    assert [f.cause for f in api.healthy(evidence(attempt("k", 200)))] == ["healthy"]


def test_healthy_counts_the_official_url_as_the_probed_one() -> None:
    ev = evidence(attempt("k", 200), winners=(winner("curl", "k", base_url="https://api.anthropic.com"),))
    assert [f.cause for f in api.healthy(ev)] == ["healthy"]
    other = evidence(attempt("k", 200), winners=(winner("curl", "k", base_url="https://gw.example/v1"),))
    assert api.healthy(other) == ()


# ---------------------------------------------------------------- all rules together


def test_no_api_rule_fires_on_empty_evidence_or_transport_failures() -> None:
    for ev in (Evidence(), evidence(attempt("k", transport_error="ConnectError"))):
        for r in api.RULES:
            assert r(ev) == (), r.name


def test_every_api_rule_declares_only_causes_from_the_catalog() -> None:
    causes_md = Path(__file__).parent.parent.parent / "shared" / "causes.md"
    declared = {c for r in api.RULES for c in r.causes}
    if causes_md.is_file():
        text = causes_md.read_text()
        assert all(f"`{c}`" in text for c in declared)
    assert len(declared) == 15


def test_healthy_requires_the_header_style_the_client_sends() -> None:
    ok_x = attempt("k", 200, auth="x-api-key")
    ev = evidence(ok_x, winners=(winner("sdk-python", "k", header="both"),))
    assert api.healthy(ev) == ()
    ev = evidence(ok_x, winners=(winner("sdk-python", "k", header="both"), winner("curl", "k")))
    f = only(api.healthy(ev), "healthy")
    assert "not verified: sdk-python sends the key as both" in f.to_text()


def test_healthy_says_whether_billing_was_checked() -> None:
    f = only(api.healthy(evidence(attempt("k", 200))), "healthy")
    assert any(line.startswith("billing not checked") for line in f.evidence) and f.confidence < 0.9
    billed = attempt("k", 200, endpoint="/v1/messages/count_tokens", method="POST", model="claude-haiku-4-5")
    f = only(api.healthy(evidence(attempt("k", 200), billed)), "healthy")
    assert any(line.startswith("billing checked") for line in f.evidence) and f.confidence > 0.9


def test_version_invalid_blocks_a_client_that_only_gets_version_errors() -> None:
    ev = evidence(
        attempt("k", 200, client="httpx2", version="2023-06-01"),
        attempt("k", "version-invalid", client="sdk-python", version="2026-10-21"),
    )
    f = only(api.version_invalid(ev), "version-invalid")
    assert f.severity == "blocker" and "sdk-python got only version errors" in f.to_text()


def test_both_auth_headers_predicted_from_the_winners_when_the_pair_was_not_tried() -> None:
    ev = evidence(
        attempt("k", 200),
        sources=(source("k", variable="ANTHROPIC_CUSTOM_HEADERS", location="process environment"),),
        winners=(winner("sdk-python", "k", header="both"),),
    )
    f = only(api.both_auth_headers(ev), "both-auth-headers")
    assert f.severity == "warning" and f.confidence <= 0.6 and "prediction" in f.to_text()
    assert "ANTHROPIC_CUSTOM_HEADERS" in f.fix
