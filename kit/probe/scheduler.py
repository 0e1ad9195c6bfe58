"""The probe's scheduling core: bounded concurrency, per-host spacing, a request budget and 429 retries.

``Scheduler.run`` sends the attempts not yet done through the given clients (real adapters, or a
scripted client in tests), waits out a 429's ``retry-after`` within a bound (the wait is recorded
in ``retry_wait_s``) and appends every finished row to the run log at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import replace

from kit.keys.credential import Credential
from kit.probe.clients.base import Client, Reply, model_ids, tokens_used
from kit.probe.progress import Progress
from kit.probe.runlog import RunLog
from kit.values import Attempt, AttemptResult

__all__ = ["MAX_RETRIES_429", "Scheduler", "retry_after_seconds"]

#: At most this many retries of one attempt after a 429 with ``retry-after``.
MAX_RETRIES_429 = 3


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """Seconds a 429 asks to wait (``retry-after-ms``, ``retry-after`` seconds or HTTP date), else ``None``."""
    h = {k.lower(): v for k, v in headers.items()}
    with contextlib.suppress(ValueError):
        if "retry-after-ms" in h:
            return max(0.0, float(h["retry-after-ms"]) / 1000)
    value = h.get("retry-after")
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    return None


class _HostRate:
    """Evenly spaced requests to one host: at most ``per_second`` (``0``: no spacing)."""

    def __init__(self, per_second: float) -> None:
        self.interval = 1.0 / per_second if per_second > 0 else 0.0
        self.next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self.next)
        self.next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


class Scheduler:
    """Runs attempts with bounded concurrency, per-host spacing, a budget and 429 handling; logs each at once."""

    def __init__(
        self,
        *,
        run_id: str,
        credentials: Mapping[str, Credential],
        clients: Mapping[str, Client],
        log: RunLog,
        concurrency: int,
        rate: float,
        budget: int | None,
        timeout: float,
        retry_bound_s: float,
        progress: Progress,
    ) -> None:
        self.run_id = run_id
        self.credentials = credentials
        self.clients = clients
        self.log = log
        self.concurrency = concurrency
        self.rate = rate
        self.budget = budget
        self.timeout = timeout
        self.retry_bound_s = retry_bound_s
        self.progress = progress
        self.sent = 0
        self.skipped = 0
        self.tokens = 0
        self.hosts: dict[str, _HostRate] = {}

    def _host(self, url: str) -> _HostRate:
        netloc = urllib.parse.urlsplit(url).netloc.lower()
        if netloc not in self.hosts:
            self.hosts[netloc] = _HostRate(self.rate)
        return self.hosts[netloc]

    def _take_budget(self) -> bool:
        if self.budget is not None and self.sent >= self.budget:
            return False
        self.sent += 1
        return True

    async def _one(
        self, attempt: Attempt, done: dict[str, AttemptResult], listings: dict[str, tuple[str, ...]]
    ) -> None:
        if not self._take_budget():
            self.skipped += 1
            return
        client = self.clients[attempt.client]
        credential = self.credentials[attempt.key_alias]
        waited = 0.0
        retries = 0
        while True:
            await self._host(attempt.base_url).wait()
            result, reply = await client.send_with_reply(attempt, credential, run_id=self.run_id, timeout=self.timeout)
            if result.status != 429 or retries >= MAX_RETRIES_429:
                break
            pause = retry_after_seconds(reply.headers)
            if pause is None or pause > self.retry_bound_s or not self._take_budget():
                break
            retries += 1
            waited += pause
            await asyncio.sleep(pause)
        if waited:
            result = replace(result, retry_wait_s=round(waited, 3))
        models = self._listing(attempt, reply)
        if attempt.endpoint == "/v1/messages" and result.status is not None and 200 <= result.status < 300:
            self.tokens += tokens_used(reply.body)
        self.log.append(result, models)
        done[attempt.attempt_id] = result
        if models is not None:
            listings[attempt.attempt_id] = models
        self.progress.update()

    @staticmethod
    def _listing(attempt: Attempt, reply: Reply) -> tuple[str, ...] | None:
        if attempt.endpoint != "/v1/models" or reply.status is None or not 200 <= reply.status < 300:
            return None
        return model_ids(reply.body)

    async def run(
        self, attempts: Sequence[Attempt], done: dict[str, AttemptResult], listings: dict[str, tuple[str, ...]]
    ) -> None:
        pending = [a for a in attempts if a.attempt_id not in done]
        if not pending:
            return
        gate = asyncio.Semaphore(self.concurrency)

        async def bounded(attempt: Attempt) -> None:
            async with gate:
                await self._one(attempt, done, listings)

        async with asyncio.TaskGroup() as group:
            for attempt in pending:
                group.create_task(bounded(attempt))
