"""Each probe client, for real, against the simulator: what it sends, what the row says, what never leaks."""

from __future__ import annotations

import asyncio
import shutil
import stat
from pathlib import Path

import pytest

from kit.keys.credential import Credential
from kit.keys.naming import fingerprint
from kit.probe.clients.base import transport_family
from kit.probe.clients.curl import CurlClient, config_quote, parse_header_block
from kit.probe.clients.httpx_client import HttpxClient
from kit.probe.clients.sdk_python import SdkPythonClient
from kit.sim import serve
from kit.testing import assert_no_leak, fake_key
from kit.values import Attempt, AttemptResult

needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="no curl on PATH")


def _attempt(
    url: str,
    client: str,
    *,
    endpoint: str = "/v1/models",
    method: str = "GET",
    model: str | None = None,
    version: str | None = "2023-06-01",
    style: str = "x-api-key",
) -> Attempt:
    return Attempt(
        attempt_id=f"{client}-{endpoint}-{style}",
        key_alias="k",
        client=client,
        endpoint=endpoint,
        method=method,
        base_url=url,
        api_version=version,
        auth_style=style,
        model=model,
        reason="test",
    )


def _send(client, attempt: Attempt, raw: bytes | str) -> AttemptResult:
    async def go() -> AttemptResult:
        await client.start()
        try:
            return await client.send(attempt, Credential("k", raw, "test"), run_id="t", timeout=10)
        finally:
            await client.aclose()

    return asyncio.run(go())


CLIENTS = [
    pytest.param(HttpxClient, id="httpx2"),
    pytest.param(SdkPythonClient, id="sdk-python"),
    pytest.param(CurlClient, id="curl", marks=needs_curl),
]


@pytest.mark.parametrize("make", CLIENTS)
def test_active_key_gets_a_tidy_ok_row(make):
    key = fake_key("alpha")
    with serve("healthy") as server:
        client = make()
        row = _send(client, _attempt(server.url, client.name, style="default"), key)
        seen = server.entries()[-1]
    assert (row.status, row.outcome, row.responder) == (200, "ok", "anthropic")
    assert row.request_id and row.request_id.startswith("req_")
    assert row.organization_id
    assert row.fingerprint == fingerprint(key) and row.hint.startswith("sk-ant-api03-")
    assert row.client_version and row.user_agent and row.latency_ms is not None and row.latency_ms > 0
    # the row says what really arrived: header style, version, user agent
    assert seen["fingerprint"] == fingerprint(key)
    assert row.auth_style == seen["auth_style"]
    assert row.api_version == seen["anthropic_version"]
    assert row.user_agent == seen["user_agent"]
    assert_no_leak([str(row.to_row())], [key])


@pytest.mark.parametrize("make", CLIENTS)
def test_unknown_key_is_the_apis_401_with_its_request_id(make, sim_healthy):
    key = fake_key("nobody-issued-this")
    client = make()
    row = _send(client, _attempt(sim_healthy, client.name), key)
    assert (row.status, row.error_type, row.error_message) == (401, "authentication_error", "invalid x-api-key")
    assert row.outcome == "auth rejected" and row.request_id


def test_sdk_python_keeps_its_exception_class_message_and_request_id():
    key = fake_key("nobody-issued-this")
    with serve("healthy") as server:
        row = _send(SdkPythonClient(), _attempt(server.url, "sdk-python", style="default", version=None), key)
        seen = server.entries()[-1]
    assert row.client_error is not None and row.client_error.startswith("AuthenticationError: Error code: 401")
    assert row.request_id == seen["request_id"]
    # SDK 2.x sends an API key as Bearer and its own version: the row records it
    assert row.auth_style == "bearer" == seen["auth_style"]
    assert row.api_version == seen["anthropic_version"]
    assert row.user_agent and "Python" in row.user_agent


def test_raw_httpx2_sends_the_bytes_as_stored():
    """A non-ASCII character stays in the key on the wire: the server sees the same fingerprint."""
    key = fake_key("alpha") + "\u00a0"  # NBSP from a rich-text copy
    with serve("healthy") as server:
        row = _send(HttpxClient(), _attempt(server.url, "httpx2"), key)
        seen = server.entries()[-1]
    assert seen["fingerprint"] == fingerprint(key)
    assert row.status == 401 and row.outcome == "auth rejected"


