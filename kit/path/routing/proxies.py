"""The proxy each client would use for one URL: the rules of httpx2 (and the Python SDK), curl and Node.

Every client reads the same variables by its own rules, and the differences are the point: ``curl``
ignores ``HTTP_PROXY`` in upper case, the Node SDK 0.24 ignores every proxy variable, current Node
SDKs use one only when ``NODE_USE_ENV_PROXY=1``, and ``NO_PROXY=*.corp`` means something to httpx2
and nothing to curl. Each rule was read from the client's source (named where it is used), and the
test suite checks the httpx2 and curl models against the installed httpx2 and the system curl.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from httpx2 import URL, InvalidURL
from httpx2._utils import URLPattern, is_ipv4_hostname, is_ipv6_hostname

from kit.env import Environment
from kit.guard.gate import default_port, norm_host, split_url
from kit.path.routing.clients import NODE_SDK_FETCH_SINCE, version_tuple
from kit.path.routing.curlrc import curlrc
from kit.path.routing.urls import display_url

__all__ = ["ProxyChoice", "proxy_for"]


@dataclass(frozen=True)
class ProxyChoice:
    """The proxy a client would use for one URL (``proxy`` is None for a direct connection)."""

    client: str
    target: str
    proxy: str | None  # display form: a password is masked
    variable: str | None = None  # the variable (or file) that supplied it
    bypass: str | None = None  # the NO_PROXY entry that made it direct
    note: str = ""  # the rule that decided, for people
    proxy_url: str | None = field(default=None, repr=False)  # the real URL (may hold credentials)
    ignored: tuple[str, ...] = ()  # proxy variables that are set but this client does not read here

    @property
    def direct(self) -> bool:
        return self.proxy_url is None


def _python_proxies(variables: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """urllib.request.getproxies_environment over a mapping: scheme → (value, variable name).

    Two passes as in CPython: any case first, then names ending in lower-case ``_proxy`` win, and an
    empty lower-case one removes the entry; in a CGI process upper-case ``HTTP_PROXY`` is dropped.
    """
    proxies: dict[str, tuple[str, str]] = {}
    for name, value in variables.items():
        if value and name.lower().endswith("_proxy"):
            proxies[name.lower()[:-6]] = (value, name)
    if "REQUEST_METHOD" in variables:
        proxies.pop("http", None)
    for name, value in variables.items():
        if name.endswith("_proxy"):
            if value:
                proxies[name.lower()[:-6]] = (value, name)
            else:
                proxies.pop(name.lower()[:-6], None)
    return proxies


def _httpx_mounts(proxies: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str | None, str]]:
    """httpx2's get_environment_proxies, given the proxies: pattern → (proxy URL or None, why)."""
    mounts: dict[str, tuple[str | None, str]] = {}
    for scheme in ("http", "https", "all"):
        if scheme in proxies:
            value, name = proxies[scheme]
            mounts[f"{scheme}://"] = (value if "://" in value else f"http://{value}", name)
    no_value, no_name = proxies.get("no", ("", ""))
    for raw in no_value.split(","):
        hostname = raw.strip()
        why = f"{no_name} entry {hostname!r}"
        if hostname == "*":
            return {"*": (None, why)}
        if not hostname:
            continue
        if "://" in hostname:
            mounts[hostname] = (None, why)
        elif is_ipv4_hostname(hostname):
            mounts[f"all://{hostname}"] = (None, why)
        elif is_ipv6_hostname(hostname):
            addr, slash, subnet = hostname.partition("/")
            mounts[f"all://[{addr}]/{subnet}" if slash else f"all://[{hostname}]"] = (None, why)
        elif (
            hostname.lower() == "localhost"
            or hostname.startswith("[")
            or (hostname.startswith("*.") and "/" not in hostname)
        ):
            mounts[f"all://{hostname}"] = (None, why)
        elif "/" not in hostname:
            mounts[f"all://*{hostname}"] = (None, why)
    return mounts


def _httpx_choice(client: str, url: str, variables: Mapping[str, str], system: Mapping[str, str] | None) -> ProxyChoice:
    env_proxies = _python_proxies(variables)
    proxies = env_proxies
    origin = "environment"
    if not env_proxies and system:
        # urllib.request.getproxies() falls back on the OS settings (macOS System Settings, Windows registry).
        proxies = {k: (v, f"system proxy setting ({k})") for k, v in system.items() if v}
        origin = "system settings"
    mounts = _httpx_mounts(proxies)
    rule = (
        "httpx2 rules (urllib getproxies: lower case wins, ALL_PROXY counts; NO_PROXY by suffix, "
        "'*' disables, ports and CIDR allowed)"
    )
    if "*" in mounts:
        return ProxyChoice(client, url, None, bypass=mounts["*"][1], note=f"{rule}; NO_PROXY=* disables proxies")
    patterns: list[tuple[URLPattern, str | None, str]] = []
    for key, (proxy, why) in mounts.items():
        try:
            patterns.append((URLPattern(key), proxy, why))
        except (InvalidURL, ValueError):
            continue  # like httpx2: entries that cannot be parsed are ignored
    patterns.sort(key=lambda item: item[0])
    try:
        parsed = URL(url)
    except (InvalidURL, ValueError):
        return ProxyChoice(client, url, None, note="the URL cannot be parsed")
    for pattern, proxy, why in patterns:
        if pattern.matches(parsed):
            if proxy is None:
                return ProxyChoice(client, url, None, bypass=why, note=f"{rule}; bypassed by {why}")
            return ProxyChoice(
                client, url, display_url(proxy), variable=why, proxy_url=proxy, note=f"{rule}; from {origin}"
            )
    return ProxyChoice(client, url, None, note=f"{rule}; no proxy variable applies")


