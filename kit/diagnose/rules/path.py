"""Rules over the path between the client and the API: base URLs, proxies, TLS, reachability, region.

Each rule reads the path rows (``evidence.path``, from ``kit.path.checks.check_path``), the per-client
winners and the attempt rows (``AttemptResult.responder``, ``status``, ``transport_error``), and
weighs them: what a request really met (an attempt's foreign responder, a failed step) makes a
blocker; a setting that only could get in the way (a proxy variable, an override no request has
used yet) makes a warning or a note. No I/O, and no exception on odd evidence.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from kit.catalog import catalog
from kit.diagnose.rules.base import Rule, rule
from kit.probe.clients.base import transport_family
from kit.values import AttemptResult, Evidence, Finding, PathCheck, Severity

__all__ = [
    "RULES",
    "base_url_override",
    "network_unreachable",
    "proxy_interference",
    "region_blocked",
    "tls_interception",
]

_FOREIGN = frozenset({"gateway", "html-proxy", "proxy", "unknown"})
_TLS_ERROR = re.compile(r"ssl|tls|certificate|cert_|verify", re.IGNORECASE)
_UNREACHABLE = ("connect", "timeout", "reset")


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or url).rstrip(".").lower()
    except ValueError:
        return url


def _official(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and _host(url) == catalog().official_host and parts.port in (None, 443)


def _row_text(row: PathCheck) -> str:
    who = f"[{row.client}] " if row.client else ""
    return f"{row.step} {who}{row.target}: {row.verdict}"


def _attempt_text(attempts: Sequence[AttemptResult], what: str) -> str:
    clients = sorted({a.client for a in attempts})
    statuses = sorted({str(a.status) for a in attempts if a.status is not None})
    example = next((a for a in attempts if a.error_message), attempts[0])
    message = f" ('{example.error_message[:80]}')" if example.error_message else ""
    status = f" with status {', '.join(statuses)}" if statuses else ""
    return f"{len(attempts)} attempt(s) {what}{status}{message}; clients: {', '.join(clients)}"


def _failed(rows: Iterable[PathCheck], cause: str) -> list[PathCheck]:
    return [r for r in rows if r.cause == cause and r.ok is False]


def _family(attempt: AttemptResult) -> str | None:
    """The transport error family (kit.probe.clients.base), with unknown names that look like TLS counted as TLS."""
    if attempt.status is not None or not attempt.transport_error:
        return None
    family = transport_family(attempt.transport_error)
    if family == "other" and _TLS_ERROR.search(attempt.transport_error):
        return "tls"
    return family


def _tls_explains_connect_errors(path: Sequence[PathCheck]) -> bool:
    """TCP works but no store verifies the certificate: SDKs report that as a plain connection error."""
    tls_broken = any(
        r.step == "tls"
        and r.ok is False
        and r.cause == "tls-interception"
        and ("no trust store verifies" in r.verdict or "not valid now" in r.verdict)
        for r in path
    )
    reach_broken = any(r.step in ("dns", "tcp") and r.ok is False and r.cause == "network-unreachable" for r in path)
    return tls_broken and not reach_broken


@rule(
    "base-url-override",
    recognises="a client's base URL (ANTHROPIC_BASE_URL, a base_url argument, an SDK profile) is not the official "
    "API, and what answers there lacks the API's signature (no req_ request-id, foreign body)",
    fix="unset ANTHROPIC_BASE_URL or remove base_url, unless you mean to use that gateway with the key it expects",
)
def base_url_override(evidence: Evidence) -> Iterable[Finding]:
    by_url: dict[str, dict[str, list[str]]] = defaultdict(lambda: {"config": [], "seen": [], "clients": []})
    broken: list[PathCheck] = []
    for row in evidence.path:
        if row.cause != "base-url-override" or row.ok is not False:
            continue
        if row.step == "base-url":
            url = dict(row.details).get("url", row.target)
            if dict(row.details).get("source") == "target":
                continue
            if "empty" in row.verdict or "whitespace" in row.verdict or "not an http" in row.verdict:
                broken.append(row)
                continue
            slot = by_url[url]
            slot["config"].append(_row_text(row))
            if row.client:
                slot["clients"].append(row.client)
        else:
            url = dict(row.details).get("url", row.target)
            by_url[url]["seen"].append(_row_text(row))
    for winner in evidence.winners:
        if winner.base_url and not _official(winner.base_url):
            slot = by_url[winner.base_url.rstrip("/")]
            slot["clients"].append(winner.client)
            slot["config"].append(f"{winner.client} sends to {winner.base_url} ({winner.detail or 'its base URL'})")
    # The investigation's own target is not an override even when it is not the official host (the
    # simulator stands in for it): an odd answer from it is explained by what was sent, not by where.
    targets = {evidence.api_url.rstrip("/")} if evidence.api_url else set()
    targets |= {
        dict(r.details).get("url", r.target).rstrip("/")
        for r in evidence.path
        if r.step == "base-url" and dict(r.details).get("source") == "target"
    }
    foreign_attempts: dict[str, list[AttemptResult]] = defaultdict(list)
    for attempt in evidence.attempts:
        url = (attempt.base_url or "").rstrip("/")
        if url and url not in targets and not _official(url) and attempt.responder in _FOREIGN:
            foreign_attempts[url].append(attempt)
    for url, attempts in foreign_attempts.items():
        by_url[url]["seen"].append(_attempt_text(attempts, f"answered by a {attempts[0].responder}, not the API"))

    for row in broken:
        yield Finding(
            cause="base-url-override",
            severity="blocker",
            confidence=0.9,
            title=f"{row.client or 'a client'} has an unusable base URL, so its requests never reach the API",
            evidence=(_row_text(row),),
            fix=row.fix or "unset ANTHROPIC_BASE_URL",
            rule="base_url_override",
            explains=sum(1 for a in evidence.attempts if a.client == row.client and a.status is None),
        )
    for url, slot in by_url.items():
        if not slot["config"] and not slot["seen"]:
            continue
        clients = sorted(set(slot["clients"]) | {a.client for a in foreign_attempts.get(url, [])})
        seen = bool(slot["seen"])
        host = _host(url)
        yield Finding(
            cause="base-url-override",
            severity="blocker" if seen else "warning",
            confidence=0.95 if foreign_attempts.get(url) else (0.85 if seen else 0.6),
            title=(
                f"{', '.join(clients) or 'requests'} go to {host}, not api.anthropic.com, and {host} answers "
                "instead of the API"
                if seen
                else f"{', '.join(clients) or 'a client'} is configured to send to {host}, not api.anthropic.com"
            ),
            evidence=tuple(slot["config"] + slot["seen"]),
            fix=(
                f"unset ANTHROPIC_BASE_URL (or remove base_url / the profile's base_url) so requests go to "
                f"https://api.anthropic.com; keep {host} only if it is a gateway you mean to use, and then give it "
                "the key it issued"
            ),
            rule="base_url_override",
            explains=len(foreign_attempts.get(url, [])),
        )


@rule(
    "proxy-interference",
    recognises="a proxy, filter or DNS override on the path answers for the API: 407, HTML pages, foreign JSON "
    "or a missing request-id at the official host; or proxy variables route clients differently",
    fix="exempt api.anthropic.com from the proxy (NO_PROXY, or ask IT), give the proxy its credentials, or unset "
    "the proxy variable",
)
def proxy_interference(evidence: Evidence) -> Iterable[Finding]:
    failed = _failed(evidence.path, "proxy-interference")
    attempts = [
        a
        for a in evidence.attempts
        if a.responder in ("proxy", "html-proxy")
        or _family(a) == "proxy"
        or (a.responder in ("gateway", "unknown") and _official(a.base_url))
    ]
    routed = [r for r in evidence.path if r.step == "proxy" and r.client and r.cause == "proxy-interference"]
    direct = [r for r in evidence.path if r.step == "proxy" and r.client and r.ok and r.cause is None]
    if failed or attempts:
        items = [_row_text(r) for r in failed]
        if attempts:
            what = (
                f"answered by a {attempts[0].responder}, not the API"
                if attempts[0].status is not None
                else f"refused by the proxy ({attempts[0].transport_error})"
            )
            items.append(_attempt_text(attempts, what))
        items += [_row_text(r) for r in routed[:4]]
        fix = next((r.fix for r in failed if r.fix), "") or proxy_interference.fix
        yield Finding(
            cause="proxy-interference",
            severity="blocker",
            confidence=0.95 if attempts else 0.85,
            title="something between you and the API answers in its place (a proxy, web filter or DNS override)",
            evidence=tuple(items),
            fix=fix,
            rule="proxy_interference",
            explains=len(attempts),
        )
        return
    if routed:
        proxied = sorted({r.client or "" for r in routed})
        items = [_row_text(r) for r in routed]
        http_ok = [r for r in evidence.path if r.step == "http" and r.ok and "via" in r.target]
        items += [_row_text(r) for r in http_ok]
        # clients that go to the same URL as a proxied client, but directly
        proxied_targets = {r.target for r in routed}
        split = sorted({r.client or "" for r in direct if r.target in proxied_targets})
        if split:
            items.append(f"direct to the same URL, ignoring the proxy: {', '.join(split)}")
        yield Finding(
            cause="proxy-interference",
            severity="warning" if split else "info",
            confidence=0.4 if split else 0.25,
            title=(
                f"{', '.join(proxied)} go through a proxy while {', '.join(split)} go direct: the same key can "
                "work in one client and fail in another"
                if split
                else f"{', '.join(proxied)} go through a proxy"
                + (", which passes the API's answers through unchanged" if http_ok else "")
            ),
            evidence=tuple(items),
            fix=(
                "make every client take the same route: set the proxy for all (NODE_USE_ENV_PROXY=1 for current "
                "Node SDKs) or exempt api.anthropic.com via NO_PROXY"
                if split
                else "nothing to do while the API's own answers come back; if they stop, exempt api.anthropic.com"
            ),
            rule="proxy_interference",
        )


@rule(
    "tls-interception",
    recognises="the certificate for the API is not verified by a trust store a client uses, or is issued by a CA "
    "the API does not use (a TLS-inspecting proxy), or a client fails with a certificate error",
    fix="install the inspection CA for every client (SSL_CERT_FILE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS) or have "
    "api.anthropic.com exempted from inspection; never turn verification off",
)
def tls_interception(evidence: Evidence) -> Iterable[Finding]:
    failed = _failed(evidence.path, "tls-interception")
    tls_rows = [r for r in failed if r.step == "tls"]
    ca_rows = [r for r in failed if r.step == "ca"]
    explained = ("tls", *_UNREACHABLE) if _tls_explains_connect_errors(evidence.path) else ("tls",)
    attempts = [a for a in evidence.attempts if _family(a) in explained]
    off = [r for r in evidence.path if r.step == "ca" and r.ok is False and "OFF" in r.verdict]
    if not (tls_rows or ca_rows or attempts):
        return
    unverified = [r for r in tls_rows if "no trust store verifies" in r.verdict or "not valid now" in r.verdict]
    severity: Severity = "blocker" if (unverified or attempts) else "warning"
    items = [_row_text(r) for r in tls_rows + ca_rows]
    if attempts:
        items.append(_attempt_text(attempts, f"failed before any answer ({attempts[0].transport_error})"))
    items += [_row_text(r) for r in off]
    issuer = next((dict(r.details).get("issuer") for r in tls_rows if dict(r.details).get("issuer")), None)
    title = (
        f"TLS to the API is intercepted: the certificate comes from {issuer!r}"
        if issuer and not unverified
        else "the API's certificate is not trusted on this path: TLS is intercepted or the CA settings are wrong"
    )
    yield Finding(
        cause="tls-interception",
        severity=severity,
        confidence=0.9 if (unverified or issuer) else 0.7,
        title=title,
        evidence=tuple(items),
        fix=next((r.fix for r in tls_rows if r.fix), "") or tls_interception.fix,
        rule="tls_interception",
        explains=len(attempts),
    )


@rule(
    "network-unreachable",
    recognises="DNS, connect or timeout failures before any HTTP answer, in the path check or in the attempts",
    fix="fix the network path first (DNS, firewall, VPN, proxy settings); no key can be judged without an answer",
)
def network_unreachable(evidence: Evidence) -> Iterable[Finding]:
    failed = [r for r in _failed(evidence.path, "network-unreachable") if r.step in ("dns", "tcp", "tls", "http")]
    answered = [r for r in evidence.path if r.step == "http" and r.ok is not None and "answers" in r.verdict]
    transport = (
        []
        if _tls_explains_connect_errors(evidence.path)
        else [a for a in evidence.attempts if _family(a) in _UNREACHABLE]
    )
    got_status = [a for a in evidence.attempts if a.status is not None]
    if not failed and not transport:
        return
    # the failing routes; a route that still reached an HTTP answer is not unreachable
    answered_targets = {r.target for r in answered}
    relevant = [r for r in failed if r.target not in answered_targets]
    if not relevant and not transport:
        return
    everything_down = (not answered and not got_status) and (bool(relevant) or bool(transport))
    items = [_row_text(r) for r in relevant]
    if transport:
        kinds = sorted({a.transport_error or "" for a in transport})
        items.append(_attempt_text(transport, f"got no HTTP answer ({', '.join(kinds)})"))
    fix = next((r.fix for r in relevant if r.fix), "") or network_unreachable.fix
    yield Finding(
        cause="network-unreachable",
        severity="blocker" if everything_down else "warning",
        confidence=0.9 if everything_down else 0.6,
        title=(
            "the API cannot be reached from here: requests fail before any answer"
            if everything_down
            else "part of the path fails before any HTTP answer (other routes or requests do get through)"
        ),
        evidence=tuple(items),
        fix=fix,
        rule="network_unreachable",
        explains=len(transport),
    )


@rule(
    "region-blocked",
    recognises='403 {"error":{"type":"forbidden","message":"Request not allowed"}} without the API\'s '
    "envelope or request-id: the edge refuses the network's region",
    fix="use the API from a supported country or through Amazon Bedrock / Google Vertex AI; a new key will not help",
)
def region_blocked(evidence: Evidence) -> Iterable[Finding]:
    rows = _failed(evidence.path, "region-blocked")
    attempts = [
        a
        for a in evidence.attempts
        if a.responder == "region-block" or (a.status == 403 and a.error_type == "forbidden")
    ]
    if not rows and not attempts:
        return
    items = [_row_text(r) for r in rows]
    if attempts:
        items.append(_attempt_text(attempts, "were refused by the edge"))
    yield Finding(
        cause="region-blocked",
        severity="blocker",
        confidence=0.95 if attempts else 0.9,
        title="the API's edge refuses requests from this network's location (403 'Request not allowed'): not a key "
        "problem",
        evidence=tuple(items),
        fix=region_blocked.fix,
        rule="region_blocked",
        explains=len(attempts),
    )


RULES: tuple[Rule, ...] = (base_url_override, proxy_interference, tls_interception, network_unreachable, region_blocked)
