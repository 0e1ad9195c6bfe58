"""The probe engine: send a plan's requests through real clients, fast, zero-token, resumable, one tidy row each.

``probe()`` is the entry the notebooks, the doctor and ``make report`` call: it checks where the keys
may go, builds the plan (``kit.probe.plan``), runs it on an asyncio engine and returns a ``ProbeRun``.

The engine bounds concurrency, spaces requests per host, stops at a request budget, honours
``retry-after`` on a 429 within a bound (the wait is recorded in ``retry_wait_s``), puts a timeout on
every request and can be cancelled at any point. Each finished attempt is appended to
``<run_dir>/<run_id>.jsonl`` and flushed at once, so a crash or ``kill -9`` loses nothing finished;
running again with the same run id loads those rows and sends none of them again (a line torn by the
kill is cut off first). Model lists from ``GET /v1/models`` go to ``<run_id>.models.jsonl`` *before*
their row, because the adaptive plan's later stages are computed from them.

``probe()`` is synchronous. Called from inside a running event loop (a Jupyter cell), it runs the
engine on its own loop in a worker thread and waits for it; ``run_probe()`` is the async form.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import json
import os
import re
import secrets
import sys
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from kit.catalog import catalog
from kit.errors import UsageError
from kit.guard import redact
from kit.keys.inspect import Credential
from kit.probe.clients.base import AUTH_STYLES, Client, Reply, model_ids, tokens_used
from kit.probe.plan import PLANS, Dimensions, Stage, first_stage, full_plan, next_stage
from kit.values import Attempt, AttemptResult, rows_to_frame

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_CLIENTS",
    "ProbeRun",
    "RunLog",
    "check_host",
    "client_names",
    "load_run",
    "make_client",
    "new_run_id",
    "probe",
    "retry_after_seconds",
    "run_probe",
]

#: The clients a probe knows by name. ``sdk-node`` alone means the ticket's 0.24.3 and the current release.
DEFAULT_CLIENTS = ("httpx2", "sdk-python", "curl", "sdk-node")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")
#: At most this many retries of one attempt after a 429 with ``retry-after``.
MAX_RETRIES_429 = 3


# ── names and gates ────────────────────────────────────────────────────────────────────────


def new_run_id() -> str:
    """``20261127-013900-a1b2``: sortable by time, unique enough for one person's runs."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def _node_versions() -> tuple[str, ...]:
    try:
        from kit.path.routing import NODE_SDK_CURRENT
    except ImportError:  # pragma: no cover - routing ships with the kit
        return ("0.24.3",)
    return ("0.24.3", NODE_SDK_CURRENT)


def client_names(names: Sequence[str]) -> tuple[str, ...]:
    """Validate and expand client names (``sdk-node`` → the ticket's and the current Node SDK)."""
    out: list[str] = []
    for raw in names:
        name = raw.strip().lower()
        if name == "sdk-node":
            out.extend(f"sdk-node@{v}" for v in _node_versions())
        elif name in ("httpx2", "sdk-python", "curl") or re.fullmatch(r"sdk-node@\d+\.\d+\.\d+[\w.-]*", name):
            out.append(name)
        else:
            raise UsageError(f"unknown client {raw!r}",
                             "use httpx2, sdk-python, curl, sdk-node (0.24.3 and the current release) or "
                             "sdk-node@VERSION, e.g. --client sdk-node@0.24.3")
    return tuple(dict.fromkeys(out))


def make_client(name: str, *, concurrency: int = 8) -> Client:
    """The adapter for a client name (see ``client_names``)."""
    if name == "httpx2":
        from kit.probe.clients.httpx_client import HttpxClient

        return HttpxClient(max_connections=max(1, concurrency))
    if name == "sdk-python":
        from kit.probe.clients.sdk_python import SdkPythonClient

        return SdkPythonClient(max_connections=max(1, concurrency))
    if name == "curl":
        from kit.probe.clients.curl import CurlClient

        return CurlClient()
    if name.startswith("sdk-node@"):
        from kit.probe.clients.sdk_node import NodeSdkClient

        return NodeSdkClient(name.split("@", 1)[1])
    raise UsageError(f"unknown client {name!r}", "see `python -m kit probe --help` for the clients")


def _is_allowed(url: str, allow_hosts: Sequence[str]) -> bool:
    from kit.guard.gate import is_allowed_host

    return is_allowed_host(url, catalog().official_base_url, allow_hosts)


