"""``kill -9`` in the middle of a 500-attempt run loses no finished attempt, and the resumed run repeats none.

The simulator and the probe each run as their own process, as a user would run them; the probe is
killed with SIGKILL (no cleanup, no flush at exit), then started again with the same run id.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from kit.catalog import DATA_DIR
from kit.testing import assert_no_leak, fake_key, simulator_process

pytestmark = pytest.mark.slow

KEYS = ("alpha", "beta", "gamma", "delta", "epsilon")
MODELS = tuple(f"claude-model-{i}" for i in range(10))
VERSIONS = tuple(f"2023-06-{d:02d}" for d in range(1, 11))
TOTAL = len(KEYS) * len(MODELS) * len(VERSIONS)  # 500


def _scenario(tmp_path: Path) -> Path:
    data = (DATA_DIR / "scenarios" / "healthy.toml").read_text()
    assert tomllib.loads(data)["api"]["latency_ms"] == 0
    path = tmp_path / "slow.toml"
    path.write_text(data.replace("latency_ms = 0", "latency_ms = 15", 1))
    return path


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_kill_9_loses_nothing_finished_and_resume_repeats_nothing(tmp_path: Path):
    access = tmp_path / "access.jsonl"
    with simulator_process(_scenario(tmp_path), "--access-log", str(access)) as (url, _sim):
        assert url.startswith("http://127.0.0.1:"), url
        args = [
            sys.executable,
            "-m",
            "kit",
            "probe",
            "--api-url",
            url,
            "--plan",
            "full",
            "--run-id",
            "killed",
            "--run-dir",
            str(tmp_path),
            "--concurrency",
            "4",
            "--no-progress",
            "--json",
        ]
        for name in KEYS:
            (tmp_path / f"{name}.txt").write_text(fake_key(name))
            args += ["--key-file", str(tmp_path / f"{name}.txt")]
        for model in MODELS:
            args += ["--model", model]
        for version in VERSIONS:
            args += ["--version", version]
        log = tmp_path / "killed.jsonl"

        probe = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while len(_lines(log)) < 100 and time.monotonic() < deadline and probe.poll() is None:
            time.sleep(0.005)
        os.kill(probe.pid, signal.SIGKILL)
        probe.wait()
        assert probe.returncode == -signal.SIGKILL

        raw = log.read_bytes()
        complete = raw[: raw.rfind(b"\n") + 1].decode().splitlines()
        finished = [json.loads(line)["attempt_id"] for line in complete]  # every complete line is a row
        assert 100 <= len(finished) < TOTAL, "the kill must land in the middle of the run"
        assert len(finished) == len(set(finished))
        time.sleep(0.3)  # let the server finish answering what was in flight at the kill
        served_before = len(_lines(access))

        resumed = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert resumed.returncode == 0, resumed.stderr
        summary = json.loads(resumed.stdout)
        served_after = len(_lines(access))

    ids = [json.loads(line)["attempt_id"] for line in log.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == TOTAL  # all done, no duplicates
    assert set(finished) <= set(ids)
    assert summary["resumed"] == len(finished)
    assert summary["sent"] == TOTAL - len(finished)
    assert served_after - served_before == TOTAL - len(finished)  # no finished attempt reached the server again
    assert len(summary["results"]) == TOTAL
    assert_no_leak([log, resumed.stdout, resumed.stderr], [fake_key(n) for n in KEYS])
