"""The official Node SDK (``@anthropic-ai/sdk``) at a version the user picks: the ticket's 0.24.3 or today's.

One long-lived ``node`` worker per SDK version serves every attempt of a run: requests go to it as
JSON lines on stdin (the key base64-encoded inside them, never on a command line), answers come
back as JSON lines on stdout, matched by id, so many attempts are in flight at once. The worker
builds a client per attempt the way an application does (``new Anthropic({apiKey, baseURL})``,
``maxRetries: 0``) and calls it through the SDK's own request path; a thin wrapper around the
client's ``fetch`` notes what the SDK really sent (User-Agent, header style, version) and keeps the
raw answer. The SDK's error class and message (``401 {"type":"error",...}`` for 0.24.3, the string
the ticket quotes) are kept in ``client_error``.

The worker's environment comes from ``kit.guard.childenv.child_environment``: no ``ANTHROPIC_*``
variables (the probe decides which key is sent), nothing that weakens TLS or loads code (``NODE_OPTIONS``,
``NODE_TLS_REJECT_UNAUTHORIZED``…) and, where the host gate says proxies do not apply (loopback, plain
HTTP), no proxy variables. The SDK is installed on first use by ``kit.probe.clients.node_install``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

from kit.errors import ClientUnavailable
from kit.guard.childenv import child_environment
from kit.guard.gate import proxies_apply
from kit.guard.limits import MAX_BODY_BYTES
from kit.keys.credential import Credential
from kit.path.routing import CaChoice
from kit.probe.clients.base import Client, Reply, request_body, request_path, secret_bytes
from kit.probe.clients.trust import CA_VARIABLES, node_ca_env
from kit.values import Attempt

__all__ = ["WORKER_PATH", "NodeSdkClient"]

#: The worker program, a file beside this module (shipped in the wheel with the rest of ``kit/``).
WORKER_PATH = Path(__file__).with_name("node_worker.cjs")


def _install(version: str) -> Path:
    from kit.probe.clients import node_install

    installer = getattr(node_install, "ensure_installed", None) or node_install.install
    folder: Path = installer(version)
    return folder


class _Worker:
    """One ``node`` process running ``node_worker.cjs`` for one SDK folder."""

    def __init__(self, proc: asyncio.subprocess.Process, sdk_version: str, node_version: str) -> None:
        self.proc = proc
        self.sdk_version = sdk_version
        self.node_version = node_version
        self.pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.reader = asyncio.get_running_loop().create_task(self._read())
        self.stderr_tail = b""  # the worker's last words, kept bounded; a full pipe would stall it
        self.drainer = asyncio.get_running_loop().create_task(self._drain())
        self.lock = asyncio.Lock()

    @classmethod
    async def spawn(cls, node: str, folder: Path, proxied: bool, trust: CaChoice | None = None) -> _Worker:
        env = child_environment(os.environ, proxied=proxied)  # the one sanitised child environment
        if trust is not None:  # Node trusts what the investigated environment names for it, not KeyLab's own
            env = {k: v for k, v in env.items() if k not in CA_VARIABLES} | node_ca_env(trust)
        env["KEYLAB_SDK_DIR"] = str(folder)
        env["KEYLAB_MAX_BODY_BYTES"] = str(MAX_BODY_BYTES)
        proc = await asyncio.create_subprocess_exec(
            node,
            str(WORKER_PATH),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
            limit=16 * 1024 * 1024,
        )
        assert proc.stdout is not None
        try:
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            hello = json.loads(line)
        except (TimeoutError, ValueError):
            proc.kill()
            _, err = await proc.communicate()
            raise ClientUnavailable(
                f"the Node SDK worker did not start: {err.decode('utf-8', 'replace')[-400:]}",
                "check that node runs (node --version) and reinstall the SDK with `make node-sdks`",
            ) from None
        return cls(proc, str(hello.get("sdk_version", "")), str(hello.get("node_version", "")))

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while True:
            line = await self.proc.stdout.readline()
            if not line:
                break
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                future = self.pending.pop(int(item.get("id", -1)), None)
                if future is not None and not future.done():
                    future.set_result(item)
        for future in self.pending.values():  # the worker died: every waiting attempt gets a row
            if not future.done():
                future.set_result({"worker_error": "the node worker exited"})
        self.pending.clear()

    async def _drain(self) -> None:
        if self.proc.stderr is None:
            return
        while chunk := await self.proc.stderr.read(1 << 14):
            self.stderr_tail = (self.stderr_tail + chunk)[-4096:]

    async def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.pending[int(request["id"])] = future
        async with self.lock:
            self.proc.stdin.write(json.dumps(request).encode() + b"\n")
            await self.proc.stdin.drain()
        try:
            return await future
        finally:
            self.pending.pop(int(request["id"]), None)

    async def close(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()
        try:
            await asyncio.wait_for(self.proc.wait(), 2)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()
        for task in (self.reader, self.drainer):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class NodeSdkClient(Client):
    """``@anthropic-ai/sdk@<version>`` in a node worker; ``start`` installs it (first use) or says what is missing."""

    def __init__(self, version: str, *, trust: CaChoice | None = None) -> None:
        """``trust``: what Node would trust in the investigated environment (``NODE_EXTRA_CA_CERTS``…)."""
        self.sdk_version = version
        self._trust = trust
        self.name = f"sdk-node@{version}"
        self.version = version
        self._folder: Path | None = None
        self._node: str | None = None
        self._workers: dict[bool, _Worker] = {}
        self._spawning: dict[bool, asyncio.Lock] = {}
        self._ids = itertools.count(1)

    async def start(self) -> None:
        from kit.probe.clients import node_install

        self._node = node_install.node_path()  # ClientUnavailable with the fix when node is missing
        self._folder = await asyncio.to_thread(_install, self.sdk_version)

    async def _worker(self, base_url: str) -> _Worker:
        proxied = proxies_apply(base_url)
        lock = self._spawning.setdefault(proxied, asyncio.Lock())
        async with lock:
            worker = self._workers.get(proxied)
            if worker is None or worker.proc.returncode is not None:
                if self._folder is None or self._node is None:
                    await self.start()
                assert self._folder is not None and self._node is not None
                worker = await _Worker.spawn(self._node, self._folder, proxied, self._trust)
                self._workers[proxied] = worker
            return worker

    async def aclose(self) -> None:
        workers, self._workers = list(self._workers.values()), {}
        for worker in workers:
            await worker.close()

    async def exchange(self, attempt: Attempt, credential: Credential, timeout: float) -> Reply:
        worker = await self._worker(attempt.base_url)
        body = request_body(attempt)
        path = request_path(attempt)
        request = {
            "id": next(self._ids),
            "method": attempt.method,
            "path": path,
            "body": json.loads(body) if body else None,
            "version": attempt.api_version,
            "style": attempt.auth_style,
            "base_url": attempt.base_url.rstrip("/"),
            "timeout_ms": int(timeout * 1000),
            "key_b64": base64.b64encode(secret_bytes(credential)).decode(),
        }
        item = await worker.ask(request)
        return _reply(item, worker)


def _reply(item: dict[str, Any], worker: _Worker) -> Reply:
    sent = item.get("sent") or {}
    common: dict[str, Any] = {
        "latency_ms": item.get("latency_ms"),
        "user_agent": sent.get("user_agent"),
        "sent_auth_style": sent.get("auth_style"),
        "sent_version": sent.get("version"),
        "client_version": item.get("sdk_version") or worker.sdk_version,
        "client_error": item.get("client_error"),
    }
    if "worker_error" in item:
        return Reply(transport_error="NodeWorkerError", error_message=str(item["worker_error"])[:400], **common)
    status = item.get("status")
    if status is not None:
        headers = {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
        body = base64.b64decode(item.get("body_b64") or "")
        problem = item.get("body_error")
        if problem:
            return Reply(
                status=int(status),
                headers=headers,
                body=body,
                transport_error=str(problem.get("code")),
                error_message=str(problem.get("message")),
                request_id=item.get("request_id"),
                **common,
            )
        return Reply(
            status=int(status),
            headers=headers,
            body=body,
            request_id=item.get("request_id"),
            too_large=bool(item.get("too_large")),
            **common,
        )
    code = item.get("cause_code") or item.get("cause_name") or "Error"
    return Reply(
        transport_error=str(code), error_message=str(item.get("cause_message") or item.get("client_error")), **common
    )
