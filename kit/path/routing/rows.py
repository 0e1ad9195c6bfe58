"""The per-client routing rows: ``base-url``, ``proxy`` and ``ca`` for each client, with a verdict and a fix."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from kit.catalog import catalog
from kit.env import Environment
from kit.guard.gate import default_port, norm_host, split_url
from kit.path.routing.baseurls import BaseUrlChoice, base_url_for
from kit.path.routing.cabundles import CaChoice, ca_for
from kit.path.routing.clients import CLIENTS
from kit.path.routing.proxies import ProxyChoice, proxy_for
from kit.path.routing.urls import display_url, host_of
from kit.values import PathCheck

__all__ = ["routing_checks"]


def _is_official(url: str) -> bool:
    parts = split_url(url)
    return (
        parts is not None
        and parts.hostname is not None
        and parts.scheme.lower() == "https"
        and norm_host(parts.hostname) == catalog().official_host
        and default_port(parts) == 443
    )


def _same_origin(a: str, b: str) -> bool:
    pa, pb = split_url(a), split_url(b)
    if pa is None or pb is None or pa.hostname is None or pb.hostname is None:
        return False
    return (pa.scheme.lower(), norm_host(pa.hostname), default_port(pa)) == (
        pb.scheme.lower(),
        norm_host(pb.hostname),
        default_port(pb),
    )


def _where_from(source: str) -> str:
    """Where a base URL came from, in words (``BaseUrlChoice.source`` is a short tag such as ``target``)."""
    if source == "target":
        return "it reads no base URL variable"
    if source == "default":
        return "the SDK's default"
    if source == "explicit argument":
        return "the base_url argument"
    if source.startswith("profile "):
        return f"set by the SDK profile {source.removeprefix('profile ')}"
    return f"set by {source}"


def _base_url_row(choice: BaseUrlChoice, api_url: str) -> PathCheck:
    details = [("url", display_url(choice.url) or "(empty)"), ("source", choice.source)]
    if choice.note:
        details.append(("note", choice.note))
    shown = display_url(choice.url) or "(empty)"
    if choice.problem:
        fix = (
            "run `unset ANTHROPIC_BASE_URL` and remove the line from shell start-up files and .env"
            if choice.source == "ANTHROPIC_BASE_URL"
            else f"correct the base URL set by {choice.source}"
        )
        return PathCheck(
            "base-url",
            shown,
            False,
            f"{choice.source} gives {shown!r}, which {choice.problem}",
            details=tuple(details),
            cause="base-url-override",
            fix=fix,
            client=choice.client,
        )
    if _is_official(choice.url) or _same_origin(choice.url, api_url):
        what = "the official API" if _is_official(choice.url) else "the target"
        return PathCheck(
            "base-url",
            shown,
            True,
            f"sends to {what} ({_where_from(choice.source)})",
            details=tuple(details),
            client=choice.client,
        )
    parts = split_url(choice.url)
    host = parts.hostname if parts is not None and parts.hostname else shown
    fix = {
        "ANTHROPIC_BASE_URL": f"unset ANTHROPIC_BASE_URL (now {shown}) unless you mean to use that gateway; find "
        "where it is set: grep -n ANTHROPIC_BASE_URL ~/.zshrc ~/.bashrc ~/.profile .env",
        "explicit argument": "pass base_url only when you mean to use a gateway, and give the gateway's own key",
    }.get(choice.source, f"remove base_url from {choice.source.removeprefix('profile ')} or select another profile")
    return PathCheck(
        "base-url",
        shown,
        False,
        f"sends to {host}, not the API ({_where_from(choice.source)}); that host answers instead of Anthropic",
        details=tuple(details),
        cause="base-url-override",
        fix=fix,
        client=choice.client,
    )


def _proxy_row(choice: ProxyChoice) -> PathCheck:
    details = [("rule", choice.note)]
    if choice.bypass:
        details.append(("bypass", choice.bypass))
    if choice.direct:
        if choice.bypass:
            verdict = f"direct, bypassing the proxy ({choice.bypass})"
        elif choice.ignored:
            verdict = f"direct: this client ignores {', '.join(choice.ignored)} (see rule)"
        else:
            verdict = "direct (no proxy applies)"
        return PathCheck("proxy", choice.target, True, verdict, details=tuple(details), client=choice.client)
    details.insert(0, ("proxy", choice.proxy or ""))
    details.insert(1, ("from", choice.variable or ""))
    return PathCheck(
        "proxy",
        choice.target,
        True,
        f"via proxy {choice.proxy} (from {choice.variable})",
        details=tuple(details),
        cause="proxy-interference",
        fix=(
            f"if the proxy answers or rewrites requests, add {host_of(choice.target)} to NO_PROXY or unset "
            f"{choice.variable}"
        ),
        client=choice.client,
    )


def _ca_row(choice: CaChoice, target: str) -> PathCheck:
    details = [("store", choice.store)] + [(name, path) for name, path in choice.files]
    if choice.ignored:
        details.append(("ignored", ", ".join(choice.ignored)))
    if choice.verification_off:
        return PathCheck(
            "ca",
            target,
            False,
            f"TLS verification is OFF ({choice.verification_off})",
            details=tuple(details),
            cause=None,
            fix=f"remove {choice.verification_off}: it hides interception and exposes the key",
            client=choice.client,
        )
    if choice.problems:
        return PathCheck(
            "ca",
            target,
            False,
            "; ".join(choice.problems),
            details=tuple(details),
            cause="tls-interception" if any("no PEM" in p for p in choice.problems) else None,
            fix="point the variable at a readable PEM bundle, or unset it",
            client=choice.client,
        )
    verdict = f"trusts {choice.store}"
    if choice.ignored:
        verdict += f"; ignores {', '.join(choice.ignored)}"
    return PathCheck("ca", target, True, verdict, details=tuple(details), client=choice.client)


def routing_checks(
    env: Environment,
    api_url: str,
    *,
    clients: Sequence[str] = CLIENTS,
    explicit_base_url: str | None = None,
    node_version: str | None = None,
    system_proxies: Mapping[str, str] | None = None,
) -> tuple[PathCheck, ...]:
    """base-url, proxy and ca rows for each client: where it sends, through what, trusting what."""
    rows: list[PathCheck] = []
    for client in clients:
        try:
            base = base_url_for(env, client, explicit=explicit_base_url, target=api_url)
            rows.append(_base_url_row(base, api_url))
            url = base.url if not base.problem else api_url
            rows.append(
                _proxy_row(proxy_for(env, url, client, node_version=node_version, system_proxies=system_proxies))
            )
            rows.append(_ca_row(ca_for(env, client), host_of(url)))
        except Exception as exc:  # a routing model must never break the table
            rows.append(
                PathCheck("proxy", api_url, None, f"could not work out routing: {type(exc).__name__}", client=client)
            )
    return tuple(rows)
