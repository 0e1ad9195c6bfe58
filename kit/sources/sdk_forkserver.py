"""A fork server for ``sdk_child.py``: imports the official SDK once, then forks one child per question.

Run as a file (``python -I sdk_forkserver.py FD``) by ``kit.sources.sdk_fork.ForkServer``, FD being a Unix
socket it already listens on. A run that asks the SDK many times (the test suite's hundreds of doctor
runs) then pays the import (about 1.4 s of CPU) once instead of each time.
Like ``sdk_child.py`` it imports nothing from ``kit``: the forked child is the child ``sdk_child.py`` would
have been, in the same interpreter with the same flags and import path.

A request is one JSON line ``{"argv": [...], "env": {...}, "cwd": "..."}`` sent with three file descriptors
(the child's stdin, stdout and stderr) over the socket. The server answers ``{"pid": N}`` and later
``{"exit": code}`` (negative: killed by that signal), or ``{"declined": why}`` when a forked child would not
be the child a fresh interpreter would be; the caller then starts one the usual way.

Why a forked child is that child: it gets exactly the request's environment and working folder before any
of ``sdk_child``'s code runs. What differs is only what the preloaded modules read *while importing*; the
server records every variable read during its preload (and adds those the C runtime reads itself: locale,
OpenSSL, time zone) and declines any request whose environment differs from its own on one of them.
"""

from __future__ import annotations

import atexit
import collections.abc
import contextlib
import gc
import json
import os
import select
import signal
import socket
import sys
from collections.abc import Iterator
from typing import Any


def _load_child() -> Any:
    """``sdk_child.py`` beside this file, loaded from its path (``-I`` puts no script folder on the import path,
    so the child's import path is exactly the one ``python -I sdk_child.py`` has)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("sdk_child", os.path.join(os.path.dirname(__file__), "sdk_child.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sdk_child = _load_child()

#: What the child imports to answer: the SDK, python-dotenv for the ``load_dotenv()`` app, the other
#: providers' SDKs that ``--providers`` asks, and what constructing a client imports on first use (its
#: transport). Each is optional: a missing one is the child's to report, in its own words.
PRELOAD = ("anthropic", "dotenv", "openai", "google.genai", "anyio", "h11", "httpcore2", "truststore")
#: Read by C code rather than through ``os.environ``: the time zone (``time``'s import) and OpenSSL's
#: configuration (loaded once, when ``ssl`` is first imported). Compared as they are.
C_LEVEL = ("TZ",)
C_LEVEL_PREFIXES = ("OPENSSL_",)
#: The locale: Python sets only LC_CTYPE at start-up, from the first of these that is set.
LOCALE = ("LC_ALL", "LC_CTYPE", "LANG")
#: Read while importing, but used for nothing a child does: sysconfig's user base (``-I`` disables the user
#: site). SSL_CERT_FILE and SSL_CERT_DIR are not compared either: OpenSSL reads them when a context loads its
#: default paths, and the child builds its contexts after it has the request's environment.
UNUSED = frozenset({"HOME"})
#: The words ``sdk_child.main`` accepts (never user input).
_WORDS = frozenset({"--serve", "--providers"})
_MAX_REQUEST = 1 << 20


class _Recording(collections.abc.MutableMapping[str, str]):
    """``os.environ`` during the preload: every name read is kept; listing the whole mapping is kept as ``*``."""

    def __init__(self, real: collections.abc.MutableMapping[str, str]) -> None:
        self.real = real
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        return self.real[name]

    def __contains__(self, name: object) -> bool:
        self.read.add(str(name))
        return name in self.real

    def __setitem__(self, name: str, value: str) -> None:
        self.read.add(name)
        self.real[name] = value

    def __delitem__(self, name: str) -> None:
        self.read.add(name)
        del self.real[name]

    def __iter__(self) -> Iterator[str]:
        self.read.add("*")
        return iter(self.real)

    def __len__(self) -> int:
        self.read.add("*")
        return len(self.real)

    def copy(self) -> dict[str, str]:
        self.read.add("*")
        return dict(self.real)


def preload() -> set[str]:
    """Import ``PRELOAD`` and return the names of the variables read while doing it."""
    real = os.environ
    recording = _Recording(real)
    os.environ = recording  # type: ignore[assignment]  # noqa: B003 - replaced to watch reads, then put back
    try:
        for name in PRELOAD:
            with contextlib.suppress(Exception):  # the child reports a missing SDK itself, in its own words
                __import__(name)
    finally:
        os.environ = real  # noqa: B003
    return recording.read - UNUSED


def mismatch(read: set[str], mine: dict[str, str], theirs: dict[str, str]) -> str:
    """The first variable on which a forked child could differ from a fresh one, or ``""``."""
    if "*" in read:
        return "" if mine == theirs else "the preload listed the whole environment"
    names = set(read) | set(C_LEVEL)
    names |= {n for n in set(mine) | set(theirs) if n.startswith(C_LEVEL_PREFIXES)}
    for name in sorted(names):
        if mine.get(name) != theirs.get(name):
            return f"{name} differs from the fork server's, and is read while the SDK is imported"
    if character_set(mine) != character_set(theirs):
        return "the locale's character set differs from the fork server's"
    return ""


def character_set(env: dict[str, str]) -> str:
    """What LC_CTYPE a fresh interpreter runs with, as far as it matters here: its character set.

    The C and POSIX locales (and no locale at all) are coerced to C.UTF-8 at start-up (PEP 538), so they
    count as UTF-8; other names are compared by their codeset, spelt without case or dashes.
    """
    value = next((env[n] for n in LOCALE if env.get(n)), "C")
    if value in ("C", "POSIX"):
        return "utf8"
    codeset = value.partition(".")[2].partition("@")[0]
    return codeset.lower().replace("-", "") or value


def _request(conn: socket.socket) -> tuple[dict[str, Any], list[int]]:
    data, fds, _flags, _addr = socket.recv_fds(conn, _MAX_REQUEST, 3)
    while data and not data.endswith(b"\n") and len(data) < _MAX_REQUEST:
        more = conn.recv(_MAX_REQUEST)
        if not more:
            break
        data += more
    return json.loads(data), list(fds)


def _valid(request: dict[str, Any], fds: list[int]) -> str:
    argv, env, cwd = request.get("argv"), request.get("env"), request.get("cwd")
    if len(fds) != 3:
        return "three file descriptors are needed"
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        return "argv must be a list of words"
    if any(a.startswith("--") and a not in _WORDS for a in argv):
        return "argv holds a word sdk_child does not take"
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        return "env must map names to values"
    if not isinstance(cwd, str) or not os.path.isdir(cwd):
        return "cwd must be an existing folder"
    return ""


def _send(conn: socket.socket, message: dict[str, Any]) -> None:
    with contextlib.suppress(OSError):  # a requester that left
        conn.sendall(json.dumps(message).encode() + b"\n")


def _child(request: dict[str, Any], fds: list[int], keep_closed: list[int]) -> None:
    """In the forked process: become ``python -I sdk_child.py ARGV`` and never return."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in keep_closed:
            with contextlib.suppress(OSError):
                os.close(fd)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        sys.argv = [sdk_child.__file__, *request["argv"]]
        try:
            sdk_child.main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # printed as the interpreter would, then exit 1
            import traceback

            traceback.print_exc()
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):  # a closed pipe
                stream.flush()
        os._exit(code)


