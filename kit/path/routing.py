"""Where each client would really send a request: its base URL, its proxy and the CA bundle it trusts.

Every client reads the same variables by its own rules, and the differences are the point: ``curl``
ignores ``HTTP_PROXY`` in upper case, the Node SDK 0.24 ignores every proxy variable, current Node
SDKs use one only when ``NODE_USE_ENV_PROXY=1``, ``NO_PROXY=*.corp`` means something to httpx2 and
nothing to curl, and an empty ``ANTHROPIC_BASE_URL`` breaks the Python SDK but not the Node one.
Each rule below was read from the client's source (named where it is used), not guessed, and the
test suite checks the httpx2 and curl models against the installed httpx2 and the system curl.

Nothing here does I/O except reading files the environment names (a ``.curlrc``, an SDK profile, a
CA bundle). ``is_allowed_host`` is the single gate for "keys go only to the target URL and
loopback, unless the user names another host"; the probe uses it too.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, urlsplit

from httpx2 import URL, InvalidURL
from httpx2._utils import URLPattern, is_ipv4_hostname, is_ipv6_hostname

from kit.catalog import catalog, client_catalog
from kit.env import Environment
from kit.values import PathCheck

__all__ = [
    "CLIENTS",
    "NODE_SDK_CURRENT",
    "NODE_SDK_FETCH_SINCE",
    "BaseUrlChoice",
    "CaChoice",
    "ProxyChoice",
    "base_url_for",
    "ca_for",
    "curlrc",
    "display_url",
    "is_allowed_host",
    "is_loopback",
    "node_sdk_client",
    "proxy_for",
    "routing_checks",
]

#: The newest Node SDK KeyLab knows of (data/catalog/clients.toml); it and the ticket's are checked by default.
NODE_SDK_CURRENT = client_catalog().node_current
#: From this version on the Node SDK uses the runtime's fetch; before it, node-fetch 2 with its own
#: keep-alive agent (npm: @anthropic-ai/sdk 0.41.0 depends on node-fetch, 0.50.1 has no dependencies).
NODE_SDK_FETCH_SINCE = (0, 50, 0)

#: The clients KeyLab models, in the order tables show them.
CLIENTS = client_catalog().path

_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def node_sdk_client(version: str) -> str:
    return f"sdk-node@{version}"


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = re.findall(r"\d+", text.lstrip("v"))
    return tuple(int(p) for p in parts[:3]) if parts else ()


# ── URLs and the allow-list ───────────────────────────────────────────────────────────────


def _split(url: str) -> SplitResult | None:
    """``urlsplit`` that refuses what parsers disagree on (backslashes, blanks, control characters)."""
    if not isinstance(url, str) or not url or any(ch in url for ch in "\\ \t\r\n") or not url.isprintable():
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return parts


def _norm_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


def _port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme.lower() == "https" else 80)


def is_loopback(host: str) -> bool:
    """``localhost`` and the loopback networks (127.0.0.0/8, ::1), nothing that merely resolves there."""
    name = _norm_host(host)
    if name in _LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def is_allowed_host(url: str, api_url: str, allow_hosts: Sequence[str] = ()) -> bool:
    """May a key be sent to ``url``? Only to loopback, to the target ``api_url``, or to a host the user named.

    The target must match by scheme, host and port; a named host (``"gw.example.com"``,
    ``"gw.example.com:8443"`` or a full URL) by host, and by port and scheme when it gives them (a
    bare name admits HTTPS only). Anything a URL parser could read two ways (backslashes, blanks,
    control characters) is refused, and so is cleartext HTTP to a non-loopback host that the user
    did not name with its ``http://`` scheme.
    """
    parts = _split(url)
    if parts is None or parts.hostname is None:
        return False
    host, scheme, port = _norm_host(parts.hostname), parts.scheme.lower(), _port(parts)
    if is_loopback(host):
        return True
    target = _split(api_url)
    if target is not None and target.hostname is not None and (
        _norm_host(target.hostname), target.scheme.lower(), _port(target)
    ) == (host, scheme, port):
        return True
    for entry in allow_hosts:
        entry = entry.strip()
        if not entry:
            continue
        named = _split(entry if "://" in entry else f"https://{entry}")
        if named is None or named.hostname is None or _norm_host(named.hostname) != host:
            continue
        if named.scheme.lower() != scheme:
            continue
        if named.port is not None and named.port != port:
            continue
        return True
    return False


def display_url(url: str | None) -> str:
    """A URL safe to show: a password in it is replaced by ``***`` (proxy URLs often carry one)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparsable URL)"
    if parts.password is None and "@" not in parts.netloc:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    netloc = f"{user}:***@{host}" if user else f"***@{host}"
    return parts._replace(netloc=netloc).geturl()


