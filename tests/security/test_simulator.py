"""Promise: the simulator never stores or echoes a key, wherever in the request it was put.

A canary goes in the URL path, the query, every header the simulator logs and a few it does not, and
in capture mode the 401 body, the terminal echo and the access log are all searched for it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import httpx2
import pytest

from kit.sim import serve
from kit.testing import stop_process
from kit.testing.canary import assert_no_canary, canary_key

H = {"anthropic-version": "2023-06-01", "content-type": "application/json"}
PLACES = (
    "path",
    "anthropic-version",
    "anthropic-beta",
    "user-agent",
    "anthropic-workspace-id",
    "content-type",
    "x-custom",
    "authorization-scheme",
)


def _request(place: str, canary: str, key: str) -> tuple[str, dict[str, str]]:
    """The path and headers of a request that carries ``canary`` in ``place`` (and ``key`` as its credential)."""
    headers = {**H, "x-api-key": key}
    path = "/v1/models"
    if place == "path":
        path = f"/v1/models/{canary}?note={urllib.parse.quote(canary)}"
    elif place == "authorization-scheme":
        headers.pop("x-api-key")
        headers["authorization"] = f"{canary} trailing"
    else:
        headers[place] = f"app {canary}"
    return path, headers


@pytest.mark.parametrize("scenario", ["healthy", "capture"])
def test_a_key_anywhere_in_a_request_is_not_logged_or_echoed(scenario: str, tmp_path: Path) -> None:
    """Item 5: the access log and the capture answer held keys sent in the path or in other headers."""
    log = tmp_path / "access.jsonl"
    seen: list[dict[str, Any]] = []
    canaries = {place: canary_key() for place in PLACES}
    key = canary_key()
    bodies = []
    with serve(scenario, access_log=log, on_entry=seen.append) as server:
        for place, canary in canaries.items():
            path, headers = _request(place, canary, key)
            bodies.append(httpx2.get(server.url + path, headers=headers).text)
    everything = [log.read_text(encoding="utf-8"), json.dumps(seen), *bodies]
    for place, canary in canaries.items():
        assert_no_canary("\n".join(everything), [canary], where=f"a key in {place} leaks")
    assert_no_canary("\n".join(everything), [key])
    assert len(log.read_text().splitlines()) == len(PLACES)


def test_a_non_utf8_header_byte_is_logged_not_a_500(tmp_path: Path) -> None:
    """Item 9: a non-UTF-8 byte in a header with --access-log gave a 500 and lost the log line."""
    log = tmp_path / "access.jsonl"
    with serve("healthy", access_log=log) as server:
        reply = httpx2.get(server.url + "/v1/models", headers=[*H.items(), ("user-agent", b"app/\xff\xfe1.0")])
    assert reply.status_code != 500
    entry = json.loads(log.read_text(encoding="utf-8").splitlines()[0])
    assert entry["user_agent"] == "app/\\xff\\xfe1.0"


def test_capture_mode_echo_on_the_terminal_holds_no_key(tmp_path: Path) -> None:
    """Item 5: in capture mode the echo on stderr printed the path and headers verbatim."""
    canary, key = canary_key(), canary_key()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kit", "sim", "--scenario", "capture", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        for place in PLACES:
            path, headers = _request(place, canary, key)
            httpx2.get(url + path, headers=headers, timeout=10)
    finally:
        stop_process(proc)
    assert proc.stderr is not None
    echoed = proc.stderr.read()
    assert echoed.count("-> 401") == len(PLACES)
    assert_no_canary(echoed, [canary, key])
