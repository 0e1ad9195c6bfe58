"""The one host gate: where a key may go, and whether a request with a key may pass through a proxy.

Two decisions rest on one definition of "this machine", so they cannot disagree:

- ``is_allowed_host``: a key goes only to the target URL, to loopback, or to a host the user named
  (``--allow-host``). The probe, the Admin lookup and the path check's "keys sent" column ask it.
- ``proxies_apply``: whether a client may hand a request to the user's proxies. Only for ``https``
  off loopback, where the request travels inside a CONNECT tunnel and the proxy sees ciphertext.
  A plain-``http`` request given to a proxy hands it the key in cleartext, and a loopback request
  never needs one, so both go direct. ``RoutePools``, curl's ``noproxy`` and the Node worker's
  environment all ask this function.

Loopback is a literal loopback address (127.0.0.0/8, ``::1``) or the name ``localhost`` when it
resolves only to such addresses. Names that merely look local (``localhost.``, ``*.localhost``,
``localhost.localdomain``, ``ip6-localhost``) are not loopback: they are resolved by DNS or a hosts
file the user does not control, and a trailing dot skips the hosts file's ``localhost`` entry.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import threading
from collections.abc import Callable, Sequence
from urllib.parse import SplitResult, urlsplit

__all__ = [
    "default_port",
    "is_allowed_host",
    "is_loopback",
    "is_loopback_address",
    "is_loopback_url",
    "norm_host",
    "proxies_apply",
    "split_url",
]

_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
#: Resolving ``localhost`` must never hang the gate: past this many seconds it counts as not loopback.
_RESOLVE_TIMEOUT_S = 2.0

Resolver = Callable[[str], Sequence[str]]


def split_url(url: str) -> SplitResult | None:
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


def norm_host(host: str) -> str:
    """A host name for comparing two URLs' hosts (brackets, case and a final dot do not matter)."""
    return host.strip("[]").rstrip(".").lower()


def default_port(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme.lower() == "https" else 80)


def is_loopback_address(text: str) -> bool:
    """A literal address in 127.0.0.0/8 or ``::1`` (no zone, no IPv4-mapped form, no shorthand like 127.1)."""
    try:
        address = ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return address in _LOOPBACK_V4
    return address.scope_id is None and int(address) == 1


def _system_resolve(name: str) -> Sequence[str]:
    """Every address the system resolver gives for ``name``, in a daemon thread with a deadline."""
    found: list[str] = []
    done = threading.Event()

    def work() -> None:
        try:
            found.extend(str(info[4][0]) for info in socket.getaddrinfo(name, None, type=socket.SOCK_STREAM))
        except (OSError, UnicodeError):
            pass
        finally:
            done.set()

    threading.Thread(target=work, name="keylab-gate-resolve", daemon=True).start()
    return list(found) if done.wait(_RESOLVE_TIMEOUT_S) else []


@functools.cache
def _localhost_is_loopback() -> bool:
    return _resolves_only_to_loopback("localhost", _system_resolve)


def _resolves_only_to_loopback(name: str, resolve: Resolver) -> bool:
    addresses = list(resolve(name))
    return bool(addresses) and all(is_loopback_address(a) for a in addresses)


def is_loopback(host: str, *, resolve: Resolver | None = None) -> bool:
    """Is ``host`` (as written in a URL) this machine? See the module docstring for the one definition.

    ``resolve`` replaces the system resolver for ``localhost`` (tests); by default the answer is
    resolved once per process.
    """
    if is_loopback_address(host):
        return True
    if host.lower() != "localhost":
        return False
    return _resolves_only_to_loopback("localhost", resolve) if resolve is not None else _localhost_is_loopback()


def is_loopback_url(url: str) -> bool:
    """True when ``url`` is an http(s) URL whose host is loopback (see ``is_loopback``)."""
    parts = split_url(url)
    return parts is not None and parts.hostname is not None and is_loopback(parts.hostname)


def proxies_apply(url: str) -> bool:
    """May a request with a key for ``url`` go through the user's proxies? Only ``https`` off loopback."""
    parts = split_url(url)
    if parts is None or parts.scheme.lower() != "https":
        return False
    return parts.hostname is not None and not is_loopback(parts.hostname)


def is_allowed_host(url: str, api_url: str, allow_hosts: Sequence[str] = ()) -> bool:
    """May a key be sent to ``url``? Only to loopback, to the target ``api_url``, or to a host the user named.

    The target must match by scheme, host and port; a named host (``"gw.example.com"``,
    ``"gw.example.com:8443"`` or a full URL) by host, and by port and scheme when it gives them (a
    bare name admits HTTPS only). Anything a URL parser could read two ways (backslashes, blanks,
    control characters) is refused, and so is cleartext HTTP to a non-loopback host that the user
    did not name with its ``http://`` scheme.
    """
    parts = split_url(url)
    if parts is None or parts.hostname is None:
        return False
    if is_loopback(parts.hostname):
        return True
    host, scheme, port = norm_host(parts.hostname), parts.scheme.lower(), default_port(parts)
    target = split_url(api_url)
    if (
        target is not None
        and target.hostname is not None
        and (norm_host(target.hostname), target.scheme.lower(), default_port(target)) == (host, scheme, port)
    ):
        return True
    for entry in allow_hosts:
        entry = entry.strip()
        if not entry:
            continue
        named = split_url(entry if "://" in entry else f"https://{entry}")
        if named is None or named.hostname is None or norm_host(named.hostname) != host:
            continue
        if named.scheme.lower() != scheme:
            continue
        if named.port is not None and named.port != port:
            continue
        return True
    return False