# ── Proxies ─────────────────────────────────────────────────────────────────────────────


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
        elif (hostname.lower() == "localhost" or hostname.startswith("[")
              or (hostname.startswith("*.") and "/" not in hostname)):
            mounts[f"all://{hostname}"] = (None, why)
        elif "/" not in hostname:
            mounts[f"all://*{hostname}"] = (None, why)
    return mounts


def _httpx_choice(client: str, url: str, variables: Mapping[str, str],
                  system: Mapping[str, str] | None) -> ProxyChoice:
    env_proxies = _python_proxies(variables)
    proxies = env_proxies
    origin = "environment"
    if not env_proxies and system:
        # urllib.request.getproxies() falls back on the OS settings (macOS System Settings, Windows registry).
        proxies = {k: (v, f"system proxy setting ({k})") for k, v in system.items() if v}
        origin = "system settings"
    mounts = _httpx_mounts(proxies)
    rule = ("httpx2 rules (urllib getproxies: lower case wins, ALL_PROXY counts; NO_PROXY by suffix, "
            "'*' disables, ports and CIDR allowed)")
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
            return ProxyChoice(client, url, display_url(proxy), variable=why, proxy_url=proxy,
                               note=f"{rule}; from {origin}")
    return ProxyChoice(client, url, None, note=f"{rule}; no proxy variable applies")


def _curl_env(variables: Mapping[str, str], name: str) -> str | None:
    value = variables.get(name)
    return value if value else None  # curl_getenv treats an empty value as unset


def _curl_no_proxy_match(host: str, no_proxy: str) -> str | None:
    """curl's Curl_check_noproxy (lib/noproxy.c): the matching entry, or None. No ports, no wildcards."""
    if no_proxy.strip() == "*":
        return "*"
    name = _norm_host(host)
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


@dataclass(frozen=True)
class CurlRc:
    """The settings of a ``.curlrc`` that change where curl goes and what it trusts."""

    path: Path | None = None
    proxy: str | None = None
    noproxy: str | None = None
    cacert: str | None = None
    capath: str | None = None
    insecure: bool = False


_CURLRC_KEYS = {"x": "proxy", "proxy": "proxy", "noproxy": "noproxy", "cacert": "cacert", "capath": "capath",
                "k": "insecure", "insecure": "insecure"}


def curlrc(env: Environment) -> CurlRc:
    """The first ``.curlrc`` curl would read (CURL_HOME, XDG_CONFIG_HOME, HOME; tool_findfile.c), parsed."""
    candidates: list[Path] = []
    if env.get("CURL_HOME"):
        candidates.append(Path(env.get("CURL_HOME") or "") / ".curlrc")
    if env.get("XDG_CONFIG_HOME"):
        candidates.append(Path(env.get("XDG_CONFIG_HOME") or "") / "curlrc")
    candidates += [env.home / ".curlrc", env.home / ".config" / "curlrc"]
    for path in candidates:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found: dict[str, str | bool] = {}
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            match = re.match(r"^-{0,2}([A-Za-z][A-Za-z0-9-]*)\s*[=:\s]?\s*(.*)$", line)
            if not match or match.group(1) not in _CURLRC_KEYS:
                continue
            key, value = _CURLRC_KEYS[match.group(1)], match.group(2).strip()
            if key == "insecure":
                found[key] = True
                continue
            try:
                words = shlex.split(value)
            except ValueError:
                words = [value]
            if words:
                found[key] = words[0]
        return CurlRc(
            path=path,
            proxy=str(found["proxy"]) if "proxy" in found else None,
            noproxy=str(found["noproxy"]) if "noproxy" in found else None,
            cacert=str(found["cacert"]) if "cacert" in found else None,
            capath=str(found["capath"]) if "capath" in found else None,
            insecure=bool(found.get("insecure", False)),
        )
    return CurlRc()


