"""The hostile responder as a scenario, and `sim --host 0.0.0.0` (issue 17 item 7)."""

from __future__ import annotations

import subprocess
import sys

import httpx2
import pytest

from kit.errors import ScenarioError
from kit.sim import serve
from kit.sim.hostile import HOSTILE_MODES, NESTING
from kit.sim.scenario import _build
from kit.testing import fake_key


def test_mode_is_required_by_hostile_and_refused_elsewhere() -> None:
    with pytest.raises(ScenarioError, match="mode"):
        _build({"name": "x", "api": {"responder": "hostile"}}, None)
    with pytest.raises(ScenarioError, match="mode"):
        _build({"name": "x", "api": {"mode": "huge"}}, None)
    with pytest.raises(ScenarioError, match="did you mean 'nested'"):
        _build({"name": "x", "api": {"responder": "hostile", "mode": "nestd"}}, None)
    assert _build({"name": "x", "api": {"responder": "hostile", "mode": "drip"}}, None).api.mode == "drip"


def test_each_mode_misbehaves_as_documented() -> None:
    key = fake_key("hostile-sim")
    with (
        serve("hostile-huge") as huge,
        httpx2.Client(timeout=5) as client,
        client.stream("GET", huge.url + "/v1/models", headers={"x-api-key": key}) as r,
    ):
        assert r.status_code == 401 and int(r.headers["content-length"]) == 100 * 1024 * 1024
        got = 0
        for chunk in r.iter_raw():
            got += len(chunk)
            if got > 1 << 20:
                break
        assert got > 1 << 20
    with serve("hostile-nested") as nested:
        r = httpx2.get(nested.url + "/v1/models", headers={"x-api-key": key})
        assert r.content == b"[" * NESTING + b"]" * NESTING
    with serve("hostile-echo-key") as echo:
        r = httpx2.get(echo.url + "/v1/models", headers={"x-api-key": key})
        assert r.headers["request-id"] == key and key in r.json()["error"]["message"]
    with serve("hostile-many-headers") as many:
        out = subprocess.run(
            ["curl", "-sS", "-o", "/dev/null", "-D", "-", many.url + "/v1/models"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert out.stdout.count("x-hostile-") > 1000 or "Too large" in out.stderr
    with serve("hostile-ansi") as ansi:
        raw = subprocess.run(
            ["curl", "-sS", "-D", "-", ansi.url + "/v1/models"], capture_output=True, timeout=30, check=False
        ).stdout
        assert b"request-id: req_\x1b[2K" in raw and b"\rHEALTHY" in raw.replace(b"\\r", b"\r")
    assert len(HOSTILE_MODES) == 8


def _own_network_namespace() -> bool:
    try:
        return subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@pytest.mark.skipif(not _own_network_namespace(), reason="needs `unshare --net` (root or user namespaces)")
def test_sim_on_all_interfaces_prints_a_reachable_url_and_warns() -> None:
    # In a network namespace of its own: "all interfaces" is then only that namespace's loopback.
    proc = subprocess.Popen(
        [
            "unshare",
            "--net",
            sys.executable,
            "-m",
            "kit",
            "sim",
            "--host",
            "0.0.0.0",  # noqa: S104
            "--port",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        proc.stderr.readline()
        warning = proc.stderr.readline()
        assert warning.startswith("warning: listening on 0.0.0.0, reachable from other machines")
    finally:
        proc.terminate()
        proc.wait(timeout=15)
