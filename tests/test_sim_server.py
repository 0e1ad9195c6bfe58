"""The server over real sockets: start/stop, TLS, bursts, faults, bad and slow requests, the access log, capture."""

from __future__ import annotations

import json
import socket
import ssl
import threading
import time
from pathlib import Path

import httpx2
import pytest

from kit.catalog import catalog
from kit.sim import load_scenario, serve
from kit.testing import assert_no_leak, fake_key, simulator

H = {"anthropic-version": "2023-06-01"}
MSG = {"model": "claude-haiku-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "Hi"}]}


def auth(name: str = "alpha", kind: str = "api") -> dict[str, str]:
    return {**H, "x-api-key": fake_key(name, kind)}


def raw_exchange(url: str, data: bytes, *, timeout: float = 10.0) -> bytes:
    """Send raw bytes, read until the server closes or the timeout; return what came back."""
    host, port = url.split("//")[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out and b"Content-Length" in out and out.endswith(b"}"):
                    break
        except (TimeoutError, ConnectionResetError):
            pass
    return out


def test_serve_starts_listening_and_stops_cleanly() -> None:
    with serve("healthy") as s:
        assert s.url.startswith("http://127.0.0.1:") and s.ca_path is None and s.scenario.name == "healthy"
        assert httpx2.get(s.url + "/v1/models", headers=auth()).status_code == 200
        port = s.port
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def test_testing_helper_yields_the_url() -> None:
    with simulator("ticket") as url:
        r = httpx2.get(url + "/v1/models", headers=auth("fresh-1"))
        assert r.status_code == 200 and r.headers["x-keylab-scenario"] == "ticket"


def test_tls_with_the_throwaway_ca() -> None:
    with serve("healthy", tls=True) as s:
        assert s.url.startswith("https://") and s.ca_path is not None and s.ca_path.is_file()
        assert (
            httpx2.get(
                s.url + "/v1/models", headers=auth(), verify=ssl.create_default_context(cafile=str(s.ca_path))
            ).status_code
            == 200
        )
        with pytest.raises(httpx2.ConnectError):
            httpx2.get(s.url + "/v1/models", headers=auth())  # the system trust store does not know this CA
        ca = s.ca_path
    assert not ca.exists()


def test_a_burst_of_200_connections_is_answered() -> None:
    results: list[int | str] = []
    lock = threading.Lock()
    with serve("healthy") as s:
        host, port = s.host, s.port
        go = threading.Barrier(200)
        request = (
            f"GET /v1/models HTTP/1.1\r\nHost: x\r\nx-api-key: {fake_key('alpha')}\r\n"
            "anthropic-version: 2023-06-01\r\nConnection: close\r\n\r\n"
        ).encode()

        def one() -> None:
            try:
                go.wait(timeout=30)
                with socket.create_connection((host, port), timeout=60) as sock:
                    sock.sendall(request)
                    data = b""
                    while chunk := sock.recv(65536):
                        data += chunk
                outcome: int | str = int(data.split(b" ", 2)[1])
            except Exception as exc:  # recorded, then asserted below
                outcome = type(exc).__name__
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=one) for _ in range(200)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert len(s.entries()) == 200
    assert results.count(200) == 200, sorted(set(map(str, results)))


def test_reset_and_truncated_faults_reach_the_client_as_transport_errors() -> None:
    for fault, error in (("reset", httpx2.ReadError), ("truncated", httpx2.RemoteProtocolError)):
        scenario = load_scenario(
            {"name": fault, "keys": [{"name": "alpha"}], "faults": {fault: 1.0, "paths": ["/v1/models"]}}
        )
        with serve(scenario) as s:
            with pytest.raises(error):
                httpx2.get(s.url + "/v1/models", headers=auth())
            assert s.entries()[-1]["fault"] == fault
            assert httpx2.get(s.url + "/v1/nothing", headers=auth()).status_code == 404  # still serving


def test_flaky_faults_repeat_with_the_seed() -> None:
    def statuses() -> list[int | str]:
        out: list[int | str] = []
        with serve("flaky") as s, httpx2.Client(base_url=s.url, headers=auth()) as client:
            for _ in range(30):
                try:
                    out.append(client.get("/v1/models").status_code)
                except httpx2.TransportError as exc:
                    out.append(type(exc).__name__)
        return out

    first, second = statuses(), statuses()
    assert first == second
    assert {200, 500, 529} <= set(first) and any(isinstance(x, str) for x in first)


def test_latency_is_added() -> None:
    scenario = load_scenario({"name": "slow", "api": {"latency_ms": 300}, "keys": [{"name": "alpha"}]})
    with serve(scenario) as s:
        started = time.perf_counter()
        assert httpx2.get(s.url + "/v1/models", headers=auth()).status_code == 200
        assert time.perf_counter() - started >= 0.3


def test_huge_body_is_refused_by_content_length_before_reading() -> None:
    with serve("healthy") as s:
        head = (
            f"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Content-Length: {catalog().messages_max_bytes + 1}\r\n\r\n"
        ).encode()
        reply = raw_exchange(s.url, head)  # the body is never sent: the answer must not wait for it
        assert reply.startswith(b"HTTP/1.1 413 ")
        body = json.loads(reply.split(b"\r\n\r\n", 1)[1])
        assert body["error"]["type"] == "request_too_large" and body["request_id"].startswith("req_")


def test_chunked_body_over_the_limit_is_refused() -> None:
    scenario = load_scenario({"name": "small", "api": {"max_body_bytes": 1000}, "keys": [{"name": "alpha"}]})
    with serve(scenario) as s:

        def chunks():  # type: ignore[no-untyped-def]
            for _ in range(10):
                yield b"x" * 500

        r = httpx2.post(
            s.url + "/v1/messages", headers={**auth(), "content-type": "application/json"}, content=chunks()
        )
        assert r.status_code == 413


def test_slow_body_gets_408_and_slow_headers_are_dropped() -> None:
    scenario = load_scenario({"name": "slow", "api": {"body_timeout_s": 0.5}, "keys": [{"name": "alpha"}]})
    with serve(scenario, idle_timeout_s=1.0) as s:
        reply = raw_exchange(
            s.url,
            b"POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        assert reply.startswith(b"HTTP/1.1 408 ")
        assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["error"]["type"] == "timeout_error"
        assert raw_exchange(s.url, b"GET /v1/models HTTP/1.1\r\nHost: x\r\n", timeout=10) == b""  # closed, no answer
        assert httpx2.get(s.url + "/v1/models", headers=auth()).status_code == 200


def test_malformed_requests_never_break_the_server() -> None:
    with serve("healthy") as s:
        assert raw_exchange(s.url, b"\x16\x03\x01 garbage\r\n\r\n").split(b" ")[1] == b"400"
        assert raw_exchange(s.url, b"GET / HTTP/1.1\r\n" + b"x" * 20000 + b"\r\n\r\n").split(b" ")[1] == b"400"
        r = httpx2.post(
            s.url + "/v1/messages", headers={**auth(), "content-type": "application/json"}, content=b"{oops"
        )
        assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
        r = httpx2.post(s.url + "/v1/messages", headers={**auth(), "content-type": "text/plain"}, content=b"hi")
        assert r.status_code == 400
        r = httpx2.get(s.url + "/v1/messages", headers=auth())
        assert r.status_code == 405 and r.headers["allow"] == "POST" and r.headers["request-id"].startswith("req_")
        assert httpx2.get(s.url + "/v1/models", headers=auth()).status_code == 200


def test_headers_of_success_error_and_429() -> None:
    with serve("rate-limited") as s, httpx2.Client(base_url=s.url, headers=auth()) as client:
        ok = client.get("/v1/models")
        assert ok.headers["anthropic-organization-id"] == s.scenario.orgs[0].uuid
        assert ok.headers["anthropic-ratelimit-requests-limit"] == "2"
        assert ok.headers["anthropic-ratelimit-requests-remaining"] == "1"
        assert client.get("/v1/models").status_code == 200
        limited = client.get("/v1/models")
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["type"] == "rate_limit_error"
        refused = client.get("/v1/models", headers={"x-api-key": fake_key("nobody")})
        assert "anthropic-organization-id" not in refused.headers
        assert refused.headers["request-id"] == refused.json()["request_id"]


def test_access_log_fields_and_no_key(tmp_path: Path) -> None:
    log = tmp_path / "a.jsonl"
    key = fake_key("alpha")
    with serve("healthy", access_log=log) as s:
        httpx2.get(
            s.url + "/v1/models",
            headers={**H, "x-api-key": key, "anthropic-beta": "prompt-caching-2024-07-31", "user-agent": "my-app/1.0"},
        )
        httpx2.get(s.url + "/v1/models", headers={**H, "authorization": f"Bearer {key}"})
        httpx2.get(s.url + "/v1/models", headers=H)
    first, second, third = (json.loads(line) for line in log.read_text().splitlines())
    for field in (
        "time",
        "method",
        "path",
        "status",
        "auth_style",
        "fingerprint",
        "hint",
        "length",
        "defects",
        "anthropic_version",
        "anthropic_beta",
        "user_agent",
        "request_id",
    ):
        assert field in first
    assert (first["auth_style"], first["status"], first["length"]) == ("x-api-key", 200, 108)
    assert first["anthropic_beta"] == "prompt-caching-2024-07-31" and first["user_agent"] == "my-app/1.0"
    assert first["fingerprint"] == second["fingerprint"]  # same bytes, same label, whichever header
    assert second["auth_style"] == "bearer" and second["auth_scheme"] == "Bearer"
    assert third["auth_style"] == "none" and third["fingerprint"] is None
    assert_no_leak([log], [key])


def test_capture_explains_what_arrived_and_leaks_nothing(tmp_path: Path) -> None:
    key = fake_key("fresh-1")
    with serve("capture", access_log=tmp_path / "c.jsonl") as s:
        nbsp = (key + "\u00a0").encode()  # a no-break space pasted after the key, sent as UTF-8 bytes
        r = httpx2.post(s.url + "/v1/messages", json=MSG, headers=[*H.items(), ("x-api-key", nbsp)])
        assert r.status_code == 401 and r.json()["type"] == "error" and r.headers["request-id"].startswith("req_")
        message = r.json()["error"]["message"]
        assert "x-api-key sk-ant-api03-" in message and "109 chars" in message and "U+00A0" in message
        assert "anthropic-version 2023-06-01" in message
        r = httpx2.get(s.url + "/anything/at/all", headers={"authorization": f"Bearer {key}"})
        assert r.status_code == 401 and "Authorization: Bearer" in r.json()["error"]["message"]
        texts = [r.text]
    assert_no_leak([tmp_path / "c.jsonl", *texts], [key])
