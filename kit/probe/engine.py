"""The probe engine: send a plan's requests through real clients, fast, zero-token, resumable, one tidy row each.

``probe()`` is the entry the notebooks, the doctor and ``make report`` call: it checks where the keys
may go, builds the plan (``kit.probe.plan``), runs it on an asyncio engine and returns a ``ProbeRun``.

The parts, one job each: ``options`` checks the arguments, ``clients.registry`` builds the clients,
``scheduler`` bounds concurrency, spaces requests per host, keeps the budget and honours ``retry-after``,
``runlog`` appends every finished row at once (so a run resumes after a crash or ``kill -9``),
``progress`` draws the bar and ``run`` holds what comes back. This module chains them stage by stage:
the adaptive plan's later stages are computed from the answers (and model lists) of the earlier ones.

``probe()`` is synchronous. Called from inside a running event loop (a Jupyter cell), it runs the
engine on its own loop in a worker thread and waits for it; ``run_probe()`` is the async form.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.env import Environment
from kit.keys.credential import Credential
from kit.probe.adaptive import first_stage, next_stage
from kit.probe.clients.base import Client
from kit.probe.clients.registry import make_client, trusting
from kit.probe.options import Options, options
from kit.probe.plan import Stage, full_plan
from kit.probe.progress import Progress
from kit.probe.run import ProbeRun
from kit.probe.runlog import RunLog
from kit.probe.scheduler import Scheduler
from kit.values import Attempt

if TYPE_CHECKING:
    from kit.sources.sdk_process import SdkProcess

__all__ = ["ClientFactory", "probe", "run_probe"]

#: Builds the client for a name (``httpx2``, ``sdk-node@0.24.3``…); the default is ``make_client``.
ClientFactory = Callable[[str], Client]


async def _execute(opts: Options, bar: Progress, client_factory: ClientFactory | None = None) -> ProbeRun:
    began = time.perf_counter()
    log = RunLog(opts.run_dir, opts.run_id)
    done, listings = log.load()
    resumed_ids = set(done)
    build = client_factory or (lambda name: make_client(name, concurrency=opts.concurrency))
    clients: dict[str, Client] = {}
    ready: dict[str, float] = {}  # seconds each client took to build (an import) and start (install, worker)
    for name in opts.dims.clients:
        building = time.perf_counter()
        clients[name] = build(name)
        ready[name] = time.perf_counter() - building
    credentials = {c.alias: c for c in opts.credentials}
    engine = Scheduler(
        run_id=opts.run_id,
        credentials=credentials,
        clients=clients,
        log=log,
        concurrency=opts.concurrency,
        rate=opts.rate,
        budget=opts.budget,
        timeout=opts.timeout,
        retry_bound_s=opts.retry_bound_s,
        progress=bar,
    )
    plan: list[Attempt] = []
    explanation: list[str] = []
    stages = 0
    checked: list[tuple[str, str, bool]] = []
    started: list[Client] = []

    async def get_ready(name: str, client: Client) -> None:
        starting = time.perf_counter()
        await client.start()
        started.append(client)
        ready[name] += time.perf_counter() - starting

    try:
        # Installs and workers start side by side; a client that cannot start stops the run (the caller falls back).
        outcomes = await asyncio.gather(
            *(get_ready(name, client) for name, client in clients.items()), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        log.open()
        stage: Stage | None = full_plan(opts.dims) if opts.plan == "full" else first_stage(opts.dims)
        number = 1
        while stage is not None:
            stages = number
            explanation.extend(stage.explanation())
            plan.extend(stage.attempts)
            todo = [a for a in stage.attempts if a.attempt_id not in done]
            bar.grow(len(todo), f"stage {number}: {stage.title}")
            bar.update(0)
            await engine.run(stage.attempts, done, listings)
            if opts.plan == "full" or any(a.attempt_id not in done for a in stage.attempts):
                break  # the budget ran out: later stages depend on answers we do not have
            number += 1
            stage = next_stage(opts.dims, number, done, listings)
            if stage is not None:
                checked.extend(stage.checked)
            if stage is not None and not stage.attempts:
                explanation.extend(stage.explanation() if stage.notes else ())
                stage = None
    finally:
        log.close()
        for client in started:
            with contextlib.suppress(Exception):
                await client.aclose()
    ids = {a.attempt_id for a in plan}
    results = tuple(done[a.attempt_id] for a in plan if a.attempt_id in done)
    resumed = sum(1 for i in resumed_ids if i in ids)
    if resumed:
        explanation.insert(
            0, f"Resumed run {opts.run_id}: {resumed} attempts were already in {log.path} and were not sent again."
        )
    explanation[:0] = log.problems  # tampered or torn lines, by line number: skipped, their attempts sent again
    missing = sum(1 for a in plan if a.attempt_id not in done)
    if missing and opts.budget is not None:
        explanation.append(
            f"The budget of {opts.budget} requests ran out: {missing} planned attempts were not sent. "
            f"Run again with the same run id ({opts.run_id}) to finish."
        )
    return ProbeRun(
        run_id=opts.run_id,
        results=results,
        plan=tuple(plan),
        explanation=tuple(explanation),
        log_path=log.path,
        strategy=opts.plan,
        resumed=resumed,
        sent=engine.sent,
        skipped=missing,
        tokens_spent=engine.tokens,
        elapsed_s=time.perf_counter() - began,
        stages=stages,
        ready_s=tuple(ready.items()),
        keys=len(opts.dims.distinct_keys()),
        checked=tuple(checked),
    )


async def run_probe(
    credentials: Sequence[Credential],
    *,
    base_url: str,
    clients: Sequence[str] = ("httpx2",),
    models: Sequence[str] = (),
    versions: Sequence[str] = (),
    plan: str = "adaptive",
    auth_styles: Sequence[str] = ("x-api-key",),
    send_messages: bool = False,
    run_id: str | None = None,
    run_dir: Path | None = None,
    concurrency: int = 8,
    budget: int | None = None,
    allow_hosts: Sequence[str] = (),
    progress: str | None = None,
    rate: float | None = None,
    timeout: float = 20.0,
    retry_bound_s: float = 30.0,
    client_factory: ClientFactory | None = None,
    env: Environment | None = None,
    sdk: SdkProcess | None = None,
) -> ProbeRun:
    """The async form of ``probe`` (same arguments), for callers already inside an event loop's coroutine."""
    opts = options(
        credentials,
        base_url=base_url,
        clients=clients,
        models=models,
        versions=versions,
        plan=plan,
        auth_styles=auth_styles,
        send_messages=send_messages,
        run_id=run_id,
        run_dir=run_dir,
        concurrency=concurrency,
        budget=budget,
        allow_hosts=allow_hosts,
        progress=progress,
        rate=rate,
        timeout=timeout,
        retry_bound_s=retry_bound_s,
    )
    if env is not None and client_factory is None:
        client_factory = trusting(env, opts.concurrency, sdk=sdk)
    bar = Progress(opts.progress)
    run = await _execute(opts, bar, client_factory)
    bar.close(run.summary())
    return run


