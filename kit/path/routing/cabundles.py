"""The CA bundle each client would trust: its base store, the files the environment adds or substitutes.

Nothing here does I/O except reading the CA files the environment (or a ``.curlrc``) names, to say
whether they hold a PEM certificate.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from kit.env import Environment
from kit.path.routing.curlrc import curlrc

__all__ = ["CaChoice", "ca_for"]


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
