"""Nothing wrong: a key the user's clients really send works end to end, in their header style and at their
base URL.

Part of the API rule family (``kit.diagnose.rules.api``), whose ``RULES`` keeps the registry order.
"""

from __future__ import annotations

from collections.abc import Iterator

from kit.catalog import catalog
from kit.diagnose.rules.api.answers import _api, _ids, _ok, _spread, _who
from kit.diagnose.rules.base import Rule, rule
from kit.diagnose.wording import join_words as _join
from kit.values import AttemptResult, Evidence, Finding

__all__ = ["RULES", "healthy"]


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
        lines.append(
            f"billing checked: {billed[0].method} {billed[0].endpoint} answers {billed[0].status} (credit, "
            "spend limits and organization status pass)"
        )
    else:
        lines.append(
            "billing not checked: no count_tokens request was made; name the model your app calls with "
            "--model to check credit and spend limits too"
        )
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


RULES: tuple[Rule, ...] = (healthy,)
