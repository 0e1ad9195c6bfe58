"""The Admin API lookup: what the organization's own key list says about each local key.

A 401 ``invalid x-api-key`` cannot tell a revoked key from a mistyped one. The organization's key
list can: ``GET /v1/organizations/api_keys`` (with an admin key, ``sk-ant-admin01-…``) shows every
key's ``status`` (``active``, ``inactive``, ``archived``, ``expired``), workspace and creation date,
and a Console-style ``partial_key_hint`` (``sk-ant-api03-R2D...igAA``, docs/reference/anthropic-auth.md §3)
that ``kit.keys.naming.hint`` reproduces from a local key. Matching the two names the key's state; a
non-active match becomes cause ``key-inactive`` in the diagnosis.

Answers are values: a refused admin key or an unreachable API is an ``AdminLookup`` with ``error``
set, never an exception. Only bad input (no admin key, a host keys may not go to) raises.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from kit.catalog import catalog
from kit.env import Environment
from kit.errors import InputError, UsageError
from kit.guard import redact
from kit.guard.gate import proxies_apply
from kit.keys.credential import Credential
from kit.keys.report import KeyReport
from kit.probe.clients.base import secret_bytes

__all__ = [
    "ADMIN_KEY_VARIABLE",
    "AdminKey",
    "AdminLookup",
    "AdminMatch",
    "admin_credential",
    "lookup_keys",
    "match_keys",
]

#: The variable the Admin API's documentation uses for the admin key.
ADMIN_KEY_VARIABLE = "ANTHROPIC_ADMIN_API_KEY"
_PAGE = 1000
_MAX_PAGES = 50


@dataclass(frozen=True)
class AdminKey:
    """One API key as the organization's key list shows it (never its secret)."""

    id: str
    name: str
    status: str
    partial_key_hint: str | None
    workspace_id: str | None
    created_at: str | None
    expires_at: str | None = None
    created_by: str | None = None
    workspace_name: str | None = None

    @classmethod
    def from_api(cls, obj: Mapping[str, Any]) -> AdminKey:
        scope = obj.get("scope") if isinstance(obj.get("scope"), Mapping) else {}
        creator = obj.get("created_by") if isinstance(obj.get("created_by"), Mapping) else {}
        workspace = obj.get("workspace_id") or (scope or {}).get("workspace_id")
        return cls(
            id=str(obj.get("id", "")),
            name=str(obj.get("name") or ""),
            status=str(obj.get("status") or "unknown"),
            partial_key_hint=obj.get("partial_key_hint"),
            workspace_id=str(workspace) if workspace else None,
            created_at=obj.get("created_at"),
            expires_at=obj.get("expires_at"),
            created_by=(creator or {}).get("id"),
        )


@dataclass(frozen=True)
class AdminMatch:
    """A local key and the organization's key with the same hint (``key`` is None when none or several match)."""

    alias: str
    fingerprint: str
    hint: str
    key: AdminKey | None
    candidates: int  # organization keys with this hint: 1 is a match, 0 none, more is ambiguous

    @property
    def matched(self) -> bool:
        return self.key is not None

    def describe(self) -> str:
        if self.key is not None:
            k = self.key
            where = f"workspace {k.workspace_name or k.workspace_id}" if k.workspace_id else "no workspace"
            return (
                f"{self.alias} ({self.hint}) is '{k.name}' ({k.id}): {k.status}, {where}, "
                f"created {k.created_at or '?'}" + (f", expires {k.expires_at}" if k.expires_at else "")
            )
        if self.candidates > 1:
            return f"{self.alias} ({self.hint}): {self.candidates} keys of the organization share this hint"
        return (
            f"{self.alias} ({self.hint}): no key of this organization has this hint (another organization's "
            "key, a deleted key, or not a key at all)"
        )

    def to_evidence(self) -> dict[str, Any]:
        """The dict ``Evidence.admin_keys`` holds: the Admin API's fields plus which local key they describe."""
        k = self.key
        assert k is not None
        return {
            "alias": self.alias,
            "fingerprint": self.fingerprint,
            "local_hint": self.hint,
            "id": k.id,
            "name": k.name,
            "status": k.status,
            "partial_key_hint": k.partial_key_hint,
            "workspace_id": k.workspace_id,
            "workspace_name": k.workspace_name,
            "created_at": k.created_at,
            "expires_at": k.expires_at,
            "created_by": k.created_by,
        }


