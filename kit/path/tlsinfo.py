"""Trust stores and certificate facts for the TLS step of the path check.

Clients disagree about whom to trust: httpx2 and the Python SDK use the system store (the OS
store through truststore on macOS and Windows), Node uses its bundled Mozilla store (certifi is
the same list), curl uses the system bundle, and each reads its own variables on top. A corporate
TLS-inspection CA installed in only one of these explains "curl works, Node fails". So the path
check verifies the same server against each store and says which clients each stands for.

Verification is never turned off: every context here has ``CERT_REQUIRED`` and hostname checking.
When no store verifies a chain, the certificate is not shown (Python exposes it only after a
successful verification); OpenSSL's verify message names the problem instead.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import re
import ssl
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CertInfo",
    "TrustStore",
    "cert_info",
    "certifi_store",
    "file_store",
    "issuer_expected",
    "system_store",
    "verify_problem",
]

_CA_FILE_CANDIDATES = (
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/pki/tls/cacert.pem",
    "/etc/ssl/cert.pem",
)


@dataclass(frozen=True)
class TrustStore:
    """One set of trusted roots, and the clients that use it."""

    name: str  # "system store", "certifi (Mozilla)", "SSL_CERT_FILE", "--ca-file", ...
    clients: tuple[str, ...]
    cafile: str | None = None
    capath: str | None = None
    os_store: bool = False  # macOS/Windows: the OS store through truststore
    extra_certifi: bool = False  # Node: the bundled Mozilla list plus NODE_EXTRA_CA_CERTS
    named_by_user: bool = False  # the CA file the user handed to KeyLab: trusted by declaration

    def context(self) -> ssl.SSLContext:
        """A fresh verifying context (CERT_REQUIRED, hostname checked). Raises OSError/SSLError on a bad file."""
        if self.os_store:
            import truststore

            ctx: ssl.SSLContext = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        else:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            if self.extra_certifi:
                import certifi

                ctx.load_verify_locations(certifi.where())
            if self.cafile or self.capath:
                ctx.load_verify_locations(self.cafile, self.capath)
        ctx.check_hostname = True
        ctx.verify_mode = ssl.CERT_REQUIRED
        return ctx


def system_store(clients: Sequence[str] = ("httpx2", "sdk-python", "curl")) -> TrustStore:
    """The store httpx2 uses without SSL_CERT_* (mirrors httpcore2._ssl.default_ssl_context, variables ignored)."""
    if platform.system() in ("Windows", "Darwin"):
        return TrustStore(
            f"{'macOS' if platform.system() == 'Darwin' else 'Windows'} system store", tuple(clients), os_store=True
        )
    paths = ssl.get_default_verify_paths()
    cafile = paths.openssl_cafile if os.path.isfile(paths.openssl_cafile) else None
    capath = paths.openssl_capath if os.path.isdir(paths.openssl_capath) else None
    if capath and not cafile and not any(re.fullmatch(r"[0-9a-fA-F]{8}\.\d", f) for f in os.listdir(capath)):
        capath = None
    if not cafile and not capath:
        cafile = next(filter(os.path.isfile, _CA_FILE_CANDIDATES), None)
    return TrustStore("system store", tuple(clients), cafile=cafile, capath=capath)


def certifi_store(clients: Sequence[str] = ()) -> TrustStore:
    """Mozilla's list as certifi ships it; Node's bundled store is the same list."""
    import certifi

    return TrustStore("certifi (Mozilla list)", tuple(clients), cafile=certifi.where())


def file_store(
    name: str, path: str | Path, clients: Iterable[str] = (), *, plus_certifi: bool = False, named_by_user: bool = False
) -> TrustStore:
    p = str(path)
    if os.path.isdir(p):
        return TrustStore(name, tuple(clients), capath=p, extra_certifi=plus_certifi, named_by_user=named_by_user)
    return TrustStore(name, tuple(clients), cafile=p, extra_certifi=plus_certifi, named_by_user=named_by_user)


@dataclass(frozen=True)
class CertInfo:
    """What a verified leaf certificate says, in plain fields."""

    subject: str
    issuer: str
    issuer_org: str
    sans: tuple[str, ...]
    not_before: dt.datetime | None
    not_after: dt.datetime | None
    serial: str = ""

    def days_left(self, now: dt.datetime | None = None) -> float | None:
        if self.not_after is None:
            return None
        now = now or dt.datetime.now(dt.UTC)
        return (self.not_after - now).total_seconds() / 86400


def _name(rdns: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for rdn in rdns or ():
        for key, value in rdn:
            out.setdefault(str(key), str(value))
    return out


def _when(text: Any) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromtimestamp(ssl.cert_time_to_seconds(str(text)), dt.UTC)
    except (ValueError, OverflowError):
        return None


def _label(fields: Mapping[str, str]) -> str:
    parts = [fields[k] for k in ("commonName", "organizationName") if fields.get(k)]
    if fields.get("commonName") and fields.get("organizationName"):
        return f"{fields['commonName']} ({fields['organizationName']})"
    return parts[0] if parts else "(no name)"


def cert_info(peercert: Mapping[str, Any]) -> CertInfo:
    """Plain fields from ``SSLObject.getpeercert()`` (the dict form of a verified certificate)."""
    subject, issuer = _name(peercert.get("subject")), _name(peercert.get("issuer"))
    sans = tuple(
        f"{kind}:{value}" if kind != "DNS" else str(value) for kind, value in peercert.get("subjectAltName", ())
    )
    return CertInfo(
        subject=_label(subject),
        issuer=_label(issuer),
        issuer_org=issuer.get("organizationName", ""),
        sans=sans,
        not_before=_when(peercert.get("notBefore")),
        not_after=_when(peercert.get("notAfter")),
        serial=str(peercert.get("serialNumber", "")),
    )


def issuer_expected(info: CertInfo, expected: Sequence[str]) -> bool:
    """Is the issuer (organization or common name) one of ``expected`` (case-insensitive substring)?"""
    haystack = f"{info.issuer} {info.issuer_org}".lower()
    return any(item.strip().lower() in haystack for item in expected if item.strip())


def verify_problem(exc: BaseException) -> tuple[str, str]:
    """``(short code, plain message)`` for a TLS failure: untrusted, hostname, expired, protocol, ..."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        message = exc.verify_message or str(exc)
        low = message.lower()
        if "hostname mismatch" in low or "ip address mismatch" in low:
            return "hostname", f"the certificate is for another name ({message})"
        if "expired" in low:
            return "expired", f"the certificate has expired, or this machine's clock is wrong ({message})"
        if "not yet valid" in low:
            return "not-yet-valid", f"the certificate is not yet valid: check this machine's clock ({message})"
        if "self-signed" in low or "self signed" in low or "unable to get local issuer" in low:
            return "untrusted", f"the chain ends at a CA this store does not trust ({message})"
        return "untrusted", message
    if isinstance(exc, ssl.SSLError):
        reason = getattr(exc, "reason", None) or str(exc)
        if "WRONG_VERSION_NUMBER" in str(reason) or "wrong version number" in str(exc):
            return "not-tls", "the server did not speak TLS (plain HTTP on a TLS port?)"
        return "tls-error", f"TLS failed: {reason}"
    if isinstance(exc, FileNotFoundError):
        return "store-missing", f"the CA file does not exist ({exc.filename})"
    if isinstance(exc, OSError):
        return "store-unreadable", f"the CA file cannot be used ({exc.strerror or exc})"
    return "tls-error", f"{type(exc).__name__}: {exc}"
