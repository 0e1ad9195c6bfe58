"""The probe engine against the simulator: speed, requests needed, tokens spent.

Measured in one run, side by side (the machine is shared, so only ratios mean much):

- the engine's attempts per second against a bare httpx2 async loop sending the same requests with
  the same concurrency and nothing else (no rows, no log, no retries): goal ≥ 0.8 of it;
- the engine against a sequential curl loop, one process per request, the way the ticket's author
  worked;
- how many requests the adaptive plan needs for the ticket's sandbox (its exported variable, its
  ``.env`` and two key files; its models and versions; clients httpx2, sdk-python and curl) against
  the full factorial: goal ≤ keys + 2;
- tokens spent by both plans (goal 0): usage reported by any ``/v1/messages`` answer, and whether the
  simulator saw a single ``POST /v1/messages`` at all.

The throughput simulator runs in its own process, as the real API would, so client and server do
not share one interpreter's lock.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import tempfile
import time
import tomllib
from pathlib import Path

import httpx2
from dotenv import dotenv_values

from kit.catalog import DATA_DIR
from kit.demo.sandbox import materialize
from kit.keys.credential import Credential
from kit.probe.clients.base import auth_headers, request_body, request_path, secret_bytes
from kit.probe.clients.curl import CurlClient
from kit.probe.engine import probe
from kit.probe.plan import Dimensions, full_plan
from kit.sim import serve
from kit.testing import fake_key, simulator_process
from kit.values import Attempt

KEYS = ("alpha", "beta", "gamma", "delta")
MODELS = (
    "claude-opus-4-8",
    "claude-sonnet-4-6",
    "claude-haiku-4-5",
    "claude-opus-5-5",
    "claude-sonnet-5-5",
    "claude-haiku-5-5",
    "claude-haiku-4-5-20251001",
    "claude-3-haiku-20240307",
    "claude-3-opus-20240229",
    "claude-nonexistent-1",
)
VERSIONS = (
    "2023-06-01",
    "2023-01-01",
    "2026-10-21",
    "2023-06-01x",
    "2024-10-22",
    "2023-06-02",
    "2025-01-01",
    "2024-06-01",
    "2022-01-01",
    "latest",
)  # valid and invalid alike: every answer is a row
CONCURRENCY = 8
ROUNDS = 7
CURL_SAMPLE = 60


def _creds() -> list[Credential]:
    return [Credential(n, fake_key(n), "bench") for n in KEYS]


def _plan(url: str, creds: list[Credential]) -> tuple[Attempt, ...]:
    dims = Dimensions(keys=tuple(c.report() for c in creds), base_url=url, models=MODELS, versions=VERSIONS)
    return full_plan(dims).attempts


async def _bare(url: str, attempts: tuple[Attempt, ...], creds: dict[str, Credential]) -> float:
    """The floor: the same requests through httpx2 with a semaphore, bodies read, nothing recorded."""
    limits = httpx2.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    began = time.perf_counter()
    async with httpx2.AsyncClient(limits=limits, trust_env=False) as client:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(a: Attempt) -> None:
            headers = auth_headers(a.auth_style, secret_bytes(creds[a.key_alias]))
            headers.append((b"anthropic-version", (a.api_version or "").encode()))
            body = request_body(a)
            if body is not None:
                headers.append((b"content-type", b"application/json"))
            async with gate:
                response = await client.request(a.method, url + request_path(a), headers=headers, content=body)
                await response.aread()

        await asyncio.gather(*(one(a) for a in attempts))
    return time.perf_counter() - began


def _engine(url: str, creds: list[Credential], run_dir: Path, client: str = "httpx2") -> tuple[float, int]:
    began = time.perf_counter()
    run = probe(
        creds,
        base_url=url,
        clients=(client,),
        models=MODELS,
        versions=VERSIONS,
        plan="full",
        run_dir=run_dir,
        concurrency=CONCURRENCY,
        progress=None,
    )
    return time.perf_counter() - began, len(run.results)


def _curl_sequential(url: str, attempts: tuple[Attempt, ...], creds: dict[str, Credential]) -> float:
    """One curl process after another (key via --config on stdin, as KeyLab sends it)."""
    client = CurlClient()

    async def go() -> float:
        await client.start()
        began = time.perf_counter()
        for a in attempts:
            await client.exchange(a, creds[a.key_alias], 20.0)
        return time.perf_counter() - began

    return asyncio.run(go())


def _ticket_sandbox(tmp: Path) -> tuple[list[Credential], dict[str, list[str]]]:
    template = DATA_DIR / "demo" / "ticket"
    env = materialize(template, tmp / "ticket")
    spec = tomllib.loads((template / "sandbox.toml").read_text())
    creds = [
        Credential("ANTHROPIC_API_KEY", env.get("ANTHROPIC_API_KEY") or "", "env:ANTHROPIC_API_KEY"),
        Credential(".env", dotenv_values(env.cwd / ".env").get("ANTHROPIC_API_KEY") or "", "dotenv"),
    ]
    for name in spec["key_files"]:
        path = tmp / "ticket" / name
        creds.append(Credential(path.name, path.read_bytes(), f"file:{path}"))
    return creds, spec


def _plans_and_tokens(tmp: Path) -> list[dict[str, object]]:
    creds, spec = _ticket_sandbox(tmp)
    clients = ("httpx2", "sdk-python", "curl")
    with serve("ticket") as server:
        adaptive = probe(
            creds,
            base_url=server.url,
            clients=clients,
            models=spec["models"],
            versions=spec["versions"],
            run_dir=tmp / "runs",
            progress=None,
        )
        full = probe(
            creds,
            base_url=server.url,
            clients=clients,
            models=spec["models"],
            versions=spec["versions"],
            plan="full",
            run_dir=tmp / "runs",
            progress=None,
        )
        messages = sum(1 for e in server.entries() if e["path"].split("?")[0] == "/v1/messages")
    keys = adaptive.keys
    ticket_author = 3 * 3 * len(spec["models"]) * len(spec["versions"])
    return [
        {
            "measure": "requests, ticket sandbox",
            "keys": keys,
            "adaptive": len(adaptive.results),
            "full_factorial": len(full.results),
            "ticket_author_by_hand": ticket_author,
            "goal": f"<= keys + 2 = {keys + 2}",
            "met": len(adaptive.results) <= keys + 2,
        },
        {
            "measure": "tokens spent",
            "adaptive": adaptive.tokens_spent,
            "full_factorial": full.tokens_spent,
            "messages_requests_seen_by_simulator": messages,
            "goal": 0,
            "met": adaptive.tokens_spent == full.tokens_spent == messages == 0,
        },
    ]


def run() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    creds = _creds()
    by_alias = {c.alias: c for c in creds}
    with tempfile.TemporaryDirectory(prefix="keylab-bench-") as folder:
        tmp = Path(folder)
        with simulator_process() as (url, _):
            attempts = _plan(url, creds)
            asyncio.run(_bare(url, attempts[:20], by_alias))  # warm both paths (imports, first connections)
            _engine(url, creds[:1], tmp / "warm")
            engine_times, bare_times, engine_cpu, bare_cpu = [], [], [], []
            for i in range(ROUNDS):  # alternate, so drift on a shared machine hits both alike
                cpu = time.process_time()
                bare_times.append(asyncio.run(_bare(url, attempts, by_alias)))
                bare_cpu.append(time.process_time() - cpu)
                cpu = time.process_time()
                seconds, count = _engine(url, creds, tmp / f"r{i}")
                engine_cpu.append(time.process_time() - cpu)
                assert count == len(attempts)
                engine_times.append(seconds)
            n = len(attempts)
            engine_rps = n / statistics.median(engine_times)
            bare_rps = n / statistics.median(bare_times)
            ratio = engine_rps / bare_rps
            rows.append(
                {
                    "measure": "engine vs bare httpx2 loop",
                    "requests": n,
                    "concurrency": CONCURRENCY,
                    "rounds": ROUNDS,
                    "engine_per_s": round(engine_rps, 1),
                    "bare_per_s": round(bare_rps, 1),
                    "ratio": round(ratio, 3),
                    # client CPU per request: what the engine adds, less sensitive to a busy machine
                    "engine_cpu_ms_per_req": round(1000 * statistics.median(engine_cpu) / n, 3),
                    "bare_cpu_ms_per_req": round(1000 * statistics.median(bare_cpu) / n, 3),
                    "goal": ">= 0.8",
                    "met": ratio >= 0.8,
                }
            )
            if shutil.which("curl"):
                sample = attempts[:CURL_SAMPLE]
                curl_rps = len(sample) / _curl_sequential(url, sample, by_alias)
                seconds, count = _engine(url, creds, tmp / "curl-engine", client="curl")
                rows.append(
                    {
                        "measure": "engine vs sequential curl loop",
                        "requests": len(sample),
                        "engine_httpx2_per_s": round(engine_rps, 1),
                        "engine_curl_per_s": round(count / seconds, 1),
                        "sequential_curl_per_s": round(curl_rps, 1),
                        "speedup": round(engine_rps / curl_rps, 1),
                    }
                )
        rows.extend(_plans_and_tokens(tmp))
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