def serve(listener: socket.socket, read: set[str], refuse: str = "") -> None:
    """Accept requests until stdin (the owner's pipe) closes; report each child's exit to its requester.

    ``refuse``: why every request is declined (the preload left a thread running, which a fork would lose).
    """
    mine = dict(os.environ)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    waiting: dict[int, socket.socket] = {}
    while True:
        ready, _, _ = select.select([listener, wake_r, sys.stdin.fileno()], [], [])
        if sys.stdin.fileno() in ready and not os.read(sys.stdin.fileno(), 4096):
            return
        if wake_r in ready:
            os.read(wake_r, 4096)
            _reap(waiting)
        if listener in ready:
            conn, _ = listener.accept()
            conn.settimeout(10)  # a requester sends its one line at once; never wait on one forever
            fds: list[int] = []
            try:
                request, fds = _request(conn)
                why = refuse or _valid(request, fds) or mismatch(read, mine, request["env"])
            except (OSError, ValueError) as exc:
                why = f"unreadable request ({type(exc).__name__})"
            if why:
                _send(conn, {"declined": why})
                conn.close()
            else:
                pid = os.fork()
                if pid == 0:
                    _child(request, fds, [listener.fileno(), wake_r, wake_w, conn.fileno(), sys.stdin.fileno()])
                waiting[pid] = conn
                _send(conn, {"pid": pid})
            for fd in fds:
                os.close(fd)
            _reap(waiting)


def _reap(waiting: dict[int, socket.socket]) -> None:
    while waiting:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        conn = waiting.pop(pid, None)
        if conn is not None:
            _send(conn, {"exit": os.waitstatus_to_exitcode(status)})
            conn.close()


def main() -> None:
    """``sdk_forkserver.py FD``: FD is the listening socket, bound by the owner before it started this."""
    listener = socket.socket(fileno=int(sys.argv[1]))
    read = preload()
    # The preloaded objects move to a generation the collector never walks: a child's first full collection
    # would otherwise write to every one of them and copy most of the server's memory (copy-on-write).
    gc.freeze()
    import threading  # nothing but this thread may run when forking: a preload that starts one ends the use

    threads = threading.active_count() > 1
    refuse = "the SDK's import started a thread, which a forked child would not have" if threads else ""
    # What it compares, beside its socket (a folder only its owner can enter), for whoever asks why it declined.
    listened = listener.getsockname()
    written = os.path.join(os.path.dirname(listened), "compared.json") if isinstance(listened, str) else ""
    if written:
        with open(written, "w", encoding="utf-8") as out:
            json.dump({"read_while_importing": sorted(read), "refuses": refuse}, out)
    serve(listener, read, refuse)
    if written:  # the owner is gone (its pipe closed): leave nothing behind, even if it could not clean up
        for path in (listened, written):
            with contextlib.suppress(OSError):
                os.unlink(path)
        with contextlib.suppress(OSError):
            os.rmdir(os.path.dirname(listened))


if __name__ == "__main__":
    main()