def test_h11_refusal_of_a_newline_is_a_row_not_an_exception():
    key = fake_key("alpha") + "\n"
    with serve("healthy") as server:
        rows = [
            _send(HttpxClient(), _attempt(server.url, "httpx2"), key),
            _send(SdkPythonClient(), _attempt(server.url, "sdk-python", style="default"), key),
        ]
        assert server.entries() == []  # nothing reached the server
    for row in rows:
        assert row.transport_error == "LocalProtocolError" and row.status is None
        assert transport_family(row.transport_error) == "refused-by-client"
        assert row.outcome == "transport"
        assert "Illegal header value" in (row.error_message or "")
    assert rows[1].client_error == "APIConnectionError: Connection error."
    assert_no_leak([str(r.to_row()) for r in rows], [key.strip()])


@needs_curl
def test_curl_sends_a_newline_raw_and_never_puts_the_key_on_its_command_line(tmp_path: Path):
    """A wrapper around the real curl records argv and stdin; the key must be in stdin only."""
    real = shutil.which("curl")
    wrapper = tmp_path / "curl"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{tmp_path}/argv"\ntee "{tmp_path}/stdin" | "{real}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    key = fake_key("alpha") + "\n"
    with serve("healthy") as server:
        client = CurlClient(executable=str(wrapper))
        row = _send(client, _attempt(server.url, "curl"), key)
    argv = (tmp_path / "argv").read_text()
    assert "--config" in argv and "-q" in argv
    assert_no_leak([argv], [key.strip()])
    assert key.strip() in (tmp_path / "stdin").read_text()  # the key went through stdin
    # the server's HTTP parser rejects the bare newline: an answer, but not the API's JSON
    assert row.status == 400 and row.transport_error == "JSONDecodeError"
    assert_no_leak([str(row.to_row())], [key.strip()])


def test_curl_config_quoting_round_trips_odd_bytes():
    assert config_quote(b'a"b\\c\nd\te') == b'"a\\"b\\\\c\\nd\\te"'
    with pytest.raises(ValueError, match="NUL"):
        config_quote(b"a\0b")
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 401 Unauthorized\r\nRequest-Id: req_1\r\nX: y\r\n\r\n"
    assert parse_header_block(raw) == {"request-id": "req_1", "x": "y"}


@pytest.mark.parametrize("make", CLIENTS)
def test_bearer_style_and_count_tokens(make):
    key = fake_key("alpha")
    with serve("healthy") as server:
        client = make()
        row = _send(
            client,
            _attempt(
                server.url,
                client.name,
                endpoint="/v1/messages/count_tokens",
                method="POST",
                model="claude-haiku-4-5",
                style="bearer",
            ),
            key,
        )
        seen = server.entries()[-1]
    assert row.status == 200 and seen["auth_style"] == "bearer" == row.auth_style
    assert seen["path"].endswith("/v1/messages/count_tokens")


@pytest.mark.parametrize("make", CLIENTS)
def test_retired_model_is_a_404_naming_it(make):
    with serve("ticket") as server:
        client = make()
        row = _send(
            client,
            _attempt(
                server.url,
                client.name,
                endpoint="/v1/messages/count_tokens",
                method="POST",
                model="claude-3-haiku-20240307",
            ),
            fake_key("fresh-3"),
        )
    assert (row.status, row.error_message) == (404, "model: claude-3-haiku-20240307")


def _node_ready(version: str) -> bool:
    from kit.probe.clients import node_install

    return (
        shutil.which("node") is not None and node_install.installed_version(node_install.sdk_folder(version)) == version
    )


