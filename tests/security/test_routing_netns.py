"""Promise: a key travels only to the target API URL, loopback and hosts named with --allow-host.

"Another host" lives inside a network namespace each test makes for itself (``kit.testing.netns``):
listeners on 10.200.0.2 and 10.200.0.3 record every byte they receive, KeyLab runs next to them,
and the bytes are searched for the canaries (Basic-encoded too). Nothing can leave the namespace.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from kit.testing.canary import assert_no_canary, canary_key
from kit.testing.netns import netns_unavailable, run_in_netns

WORKER = Path(__file__).with_name("netns_worker.py")
_REASON = netns_unavailable()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=f"no private network namespace: {_REASON}")

PYTHON_CLIENTS = ["httpx2", "sdk-python", "curl"]


def _node_clients() -> list[str]:
    """The Node SDK 0.24.3 client when node and that SDK are installed (``make node-sdks``), else none."""
    from kit.probe.clients import node_install

    ready = (
        shutil.which("node") is not None
        and node_install.installed_version(node_install.sdk_folder("0.24.3")) == "0.24.3"
    )
    return ["sdk-node@0.24.3"] if ready else []


def run_case(case: str, tmp_path: Path, clients: list[str], **extra: Any) -> tuple[dict[str, Any], list[str]]:
    """Run one case of ``netns_worker.py`` in a fresh namespace; return its result and its canaries."""
    key, other = canary_key(), canary_key()
    spec = tmp_path / "spec.json"
    out = tmp_path / "out.json"
    spec.write_text(json.dumps({"key": key, "other": other, "clients": clients, **extra}))
    done = run_in_netns(
        [sys.executable, str(WORKER), case, str(spec), str(out)],
        timeout=300,
        env={**os.environ, "PYTHONPATH": ""},
        cwd=str(tmp_path),
    )
    assert done.returncode == 0 and out.exists(), done.stderr[-2000:]
    return json.loads(out.read_text()), [key, other]


def _received(result: dict[str, Any], name: str) -> str:
    return base64.b64decode(result["received"][name]).decode("utf-8", "replace")


def _no_leak_anywhere(result: dict[str, Any], canaries: list[str], target: str = "") -> None:
    """No listener but the target got a canary; nothing KeyLab printed or logged holds one."""
    for name in result["received"]:
        if name == target:
            continue
        assert_no_canary(_received(result, name), canaries, where=f"the listener {name!r} received a key")
    assert_no_canary(result["stdout"] + result["stderr"], canaries, where="KeyLab printed a key")
    for log, text in result["runs"].items():
        assert_no_canary(text, canaries, where=f"run log {log} holds a key")


@pytest.mark.slow  # a probe in a network namespace, importing the SDK: make test-fast leaves it out
def test_a_key_in_a_base_urls_user_part_is_never_sent(tmp_path: Path) -> None:
    """Item 1: ANTHROPIC_BASE_URL=http://<key>@other-host made the keyless path check send it as Basic auth."""
    result, canaries = run_case("base-url-userinfo", tmp_path, [])
    assert "Authorization" not in _received(result, "other") and "authorization" not in _received(result, "other")
    _no_leak_anywhere(result, canaries)
    assert "user part" in result["stdout"], "the finding says a credential sits in the URL"


@pytest.mark.slow  # a probe in a network namespace, importing the SDK: make test-fast leaves it out
def test_no_client_follows_a_redirect_to_a_host_the_gate_refuses(tmp_path: Path) -> None:
    """Item 2: the Node SDK followed a 307 with x-api-key; the Python SDK's pool followed redirects."""
    result, canaries = run_case("redirect", tmp_path, PYTHON_CLIENTS + _node_clients())
    assert result["connections"]["redirector"] >= 1, "the clients reached the redirecting target"
    _no_leak_anywhere(result, canaries, target="redirector")


@pytest.mark.parametrize("name", ["localhost.", "localhost.localdomain", "ip6-localhost", "foo.localhost"])
def test_names_that_are_not_loopback_addresses_use_the_proxy_rules_consistently(name: str, tmp_path: Path) -> None:
    """Item 3: 'localhost.' was loopback to the gate but not to the proxy decision: the key went to the proxy."""
    result, canaries = run_case("loopback-name-proxy", tmp_path, PYTHON_CLIENTS, name=name)
    _no_leak_anywhere(result, canaries)


@pytest.mark.slow  # a probe in a network namespace, importing the SDK: make test-fast leaves it out
def test_tls_verification_and_code_injection_cannot_come_from_the_environment(tmp_path: Path) -> None:
    """Item 4: NODE_TLS_REJECT_UNAUTHORIZED=0 and NODE_OPTIONS reached the Node worker; a self-signed host got it."""
    clients = PYTHON_CLIENTS + _node_clients()
    result, canaries = run_case("tls-env", tmp_path, clients)
    _no_leak_anywhere(result, canaries)
    assert not result["injected"], "NODE_OPTIONS --require ran code inside KeyLab's Node worker"
    if _node_clients():
        assert "NODE_TLS_REJECT_UNAUTHORIZED" in result["stdout"] + result["stderr"], (
            "the output says the risky variable is set in the user's environment"
        )


@pytest.mark.slow  # a probe in a network namespace, importing the SDK: make test-fast leaves it out
def test_the_sdk_sends_only_the_headers_the_probe_means_to_send(tmp_path: Path) -> None:
    """Item 2: ANTHROPIC_CUSTOM_HEADERS in KeyLab's own environment added a second key to the SDK's requests."""
    result, (_key, other) = run_case("custom-headers", tmp_path, ["sdk-python", *_node_clients()])
    assert_no_canary(_received(result, "target"), [other], where="the custom header's key was sent")
    assert result["connections"]["target"] >= 1


@pytest.mark.slow  # a probe in a network namespace, importing the SDK: make test-fast leaves it out
def test_a_cleartext_gateway_behind_a_proxy_is_refused(tmp_path: Path) -> None:
    """Item 10: an allowed plain-http gateway with HTTP_PROXY set sent the key to the proxy in clear text."""
    result, canaries = run_case("cleartext-gateway-proxy", tmp_path, ["httpx2", "curl"])
    assert_no_canary(_received(result, "other"), canaries, where="the proxy received the key in clear text")
    assert "proxy" in (result["stdout"] + result["stderr"]).lower()
