"""Rules about what another provider's API answered about a key and its account (OpenAI, Gemini, compatible ones)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from kit.diagnose.rules.base import rule
from kit.providers import ProviderProfile, provider, provider_error
from kit.values import AttemptResult, Evidence, Finding


def _profile(evidence: Evidence) -> ProviderProfile | None:
    if evidence.provider == "anthropic":
        return None
    try:
        return provider(evidence.provider)
    except Exception:  # an unknown name in hand-built evidence: no provider rule applies
        return None


def _answers(evidence: Evidence) -> list[AttemptResult]:
    """Attempts the provider's own API answered."""
    return [
        a
        for a in evidence.attempts
        if a.status is not None and not a.transport_error and a.responder == evidence.provider
    ]


def _who(a: AttemptResult) -> str:
    return f"'{a.key_alias}' ({a.hint}, fingerprint {a.fingerprint})"


def _line(a: AttemptResult) -> str:
    rid = f", request id {a.request_id}" if a.request_id else ""
    return f"{_who(a)}: {a.method} {a.endpoint} → {a.status} {a.error_type or ''}{rid}".rstrip()


def _sent(evidence: Evidence) -> set[str]:
    return {w.fingerprint for w in evidence.winners if w.fingerprint}


def _codes(*error_ids: str) -> frozenset[str]:
    """The codes or reasons of these provider_errors.toml entries (what ``error_type`` holds)."""
    return frozenset(provider_error(e).code or provider_error(e).type for e in error_ids)


def _matching(evidence: Evidence, codes: Iterable[str]) -> list[AttemptResult]:
    wanted = set(codes)
    return [a for a in _answers(evidence) if a.error_type in wanted]


def _finding(
    cause: str,
    title: str,
    hits: Sequence[AttemptResult],
    fix: str,
    extra: Sequence[str] = (),
    confidence: float = 0.9,
    provider_name: str = "",
) -> Finding:
    lines = [_line(a) for a in hits[:6]]
    if hits and hits[0].error_message:
        lines.append(f"the API said: {hits[0].error_message}")
    return Finding(
        cause=cause,
        severity="blocker",
        confidence=confidence,
        title=title,
        evidence=(*lines, *extra),
        fix=fix,
        explains=len(hits),
        provider=provider_name,
    )


# ---------------------------------------------------------------- the key and its account


@rule(
    "key-rejected",
    recognises="OpenAI 401 invalid_api_key, Gemini 400 API_KEY_INVALID (not found, expired), an "
    "OpenAI-compatible provider's 401, from the provider's own API",
    fix="create a new key and put it where the client reads it",
)
def provider_key_rejected(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    codes = {"invalid_api_key", "API_KEY_INVALID"}
    hits = [
        a
        for a in _answers(evidence)
        if a.error_type in codes
        or (a.status == 401 and p.protocol == "openai" and p.name != "openai" and not a.error_type)
    ]
    for fp in dict.fromkeys(a.fingerprint for a in hits):
        mine = [a for a in hits if a.fingerprint == fp]
        var = p.key_vars()[0]
        yield _finding(
            "key-rejected",
            f"{p.label} refuses key '{mine[0].key_alias}' ({mine[0].hint}): revoked, deleted, expired or never issued",
            mine,
            f"Create a new key in the {p.label} console and put it in {var} where your client reads it; "
            "delete the old one from every file that still holds it.",
            provider_name=p.name,
        )


@rule(
    "credit-exhausted",
    "org-disabled",
    "region-blocked",
    recognises="OpenAI 429 insufficient_quota or billing_not_active, 401 account_deactivated, 403 "
    "unsupported_country_region_territory; Gemini 400 FAILED_PRECONDITION 'User location is not "
    "supported'",
    fix="billing, the account's status, or where the request comes from",
)
def provider_account(evidence: Evidence) -> Iterator[Finding]:
    p = _profile(evidence)
    if p is None:
        return
    table = (
        (
            "credit-exhausted",
            {"insufficient_quota", "billing_not_active"},
            "has no quota or billing left",
            "Add credit or a payment method in the billing settings of the organization the key belongs to.",
        ),
        (
            "org-disabled",
            {"account_deactivated"},
            "belongs to a deactivated account",
            "Contact the provider's help center about the account, or use a key of an active organization.",
        ),
        (
            "region-blocked",
            {"unsupported_country_region_territory", "FAILED_PRECONDITION"},
            "is refused for the place the request comes from",
            "Call the API from a supported country or region (a server there), not through this network.",
        ),
    )
    for cause, codes, what, fix in table:
        hits = _matching(evidence, codes)
        if hits:
            yield _finding(
                cause, f"{p.label}: key '{hits[0].key_alias}' ({hits[0].hint}) {what}", hits, fix, provider_name=p.name
            )
