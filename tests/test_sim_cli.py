"""The `python -m kit sim` contract over a real subprocess: URL first, CA path second, SIGTERM/SIGINT exit 0."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2

from kit.testing import assert_no_leak, fake_key

REPO = Path(__file__).resolve().parent.parent


@contextmanager
def running(*args: str) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kit", "sim", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)


def test_first_line_is_the_url_and_sigterm_exits_0() -> None:
    with running("--scenario", "ticket", "--port", "0") as proc:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        headers = {"x-api-key": fake_key("fresh-1"), "anthropic-version": "2023-06-01"}
        r = httpx2.get(url + "/v1/models", headers=headers)
        assert r.status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0


def test_tls_prints_the_ca_path_and_sigint_exits_0() -> None:
    with running("--tls") as proc:
        assert proc.stdout is not None
        url, ca = proc.stdout.readline().strip(), proc.stdout.readline().strip()
        assert url.startswith("https://") and Path(ca).is_file()
        context = ssl.create_default_context(cafile=ca)
        r = httpx2.get(url + "/v1/models", headers={"anthropic-version": "2023-06-01"}, verify=context)
        assert r.status_code == 401
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
    assert not Path(ca).exists()


def test_capture_mode_echoes_each_request_on_stderr(tmp_path: Path) -> None:
    key = fake_key("fresh-2")
    log = tmp_path / "capture.jsonl"
    with running("--scenario", "capture", "--access-log", str(log)) as proc:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        r = httpx2.post(url + "/v1/messages", headers={"x-api-key": key, "anthropic-version": "2023-06-01"}, json={})
        assert r.status_code == 401 and "KeyLab capture" in r.json()["error"]["message"]
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
        assert proc.returncode == 0
    assert "POST /v1/messages -> 401" in err and "x-api-key sk-ant-api03-" in err
    assert json.loads(log.read_text().splitlines()[0])["auth_style"] == "x-api-key"
    assert_no_leak([log, err, r.text], [key])


def test_bad_scenario_exits_2_with_the_fix() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kit", "sim", "--scenario", "helthy"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert "no scenario named 'helthy'" in done.stderr and "did you mean 'healthy'" in done.stderr
    assert "Traceback" not in done.stderr


def test_list_shows_the_scenarios() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kit", "sim", "--list"], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert {"healthy", "ticket", "capture", "gateway"} <= set(names)
