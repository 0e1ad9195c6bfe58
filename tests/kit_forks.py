"""``python -m kit ARGS`` in processes forked from one that has already imported what ``kit probe`` imports.

``test_hostile.py`` runs the probe once per hostile mode, each in its own process so that its peak memory
is its own. A fresh interpreter spends about 2 s of CPU importing KeyLab, httpx and the official SDK
before it sends a request; eight modes paid that eight times. ``KitForks`` starts one process per
xdist worker that imports them once, then forks a child per run. The child is a process of its own, as
a fresh one would be: its own environment, working folder, stdin (``/dev/null``), stdout and stderr, its
own exit code, and its own memory figures. Linux starts a forked child's ``VmHWM`` at the resident size
it inherits (``dup_mm``), the memory a fresh process has after the same imports, and its
``RUSAGE_CHILDREN`` at zero, so the peaks measured inside it are the run's own. Measured for one
``huge``-mode run with every client and ``--out``: 139 MB forked, 143 MB fresh (the shared libraries'
file pages a fresh process maps while importing are not all touched again in a fork).

The server is single-threaded when it forks (nothing it imports starts a thread), so a child inherits no
lock held by a thread that is not there.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kit.testing import stop_process

#: What ``kit probe`` imports before its first request, imported once by the server.
PRELOAD = (
    "kit.cli",
    "kit.commands.probe",
    "kit.probe.engine",
    "kit.probe.clients.registry",
    "kit.probe.clients.sdk_python",
    "kit.probe.clients.httpx_client",
    "kit.probe.clients.curl",
    "kit.probe.clients.sdk_node",
    "anthropic",
    "httpx",
)

_SERVER = r"""
import importlib, json, os, signal, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
import threading
assert threading.active_count() == 1, "a preloaded module started a thread; a fork would lose it"
replies = sys.stdout
for line in sys.stdin:
    job = json.loads(line)
    replies.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: becomes the run it was asked for, then exits as that program would
        os.chdir(job["cwd"])
        os.environ.clear()
        os.environ.update(job["env"])
        for fd, path, flags in (
            (0, os.devnull, os.O_RDONLY),
            (1, job["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
            (2, job["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        ):
            os.dup2(os.open(path, flags, 0o600), fd)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        signal.alarm(job["timeout"])  # a hung run ends, as subprocess.run's timeout would end it
        sys.argv = ["-c", *job["argv"]]
        exec(compile(job["code"], "<string>", "exec"), {"__name__": "__main__"})
        sys.exit(0)  # atexit handlers run, as at a fresh process's end
    _, status = os.waitpid(pid, 0)
    replies.write(json.dumps({"exit": os.waitstatus_to_exitcode(status)}) + "\n")
    replies.flush()
"""


@dataclass(frozen=True)
class Finished:
    """A finished run, as ``subprocess.run(..., capture_output=True, text=True)`` returns it."""

    returncode: int
    stdout: str
    stderr: str


class KitForks:
    """One preloaded server; ``run`` forks a child of it for each program."""

    def __init__(self, proc: subprocess.Popen[str], folder: Path) -> None:
        self._proc = proc
        self._folder = folder
        self._runs = 0

    @classmethod
    @contextlib.contextmanager
    def started(cls, folder: Path) -> Iterator[KitForks]:
        proc = subprocess.Popen(
            [sys.executable, "-c", _SERVER, json.dumps(PRELOAD)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            yield cls(proc, folder)
        finally:
            stop_process(proc)

    def run(self, code: str, argv: Sequence[str], env: Mapping[str, str], *, timeout: int = 120) -> Finished:
        """Run ``python -c CODE ARGV...`` with exactly ``env`` in a forked child and wait for it."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._runs += 1
        out, err = self._folder / f"run-{self._runs}.out", self._folder / f"run-{self._runs}.err"
        job = {
            "code": code,
            "argv": list(argv),
            "env": dict(env),
            "cwd": os.getcwd(),
            "stdout": str(out),
            "stderr": str(err),
            "timeout": timeout,
        }
        self._proc.stdin.write(json.dumps(job) + "\n")
        self._proc.stdin.flush()
        reply = self._proc.stdout.readline()
        assert reply, f"the fork server ended (exit {self._proc.poll()})"
        return Finished(json.loads(reply)["exit"], out.read_text(), err.read_text())