@dataclass(frozen=True)
class AdminLookup:
    """The organization's key list and how the local keys match it; ``error`` when the list could not be read."""

    base_url: str
    keys: tuple[AdminKey, ...] = ()
    matches: tuple[AdminMatch, ...] = ()
    error: str | None = None
    status: int | None = None
    request_id: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.error is None

    def evidence(self) -> tuple[dict[str, Any], ...]:
        """The unambiguous matches, as ``Evidence.admin_keys`` wants them."""
        return tuple(m.to_evidence() for m in self.matches if m.key is not None)

    def summary(self) -> str:
        if self.error:
            return f"Admin API lookup failed: {self.error}"
        matched = sum(1 for m in self.matches if m.matched)
        inactive = [m for m in self.matches if m.key is not None and m.key.status != "active"]
        text = (
            f"Admin API: {len(self.keys)} keys in the organization; {matched} of {len(self.matches)} local keys "
            f"matched by hint"
        )
        if inactive:
            text += "; not active: " + ", ".join(f"{m.alias} ({m.key.status})" for m in inactive if m.key)
        return text


def admin_credential(env: Environment, key_file: Path | None = None) -> Credential | None:
    """The admin key from ``key_file`` (raw bytes) or ``ANTHROPIC_ADMIN_API_KEY``; ``None`` when neither is there."""
    if key_file is not None:
        try:
            raw = Path(key_file).expanduser().read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read admin key file {key_file}: {exc.strerror or exc}",
                f"check the path, or set {ADMIN_KEY_VARIABLE} instead",
            ) from None
        return Credential(alias=Path(key_file).name, raw=raw, source=f"file:{key_file}")
    value = env.get(ADMIN_KEY_VARIABLE)
    if value:
        return Credential(alias=ADMIN_KEY_VARIABLE, raw=value, source=f"env:{ADMIN_KEY_VARIABLE}")
    return None


def _reports(local: Sequence[Credential | KeyReport]) -> list[KeyReport]:
    return [item.report() if isinstance(item, Credential) else item for item in local]


def match_keys(keys: Sequence[AdminKey], local: Sequence[Credential | KeyReport]) -> tuple[AdminMatch, ...]:
    """Match each local key to the organization's keys by Console hint (of its bytes, or of their obvious repair)."""
    by_hint: dict[str, list[AdminKey]] = {}
    for key in keys:
        if key.partial_key_hint:
            by_hint.setdefault(key.partial_key_hint, []).append(key)
    out = []
    for report in _reports(local):
        hints = [h for h in (report.hint, report.repaired_hint) if h]
        found: list[AdminKey] = []
        for h in hints:
            found = by_hint.get(h, [])
            if found:
                break
        out.append(
            AdminMatch(
                alias=report.alias,
                fingerprint=report.fingerprint,
                hint=report.hint,
                key=found[0] if len(found) == 1 else None,
                candidates=len(found),
            )
        )
    return tuple(out)


def _error_text(response: httpx2.Response) -> str:
    from kit.path.responder import parse_error

    etype, message = parse_error(response.content)
    text = f"{response.status_code} {etype or ''} {message or ''}".strip()
    return redact.scrub(text)[:300]


