"""A request HTTP cannot parse (a raw newline inside x-api-key) is refused without echoing or logging the key."""

from __future__ import annotations

import logging
import subprocess

import pytest

from kit.testing import assert_no_leak, fake_key, simulator


def test_raw_newline_in_the_key_gets_a_bare_400_and_the_key_is_never_echoed_or_logged(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    key = fake_key("alpha")
    caplog.set_level(logging.DEBUG)
    with simulator("healthy") as url:
        config = f'url = "{url}/v1/models"\nheader = "x-api-key: {key}\n"\nheader = "anthropic-version: 2023-06-01"\n'
        done = subprocess.run(
            ["curl", "-sS", "-i", "--config", "-"], input=config, capture_output=True, text=True, timeout=30
        )
    assert done.stdout.split(" ", 2)[1] == "400", done.stdout[:80]
    captured = capfd.readouterr()
    assert_no_leak([done.stdout, done.stderr, caplog.text, captured.out, captured.err], [key])
