"""The path check against real servers on loopback: the simulator over HTTPS with a trustme CA, a real
forward proxy with CONNECT (proxy.py), the simulator's gateway, html-proxy and region-block responders,
a closed port, an unresolvable name, and servers that accept connections and then never answer.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kit import testing
from kit.diagnose.rules.path import (
    base_url_override,
    network_unreachable,
    proxy_interference,
    region_blocked,
    tls_interception,
)
from kit.env import Environment
from kit.path.checks import check_path
from kit.sim import SimServer, serve
from kit.testing import assert_no_leak, fake_key, forward_proxy, sandbox_env
from kit.values import Evidence, PathCheck

ONLY_KEYLAB = ("httpx2",)  # clients whose routes the check walks; SDK clients would also try the real API


def rows_of(rows: tuple[PathCheck, ...], step: str) -> list[PathCheck]:
    return [r for r in rows if r.step == step and r.client is None]


def one(rows: tuple[PathCheck, ...], step: str) -> PathCheck:
    found = rows_of(rows, step)
    assert len(found) == 1, (step, found)
    return found[0]


def assert_rows_are_verdicts(rows: tuple[PathCheck, ...]) -> None:
    """Every failure is a row with a plain verdict and a fix."""
    for row in rows:
        assert isinstance(row, PathCheck) and row.verdict
        if row.ok is False:
            assert row.fix, row


@pytest.fixture(scope="module")
def tls_sim() -> Iterator[SimServer]:
    with serve("healthy", tls=True) as server:
        yield server


@pytest.fixture()
def env(tmp_path: Path) -> Environment:
    return sandbox_env(tmp_path)


# ── TLS with a trustme CA ───────────────────────────────────────────────────────────────


def test_verification_fails_without_the_ca_and_nothing_is_sent(tls_sim: SimServer, env: Environment) -> None:
    before = len(tls_sim.entries())
    rows = check_path(env, tls_sim.url, timeout=3, clients=ONLY_KEYLAB)
    tls = one(rows, "tls")
    assert tls.ok is False and tls.cause == "tls-interception"
    assert "no trust store verifies" in tls.verdict and "local issuer" in tls.verdict
    http = one(rows, "http")
    assert http.ok is None and "nothing over TLS" in http.verdict
    assert len(tls_sim.entries()) == before  # no HTTP request over an unverified connection
    assert_rows_are_verdicts(rows)
    (finding,) = tls_interception(Evidence(path=rows))
    assert finding.severity == "blocker"


def test_verification_passes_with_the_ca_and_the_api_answers(tls_sim: SimServer, env: Environment) -> None:
    rows = check_path(env, tls_sim.url, timeout=3, clients=ONLY_KEYLAB, ca_file=tls_sim.ca_path)
    tls = one(rows, "tls")
    details = dict(tls.details)
    assert tls.ok is True and details["protocol"].startswith("TLSv1.")
    assert "KeyLab simulator throwaway CA" in details["issuer"]
    assert "127.0.0.1" in details["sans"] and details["cipher"]
    assert "system store: " in details["verification"] and "your CA file" in details["verification"]
    http = one(rows, "http")
    assert http.ok is True and "the API itself answers" in http.verdict
    assert re.search(r"req_[A-Za-z0-9]{16,40}", http.verdict)
    assert dict(http.details)["responder"] == "anthropic"
    clock = one(rows, "clock")
    assert clock.ok is True and abs(float(dict(clock.details)["offset_s"])) < 5
    assert all(r.ok is not False for r in rows), [r for r in rows if r.ok is False]


def test_interception_warning_fires_when_the_issuer_differs(tls_sim: SimServer, env: Environment) -> None:
    # treat the loopback simulator as "the official host": its trustme issuer is not one the API uses
    rows = check_path(
        env, tls_sim.url, timeout=3, clients=ONLY_KEYLAB, ca_file=tls_sim.ca_path, official_host="127.0.0.1"
    )
    tls = one(rows, "tls")
    assert tls.ok is False and tls.cause == "tls-interception"
    assert "KeyLab simulator throwaway CA" in tls.verdict and "Google Trust Services" in tls.verdict
    (finding,) = tls_interception(Evidence(path=rows))
    assert finding.severity == "warning" and "KeyLab simulator throwaway CA" in finding.title
    # the same server with its issuer on the expected list is fine
    rows = check_path(
        env,
        tls_sim.url,
        timeout=3,
        clients=ONLY_KEYLAB,
        ca_file=tls_sim.ca_path,
        official_host="127.0.0.1",
        expected_issuers=("KeyLab simulator",),
    )
    assert one(rows, "tls").ok is True


def test_ca_from_the_environment_is_checked_for_the_clients_that_read_it(tls_sim: SimServer, tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"SSL_CERT_FILE": str(tls_sim.ca_path)})
    rows = check_path(env, tls_sim.url, timeout=3, clients=("httpx2", "curl"))
    tls = one(rows, "tls")
    verification = dict(tls.details)["verification"]
    assert "SSL_CERT_FILE: verified [httpx2, curl]" in verification
    assert tls.ok is True and one(rows, "http").ok is True


def test_no_key_is_sent_even_when_the_environment_holds_one(tls_sim: SimServer, tmp_path: Path) -> None:
    key = fake_key("alpha")  # a key the healthy scenario accepts
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": tls_sim.url})
    start = len(tls_sim.entries())
    rows = check_path(
        env, tls_sim.url, timeout=3, ca_file=tls_sim.ca_path, clients=("httpx2", "sdk-python", "sdk-node@1.14.0")
    )
    entries = tls_sim.entries()[start:]
    assert entries and all(e["auth_style"] == "none" and not e["credentials"] for e in entries)
    assert all(e["user_agent"].startswith("KeyLab path check") for e in entries)
    assert_no_leak([repr(rows)], [key])


def test_tls_on_a_plain_http_port_says_so(env: Environment) -> None:
    with serve("healthy") as plain:  # no TLS
        rows = check_path(env, plain.url.replace("http://", "https://"), timeout=3, clients=ONLY_KEYLAB)
    tls = one(rows, "tls")
    assert tls.ok is False and "did not speak TLS" in tls.verdict


# ── A real forward proxy (proxy.py, CONNECT) ────────────────────────────────────────────


@pytest.fixture(scope="module")
def proxy_url() -> Iterator[str]:
    with forward_proxy() as url:
        yield url


def test_check_goes_through_the_proxy_the_environment_names(tls_sim: SimServer, proxy_url: str, tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"HTTPS_PROXY": proxy_url, "ANTHROPIC_BASE_URL": tls_sim.url})
    clients = ("httpx2", "curl", "sdk-node@0.24.3")
    rows = check_path(env, tls_sim.url, timeout=3, ca_file=tls_sim.ca_path, clients=clients)
    assert_rows_are_verdicts(rows)
    via = [r for r in rows if r.client is None and "via" in r.target]
    assert [r.step for r in via] == ["tcp", "proxy", "tls", "http", "clock"]
    assert any(r.step == "dns" and "(the proxy)" in r.verdict for r in rows)
    tunnel = next(r for r in via if r.step == "proxy")
    assert tunnel.ok is True and "opened a tunnel" in tunnel.verdict
    http = next(r for r in via if r.step == "http")
    assert http.ok is True and "the API itself answers" in http.verdict
    assert "httpx2" in dict(http.details)["clients"] and "curl" in dict(http.details)["clients"]
    # Node 0.24.3 ignores HTTPS_PROXY: its route is direct, and the check walks it too
    direct = [r for r in rows if r.client is None and r.step == "http" and "via" not in r.target]
    assert direct and "sdk-node@0.24.3" in dict(direct[0].details)["clients"]
    (note,) = proxy_interference(Evidence(path=rows))
    assert note.severity == "warning" and "sdk-node@0.24.3" in note.title


def test_a_proxy_that_wants_credentials(tls_sim: SimServer, tmp_path: Path) -> None:
    with forward_proxy(basic_auth="corp:pa55word") as url:
        env = sandbox_env(tmp_path, {"HTTPS_PROXY": url})
        rows = check_path(env, tls_sim.url, timeout=3, ca_file=tls_sim.ca_path, clients=ONLY_KEYLAB)
        proxy = next(r for r in rows if r.step == "proxy" and r.client is None)
        assert proxy.ok is False and "407" in proxy.verdict and proxy.cause == "proxy-interference"
        assert "HTTPS_PROXY" in proxy.fix
        (finding,) = proxy_interference(Evidence(path=rows))
        assert finding.severity == "blocker"
        with_creds = url.replace("http://", "http://corp:pa55word@")
        env = sandbox_env(tmp_path, {"HTTPS_PROXY": with_creds})
        rows = check_path(env, tls_sim.url, timeout=3, ca_file=tls_sim.ca_path, clients=ONLY_KEYLAB)
    assert next(r for r in rows if r.step == "http" and r.client is None).ok is True
    assert "pa55word" not in repr(rows)  # the proxy password is masked everywhere


def test_a_dead_proxy_is_reported_not_raised(tls_sim: SimServer, tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"HTTPS_PROXY": f"http://127.0.0.1:{_closed_port()}"})
    rows = check_path(env, tls_sim.url, timeout=2, ca_file=tls_sim.ca_path, clients=ONLY_KEYLAB)
    tcp = next(r for r in rows if r.step == "tcp" and r.client is None)
    assert tcp.ok is False and "(the proxy)" in tcp.verdict and "refused" in tcp.verdict
    assert_rows_are_verdicts(rows)


# ── Foreign responders from the simulator ───────────────────────────────────────────────


def test_gateway_in_the_base_url(env: Environment) -> None:
    with serve("healthy") as api, serve("gateway") as gateway:
        gw_url = f"http://localhost:{gateway.port}"
        env2 = env.with_variables(ANTHROPIC_BASE_URL=gw_url)
        rows = check_path(
            env2, api.url, timeout=3, official_host="127.0.0.1", clients=("httpx2", "sdk-python", "sdk-node@1.14.0")
        )
    assert_rows_are_verdicts(rows)
    https = [r for r in rows if r.step == "http" and r.client is None]
    api_row = next(r for r in https if "127.0.0.1" in r.target)
    gw_row = next(r for r in https if "localhost" in r.target)
    assert api_row.ok is True
    assert gw_row.ok is False and gw_row.cause == "base-url-override"
    assert dict(gw_row.details)["responder"] == "gateway" and "No api key passed in" in gw_row.verdict
    base = {r.client: r for r in rows if r.step == "base-url"}
    assert base["sdk-python"].cause == "base-url-override" and base["httpx2"].ok is True
    assert dict(base["sdk-python"].details)["keys sent"] == "yes"  # loopback: the probe may send keys there
    findings = base_url_override(Evidence(path=rows))
    assert any(f.severity == "blocker" and "localhost" in f.title for f in findings)


def test_keys_go_only_to_named_hosts(env: Environment) -> None:
    env2 = env.with_variables(ANTHROPIC_BASE_URL="https://gw.keylab-test.invalid")
    for allow, expected in (((), "no"), (("gw.keylab-test.invalid",), "yes")):
        rows = check_path(
            env2, "https://api.keylab-test.invalid", timeout=1, clients=("sdk-python",), allow_hosts=allow
        )
        base = next(r for r in rows if r.step == "base-url")
        assert dict(base.details)["keys sent"].startswith(expected)


@pytest.mark.parametrize(
    ("scenario", "cause", "rule"),
    [
        ("html-proxy", "proxy-interference", proxy_interference),
        ("region-block", "region-blocked", region_blocked),
    ],
)
def test_foreign_responders_at_the_official_host(env: Environment, scenario: str, cause: str, rule: object) -> None:
    with serve(scenario) as sim:
        rows = check_path(env, sim.url, timeout=3, official_host="127.0.0.1", clients=ONLY_KEYLAB)
    http = one(rows, "http")
    assert http.ok is False and http.cause == cause and http.fix
    findings = rule(Evidence(path=rows))  # type: ignore[operator]
    assert findings and findings[0].severity == "blocker" and findings[0].cause == cause


# ── Unreachable ─────────────────────────────────────────────────────────────────────────


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_closed_port(env: Environment) -> None:
    rows = check_path(env, f"https://127.0.0.1:{_closed_port()}", timeout=2, clients=ONLY_KEYLAB)
    tcp = one(rows, "tcp")
    assert tcp.ok is False and "refused" in tcp.verdict and tcp.cause == "network-unreachable"
    assert not rows_of(rows, "http")  # nothing further is tried
    (finding,) = network_unreachable(Evidence(path=rows))
    assert finding.severity == "blocker"


def test_unresolvable_name(env: Environment) -> None:
    start = time.monotonic()
    rows = check_path(env, "https://api.keylab-test.invalid", timeout=2, clients=ONLY_KEYLAB)
    assert time.monotonic() - start < 5
    dns = one(rows, "dns")
    assert dns.ok is False and dns.cause == "network-unreachable" and "api.keylab-test.invalid" in dns.fix
    assert_rows_are_verdicts(rows)


@pytest.fixture()
def silent_server() -> Iterator[int]:
    """Accepts connections and never says a word (a black-holing firewall or a hung proxy)."""
    with testing.silent_server() as port:
        yield port


def test_a_silent_server_and_a_silent_proxy_finish_in_bounded_time(env: Environment, silent_server: int) -> None:
    start = time.monotonic()
    rows = check_path(env, f"https://127.0.0.1:{silent_server}", timeout=0.5, clients=ONLY_KEYLAB)
    tls = one(rows, "tls")
    assert tls.ok is False and "did not complete" in tls.verdict
    hung_proxy = env.with_variables(HTTPS_PROXY=f"http://127.0.0.1:{silent_server}")
    rows = check_path(hung_proxy, "https://api.keylab-test.invalid", timeout=0.5, clients=ONLY_KEYLAB)
    assert time.monotonic() - start < 6
    proxy = next(r for r in rows if r.step == "proxy" and r.client is None)
    assert proxy.ok is False and "no answer" in proxy.verdict
    assert_rows_are_verdicts(rows)


def test_a_hung_resolver_cannot_hang_the_check(env: Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    # fault injection: the system resolver stops answering (a dead DNS server on a captive network)
    real = socket.getaddrinfo

    def stuck(host: str, *args: object, **kwargs: object) -> object:
        if str(host).endswith(".invalid"):
            time.sleep(30)
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    start = time.monotonic()
    rows = check_path(env, "https://api.keylab-test.invalid", timeout=0.5, clients=ONLY_KEYLAB)
    assert time.monotonic() - start < 3
    dns = one(rows, "dns")
    assert dns.ok is False and "no DNS answer" in dns.verdict


# ── Callers ─────────────────────────────────────────────────────────────────────────────


def test_check_path_works_inside_a_running_event_loop(tls_sim: SimServer, env: Environment) -> None:
    async def notebook_cell() -> tuple[PathCheck, ...]:  # Jupyter runs cells inside a loop
        return check_path(env, tls_sim.url, timeout=3, clients=ONLY_KEYLAB, ca_file=tls_sim.ca_path)

    rows = asyncio.run(notebook_cell())
    assert one(rows, "http").ok is True


def test_a_malformed_url_is_a_row(env: Environment) -> None:
    rows = check_path(env, "api.anthropic.com", timeout=1, clients=ONLY_KEYLAB)
    assert rows[0].ok is False and "not an http(s) URL" in rows[0].verdict and rows[0].fix
