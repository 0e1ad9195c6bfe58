"""SDK children from a fork server: the official SDK imported once for a run that asks it many times.

Every ``sdk_child.py`` run imports ``anthropic`` (about 1.4 s of CPU here). A doctor run asks once, but the
test suite runs the doctor a few hundred times.
``ForkServer.start()`` runs ``sdk_forkserver.py``, which imports the SDK once and forks a child per question;
``fork_child`` asks it for one, and the callers (``SdkProcess.start``, ``ask_python_sdk``) fall back to
starting ``sdk_child.py`` themselves whenever it returns ``None``: no server, a server that is not
ours, or one that declines because a forked child could differ from a fresh one (``sdk_forkserver``).

Where a server is: ``KEYLAB_SDK_FORKSERVER`` in KeyLab's own process environment (set by
``ForkServer.environ``), the path of a Unix socket. Keys reach the server in the child's environment, so
it is used only when the socket sits in a folder that only this user can enter and the process listening
on it runs as this user (checked with ``SO_PEERCRED``): the keys stay with this user's own processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

__all__ = ["ENV_VAR", "ChildProcess", "ForkServer", "ForkedChild", "compared", "end_child", "fork_child"]

#: The variable that names the fork server's socket (read from KeyLab's own environment only).
ENV_VAR = "KEYLAB_SDK_FORKSERVER"
#: The server program (a file beside ``sdk_child.py``, run with ``-I`` like it).
SERVER = Path(__file__).with_name("sdk_forkserver.py")
#: How long to wait for the server's reply: it may still be importing the SDK, as a fresh child would.
REPLY_TIMEOUT_S = 60.0


class ChildProcess(Protocol):
    """What the callers use of a child: ``subprocess.Popen`` with three pipes, or a ``ForkedChild``."""

    pid: int
    returncode: int | None

    @property
    def stdin(self) -> IO[bytes] | None: ...
    @property
    def stdout(self) -> IO[bytes] | None: ...
    @property
    def stderr(self) -> IO[bytes] | None: ...
    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def terminate(self) -> None: ...
    def kill(self) -> None: ...
    def communicate(self, input: bytes | None = None, timeout: float | None = None) -> tuple[bytes, bytes]: ...


def end_child(proc: ChildProcess | subprocess.Popen[Any], timeout: float) -> None:
    """End a child now: SIGTERM, then SIGKILL if it is still there after ``timeout`` seconds."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class ForkedChild:
    """A child of the fork server, with the parts of ``subprocess.Popen`` the callers use.

    Its exit status comes from the server (the child is the server's, not ours) over the request's socket.
    """

    def __init__(self, pid: int, control: socket.socket, stdin: IO[bytes], stdout: IO[bytes], stderr: IO[bytes]):
        self.pid = pid
        self.stdin: IO[bytes] | None = stdin
        self.stdout: IO[bytes] | None = stdout
        self.stderr: IO[bytes] | None = stderr
        self.returncode: int | None = None
        self._control = control
        self._buffer = b""
        self._lock = threading.Lock()

    def poll(self) -> int | None:
        """The exit code, or ``None`` while the child runs."""
        return self._settle(0.0)

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit code; ``subprocess.TimeoutExpired`` past ``timeout``."""
        code = self._settle(timeout)
        if code is None:
            raise subprocess.TimeoutExpired([str(SERVER)], timeout or 0.0)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(15)

    def kill(self) -> None:
        self.send_signal(9)

    def communicate(self, input: bytes | None = None, timeout: float | None = None) -> tuple[bytes, bytes]:
        """Close stdin, read stdout and stderr to their ends, wait; as ``Popen.communicate`` with pipes."""
        if self.stdin is not None:
            if input:
                with contextlib.suppress(OSError):
                    self.stdin.write(input)
            with contextlib.suppress(OSError):
                self.stdin.close()
        out: dict[str, bytes] = {}

        def read(name: str, stream: IO[bytes] | None) -> None:
            out[name] = stream.read() if stream is not None else b""

        readers = [
            threading.Thread(target=read, args=("out", self.stdout), daemon=True),
            threading.Thread(target=read, args=("err", self.stderr), daemon=True),
        ]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(timeout)
            if reader.is_alive():
                raise subprocess.TimeoutExpired([str(SERVER)], timeout or 0.0)
        self.wait(timeout)
        return out.get("out", b""), out.get("err", b"")

    def _settle(self, timeout: float | None) -> int | None:
        with self._lock:
            if self.returncode is not None:
                return self.returncode
            self._control.settimeout(timeout)
            try:
                while b"\n" not in self._buffer:
                    chunk = self._control.recv(4096)
                    if not chunk:  # the server is gone: the child's status can no longer be known
                        self._buffer += b'{"exit": -9}\n'
                        break
                    self._buffer += chunk
            except (TimeoutError, BlockingIOError):
                return None
            except OSError:
                self._buffer += b'{"exit": -9}\n'
            line = self._buffer.split(b"\n", 1)[0]
            try:
                self.returncode = int(json.loads(line).get("exit", -9))
            except (ValueError, AttributeError, TypeError):
                self.returncode = -9
            self._control.close()
            return self.returncode


def server_path() -> str | None:
    """The fork server's socket named in this process's environment, if it is safe to hand keys to."""
    named = os.environ.get(ENV_VAR, "")
    if not named or not os.path.isabs(named):
        return None
    try:
        folder = os.stat(os.path.dirname(named))
        sock = os.lstat(named)
    except OSError:
        return None
    private = folder.st_uid == os.getuid() and not folder.st_mode & 0o077 and stat.S_ISDIR(folder.st_mode)
    if not (private and stat.S_ISSOCK(sock.st_mode) and sock.st_uid == os.getuid()):
        return None
    return named


def fork_child(argv: Sequence[str], variables: Mapping[str, str], cwd: Path) -> ForkedChild | None:
    """A forked ``sdk_child.py ARGV`` with exactly ``variables`` in ``cwd``, or ``None`` (start one yourself)."""
    path = server_path()
    if path is None:
        return None
    control = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    pipes: list[tuple[int, int]] = []  # (read end, write end) of stdin, stdout, stderr
    reply: dict[str, Any] = {}
    try:
        control.settimeout(REPLY_TIMEOUT_S)
        control.connect(path)
        if _runs_as_us(control):
            for _ in range(3):
                pipes.append(os.pipe())
            request = {"argv": list(argv), "env": dict(variables), "cwd": str(cwd)}
            theirs = [pipes[0][0], pipes[1][1], pipes[2][1]]  # the child reads stdin, writes stdout and stderr
            socket.send_fds(control, [json.dumps(request).encode() + b"\n"], theirs)
            reply = _line(control)
    except (OSError, ValueError):
        reply = {}
    ours = [pipes[0][1], pipes[1][0], pipes[2][0]] if len(pipes) == 3 else []
    for fd in {fd for pair in pipes for fd in pair} - set(ours):
        os.close(fd)  # the child's ends: the server holds its own copies once they are sent
    if "pid" not in reply:
        for fd in ours:
            os.close(fd)
        control.close()
        return None
    return ForkedChild(
        int(reply["pid"]),
        control,
        os.fdopen(pipes[0][1], "wb"),
        os.fdopen(pipes[1][0], "rb"),
        os.fdopen(pipes[2][0], "rb"),
    )


def _runs_as_us(conn: socket.socket) -> bool:
    """True when the process at the other end of ``conn`` runs as this user (Linux ``SO_PEERCRED``)."""
    option = getattr(socket, "SO_PEERCRED", None)
    if option is None:
        return False
    _pid, uid, _gid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, option, struct.calcsize("3i")))
    return bool(uid == os.getuid())


def _line(conn: socket.socket) -> dict[str, Any]:
    data = b""
    while b"\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    reply = json.loads(data.split(b"\n", 1)[0] or b"{}")
    return reply if isinstance(reply, dict) else {}


def compared(path: str, timeout: float = REPLY_TIMEOUT_S) -> dict[str, Any]:
    """What the server on ``path`` compares before forking: the variables its imports read
    (``read_while_importing``) and why it declines everything, if it does (``refuses``). Written beside the
    socket once the server has imported the SDKs; ``{}`` when it has not within ``timeout``."""
    written = Path(path).with_name("compared.json")
    deadline = time.monotonic() + timeout
    while not written.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        return dict(json.loads(written.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


class ForkServer:
    """``sdk_forkserver.py`` running for as long as this object is open; ``environ`` is what names it."""

    def __init__(self, proc: subprocess.Popen[bytes], folder: str, path: str) -> None:
        self._proc = proc
        self._folder = folder
        self.path = path

    @classmethod
    def start(cls, *, python: str | None = None, env: Mapping[str, str] | None = None) -> ForkServer:
        """Bind the socket in a private folder, then start the server (it imports the SDK while callers queue).

        ``env``: the server's environment (default: this process's); requests whose environment differs from
        it where importing the SDK reads are declined, so give the one most requests will have.
        """
        folder = tempfile.mkdtemp(prefix="keylab-sdk-")
        path = os.path.join(folder, "server")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(path)
            listener.listen(64)
            proc = subprocess.Popen(  # a fixed script and a descriptor number; never user input
                [python or sys.executable, "-I", str(SERVER), str(listener.fileno())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(listener.fileno(),),
                env=dict(os.environ if env is None else env),
            )
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        finally:
            listener.close()
        return cls(proc, folder, path)

    def compared(self, timeout: float = REPLY_TIMEOUT_S) -> dict[str, Any]:
        """What this server compares before forking (``compared``)."""
        return compared(self.path, timeout)

    @property
    def environ(self) -> dict[str, str]:
        """The variable that sends this process's SDK children (and its own children's) to this server."""
        return {ENV_VAR: self.path}

    def close(self) -> None:
        """Stop the server and remove its socket; children already forked run on (they are not signalled).

        The server holds nothing to save, so it is terminated rather than waited for (it may be importing).
        """
        with contextlib.suppress(OSError):
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        end_child(self._proc, timeout=5)
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
