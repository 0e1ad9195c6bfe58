"""Notebook kernels forked from one process that imported the notebooks' libraries once, for test suites.

A kernel is a fresh Python that imports ipykernel, then the notebook's first cells import pandas,
matplotlib and KeyLab's panels: about 2 s of CPU before any work, paid again for every notebook a
suite runs. ``KernelForks`` starts one process that imports them once and forks a kernel per request;
``kit.present.kernel.set_launcher(forks.launch)`` has every kernel ``private_kernel`` starts made that
way. A forked kernel runs in its own session, folder and environment, as ``jupyter_client`` would start
it; the server declines (and the kernel is started as usual) when a variable that those imports read
differs from the server's own, so a forked kernel never differs from a fresh one.

The server is single-threaded when it forks; jupyter_client sees the kernel through ``ForkedKernel``,
the parts of ``Popen`` it uses. The server ignores ``SIGCHLD`` so that the system reaps its children:
a kernel has ended once its pid is gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence

__all__ = ["PRELOAD", "READ_AT_IMPORT", "ForkedKernel", "KernelForks"]

#: What a kernel imports to start and KeyLab's notebooks import before their first result.
PRELOAD = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "matplotlib",  # not pyplot: the inline backend hooks into the shell when pyplot loads it, in the kernel
    "matplotlib.figure",
    "pandas",
    "ipywidgets",
)  # not KeyLab's own modules: a fresh kernel loads them with the notebook's environment
#: Variables those imports read: a request whose value differs is declined.
READ_AT_IMPORT = ("MPLBACKEND", "MPLCONFIGDIR", "HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "PYTHONPATH", "TZ")
_INLINE = "module://matplotlib_inline.backend_inline"

_SERVER = r"""
import importlib, json, os, signal, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
import threading
assert threading.active_count() == 1, "a preloaded module started a thread; a fork would lose it"
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the system reaps the kernels
replies = sys.stdout
for line in sys.stdin:
    job = json.loads(line)
    replies.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the kernel: its own session, folder, environment and standard input, as jupyter_client starts it
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            os.setsid()
            os.chdir(job["cwd"])
            os.environ.clear()
            os.environ.update(job["env"])
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(2, 1)  # its output goes where the server's errors go, not into the replies
            sys.stdin = open(0, closefd=False)
            sys.stdout = open(1, "w", closefd=False)
            sys.path[0] = job["cwd"]
            options = job["argv"][3:]  # after 'python -m ipykernel_launcher'
            sys.argv = [job["argv"][0], *options]
            from ipykernel import kernelapp
            parent = job["env"].get("JPY_PARENT_PID")  # read at import in a fresh kernel: given here instead
            extra = [f"--IPKernelApp.parent_handle={int(parent)}"] if parent else []
            kernelapp.launch_new_instance(argv=[*options, *extra])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            import traceback
            traceback.print_exc()
            code = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
    replies.write(json.dumps({"pid": pid}) + "\n")
    replies.flush()
"""


class ForkedKernel:
    """A kernel forked by ``KernelForks``: not this process's child, so its end is seen by its pid going away."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired([str(self.pid)], timeout or 0)
            time.sleep(0.02)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:
                self.returncode = 0
            else:
                if signum == signal.SIGKILL:
                    self.returncode = -signal.SIGKILL

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


class KernelForks:
    """The preloaded server, started on the first request; ``launch`` is a ``kit.present.kernel`` launcher."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._env: dict[str, str] = {}
        self._lock = threading.Lock()
        self.forked = 0
        self.declined = 0

    def launch(self, cmd: Sequence[str], env: Mapping[str, str], cwd: str) -> ForkedKernel | None:
        """A kernel for ``cmd`` (``python -m ipykernel_launcher -f FILE``) forked by the server, or ``None``."""
        if list(cmd[1:3]) != ["-m", "ipykernel_launcher"] or os.path.realpath(cmd[0]) != os.path.realpath(
            sys.executable
        ):
            self.declined += 1
            return None
        with self._lock:
            proc = self._server()
            wanted = {"MPLBACKEND": _INLINE, **env}  # ipykernel sets it so at start when it is not set
            if any(wanted.get(name) != self._env.get(name) for name in READ_AT_IMPORT):
                self.declined += 1
                return None
            assert proc.stdin is not None and proc.stdout is not None
            env = {**env, "JPY_PARENT_PID": str(os.getpid())}  # as jupyter_client's launcher sets it
            proc.stdin.write(json.dumps({"argv": list(cmd), "env": env, "cwd": cwd}) + "\n")
            proc.stdin.flush()
            reply = proc.stdout.readline()
        if not reply:
            self.declined += 1
            return None
        self.forked += 1
        return ForkedKernel(json.loads(reply)["pid"])

    def _server(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            self._env = {"MPLBACKEND": _INLINE, **os.environ}  # as ipykernel sets it when it is not set
            self._proc = subprocess.Popen(  # a fixed program; the preload list is ours
                [sys.executable, "-c", _SERVER, json.dumps(PRELOAD)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env=self._env,
            )
        return self._proc

    def close(self) -> None:
        """Stop the server (kernels it forked end with their notebooks, as jupyter_client ends them)."""
        with self._lock:
            if self._proc is not None:
                from kit.testing import stop_process

                stop_process(self._proc)
                self._proc = None
