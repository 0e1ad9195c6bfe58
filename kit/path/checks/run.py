"""The network path to the API, step by step and without a key: DNS, TCP, proxy, TLS, HTTP and the clock.

A 401 is only the API's verdict if the API gave it. ``check_path`` walks every distinct route the
user's clients would take (direct, or through each proxy they would use; to the target and to any
other base URL a client is configured with; routes to the official API only when it is the target,
so a check against the simulator never reaches the internet) and returns one ``PathCheck`` row per
step:

- ``dns``   every address of the host, IPv4 and IPv6 (an official host that resolves to a private
  or loopback address is flagged: a hosts-file or DNS override sends the traffic elsewhere);
- ``tcp``   a connect to one address of each family, or to the proxy;
- ``proxy`` the proxy's answer to ``CONNECT`` (200, or 407/403 and who said it);
- ``tls``   protocol, cipher, subject, issuer, SANs and expiry, verified against the system store,
  certifi, the CA file the user gives and every CA file the environment names, each named with the
  clients that use it; an unexpected issuer on the official host warns of interception;
- ``http``  ``GET /v1/models`` with ``anthropic-version`` and no credential: the API's own 401
  ``x-api-key header is required`` with a ``req_`` request id proves who answers (``kit.path.responder``);
- ``clock`` the offset between this machine and the responder's ``Date`` header;

followed by the per-client ``base-url``, ``proxy`` and ``ca`` rows of ``kit.path.routing``.

Every failure is a row with a verdict and a fix, never an exception. Each step has its own timeout
and names are resolved once, in daemon threads, so an unresolvable name or a dead network cannot
hang the check; the whole run also has a deadline. No credential is ever sent (``trust_env`` is off,
so not even ``.netrc``), and TLS verification is never turned off.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from kit.catalog import catalog
from kit.env import Environment
from kit.guard.gate import is_allowed_host
from kit.path.checks.route import Route
from kit.path.checks.walk import Options, walk
from kit.path.routing import CLIENTS, base_url_for, ca_for, proxy_for, routing_checks
from kit.path.tlsinfo import TrustStore, certifi_store, file_store, system_store
from kit.values import PathCheck, PathStep

__all__ = ["DEFAULT_TIMEOUT", "acheck_path", "check_path"]

DEFAULT_TIMEOUT = 5.0


def _routes(
    env: Environment,
    api_url: str,
    clients: Sequence[str],
    explicit_base_url: str | None,
    node_version: str | None,
    system_proxies: Mapping[str, str] | None,
) -> list[Route]:
    routes: dict[tuple[str, str | None], Route] = {}

    def add(url: str, client: str, proxy_url: str | None, shown: str | None, source: str | None) -> None:
        key = (url.rstrip("/"), proxy_url)
        route = routes.setdefault(key, Route(url.rstrip("/"), proxy_url, shown, source))
        if client not in route.clients:
            route.clients.append(client)

    own = proxy_for(env, api_url, "httpx2", system_proxies=system_proxies)
    add(api_url, "KeyLab", own.proxy_url, own.proxy, own.variable)
    target_is_official = _official_url(api_url)
    for client in clients:
        try:
            base = base_url_for(env, client, explicit=explicit_base_url, target=api_url)
            if base.problem:
                continue
            if _official_url(base.url) and not target_is_official:
                # the user points KeyLab elsewhere (a simulator, a gateway under test): clients that would go to
                # the real API are not the subject, and a test run must not reach the internet
                continue
            choice = proxy_for(env, base.url, client, node_version=node_version, system_proxies=system_proxies)
            add(base.url, client, choice.proxy_url, choice.proxy, choice.variable)
        except Exception:  # noqa: S112  (routing is best effort; the routing rows report the error)
            continue
    return list(routes.values())


def _official_url(url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme == "https"
        and (parts.hostname or "").rstrip(".").lower() == catalog().official_host
        and parts.port in (None, 443)
    )


def _stores(env: Environment, ca_file: Path | None, clients: Sequence[str]) -> list[TrustStore]:
    node = [c for c in clients if c.startswith("sdk-node@")]
    stores = [system_store([c for c in clients if c in ("httpx2", "sdk-python", "curl")]), certifi_store(node)]
    if ca_file is not None:
        stores.append(file_store(f"your CA file {ca_file}", ca_file, (), named_by_user=True))
    seen: dict[str, TrustStore] = {}
    for client in clients:
        choice = ca_for(env, client)
        for variable, path in choice.files:
            plus = variable == "NODE_EXTRA_CA_CERTS"
            key = f"{variable}={path}"
            if key in seen:
                old = seen[key]
                seen[key] = TrustStore(old.name, (*old.clients, client), old.cafile, old.capath, False, plus)
            else:
                seen[key] = file_store(
                    variable if not plus else f"Mozilla list + {variable}", path, (client,), plus_certifi=plus
                )
    stores.extend(seen.values())
    # clients whose variables replace the store are not "system store" users any more
    replaced = {c for s in seen.values() for c in s.clients if not s.extra_certifi}
    stores[0] = TrustStore(
        stores[0].name,
        tuple(c for c in stores[0].clients if c not in replaced),
        stores[0].cafile,
        stores[0].capath,
        stores[0].os_store,
    )
    return stores


async def acheck_path(
    env: Environment,
    api_url: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    allow_hosts: Sequence[str] = (),
    ca_file: Path | None = None,
    expected_issuers: Sequence[str] | None = None,
    official_host: str | None = None,
    clients: Sequence[str] = CLIENTS,
    node_version: str | None = None,
    system_proxies: Mapping[str, str] | None = None,
    explicit_base_url: str | None = None,
) -> tuple[PathCheck, ...]:
    """The async form of ``check_path`` (for callers that already run an event loop)."""
    cat = catalog()
    api_url = (api_url or cat.official_base_url).strip()
    official_host = official_host or cat.official_host
    expected = tuple(expected_issuers if expected_issuers is not None else cat.expected_tls_issuers)
    timeout = max(0.1, float(timeout))
    if node_version is None and any(c.startswith("sdk-node@") for c in clients):
        node_version = _node_version(env)
    if system_proxies is None:
        system_proxies = _system_proxies(env)
    routing = routing_checks(
        env,
        api_url,
        clients=clients,
        explicit_base_url=explicit_base_url,
        node_version=node_version,
        system_proxies=system_proxies,
    )
    routing = tuple(_annotate_allowed(r, api_url, allow_hosts) for r in routing)
    parts = urlsplit(api_url) if "://" in api_url else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        bad = PathCheck(
            "base-url",
            api_url,
            False,
            f"{api_url!r} is not an http(s) URL; nothing to check",
            fix="give the API URL with its scheme, e.g. https://api.anthropic.com",
        )
        return (bad, *routing)
    try:
        stores = _stores(env, ca_file, clients)
        routes = _routes(env, api_url, clients, explicit_base_url, node_version, system_proxies)
    except Exception as exc:  # never an exception to the caller
        return (
            PathCheck("http", api_url, None, f"KeyLab could not plan the path check: {type(exc).__name__}: {exc}"),
            *routing,
        )
    options = Options(timeout, stores, official_host, expected, {})
    results: list[list[PathCheck]] = [[] for _ in routes]
    states: list[dict[str, PathStep]] = [{"step": "dns"} for _ in routes]
    tasks = [asyncio.ensure_future(walk(r, options, results[i], states[i])) for i, r in enumerate(routes)]
    deadline = timeout * 5 + 1
    _, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
    for dns_task in list(options.dns.values()):
        if not dns_task.done():
            dns_task.cancel()
    await asyncio.gather(*pending, *options.dns.values(), return_exceptions=True)
    rows: list[PathCheck] = []
    for i, route in enumerate(routes):
        rows.extend(_tag(row, route) for row in results[i])
        task = tasks[i]
        if task in pending:
            rows.append(
                PathCheck(
                    states[i]["step"],
                    route.label,
                    False,
                    f"the path check ran out of time ({deadline:g} s) at this step",
                    None,
                    route.details(),
                    "network-unreachable",
                    "the network is very slow or a step hangs; try again with a longer timeout",
                )
            )
        elif (error := task.exception()) is not None:
            rows.append(
                PathCheck(
                    states[i]["step"],
                    route.label,
                    None,
                    f"KeyLab failed at this step: {type(error).__name__}: {error}"[:300],
                    None,
                    route.details(),
                )
            )
    return (*rows, *routing)


def _tag(row: PathCheck, route: Route) -> PathCheck:
    """The row with its route (url, clients, proxy) in its details, so tables and pictures can group by route."""
    have = {name for name, _ in row.details}
    extra = tuple(item for item in route.details() if item[0] not in have)
    if not extra:
        return row
    return PathCheck(
        row.step,
        row.target,
        row.ok,
        row.verdict,
        row.elapsed_ms,
        (*extra, *row.details),
        row.cause,
        row.fix,
        row.client,
    )


def _node_version(env: Environment) -> str | None:
    """``node --version`` of the node on the environment's PATH (None when there is none or it does not answer)."""
    node = shutil.which("node", path=env.get("PATH"))
    if node is None:
        return None
    try:
        done = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=5, check=False, env=dict(env.variables)
        )
    except (OSError, subprocess.SubprocessError):
        return None
    version = done.stdout.strip()
    return version if done.returncode == 0 and version.startswith("v") else None


