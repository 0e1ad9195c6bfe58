"""kit.guard.terminal: control characters from servers and files are shown, never obeyed (issue 17 item 3)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kit.guard.terminal import say, visible
from kit.testing import fake_key, simulator_process


def test_every_kind_of_control_character_becomes_a_visible_escape() -> None:
    hostile = "\x1b[2J\x1b]0;t\x07\rHEALTHY\x9b31m\u202eevil\u2066\x00\x7f\udcff"
    shown = visible(hostile)
    assert shown == (
        "<U+001B>[2J<U+001B>]0;t<U+0007><U+000D>HEALTHY<U+009B>31m<U+202E>evil<U+2066><U+0000><U+007F><U+DCFF>"
    )
    assert visible("a\nb\tc") == "a<U+000A>b\tc"
    assert visible("a\nb", keep_newlines=True) == "a\nb"
    assert visible("plain text, ünïcode, 日本") == "plain text, ünïcode, 日本"


def test_say_prints_escapes_even_through_a_pipe() -> None:
    """click strips only CSI sequences when not on a terminal; OSC, BEL and CR got through (issue 17)."""
    import click

    @click.command()
    def cmd() -> None:
        say("before\x1b]0;owned\x07\rHEALTHY\nnext line")

    out = CliRunner().invoke(cmd).output
    assert out == "before<U+001B>]0;owned<U+0007><U+000D>HEALTHY\nnext line\n"


@pytest.mark.slow  # `python -m kit doctor` processes: make test-fast leaves it out
def test_the_doctor_shows_a_hostile_servers_message_as_escapes(tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text(fake_key("doctor-ansi"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env.update(HOME=str(tmp_path), COLUMNS="250")
    with simulator_process("hostile-ansi") as (url, _proc):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "kit",
                "doctor",
                "--api-url",
                url,
                "--key-file",
                str(key_file),
                "--run-dir",
                str(tmp_path / "runs"),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
            env=env,
            check=False,
        )
    text = done.stdout + done.stderr
    assert done.returncode in (0, 1), text[-2000:]
    for char in "\x1b\x07\r":
        assert char not in text
    assert "<U+001B>[2J" in text  # shown, so a reader sees what the server tried
