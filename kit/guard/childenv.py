"""The environment every child process KeyLab starts with a key gets: nothing that weakens TLS or injects code.

The Node SDK worker and curl receive keys. A variable left over from another job can turn their TLS
verification off (``NODE_TLS_REJECT_UNAUTHORIZED=0``), load code into them before the key arrives
(``NODE_OPTIONS=--require …``, ``LD_PRELOAD``) or add headers and keys to their requests
(``ANTHROPIC_CUSTOM_HEADERS``). ``child_environment`` is the one place that decides what a child sees;
``risky_variables`` says which of those variables the user's environment holds, because they may be
why the user's own application behaves differently from KeyLab's probe.

CA bundle variables (``SSL_CERT_FILE``, ``SSL_CERT_DIR``, ``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) only
add trust the user's clients would also use; they pass through, and are reported. ``NODE_EXTRA_CA_CERTS``
reaches the Node worker only when the caller names a CA file (``extra_ca``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "DROPPED",
    "PROXY_VARIABLES",
    "REPORTED",
    "RiskyVariable",
    "child_environment",
    "cleartext_proxy_note",
    "risky_notes",
    "risky_variables",
]

#: Variables no child that holds a key ever sees, with why (upper-case names; matched case-insensitively).
DROPPED: dict[str, str] = {
    "NODE_TLS_REJECT_UNAUTHORIZED": "turns off TLS certificate verification in Node",
    "NODE_OPTIONS": "passes options (such as --require, --inspect or --use-openssl-ca) to every Node process",
    "NODE_EXTRA_CA_CERTS": "adds certificates Node trusts",
    "NODE_PATH": "changes where Node looks for modules",
    "PYTHONHTTPSVERIFY": "can turn off certificate verification in Python's default HTTPS context",
    "PYTHONPATH": "puts other modules before the standard ones in Python",
    "PYTHONHOME": "points Python at another standard library",
    "PYTHONSTARTUP": "runs a file when an interactive Python starts",
    "LD_PRELOAD": "loads a library into every program before its own",
    "LD_LIBRARY_PATH": "makes programs load other shared libraries",
    "LD_AUDIT": "loads an auditing library into every program",
    "DYLD_INSERT_LIBRARIES": "loads a library into every program (macOS)",
    "DYLD_LIBRARY_PATH": "makes programs load other shared libraries (macOS)",
    "CURL_HOME": "points curl at another .curlrc",
    "SSLKEYLOGFILE": "writes TLS session keys to a file, so recorded traffic (and the key in it) can be decrypted",
}

#: Trust additions that pass through to children (they mirror the user's own clients) but are reported.
REPORTED: dict[str, str] = {
    "SSL_CERT_FILE": "replaces the CA bundle OpenSSL-based clients trust",
    "SSL_CERT_DIR": "adds a folder of CA certificates OpenSSL-based clients trust",
    "REQUESTS_CA_BUNDLE": "replaces the CA bundle requests and the Python SDK trust",
    "CURL_CA_BUNDLE": "replaces the CA bundle curl trusts",
}

#: Proxy variables, removed for children whose target the gate keeps off proxies (loopback, plain HTTP).
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "NODE_USE_ENV_PROXY")


@dataclass(frozen=True)
class RiskyVariable:
    """A variable in the user's environment that changes how a client verifies, loads code or sends headers."""

    name: str
    why: str
    dropped: bool  # True: KeyLab's children never see it; False: it passes through (a trust addition)


def child_environment(
    source: Mapping[str, str], *, proxied: bool = True, extra_ca: str | None = None
) -> dict[str, str]:
    """A copy of ``source`` for a child process that will hold a key.

    Removed: every ``ANTHROPIC_*`` variable (the probe decides what is sent), every variable in
    ``DROPPED``, and the proxy variables unless ``proxied`` (``kit.guard.gate.proxies_apply`` decides).
    ``extra_ca`` becomes ``NODE_EXTRA_CA_CERTS``.
    """
    drop = set(DROPPED) | (set() if proxied else set(PROXY_VARIABLES))
    env = {
        name: value
        for name, value in source.items()
        if not name.upper().startswith("ANTHROPIC_") and name.upper() not in drop
    }
    if extra_ca:
        env["NODE_EXTRA_CA_CERTS"] = extra_ca
    return env


def risky_variables(source: Mapping[str, str]) -> list[RiskyVariable]:
    """The variables of ``DROPPED`` and ``REPORTED`` set in ``source`` (never their values), in a stable order."""
    found = []
    upper = {name.upper(): name for name in source}
    for table, dropped in ((DROPPED, True), (REPORTED, False)):
        for name, why in table.items():
            if name in upper and source[upper[name]] != "":
                found.append(RiskyVariable(name=upper[name], why=why, dropped=dropped))
    if "ANTHROPIC_CUSTOM_HEADERS" in upper:
        found.append(
            RiskyVariable(
                name=upper["ANTHROPIC_CUSTOM_HEADERS"],
                dropped=True,
                why="adds headers (possibly another key) to every request the SDKs send",
            )
        )
    return found


def cleartext_proxy_note(source: Mapping[str, str], target: str) -> str | None:
    """What to say when ``target`` is plain ``http`` off loopback and ``source`` names a proxy for it.

    The gate sends KeyLab's own requests there directly (``kit.guard.gate.proxies_apply``); the user's
    clients would hand the key to the proxy in clear text, which is worth a warning of its own.
    """
    from kit.guard.gate import is_loopback_url, split_url

    parts = split_url(target)
    if parts is None or parts.scheme.lower() != "http" or is_loopback_url(target):
        return None
    upper = {name.upper(): value for name, value in source.items() if value}
    proxy = next((name for name in ("HTTP_PROXY", "ALL_PROXY") if name in upper), None)
    if proxy is None:
        return None
    return (
        f"{proxy} is set and {parts.hostname} is plain http: your own clients would hand the key to that proxy "
        "in clear text (KeyLab reached the host directly, so its probe did not); use https, or put the host "
        "in NO_PROXY"
    )


def risky_notes(source: Mapping[str, str], target: str = "") -> list[str]:
    """One sentence per risky variable set in ``source``: what it does, and whether KeyLab's clients see it."""
    notes = []
    cleartext = cleartext_proxy_note(source, target) if target else None
    if cleartext:
        notes.append(cleartext)
    for var in risky_variables(source):
        if var.dropped:
            notes.append(
                f"{var.name} is set in your environment ({var.why}): KeyLab's clients never see it, "
                "but your own application does, which may be why it behaves differently"
            )
        else:
            notes.append(f"{var.name} is set in your environment ({var.why}): KeyLab's clients use it as yours do")
    return notes