def _curl_choice(client: str, url: str, env: Environment) -> ProxyChoice:
    parts = _split(url)
    if parts is None or parts.hostname is None:
        return ProxyChoice(client, url, None, note="the URL cannot be parsed")
    scheme, host = parts.scheme.lower(), parts.hostname
    rc = curlrc(env)
    rule = ("curl rules (lib/url.c detect_proxy: lower-case http_proxy only, https_proxy then HTTPS_PROXY, "
            "then all_proxy/ALL_PROXY; NO_PROXY by domain suffix or CIDR, only a lone '*', no ports)")
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
        names = [f"{scheme}_proxy"] + ([] if scheme == "http" else [f"{scheme.upper()}_PROXY"]) + ["all_proxy",
                                                                                                 "ALL_PROXY"]
        for name in names:
            value = _curl_env(env.variables, name)
            if value:
                proxy, variable = value, name
                break
    ignored = ""
    if scheme == "http" and proxy is None and _curl_env(env.variables, "HTTP_PROXY"):
        ignored = "; HTTP_PROXY in upper case is ignored by curl on purpose (httpoxy)"
    if proxy is None:
        return ProxyChoice(client, url, None, note=f"{rule}; no proxy variable applies{ignored}",
                           ignored=("HTTP_PROXY",) if ignored else ())
    if no_proxy:
        hit = _curl_no_proxy_match(host, no_proxy)
        if hit is not None:
            return ProxyChoice(client, url, None, bypass=f"{no_name} entry {hit!r}",
                               note=f"{rule}; bypassed by {no_name} entry {hit!r}")
    if not proxy:
        return ProxyChoice(client, url, None, note=f"{rule}; an empty proxy setting means direct")
    full = proxy if "://" in proxy else f"http://{proxy}"
    return ProxyChoice(client, url, display_url(full), variable=variable, proxy_url=full, note=rule)


def _node_env_proxy_supported(node_version: str | None) -> bool | None:
    """Does this Node honour NODE_USE_ENV_PROXY for fetch? (22.21+ on 22, 24.0+; Node docs, enterprise network)."""
    if not node_version:
        return None
    v = _version_tuple(node_version)
    if not v:
        return None
    return v[0] >= 24 or (v[0] == 22 and v[1:2] >= (21,))


def _undici_no_proxy_match(host: str, port: int, no_proxy: str) -> str | None:
    """undici EnvHttpProxyAgent #shouldProxy: '*' disables, entries may carry ports, '.x' and '*.x' are suffixes."""
    if no_proxy == "*":
        return "*"
    name = _norm_host(host)
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


