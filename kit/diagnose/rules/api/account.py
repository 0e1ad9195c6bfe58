"""The key authenticated and the account stops it: no credit, a disabled organization, a spend limit, or
no permission for this model, workspace or endpoint.

Part of the API rule family (``kit.diagnose.rules.api``), whose ``RULES`` keeps the registry order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from kit.diagnose.rules.api.answers import _api, _ids, _message, _ok, _severity_for, _who
from kit.diagnose.rules.base import Rule, rule
from kit.diagnose.wording import join_words as _join
from kit.diagnose.wording import plural as _plural
from kit.values import AttemptResult, Evidence, Finding

__all__ = ["RULES", "credit_exhausted", "org_disabled", "permission_denied", "spend_limit_reached"]


def _account_rule(
    evidence: Evidence,
    cause: str,
    hits: Sequence[AttemptResult],
    title: str,
    fix: str,
    why: str,
) -> Iterator[Finding]:
    if not hits:
        return
    orgs = sorted({a.organization_id for a in hits if a.organization_id})
    keys = sorted({_who(a) for a in hits})
    lines = [
        f"{hits[0].status} {hits[0].error_type}: '{hits[0].error_message}'",
        f"for {_plural(len(keys), 'key')}: {', '.join(keys)}; {_ids(hits)}",
        why,
    ]
    if orgs:
        lines.append("organization: " + ", ".join(orgs))
    all_failed = not _ok(evidence.attempts)
    yield Finding(
        cause=cause,
        severity=_severity_for(evidence, {a.fingerprint for a in hits}, all_failed),
        confidence=0.97,
        title=title,
        evidence=tuple(lines),
        fix=fix,
        explains=len(hits),
    )


@rule(
    "credit-exhausted",
    recognises="400 `Your credit balance is too low to access the Anthropic API…` (or 402 `billing_error`): "
    "the key authenticated; the organization has no credit.",
    fix="Buy credits or fix the payment method in the Console (Settings → Billing); the key itself is fine.",
)
def credit_exhausted(evidence: Evidence) -> Iterator[Finding]:
    hits = [
        a
        for a in _api(evidence)
        if "credit balance" in _message(a) or (a.status == 402 or a.error_type == "billing_error")
    ]
    yield from _account_rule(
        evidence,
        "credit-exhausted",
        hits,
        "The organization's credit balance is too low: the key is valid, the account cannot pay",
        "Add credits in the Console (Settings → Billing, 'Plans & Billing'); requests work again at once. "
        "Do not create new keys: they share the same balance.",
        "the API knows the key (this check runs after authentication), so the key is not the problem",
    )


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
        evidence,
        "org-disabled",
        hits,
        "The key belongs to an organization that has been disabled",
        "Contact Anthropic support (support.anthropic.com) about the organization. If you expected another "
        f"organization, the key your clients send{extra} is from the wrong one: use a key from the right "
        "organization and remove the other from your environment.",
        "the key authenticated; the organization behind it is disabled",
    )


_RESUME = re.compile(r"regain access on ([0-9]{4}-[0-9]{2}-[0-9]{2}(?: at [0-9:]+ UTC)?)")


@rule(
    "spend-limit-reached",
    recognises="400 `You have reached your specified (workspace) API usage limits…`, or 429 with "
    "`enforced_spend_limit_reached` / a monthly spend-limit message.",
    fix="Raise the spend limit in the Console (Settings → Limits) or wait until the date the message names.",
)
def spend_limit_reached(evidence: Evidence) -> Iterator[Finding]:
    hits = [
        a
        for a in _api(evidence)
        if "usage limits" in _message(a)
        or "spend limit" in _message(a)
        or "enforced_spend_limit_reached" in _message(a)
    ]
    resume = next((m.group(1) for a in hits for m in [_RESUME.search(a.error_message or "")] if m), None)
    workspace = any("workspace api usage" in _message(a) for a in hits)
    when = f" or wait until {resume}" if resume else " or wait for the limit to reset (00:00 UTC on the 1st)"
    yield from _account_rule(
        evidence,
        "spend-limit-reached",
        hits,
        ("The workspace's" if workspace else "The organization's") + " spend limit is reached",
        f"Raise the {'workspace' if workspace else 'organization'} spend limit in the Console (Settings → Limits)"
        f"{when}. The key is valid.",
        "the key authenticated; a spend limit stops it",
    )


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
        evidence,
        "permission-denied",
        hits,
        f"The key authenticates but is not allowed to use {_join(what)}",
        "Ask an organization admin to grant this key's workspace access to "
        f"{_join(what)} (Console → Settings → Workspaces), or use a key that has it.",
        "authentication passed (403, not 401): this is a permission, not a key problem",
    )


RULES: tuple[Rule, ...] = (
    credit_exhausted,
    org_disabled,
    spend_limit_reached,
    permission_denied,
)
