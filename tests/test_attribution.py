"""Dimension attribution: which of key, model, version, client, header style and base URL changes the answer."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from scenarios.builders import attempt, winner

from kit.diagnose.attribution import attribute, auth_verdict

TICKET_MODELS = ("claude-3-haiku-20240307", "claude-3-sonnet-20240229", "claude-3-5-sonnet-20241022")


def ticket_like() -> list:  # type: ignore[type-arg]
    """The ticket's full factorial for one revoked key (3 clients × 3 models × 2 versions) and one good key."""
    rows = []
    for client in ("httpx2", "sdk-python", "curl"):
        for model in TICKET_MODELS:
            for version in ("2023-06-01", "2023-01-01"):
                rows.append(
                    attempt(
                        "prototype",
                        "invalid-key",
                        client=client,
                        model=model,
                        version=version,
                        endpoint=f"/v1/models/{model}",
                    )
                )
                rows.append(
                    attempt(
                        "fresh",
                        "model-not-found",
                        client=client,
                        model=model,
                        version=version,
                        endpoint=f"/v1/models/{model}",
                    )
                )
    return rows


def test_the_ticket_sentence_depends_only_on_the_key_with_counts() -> None:
    a = attribute(ticket_like())
    assert a.sentence.startswith("Outcome depends only on the key; model, version and client change nothing")
    assert "(auth is decided first)" in a.sentence
    assert "36 attempts over 2 keys and 3 clients" in a.sentence
    assert "key 18 of 18" in a.sentence and "model 0 of " in a.sentence
    assert a.effect("key").verdict == "matters"  # type: ignore[union-attr]
    for dim in ("model", "version", "client"):
        assert a.effect(dim).cleared, dim  # type: ignore[union-attr]
    assert any(r.startswith("Not the model: auth is decided first") for r in a.ruled_out)
    assert any(r.startswith("Not the client:") for r in a.ruled_out)
    assert not any(r.startswith("Not the key") for r in a.ruled_out)


def test_after_authentication_the_model_can_matter() -> None:
    rows = [
        attempt("k", 200, model="claude-haiku-4-5", endpoint="/v1/models/claude-haiku-4-5"),
        attempt("k", "model-not-found", model="claude-3-haiku-20240307", endpoint="/v1/models/claude-3-haiku-20240307"),
    ]
    a = attribute(rows)
    assert a.effect("model").verdict == "no-effect"  # type: ignore[union-attr]  # both authenticate
    assert a.effect("model", level="outcome").verdict == "matters"  # type: ignore[union-attr]
    assert any("Among requests that authenticate, the answer depends on the model" in d for d in a.details)


def test_a_rejection_on_an_endpoint_without_a_model_still_rules_the_model_out() -> None:
    """The adaptive plan asks GET /v1/models first: no model is named, yet the model is ruled out, by fact."""
    rows = [attempt("old", "invalid-key"), attempt("new", 200)]
    a = attribute(rows, models_requested=TICKET_MODELS)
    model = a.effect("model")
    assert model is not None and model.verdict == "moot"
    assert "names no model at all" in model.reason and "3 models you named" in model.reason
    assert a.sentence.startswith("Outcome depends only on the key; model and version change nothing")


def test_clients_that_all_send_one_rejected_key_are_ruled_out_by_fact() -> None:
    rows = [attempt("old", "invalid-key", client="httpx2"), attempt("new", 200, client="httpx2")]
    winners = [winner(c, "old") for c in ("sdk-python", "curl", "dotenv-app")]
    a = attribute(rows, winners=winners)
    client = a.effect("client")
    assert client is not None and client.verdict == "moot" and "send the same key" in client.reason
    assert "every client sends the same key" in a.sentence


def test_the_client_matters_when_one_client_alters_the_key() -> None:
    rows = [attempt("k", 200, client="httpx2"), attempt("k", "invalid-key", client="sdk-node@0.24.3")]
    a = attribute(rows)
    assert a.sentence.startswith("Outcome depends on the client")
    assert any("The client matters" in d and "sdk-node@0.24.3" in d for d in a.details)


def test_header_style_and_base_url() -> None:
    rows = [
        attempt("k", 200, auth="x-api-key"),
        attempt("k", "invalid-bearer", auth="bearer"),
        attempt("k", 200, base_url="http://127.0.0.1:1"),
        attempt("k", "invalid-key", base_url="http://127.0.0.1:2"),
    ]
    a = attribute(rows)
    assert a.effect("header style").verdict == "matters"  # type: ignore[union-attr]
    assert a.effect("base URL").verdict == "matters"  # type: ignore[union-attr]


def test_transport_failures_are_left_out_and_said_so() -> None:
    rows = [attempt("k", transport_error="ConnectError"), attempt("k", transport_error="ReadTimeout")]
    a = attribute(rows)
    assert a.decided == 0 and a.sentence.startswith("No attempt got the API's own verdict")
    assert "ConnectError" in a.sentence
    mixed = attribute([attempt("k", 200), attempt("j", transport_error="ConnectError")])
    assert any("got no verdict on the key (ConnectError)" in d for d in mixed.details)


def test_gateway_answers_are_not_the_apis_verdict() -> None:
    rows = [attempt("k", "invalid-key", responder="gateway", request_id=None)]
    assert auth_verdict(rows[0]) == "undecided"


def test_no_attempts() -> None:
    a = attribute([])
    assert a.attempts == 0 and "No request was made" in a.sentence


def test_every_key_rejected_the_same_way() -> None:
    rows = [attempt(k, "invalid-key", client=c) for k in ("a", "b") for c in ("httpx2", "curl")]
    a = attribute(rows)
    assert a.sentence.startswith("Every key is rejected in every combination tried")
    assert a.effect("client").verdict == "no-effect"  # type: ignore[union-attr]


def test_auth_verdicts_follow_the_apis_order_of_checks() -> None:
    assert auth_verdict(attempt("k", "credit-exhausted")) == "accepted"
    assert auth_verdict(attempt("k", "model-not-found", model="m")) == "accepted"
    assert auth_verdict(attempt("k", "permission-denied")) == "accepted"
    assert auth_verdict(attempt("k", "missing-key")) == "rejected"
    assert auth_verdict(attempt("k", "rate-limited", limit=1)) == "undecided"
    assert auth_verdict(attempt("k", "version-missing")) == "undecided"
    assert auth_verdict(attempt("k", "region-blocked", responder="region-block")) == "undecided"


def test_when_two_dimensions_changed_together_the_sentence_says_so() -> None:
    """httpx2 sends x-api-key (accepted), the SDK sends Bearer (refused): no pair isolates one dimension."""
    rows = [
        attempt("k", 200, client="httpx2", auth="x-api-key"),
        attempt("k", "invalid-bearer", client="sdk-python", auth="bearer"),
    ]
    a = attribute(rows)
    assert a.sentence.startswith("Outcome changes with the client and header style together")
    assert not a.sentence.startswith("Every key")
    assert any(
        "httpx2 (x-api-key) → 200" in d and "sdk-python (bearer) → 401 Invalid bearer token" in d for d in a.details
    )


def test_undecided_answers_are_named_by_status_and_type() -> None:
    a = attribute([attempt("k", "rate-limited", limit=1)])
    assert "429 rate_limit_error" in a.sentence
