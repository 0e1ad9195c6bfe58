"""The simulator's new answers (issue 12): an expired OAuth token, a key header sent twice, a LiteLLM proxy
and a Cloudflare AI Gateway, each asked over real HTTP on loopback."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from kit.path.responder import identify_responder, parse_error
from kit.testing import fake_key, simulator

CASES = Path(__file__).parent / "scenarios" / "cases"
V = {"anthropic-version": "2023-06-01"}


def test_expired_oauth_token_gets_the_real_message() -> None:
    token = fake_key("setup-token", "oauth")
    with simulator(CASES / "r05-cc-oauth-token-expired-api" / "oauth-expired.toml") as url:
        r = httpx2.get(
            f"{url}/v1/models", headers={**V, "authorization": f"Bearer {token}", "anthropic-beta": "oauth-2025-04-20"}
        )
    assert r.status_code == 401
    assert r.json()["error"]["message"].startswith("OAuth token has expired. Please obtain a new token")
    assert r.headers.get("request-id")


def test_a_key_header_sent_twice_is_joined_and_refused_without_request_id() -> None:
    key = fake_key("alpha")
    with simulator("healthy") as url:
        r = httpx2.get(
            f"{url}/v1/models", headers=[("x-api-key", key), ("x-api-key", key), ("anthropic-version", "2023-06-01")]
        )
        once = httpx2.get(f"{url}/v1/models", headers={**V, "x-api-key": key})
    assert (r.status_code, r.json()["error"]["message"]) == (401, "API key is invalid.")
    assert not r.headers.get("request-id")
    assert once.status_code == 200


@pytest.mark.parametrize("path", ["/v1/models", "/v1/messages/count_tokens"])
def test_litellm_refuses_a_non_virtual_key_in_its_own_words(path: str) -> None:
    with simulator("litellm") as url:
        method = "GET" if path == "/v1/models" else "POST"
        r = httpx2.request(
            method,
            f"{url}{path}",
            headers={**V, "x-api-key": fake_key("alpha")},
            json={"model": "claude-haiku-4-5", "messages": []} if method == "POST" else None,
        )
        ok = httpx2.get(f"{url}/v1/models", headers={**V, "x-api-key": fake_key("litellm-team")})
    _, message = parse_error(r.content)
    assert r.status_code == 401 and message and "Invalid proxy server token passed" in message
    anthropic_shaped = r.json().get("type") == "error"
    assert anthropic_shaped == path.startswith("/v1/messages")  # facts §5.2: the envelope depends on the route
    assert identify_responder(r.status_code, dict(r.headers), r.content) != "anthropic"
    assert ok.status_code == 200


def test_cloudflare_gateway_wants_its_own_token() -> None:
    with simulator("cloudflare-ai-gateway") as url:
        bare = httpx2.get(f"{url}/v1/models", headers={**V, "x-api-key": fake_key("alpha")})
        token = {"cf-aig-authorization": f"Bearer {fake_key('cf-gateway')}"}
        ok = httpx2.get(f"{url}/v1/models", headers={**V, "x-api-key": fake_key("alpha"), **token})
    assert bare.status_code == 401 and bare.json()["errors"][0] == {"code": 10000, "message": "Authentication error"}
    assert ok.status_code == 200