def probe(
    credentials: Sequence[Credential],
    *,
    base_url: str,
    clients: Sequence[str] = ("httpx2",),
    models: Sequence[str] = (),
    versions: Sequence[str] = (),
    plan: str = "adaptive",
    auth_styles: Sequence[str] = ("x-api-key",),
    send_messages: bool = False,
    run_id: str | None = None,
    run_dir: Path | None = None,
    concurrency: int = 8,
    budget: int | None = None,
    allow_hosts: Sequence[str] = (),
    progress: str | None = "auto",
    rate: float | None = None,
    timeout: float = 20.0,
    retry_bound_s: float = 30.0,
    client_factory: ClientFactory | None = None,
    env: Environment | None = None,
    sdk: SdkProcess | None = None,
) -> ProbeRun:
    """Probe every key through the chosen clients and return the run (rows, plan, explanation, summary).

    ``plan`` is ``adaptive`` (ask only what can change the answer) or ``full`` (the factorial).
    ``send_messages`` allows ``POST /v1/messages`` (``max_tokens`` 1); without it nothing can spend tokens.
    ``rate`` is requests per second per host (default: unlimited on loopback, 10 elsewhere);
    ``retry_bound_s`` the longest ``retry-after`` a 429 may make the engine wait. Keys go only to the
    official API, loopback or ``allow_hosts``; anything else is refused with a ``UsageError``.
    Works in a plain script and inside a running event loop (Jupyter) alike. ``client_factory`` builds the
    client for a name instead of the real adapters (tests give ``kit.testing.ScriptedClient``). ``env`` is the
    investigated environment: each client then trusts the CA files it would read there (``SSL_CERT_FILE``,
    ``CURL_CA_BUNDLE``, ``NODE_EXTRA_CA_CERTS``…), not KeyLab's own process settings. ``sdk`` is the doctor's
    SDK process (``kit.sources.sdk_process``): with it, ``sdk-python`` attempts are sent from there.
    """
    opts = options(
        credentials,
        base_url=base_url,
        clients=clients,
        models=models,
        versions=versions,
        plan=plan,
        auth_styles=auth_styles,
        send_messages=send_messages,
        run_id=run_id,
        run_dir=run_dir,
        concurrency=concurrency,
        budget=budget,
        allow_hosts=allow_hosts,
        progress=progress,
        rate=rate,
        timeout=timeout,
        retry_bound_s=retry_bound_s,
    )
    if env is not None and client_factory is None:
        client_factory = trusting(env, opts.concurrency, sdk=sdk)
    bar = Progress(opts.progress)  # made here, in the caller's thread, so a notebook shows it in this cell
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        run = asyncio.run(_execute(opts, bar, client_factory))
    else:
        run = _in_thread(opts, bar, client_factory)
    bar.close(run.summary())
    return run


def _in_thread(opts: Options, bar: Progress, client_factory: ClientFactory | None) -> ProbeRun:
    """Run the engine on a fresh loop in a worker thread (the caller's loop is busy running this cell)."""
    box: dict[str, Any] = {}
    ready = threading.Event()

    def work() -> None:
        loop = asyncio.new_event_loop()
        try:
            task = loop.create_task(_execute(opts, bar, client_factory))
            box["loop"], box["task"] = loop, task
            ready.set()
            box["run"] = loop.run_until_complete(task)
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc
        finally:
            ready.set()
            loop.close()

    thread = threading.Thread(target=work, name=f"keylab-probe-{opts.run_id}", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:  # the kernel's interrupt button: cancel the run; finished rows are on disk
        ready.wait()
        loop, task = box.get("loop"), box.get("task")
        if loop is not None and task is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(task.cancel)
        thread.join()
        raise
    if "error" in box:
        raise box["error"]
    run: ProbeRun = box["run"]
    return run