def _node_choice(client: str, version: str, url: str, variables: Mapping[str, str],
                 node_version: str | None) -> ProxyChoice:
    sdk = _version_tuple(version) if version != "current" else NODE_SDK_FETCH_SINCE
    set_vars = [n for n in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
                if variables.get(n)]
    ignoring = f"; it ignores {', '.join(set_vars)}" if set_vars else ""
    if sdk and sdk < NODE_SDK_FETCH_SINCE:
        return ProxyChoice(client, url, None, note=(
            f"Node SDK {version} sends through node-fetch 2 with its own agentkeepalive agent: no proxy "
            f"variable support at all (only an httpAgent passed in code){ignoring}"), ignored=tuple(set_vars))
    enabled = variables.get("NODE_USE_ENV_PROXY") == "1" or "--use-env-proxy" in variables.get("NODE_OPTIONS", "")
    if not enabled:
        return ProxyChoice(client, url, None, note=(
            f"Node SDK {version} uses the runtime's fetch (undici), which reads proxy variables only with "
            f"NODE_USE_ENV_PROXY=1 or --use-env-proxy (Node 22.21+/24+){ignoring}"), ignored=tuple(set_vars))
    supported = _node_env_proxy_supported(node_version)
    if supported is False:
        return ProxyChoice(client, url, None, note=(
            f"NODE_USE_ENV_PROXY is set but Node {node_version} predates it (needs 22.21+ or 24+): direct{ignoring}"),
            ignored=tuple(set_vars))
    parts = _split(url)
    if parts is None or parts.hostname is None:
        return ProxyChoice(client, url, None, note="the URL cannot be parsed")
    rule = ("undici EnvHttpProxyAgent rules (http_proxy ?? HTTP_PROXY, https_proxy ?? HTTPS_PROXY falling back "
            "to the http proxy, no ALL_PROXY; NO_PROXY with ports, '.x' and '*.x' suffixes)")
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
        hit = _undici_no_proxy_match(parts.hostname, _port(parts), no_proxy) if no_proxy else None
        if hit is not None:
            return ProxyChoice(client, url, None, bypass=f"NO_PROXY entry {hit!r}", note=f"{rule}; bypassed")
        return ProxyChoice(client, url, display_url(proxy), variable=name, proxy_url=proxy, note=rule)
    return ProxyChoice(client, url, None, note=f"{rule}; no proxy variable applies")


def proxy_for(env: Environment, url: str, client: str, *, node_version: str | None = None,
              system_proxies: Mapping[str, str] | None = None) -> ProxyChoice:
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


# ── Base URLs ───────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class BaseUrlChoice:
    """The base URL a client would send to, and where that value came from."""

    client: str
    url: str  # exactly as the client would use it (may be empty or malformed: that is the finding)
    source: str  # "explicit argument" | "ANTHROPIC_BASE_URL" | "profile <path>" | "default" | "target"
    problem: str = ""  # why this URL cannot work, when it cannot
    note: str = ""


def _config_dir(env: Environment) -> Path:
    """The SDK's config dir: ANTHROPIC_CONFIG_DIR or ~/.config/anthropic (anthropic/lib/credentials/_constants.py)."""
    value = env.get("ANTHROPIC_CONFIG_DIR")
    return Path(value) if value else env.home / ".config" / "anthropic"


def _profile_base_url(env: Environment) -> tuple[str | None, str]:
    """``base_url`` from the active SDK profile (ANTHROPIC_PROFILE, then active_config, then default)."""
    base = _config_dir(env)
    name = env.get("ANTHROPIC_PROFILE")
    if not name:
        try:
            name = (base / "active_config").read_text(encoding="utf-8").strip() or None
        except OSError:
            name = None
    name = name or "default"
    if "/" in name or "\\" in name or name.startswith("."):
        return None, ""
    path = base / "configs" / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, ""
    raw = data.get("base_url") if isinstance(data, dict) else None
    return (str(raw).rstrip("/"), str(path)) if raw else (None, str(path))


def _url_problem(url: str) -> str:
    if url == "":
        return "empty: every request fails before it leaves the machine"
    if url != url.strip():
        return "has leading or trailing whitespace, which the client keeps: every request fails"
    parts = _split(url)
    if parts is None:
        return "is not an http(s) URL the client can use"
    if parts.path.rstrip("/").endswith("/v1"):
        return "ends in /v1: the SDK adds /v1 itself, so requests go to /v1/v1/... (404 or a gateway error)"
    return ""


