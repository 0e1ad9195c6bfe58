"""Rules over the way to the API: a base URL whose path is wrong for the client, a gateway refusing its own
credential, and a key header sent twice.

``base-url-path`` needs no request: each winner's base URL and the client's path rule (``urlpaths``) give the
URL it will call. ``gateway-auth`` is told apart from "the gateway forwarded a key the API refused" by who
wrote the answer: LiteLLM's and Cloudflare's own texts and shapes, never the API's ``invalid x-api-key``.
"""

from __future__ import annotations

from collections.abc import Iterable

from kit.diagnose.rules.base import Rule, rule
from kit.path.routing.urlpaths import messages_url, path_verdict
from kit.values import AttemptResult, Evidence, Finding

__all__ = ["RULES", "gateway_of"]

#: Texts only a gateway writes (facts sheet §5.2, §5.3), with the gateway's name and the fix.
_GATEWAY_TEXTS = (
    ("LiteLLM Virtual Key expected", "LiteLLM", "use a LiteLLM virtual key (`/key/generate`), not an Anthropic key"),
    (
        "Invalid proxy server token passed",
        "LiteLLM",
        "use a virtual key the proxy knows (`/key/generate`); the proxy holds the Anthropic key itself",
    ),
    ("No api key passed in", "LiteLLM", "send the proxy's virtual key (x-api-key or Authorization: Bearer)"),
    (
        "No Anthropic credential is configured on this proxy",
        "LiteLLM",
        "configure ANTHROPIC_API_KEY on the proxy for its /anthropic pass-through",
    ),
    (
        "Authentication error",
        "Cloudflare AI Gateway",
        "send the gateway token as `cf-aig-authorization: Bearer <token>` beside the provider key",
    ),
)


def gateway_of(a: AttemptResult) -> tuple[str, str] | None:
    """``(gateway, fix)`` when the answer is a gateway's own refusal, else None."""
    if a.status not in (401, 403) or not a.error_message or a.responder == "anthropic":
        return None
    return next(((name, fix) for text, name, fix in _GATEWAY_TEXTS if text in a.error_message), None)


@rule(
    "base-url-path",
    recognises="a base URL whose path makes a client call /v1/v1/messages (doubled) or "
    "/messages without /v1 (missing), computed per client before any request",
    fix="drop the trailing /v1 from ANTHROPIC_BASE_URL for the official SDKs and Claude Code (they add "
    "/v1/messages); keep it for @ai-sdk/anthropic (it adds /messages)",
)
def base_url_path(evidence: Evidence) -> Iterable[Finding]:
    bad = [(w, messages_url(w.client, w.base_url)) for w in evidence.winners if w.base_url]
    bad = [(w, url) for w, url in bad if path_verdict(url) != "ok"]
    if not bad:
        return
    verdict = path_verdict(bad[0][1])
    lines = [f"{w.client} calls {url} ({path_verdict(url)} /v1)" for w, url in bad]
    failed = [a for a in evidence.attempts if a.status == 404]
    lines += [f"{a.client} {a.method} {a.endpoint}: 404 {a.error_message or ''}".rstrip() for a in failed[:2]]
    yield Finding(
        "base-url-path",
        "blocker",
        0.9,
        f"the base URL's path gives {bad[0][0].client} a {verdict} /v1: it calls {bad[0][1]}",
        evidence=tuple(lines),
        fix="remove the trailing /v1 from ANTHROPIC_BASE_URL"
        if verdict == "doubled"
        else "add /v1 to the base URL for this client (or drop the gateway's extra path)",
        explains=len(bad) + 1,
    )


@rule(
    "gateway-auth",
    recognises="the gateway at the base URL refuses the credential in its own words (LiteLLM's "
    "virtual-key texts, Cloudflare's `errors` body), as opposed to the API refusing a key the gateway forwarded",
    fix="give the gateway its own credential (a LiteLLM virtual key, a cf-aig-authorization token)",
)
def gateway_auth(evidence: Evidence) -> Iterable[Finding]:
    own = [
        (a, g)
        for a in evidence.attempts
        if (g := gateway_of(a)) is not None
        and (not evidence.api_url or a.base_url.rstrip("/") == evidence.api_url.rstrip("/"))
    ]
    if not own:
        return
    a, (name, fix) = own[0]
    yield Finding(
        "gateway-auth",
        "blocker",
        0.9,
        f"{name} refuses the credential itself; the API never saw it",
        evidence=(
            f"{a.key_alias} ({a.hint}, fingerprint {a.fingerprint}) via {a.client}: {a.status} "
            f"{a.error_message} (no Anthropic request id)",
            f"{len(own)} of {len(evidence.attempts)} answers are {name}'s own",
        ),
        fix=fix,
        explains=len(own),
    )


@rule(
    "duplicate-auth-header",
    recognises="401 `API key is invalid.`: the key header arrived twice, joined as "
    "`K, K` (an SDK key plus default_headers or ANTHROPIC_CUSTOM_HEADERS)",
    fix="send the key once: drop x-api-key from default_headers / ANTHROPIC_CUSTOM_HEADERS",
)
def duplicate_header(evidence: Evidence) -> Iterable[Finding]:
    hits = [a for a in evidence.attempts if a.status == 401 and a.error_message == "API key is invalid."]
    if not hits:
        return
    custom = [s for s in evidence.sources if s.variable == "ANTHROPIC_CUSTOM_HEADERS"]
    yield Finding(
        "duplicate-auth-header",
        "blocker",
        0.85,
        "the key header is sent twice and arrives joined",
        evidence=(
            *(f"{a.client} {a.method} {a.endpoint}: 401 {a.error_message}" for a in hits[:3]),
            *(f"{s.location}: {s.note}" for s in custom),
        ),
        fix="remove x-api-key from ANTHROPIC_CUSTOM_HEADERS / default_headers: the SDK sends it already",
        explains=len(hits) + 1,
    )


RULES: tuple[Rule, ...] = (base_url_path, gateway_auth, duplicate_header)
