"""Answers that pass with time: rate limits (429), an overloaded service (529) and server errors (5xx).

Part of the API rule family (``kit.diagnose.rules.api``), whose ``RULES`` keeps the registry order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from kit.diagnose.attribution import auth_verdict
from kit.diagnose.rules.api.answers import _api, _ids, _message, _spread
from kit.diagnose.rules.base import Rule, rule
from kit.values import AttemptResult, Evidence, Finding

__all__ = ["RULES", "overloaded", "rate_limited", "server_error"]


def _transient(
    evidence: Evidence,
    cause: str,
    hits: Sequence[AttemptResult],
    title: str,
    fix: str,
) -> Iterator[Finding]:
    if not hits:
        return
    api = _api(evidence)
    others = [a for a in api if a not in hits and auth_verdict(a) != "undecided"]
    only = not others
    waits = [a.retry_wait_s for a in hits if a.retry_wait_s]
    lines = [
        f"{len(hits)} of {len(api)} API answers: {hits[0].status} {hits[0].error_type} "
        f"'{(hits[0].error_message or '')[:90]}' ({_ids(hits)})",
        f"seen on {_spread(hits)}",
    ]
    if waits:
        lines.append(f"retry-after honoured: waited {sum(waits):.1f} s in total (longest {max(waits):.1f} s)")
    if not only:
        lines.append(f"{len(others)} other answers got through, so the key itself works")
    yield Finding(
        cause=cause,
        severity="blocker" if only else "warning",
        confidence=0.9 if only else 0.7,
        title=title,
        evidence=tuple(lines),
        fix=fix,
        explains=len(hits),
    )


@rule(
    "rate-limited",
    recognises="429 `rate_limit_error` with `retry-after` and `anthropic-ratelimit-*` headers (not a spend limit).",
    fix="Wait for `retry-after` seconds and send fewer requests per minute (or ask for a higher tier); the key "
    "authenticates.",
)
def rate_limited(evidence: Evidence) -> Iterator[Finding]:
    hits = [
        a
        for a in _api(evidence)
        if a.status == 429 and "spend limit" not in _message(a) and "enforced_spend_limit_reached" not in _message(a)
    ]
    yield from _transient(
        evidence,
        "rate-limited",
        hits,
        "The API is rate-limiting these requests (429): the key is valid, the pace is not",
        "Retry after the `retry-after` delay and lower the request rate (the SDKs retry 429 "
        "twice by default); for steady load, ask for a higher rate-limit tier.",
    )


@rule(
    "overloaded",
    recognises="529 `overloaded_error`: the service is overloaded for everyone, not a quota.",
    fix="Retry later with backoff; nothing is wrong with the key or the account.",
)
def overloaded(evidence: Evidence) -> Iterator[Finding]:
    hits = [a for a in _api(evidence) if a.status == 529 or a.error_type == "overloaded_error"]
    yield from _transient(
        evidence,
        "overloaded",
        hits,
        "The API is overloaded (529): a temporary service state",
        "Retry later with exponential backoff (the SDKs retry 529 by default); nothing is wrong "
        "with the key. Check status.anthropic.com if it lasts.",
    )


@rule(
    "server-error",
    recognises="500 `api_error` or 504 `timeout_error` from the API.",
    fix="Retry with backoff; if it persists, report it to Anthropic support with the request ids.",
)
def server_error(evidence: Evidence) -> Iterator[Finding]:
    hits = [
        a for a in _api(evidence) if a.status in (500, 502, 503, 504) or a.error_type in ("api_error", "timeout_error")
    ]
    yield from _transient(
        evidence,
        "server-error",
        hits,
        "The API answered with a server error (5xx)",
        "Retry with backoff (the SDKs retry 5xx twice by default); if it persists, send the "
        "request ids above to Anthropic support.",
    )


RULES: tuple[Rule, ...] = (
    rate_limited,
    overloaded,
    server_error,
)
