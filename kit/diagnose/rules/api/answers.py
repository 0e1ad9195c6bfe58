"""Reading the API's own answers out of the evidence: which attempts it answered, for which key, seen where.

The API rules (``auth``, ``account``, ``transient``, ``request``, ``nothing_wrong``) share these helpers; only
answers that carry the API's signature (``responder == "anthropic"``) count, and a key is named by alias,
hint and fingerprint, never by value.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kit.diagnose.attribution import auth_verdict
from kit.diagnose.wording import plural as _plural
from kit.keys.report import KeyReport
from kit.values import AttemptResult, Evidence, Severity

# The helpers are private to the API rule family (kit/diagnose/rules/api/): no code outside it imports them.
__all__: list[str] = []

_INACTIVE = ("inactive", "archived", "expired", "disabled", "revoked", "deleted")


def _api(evidence: Evidence) -> list[AttemptResult]:
    """Attempts the API itself answered."""
    return [
        a for a in evidence.attempts if a.status is not None and not a.transport_error and a.responder == "anthropic"
    ]


def _key_id(a: AttemptResult) -> str:
    return a.fingerprint or a.key_alias


def _by_key(attempts: Iterable[AttemptResult]) -> dict[str, list[AttemptResult]]:
    out: dict[str, list[AttemptResult]] = defaultdict(list)
    for a in attempts:
        out[_key_id(a)].append(a)
    return dict(out)


def _report(evidence: Evidence, a: AttemptResult) -> KeyReport | None:
    for report in evidence.keys:
        if report.fingerprint == a.fingerprint:
            return report
    for report in evidence.keys:
        if report.alias == a.key_alias:
            return report
    return None


def _who(a: AttemptResult) -> str:
    return f"'{a.key_alias}' ({a.hint}, fp {a.fingerprint})"


def _where(evidence: Evidence, fp: str) -> list[str]:
    """Where a key with this fingerprint is stored, for people (sources first, then clients that send it)."""
    places = []
    for s in evidence.sources:
        if s.fingerprint == fp:
            var = f"{s.variable} in " if s.variable else ""
            places.append(f"{var}{s.location}")
    return places


def _senders(evidence: Evidence, fp: str) -> list[str]:
    return sorted({w.client for w in evidence.winners if w.fingerprint == fp})


def _ids(attempts: Sequence[AttemptResult], limit: int = 3) -> str:
    ids = []
    for a in attempts:
        if a.request_id and a.request_id not in ids:
            ids.append(a.request_id)
    if not ids:
        return "no request id"
    more = f" and {len(ids) - limit} more" if len(ids) > limit else ""
    return "request id" + ("s " if len(ids) > 1 else " ") + ", ".join(ids[:limit]) + more


def _spread(attempts: Sequence[AttemptResult]) -> str:
    """``3 clients (curl, httpx2, sdk-python), 2 endpoints`` — how widely an answer was seen."""
    clients = sorted({a.client for a in attempts})
    endpoints = sorted({f"{a.method} {a.endpoint}" for a in attempts})
    models = sorted({a.model for a in attempts if a.model})
    versions = sorted({a.api_version for a in attempts if a.api_version})
    parts = [
        f"{_plural(len(clients), 'client')} ({', '.join(clients)})",
        f"{_plural(len(endpoints), 'endpoint')} ({', '.join(endpoints)})",
    ]
    if models:
        parts.append(f"{_plural(len(models), 'model')}")
    if versions:
        parts.append(f"{_plural(len(versions), 'version')} ({', '.join(versions)})")
    return ", ".join(parts)


def _message(a: AttemptResult) -> str:
    return (a.error_message or "").lower()


def _is_winner(evidence: Evidence, fp: str) -> bool:
    """Does some client really send this key? With no winner evidence, every key counts."""
    if not any(w.fingerprint for w in evidence.winners):
        return True
    return any(w.fingerprint == fp for w in evidence.winners)


def _accepted(attempts: Iterable[AttemptResult]) -> list[AttemptResult]:
    return [a for a in attempts if auth_verdict(a) == "accepted"]


def _ok(attempts: Iterable[AttemptResult]) -> list[AttemptResult]:
    return [a for a in attempts if a.status is not None and 200 <= a.status < 300]


def _as_of(evidence: Evidence) -> dt.date:
    """The date the evidence speaks for: the latest attempt, else today."""
    dates = [started.date() for a in evidence.attempts if (started := a.started) is not None]
    return max(dates) if dates else dt.datetime.now(dt.UTC).date()


def _admin_field(obj: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = obj.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def _admin_match(evidence: Evidence, obj: Mapping[str, Any]) -> KeyReport | None:
    """The local key an Admin API key object describes: by the fields kit.probe.admin adds, else by hint."""
    fp = _admin_field(obj, "fingerprint", "local_fingerprint", "key_fingerprint")
    alias = _admin_field(obj, "alias", "local_alias", "key_alias")
    hint = _admin_field(obj, "partial_key_hint")
    for report in evidence.keys:
        if fp and report.fingerprint == fp:
            return report
    for report in evidence.keys:
        if alias and report.alias == alias:
            return report
    for report in evidence.keys:
        if hint and (report.hint == hint or report.repaired_hint == hint):
            return report
    return None


def _inactive_fingerprints(evidence: Evidence) -> set[str]:
    out = set()
    for obj in evidence.admin_keys:
        status = str(obj.get("status", "")).lower()
        if status in _INACTIVE:
            report = _admin_match(evidence, obj)
            if report is not None:
                out.add(report.fingerprint)
            fp = _admin_field(obj, "fingerprint", "local_fingerprint", "key_fingerprint")
            if fp:
                out.add(fp)
    return out


def _severity_for(evidence: Evidence, fps: Iterable[str], all_failed: bool) -> Severity:
    """Blocker when a key some client really sends is stopped by this (or nothing else got through)."""
    if all_failed or any(_is_winner(evidence, fp) for fp in fps):
        return "blocker"
    return "warning"