def check_host(base_url: str, allow_hosts: Sequence[str] = ()) -> str:
    """The normalised base URL, if keys may be sent there; else a ``UsageError`` that names ``--allow-host``.

    Keys go only to the official API (``https://api.anthropic.com``), to loopback, or to a host the user
    named: a typo in a base URL must not hand every key to a stranger.
    """
    url = (base_url or "").strip().rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{base_url!r} is not an http(s) URL",
                         f"pass the API's base URL, e.g. --api-url {catalog().official_base_url}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise UsageError("the API URL holds a user name, password, query or fragment",
                         "pass only scheme, host, port and path, e.g. https://api.anthropic.com")
    if not _is_allowed(url, allow_hosts):
        host = parts.hostname
        extra = "" if parts.scheme == "https" else f" (for plain http name it with its scheme: http://{parts.netloc})"
        raise UsageError(
            f"refusing to send keys to {parts.scheme}://{parts.netloc}: it is neither the official API "
            f"({catalog().official_base_url}) nor loopback",
            f"if you trust that host, name it: --allow-host {host}{extra} (in Python: allow_hosts=[{host!r}])",
        )
    return url


# ── the run log ────────────────────────────────────────────────────────────────────────────


class RunLog:
    """``<run_id>.jsonl`` (one row per finished attempt) and ``<run_id>.models.jsonl`` (model lists).

    Appends are flushed line by line, so another process (or a ``kill -9``) sees every finished row.
    """

    def __init__(self, run_dir: Path, run_id: str) -> None:
        self.path = Path(run_dir) / f"{run_id}.jsonl"
        self.models_path = Path(run_dir) / f"{run_id}.models.jsonl"
        self._rows: IO[str] | None = None
        self._models: IO[str] | None = None

    @staticmethod
    def _read_lines(path: Path) -> list[dict[str, Any]]:
        """The complete JSON lines of ``path``; a torn last line (killed mid-write) is cut from the file."""
        if not path.exists():
            return []
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
            with path.open("r+b") as fh:
                fh.truncate(keep)
            data = data[:keep]
        out = []
        for line in data.decode("utf-8", "replace").splitlines():
            with contextlib.suppress(ValueError):
                item = json.loads(line)
                if isinstance(item, dict):
                    out.append(item)
        return out

    def load(self) -> tuple[dict[str, AttemptResult], dict[str, tuple[str, ...]]]:
        """Rows already finished (by attempt id) and the model lists they carried."""
        rows: dict[str, AttemptResult] = {}
        for item in self._read_lines(self.path):
            with contextlib.suppress(TypeError, KeyError):
                result = AttemptResult.from_row(item)
                rows.setdefault(result.attempt_id, result)
        listings = {str(i["attempt_id"]): tuple(str(m) for m in i.get("models", ()))
                    for i in self._read_lines(self.models_path) if "attempt_id" in i}
        return rows, listings

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._rows = self.path.open("a", encoding="utf-8")

    def append(self, result: AttemptResult, models: tuple[str, ...] | None = None) -> None:
        assert self._rows is not None, "RunLog.open() first"
        if models is not None:
            if self._models is None:  # opened on first use: most runs list models once per key
                self._models = self.models_path.open("a", encoding="utf-8")
            self._models.write(json.dumps({"attempt_id": result.attempt_id, "models": list(models)}) + "\n")
            self._models.flush()
        row = dict(vars(result))  # shallow: every field is a plain value (asdict's deep copy costs ~0.2 ms a row)
        row["outcome"] = result.outcome
        self._rows.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        self._rows.flush()

    def close(self) -> None:
        for fh in (self._rows, self._models):
            if fh is not None:
                fh.close()
        self._rows = self._models = None