def _curl_env(variables: Mapping[str, str], name: str) -> str | None:
    value = variables.get(name)
    return value if value else None  # curl_getenv treats an empty value as unset


def _curl_no_proxy_match(host: str, no_proxy: str) -> str | None:
    """curl's Curl_check_noproxy (lib/noproxy.c): the matching entry, or None. No ports, no wildcards."""
    if no_proxy.strip() == "*":
        return "*"
    name = norm_host(host)
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        address = None
    for token in re.split(r"[,\s]+", no_proxy):
        if not token:
            continue
        if address is not None:
            check, _, bits = token.strip("[]").partition("/")
            try:
                network = ipaddress.ip_network(f"{check}/{bits}" if bits else check, strict=False)
            except ValueError:
                continue
            if address in network:
                return token
            continue
        entry = token.rstrip(".").lower()
        entry = entry[1:] if entry.startswith(".") else entry
        if entry and (name == entry or name.endswith("." + entry)):
            return token
    return None


def _curl_choice(client: str, url: str, env: Environment) -> ProxyChoice:
    parts = split_url(url)
    if parts is None or parts.hostname is None:
        return ProxyChoice(client, url, None, note="the URL cannot be parsed")
    scheme, host = parts.scheme.lower(), parts.hostname
    rc = curlrc(env)
    rule = (
        "curl rules (lib/url.c detect_proxy: lower-case http_proxy only, https_proxy then HTTPS_PROXY, "
        "then all_proxy/ALL_PROXY; NO_PROXY by domain suffix or CIDR, only a lone '*', no ports)"
    )
    no_proxy, no_name = rc.noproxy, f"noproxy in {rc.path}" if rc.noproxy else ""
    if no_proxy is None:
        for name in ("no_proxy", "NO_PROXY"):
            if _curl_env(env.variables, name):
                no_proxy, no_name = _curl_env(env.variables, name), name
                break
    proxy: str | None = None
    variable: str | None = None
    if rc.proxy is not None:
        proxy, variable = rc.proxy, f"proxy in {rc.path}"
    else:
        names = (
            [f"{scheme}_proxy"] + ([] if scheme == "http" else [f"{scheme.upper()}_PROXY"]) + ["all_proxy", "ALL_PROXY"]
        )
        for name in names:
            value = _curl_env(env.variables, name)
            if value:
                proxy, variable = value, name
                break
    ignored = ""
    if scheme == "http" and proxy is None and _curl_env(env.variables, "HTTP_PROXY"):
        ignored = "; HTTP_PROXY in upper case is ignored by curl on purpose (httpoxy)"
    if proxy is None:
        return ProxyChoice(
            client,
            url,
            None,
            note=f"{rule}; no proxy variable applies{ignored}",
            ignored=("HTTP_PROXY",) if ignored else (),
        )
    if no_proxy:
        hit = _curl_no_proxy_match(host, no_proxy)
        if hit is not None:
            return ProxyChoice(
                client,
                url,
                None,
                bypass=f"{no_name} entry {hit!r}",
                note=f"{rule}; bypassed by {no_name} entry {hit!r}",
            )
    if not proxy:
        return ProxyChoice(client, url, None, note=f"{rule}; an empty proxy setting means direct")
    full = proxy if "://" in proxy else f"http://{proxy}"
    return ProxyChoice(client, url, display_url(full), variable=variable, proxy_url=full, note=rule)


def _node_env_proxy_supported(node_version: str | None) -> bool | None:
    """Does this Node honour NODE_USE_ENV_PROXY for fetch? (22.21+ on 22, 24.0+; Node docs, enterprise network)."""
    if not node_version:
        return None
    v = version_tuple(node_version)
    if not v:
        return None
    return v[0] >= 24 or (v[0] == 22 and v[1:2] >= (21,))


