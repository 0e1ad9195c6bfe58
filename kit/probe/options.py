"""The probe's arguments, checked before anything is sent: where keys may go, which clients, ids and bounds.

Bad input becomes a ``UsageError`` naming the problem and the fix; nothing here opens a connection.
"""

from __future__ import annotations

import urllib.parse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kit.catalog import catalog, runs_dir
from kit.errors import UsageError
from kit.guard import redact
from kit.keys.credential import Credential
from kit.probe.clients.base import AUTH_STYLES
from kit.probe.clients.registry import client_names
from kit.probe.plan import PLANS, Dimensions
from kit.probe.runlog import check_run_id, new_run_id

__all__ = ["Options", "check_host", "options"]


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
        raise UsageError(
            f"{base_url!r} is not an http(s) URL",
            f"pass the API's base URL, e.g. --api-url {catalog().official_base_url}",
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise UsageError(
            "the API URL holds a user name, password, query or fragment",
            "pass only scheme, host, port and path, e.g. https://api.anthropic.com",
        )
    if not _is_allowed(url, allow_hosts):
        host = parts.hostname
        extra = "" if parts.scheme == "https" else f" (for plain http name it with its scheme: http://{parts.netloc})"
        raise UsageError(
            f"refusing to send keys to {parts.scheme}://{parts.netloc}: it is neither the official API "
            f"({catalog().official_base_url}) nor loopback",
            f"if you trust that host, name it: --allow-host {host}{extra} (in Python: allow_hosts=[{host!r}])",
        )
    return url


# ── the options of one run ─────────────────────────────────────────────────────────────────


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
class Options:
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


def options(
    credentials: Sequence[Credential],
    *,
    base_url: str,
    clients: Sequence[str],
    models: Sequence[str],
    versions: Sequence[str],
    plan: str,
    auth_styles: Sequence[str],
    send_messages: bool,
    run_id: str | None,
    run_dir: Path | None,
    concurrency: int,
    budget: int | None,
    allow_hosts: Sequence[str],
    progress: str | None,
    rate: float | None,
    timeout: float,
    retry_bound_s: float,
) -> Options:
    creds = _unique_aliases(list(credentials))
    if not creds:
        raise UsageError("there is no key to probe", "pass --key-file FILE (one key per file) or set ANTHROPIC_API_KEY")
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
    check_run_id(rid)
    if rate is None:
        from kit.guard.gate import is_loopback_url

        rate = 0.0 if is_loopback_url(url) else 10.0
    redact.remember([c.raw for c in creds])
    reports = tuple(c.report() for c in creds)
    dims = Dimensions(
        keys=reports,
        base_url=url,
        clients=names,
        models=_clean(models, "model"),
        versions=_clean(versions, "version"),
        auth_styles=styles,
        send_messages=send_messages,
    )
    folder = Path(run_dir) if run_dir else runs_dir()
    return Options(creds, dims, plan, rid, folder, concurrency, rate, budget, timeout, retry_bound_s, progress)