def base_url_for(env: Environment, client: str, *, explicit: str | None = None,
                 target: str | None = None) -> BaseUrlChoice:
    """The base URL ``client`` would use: explicit argument > ANTHROPIC_BASE_URL > SDK profile > default.

    curl and httpx2 read no base URL variable: they go wherever they are pointed (``target``).
    """
    official = catalog().official_base_url
    if client in ("httpx2", "curl"):
        url = explicit or target or official
        return BaseUrlChoice(client, url, "explicit argument" if explicit else "target",
                             _url_problem(url), note=f"{client} reads no base URL variable")
    has_env = "ANTHROPIC_BASE_URL" in env.variables
    raw = env.variables.get("ANTHROPIC_BASE_URL", "")
    if explicit is not None:
        return BaseUrlChoice(client, explicit, "explicit argument", _url_problem(explicit))
    if client == "sdk-python":
        # anthropic/_client.py: `if base_url is None: base_url = os.environ.get("ANTHROPIC_BASE_URL")` (no strip,
        # an empty value counts); a profile's base_url applies only when no key/token variable is set.
        if has_env:
            return BaseUrlChoice(client, raw, "ANTHROPIC_BASE_URL", _url_problem(raw),
                                 note="the Python SDK uses the value exactly as set, even when empty")
        if not (env.get("ANTHROPIC_API_KEY") or env.get("ANTHROPIC_AUTH_TOKEN")):
            profile_url, path = _profile_base_url(env)
            if profile_url:
                return BaseUrlChoice(client, profile_url, f"profile {path}", _url_problem(profile_url))
        return BaseUrlChoice(client, official, "default")
    if client.startswith("sdk-node@"):
        version = client.split("@", 1)[1]
        value = raw.strip()  # readEnv trims; an empty result falls through (`baseURL || default`)
        if value:
            note = "the Node SDK trims the value" if value != raw else ""
            return BaseUrlChoice(client, value, "ANTHROPIC_BASE_URL", _url_problem(value), note=note)
        note = "ANTHROPIC_BASE_URL is set but blank; the Node SDK ignores it" if has_env else ""
        sdk = _version_tuple(version)
        if (not sdk or sdk >= NODE_SDK_FETCH_SINCE) and not (
            (env.get("ANTHROPIC_API_KEY") or "").strip() or (env.get("ANTHROPIC_AUTH_TOKEN") or "").strip()
        ):
            profile_url, path = _profile_base_url(env)
            if profile_url:
                return BaseUrlChoice(client, profile_url, f"profile {path}", _url_problem(profile_url), note=note)
        return BaseUrlChoice(client, official, "default", note=note)
    return BaseUrlChoice(client, target or official, "target")


# ── CA bundles ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class CaChoice:
    """What a client trusts: its base store, the files the environment adds or substitutes, and problems."""

    client: str
    store: str  # for people: "system store", "Node's bundled Mozilla store", ...
    files: tuple[tuple[str, str], ...] = ()  # (variable or setting, path) the client reads
    ignored: tuple[str, ...] = ()  # variables that are set but this client does not read
    problems: tuple[str, ...] = ()
    verification_off: str | None = None  # the setting that disables verification, if any

    @property
    def custom(self) -> bool:
        return bool(self.files)


def _pem_problem(path: str, *, directory: bool = False) -> str:
    p = Path(path).expanduser()
    if directory:
        return "" if p.is_dir() else f"{path} is not a directory"
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        return f"{path} does not exist"
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror or type(exc).__name__})"
    if b"-----BEGIN CERTIFICATE-----" not in data:
        return f"{path} holds no PEM certificate"
    return ""