def _undici_no_proxy_match(host: str, port: int, no_proxy: str) -> str | None:
    """undici EnvHttpProxyAgent #shouldProxy: '*' disables, entries may carry ports, '.x' and '*.x' are suffixes."""
    if no_proxy == "*":
        return "*"
    name = norm_host(host)
    for raw in re.split(r"[,\s]", no_proxy):
        if not raw:
            continue
        entry_port = 0
        m6 = re.match(r"^\[(.+)\]:(\d+)$", raw)
        if m6:
            entry, entry_port = m6.group(1), int(m6.group(2))
        else:
            bare = re.sub(r"^\[(.+)\]$", r"\1", raw)
            m = re.match(r"^(.+):(\d+)$", bare) if bare.count(":") == 1 else None
            entry, entry_port = (m.group(1), int(m.group(2))) if m else (bare, 0)
        entry = re.sub(r"^\*?\.", "", entry).rstrip(".").lower()
        if entry_port and entry_port != port:
            continue
        if name == entry or name.endswith("." + entry):
            return raw
    return None


def _node_choice(
    client: str, version: str, url: str, variables: Mapping[str, str], node_version: str | None
) -> ProxyChoice:
    sdk = version_tuple(version) if version != "current" else NODE_SDK_FETCH_SINCE
    set_vars = [
        n
        for n in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
        if variables.get(n)
    ]
    ignoring = f"; it ignores {', '.join(set_vars)}" if set_vars else ""
    if sdk and sdk < NODE_SDK_FETCH_SINCE:
        return ProxyChoice(
            client,
            url,
            None,
            note=(
                f"Node SDK {version} sends through node-fetch 2 with its own agentkeepalive agent: no proxy "
                f"variable support at all (only an httpAgent passed in code){ignoring}"
            ),
            ignored=tuple(set_vars),
        )
    enabled = variables.get("NODE_USE_ENV_PROXY") == "1" or "--use-env-proxy" in variables.get("NODE_OPTIONS", "")
    if not enabled:
        return ProxyChoice(
            client,
            url,
            None,
            note=(
                f"Node SDK {version} uses the runtime's fetch (undici), which reads proxy variables only with "
                f"NODE_USE_ENV_PROXY=1 or --use-env-proxy (Node 22.21+/24+){ignoring}"
            ),
            ignored=tuple(set_vars),
        )
    supported = _node_env_proxy_supported(node_version)
    if supported is False:
        return ProxyChoice(
            client,
            url,
            None,
            note=(
                f"NODE_USE_ENV_PROXY is set but Node {node_version} predates it (needs 22.21+ or 24+): direct{ignoring}"
            ),
            ignored=tuple(set_vars),
        )
    parts = split_url(url)
    if parts is None or parts.hostname is None:
        return ProxyChoice(client, url, None, note="the URL cannot be parsed")
    rule = (
        "undici EnvHttpProxyAgent rules (http_proxy ?? HTTP_PROXY, https_proxy ?? HTTPS_PROXY falling back "
        "to the http proxy, no ALL_PROXY; NO_PROXY with ports, '.x' and '*.x' suffixes)"
    )
    if supported is None:
        rule += f"; assumes a Node that supports it (version {node_version or 'unknown'})"

    def first(*names: str) -> tuple[str | None, str | None]:
        for n in names:  # JavaScript `??`: an empty string counts as set
            if n in variables:
                return variables[n], n
        return None, None

    http_proxy, http_name = first("http_proxy", "HTTP_PROXY")
    https_proxy, https_name = first("https_proxy", "HTTPS_PROXY")
    if parts.scheme.lower() == "https":
        proxy, name = (https_proxy, https_name) if https_proxy else (http_proxy, http_name)
    else:
        proxy, name = http_proxy, http_name
    no_proxy = variables.get("no_proxy", variables.get("NO_PROXY", ""))
    if proxy:
        hit = _undici_no_proxy_match(parts.hostname, default_port(parts), no_proxy) if no_proxy else None
        if hit is not None:
            return ProxyChoice(client, url, None, bypass=f"NO_PROXY entry {hit!r}", note=f"{rule}; bypassed")
        return ProxyChoice(client, url, display_url(proxy), variable=name, proxy_url=proxy, note=rule)
    return ProxyChoice(client, url, None, note=f"{rule}; no proxy variable applies")


def proxy_for(
    env: Environment,
    url: str,
    client: str,
    *,
    node_version: str | None = None,
    system_proxies: Mapping[str, str] | None = None,
) -> ProxyChoice:
    """The proxy ``client`` would use for ``url`` under ``env`` (see ``CLIENTS`` for the names).

    ``system_proxies`` are the OS proxy settings (macOS, Windows), which httpx2 reads only when no
    proxy variable is set; ``node_version`` decides whether NODE_USE_ENV_PROXY can work.
    """
    if client in ("httpx2", "sdk-python"):
        return _httpx_choice(client, url, env.variables, system_proxies)
    if client == "curl":
        return _curl_choice(client, url, env)
    if client.startswith("sdk-node@"):
        return _node_choice(client, client.split("@", 1)[1], url, env.variables, node_version)
    return ProxyChoice(client, url, None, note=f"KeyLab has no proxy model for {client!r}")
