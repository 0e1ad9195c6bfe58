"""The doctor's one official-SDK process: started first, asked who wins, then used for the SDK's requests.

Importing ``anthropic`` takes about as long as everything else the doctor does together, and the doctor
needs the SDK twice: to ask which credential it resolves (``kit.sources.winners``) and to send the
probe's ``sdk-python`` requests. ``SdkProcess.start`` runs ``sdk_child.py --serve`` once, before
discovery; the child imports the SDK while KeyLab reads sources, inspects bytes and checks the path.
Its first line is the winner answer (exactly ``ask_python_sdk``'s), after which the parent's set-up line
switches it to serving requests (``kit.probe.clients.sdk_serve``) in a clean environment, so KeyLab's
own process never imports the SDK.

The child starts with the investigated environment, as the one-shot child does; it is only used for
requests (which carry keys) when that environment has nothing ``kit.guard.childenv`` drops (code loaded
into the process, TLS turned off): otherwise the probe keeps its in-process client (``serves`` is False).
Two daemon threads read the child's stdout (answers matched by id) and drain its stderr (a bounded tail).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import itertools
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

from kit.env import Environment
from kit.guard.childenv import DROPPED, child_environment
from kit.guard.redact import scrub
from kit.sources.sdk_fork import ChildProcess, end_child, fork_child

__all__ = [
    "SDK_CHILD",
    "SDK_TIMEOUT_S",
    "SdkProcess",
    "child_arguments",
    "child_command",
    "child_variables",
    "parse_answer",
    "start_child",
]

#: The child program (a file, run with the inspected environment; it imports nothing from kit to answer).
SDK_CHILD = Path(__file__).with_name("sdk_child.py")
#: How long the SDK may take to import and answer who wins.
SDK_TIMEOUT_S = 60.0

#: The folder that holds the ``kit`` package, for a child whose import path lacks it (a checkout).
_KIT_ROOT = str(Path(__file__).resolve().parents[2])


def child_variables(env: Environment) -> dict[str, str]:
    """The child's environment: exactly the inspected variables (none holding a NUL), ``HOME`` its home."""
    variables = {k: v for k, v in env.variables.items() if "\x00" not in k + v}
    variables["HOME"] = str(env.home)
    return variables


def child_arguments(providers: Sequence[str] = (), *, serve: bool = False) -> list[str]:
    """The words after the script: fixed words and provider names, never user input (and never a key)."""
    return [*(("--providers", ",".join(providers)) if providers else ()), *(("--serve",) if serve else ())]


def child_command(python: str | None, providers: Sequence[str] = (), *, serve: bool = False) -> list[str]:
    """The child's command line: a fixed script and fixed words, never user input (and never a key)."""
    return [python or sys.executable, "-I", str(SDK_CHILD), *child_arguments(providers, serve=serve)]