def ca_for(env: Environment, client: str) -> CaChoice:
    """The CA settings ``client`` would read under ``env`` (each from the client's source, named below)."""
    v = env.variables
    ca_vars = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "NODE_EXTRA_CA_CERTS")
    files: list[tuple[str, str]] = []
    problems: list[str] = []
    off: str | None = None
    if client in ("httpx2", "sdk-python"):
        # httpcore2/_ssl.py default_ssl_context: SSL_CERT_FILE, else SSL_CERT_DIR, else the system store.
        store = "the system store" + (" (the OS store, via truststore)" if sys.platform in ("darwin", "win32") else "")
        if v.get("SSL_CERT_FILE"):
            files.append(("SSL_CERT_FILE", v["SSL_CERT_FILE"]))
            problems.append(_pem_problem(v["SSL_CERT_FILE"]))
            store = "only the SSL_CERT_FILE bundle (it replaces the system store)"
        elif v.get("SSL_CERT_DIR"):
            files.append(("SSL_CERT_DIR", v["SSL_CERT_DIR"]))
            problems.append(_pem_problem(v["SSL_CERT_DIR"], directory=True))
            store = "only the SSL_CERT_DIR directory (it replaces the system store)"
        used = {"SSL_CERT_FILE", "SSL_CERT_DIR"}
    elif client == "curl":
        # src/tool_operate.c cacertpaths: CURL_CA_BUNDLE, else SSL_CERT_DIR and SSL_CERT_FILE; .curlrc wins.
        rc = curlrc(env)
        store = "curl's built-in bundle"
        used = {"CURL_CA_BUNDLE", "SSL_CERT_DIR", "SSL_CERT_FILE"}
        if rc.cacert or rc.capath:
            if rc.cacert:
                files.append((f"cacert in {rc.path}", rc.cacert))
                problems.append(_pem_problem(rc.cacert))
            if rc.capath:
                files.append((f"capath in {rc.path}", rc.capath))
                problems.append(_pem_problem(rc.capath, directory=True))
            store = "the .curlrc CA settings"
            used = set()
        elif v.get("CURL_CA_BUNDLE"):
            files.append(("CURL_CA_BUNDLE", v["CURL_CA_BUNDLE"]))
            problems.append(_pem_problem(v["CURL_CA_BUNDLE"]))
            store = "only the CURL_CA_BUNDLE file"
            used = {"CURL_CA_BUNDLE"}
        else:
            if v.get("SSL_CERT_DIR"):
                files.append(("SSL_CERT_DIR", v["SSL_CERT_DIR"]))
                problems.append(_pem_problem(v["SSL_CERT_DIR"], directory=True))
            if v.get("SSL_CERT_FILE"):
                files.append(("SSL_CERT_FILE", v["SSL_CERT_FILE"]))
                problems.append(_pem_problem(v["SSL_CERT_FILE"]))
            if files:
                store = "the SSL_CERT_* locations instead of the built-in bundle"
        if rc.insecure:
            off = f"insecure (-k) in {rc.path}"
    elif client.startswith("sdk-node@"):
        # Node: bundled Mozilla store + NODE_EXTRA_CA_CERTS; --use-openssl-ca reads SSL_CERT_*; --use-system-ca.
        options = v.get("NODE_OPTIONS", "")
        store = "Node's bundled Mozilla store"
        used = {"NODE_EXTRA_CA_CERTS"}
        if "--use-openssl-ca" in options:
            store = "the OpenSSL store (--use-openssl-ca)"
            used |= {"SSL_CERT_FILE", "SSL_CERT_DIR"}
            for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
                if v.get(name):
                    files.append((name, v[name]))
                    problems.append(_pem_problem(v[name], directory=name == "SSL_CERT_DIR"))
        if v.get("NODE_USE_SYSTEM_CA") == "1" or "--use-system-ca" in options:
            store += " plus the system store"
        if v.get("NODE_EXTRA_CA_CERTS"):
            files.append(("NODE_EXTRA_CA_CERTS", v["NODE_EXTRA_CA_CERTS"]))
            problem = _pem_problem(v["NODE_EXTRA_CA_CERTS"])
            problems.append(f"{problem} (Node only warns and goes on without it)" if problem else "")
        if v.get("NODE_TLS_REJECT_UNAUTHORIZED") == "0":
            off = "NODE_TLS_REJECT_UNAUTHORIZED=0"
    else:
        return CaChoice(client, "unknown")
    ignored = tuple(name for name in ca_vars if v.get(name) and name not in used)
    return CaChoice(client, store, tuple(files), ignored, tuple(p for p in problems if p), off)


# ── Rows ────────────────────────────────────────────────────────────────────────────────


def _is_official(url: str) -> bool:
    parts = _split(url)
    return (parts is not None and parts.hostname is not None and parts.scheme.lower() == "https"
            and _norm_host(parts.hostname) == catalog().official_host and _port(parts) == 443)


def _same_origin(a: str, b: str) -> bool:
    pa, pb = _split(a), _split(b)
    if pa is None or pb is None or pa.hostname is None or pb.hostname is None:
        return False
    return (pa.scheme.lower(), _norm_host(pa.hostname), _port(pa)) == (
        pb.scheme.lower(), _norm_host(pb.hostname), _port(pb))


