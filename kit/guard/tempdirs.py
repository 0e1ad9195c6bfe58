"""Private temporary folders that are removed however KeyLab ends: normally, Ctrl-C, SIGTERM or SIGHUP.

A demo sandbox's folder holds (fake) keys; a run against a real environment may hold more. ``atexit``
alone runs on a normal exit and on Ctrl-C, but SIGTERM (a closed notebook kernel, ``kill``, a CI
timeout) and SIGHUP (a closed terminal) end the process without it, leaving ``keylab-*`` folders behind
(issue 17, item 6). ``private_temp_dir`` makes a 0700 folder and registers it; the first call installs
handlers for SIGTERM and SIGHUP that remove every registered folder and then let the signal do what it
did before (the previous Python handler, or the default: the process ends with that signal). A signal
the process ignores stays ignored. ``remove`` deletes a folder early and forgets it.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path
from types import FrameType
from typing import Any

__all__ = ["SIGNALS", "private_temp_dir", "registered", "remove", "remove_all"]

SIGNALS = (signal.SIGTERM, signal.SIGHUP)
_folders: set[Path] = set()
_lock = threading.Lock()
_previous: dict[int, Any] = {}
_at_exit = False
_on_signals = False


def registered() -> frozenset[Path]:
    """The folders that would be removed now (for tests)."""
    with _lock:
        return frozenset(_folders)


def remove(path: Path) -> None:
    """Remove ``path`` now and forget it."""
    with _lock:
        _folders.discard(path)
    shutil.rmtree(path, ignore_errors=True)


def remove_all() -> None:
    """Remove every registered folder (at exit and on SIGTERM / SIGHUP)."""
    with _lock:
        folders = list(_folders)
        _folders.clear()
    for path in folders:
        shutil.rmtree(path, ignore_errors=True)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    remove_all()
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _install() -> None:
    global _at_exit, _on_signals
    if not _at_exit:
        _at_exit = True
        atexit.register(remove_all)
    if _on_signals or threading.current_thread() is not threading.main_thread():
        return  # signal handlers can only be set from the main thread (a later call from it will)
    _on_signals = True
    for sig in SIGNALS:
        current = signal.getsignal(sig)
        if current in (signal.SIG_IGN, _on_signal):
            continue
        _previous[sig] = current
        signal.signal(sig, _on_signal)


def private_temp_dir(prefix: str) -> Path:
    """A new 0700 folder under the system temp folder, removed at exit, on SIGTERM and on SIGHUP."""
    path = Path(tempfile.mkdtemp(prefix=prefix))  # mkdtemp: 0700
    with _lock:
        _folders.add(path)
    _install()
    return path
