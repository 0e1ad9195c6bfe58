"""Every probe client against every hostile server mode (issue 17): bounded time, bounded memory, a row
with a clear outcome, no control character on the terminal, no key byte in any artifact.

Each mode runs ``kit probe`` in its own process against the simulator in another process (so neither's
memory hides the other's), with the probe's peak resident memory measured from inside (``VmHWM`` of the
probe and, separately, ``ru_maxrss`` of its curl and node children). The probe processes are forked from
one per worker that imported KeyLab and the official SDK once (``tests/kit_forks.py``: the memory figures
mean what they mean in a fresh process); the tests are still marked slow; the two tests of the ``nested``
mode read one run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from kit_forks import KitForks

from kit.guard.limits import MAX_BODY_BYTES, too_large_message
from kit.sim.hostile import HOSTILE_MODES
from kit.testing import assert_no_leak, fake_key, simulator_process

TIMEOUT_S = 3.0
PEAK_MB = 200
PY_CLIENTS = ("httpx2", "sdk-python", "curl")
NODE_VERSIONS = ("0.24.3", "1.14.0")
pytestmark = pytest.mark.slow  # a probe process per mode, each importing the SDK: make test-fast leaves them out


def _node_ready(version: str) -> bool:
    from kit.probe.clients import node_install

    return (
        shutil.which("node") is not None and node_install.installed_version(node_install.sdk_folder(version)) == version
    )


#: Every client that can run here: the Node SDKs when `make node-sdks` installed them (KEYLAB_CACHE).
CLIENTS = PY_CLIENTS + tuple(f"sdk-node@{v}" for v in NODE_VERSIONS if _node_ready(v))
#: Any character a terminal could obey (newline and tab are the only controls KeyLab prints itself).
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

_WRAPPER = """
import atexit, re, resource, runpy, sys
def _peak():
    # VmHWM: this process image's own peak (ru_maxrss would include the parent's peak from before exec)
    with open("/proc/self/status") as fh:
        me = int(re.search(r"VmHWM:\\s+(\\d+)", fh.read()).group(1))
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # curl, node: an upper bound
    sys.stderr.write(f"\\nKEYLAB_PEAK_KB={me} {kids}\\n")
atexit.register(_peak)
sys.argv = ["kit", *sys.argv[1:]]
runpy.run_module("kit", run_name="__main__")
"""


@pytest.fixture(scope="module")
def forks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KitForks]:
    """The worker's preloaded process: each mode's probe is a child forked from it (``tests/kit_forks.py``)."""
    with KitForks.started(tmp_path_factory.mktemp("kit-forks")) as server:
        yield server


def _run_probe(
    mode: str, tmp_path: Path, clients: tuple[str, ...], forks: KitForks
) -> tuple[dict[str, object], str, str]:
    key = fake_key("hostile-canary")
    key_file = tmp_path / "key.txt"
    key_file.write_text(key)
    run_dir = tmp_path / "runs"
    out = tmp_path / "table.csv"
    with simulator_process(f"hostile-{mode}") as (url, _proc):
        args = [
            "probe",
            "--api-url",
            url,
            "--key-file",
            str(key_file),
            "--timeout",
            str(TIMEOUT_S),
            "--run-dir",
            str(run_dir),
            "--run-id",
            f"hostile-{mode}",
            "--out",
            str(out),
            "--json",
            "--no-progress",
            "--plan",
            "full",
        ]
        for client in clients:
            args += ["--client", client]
        done = forks.run(_WRAPPER, args, {**os.environ, "COLUMNS": "200"}, timeout=120)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    artifacts = [done.stdout, done.stderr, *sorted(run_dir.iterdir()), out]
    assert_no_leak(artifacts, [key])
    return json.loads(done.stdout), done.stdout, done.stderr


#: Probe runs by mode, for tests that read the same run (they share an xdist group, so one worker runs it).
_RUNS: dict[str, tuple[dict[str, object], str, str]] = {}
_SHARED = ("nested",)


def _shared_run(mode: str, factory: pytest.TempPathFactory, forks: KitForks) -> tuple[dict[str, object], str, str]:
    """``_run_probe`` of ``mode`` against every client, once per worker for the modes several tests read."""
    if mode not in _RUNS:
        _RUNS[mode] = _run_probe(mode, factory.mktemp(f"hostile-{mode}"), CLIENTS, forks)
    return _RUNS[mode]


def _peak_mb(stderr: str) -> tuple[float, float]:
    match = re.search(r"KEYLAB_PEAK_KB=(\d+) (\d+)", stderr)
    assert match, stderr[-2000:]
    return int(match.group(1)) / 1024, int(match.group(2)) / 1024


@pytest.mark.parametrize(
    "mode",
    [
        pytest.param(m, marks=pytest.mark.xdist_group(f"hostile-{m}")) if m in _SHARED else pytest.param(m)
        for m in HOSTILE_MODES
    ],
)
def test_every_client_stays_bounded_and_clean_against_a_hostile_server(
    mode: str, tmp_path_factory: pytest.TempPathFactory, forks: KitForks
) -> None:
    run, stdout, stderr = _shared_run(mode, tmp_path_factory, forks)
    rows = run["results"]
    assert isinstance(rows, list)
    assert {r["client"] for r in rows} == set(CLIENTS)
    for row in rows:
        # bounded time: each attempt ends within its timeout plus 5 s
        took = row["latency_ms"]
        said = f"{row['client']}: {took} ms, {row['transport_error']}: {row['error_message']}"
        assert took is not None and took <= (TIMEOUT_S + 5) * 1000, said
        # a clear outcome: an HTTP status with its error, or a named transport failure with a message
        assert row["outcome"], row
        if row["transport_error"]:
            assert row["error_message"], row
        else:
            assert row["status"] is not None, row
    me, children = _peak_mb(stderr)
    assert me < PEAK_MB, f"the probe peaked at {me:.0f} MB"
    assert children < PEAK_MB, f"a curl child peaked at {children:.0f} MB"
    assert not CONTROL.search(stdout + stderr), "a control character reached the terminal"
    if mode in ("huge", "endless"):
        for row in rows:
            assert row["transport_error"] == "BodyTooLarge", row
            assert row["error_message"] == too_large_message() and str(MAX_BODY_BYTES) in row["error_message"]
    if mode == "drip":
        assert all(row["transport_error"] for row in rows)


@pytest.mark.xdist_group("hostile-nested")
def test_a_deeply_nested_answer_is_a_row_not_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, forks: KitForks
) -> None:
    """Issue 17 item 1: 50,000 nested arrays in a 401 made every client's row raise RecursionError."""
    run, _, stderr = _shared_run("nested", tmp_path_factory, forks)
    assert "Traceback" not in stderr and "RecursionError" not in stderr
    for row in run["results"]:
        assert row["status"] == 401 and row["transport_error"] == "JSONDecodeError", row


def test_terminal_output_of_a_hostile_answer_shows_escapes(tmp_path: Path) -> None:
    """Issue 17 item 3: ESC, BEL and CR from error.message and request-id are shown as <U+001B> etc."""
    key = fake_key("ansi")
    key_file = tmp_path / "key.txt"
    key_file.write_text(key)
    with simulator_process("hostile-ansi") as (url, _proc):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kit",
                "probe",
                "--api-url",
                url,
                "--key-file",
                str(key_file),
                "--run-dir",
                str(tmp_path / "runs"),
                "--no-progress",
                "--timeout",
                "5",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "250"},
            check=False,
        )
    assert not CONTROL.search(done.stdout + done.stderr)
    assert "<U+001B>" in done.stdout
