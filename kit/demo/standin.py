"""The simulator as a stand-in for the API, kept running for the life of this process.

A demo sandbox holds fake keys; sending them to the real API would only confuse the story, so a notebook
or command that is given a sandbox (or a scenario) and no API URL starts the built-in simulator on
loopback and points there instead.
"""

from __future__ import annotations

import atexit
import contextlib

__all__ = ["simulator_url"]

_STACK = contextlib.ExitStack()
_RUNNING: dict[str, str] = {}
atexit.register(_STACK.close)


def simulator_url(scenario: str) -> str:
    """The base URL of a simulator serving ``scenario`` on loopback (started on first use, stopped at exit)."""
    if scenario not in _RUNNING:
        from kit.sim import serve

        _RUNNING[scenario] = _STACK.enter_context(serve(scenario)).url
    return _RUNNING[scenario]