def _base_url_row(choice: BaseUrlChoice, api_url: str) -> PathCheck:
    details = [("url", display_url(choice.url) or "(empty)"), ("source", choice.source)]
    if choice.note:
        details.append(("note", choice.note))
    shown = display_url(choice.url) or "(empty)"
    if choice.problem:
        fix = ("run `unset ANTHROPIC_BASE_URL` and remove the line from shell start-up files and .env"
               if choice.source == "ANTHROPIC_BASE_URL" else f"correct the base URL set by {choice.source}")
        return PathCheck("base-url", shown, False, f"{choice.source} gives {shown!r}, which {choice.problem}",
                         details=tuple(details), cause="base-url-override", fix=fix, client=choice.client)
    if _is_official(choice.url) or _same_origin(choice.url, api_url):
        what = "the official API" if _is_official(choice.url) else "the target"
        return PathCheck("base-url", shown, True, f"sends to {what} ({choice.source})", details=tuple(details),
                         client=choice.client)
    parts = _split(choice.url)
    host = parts.hostname if parts is not None and parts.hostname else shown
    fix = {
        "ANTHROPIC_BASE_URL": f"unset ANTHROPIC_BASE_URL (now {shown}) unless you mean to use that gateway; find "
                              "where it is set: grep -n ANTHROPIC_BASE_URL ~/.zshrc ~/.bashrc ~/.profile .env",
        "explicit argument": "pass base_url only when you mean to use a gateway, and give the gateway's own key",
    }.get(choice.source, f"remove base_url from {choice.source.removeprefix('profile ')} or select another profile")
    return PathCheck("base-url", shown, False,
                     f"sends to {host}, not the API ({choice.source}); that host answers instead of Anthropic",
                     details=tuple(details), cause="base-url-override", fix=fix, client=choice.client)


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
        "proxy", choice.target, True, f"via proxy {choice.proxy} (from {choice.variable})",
        details=tuple(details), cause="proxy-interference",
        fix=(f"if the proxy answers or rewrites requests, add {_host_of(choice.target)} to NO_PROXY or unset "
             f"{choice.variable}"),
        client=choice.client,
    )


def _host_of(url: str) -> str:
    parts = _split(url)
    return parts.hostname if parts is not None and parts.hostname else url


def _ca_row(choice: CaChoice, target: str) -> PathCheck:
    details = [("store", choice.store)] + [(name, path) for name, path in choice.files]
    if choice.ignored:
        details.append(("ignored", ", ".join(choice.ignored)))
    if choice.verification_off:
        return PathCheck("ca", target, False, f"TLS verification is OFF ({choice.verification_off})",
                         details=tuple(details), cause=None,
                         fix=f"remove {choice.verification_off}: it hides interception and exposes the key",
                         client=choice.client)
    if choice.problems:
        return PathCheck("ca", target, False, "; ".join(choice.problems), details=tuple(details),
                         cause="tls-interception" if any("no PEM" in p for p in choice.problems) else None,
                         fix="point the variable at a readable PEM bundle, or unset it", client=choice.client)
    verdict = f"trusts {choice.store}"
    if choice.ignored:
        verdict += f"; ignores {', '.join(choice.ignored)}"
    return PathCheck("ca", target, True, verdict, details=tuple(details), client=choice.client)


def routing_checks(env: Environment, api_url: str, *, clients: Sequence[str] = CLIENTS,
                   explicit_base_url: str | None = None, node_version: str | None = None,
                   system_proxies: Mapping[str, str] | None = None) -> tuple[PathCheck, ...]:
    """base-url, proxy and ca rows for each client: where it sends, through what, trusting what."""
    rows: list[PathCheck] = []
    for client in clients:
        try:
            base = base_url_for(env, client, explicit=explicit_base_url, target=api_url)
            rows.append(_base_url_row(base, api_url))
            url = base.url if not base.problem else api_url
            rows.append(_proxy_row(proxy_for(env, url, client, node_version=node_version,
                                             system_proxies=system_proxies)))
            rows.append(_ca_row(ca_for(env, client), _host_of(url)))
        except Exception as exc:  # a routing model must never break the table
            rows.append(PathCheck("proxy", api_url, None, f"could not work out routing: {type(exc).__name__}",
                                  client=client))
    return tuple(rows)
