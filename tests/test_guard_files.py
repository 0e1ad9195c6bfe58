"""kit.guard.files and kit.guard.tempdirs: KeyLab's own files are 0600 (folders 0700), never written through a
link, and its temporary folders are gone after a normal exit, Ctrl-C, SIGTERM or SIGHUP (issue 17 item 6)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit.cli import main
from kit.errors import InputError
from kit.guard.files import open_private, private_dir, write_private
from kit.guard.tempdirs import private_temp_dir, registered, remove
from kit.testing import fake_key, simulator_process, stop_process


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_write_private_creates_0600_files_in_0700_folders(tmp_path: Path) -> None:
    path = write_private(tmp_path / "a" / "b" / "f.txt", "x")
    assert _mode(path) == 0o600
    assert _mode(tmp_path / "a") == 0o700 and _mode(tmp_path / "a" / "b") == 0o700
    old = tmp_path / "old.txt"
    old.write_text("y")
    old.chmod(0o644)
    write_private(old, b"z")
    assert _mode(old) == 0o600 and old.read_bytes() == b"z"


def test_a_symlink_is_refused_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("line 1\nline 2")
    link = tmp_path / "log.jsonl"
    link.symlink_to(target)
    for mode in ("a", "w", "r+"):
        with pytest.raises(InputError, match="symbolic link"):
            open_private(link, mode)  # type: ignore[arg-type]
    assert target.read_text() == "line 1\nline 2"
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "nowhere")
    with pytest.raises(InputError, match="symbolic link"):
        open_private(dangling, "a")
    assert not (tmp_path / "nowhere").exists()


def test_a_fifo_or_folder_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="not a regular file"):
        open_private(fifo, "a")
    with pytest.raises(InputError):
        open_private(tmp_path, "a")
    (tmp_path / "file").write_text("")
    with pytest.raises(InputError, match="not a folder"):
        private_dir(tmp_path / "file")


def test_private_temp_dir_is_0700_and_forgotten_once_removed() -> None:
    path = private_temp_dir("keylab-test-")
    assert _mode(path) == 0o700 and path in registered()
    remove(path)
    assert not path.exists() and path not in registered()


# The child starts with each signal's usual meaning: a process inherits an ignored SIGINT from whoever
# started it (a background job, or a test worker that some earlier test left ignoring it), and Python then
# keeps it ignored, which made the SIGINT case wait out its timeout in one full run out of four; a suite
# started under nohup hands every child an ignored SIGHUP, which KeyLab rightly leaves ignored.
_CHILD = """
import signal, sys, time
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
signal.signal(signal.SIGTERM, signal.SIG_DFL)
from kit.guard.tempdirs import private_temp_dir
path = private_temp_dir("keylab-ticket-")
(path / "key.txt").write_text("demo key")
print(path, flush=True)
if sys.argv[1] == "exit":
    sys.stdin.readline()
    sys.exit(0)
time.sleep(60)
"""


@pytest.mark.parametrize("how", ["exit", "SIGINT", "SIGTERM", "SIGHUP"])
def test_no_temp_folder_is_left_behind(how: str) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, how], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        path = Path(proc.stdout.readline().strip())
        assert path.name.startswith("keylab-ticket-") and path.is_dir()
        if how == "exit":
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        else:
            proc.send_signal(getattr(signal, how))
        proc.wait(timeout=30)
    finally:
        stop_process(proc)
    assert not path.exists(), f"{path} survived {how}"
    if how in ("SIGTERM", "SIGHUP"):
        assert proc.returncode == -getattr(signal, how)  # the signal still ends the process as before


@pytest.mark.slow  # five probe runs and a simulator process: make test-fast leaves it out
def test_the_access_log_and_probe_tables_are_private(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "access.jsonl"
    key_file = tmp_path / "key.txt"
    key_file.write_text(fake_key("alpha"))
    with simulator_process("healthy", "--access-log", str(log)) as (url, _proc):
        outs = [tmp_path / "out" / f"t.{suffix}" for suffix in ("csv", "jsonl", "json", "html", "md")]
        for out in outs:  # the probe in-process (CliRunner): the modes are KeyLab's own chmod, not a process's
            done = CliRunner().invoke(
                main,
                [
                    "probe",
                    "--api-url",
                    url,
                    "--key-file",
                    str(key_file),
                    "--run-dir",
                    str(tmp_path / "runs"),
                    "--out",
                    str(out),
                    "--no-progress",
                    "--timeout",
                    "5",
                ],
                catch_exceptions=False,
            )
            assert done.exit_code in (0, 1), done.output
        deadline = time.monotonic() + 10
        while not log.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    for path in [log, *outs]:
        assert _mode(path) == 0o600, path
    assert _mode(log.parent) == 0o700 and _mode(outs[0].parent) == 0o700
    assert json.loads(log.read_text().splitlines()[0])["path"]
