"""Promise: no input gives a traceback or a hang. Hypothesis drives the CLI's arguments and the readers' inputs.

Every example is bounded in time (hypothesis' deadline), and in-process traffic is held to loopback by
the ``loopback_only`` fixture, since a fuzzed URL may name any host. Commands that run until stopped
(``sim``) or take a minute (``report``) are fuzzed through the same input checks they call.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit.cli import main
from kit.commands import inputs
from kit.errors import KitError
from kit.guard.reader import Read, Refused, read_bounded
from kit.sources.discover import discover
from kit.testing import sandbox_env
from kit.testing.canary import assert_no_canary, canary_key

FUZZ = settings(
    max_examples=40,
    deadline=dt.timedelta(seconds=30),
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY = [
    "",
    " ",
    "-",
    "--",
    "\x00",
    "\x1b[2J",
    "http://[::1",
    "http://127.0.0.1:99999",
    "http://a b",
    "ftp://x",
    "http://127.0.0.1:0",
    "http://user:pw@127.0.0.1:9",
    "/dev/zero",
    "/proc/1",
    ".",
    "..",
    "~",
    "%s%n",
    "{}",
    "a" * 300,
    "é" * 70,
    "\ud800",
    "localhost.",
    "http://localhost.:9",
    "127.0.0.1:9",
    "-1",
    "1e309",
    "nan",
]
text_values = st.one_of(st.sampled_from(NASTY), st.text(max_size=40))
PROBE_OPTIONS = [
    "--api-url",
    "--key-file",
    "--model",
    "--version",
    "--client",
    "--auth-style",
    "--plan",
    "--allow-host",
    "--run-id",
    "--run-dir",
    "--budget",
    "--concurrency",
    "--rate",
    "--timeout",
    "--out",
]
SAFE_CLIENTS = {"httpx2", "sdk-python"}  # in-process, so the loopback guard covers them


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@st.composite
def probe_argv(draw: st.DrawFn) -> list[str]:
    pairs = draw(st.lists(st.tuples(st.sampled_from(PROBE_OPTIONS), text_values), max_size=5))
    argv: list[str] = []
    for option, value in pairs:
        if option == "--client" and value not in SAFE_CLIENTS:
            value = value if value.strip().lower() not in {"curl", "sdk-node"} and "@" not in value else "wget"
        argv += [option, value]
    argv += draw(st.lists(text_values, max_size=2))  # stray arguments
    return argv


@pytest.mark.usefixtures("loopback_only")
@FUZZ
@given(argv=probe_argv())
def test_probe_arguments_never_give_a_traceback(argv: list[str], tmp_path_factory: pytest.TempPathFactory) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    canary = canary_key()
    key = folder / "key.txt"
    key.write_text(canary)
    base = [
        "probe",
        "--api-url",
        f"http://127.0.0.1:{_closed_port()}",
        "--key-file",
        str(key),
        "--timeout",
        "1",
        "--budget",
        "2",
        "--run-dir",
        str(folder / "runs"),
    ]
    with contextlib.chdir(folder):  # a fuzzed relative --run-dir or --out lands in the test's folder
        result = CliRunner().invoke(main, [*base, *argv])
    output = result.output
    assert result.exit_code in (0, 1, 2), (argv, result.exit_code, output[-400:], result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (argv, result.exception)
    assert "Traceback" not in output
    assert_no_canary(output, [canary])


@FUZZ
@given(url=text_values)
def test_api_url_checks_accept_or_explain(url: str) -> None:
    try:
        assert inputs.check_api_url(url) in (url, None)
    except KitError as exc:
        assert exc.fix and "\n" not in exc.problem


@FUZZ
@given(host=text_values)
def test_listen_host_checks_accept_or_explain(host: str) -> None:
    try:
        inputs.check_listen_host(host)
    except KitError as exc:
        assert exc.fix and "\n" not in exc.problem


@FUZZ
@given(data=st.binary(max_size=4096), kind=st.sampled_from(["file", "fifo", "dir", "link-loop", "dangling"]))
def test_the_bounded_reader_never_blocks_or_overreads(
    data: bytes, kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = tmp_path_factory.mktemp("reader") / "input"
    if kind == "file":
        path.write_bytes(data)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dir":
        path.mkdir()
    elif kind == "link-loop":
        path.symlink_to(path)
    else:
        path.symlink_to(path.parent / "nowhere")
    result = read_bounded(path, limit=1024)
    if kind == "file" and len(data) <= 1024:
        assert isinstance(result, Read) and result.data == data
    else:
        assert isinstance(result, Refused)


@FUZZ
@given(dotenv=st.binary(max_size=2048), zshrc=st.binary(max_size=2048), key=st.binary(max_size=300))
def test_discovery_reads_any_bytes_without_a_traceback(
    dotenv: bytes, zshrc: bytes, key: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root = tmp_path_factory.mktemp("sources")
    env = sandbox_env(root)
    (root / "project" / ".env").write_bytes(dotenv)
    (root / "home" / ".zshrc").write_bytes(zshrc)
    key_file = root / "project" / "key.txt"
    key_file.write_bytes(key)
    found = discover(env, [key_file], ask_sdk=False)
    assert isinstance(found.problems, list | tuple)


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null", "/proc/self/mem", "/"])
def test_key_file_reader_refuses_special_files(path: str) -> None:
    if not Path(path).exists():
        pytest.skip(f"{path} does not exist here")
    with pytest.raises(KitError):
        inputs.read_key_file(path)
