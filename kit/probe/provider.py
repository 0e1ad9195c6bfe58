"""The probe for another provider's API (OpenAI, Gemini, the OpenAI-compatible ones): zero-token checks.

For each credential it sends the profile's zero-token check (``GET /v1/models``; Gemini ``GET
/v1beta/models``) the way the official SDK would (data/catalog/providers.toml: the auth header and scheme,
and the organization and project headers the SDK adds from ``OPENAI_ORG_ID`` / ``OPENAI_PROJECT_ID``), to
the target (the official API, or what stands in for it) and to a base URL the environment names, with each
client of ``kit.probe.provider_clients`` (httpx2, curl, the official Python SDK). The
answer is read with the profile's envelope (OpenAI ``error.code``/``error.type``; Gemini ``ErrorInfo.reason``
or ``error.status``), and it counts as the provider's own only when it carries the headers only the real
API sends (``proof_headers``). The key goes only where the host gate allows it; it is never logged.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kit.guard.gate import is_allowed_host
from kit.guard.redact import scrub
from kit.keys.credential import Credential
from kit.probe.provider_clients import PROVIDER_CLIENTS, send
from kit.probe.run import ProbeRun
from kit.probe.runlog import RunLog
from kit.providers import ProviderProfile
from kit.values import Attempt, AttemptResult, SentAuthStyle

__all__ = ["Target", "probe_provider", "read_envelope", "targets"]

#: Which organization/project variable becomes which request header (og §2; the SDK adds them when set).
_CONTEXT_HEADERS = {"organization": "OpenAI-Organization", "project": "OpenAI-Project"}


@dataclass(frozen=True)
class Target:
    """Where one check goes: the full URL and the base URL it stands for (``official`` or a variable's)."""

    url: str
    base_url: str
    why: str


def _root(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def targets(profile: ProviderProfile, api_url: str, base_override: str = "") -> tuple[Target, ...]:
    """The check against the target (``api_url`` stands for the official root) and against a base URL override."""
    _, path = profile.zero_token_check
    out = [Target(_root(api_url) + path, _root(api_url), "the zero-token check against the API")]
    if base_override and base_override.rstrip("/") != profile.official_base_url.rstrip("/"):
        official_path = urlsplit(profile.official_base_url).path.rstrip("/")
        rel = path[len(official_path) :] if official_path and path.startswith(official_path) else path
        out.append(
            Target(
                base_override.rstrip("/") + rel,
                base_override.rstrip("/"),
                "the same check at the base URL the environment sets",
            )
        )
    return tuple(out)


def read_envelope(profile: ProviderProfile, body: bytes) -> tuple[str | None, str | None]:
    """(error type or code, message) from a rejection body in the profile's envelope; (None, None) otherwise."""
    try:
        data: Any = json.loads(body.decode("utf-8", "replace"))
    except ValueError:
        return None, None
    if isinstance(data, list) and data:  # Gemini streaming errors come list-wrapped (og §12)
        data = data[0]
    if not isinstance(data, dict):
        return None, None
    error = data.get("error")
    if not isinstance(error, dict):
        message = data.get("message") or data.get("detail")
        return None, str(message) if message else None
    message = str(error.get("message") or "") or None
    if profile.envelope == "google-rpc":
        reasons = [d.get("reason") for d in error.get("details") or () if isinstance(d, dict) and d.get("reason")]
        return (str(reasons[0]) if reasons else str(error.get("status") or "") or None), message
    code, kind = error.get("code"), error.get("type")
    return (str(code) if isinstance(code, str) and code else str(kind) if kind else None), message


def _official(profile: ProviderProfile, headers: Mapping[str, str]) -> bool:
    lowered = {k.lower() for k in headers}
    return any(h.lower() in lowered for h in profile.proof_headers)


def _responder(profile: ProviderProfile, headers: Mapping[str, str], body: bytes) -> str:
    if _official(profile, headers):
        return profile.name
    if "html" in headers.get("content-type", "").lower() or body.lstrip()[:1] == b"<":
        return "html-proxy"
    return "gateway"


def _headers(profile: ProviderProfile, credential: Credential, context: Mapping[str, str]) -> dict[str, str]:
    value = credential.value
    headers = {"accept": "application/json", "user-agent": "KeyLab provider probe"}
    headers[profile.auth_header] = f"{profile.auth_scheme} {value}" if profile.auth_scheme else value
    for role, header in _CONTEXT_HEADERS.items():
        for var in profile.var(role):
            if context.get(var):
                headers[header] = context[var]
    return headers


def _style(profile: ProviderProfile) -> SentAuthStyle:
    return "bearer" if profile.auth_scheme.lower() == "bearer" else "x-api-key"


def probe_provider(
    profile: ProviderProfile,
    credentials: Sequence[Credential],
    *,
    api_url: str,
    run_id: str,
    run_dir: Path,
    context: Mapping[str, str] | None = None,
    allow_hosts: Sequence[str] = (),
    clients: Sequence[str] = PROVIDER_CLIENTS,
    timeout: float = 10.0,
) -> ProbeRun:
    """One zero-token check per target, credential and client; a refused host is a note, not a request."""
    context = dict(context or {})
    base_var = next(iter(profile.var("base-url")), "")
    plan: list[Attempt] = []
    results: list[AttemptResult] = []
    notes: list[str] = []
    log = RunLog(run_dir, run_id)
    log.open()
    start = time.perf_counter()
    method, path = profile.zero_token_check
    try:
        for target in targets(profile, api_url, context.get(base_var, "")):
            if not is_allowed_host(target.url, api_url, allow_hosts):
                notes.append(
                    f"not sent: {urlsplit(target.url).hostname} is not the target API, loopback or an "
                    "--allow-host host, so no key goes there"
                )
                continue
            for credential in credentials:
                for client in clients:
                    attempt = Attempt(
                        attempt_id=f"{profile.name}-{len(plan) + 1}",
                        key_alias=credential.alias,
                        client=client,
                        endpoint=path,
                        method=method,
                        base_url=target.base_url,
                        api_version=None,
                        auth_style=_style(profile),
                        reason=target.why,
                    )
                    plan.append(attempt)
                    result = _result(profile, credential, attempt, target, context, run_id, timeout)
                    results.append(result)
                    log.append(result)
    finally:
        log.close()
    return ProbeRun(
        run_id=run_id,
        results=tuple(results),
        plan=tuple(plan),
        explanation=tuple(notes),
        log_path=log.path,
        strategy=f"{profile.name} zero-token check",
        sent=len(results),
        elapsed_s=time.perf_counter() - start,
        keys=len(credentials),
    )


def _result(
    profile: ProviderProfile,
    credential: Credential,
    attempt: Attempt,
    target: Target,
    context: Mapping[str, str],
    run_id: str,
    timeout: float,
) -> AttemptResult:
    started = datetime.now(UTC).isoformat()
    t0 = time.perf_counter()
    raw = send(attempt.client, profile, target.url, target.base_url, _headers(profile, credential, context), timeout)
    error_type = message = None
    responder = "none"
    if raw.status is not None:
        responder = _responder(profile, raw.headers, raw.body) if raw.headers else "unknown"
        if raw.status >= 400:
            error_type, message = read_envelope(profile, raw.body)
    request_id = raw.headers.get(profile.request_id_header) if profile.request_id_header else None
    return AttemptResult(
        run_id=run_id,
        attempt_id=attempt.attempt_id,
        key_alias=credential.alias,
        fingerprint=credential.fingerprint,
        hint=credential.hint,
        source=credential.source,
        client=attempt.client,
        client_version=raw.version,
        endpoint=attempt.endpoint,
        method=attempt.method,
        model=None,
        api_version=None,
        auth_style=attempt.auth_style,
        base_url=target.base_url,
        status=raw.status,
        error_type=error_type,
        error_message=scrub(message) if message else None,
        request_id=request_id,
        responder=responder,
        latency_ms=(time.perf_counter() - t0) * 1000,
        transport_error=raw.transport_error,
        started_at=started,
        reason=attempt.reason,
        client_error=raw.client_error,
        provider=profile.name,
    )
