"""Rules over what the API itself answered: the key, the header, the account, the request, the service.

Only answers that carry the API's signature count here (``responder == "anthropic"``): a gateway's
or a proxy's 401 is the path rules' business. Each rule reads the exact messages of
docs/reference/anthropic-auth.md §2 and §9 and names the key by alias, hint and fingerprint, never by value.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from kit.catalog import catalog
from kit.diagnose.attribution import auth_verdict
from kit.diagnose.rules.base import Rule, rule
from kit.diagnose.wording import join_words as _join
from kit.diagnose.wording import plural as _plural
from kit.keys.inspect import KeyReport
from kit.values import AttemptResult, Evidence, Finding, Severity

__all__ = ["RULES"]

_INACTIVE = ("inactive", "archived", "expired", "disabled", "revoked", "deleted")


# ---------------------------------------------------------------- helpers over the evidence


def _api(evidence: Evidence) -> list[AttemptResult]:
    """Attempts the API itself answered."""
    return [a for a in evidence.attempts
            if a.status is not None and not a.transport_error and a.responder == "anthropic"]


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
    parts = [f"{_plural(len(clients), 'client')} ({', '.join(clients)})",
             f"{_plural(len(endpoints), 'endpoint')} ({', '.join(endpoints)})"]
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
    dates = []
    for a in evidence.attempts:
        try:
            dates.append(dt.datetime.fromisoformat(a.started_at.replace("Z", "+00:00")).date())
        except (ValueError, AttributeError):
            continue
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


# ---------------------------------------------------------------- the key and the header


@rule(
    "key-rejected",
    recognises="A well-formed key (no defects in its bytes) gets the API's own 401 `invalid x-api-key` "
               "(with a `request-id`) on every client and endpoint tried, and is accepted nowhere.",
    fix="The key was revoked, deleted, expired or never issued: check its hint in the Console "
        "(Settings → API keys), create a new key, and replace the old value everywhere it is stored "
        "(KeyLab lists each place).",
)
def key_rejected(evidence: Evidence) -> Iterator[Finding]:
    inactive = _inactive_fingerprints(evidence)
    for fp, attempts in _by_key(_api(evidence)).items():
        header = [a for a in attempts if a.status == 401 and a.auth_style in ("x-api-key", "both")
                  and ("invalid x-api-key" in _message(a) or "invalid api key" in _message(a))]
        bearer = [a for a in attempts if a.status == 401 and a.auth_style == "bearer"
                  and any(m in _message(a) for m in ("invalid bearer token", "invalid x-api-key", "invalid api key"))]
        rejected = header + bearer
        if not header or _accepted(attempts) or fp in inactive:
            continue
        first = rejected[0]
        report = _report(evidence, first)
        if report is not None and not report.well_formed:
            continue  # the bytes explain it: the key rules report that
        places = _where(evidence, fp)
        senders = _senders(evidence, fp)
        evidence_lines = [
            f"key {_who(first)}: 401 authentication_error 'invalid x-api-key' on {len(rejected)} of "
            f"{len(attempts)} requests, across {_spread(rejected)}",
            f"the API's own answer: {_ids(rejected)}",
        ]
        if report is not None:
            evidence_lines.append(f"the bytes are a well-formed {report.kind_label} ({report.length} characters, no "
                                  "hidden or extra characters): the API does not recognise this key")
        if places:
            evidence_lines.append("stored in: " + "; ".join(places))
        if senders:
            evidence_lines.append("sent by: " + ", ".join(senders))
        spread = len({a.client for a in rejected}) + len({a.endpoint for a in rejected})
        where = f" in {_join(places)}" if places else ""
        yield Finding(
            cause="key-rejected",
            severity=_severity_for(evidence, [fp], all_failed=not _accepted(evidence.attempts)),
            confidence=0.9 if spread >= 3 else 0.8,
            title=f"The API rejects key '{first.key_alias}' ({first.hint}): revoked, deleted, expired or never issued",
            evidence=tuple(evidence_lines),
            fix=f"Look for hint {first.hint} in the Console (Settings → API keys). If it is not listed as active, "
                f"create a new key and replace this value{where}; if you have a newer key, remove this one "
                "so nothing can pick it up again.",
            explains=len(rejected),
        )


@rule(
    "key-inactive",
    recognises="The Admin API (`GET /v1/organizations/api_keys`) lists the local key, matched by its "
               "`partial_key_hint`, with status `inactive`, `archived` or `expired`.",
    fix="Re-activate the key in the Console (Settings → API keys) if it was disabled by mistake, or use an "
        "active key and remove the old one from every place it is stored.",
)
def key_inactive(evidence: Evidence) -> Iterator[Finding]:
    for obj in evidence.admin_keys:
        status = str(obj.get("status", "")).lower()
        if status not in _INACTIVE:
            continue
        report = _admin_match(evidence, obj)
        if report is None:
            continue
        fp = report.fingerprint
        rejected = [a for a in _api(evidence) if a.fingerprint == fp and a.status == 401]
        name = _admin_field(obj, "name") or "(no name)"
        key_id = _admin_field(obj, "id") or "?"
        lines = [f"the Admin API lists key '{name}' ({key_id}, hint {_admin_field(obj, 'partial_key_hint')}) "
                 f"with status '{status}'; it matches local key '{report.alias}' (fp {fp})"]
        created = _admin_field(obj, "created_at")
        expires = _admin_field(obj, "expires_at")
        workspace = _admin_field(obj, "workspace_id")
        facts = [f"created {created}" if created else "", f"expires {expires}" if expires else "",
                 f"workspace {workspace}" if workspace else ""]
        if any(facts):
            lines.append(", ".join(f for f in facts if f))
        if rejected:
            lines.append(f"the API answers 401 'invalid x-api-key' to it ({_ids(rejected)})")
        places = _where(evidence, fp)
        if places:
            lines.append("stored in: " + "; ".join(places))
        expired = status == "expired"
        where = f" and replace it in {_join(places)}" if places else ""
        yield Finding(
            cause="key-inactive",
            severity=_severity_for(evidence, [fp], all_failed=not _accepted(evidence.attempts)),
            confidence=0.97,
            title=f"Key '{report.alias}' ({report.hint}) is {status} in the organization's key list",
            evidence=tuple(lines),
            fix=("The key has expired: create a new key in the Console (Settings → API keys)" if expired else
                 f"Re-activate key '{name}' in the Console (Settings → API keys) or create a new key") + where + ".",
            explains=len(rejected) + 1,
        )


@rule(
    "workspace-id-required",
    recognises="400 `anthropic-workspace-id is required when authenticating with an identity-linked API key…` "
               "(or the header's value is not a valid workspace ID).",
    fix="Send the header `anthropic-workspace-id: wrkspc_…` with the id of the workspace the request acts in "
        "(Python SDK: `default_headers={...}`; curl: `-H`).",
)
def workspace_id_required(evidence: Evidence) -> Iterator[Finding]:
    hits = [a for a in _api(evidence) if "anthropic-workspace-id" in _message(a)]
    if not hits:
        return
    invalid = [a for a in hits if "valid workspace" in _message(a)]
    workspaces = sorted({str(obj.get("workspace_id")) for obj in evidence.admin_keys
                         if obj.get("workspace_id") and any(r.fingerprint == a.fingerprint for a in hits
                                                            for r in [_admin_match(evidence, obj)] if r)})
    ws = workspaces[0] if workspaces else "wrkspc_…"
    keys = sorted({_who(a) for a in hits})
    lines = [f"{a.status} '{a.error_message}' for {_who(a)} via {a.client} ({_ids([a])})" for a in hits[:3]]
    lines.append(f"keys: {', '.join(keys)}: identity-linked keys (personal or service-account) act as a person, "
                 "so each request must say which workspace it acts in")
    if workspaces:
        lines.append(f"the Admin API places the key in workspace {ws}")
    yield Finding(
        cause="workspace-id-required",
        severity=_severity_for(evidence, {a.fingerprint for a in hits}, all_failed=not _ok(evidence.attempts)),
        confidence=0.95,
        title=("The anthropic-workspace-id header names no valid workspace" if invalid and len(invalid) == len(hits)
               else "This key is identity-linked: requests must carry the anthropic-workspace-id header"),
        evidence=tuple(lines),
        fix=f"Send `anthropic-workspace-id: {ws}` on every request (Python SDK: "
            f"`anthropic.Anthropic(default_headers={{'anthropic-workspace-id': '{ws}'}})`; curl: "
            f"`-H 'anthropic-workspace-id: {ws}'`); find the id in the Console under Settings → Workspaces.",
        explains=len(hits),
    )


@rule(
    "wrong-auth-scheme",
    recognises="401 `Invalid bearer token` when an API key travels as `Authorization: Bearer` (while `x-api-key` "
               "works or is untried), or 401 `x-api-key header is required` although a key was sent in another "
               "header.",
    fix="Send the API key in the `x-api-key` header: set `ANTHROPIC_API_KEY` (not `ANTHROPIC_AUTH_TOKEN`), or "
        "pin an SDK release that sends `x-api-key` when the endpoint or gateway does not accept Bearer.",
)
def wrong_auth_scheme(evidence: Evidence) -> Iterator[Finding]:
    api = _api(evidence)
    by_key = _by_key(api)
    for fp, attempts in by_key.items():
        first = attempts[0]
        report = _report(evidence, first)
        if report is not None and report.role == "oauth":
            continue  # an OAuth token: the key rules say what it is
        bearer = [a for a in attempts if a.status == 401 and a.auth_style == "bearer"
                  and "invalid bearer token" in _message(a)]
        missing = [a for a in attempts if a.status == 401 and a.auth_style not in ("x-api-key", "none", "both")
                   and "x-api-key header is required" in _message(a)]
        bad = bearer + missing
        if not bad:
            continue
        direct = [a for a in attempts if a.auth_style == "x-api-key" and auth_verdict(a) == "accepted"]
        direct_rejected = [a for a in attempts if a.auth_style == "x-api-key" and auth_verdict(a) == "rejected"]
        if direct_rejected and not direct:
            continue  # the key itself is rejected: key-rejected says so
        lines = [f"{a.client} sent key {_who(a)} as {a.auth_style} → {a.status} '{a.error_message}' ({_ids([a])})"
                 for a in bad[:3]]
        if direct:
            lines.append(f"the same key in x-api-key is accepted ({direct[0].client}: {direct[0].status}, "
                         f"{_ids(direct)})")
        else:
            lines.append("the key was not tried in x-api-key, so KeyLab cannot yet tell the key from the scheme")
        token_vars = [s for s in evidence.sources if s.variable == "ANTHROPIC_AUTH_TOKEN" and s.fingerprint == fp]
        if token_vars:
            lines.append("the key sits in ANTHROPIC_AUTH_TOKEN (" + "; ".join(s.location for s in token_vars)
                         + "), which clients send as Authorization: Bearer")
        clients = sorted({a.client for a in bad})
        yield Finding(
            cause="wrong-auth-scheme",
            severity=_severity_for(evidence, [fp], all_failed=not _accepted(evidence.attempts)),
            confidence=0.95 if direct else 0.6,
            title=f"Key '{first.key_alias}' is sent in a header the endpoint does not accept for it "
                  f"({_join(clients)})",
            evidence=tuple(lines),
            fix=("Move the key to ANTHROPIC_API_KEY and unset ANTHROPIC_AUTH_TOKEN"
                 + (f" (remove it from {_join([s.location for s in token_vars])})" if token_vars else "")
                 + "; clients then send it as x-api-key. If a gateway or proxy expects the other scheme, "
                   "configure the client for that scheme (or pin an SDK release that sends x-api-key)."),
            explains=len(bad),
        )


@rule(
    "both-auth-headers",
    recognises="A request carrying both `x-api-key` and `Authorization` is rejected with 401 while the same "
               "key in `x-api-key` alone is accepted (newer SDKs send both when both variables are set).",
    fix="Unset one of the two variables (usually `ANTHROPIC_AUTH_TOKEN`) so that only one auth header is sent.",
)
def both_auth_headers(evidence: Evidence) -> Iterator[Finding]:
    extra = [s for s in evidence.sources if s.variable in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_CUSTOM_HEADERS")]
    fix = _both_fix(extra)
    tried: set[str] = set()
    for fp, attempts in _by_key(_api(evidence)).items():
        both = [a for a in attempts if a.auth_style == "both" and a.status == 401]
        if not both:
            continue
        tried.add(fp)
        alone = [a for a in attempts if a.auth_style == "x-api-key" and auth_verdict(a) == "accepted"]
        alone_rejected = [a for a in attempts if a.auth_style == "x-api-key" and auth_verdict(a) == "rejected"]
        if alone_rejected and not alone:
            continue
        senders = sorted({w.client for w in evidence.winners if w.header == "both"})
        lines = [f"{a.client} sent x-api-key and Authorization together with key {_who(a)} → {a.status} "
                 f"'{a.error_message}' ({_ids([a])})" for a in both[:3]]
        if alone:
            lines.append(f"the same key in x-api-key alone is accepted ({alone[0].client}: {alone[0].status}, "
                         f"{_ids(alone)})")
        if senders:
            lines.append("clients that send both headers here: " + ", ".join(senders))
        lines += [f"the second header comes from {s.variable} ({s.location})" for s in extra]
        yield Finding(
            cause="both-auth-headers",
            severity=_severity_for(evidence, [fp], all_failed=not _accepted(evidence.attempts)) if senders
            else "warning",
            confidence=0.95 if alone else 0.7,
            title="Requests that carry both x-api-key and Authorization are rejected",
            evidence=tuple(lines), fix=fix, explains=len(both),
        )
    # Clients that send both headers, when no request tried the pair: what the documentation predicts.
    senders_by_fp: dict[str, list[str]] = defaultdict(list)
    for w in evidence.winners:
        if w.header == "both" and w.fingerprint and w.fingerprint not in tried:
            senders_by_fp[w.fingerprint].append(w.client)
    for fp, clients in senders_by_fp.items():
        lines = [f"{_join(sorted(clients))} send{'s' if len(clients) == 1 else ''} key fp {fp} in x-api-key and "
                 "Authorization together (found by asking the installed SDK with this environment)"]
        lines += [f"the second header comes from {s.variable} ({s.location})" for s in extra]
        lines.append("Anthropic documents that this pair is rejected with 401; no request with both headers was "
                     "made here, so this is a prediction")
        yield Finding(
            cause="both-auth-headers", severity="warning", confidence=0.6,
            title=f"{_join(sorted(clients))} send both x-api-key and Authorization, a pair the API rejects",
            evidence=tuple(lines), fix=fix, explains=len(clients),
        )


def _both_fix(extra: Sequence[Any]) -> str:
    variables = list(dict.fromkeys(s.variable for s in extra))
    places = _join(list(dict.fromkeys(s.location for s in extra)))
    if variables == ["ANTHROPIC_CUSTOM_HEADERS"]:
        return (f"Remove the x-api-key or Authorization line from ANTHROPIC_CUSTOM_HEADERS ({places}) so that only "
                "one auth header is sent.")
    return ("Unset ANTHROPIC_AUTH_TOKEN (`unset ANTHROPIC_AUTH_TOKEN`" + (f", and remove it from {places}" if places
            else "") + ") so that only one auth header is sent; or drop ANTHROPIC_API_KEY if the token is the "
            "credential you mean.")


# ---------------------------------------------------------------- the account


def _account_rule(
    evidence: Evidence, cause: str, hits: Sequence[AttemptResult], title: str, fix: str, why: str,
) -> Iterator[Finding]:
    if not hits:
        return
    orgs = sorted({a.organization_id for a in hits if a.organization_id})
    keys = sorted({_who(a) for a in hits})
    lines = [f"{hits[0].status} {hits[0].error_type}: '{hits[0].error_message}'",
             f"for {_plural(len(keys), 'key')}: {', '.join(keys)}; {_ids(hits)}",
             why]
    if orgs:
        lines.append("organization: " + ", ".join(orgs))
    all_failed = not _ok(evidence.attempts)
    yield Finding(cause=cause, severity=_severity_for(evidence, {a.fingerprint for a in hits}, all_failed),
                  confidence=0.97, title=title, evidence=tuple(lines), fix=fix, explains=len(hits))


@rule(
    "credit-exhausted",
    recognises="400 `Your credit balance is too low to access the Anthropic API…` (or 402 `billing_error`): "
               "the key authenticated; the organization has no credit.",
    fix="Buy credits or fix the payment method in the Console (Settings → Billing); the key itself is fine.",
)
def credit_exhausted(evidence: Evidence) -> Iterator[Finding]:
    hits = [a for a in _api(evidence) if "credit balance" in _message(a)
            or (a.status == 402 or a.error_type == "billing_error")]
    yield from _account_rule(
        evidence, "credit-exhausted", hits,
        "The organization's credit balance is too low: the key is valid, the account cannot pay",
        "Add credits in the Console (Settings → Billing, 'Plans & Billing'); requests work again at once. "
        "Do not create new keys: they share the same balance.",
        "the API knows the key (this check runs after authentication), so the key is not the problem")


@rule(
    "org-disabled",
    recognises="400 `This organization has been disabled.`: the key authenticated into an organization "
               "that is disabled.",
    fix="Contact Anthropic support about the organization; if another organization was expected, a key "
        "from the wrong organization is winning (check which key your clients send).",
)
def org_disabled(evidence: Evidence) -> Iterator[Finding]:
    hits = [a for a in _api(evidence) if "organization has been disabled" in _message(a)]
    senders = sorted({w.client for a in hits for w in evidence.winners if w.fingerprint == a.fingerprint})
    extra = f" (sent by {_join(senders)})" if senders else ""
    yield from _account_rule(
        evidence, "org-disabled", hits,
        "The key belongs to an organization that has been disabled",
        "Contact Anthropic support (support.anthropic.com) about the organization. If you expected another "
        f"organization, the key your clients send{extra} is from the wrong one: use a key from the right "
        "organization and remove the other from your environment.",
        "the key authenticated; the organization behind it is disabled")


_RESUME = re.compile(r"regain access on ([0-9]{4}-[0-9]{2}-[0-9]{2}(?: at [0-9:]+ UTC)?)")


@rule(
    "spend-limit-reached",
    recognises="400 `You have reached your specified (workspace) API usage limits…`, or 429 with "
               "`enforced_spend_limit_reached` / a monthly spend-limit message.",
    fix="Raise the spend limit in the Console (Settings → Limits) or wait until the date the message names.",
)
def spend_limit_reached(evidence: Evidence) -> Iterator[Finding]:
    hits = [a for a in _api(evidence) if "usage limits" in _message(a) or "spend limit" in _message(a)
            or "enforced_spend_limit_reached" in _message(a)]
    resume = next((m.group(1) for a in hits for m in [_RESUME.search(a.error_message or "")] if m), None)
    workspace = any("workspace api usage" in _message(a) for a in hits)
    when = f" or wait until {resume}" if resume else " or wait for the limit to reset (00:00 UTC on the 1st)"
    yield from _account_rule(
        evidence, "spend-limit-reached", hits,
        ("The workspace's" if workspace else "The organization's") + " spend limit is reached",
        f"Raise the {'workspace' if workspace else 'organization'} spend limit in the Console (Settings → Limits)"
        f"{when}. The key is valid.",
        "the key authenticated; a spend limit stops it")


@rule(
    "permission-denied",
    recognises="403 `permission_error` from the API: the key authenticated but may not do this "
               "(model, workspace or endpoint).",
    fix="Ask an organization admin for access (Console → Settings → Members / Workspaces), or use a key of a "
        "workspace that may call this model.",
)
def permission_denied(evidence: Evidence) -> Iterator[Finding]:
    hits = [a for a in _api(evidence) if a.status == 403 and a.error_type == "permission_error"]
    if not hits:
        return
    what = sorted({a.model or f"{a.method} {a.endpoint}" for a in hits})
    yield from _account_rule(
        evidence, "permission-denied", hits,
        f"The key authenticates but is not allowed to use {_join(what)}",
        "Ask an organization admin to grant this key's workspace access to "
        f"{_join(what)} (Console → Settings → Workspaces), or use a key that has it.",
        "authentication passed (403, not 401): this is a permission, not a key problem")


# ---------------------------------------------------------------- transient answers


def _transient(
    evidence: Evidence, cause: str, hits: Sequence[AttemptResult], title: str, fix: str,
) -> Iterator[Finding]:
    if not hits:
        return
    api = _api(evidence)
    others = [a for a in api if a not in hits and auth_verdict(a) != "undecided"]
    only = not others
    waits = [a.retry_wait_s for a in hits if a.retry_wait_s]
    lines = [f"{len(hits)} of {len(api)} API answers: {hits[0].status} {hits[0].error_type} "
             f"'{(hits[0].error_message or '')[:90]}' ({_ids(hits)})",
             f"seen on {_spread(hits)}"]
    if waits:
        lines.append(f"retry-after honoured: waited {sum(waits):.1f} s in total (longest {max(waits):.1f} s)")
    if not only:
        lines.append(f"{len(others)} other answers got through, so the key itself works")
    yield Finding(cause=cause, severity="blocker" if only else "warning", confidence=0.9 if only else 0.7,
                  title=title, evidence=tuple(lines), fix=fix, explains=len(hits))


@rule(
    "rate-limited",
    recognises="429 `rate_limit_error` with `retry-after` and `anthropic-ratelimit-*` headers (not a spend limit).",
    fix="Wait for `retry-after` seconds and send fewer requests per minute (or ask for a higher tier); the key "
        "authenticates.",
)
def rate_limited(evidence: Evidence) -> Iterator[Finding]:
    hits = [a for a in _api(evidence) if a.status == 429 and "spend limit" not in _message(a)
            and "enforced_spend_limit_reached" not in _message(a)]
    yield from _transient(evidence, "rate-limited", hits,
                          "The API is rate-limiting these requests (429): the key is valid, the pace is not",
                          "Retry after the `retry-after` delay and lower the request rate (the SDKs retry 429 "
                          "twice by default); for steady load, ask for a higher rate-limit tier.")


@rule(
    "overloaded",
    recognises="529 `overloaded_error`: the service is overloaded for everyone, not a quota.",
    fix="Retry later with backoff; nothing is wrong with the key or the account.",
)
def overloaded(evidence: Evidence) -> Iterator[Finding]:
    hits = [a for a in _api(evidence) if a.status == 529 or a.error_type == "overloaded_error"]
    yield from _transient(evidence, "overloaded", hits, "The API is overloaded (529): a temporary service state",
                          "Retry later with exponential backoff (the SDKs retry 529 by default); nothing is wrong "
                          "with the key. Check status.anthropic.com if it lasts.")


@rule(
    "server-error",
    recognises="500 `api_error` or 504 `timeout_error` from the API.",
    fix="Retry with backoff; if it persists, report it to Anthropic support with the request ids.",
)
def server_error(evidence: Evidence) -> Iterator[Finding]:
    hits = [a for a in _api(evidence) if a.status in (500, 502, 503, 504)
            or a.error_type in ("api_error", "timeout_error")]
    yield from _transient(evidence, "server-error", hits, "The API answered with a server error (5xx)",
                          "Retry with backoff (the SDKs retry 5xx twice by default); if it persists, send the "
                          "request ids above to Anthropic support.")


# ---------------------------------------------------------------- the request


@rule(
    "model-unavailable",
    recognises="404 `not_found_error` `model: <id>` from the API, or a requested model the catalog lists as "
               "retired (with its retirement date and successor); an unknown id gets the closest known one.",
    fix="Change the model id in your code or config to the successor KeyLab names (or one `GET /v1/models` lists).",
)
def model_unavailable(evidence: Evidence) -> Iterator[Finding]:
    cat = catalog()
    as_of = _as_of(evidence)
    api = _api(evidence)
    not_found: dict[str, list[AttemptResult]] = defaultdict(list)
    for a in api:
        if a.status == 404 and _message(a).startswith("model:"):
            model = (a.error_message or "").split(":", 1)[1].strip() or (a.model or "?")
            not_found[model].append(a)
    ok_models = {a.model for a in _ok(api) if a.model}
    retired_requested = [m for m in evidence.models_requested
                         if (info := cat.model(m)) is not None and info.is_retired(as_of) and m not in ok_models]
    models = list(dict.fromkeys([*not_found, *retired_requested]))
    if not models:
        return
    lines: list[str] = []
    swaps: list[str] = []
    current = False
    for model in models:
        info = cat.model(model)
        seen = not_found.get(model, [])
        answer = f"404 'model: {model}' ({_ids(seen)})" if seen else "not requested yet (auth failed first)"
        if info and info.retired:
            lines.append(f"{model} ({info.display_name}) was retired on {info.retired.isoformat()}: {answer}")
            if info.successor:
                swaps.append(f"{model} → {info.successor}")
        elif info is None:
            known = [m.id for m in cat.models if not m.is_retired(as_of)]
            close = difflib.get_close_matches(model, known, n=1, cutoff=0.6)
            lines.append(f"{model} is not a model id KeyLab knows (misspelled?): {answer}"
                         + (f"; closest current id: {close[0]}" if close else ""))
            if close:
                swaps.append(f"{model} → {close[0]}")
        else:
            lines.append(f"{model}: {answer}, though the catalog does not list it as retired")
        if seen and any(_is_winner(evidence, a.fingerprint) for a in seen):
            current = True
    if not current and retired_requested and not _accepted(api):
        lines.append("the key your clients send is not accepted yet, so these models fail only after the key is "
                     "fixed")
    elif not current and not_found:
        lines.append("seen with a key that works but that your clients do not send: they will fail once they "
                     "send a working key")
    title_models = _join(models[:3]) + (f" and {len(models) - 3} more" if len(models) > 3 else "")
    retired_count = sum(1 for m in models if (i := cat.model(m)) is not None and i.retired)
    if retired_count == len(models):
        title = f"Retired model{'s' if len(models) > 1 else ''}: {title_models} (the API answers 404)"
    else:
        title = f"The API does not serve {title_models} (404 model not found)"
    yield Finding(
        cause="model-unavailable",
        severity="blocker" if current else "warning",
        confidence=0.97 if not_found else 0.85,
        title=title,
        evidence=tuple(lines),
        fix=("Change the model id in your code or configuration: " + "; ".join(swaps) + "."
             if swaps else "Use a model id that `GET /v1/models` lists for your key."),
        explains=sum(len(v) for v in not_found.values()) + len(retired_requested),
    )


@rule(
    "version-invalid",
    recognises="400 `anthropic-version: header is required` or `anthropic-version: \"…\" is not a valid version`.",
    fix="Send `anthropic-version: 2023-06-01` (or another version the API lists).",
)
def version_invalid(evidence: Evidence) -> Iterator[Finding]:
    api = _api(evidence)
    hits = [a for a in api if a.status == 400 and "anthropic-version" in _message(a)]
    if not hits:
        return
    bad = sorted({a.api_version or "(none)" for a in hits})
    good = sorted({a.api_version for a in _accepted(api) if a.api_version})
    valid = catalog().versions
    lines = [f"{a.client} with anthropic-version {a.api_version or '(missing)'} → 400 '{a.error_message}' "
             f"({_ids([a])})" for a in hits[:3]]
    if good:
        lines.append(f"accepted with version {_join(good)}")
    lines.append(f"versions the API accepts: {_join(list(valid))}")
    stuck = sorted({a.client for a in hits} - {a.client for a in _accepted(api)})
    if stuck:
        lines.append(f"{_join(stuck)} got only version errors: {'it sends' if len(stuck) == 1 else 'they send'} a "
                     "version this API does not accept, so every request from it fails")
    yield Finding(
        cause="version-invalid",
        severity="blocker" if not good or stuck else "warning",
        confidence=0.97,
        title=f"anthropic-version {_join(bad)} is not accepted",
        evidence=tuple(lines),
        fix=f"Send the header `anthropic-version: {catalog().default_version}` (valid: {_join(list(valid))}); "
            "the official SDKs set it for you.",
        explains=len(hits),
    )


# ---------------------------------------------------------------- nothing wrong


def _official(url: str) -> bool:
    return url.rstrip("/") == catalog().official_base_url.rstrip("/")


_STYLE = {"x-api-key": "x-api-key", "authorization": "bearer", "bearer": "bearer", "both": "both"}
_BILLED = ("/v1/messages", "/v1/messages/count_tokens")


def _style(header: str | None) -> str | None:
    return _STYLE.get(header.lower()) if header else None


@rule(
    "healthy",
    recognises="A key that the user's clients really send (their per-client winner) gets 200 from the API "
               "itself, in the header style those clients use, at the base URL they use.",
    fix="Nothing to fix.",
)
def healthy(evidence: Evidence) -> Iterator[Finding]:
    ok = _ok(_api(evidence))
    if not ok:
        return
    winners = [w for w in evidence.winners if w.fingerprint]
    unverified: list[str] = []
    if winners:
        probed_urls = {a.base_url.rstrip("/") for a in ok}
        good: list[AttemptResult] = []
        clients: list[str] = []
        for w in winners:
            if not (w.base_url.rstrip("/") in probed_urls or _official(w.base_url)):
                unverified.append(f"{w.client} sends to {w.base_url}, which was not probed")
                continue
            style = _style(w.header)
            match = [a for a in ok if a.fingerprint == w.fingerprint and (style is None or a.auth_style == style)]
            if match:
                good += [a for a in match if a not in good]
                clients.append(w.client)
            elif any(a.fingerprint == w.fingerprint for a in ok):
                unverified.append(f"{w.client} sends the key as {w.header}, and no request in that style was made")
    else:
        good, clients = ok, []
    if not good:
        return
    first = good[0]
    keys = sorted({_who(a) for a in good})
    lines = [f"{_join(keys)}: {first.status} on {_spread(good)}; {_ids(good)}"]
    if clients:
        lines.append(f"the clients that send it this way: {', '.join(sorted(set(clients)))}")
    orgs = sorted({a.organization_id for a in good if a.organization_id})
    if orgs:
        lines.append("organization: " + ", ".join(orgs))
    billed = [a for a in good if a.endpoint in _BILLED]
    if billed:
        lines.append(f"billing checked: {billed[0].method} {billed[0].endpoint} answers {billed[0].status} (credit, "
                     "spend limits and organization status pass)")
    else:
        lines.append("billing not checked: no count_tokens request was made; name the model your app calls with "
                     "--model to check credit and spend limits too")
    lines += [f"not verified: {u}" for u in unverified]
    failing = [a for a in _api(evidence) if a.fingerprint == first.fingerprint and a not in ok]
    confidence = 0.95 if billed and not failing and not unverified else 0.8
    yield Finding(
        cause="healthy",
        severity="info",
        confidence=confidence,
        title=f"Key '{first.key_alias}' ({first.hint}) works end to end through the path your clients take",
        evidence=tuple(lines),
        fix="Nothing to fix for this key.",
        explains=len(good),
    )


RULES: tuple[Rule, ...] = (
    key_inactive,
    key_rejected,
    workspace_id_required,
    wrong_auth_scheme,
    both_auth_headers,
    credit_exhausted,
    org_disabled,
    spend_limit_reached,
    permission_denied,
    rate_limited,
    overloaded,
    server_error,
    model_unavailable,
    version_invalid,
    healthy,
)