def start_child(
    env: Environment, *, python: str | None = None, providers: Sequence[str] = (), serve: bool = False
) -> ChildProcess:
    """``sdk_child.py`` for ``env`` with pipes on stdin, stdout and stderr: forked by the SDK fork server when
    one runs for this process and this interpreter (``kit.sources.sdk_fork``), otherwise started anew.

    Raises ``OSError`` when it cannot start.
    """
    variables = child_variables(env)
    if python is None:
        forked = fork_child(child_arguments(providers, serve=serve), variables, env.cwd)
        if forked is not None:
            return forked
    return subprocess.Popen(  # a fixed script; no user input on the command line
        child_command(python, providers, serve=serve),
        env=variables,
        cwd=env.cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def parse_answer(stdout: str, stderr: str, returncode: int | None) -> tuple[dict[str, Any] | None, str]:
    """The child's answer (its last line that starts with ``{``), or ``None`` and why there is none."""
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = scrub(stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {returncode}")
        return None, f"the SDK subprocess gave no answer ({tail})"
    try:
        answer = json.loads(lines[-1])
    except json.JSONDecodeError:
        return None, "the SDK subprocess answered with malformed JSON"
    if not isinstance(answer, dict):
        return None, "the SDK subprocess answered with malformed JSON"
    if "import_error" in answer:
        return None, f"the anthropic package cannot be imported ({scrub(answer['import_error'])})"
    return answer, ""


class SdkProcess:
    """``sdk_child.py --serve`` for one investigation: ``answer()`` once, then ``request()`` any number of times."""

    def __init__(self, proc: ChildProcess, env: Environment, *, may_serve: bool) -> None:
        self.env = env  # the environment it was started in: the one whose winner it answers for
        self._proc = proc
        self._may_serve = may_serve
        self._answer: concurrent.futures.Future[tuple[dict[str, Any] | None, str]] = concurrent.futures.Future()
        self._pending: dict[int, concurrent.futures.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._write_lock = threading.Lock()
        self._serving = False
        self._answer_taken = False
        self._stderr_tail = b""
        self._stdout_seen: list[str] = []
        threading.Thread(target=self._read, name="keylab-sdk-stdout", daemon=True).start()
        threading.Thread(target=self._drain, name="keylab-sdk-stderr", daemon=True).start()

    @classmethod
    def start(cls, env: Environment, *, python: str | None = None) -> SdkProcess | None:
        """Start the child for ``env`` (``None`` when it cannot start: the caller asks the one-shot way)."""
        if not env.cwd.is_dir():
            return None
        try:
            proc = start_child(env, python=python, serve=True)
        except OSError:
            return None
        clean = not any(name.upper() in DROPPED for name in env.variables)
        return cls(proc, env, may_serve=python is None and clean)

    # ---------------------------------------------------------------- the winner question
    def answer(self, timeout: float = SDK_TIMEOUT_S) -> tuple[dict[str, Any] | None, str]:
        """The SDK's winner answer, as ``ask_python_sdk`` returns it (waits for the import to finish)."""
        try:
            return self._answer.result(timeout=timeout)
        except concurrent.futures.TimeoutError:
            self.close()
            return None, f"the SDK subprocess did not answer within {timeout:.0f} s"

    def fresh_answer(self, timeout: float = SDK_TIMEOUT_S) -> tuple[dict[str, Any] | None, str] | None:
        """The winner answer the first time it is asked for, ``None`` after: it describes the files as they
        were when the process started, so a later look (a notebook's re-run after editing ``.env``) asks anew."""
        with self._write_lock:
            if self._answer_taken:
                return None
            self._answer_taken = True
        return self.answer(timeout)

    # ---------------------------------------------------------------- requests
    @property
    def version(self) -> str:
        answered, _ = self.answer()
        return str((answered or {}).get("version", ""))

    def serves(self) -> bool:
        """True when the probe's SDK requests can go to this process (answered, environment clean, alive).

        The child is switched to serving as soon as it has answered, so it loads the request side while
        KeyLab finishes discovery; this only waits for that moment.
        """
        if not self._may_serve:
            return False
        self.answer()
        return self._serving and self._proc.poll() is None

    async def request(self, line_for: Callable[[int], bytes], timeout: float) -> dict[str, Any]:
        """Send ``line_for(request_id)`` (one encoded line) and wait for the reply with that id.

        Returns ``{"worker_error": why}`` when the process is gone or silent past ``timeout``.
        """
        request_id = next(self._ids)
        future: concurrent.futures.Future[dict[str, Any]] = concurrent.futures.Future()
        self._pending[request_id] = future
        try:
            if not await asyncio.to_thread(self.serves):
                why = "its environment loads code, so it is never handed a key"
                return {
                    "worker_error": self._exit_reason()
                    if self._may_serve
                    else f"the SDK process only says who wins: {why}"
                }
            if not await asyncio.to_thread(self._write, line_for(request_id)):
                return {"worker_error": self._exit_reason()}
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            return {"worker_error": f"the SDK process gave no reply within {timeout:g} s"}
        finally:
            self._pending.pop(request_id, None)

    def close(self) -> None:
        """End the child now: every request has had its answer by the time a run closes it, and an
        interpreter that has imported the SDK takes a noticeable while to exit on its own."""
        with contextlib.suppress(OSError), self._write_lock:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        end_child(self._proc, timeout=3)

    def __enter__(self) -> SdkProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- plumbing
    def _write(self, data: bytes) -> bool:
        stdin: IO[bytes] | None = self._proc.stdin
        if stdin is None:
            return False
        try:
            with self._write_lock:
                stdin.write(data)
                stdin.flush()
        except (OSError, ValueError):  # a closed pipe: the child is gone
            return False
        return True

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for raw in iter(self._proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").strip()
            if not self._answer.done():
                self._stdout_seen.append(line)
                if line.startswith("{"):
                    self._answered(parse_answer(line, "", None))
                continue
            with contextlib.suppress(ValueError, TypeError):
                item = json.loads(line)
                _settle(self._pending.get(int(item.get("id", -1))), dict(item))
        self._proc.wait()
        if not self._answer.done():
            tail = self._stderr_tail.decode("utf-8", "replace")
            self._answer.set_result(parse_answer("\n".join(self._stdout_seen), tail, self._proc.returncode))
        reason = self._exit_reason()
        for future in list(self._pending.values()):
            _settle(future, {"worker_error": reason})

    def _answered(self, result: tuple[dict[str, Any] | None, str]) -> None:
        """Keep the answer; if this process may hold keys, switch it to serving before anyone asks."""
        if result[0] is not None and self._may_serve:
            from dataclasses import asdict

            from kit.path.routing import ca_for

            setup = {
                "environ": child_environment(os.environ, proxied=True),
                "kit_root": _KIT_ROOT,
                "trust": asdict(ca_for(self.env, "sdk-python")),  # loaded by the child before any request
            }
            self._serving = self._write(json.dumps(setup).encode() + b"\n")
        self._answer.set_result(result)

    def _drain(self) -> None:
        stderr = self._proc.stderr
        assert stderr is not None
        for chunk in iter(lambda: os.read(stderr.fileno(), 1 << 14), b""):
            self._stderr_tail = (self._stderr_tail + chunk)[-4096:]

    def _exit_reason(self) -> str:
        code = self._proc.poll()
        lines = self._stderr_tail.decode("utf-8", "replace").strip().splitlines()
        last = scrub(lines[-1])[:300] if lines else ""
        state = "is still running" if code is None else f"exited with code {code}"
        return f"the SDK process {state}" + (f" ({last})" if last else "")


def _settle(future: concurrent.futures.Future[dict[str, Any]] | None, value: dict[str, Any]) -> None:
    """Give a waiting request its reply; one that timed out (cancelled) in the meantime is left alone."""
    if future is not None:
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            future.set_result(value)