# ── the result ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ProbeRun:
    """One probe run: the rows, the plan with its reasons, and why each stage asked what it asked."""

    run_id: str
    results: tuple[AttemptResult, ...]
    plan: tuple[Attempt, ...]
    explanation: tuple[str, ...]
    log_path: Path
    strategy: str = "adaptive"
    resumed: int = 0  # rows loaded from an earlier run with this id
    sent: int = 0  # requests sent by this invocation, 429 retries included
    skipped: int = 0  # planned attempts not sent (budget reached or interrupted)
    tokens_spent: int = 0  # input + output tokens reported by /v1/messages answers of this invocation
    elapsed_s: float = 0.0
    stages: int = 1
    keys: int = 0  # distinct credentials
    #: (key, dimension, changes the answer?) from the adaptive plan's checks against their predictions
    checked: tuple[tuple[str, str, bool], ...] = field(default=())

    def outcome_counts(self) -> dict[str, int]:
        counts = Counter(r.outcome for r in self.results)
        from kit.values import OUTCOME_CLASSES

        return {name: counts[name] for name in OUTCOME_CLASSES if counts[name]}

    def summary(self) -> str:
        """One line: what ran, how fast, what it cost and what came back."""
        new = len(self.results) - self.resumed
        parts = [f"probe {self.run_id}: {len(self.results)} attempt{'s' * (len(self.results) != 1)}"
                 f" ({self.strategy}, {self.keys} key{'s' * (self.keys != 1)}, "
                 f"{self.stages} stage{'s' * (self.stages != 1)})"]
        if self.resumed:
            parts.append(f"{self.resumed} resumed + {new} new")
        parts.append(f"{self.sent} request{'s' * (self.sent != 1)} in {self.elapsed_s:.1f} s")
        parts.append(f"{self.tokens_spent} tokens")
        parts.append(", ".join(f"{name} {n}" for name, n in self.outcome_counts().items()) or "no answers")
        if self.skipped:
            parts.append(f"budget reached: {self.skipped} not sent (run again with run id {self.run_id} to finish)")
        parts.append(f"log {self.log_path}")
        return " · ".join(parts)

    def frame(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame (one tidy row per attempt, with an ``outcome`` column)."""
        return rows_to_frame(self.results)

    def table(self) -> pd.DataFrame:
        """The rows as people read them: the request in a few columns and the answer in words."""
        import pandas as pd

        rows = [{
            "key": r.key_alias, "hint": r.hint, "client": r.client, "request": f"{r.method} {r.endpoint}",
            "model": r.model or "", "version": r.api_version or "", "header": r.auth_style,
            "status": "" if r.status is None else str(r.status), "answer": _answer_words(r), "outcome": r.outcome,
            "ms": None if r.latency_ms is None else round(r.latency_ms, 1), "request id": r.request_id or "",
            "why asked": r.reason,
        } for r in self.results]
        return pd.DataFrame(rows, columns=["key", "hint", "client", "request", "model", "version", "header",
                                           "status", "answer", "outcome", "ms", "request id", "why asked"])

    def explanation_markdown(self) -> str:
        """The explanation as Markdown: each stage in bold, its reasons as a list."""
        out: list[str] = []
        for line in self.explanation:
            out.append("- " + line[4:] if line.startswith("  - ") else f"\n**{line}**\n")
        return "\n".join(out).strip()

    def effect_title(self, dimension: str) -> str:
        """A plot title that states what the attempts show about ``dimension`` (model, version, client…)."""
        attribution = self.attribution()
        auth = attribution.effect(dimension, "auth")
        full = attribution.effect(dimension, "outcome")
        if auth is None:
            return f"Outcome by key and {dimension}"
        label = auth.label
        if auth.verdict == "matters":
            return f"The {label} changes whether a key is accepted ({auth.changed} of {auth.comparisons} comparisons)"
        if full is not None and full.verdict == "matters":
            return (f"The {label} does not change whether a key is accepted, but changes the answer once it is "
                    f"({full.changed} of {full.comparisons} comparisons)")
        if auth.verdict == "moot":
            return f"The {label} cannot change a rejection: the API checks the key first"
        if auth.verdict == "no-effect":
            return f"The {label} changes nothing ({auth.comparisons} comparisons, none changed the verdict)"
        changed = sorted({alias for alias, dim, changes in self.checked if dim == auth.dimension and changes})
        if changed:
            return f"The {label} changes the answer for {', '.join(changed)} (an isolating request; see why below)"
        cleared = sorted({alias for alias, dim, changes in self.checked if dim == auth.dimension and not changes})
        if cleared:
            return (f"The {label} changes nothing: a check came back as predicted for {', '.join(cleared)} "
                    "(see why below)")
        return f"Outcome by key and {label} (one {label} per key: nothing to compare)"

    def attribution(self) -> Any:
        """Which dimensions change the answer and which do not, with counts (``kit.diagnose.attribution``)."""
        from kit.diagnose.attribution import attribute

        return attribute(self.results, models_requested=tuple(dict.fromkeys(a.model for a in self.plan if a.model)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "strategy": self.strategy, "summary": self.summary(),
            "log_path": str(self.log_path), "resumed": self.resumed, "sent": self.sent, "skipped": self.skipped,
            "tokens_spent": self.tokens_spent, "elapsed_s": round(self.elapsed_s, 3),
            "explanation": list(self.explanation),
            "outcomes": self.outcome_counts(), "results": [r.to_row() for r in self.results],
        }

    def _repr_markdown_(self) -> str:
        return f"**{self.summary()}**\n\n" + "\n".join(f"    {line}" for line in self.explanation)


def _answer_words(r: AttemptResult) -> str:
    """``invalid x-api-key``, ``LocalProtocolError: Illegal header value …``, ``ok``."""
    if r.transport_error:
        return f"{r.transport_error}: {r.error_message or ''}".rstrip(": ")[:90]
    if r.error_message:
        return r.error_message[:90]
    return "ok" if r.outcome == "ok" else r.outcome


# ── the engine ─────────────────────────────────────────────────────────────────────────────


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


class _Progress:
    """A progress bar (tqdm.auto in notebooks, a text bar in a terminal) whose total grows stage by stage."""

    def __init__(self, mode: str | None) -> None:
        self.mode = _progress_mode(mode)
        self.bar: Any = None
        if self.mode == "notebook":
            from tqdm.auto import tqdm

            self.bar = tqdm(total=0, desc="probe", unit="req", leave=False)
        elif self.mode == "text":
            from tqdm import tqdm as text_tqdm

            self.bar = text_tqdm(total=0, desc="probe", unit="req", leave=False, file=sys.stderr,
                                 dynamic_ncols=True)

    def grow(self, n: int, stage: str) -> None:
        if self.bar is not None:
            self.bar.total += n
            self.bar.set_description(stage[:40], refresh=False)
            self.bar.refresh()

    def update(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self, summary: str) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.mode == "notebook":
            print(summary)
        elif self.mode == "text":
            print(summary, file=sys.stderr)


def _in_kernel() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    shell = ipython.get_ipython()
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def _progress_mode(mode: str | None) -> str | None:
    if mode in (None, "none", "off", False):
        return None
    if mode == "auto":
        if _in_kernel():
            return "notebook"
        return "text" if sys.stderr.isatty() else None
    if mode in ("notebook", "text"):
        return mode
    raise UsageError(f"unknown progress mode {mode!r}", "use 'auto', 'notebook', 'text' or None")


class _Engine:
    """Runs attempts with bounded concurrency, per-host spacing, a budget and 429 handling; logs each at once."""

    def __init__(self, *, run_id: str, credentials: Mapping[str, Credential], clients: Mapping[str, Client],
                 log: RunLog, concurrency: int, rate: float, budget: int | None, timeout: float,
                 retry_bound_s: float, progress: _Progress) -> None:
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

    async def _one(self, attempt: Attempt, done: dict[str, AttemptResult],
                   listings: dict[str, tuple[str, ...]]) -> None:
        if not self._take_budget():
            self.skipped += 1
            return
        client = self.clients[attempt.client]
        credential = self.credentials[attempt.key_alias]
        waited = 0.0
        retries = 0
        while True:
            await self._host(attempt.base_url).wait()
            result, reply = await client.send_with_reply(attempt, credential, run_id=self.run_id,
                                                         timeout=self.timeout)
            if result.status != 429 or retries >= MAX_RETRIES_429:
                break
            pause = retry_after_seconds(reply.headers)
            if pause is None or pause > self.retry_bound_s or not self._take_budget():
                break
            retries += 1
            waited += pause
            await asyncio.sleep(pause)
        if waited:
            from dataclasses import replace

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

    async def run(self, attempts: Sequence[Attempt], done: dict[str, AttemptResult],
                  listings: dict[str, tuple[str, ...]]) -> None:
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


# ── the entry points ───────────────────────────────────────────────────────────────────────


def _unique_aliases(credentials: Sequence[Credential]) -> list[Credential]:
    seen: Counter[str] = Counter()
    out = []
    for cred in credentials:
        alias = cred.alias or "key"
        seen[alias] += 1
        if seen[alias] > 1:
            alias = f"{alias} ({seen[alias]})"
        out.append(cred if alias == cred.alias else Credential(alias=alias, raw=cred.raw, source=cred.source))
    return out


def _clean(values: Sequence[str], what: str) -> tuple[str, ...]:
    out = []
    for value in values:
        text = str(value).strip()
        if not text or any(c.isspace() for c in text):
            raise UsageError(f"{what} {value!r} is empty or holds spaces", f"pass plain {what} ids, one per option")
        out.append(text)
    return tuple(dict.fromkeys(out))


@dataclass
class _Options:
    credentials: list[Credential]
    dims: Dimensions
    plan: str
    run_id: str
    run_dir: Path
    concurrency: int
    rate: float
    budget: int | None
    timeout: float
    retry_bound_s: float
    progress: str | None


def _options(credentials: Sequence[Credential], *, base_url: str, clients: Sequence[str], models: Sequence[str],
             versions: Sequence[str], plan: str, auth_styles: Sequence[str], send_messages: bool,
             run_id: str | None, run_dir: Path, concurrency: int, budget: int | None, allow_hosts: Sequence[str],
             progress: str | None, rate: float | None, timeout: float, retry_bound_s: float) -> _Options:
    creds = _unique_aliases(list(credentials))
    if not creds:
        raise UsageError("there is no key to probe",
                         "pass --key-file FILE (one key per file) or set ANTHROPIC_API_KEY")
    url = check_host(base_url, allow_hosts)
    if plan not in PLANS:
        raise UsageError(f"unknown plan {plan!r}", f"use one of: {', '.join(PLANS)}")
    names = client_names(clients or ("httpx2",))
    styles = tuple(dict.fromkeys(s.strip().lower() for s in auth_styles)) or ("x-api-key",)
    bad = [s for s in styles if s not in AUTH_STYLES]
    if bad:
        raise UsageError(f"unknown header style {bad[0]!r}", f"use one of: {', '.join(AUTH_STYLES)}")
    if concurrency < 1:
        raise UsageError("concurrency must be at least 1", "pass concurrency=8 (the default) or more")
    if budget is not None and budget < 0:
        raise UsageError("the request budget cannot be negative", "pass a budget of 0 or more, or none")
    if timeout <= 0:
        raise UsageError("the timeout must be positive", "pass a timeout in seconds, e.g. 20")
    rid = run_id or new_run_id()
    if not _RUN_ID.match(rid):
        raise UsageError(f"run id {rid!r} is not usable as a file name",
                         "use letters, digits, '.', '_' and '-' (at most 80), e.g. ticket-1")
    if rate is None:
        from kit.guard.gate import is_loopback_url

        rate = 0.0 if is_loopback_url(url) else 10.0
    redact.remember([c.raw for c in creds])
    reports = tuple(c.report() for c in creds)
    dims = Dimensions(keys=reports, base_url=url, clients=names, models=_clean(models, "model"),
                      versions=_clean(versions, "version"), auth_styles=styles, send_messages=send_messages)
    return _Options(creds, dims, plan, rid, Path(run_dir), concurrency, rate, budget, timeout, retry_bound_s,
                    progress)


async def _execute(opts: _Options, bar: _Progress) -> ProbeRun:
    began = time.perf_counter()
    log = RunLog(opts.run_dir, opts.run_id)
    done, listings = log.load()
    resumed_ids = set(done)
    clients: dict[str, Client] = {name: make_client(name, concurrency=opts.concurrency)
                                  for name in opts.dims.clients}
    credentials = {c.alias: c for c in opts.credentials}
    engine = _Engine(run_id=opts.run_id, credentials=credentials, clients=clients, log=log,
                     concurrency=opts.concurrency, rate=opts.rate, budget=opts.budget, timeout=opts.timeout,
                     retry_bound_s=opts.retry_bound_s, progress=bar)
    plan: list[Attempt] = []
    explanation: list[str] = []
    stages = 0
    checked: list[tuple[str, str, bool]] = []
    started: list[Client] = []
    try:
        for client in clients.values():
            await client.start()
            started.append(client)
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
        explanation.insert(0, f"Resumed run {opts.run_id}: {resumed} attempts were already in {log.path} and were "
                              "not sent again.")
    missing = sum(1 for a in plan if a.attempt_id not in done)
    if missing and opts.budget is not None:
        explanation.append(f"The budget of {opts.budget} requests ran out: {missing} planned attempts were not sent. "
                           f"Run again with the same run id ({opts.run_id}) to finish.")
    return ProbeRun(
        run_id=opts.run_id, results=results, plan=tuple(plan), explanation=tuple(explanation), log_path=log.path,
        strategy=opts.plan, resumed=resumed, sent=engine.sent, skipped=missing, tokens_spent=engine.tokens,
        elapsed_s=time.perf_counter() - began, stages=stages,
        keys=len(opts.dims.distinct_keys()), checked=tuple(checked),
    )


async def run_probe(credentials: Sequence[Credential], *, base_url: str, clients: Sequence[str] = ("httpx2",),
                    models: Sequence[str] = (), versions: Sequence[str] = (), plan: str = "adaptive",
                    auth_styles: Sequence[str] = ("x-api-key",), send_messages: bool = False,
                    run_id: str | None = None, run_dir: Path = Path("data/runs"), concurrency: int = 8,
                    budget: int | None = None, allow_hosts: Sequence[str] = (), progress: str | None = None,
                    rate: float | None = None, timeout: float = 20.0, retry_bound_s: float = 30.0) -> ProbeRun:
    """The async form of ``probe`` (same arguments), for callers already inside an event loop's coroutine."""
    opts = _options(credentials, base_url=base_url, clients=clients, models=models, versions=versions, plan=plan,
                    auth_styles=auth_styles, send_messages=send_messages, run_id=run_id, run_dir=run_dir,
                    concurrency=concurrency, budget=budget, allow_hosts=allow_hosts, progress=progress, rate=rate,
                    timeout=timeout, retry_bound_s=retry_bound_s)
    bar = _Progress(opts.progress)
    run = await _execute(opts, bar)
    bar.close(run.summary())
    return run


def probe(credentials: Sequence[Credential], *, base_url: str, clients: Sequence[str] = ("httpx2",),
          models: Sequence[str] = (), versions: Sequence[str] = (), plan: str = "adaptive",
          auth_styles: Sequence[str] = ("x-api-key",), send_messages: bool = False,
          run_id: str | None = None, run_dir: Path = Path("data/runs"), concurrency: int = 8,
          budget: int | None = None, allow_hosts: Sequence[str] = (), progress: str | None = "auto",
          rate: float | None = None, timeout: float = 20.0, retry_bound_s: float = 30.0) -> ProbeRun:
    """Probe every key through the chosen clients and return the run (rows, plan, explanation, summary).

    ``plan`` is ``adaptive`` (ask only what can change the answer) or ``full`` (the factorial).
    ``send_messages`` allows ``POST /v1/messages`` (``max_tokens`` 1); without it nothing can spend tokens.
    ``rate`` is requests per second per host (default: unlimited on loopback, 10 elsewhere);
    ``retry_bound_s`` the longest ``retry-after`` a 429 may make the engine wait. Keys go only to the
    official API, loopback or ``allow_hosts``; anything else is refused with a ``UsageError``.
    Works in a plain script and inside a running event loop (Jupyter) alike.
    """
    opts = _options(credentials, base_url=base_url, clients=clients, models=models, versions=versions, plan=plan,
                    auth_styles=auth_styles, send_messages=send_messages, run_id=run_id, run_dir=run_dir,
                    concurrency=concurrency, budget=budget, allow_hosts=allow_hosts, progress=progress, rate=rate,
                    timeout=timeout, retry_bound_s=retry_bound_s)
    bar = _Progress(opts.progress)  # made here, in the caller's thread, so a notebook shows it in this cell
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        run = asyncio.run(_execute(opts, bar))
    else:
        run = _in_thread(opts, bar)
    bar.close(run.summary())
    return run


def _in_thread(opts: _Options, bar: _Progress) -> ProbeRun:
    """Run the engine on a fresh loop in a worker thread (the caller's loop is busy running this cell)."""
    box: dict[str, Any] = {}
    ready = threading.Event()

    def work() -> None:
        loop = asyncio.new_event_loop()
        try:
            task = loop.create_task(_execute(opts, bar))
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


def load_run(run_id: str, run_dir: Path = Path("data/runs")) -> tuple[AttemptResult, ...]:
    """The rows of an earlier run, as logged (for reports that read a finished run)."""
    if not _RUN_ID.match(run_id):
        raise UsageError(f"run id {run_id!r} is not usable as a file name", "use the id a probe printed")
    rows, _ = RunLog(Path(run_dir), run_id).load()
    if not rows and not (Path(run_dir) / f"{run_id}.jsonl").exists():
        raise UsageError(f"there is no run {run_id!r} in {run_dir}",
                         f"list the runs with: ls {os.fspath(run_dir)}/*.jsonl")
    return tuple(rows.values())

