"""Hand-built evidence for unit tests of single rules: attempts, key reports, sources and winners.

Keys are derived from names at run time (``kit.testing.fake_key``), so no key-shaped text is in the
repository; answers take their exact status, type and message from the catalog (data/catalog/errors.toml).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

from kit.catalog import catalog
from kit.keys.inspect import inspect_key
from kit.keys.naming import fingerprint, hint
from kit.keys.report import KeyReport
from kit.testing import fake_key
from kit.values import AttemptResult, Evidence, Source, Winner

_counter = itertools.count(1)
BASE = "http://127.0.0.1:9"


def key_value(name: str, kind: str = "api") -> str:
    return fake_key(name, kind)


def report(name: str, value: str | bytes | None = None, kind: str = "api") -> KeyReport:
    return inspect_key(value if value is not None else fake_key(name, kind), alias=name)


def fp(name: str, kind: str = "api") -> str:
    return fingerprint(fake_key(name, kind))


def attempt(
    key: str = "alpha",
    answer: str | int = 200,
    *,
    client: str = "httpx2",
    endpoint: str = "/v1/models",
    method: str = "GET",
    model: str | None = None,
    version: str | None = "2023-06-01",
    auth: str = "x-api-key",
    base_url: str = BASE,
    responder: str = "anthropic",
    request_id: str | None = "auto",
    transport_error: str | None = None,
    org: str | None = "org-main",
    value: str | bytes | None = None,
    kind: str = "api",
    retry_wait_s: float = 0.0,
    **fields: Any,
) -> AttemptResult:
    """One attempt row. ``answer`` is an HTTP status (success) or an error id from the catalog."""
    raw = value if value is not None else fake_key(key, kind)
    n = next(_counter)
    status: int | None
    etype: str | None = None
    message: str | None = None
    if isinstance(answer, int):
        status = answer
    else:
        spec = catalog().error(answer)
        status, etype = spec.status, spec.type
        values = {"model": model or "", "version": version or "", **fields}
        message = spec.message.format_map(values) if "{" in spec.message else spec.message
    if transport_error:
        status, etype, message, responder = None, None, None, "none"
    if request_id == "auto":
        request_id = f"req_{n:024d}" if responder == "anthropic" and status is not None else None
    return AttemptResult(
        run_id="test",
        attempt_id=f"a{n}",
        key_alias=key,
        fingerprint=fingerprint(raw),
        hint=hint(raw),
        source=f"test:{key}",
        client=client,
        client_version="1",
        endpoint=endpoint,
        method=method,
        model=model,
        api_version=version,
        auth_style=auth,
        base_url=base_url,
        status=status,
        error_type=etype,
        error_message=message,
        request_id=request_id,
        responder=responder,
        latency_ms=1.0,
        transport_error=transport_error,
        started_at="2026-11-20T10:00:00+00:00",
        organization_id=org if status is not None and responder == "anthropic" and status != 401 else None,
        retry_wait_s=retry_wait_s,
    )


def source(
    name: str,
    kind: str = "env",
    variable: str | None = "ANTHROPIC_API_KEY",
    location: str = "",
    value: str | None = None,
    **extra: Any,
) -> Source:
    raw = value if value is not None else fake_key(name)
    return Source(
        id=f"{kind}:{name}",
        kind=kind,
        variable=variable,
        location=location or f"{kind} {name}",
        fingerprint=fingerprint(raw),
        hint=hint(raw),
        length=len(raw),
        **extra,
    )


def winner(
    client: str, name: str | None, header: str | None = "x-api-key", base_url: str = BASE, source_id: str | None = None
) -> Winner:
    raw = fake_key(name) if name else None
    return Winner(
        client=client,
        client_version="1",
        source_id=source_id or (f"env:{name}" if name else None),
        header=header if name else None,
        fingerprint=fingerprint(raw) if raw else None,
        hint=hint(raw) if raw else None,
        base_url=base_url,
    )


def evidence(*attempts: AttemptResult, keys: tuple[str, ...] | None = None, **fields: Any) -> Evidence:
    """Evidence with key reports for every key alias the attempts use (unless ``keys`` names them)."""
    names = keys if keys is not None else tuple(dict.fromkeys(a.key_alias for a in attempts))
    reports = fields.pop("reports", None) or tuple(report(n) for n in names)
    return Evidence(keys=reports, attempts=attempts, **fields)


def admin_key(name: str, status: str, **extra: Any) -> Mapping[str, Any]:
    value = fake_key(name)
    body = value[len("sk-ant-api03-") :]
    return {
        "type": "api_key",
        "id": f"apikey_{name}",
        "name": name,
        "status": status,
        "partial_key_hint": f"sk-ant-api03-{body[:3]}...{body[-4:]}",
        "workspace_id": "wrkspc_default",
        "created_at": "2024-05-01T00:00:00Z",
        **extra,
    }
