"""One CA setting per client, as each client reads it (issue 17 item 8): a trustme CA (the simulator's
``--tls`` CA) named in ``CURL_CA_BUNDLE`` is trusted by curl and by no Python client; named in
``SSL_CERT_FILE`` it is trusted by httpx2 and the SDK. KeyLab's own process settings play no part."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from kit.env import Environment
from kit.keys.credential import Credential
from kit.path.routing import ca_for
from kit.probe.clients.base import Client, transport_family
from kit.probe.clients.curl import CurlClient
from kit.probe.clients.httpx_client import HttpxClient
from kit.probe.clients.sdk_python import SdkPythonClient
from kit.sim import serve
from kit.values import Attempt, AttemptResult


def _env(tmp_path: Path, **variables: str) -> Environment:
    return Environment(variables={"HOME": str(tmp_path), **variables}, home=tmp_path, cwd=tmp_path)


def _clients(env: Environment) -> list[Client]:
    return [HttpxClient(trust=ca_for(env, "httpx2")), SdkPythonClient(trust=ca_for(env, "sdk-python")),
            CurlClient(trust=ca_for(env, "curl"))]


def _probe(env: Environment, monkeypatch: pytest.MonkeyPatch, process_ca: bool) -> dict[str, AttemptResult]:
    with serve("healthy", tls=True) as server:
        assert server.ca_path is not None
        if process_ca:  # KeyLab's own process trusts the CA: it must not matter for the investigated env
            monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_path))
            monkeypatch.setenv("CURL_CA_BUNDLE", str(server.ca_path))
        env = Environment({**env.variables, **{k: str(server.ca_path) for k, v in env.variables.items()
                                               if v == "@CA@"}}, env.home, env.cwd)

        async def run() -> dict[str, AttemptResult]:
            rows = {}
            for client in _clients(env):
                await client.start()
                attempt = Attempt(attempt_id="a", key_alias="alpha", client=client.name, endpoint="/v1/models",
                                  method="GET", base_url=server.url, api_version="2023-06-01",
                                  auth_style="x-api-key")
                rows[client.name] = await client.send(attempt, Credential("alpha", server.key("alpha"), "t"),
                                                      run_id="r", timeout=10)
                await client.aclose()
            return rows

        return asyncio.run(run())


def test_a_ca_in_curl_ca_bundle_is_trusted_by_curl_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _probe(_env(tmp_path, CURL_CA_BUNDLE="@CA@"), monkeypatch, process_ca=False)
    assert rows["curl"].status == 200
    for name in ("httpx2", "sdk-python"):
        assert transport_family(rows[name].transport_error) == "tls", rows[name]


def test_a_ca_in_ssl_cert_file_is_trusted_by_the_python_clients(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _probe(_env(tmp_path, SSL_CERT_FILE="@CA@"), monkeypatch, process_ca=False)
    assert rows["httpx2"].status == 200 and rows["sdk-python"].status == 200
    # curl reads SSL_CERT_FILE too when CURL_CA_BUNDLE is not set (tool_operate.c cacertpaths)
    assert rows["curl"].status == 200


def test_keylabs_own_ca_settings_do_not_leak_into_the_investigated_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _probe(_env(tmp_path), monkeypatch, process_ca=True)
    for name, row in rows.items():
        assert transport_family(row.transport_error) == "tls", (name, row)
