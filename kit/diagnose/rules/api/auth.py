"""What the API says about the key itself and the header it travels in: rejected, inactive, identity-linked
without a workspace, the wrong scheme, or two auth headers at once.

Part of the API rule family (``kit.diagnose.rules.api``), whose ``RULES`` keeps the registry order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from kit.diagnose.attribution import auth_verdict
from kit.diagnose.rules.api.answers import (
    _INACTIVE,
    _accepted,
    _admin_field,
    _admin_match,
    _api,
    _by_key,
    _ids,
    _inactive_fingerprints,
    _message,
    _ok,
    _report,
    _senders,
    _severity_for,
    _spread,
    _where,
    _who,
)
from kit.diagnose.rules.base import Rule, rule
from kit.diagnose.wording import join_words as _join
from kit.values import Evidence, Finding

__all__ = ["RULES", "both_auth_headers", "key_inactive", "key_rejected", "workspace_id_required", "wrong_auth_scheme"]


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
        header = [
            a
            for a in attempts
            if a.status == 401
            and a.auth_style in ("x-api-key", "both")
            and ("invalid x-api-key" in _message(a) or "invalid api key" in _message(a))
        ]
        bearer = [
            a
            for a in attempts
            if a.status == 401
            and a.auth_style == "bearer"
            and any(m in _message(a) for m in ("invalid bearer token", "invalid x-api-key", "invalid api key"))
        ]
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
            evidence_lines.append(
                f"the bytes are a well-formed {report.kind_label} ({report.length} characters, no "
                "hidden or extra characters): the API does not recognise this key"
            )
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
        lines = [
            f"the Admin API lists key '{name}' ({key_id}, hint {_admin_field(obj, 'partial_key_hint')}) "
            f"with status '{status}'; it matches local key '{report.alias}' (fp {fp})"
        ]
        created = _admin_field(obj, "created_at")
        expires = _admin_field(obj, "expires_at")
        workspace = _admin_field(obj, "workspace_id")
        facts = [
            f"created {created}" if created else "",
            f"expires {expires}" if expires else "",
            f"workspace {workspace}" if workspace else "",
        ]
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
            fix=(
                "The key has expired: create a new key in the Console (Settings → API keys)"
                if expired
                else f"Re-activate key '{name}' in the Console (Settings → API keys) or create a new key"
            )
            + where
            + ".",
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
    workspaces = sorted(
        {
            str(obj.get("workspace_id"))
            for obj in evidence.admin_keys
            if obj.get("workspace_id")
            and any(r.fingerprint == a.fingerprint for a in hits for r in [_admin_match(evidence, obj)] if r)
        }
    )
    ws = workspaces[0] if workspaces else "wrkspc_…"
    keys = sorted({_who(a) for a in hits})
    lines = [f"{a.status} '{a.error_message}' for {_who(a)} via {a.client} ({_ids([a])})" for a in hits[:3]]
    lines.append(
        f"keys: {', '.join(keys)}: identity-linked keys (personal or service-account) act as a person, "
        "so each request must say which workspace it acts in"
    )
    if workspaces:
        lines.append(f"the Admin API places the key in workspace {ws}")
    yield Finding(
        cause="workspace-id-required",
        severity=_severity_for(evidence, {a.fingerprint for a in hits}, all_failed=not _ok(evidence.attempts)),
        confidence=0.95,
        title=(
            "The anthropic-workspace-id header names no valid workspace"
            if invalid and len(invalid) == len(hits)
            else "This key is identity-linked: requests must carry the anthropic-workspace-id header"
        ),
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
        bearer = [
            a
            for a in attempts
            if a.status == 401 and a.auth_style == "bearer" and "invalid bearer token" in _message(a)
        ]
        missing = [
            a
            for a in attempts
            if a.status == 401
            and a.auth_style not in ("x-api-key", "none", "both")
            and "x-api-key header is required" in _message(a)
        ]
        bad = bearer + missing
        if not bad:
            continue
        direct = [a for a in attempts if a.auth_style == "x-api-key" and auth_verdict(a) == "accepted"]
        direct_rejected = [a for a in attempts if a.auth_style == "x-api-key" and auth_verdict(a) == "rejected"]
        if direct_rejected and not direct:
            continue  # the key itself is rejected: key-rejected says so
        lines = [
            f"{a.client} sent key {_who(a)} as {a.auth_style} → {a.status} '{a.error_message}' ({_ids([a])})"
            for a in bad[:3]
        ]
        if direct:
            lines.append(
                f"the same key in x-api-key is accepted ({direct[0].client}: {direct[0].status}, {_ids(direct)})"
            )
        else:
            lines.append("the key was not tried in x-api-key, so KeyLab cannot yet tell the key from the scheme")
        token_vars = [s for s in evidence.sources if s.variable == "ANTHROPIC_AUTH_TOKEN" and s.fingerprint == fp]
        if token_vars:
            lines.append(
                "the key sits in ANTHROPIC_AUTH_TOKEN ("
                + "; ".join(s.location for s in token_vars)
                + "), which clients send as Authorization: Bearer"
            )
        clients = sorted({a.client for a in bad})
        yield Finding(
            cause="wrong-auth-scheme",
            severity=_severity_for(evidence, [fp], all_failed=not _accepted(evidence.attempts)),
            confidence=0.95 if direct else 0.6,
            title=f"Key '{first.key_alias}' is sent in a header the endpoint does not accept for it ({_join(clients)})",
            evidence=tuple(lines),
            fix=(
                "Move the key to ANTHROPIC_API_KEY and unset ANTHROPIC_AUTH_TOKEN"
                + (f" (remove it from {_join([s.location for s in token_vars])})" if token_vars else "")
                + "; clients then send it as x-api-key. If a gateway or proxy expects the other scheme, "
                "configure the client for that scheme (or pin an SDK release that sends x-api-key)."
            ),
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
        lines = [
            f"{a.client} sent x-api-key and Authorization together with key {_who(a)} → {a.status} "
            f"'{a.error_message}' ({_ids([a])})"
            for a in both[:3]
        ]
        if alone:
            lines.append(
                f"the same key in x-api-key alone is accepted ({alone[0].client}: {alone[0].status}, {_ids(alone)})"
            )
        if senders:
            lines.append("clients that send both headers here: " + ", ".join(senders))
        lines += [f"the second header comes from {s.variable} ({s.location})" for s in extra]
        yield Finding(
            cause="both-auth-headers",
            severity=_severity_for(evidence, [fp], all_failed=not _accepted(evidence.attempts))
            if senders
            else "warning",
            confidence=0.95 if alone else 0.7,
            title="Requests that carry both x-api-key and Authorization are rejected",
            evidence=tuple(lines),
            fix=fix,
            explains=len(both),
        )
    # Clients that send both headers, when no request tried the pair: what the documentation predicts.
    senders_by_fp: dict[str, list[str]] = defaultdict(list)
    for w in evidence.winners:
        if w.header == "both" and w.fingerprint and w.fingerprint not in tried:
            senders_by_fp[w.fingerprint].append(w.client)
    for fp, clients in senders_by_fp.items():
        lines = [
            f"{_join(sorted(clients))} send{'s' if len(clients) == 1 else ''} key fp {fp} in x-api-key and "
            "Authorization together (found by asking the installed SDK with this environment)"
        ]
        lines += [f"the second header comes from {s.variable} ({s.location})" for s in extra]
        lines.append(
            "Anthropic documents that this pair is rejected with 401; no request with both headers was "
            "made here, so this is a prediction"
        )
        yield Finding(
            cause="both-auth-headers",
            severity="warning",
            confidence=0.6,
            title=f"{_join(sorted(clients))} send both x-api-key and Authorization, a pair the API rejects",
            evidence=tuple(lines),
            fix=fix,
            explains=len(clients),
        )


def _both_fix(extra: Sequence[Any]) -> str:
    variables = list(dict.fromkeys(s.variable for s in extra))
    places = _join(list(dict.fromkeys(s.location for s in extra)))
    if variables == ["ANTHROPIC_CUSTOM_HEADERS"]:
        return (
            f"Remove the x-api-key or Authorization line from ANTHROPIC_CUSTOM_HEADERS ({places}) so that only "
            "one auth header is sent."
        )
    return (
        "Unset ANTHROPIC_AUTH_TOKEN (`unset ANTHROPIC_AUTH_TOKEN`"
        + (f", and remove it from {places}" if places else "")
        + ") so that only one auth header is sent; or drop ANTHROPIC_API_KEY if the token is the "
        "credential you mean."
    )


RULES: tuple[Rule, ...] = (
    key_inactive,
    key_rejected,
    workspace_id_required,
    wrong_auth_scheme,
    both_auth_headers,
)
