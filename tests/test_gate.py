"""The one host gate (kit.guard.gate): one definition of loopback for where a key may go and for proxies.

Names that only look local (``localhost.``, ``*.localhost``, ``localhost.localdomain``, ``ip6-localhost``)
are neither admitted as loopback by the gate nor kept away from proxies as loopback; and with a proxy
configured, a key for ``http://localhost.:PORT`` never reaches the proxy. Name resolution stays on
loopback: the only name resolved for real is ``localhost`` (and lookalikes that fail to resolve).
"""

from __future__ import annotations

import asyncio
import shutil

import httpx2
import pytest

from kit.errors import UsageError
from kit.guard.gate import (
    is_allowed_host,
    is_loopback,
    is_loopback_address,
    is_loopback_url,
    proxies_apply,
)
from kit.keys.credential import Credential
from kit.probe.clients.curl import CurlClient
from kit.probe.clients.httpx_client import HttpxClient, RoutePools
from kit.probe.clients.sdk_python import SdkPythonClient
from kit.probe.options import check_host
from kit.sim import serve
from kit.testing import fake_key, forward_proxy
from kit.values import Attempt, AttemptResult

API = "https://api.anthropic.com"
LOOKALIKES = [
    "localhost.",
    "LOCALHOST.",
    "foo.localhost",
    "api.anthropic.com.localhost",
    "localhost.localdomain",
    "ip6-localhost",
    "ip6-loopback",
    "127.0.0.1.nip.io",
    "127.1",
    "0x7f.0.0.1",
    "::ffff:127.0.0.1",
    "fe80::1%lo",
    "0.0.0.0",  # noqa: S104 - a name the gate must refuse, not a bind address
    "::",
]


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]"])
def test_literal_loopback_addresses_are_loopback(host: str) -> None:
    assert is_loopback_address(host) and is_loopback(host)


@pytest.mark.parametrize("host", LOOKALIKES)
def test_lookalike_names_are_not_loopback(host: str) -> None:
    assert not is_loopback(host)
    shown = f"[{host}]" if ":" in host else host
    assert not is_loopback_url(f"http://{shown}:8080/")


@pytest.mark.parametrize("host", [h for h in LOOKALIKES if ":" not in h])
def test_the_gate_does_not_admit_a_lookalike_as_loopback(host: str) -> None:
    assert not is_allowed_host(f"http://{host}:8080/v1/models", API)
    assert not is_allowed_host(f"https://{host}:8443/v1/models", API)
    with pytest.raises(UsageError):
        check_host(f"http://{host}:8080")
    # the user may still name such a host, and then it is the named host, not loopback
    assert is_allowed_host(f"http://{host}:8080/v1/models", API, [f"http://{host}:8080"])


def test_localhost_is_loopback_only_when_it_resolves_only_to_loopback() -> None:
    assert is_loopback("localhost", resolve=lambda name: ["127.0.0.1", "::1"])
    assert not is_loopback("localhost", resolve=lambda name: ["127.0.0.1", "192.0.2.7"])
    assert not is_loopback("localhost", resolve=lambda name: [])
    assert not is_loopback("localhost.", resolve=lambda name: ["127.0.0.1"])  # never resolved at all
    # this machine's own localhost (every test machine maps it to loopback)
    assert is_loopback("localhost") and is_allowed_host("http://localhost:1234/", API)


@pytest.mark.parametrize(
    ("url", "proxied"),
    [
        ("https://api.anthropic.com", True),  # HTTPS off loopback: a CONNECT tunnel, the proxy sees ciphertext
        ("https://gw.corp.example:8443/v1", True),
        ("http://gw.corp.example:8080", False),  # plain HTTP: a proxy would read the key
        ("http://127.0.0.1:8080", False),
        ("https://[::1]:8443", False),
        ("http://localhost:9", False),
        ("http://localhost.:9", False),
        ("http://foo.localhost:9", False),
        ("https://localhost.:9", True),  # not loopback: through the tunnel like any other HTTPS host
        ("not a url", False),
    ],
)
def test_proxies_apply_only_to_https_off_loopback(url: str, proxied: bool) -> None:
    assert proxies_apply(url) is proxied


def test_route_pools_follow_the_gate_for_lookalikes_and_plain_http() -> None:
    async def go() -> list[bool]:
        pools = RoutePools(lambda trust_env: httpx2.AsyncClient(trust_env=trust_env))
        try:
            return [
                pools.get(url).trust_env
                for url in (
                    "http://localhost.:9",
                    "http://foo.localhost:9",
                    "http://gw.corp.example:80",
                    "https://api.anthropic.com",
                )
            ]
        finally:
            await pools.aclose()

    assert asyncio.run(go()) == [False, False, False, True]


def _send(client: HttpxClient | SdkPythonClient | CurlClient, url: str, key: str) -> AttemptResult:
    attempt = Attempt(
        attempt_id=f"{client.name}-gate",
        key_alias="k",
        client=client.name,
        endpoint="/v1/models",
        method="GET",
        base_url=url,
        api_version="2023-06-01",
        auth_style="x-api-key",
        model=None,
        reason="test",
    )

    async def go() -> AttemptResult:
        await client.start()
        try:
            return await client.send(attempt, Credential("k", key, "test"), run_id="t", timeout=5)
        finally:
            await client.aclose()

    return asyncio.run(go())


CLIENTS = [
    pytest.param(HttpxClient, id="httpx2"),
    pytest.param(SdkPythonClient, id="sdk-python"),
    pytest.param(
        CurlClient, id="curl", marks=pytest.mark.skipif(shutil.which("curl") is None, reason="no curl on PATH")
    ),
]


@pytest.mark.parametrize("make", CLIENTS)
def test_a_key_for_a_lookalike_loopback_name_never_goes_to_the_proxy(make, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every proxy variable set, ``http://localhost.:PORT`` is sent direct (or not at all), never to the proxy.

    The proxy asks for its own credentials, so a request it received comes back as its 407.
    """
    key = fake_key("alpha")
    with serve("healthy") as server, forward_proxy(basic_auth="keylab:proxy-only") as proxy:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            monkeypatch.setenv(name, proxy)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        client = make()
        row = _send(client, f"http://localhost.:{server.port}", key)
        reached = server.entries()
    assert row.status != 407 and row.responder != "proxy", f"the proxy answered: {row.status} {row.error_message}"
    # direct: either the name does not resolve here, or the simulator itself answered
    assert row.transport_error is not None or (row.responder == "anthropic" and len(reached) == 1)
