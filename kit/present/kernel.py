"""Kernels only this user can reach: Unix sockets in a private folder instead of loopback TCP.

A Jupyter kernel listens on five ZeroMQ sockets. Over TCP on loopback, any local account can connect to
them; requests are signed, but the IOPub socket publishes every output to whoever subscribes (ipykernel
7.4 warns about this on every start). KeyLab's outputs carry fingerprints and hints, never a key, but a
tool about secrets should not broadcast its findings on the machine either. With ``transport = "ipc"``
the sockets are files, reachable only through a folder that is ``0700``.

Where ZeroMQ has no IPC (Windows) or the socket path would pass the Unix limit (about 107 bytes, a long
``TMPDIR`` or home folder), the kernel keeps TCP on loopback: running the notebook matters more.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from kit.guard.tempdirs import private_temp_dir, remove

__all__ = [
    "KernelLauncher",
    "LaunchedKernel",
    "lab_kernel_options",
    "private_kernel",
    "set_launcher",
    "unix_sockets_fit",
]


class LaunchedKernel(Protocol):
    """The parts of ``subprocess.Popen`` that jupyter_client's local provisioner uses of a kernel process."""

    pid: int
    stdin: None
    stdout: None
    stderr: None

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def send_signal(self, signum: int) -> None: ...
    def kill(self) -> None: ...
    def terminate(self) -> None: ...


#: Starts a kernel from its command, environment and folder, or returns ``None`` (start it as usual).
KernelLauncher = Callable[[Sequence[str], Mapping[str, str], str], "LaunchedKernel | None"]
_launcher: list[KernelLauncher] = []


def set_launcher(launcher: KernelLauncher | None) -> None:
    """Have ``private_kernel``'s kernels started by ``launcher`` (``kit.testing.kernels``: forked from a
    process that imported the notebooks' libraries once); ``None`` restores the usual start."""
    _launcher[:] = [launcher] if launcher is not None else []


# A socket is '<prefix>-<port>' (the port a small integer); 104 bytes is macOS's limit, Linux's is 108.
_SOCKET_PATH_LIMIT = 104
_LAB_PREFIX = "kernel-00000000-0000-0000-0000-000000000000-ipc"  # jupyter_server's '<connection file>-ipc'


def unix_sockets_fit(prefix: str | os.PathLike[str]) -> bool:
    """True when ZeroMQ has IPC and the socket files ``<prefix>-<port>`` stay under the path limit."""
    import zmq

    return bool(zmq.has("ipc")) and len(os.fsencode(os.fspath(prefix))) + len("-99999") < _SOCKET_PATH_LIMIT


@contextlib.contextmanager
def private_kernel() -> Iterator[dict[str, Any]]:
    """papermill/nbclient options that start the kernel on Unix sockets in a fresh ``0700`` folder.

    The folder is the kernel's own (two kernels never race for a socket name, as they would in a shared
    working folder) and is removed with everything in it when the run ends.
    """
    folder = private_temp_dir("keylab-kernel-")  # 0700; removed on SIGTERM/SIGHUP too
    try:
        prefix = folder / "kernel"
        yield {"kernel_manager_class": _manager_for(prefix)} if unix_sockets_fit(prefix) else {}
    finally:
        remove(folder)


def _manager_for(prefix: Path) -> type:
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner
    from traitlets import default

    class PrivateKernelManager(AsyncKernelManager):
        """An ``AsyncKernelManager`` whose sockets are files in one private folder."""

        @default("transport")
        def _private_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _private_socket_prefix(self) -> str:
            return str(prefix)

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: Any) -> None:
            """jupyter_client's hook for launching differently: a set launcher's kernel, else the usual one."""
            provisioner: Any = self.provisioner
            cwd = str(kw.get("cwd") or os.getcwd())
            started = None
            if _launcher and isinstance(provisioner, LocalProvisioner):
                started = _launcher[0](kernel_cmd, kw.get("env") or dict(os.environ), cwd)
            if started is None:
                await super()._async_launch_kernel(kernel_cmd, **kw)
                return
            provisioner.process, provisioner.pid, provisioner.pgid = started, started.pid, started.pid  # own session
            provisioner.cwd = cwd
            self._reconcile_connection_info(provisioner.connection_info)

    return PrivateKernelManager


def lab_kernel_options() -> list[str]:
    """JupyterLab options for the same: its kernels' sockets go in Jupyter's runtime folder (``0700``)."""
    from jupyter_core.paths import jupyter_runtime_dir

    fits = unix_sockets_fit(Path(jupyter_runtime_dir()) / _LAB_PREFIX)
    return ["--KernelManager.transport=ipc"] if fits else []
