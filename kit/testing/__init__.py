"""Public test helpers: fake keys from names, sandboxes, canary checks, the in-process simulator, a scripted client.

Shipped in the package (like ``click.testing``) so that users' own tests and KeyLab's tests use the
same tools. Nothing here needs the internet or a real key.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kit.demo.fakekeys import derive_key
from kit.demo.proxy import forward_proxy
from kit.demo.sandbox import sandbox_env
from kit.guard.redact import LEAK_RUN
from kit.testing.canaries import canary_sandbox
from kit.testing.notebooks import NotebookRun, read_notebook, run_notebook
from kit.testing.scripted import Answer, Call, ScriptedClient, ScriptedTransport

__all__ = [
    "ISOLATED_PREFIXES",
    "ISOLATED_VARIABLES",
    "Answer",
    "Call",
    "NotebookRun",
    "ScriptedClient",
    "ScriptedTransport",
    "assert_no_leak",
    "canary_sandbox",
    "fake_key",
    "find_leaks",
    "forward_proxy",
    "read_notebook",
    "run_notebook",
    "sandbox_env",
    "silent_server",
    "simulator",
    "simulator_process",
    "stop_process",
]

#: Variables an isolated test must never inherit (exact names, upper case).
ISOLATED_VARIABLES = frozenset(
    {
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
        "NODE_EXTRA_CA_CERTS",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
    }
)
#: Prefixes of variables an isolated test must never inherit.
ISOLATED_PREFIXES = ("ANTHROPIC_", "CLAUDE_CODE_", "CLAUDE_")


def fake_key(name: str, kind: str = "api") -> str:
    """A well-formed fake credential derived from ``name`` (the simulator derives the same one)."""
    return derive_key(name, kind)


def _secret_runs(secret: str) -> set[str]:
    match = re.match(r"sk-ant-[a-z]+\d{2}-", secret)
    body = secret[match.end() :] if match else secret
    return {body[i : i + LEAK_RUN] for i in range(len(body) - LEAK_RUN + 1)}


def find_leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """The secrets (by 8-character prefix) of which ``text`` contains the whole or a 12-character run."""
    leaked = []
    for secret in secrets:
        if secret in text or any(run in text for run in _secret_runs(secret)):
            leaked.append(secret[:8] + "…")
    return leaked


def assert_no_leak(paths_or_texts: Iterable[Path | str], secrets: Iterable[str]) -> None:
    """Fail if any file (read as bytes, decoded leniently) or text contains a secret or a run of it."""
    secrets = list(secrets)
    for item in paths_or_texts:
        if isinstance(item, Path):
            text = item.read_bytes().decode("utf-8", "replace")
            where = str(item)
        else:
            text, where = item, "text"
        leaks = find_leaks(text, secrets)
        assert not leaks, f"{where} leaks {leaks}"


@contextmanager
def simulator(scenario: str | Path = "healthy", **options: object) -> Iterator[str]:
    """Run the built-in simulator in this process on a free loopback port; yield its base URL."""
    from kit.sim import serve

    with serve(scenario, **options) as server:  # type: ignore[arg-type]
        yield server.url


@contextmanager
def silent_server() -> Iterator[int]:
    """A loopback port that accepts connections and never says a word (a black-holing firewall, a hung
    proxy); yield the port. Used to show that every check and request ends within its timeout."""
    import socket
    import threading

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, name="keylab-silent-server", daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        sock.close()


def stop_process(proc: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """Ask a child process to stop (SIGTERM); kill it if it has not stopped within ``timeout`` seconds."""
    from kit.sources.sdk_fork import end_child

    end_child(proc, timeout)


@contextmanager
def simulator_process(scenario: str | Path = "healthy", *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The simulator in its own process (``python -m kit sim``), for benchmarks and kill tests that need one.

    Yields its base URL (the first line it prints) and the process; stops it afterwards, also on failure.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "kit", "sim", "--scenario", str(scenario), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the simulator did not start (it printed {url!r})")
        yield url, proc
    finally:
        stop_process(proc)
