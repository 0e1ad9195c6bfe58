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
    return [
        HttpxClient(trust=ca_for(env, "httpx2")),
        SdkPythonClient(trust=ca_for(env, "sdk-python")),
        CurlClient(trust=ca_for(env, "curl")),
    ]


def _probe(env: Environment, monkeypatch: pytest.MonkeyPatch, process_ca: bool) -> dict[str, AttemptResult]:
    with serve("healthy", tls=True) as server:
        assert server.ca_path is not None
        if process_ca:  # KeyLab's own process trusts the CA: it must not matter for the investigated env
            monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_path))
            monkeypatch.setenv("CURL_CA_BUNDLE", str(server.ca_path))
        env = Environment(
            {**env.variables, **{k: str(server.ca_path) for k, v in env.variables.items() if v == "@CA@"}},
            env.home,
            env.cwd,
        )

        async def run() -> dict[str, AttemptResult]:
            rows = {}
            for client in _clients(env):
                await client.start()
                attempt = Attempt(
                    attempt_id="a",
                    key_alias="alpha",
                    client=client.name,
                    endpoint="/v1/models",
                    method="GET",
                    base_url=server.url,
                    api_version="2023-06-01",
                    auth_style="x-api-key",
                )
                rows[client.name] = await client.send(
                    attempt, Credential("alpha", server.key("alpha"), "t"), run_id="r", timeout=10
                )
                await client.aclose()
            return rows

        return asyncio.run(run())


def test_a_ca_in_curl_ca_bundle_is_trusted_by_curl_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = _probe(_env(tmp_path, CURL_CA_BUNDLE="@CA@"), monkeypatch, process_ca=False)
    assert rows["curl"].status == 200
    for name in ("httpx2", "sdk-python"):
        assert transport_family(rows[name].transport_error) == "tls", rows[name]


def test_a_ca_in_ssl_cert_file_is_trusted_by_the_python_clients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _probe(_env(tmp_path, SSL_CERT_FILE="@CA@"), monkeypatch, process_ca=False)
    assert rows["httpx2"].status == 200 and rows["sdk-python"].status == 200
    # curl reads SSL_CERT_FILE too when CURL_CA_BUNDLE is not set (tool_operate.c cacertpaths)
    assert rows["curl"].status == 200


def test_keylabs_own_ca_settings_do_not_leak_into_the_investigated_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _probe(_env(tmp_path), monkeypatch, process_ca=True)
    for name, row in rows.items():
        assert transport_family(row.transport_error) == "tls", (name, row)


@pytest.mark.slow  # a whole doctor run (the SDK child): make test-fast leaves it out
def test_the_doctor_sees_the_path_the_way_each_client_does(tmp_path: Path) -> None:
    """A sandbox's CURL_CA_BUNDLE names the intercepting CA: curl's row passes, httpx2's fails TLS, and the
    finding names the setting that trusts it and the client that needs it (issue 17 item 8)."""
    from kit.commands.doctor import render_text, run_doctor

    with serve("healthy", tls=True) as server:
        assert server.ca_path is not None
        key_file = tmp_path / "key.txt"
        key_file.write_text(server.key("alpha"))
        env = _env(tmp_path, CURL_CA_BUNDLE=str(server.ca_path))
        result = run_doctor(
            env, api_url=server.url, key_files=[key_file], run_dir=tmp_path / "runs", clients=["httpx2", "curl"]
        )
    rows = {a.client: a for a in result.evidence.attempts}
    assert rows["curl"].status == 200
    assert transport_family(rows["httpx2"].transport_error) == "tls"
    finding = next(f for f in result.diagnosis.findings if f.cause == "tls-interception")
    text = " ".join(finding.evidence)
    assert "verified by CURL_CA_BUNDLE" in text and "httpx2 need the CA added" in text
    assert "CURL_CA_BUNDLE" in render_text(result)


def _node_ready(version: str) -> bool:
    import shutil

    from kit.probe.clients import node_install

    return (
        shutil.which("node") is not None and node_install.installed_version(node_install.sdk_folder(version)) == version
    )


@pytest.mark.node
@pytest.mark.skipif(not _node_ready("1.14.0"), reason="node or @anthropic-ai/sdk 1.14.0 missing (make node-sdks)")
def test_a_ca_in_node_extra_ca_certs_is_trusted_by_node_only(tmp_path: Path) -> None:
    from kit.probe.clients.sdk_node import NodeSdkClient

    with serve("healthy", tls=True) as server:
        assert server.ca_path is not None
        env = _env(tmp_path, NODE_EXTRA_CA_CERTS=str(server.ca_path))

        async def run() -> dict[str, AttemptResult]:
            rows = {}
            for client in (
                NodeSdkClient("1.14.0", trust=ca_for(env, "sdk-node@1.14.0")),
                HttpxClient(trust=ca_for(env, "httpx2")),
            ):
                await client.start()
                attempt = Attempt(
                    attempt_id="a",
                    key_alias="alpha",
                    client=client.name,
                    endpoint="/v1/models",
                    method="GET",
                    base_url=server.url,
                    api_version="2023-06-01",
                    auth_style="x-api-key",
                )
                rows[client.name] = await client.send(
                    attempt, Credential("alpha", server.key("alpha"), "t"), run_id="r", timeout=10
                )
                await client.aclose()
            return rows

        rows = asyncio.run(run())
    assert rows["sdk-node@1.14.0"].status == 200, rows["sdk-node@1.14.0"]
    assert transport_family(rows["httpx2"].transport_error) == "tls"