def lookup_keys(
    admin: Credential,
    local: Sequence[Credential | KeyReport],
    *,
    base_url: str | None = None,
    allow_hosts: Sequence[str] = (),
    timeout: float = 20.0,
    version: str = "2023-06-01",
    page_size: int = _PAGE,
) -> AdminLookup:
    """List the organization's API keys (every page) and match the local keys to them by hint.

    The admin key goes only where a probe's keys may go (the official API, loopback or ``allow_hosts``).
    A key with a stray newline or quote is sent in its obvious repair (noted), since this lookup is
    evidence gathering, not a probe of the admin key.
    """
    from kit.probe.options import check_host

    url = check_host(base_url or catalog().official_base_url, allow_hosts)
    redact.remember([admin.raw])
    notes: list[str] = []
    report = admin.report()
    if report.role not in ("admin", "missing") and report.kind is not None:
        article = "an" if report.kind_label[:1].lower() in "aeiou" else "a"
        notes.append(
            f"{admin.alias} is {article} {report.kind_label}, not an admin key (sk-ant-admin01-…): "
            "the Admin API will likely refuse it"
        )
    sendable = admin.repaired()
    if sendable is not None:
        notes.append(f"{admin.alias} had {', '.join(report.causes)}; its obvious repair ({sendable.hint}) was sent")
    key = secret_bytes(sendable or admin)
    if not key.strip():
        raise UsageError("the admin key is empty", f"set {ADMIN_KEY_VARIABLE} or pass the admin key file")
    headers = [(b"x-api-key", key), (b"anthropic-version", version.encode())]
    found: list[AdminKey] = []
    after: str | None = None
    began = time.perf_counter()
    with httpx2.Client(
        timeout=httpx2.Timeout(timeout, connect=min(5.0, timeout)), trust_env=proxies_apply(url)
    ) as client:
        for _ in range(_MAX_PAGES):
            params: dict[str, str | int] = {"limit": page_size}
            if after:
                params["after_id"] = after
            try:
                response = client.get(f"{url}/v1/organizations/api_keys", params=params, headers=headers)
            except httpx2.HTTPError as exc:
                return AdminLookup(
                    url, error=f"{type(exc).__name__}: {redact.scrub(str(exc))[:300]}", notes=tuple(notes)
                )
            request_id = response.headers.get("request-id")
            if response.status_code != 200:
                return AdminLookup(
                    url,
                    error=_error_text(response),
                    status=response.status_code,
                    request_id=request_id,
                    notes=tuple(notes),
                )
            try:
                data = response.json()
            except ValueError:
                return AdminLookup(
                    url, error="the answer is not JSON", status=200, request_id=request_id, notes=tuple(notes)
                )
            found.extend(AdminKey.from_api(obj) for obj in data.get("data", []) if isinstance(obj, Mapping))
            after = data.get("last_id")
            if not data.get("has_more") or not after:
                break
        else:
            notes.append(f"stopped after {_MAX_PAGES} pages of {page_size} keys")
        names = _workspace_names(client, url, headers)
    keys = tuple(_with_workspace(k, names) for k in found)
    notes.append(f"read {len(keys)} keys in {(time.perf_counter() - began) * 1000:.0f} ms")
    return AdminLookup(
        url, keys=keys, matches=match_keys(keys, local), status=200, request_id=request_id, notes=tuple(notes)
    )


def _workspace_names(client: httpx2.Client, url: str, headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Workspace id → name, best effort (a missing list only costs the names)."""
    try:
        response = client.get(f"{url}/v1/organizations/workspaces", params={"limit": 1000}, headers=headers)
        data = response.json() if response.status_code == 200 else {}
    except (httpx2.HTTPError, ValueError):
        return {}
    return {
        str(w["id"]): str(w.get("name") or "") for w in data.get("data", []) if isinstance(w, Mapping) and "id" in w
    }


def _with_workspace(key: AdminKey, names: Mapping[str, str]) -> AdminKey:
    from dataclasses import replace

    name = names.get(key.workspace_id or "")
    return replace(key, workspace_name=name) if name else key
