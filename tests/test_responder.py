"""Who answered: the API's signature versus gateways, proxies, WAF pages, captive portals and the edge block."""

from __future__ import annotations

import json

import pytest

from kit.path.responder import FOREIGN, RESPONDERS, explain_responder, identify_responder, parse_error

RID = "req_011CSHa1FurUZv2Lu8mxQdXf"


def envelope(etype: str, message: str, request_id: str | None = RID) -> bytes:
    return json.dumps(
        {"type": "error", "error": {"type": etype, "message": message}, "request_id": request_id}
    ).encode()


@pytest.mark.parametrize(
    ("status", "headers", "body", "expected"),
    [
        # the API itself
        (
            401,
            {"request-id": RID, "content-type": "application/json"},
            envelope("authentication_error", "x-api-key header is required"),
            "anthropic",
        ),
        (401, {"Request-Id": RID}, envelope("authentication_error", "invalid x-api-key", None), "anthropic"),
        (401, {}, envelope("authentication_error", "invalid x-api-key"), "anthropic"),  # header stripped, body keeps it
        (200, {"request-id": RID, "anthropic-organization-id": "org-1"}, b'{"data":[]}', "anthropic"),
        (405, {"request-id": RID}, b"", "anthropic"),
        # gateways and relays
        (401, {}, envelope("authentication_error", "invalid x-api-key", None), "gateway"),  # imitation, unsigned
        (401, {"request-id": "abc123"}, envelope("authentication_error", "invalid x-api-key", None), "gateway"),
        (401, {}, b'{"error":{"message":"API key required","code":401}}', "gateway"),
        (401, {}, b'{"detail":"Not authenticated"}', "gateway"),
        (200, {}, b'{"data":[]}', "gateway"),
        (401, {"www-authenticate": 'Basic realm="gw"'}, b"Unauthorized", "gateway"),
        # proxies
        (407, {"proxy-authenticate": 'Basic realm="corp"'}, b"", "proxy"),
        (502, {"server": "squid/5.7", "x-squid-error": "ERR_CONNECT_FAIL 111"}, b"<html>Squid</html>", "proxy"),
        (403, {"via": "1.1 proxy.py v2.4.10"}, b"denied", "proxy"),
        # web pages
        (403, {"content-type": "text/html"}, b"<!DOCTYPE html><html><title>Access Denied</title></html>", "html-proxy"),
        (302, {"location": "http://portal.hotel.example/login"}, b"", "html-proxy"),
        (401, {}, b"<HTML><BODY>Login required</BODY></HTML>", "html-proxy"),
        # the edge's region block
        (403, {}, b'{"error":{"type":"forbidden","message":"Request not allowed"}}', "region-block"),
        # nothing to go on
        (401, {}, b"", "unknown"),
        (None, {}, b"", "none"),
    ],
)
def test_identify_responder(status: int | None, headers: dict[str, str], body: bytes, expected: str) -> None:
    assert identify_responder(status, headers, body) == expected
    verdict, reasons = explain_responder(status, headers, body)
    assert verdict == expected and reasons and all(isinstance(r, str) and r for r in reasons)


def test_signature_beats_a_proxy_hop() -> None:
    # the real API's answers pass through Google and Cloudflare hops; a Via header alone is not a foreign answer
    headers = {"request-id": RID, "via": "1.1 google", "server": "cloudflare"}
    assert identify_responder(401, headers, envelope("authentication_error", "invalid x-api-key")) == "anthropic"


def test_reasons_name_the_evidence() -> None:
    _, reasons = explain_responder(
        403, {"content-type": "text/html"}, b"<html><head><title>Attention Required! | Cloudflare</title></head></html>"
    )
    assert any("Attention Required! | Cloudflare" in r for r in reasons)
    _, reasons = explain_responder(401, {"request-id": RID}, envelope("authentication_error", "invalid x-api-key"))
    assert any(RID in r for r in reasons)


def test_str_and_bytes_bodies_agree() -> None:
    body = envelope("authentication_error", "invalid x-api-key")
    assert identify_responder(401, {"request-id": RID}, body) == identify_responder(
        401, {"request-id": RID}, body.decode()
    )
    assert identify_responder(401, {}, b"\xef\xbb\xbf" + body) == "anthropic"  # a BOM does not hide the body


def test_verdict_vocabulary() -> None:
    assert set(RESPONDERS) > FOREIGN


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (envelope("authentication_error", "invalid x-api-key"), ("authentication_error", "invalid x-api-key")),
        (b'{"error":{"type":"forbidden","message":"Request not allowed"}}', ("forbidden", "Request not allowed")),
        (b'{"error":{"message":"API key required","code":"unauthorized"}}', ("unauthorized", "API key required")),
        (b'{"error":"Unauthorized - Invalid token"}', (None, "Unauthorized - Invalid token")),
        (b'{"error":"invalid_token","error_description":"expired"}', ("invalid_token", "expired")),
        (b'{"detail":"Not authenticated"}', (None, "Not authenticated")),
        (b'{"detail":[{"msg":"field required"}]}', (None, "field required")),
        (b'{"errors":[{"message":"bad key"}]}', (None, "bad key")),
        (b"<html></html>", (None, None)),
        (b"", (None, None)),
        (b"[1,2]", (None, None)),
    ],
)
def test_parse_error(body: bytes, expected: tuple[str | None, str | None]) -> None:
    assert parse_error(body) == expected