@pytest.mark.node
@pytest.mark.skipif(not _node_ready("0.24.3"), reason="node or @anthropic-ai/sdk 0.24.3 missing (make node-sdks)")
def test_node_sdk_0_24_3_behaves_as_in_the_ticket():
    from kit.probe.clients.sdk_node import NodeSdkClient

    with serve("healthy") as server:
        bad = _send(
            NodeSdkClient("0.24.3"),
            _attempt(server.url, "sdk-node@0.24.3", style="default", version=None),
            fake_key("nobody-issued-this"),
        )
        seen = server.entries()[-1]
        newline = _send(
            NodeSdkClient("0.24.3"), _attempt(server.url, "sdk-node@0.24.3", style="default"), fake_key("alpha") + "\n"
        )
    # the exact string the ticket quotes comes from the JS SDK: status + JSON of the body
    assert bad.client_error is not None
    assert bad.client_error.startswith(
        'AuthenticationError: 401 {"type":"error","error":{"type":"authentication_error"'
    )
    assert (bad.auth_style, bad.api_version, bad.client_version) == ("x-api-key", "2023-06-01", "0.24.3")
    assert bad.user_agent == "Anthropic/JS 0.24.3" == seen["user_agent"]
    assert bad.request_id == seen["request_id"]
    # node-fetch refuses a header value with a newline: a client error row, nothing sent
    assert newline.status is None and newline.client_error == "APIConnectionError: Connection error."
    assert_no_leak([str(newline.to_row())], [fake_key("alpha")])


def test_adapter_failure_is_a_row(tmp_path: Path):
    """Even a client that cannot run (curl path missing) gives a row, never an exception."""
    with serve("healthy") as server:
        client = CurlClient(executable=str(tmp_path / "no-such-curl"))
        row = asyncio.run(client.send(_attempt(server.url, "curl"), Credential("k", fake_key("alpha")), run_id="t"))
    assert row.status is None and row.transport_error and row.outcome == "transport"


def test_missing_node_is_a_clear_usage_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from kit.errors import ClientUnavailable
    from kit.probe.engine import probe

    monkeypatch.setenv("PATH", str(tmp_path))  # no node, no npm
    with serve("healthy") as server, pytest.raises(ClientUnavailable) as info:
        probe(
            [Credential("k", fake_key("alpha"))],
            base_url=server.url,
            clients=("httpx2", "sdk-node@0.24.3"),
            run_dir=tmp_path,
            progress=None,
        )
    assert "node is not installed" in info.value.problem and "npm" in info.value.fix


def test_route_pools_never_trust_proxies_on_loopback_and_do_elsewhere():
    import httpx2

    from kit.probe.clients.httpx_client import RoutePools

    async def go() -> tuple[bool, bool, bool]:
        pools = RoutePools(lambda trust_env: httpx2.AsyncClient(trust_env=trust_env))
        try:
            local = pools.get("http://127.0.0.1:8080")
            remote = pools.get("https://api.anthropic.com")
            return local.trust_env, remote.trust_env, pools.get("http://localhost:9") is local
        finally:
            await pools.aclose()

    assert asyncio.run(go()) == (False, True, True)


@pytest.mark.parametrize("make", CLIENTS[:2])
def test_a_loopback_target_is_reached_directly_whatever_the_proxy_variables_say(make, monkeypatch):
    from kit.testing import silent_server

    key = fake_key("alpha")
    with serve("healthy") as server, silent_server() as black_hole:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, f"http://127.0.0.1:{black_hole}")
        client = make()
        row = _send(client, _attempt(server.url, client.name, style="default"), key)
    assert (row.status, row.transport_error) == (200, None)


def test_a_curl_that_ignores_its_max_time_is_stopped_by_the_adapter(tmp_path: Path) -> None:
    """The adapter bounds curl itself (max-time + 1.5 s), so a stuck curl is a row, not the 5 s backstop."""
    stuck = tmp_path / "curl"
    stuck.write_text('#!/bin/sh\nif [ "$1" = "--version" ]; then echo "curl 8.0.0"; exit 0; fi\nexec sleep 60\n')
    stuck.chmod(stuck.stat().st_mode | stat.S_IXUSR)

    async def go() -> AttemptResult:
        client = CurlClient(str(stuck))
        await client.start()
        try:
            return await client.send(
                _attempt("http://127.0.0.1:9", "curl"), Credential("k", fake_key("alpha")), run_id="t", timeout=1
            )
        finally:
            await client.aclose()

    row = asyncio.run(go())
    assert row.transport_error == "CURLE_OPERATION_TIMEDOUT", row
    assert row.latency_ms is not None and row.latency_ms < 4000
    assert row.error_message and "max-time" in row.error_message
