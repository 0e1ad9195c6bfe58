"""Promises: a key given on the command line is refused without being repeated; bad input gets one line and exit 2.

Every command runs in its own process (``python -m kit``) with a time limit, so a hang fails the test
instead of the suite, and everything it prints is searched for the canaries in every decoded form.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kit.testing.canary import assert_no_canary, canary_key

TIMEOUT_S = 60


def run_kit(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m kit ARGS`` in ``cwd``; a hang fails with TimeoutExpired instead of blocking the suite."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "HTTP", "HTTPS", "ALL_PROXY"))}
    return subprocess.run(
        [sys.executable, "-m", "kit", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def _one_line_refusal(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout[-500:], result.stderr[-500:])
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stderr.startswith("error: ") and "fix:" in result.stderr, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["probe", "--key-file", "{key}"],  # the common slip: the key instead of its file
        ["probe", "--api-url", "http://127.0.0.1:9", "{key}"],  # an extra argument
        ["probe", "--api-url", "{key}"],
        ["probe", "--api-url", "http://{key}@127.0.0.1:9"],
        ["probe", "--run-id", "{key}"],
        ["probe", "--client", "{key}"],
        ["probe", "--out", "{key}"],
        ["probe", "--run-dir", "{key}"],
        ["probe", "--version", "{key}"],
        ["--version", "{key}"],
        ["sim", "--scenario", "{key}"],
        ["doctor", "--model", "{key}"],
        ["doctor", "--key-file", "keys/{key}.txt"],  # a key file named after the key
        ["report", "--api-url", "{key}"],
    ],
    ids=lambda a: " ".join(a),
)
def test_a_key_on_the_command_line_is_refused_and_never_repeated(args: list[str], tmp_path: Path) -> None:
    """Item 8: click's and KeyLab's messages printed the key; now it is refused, with where a key goes instead."""
    canary = canary_key()
    result = run_kit(*(a.format(key=canary) for a in args), cwd=tmp_path)
    _one_line_refusal(result)
    assert "looks like an API key" in result.stderr and "--key-file" in result.stderr
    assert_no_canary(result.stdout + result.stderr, [canary])
    assert not any(tmp_path.iterdir()), "nothing is created for a refused command line"


def test_a_secret_that_is_not_key_shaped_is_scrubbed_from_everything_printed(tmp_path: Path) -> None:
    """Item 8: a key file named after its own (not key-shaped) content put the secret in the printed table."""
    secret = "gw" + canary_key()[13:53].replace("-", "x").replace("_", "y")
    key_file = tmp_path / secret
    key_file.write_text(secret + "\n")
    result = run_kit(
        "probe",
        "--api-url",
        "http://127.0.0.1:9",
        "--key-file",
        secret,
        "--run-dir",
        str(tmp_path / "runs"),
        "--timeout",
        "2",
        cwd=tmp_path,
    )
    assert "Traceback" not in result.stderr
    assert_no_canary(result.stdout + result.stderr, [secret])


def _fifo(tmp_path: Path) -> str:
    path = tmp_path / "key.fifo"
    os.mkfifo(path)
    return str(path)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["probe", "--api-url", "http://127.0.0.1:9", "--key-file", "{fifo}"], "named pipe"),
        (["doctor", "--api-url", "http://127.0.0.1:9", "--key-file", "{fifo}"], "named pipe"),
        (["probe", "--api-url", "http://127.0.0.1:9", "--key-file", "/dev/zero"], "device"),
        (["doctor", "--key-file", "/dev/zero"], "device"),
        (["probe", "--api-url", "http://[::1", "--key-file", "{key}"], "not a valid URL"),
        (["probe", "--api-url", "http://127.0.0.1:99999", "--key-file", "{key}"], "port"),
        (["doctor", "--api-url", "http://127.0.0.1:99999"], "port"),
        (["probe", "--api-url", "http://a b", "--key-file", "{key}"], "space"),
        (["report", "--api-url", "http://a b"], "space"),
        (["probe", "--api-url", "http://127.0.0.1:9", "--key-file", "{key}", "--run-dir", "{key}"], "is a file"),
        (
            ["probe", "--api-url", "http://127.0.0.1:9", "--key-file", "{key}", "--run-dir", "/proc/1"],
            "cannot hold files",
        ),
        (["doctor", "--api-url", "http://127.0.0.1:9", "--run-dir", "{key}"], "is a file"),
        (["probe", "--api-url", "http://127.0.0.1:9", "--key-file", "{key}", "--out", "{key}/t.csv"], "--out"),
        (["report", "--out", "{key}/r.html"], "--out"),
        (["report", "--out", "r.ipynb"], "suffix"),
        (["sim", "--host", "a" * 64 + ".example"], "63 characters"),
        (["sim", "--host", "bad host"], "not a host name"),
        (["sim", "--access-log", "{fifo}"], "not a regular file"),
    ],
    ids=lambda a: " ".join(a) if isinstance(a, list) else a,
)
def test_bad_input_gets_one_line_and_exit_2_without_hanging(args: list[str], words: str, tmp_path: Path) -> None:
    """Item 9: hangs (a FIFO), MemoryError (/dev/zero) and tracebacks on bad URLs, folders and host names."""
    key = tmp_path / "key.txt"
    key.write_text(canary_key())
    fifo = _fifo(tmp_path) if any("{fifo}" in a for a in args) else ""
    result = run_kit(*(a.format(key=key, fifo=fifo) for a in args), cwd=tmp_path)
    _one_line_refusal(result)
    assert words in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 2, "the problem on one line, the fix on the next"


def _scenario(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.toml"
    if kind == "binary":
        path.write_bytes(bytes(range(256)) * 8)
    elif kind == "nested":
        path.write_text("x = " + "[" * 200_000 + "]" * 200_000 + "\n")
    elif kind == "latency":
        healthy = (Path(__file__).parents[2] / "data" / "scenarios" / "healthy.toml").read_text()
        path.write_text(healthy.replace("latency_ms = 0", "latency_ms = 100000000000000000000"))
    return path


@pytest.mark.parametrize(
    ("kind", "words"), [("binary", "not text"), ("nested", "too deeply"), ("latency", "latency_ms")]
)
def test_a_hostile_scenario_file_gets_one_line_and_exit_2(kind: str, words: str, tmp_path: Path) -> None:
    """Item 9: a binary or deeply nested scenario gave a traceback; latency_ms of 10^20 hung every request."""
    result = run_kit("sim", "--scenario", str(_scenario(tmp_path, kind)), cwd=tmp_path)
    _one_line_refusal(result)
    assert words in result.stderr, result.stderr