def _system_proxies(env: Environment) -> dict[str, str] | None:
    """The OS proxy settings httpx2 falls back on (macOS, Windows), read only for this process's own environment."""
    if sys.platform not in ("darwin", "win32") or dict(env.variables) != dict(os.environ):
        return None
    import urllib.request

    reader = "getproxies_macosx_sysconf" if sys.platform == "darwin" else "getproxies_registry"
    try:
        found: dict[str, str] = dict(getattr(urllib.request, reader)())
    except Exception:  # the OS settings are a bonus; never a failure
        return None
    return found


def _annotate_allowed(row: PathCheck, api_url: str, allow_hosts: Sequence[str]) -> PathCheck:
    """base-url rows say whether KeyLab's probe may send a key there (the same gate the probe uses)."""
    if row.step != "base-url" or not row.target or "://" not in row.target:
        return row
    allowed = is_allowed_host(row.target, api_url, allow_hosts)
    note = "yes" if allowed else "no: KeyLab sends keys only to the target, loopback and hosts you name (allow_hosts)"
    return PathCheck(
        row.step,
        row.target,
        row.ok,
        row.verdict,
        row.elapsed_ms,
        (*row.details, ("keys sent", note)),
        row.cause,
        row.fix,
        row.client,
    )


def check_path(
    env: Environment,
    api_url: str = "https://api.anthropic.com",
    *,
    timeout: float = DEFAULT_TIMEOUT,
    allow_hosts: Sequence[str] = (),
    ca_file: Path | None = None,
    expected_issuers: Sequence[str] | None = None,
    official_host: str | None = None,
    clients: Sequence[str] = CLIENTS,
    node_version: str | None = None,
    system_proxies: Mapping[str, str] | None = None,
    explicit_base_url: str | None = None,
) -> tuple[PathCheck, ...]:
    """Check the path from this machine to ``api_url`` for every route ``env``'s clients would take.

    ``expected_issuers`` and ``official_host`` default to the catalog's (data/catalog/api.toml); a
    test passes its own to treat a loopback server as "official". ``ca_file`` adds a trust store
    (for example the simulator's CA). ``node_version`` (``"v22.12.0"``) decides whether
    NODE_USE_ENV_PROXY can apply; ``system_proxies`` are the OS proxy settings httpx2 would read.
    Safe to call inside a running event loop (Jupyter): the checks then run in a worker thread.
    """

    def run() -> tuple[PathCheck, ...]:
        return asyncio.run(
            acheck_path(
                env,
                api_url,
                timeout=timeout,
                allow_hosts=allow_hosts,
                ca_file=ca_file,
                expected_issuers=expected_issuers,
                official_host=official_host,
                clients=clients,
                node_version=node_version,
                system_proxies=system_proxies,
                explicit_base_url=explicit_base_url,
            )
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="keylab-path") as pool:
        return pool.submit(run).result()
