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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kit.guard.tempdirs import private_temp_dir, remove

__all__ = ["lab_kernel_options", "private_kernel", "unix_sockets_fit"]

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
    from traitlets import default

    class PrivateKernelManager(AsyncKernelManager):
        """An ``AsyncKernelManager`` whose sockets are files in one private folder."""

        @default("transport")
        def _private_transport(self) -> str:
            return "ipc"

        @default("ip")
        def _private_socket_prefix(self) -> str:
            return str(prefix)

    return PrivateKernelManager


def lab_kernel_options() -> list[str]:
    """JupyterLab options for the same: its kernels' sockets go in Jupyter's runtime folder (``0700``)."""
    from jupyter_core.paths import jupyter_runtime_dir

    fits = unix_sockets_fit(Path(jupyter_runtime_dir()) / _LAB_PREFIX)
    return ["--KernelManager.transport=ipc"] if fits else []
