"""Effective routing per client: proxies, base URLs, CA settings and the key allow-list.

The httpx2 and curl models are checked against the real things: the installed httpx2 (asked in a
child process that sees exactly the test's variables) and the system curl (whose verbose output
shows where it connects). The Node models are checked against the rules read from the sources.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kit.env import Environment
from kit.guard.gate import is_allowed_host
from kit.path.routing import (
    CLIENTS,
    base_url_for,
    ca_for,
    display_url,
    proxy_for,
    routing_checks,
)
from kit.testing import sandbox_env

API = "https://api.anthropic.com"
PROXY = "http://127.0.0.1:9"  # the discard port: nothing listens, so every oracle run fails fast


def env_with(tmp_path: Path, **variables: str) -> Environment:
    return sandbox_env(tmp_path, variables)


# ── httpx2: the model against the installed library ─────────────────────────────────────

HTTPX_CASES = [
    ({"HTTPS_PROXY": PROXY}, API, PROXY),
    ({"HTTP_PROXY": PROXY}, API, None),
    ({"HTTP_PROXY": PROXY}, "http://example.invalid/", PROXY),
    ({"HTTPS_PROXY": "http://127.0.0.1:8", "https_proxy": PROXY}, API, PROXY),
    ({"HTTPS_PROXY": PROXY, "https_proxy": ""}, API, None),
    ({"ALL_PROXY": PROXY}, API, PROXY),
    ({"HTTPS_PROXY": "127.0.0.1:9"}, API, PROXY),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "anthropic.com"}, API, None),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": ".anthropic.com"}, API, None),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": ".anthropic.com"}, "https://anthropic.com", PROXY),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "*.anthropic.com"}, API, None),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "thropic.com"}, API, PROXY),  # a suffix must end at a dot
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "*"}, API, None),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "localhost, example.com"}, API, PROXY),
    ({"HTTPS_PROXY": PROXY, "no_proxy": "api.anthropic.com"}, API, None),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "127.0.0.0/8"}, "https://127.0.0.1:8443", None),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "127.0.0.1"}, "https://127.0.0.2:8443", PROXY),
    ({"HTTP_PROXY": PROXY, "REQUEST_METHOD": "GET"}, "http://example.invalid/", None),
    ({"http_proxy": PROXY, "REQUEST_METHOD": "GET"}, "http://example.invalid/", PROXY),
]


def _httpx_oracle(variables: dict[str, str], urls: list[str]) -> dict[str, str | None]:
    script = (
        "import json, sys, httpx2\n"
        "client = httpx2.Client()\n"
        "out = {}\n"
        "for url in json.loads(sys.argv[1]):\n"
        "    pool = client._transport_for_url(httpx2.URL(url))._pool\n"
        "    proxy = getattr(pool, '_proxy_url', None)\n"
        "    out[url] = None if proxy is None else f'{proxy.scheme.decode()}://{proxy.host.decode()}:{proxy.port}'\n"
        "print(json.dumps(out))\n"
    )
    env = {"PATH": os.environ.get("PATH", ""), **variables}
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(urls)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, str | None] = json.loads(done.stdout)
    return result


@pytest.mark.parametrize(("variables", "url", "expected"), HTTPX_CASES)
def test_httpx2_model_matches_the_installed_httpx2(
    tmp_path: Path, variables: dict[str, str], url: str, expected: str | None
) -> None:
    env = env_with(tmp_path, **variables)
    for client in ("httpx2", "sdk-python"):
        choice = proxy_for(env, url, client)
        assert choice.proxy_url == expected, (client, choice)
    real = _httpx_oracle(variables, [url])[url]
    assert real == expected


# ── curl: the model against the system curl ─────────────────────────────────────────────

CURL_CASES = [
    ({"HTTPS_PROXY": PROXY}, API, True),
    ({"https_proxy": PROXY}, API, True),
    ({"HTTP_PROXY": PROXY}, "http://api.anthropic.com", False),  # upper case ignored by curl
    ({"http_proxy": PROXY}, "http://api.anthropic.com", True),
    ({"ALL_PROXY": PROXY}, API, True),
    ({"https_proxy": "", "HTTPS_PROXY": PROXY}, API, True),  # an empty lower-case value counts as unset
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "anthropic.com"}, API, False),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": ".anthropic.com"}, API, False),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "*.anthropic.com"}, API, True),  # curl has no wildcards
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "thropic.com"}, API, True),  # suffix must end at a dot
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "api.anthropic.com:443"}, API, True),  # curl has no ports
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "*"}, API, False),
    ({"HTTPS_PROXY": PROXY, "no_proxy": "example.com", "NO_PROXY": "anthropic.com"}, API, True),
    ({"HTTPS_PROXY": PROXY, "NO_PROXY": "example.com anthropic.com"}, API, False),
]


def _curl_uses_proxy(variables: dict[str, str], url: str, home: Path) -> bool:
    """Run curl -v with these variables only; did it connect to the proxy port (9) or the target?"""
    host = re.sub(r"^https?://", "", url).split("/")[0].split(":")[0]
    port = 443 if url.startswith("https") else 80
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), **variables}
    done = subprocess.run(
        ["curl", "-sv", "--max-time", "5", "--resolve", f"{host}:{port}:127.0.0.1", url],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    tried = re.findall(r"Trying 127\.0\.0\.1:(\d+)", done.stderr)
    assert tried, done.stderr
    return tried[0] == "9"


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
@pytest.mark.parametrize(("variables", "url", "proxied"), CURL_CASES)
def test_curl_model_matches_the_system_curl(tmp_path: Path, variables: dict[str, str], url: str, proxied: bool) -> None:
    env = env_with(tmp_path, **variables)
    choice = proxy_for(env, url, "curl")
    assert (choice.proxy_url is not None) == proxied, choice
    assert _curl_uses_proxy(variables, url, env.home) == proxied


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_curlrc_proxy_is_seen_and_beats_the_environment(tmp_path: Path) -> None:
    env = env_with(tmp_path, NO_PROXY="*")
    (env.home / ".curlrc").write_text('# corporate defaults\nproxy = "http://127.0.0.1:9"\n')
    choice = proxy_for(env, API, "curl")
    # NO_PROXY=* still wins: curl applies noproxy to a configured proxy too
    assert choice.direct and _curl_uses_proxy({"NO_PROXY": "*"}, API, env.home) is False
    env2 = env_with(tmp_path)
    choice2 = proxy_for(env2, API, "curl")
    assert choice2.proxy_url == PROXY and ".curlrc" in (choice2.variable or "")
    assert _curl_uses_proxy({}, API, env2.home) is True


# ── Node: rules read from the SDK and undici sources ────────────────────────────────────


def test_node_024_ignores_every_proxy_variable(tmp_path: Path) -> None:
    env = env_with(tmp_path, HTTPS_PROXY=PROXY, ALL_PROXY=PROXY, NODE_USE_ENV_PROXY="1")
    choice = proxy_for(env, API, "sdk-node@0.24.3", node_version="v24.5.0")
    assert choice.direct
    assert "node-fetch" in choice.note and "HTTPS_PROXY" in choice.note


def test_current_node_sdk_needs_node_use_env_proxy_and_a_new_enough_node(tmp_path: Path) -> None:
    plain = env_with(tmp_path, HTTPS_PROXY=PROXY)
    assert proxy_for(plain, API, "sdk-node@1.14.0", node_version="v24.5.0").direct
    opted = env_with(tmp_path, HTTPS_PROXY=PROXY, NODE_USE_ENV_PROXY="1")
    assert proxy_for(opted, API, "sdk-node@1.14.0", node_version="v24.5.0").proxy_url == PROXY
    assert proxy_for(opted, API, "sdk-node@1.14.0", node_version="v22.21.0").proxy_url == PROXY
    old = proxy_for(opted, API, "sdk-node@1.14.0", node_version="v22.12.0")  # the ticket's Node
    assert old.direct and "predates" in old.note
    flag = env_with(tmp_path, HTTPS_PROXY=PROXY, NODE_OPTIONS="--use-env-proxy")
    assert proxy_for(flag, API, "sdk-node@1.14.0", node_version="v24.5.0").proxy_url == PROXY


def test_undici_no_proxy_rules(tmp_path: Path) -> None:
    def via(**variables: str) -> str | None:
        env = env_with(tmp_path, NODE_USE_ENV_PROXY="1", **variables)
        return proxy_for(env, API, "sdk-node@1.14.0", node_version="24.5.0").proxy_url

    assert via(HTTP_PROXY=PROXY) == PROXY  # https falls back to the http proxy
    assert via(ALL_PROXY=PROXY) is None  # undici has no ALL_PROXY
    assert via(https_proxy="http://127.0.0.1:8", HTTPS_PROXY=PROXY) == "http://127.0.0.1:8"
    assert via(HTTPS_PROXY=PROXY, NO_PROXY="*.anthropic.com") is None
    assert via(HTTPS_PROXY=PROXY, NO_PROXY="api.anthropic.com:443") is None
    assert via(HTTPS_PROXY=PROXY, NO_PROXY="api.anthropic.com:8443") == PROXY
    assert via(HTTPS_PROXY=PROXY, no_proxy="", NO_PROXY="anthropic.com") == PROXY  # `??` keeps the empty one


# ── Base URLs ───────────────────────────────────────────────────────────────────────────


def test_base_url_precedence_and_the_empty_variable(tmp_path: Path) -> None:
    env = env_with(tmp_path, ANTHROPIC_BASE_URL="")
    py = base_url_for(env, "sdk-python")
    assert py.url == "" and py.source == "ANTHROPIC_BASE_URL" and "empty" in py.problem
    node = base_url_for(env, "sdk-node@0.24.3")
    assert node.url == API and node.source == "default" and "ignores" in node.note

    gw = env_with(tmp_path, ANTHROPIC_BASE_URL=" http://127.0.0.1:4000 ")
    assert "whitespace" in base_url_for(gw, "sdk-python").problem
    assert base_url_for(gw, "sdk-node@1.14.0").url == "http://127.0.0.1:4000"  # readEnv trims
    assert base_url_for(gw, "sdk-python", explicit="https://x.example").source == "explicit argument"
    assert base_url_for(gw, "curl", target=API).url == API  # curl reads no base URL variable

    v1 = env_with(tmp_path, ANTHROPIC_BASE_URL="https://api.anthropic.com/v1")
    assert "/v1/v1" in base_url_for(v1, "sdk-python").problem


def test_profile_base_url_applies_only_without_a_key_variable(tmp_path: Path) -> None:
    env = env_with(tmp_path, ANTHROPIC_PROFILE="work")
    configs = env.home / ".config" / "anthropic" / "configs"
    configs.mkdir(parents=True)
    (configs / "work.json").write_text(json.dumps({"base_url": "https://gateway.example.com/"}))
    choice = base_url_for(env, "sdk-python")
    assert choice.url == "https://gateway.example.com" and choice.source.startswith("profile ")
    assert base_url_for(env, "sdk-node@1.14.0").url == "https://gateway.example.com"
    assert base_url_for(env, "sdk-node@0.24.3").url == API  # 0.24 has no profiles
    keyed = env.with_variables(ANTHROPIC_API_KEY="placeholder-not-a-key")
    assert base_url_for(keyed, "sdk-python").url == API


@pytest.mark.slow  # a Python process that imports the SDK: make test-fast leaves it out
def test_base_url_model_matches_the_installed_python_sdk(tmp_path: Path) -> None:
    env = env_with(tmp_path, ANTHROPIC_BASE_URL="http://127.0.0.1:4000")
    script = "import anthropic; print(anthropic.Anthropic(api_key='placeholder').base_url)"
    done = subprocess.run(
        [sys.executable, "-c", script], env=dict(env.variables), capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip().rstrip("/") == base_url_for(env, "sdk-python").url


# ── CA settings ─────────────────────────────────────────────────────────────────────────


def test_ca_settings_per_client(tmp_path: Path) -> None:
    bundle = tmp_path / "corp.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    env = env_with(
        tmp_path,
        REQUESTS_CA_BUNDLE=str(bundle),
        NODE_EXTRA_CA_CERTS=str(bundle),
        CURL_CA_BUNDLE=str(tmp_path / "missing.pem"),
    )
    py = ca_for(env, "httpx2")
    assert not py.files and "REQUESTS_CA_BUNDLE" in py.ignored  # httpx2 never reads it
    curl = ca_for(env, "curl")
    assert curl.files == (("CURL_CA_BUNDLE", str(tmp_path / "missing.pem")),)
    assert any("does not exist" in p for p in curl.problems)
    node = ca_for(env, "sdk-node@0.24.3")
    assert node.files == (("NODE_EXTRA_CA_CERTS", str(bundle)),) and not node.problems
    off = ca_for(env.with_variables(NODE_TLS_REJECT_UNAUTHORIZED="0"), "sdk-node@1.14.0")
    assert off.verification_off == "NODE_TLS_REJECT_UNAUTHORIZED=0"
    ssl_file = ca_for(env.with_variables(SSL_CERT_FILE=str(tmp_path / "nope.pem")), "sdk-python")
    assert ssl_file.problems and "replaces" in ssl_file.store


def test_curlrc_insecure_is_reported(tmp_path: Path) -> None:
    env = env_with(tmp_path)
    (env.home / ".curlrc").write_text("-k\n")
    rows = [r for r in routing_checks(env, API) if r.step == "ca" and r.client == "curl"]
    assert rows and rows[0].ok is False and "OFF" in rows[0].verdict


# ── Rows ────────────────────────────────────────────────────────────────────────────────


def test_routing_rows_cover_every_client_and_flag_the_override(tmp_path: Path) -> None:
    env = env_with(tmp_path, ANTHROPIC_BASE_URL="http://127.0.0.1:4000", HTTPS_PROXY="http://u:s3cret@127.0.0.1:9")
    rows = routing_checks(env, API)
    assert {r.client for r in rows} == set(CLIENTS)
    base = {r.client: r for r in rows if r.step == "base-url"}
    assert base["sdk-python"].ok is False and base["sdk-python"].cause == "base-url-override"
    assert "ANTHROPIC_BASE_URL" in base["sdk-python"].fix
    assert base["curl"].ok is True
    proxy = {r.client: r for r in rows if r.step == "proxy"}
    assert proxy["curl"].cause == "proxy-interference"
    assert proxy["sdk-node@0.24.3"].verdict.startswith("direct")
    text = repr(rows)
    assert "s3cret" not in text and "u:***@127.0.0.1:9" in text


def test_display_url_masks_passwords() -> None:
    assert display_url("http://user:pw@proxy:3128") == "http://user:***@proxy:3128"
    assert display_url("http://proxy:3128") == "http://proxy:3128"


# ── The allow-list ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.anthropic.com/v1/models", True),
        ("https://API.Anthropic.com./v1/models", True),
        ("http://api.anthropic.com/v1/models", False),  # cleartext to a non-loopback host
        ("https://api.anthropic.com:8443/", False),
        ("https://api.anthropic.com@evil.example/", False),
        ("https://evil.example\\@api.anthropic.com/", False),
        ("https://evil.example/ @api.anthropic.com", False),
        ("http://127.0.0.1:8080/v1/models", True),
        ("http://[::1]:8080/", True),
        ("http://localhost:1234/", True),
        ("https://gateway.example.com/v1", False),
        ("https://gw.corp.example/v1", True),
        ("http://gw.corp.example/v1", False),
        ("https://other.corp.example:9443/", True),
        ("https://other.corp.example/", False),
        ("file:///etc/passwd", False),
        ("", False),
    ],
)
def test_is_allowed_host(url: str, allowed: bool) -> None:
    assert is_allowed_host(url, API, ["gw.corp.example", "https://other.corp.example:9443"]) is allowed


def test_base_url_verdicts_say_where_the_url_came_from_without_repeating_a_word(tmp_path: Path) -> None:
    """Issue 14: httpx2 and curl read "sends to the target (target)"; each source is now said in words."""
    plain = routing_checks(env_with(tmp_path / "plain"), "http://127.0.0.1:4000")
    gateway = routing_checks(env_with(tmp_path / "gw", ANTHROPIC_BASE_URL="http://127.0.0.1:4000"), API)
    said = {(r.client, r.verdict) for r in (*plain, *gateway) if r.step == "base-url"}
    assert ("httpx2", "sends to the target (it reads no base URL variable)") in said
    assert ("sdk-python", "sends to the official API (the SDK's default)") in said
    assert any(c == "sdk-python" and "not the API (set by ANTHROPIC_BASE_URL)" in v for c, v in said)
    for _client, verdict in said:
        words = re.findall(r"[a-z]+", verdict.lower())
        assert not any(a == b for a, b in itertools.pairwise(words)), verdict
        assert verdict.count("target") <= 1 and verdict.count("default") <= 1, verdict
