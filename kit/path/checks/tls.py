"""The ``tls`` step: a handshake verified against each trust store, named with the clients that use it."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kit.path.checks.route import Route
from kit.path.checks.tcp import close_writer
from kit.path.tlsinfo import CertInfo, TrustStore, cert_info, issuer_expected, verify_problem
from kit.values import PathCheck

__all__ = ["Handshake", "handshake", "tls_row"]


@dataclass
class Handshake:
    store: TrustStore
    ok: bool
    protocol: str = ""
    cipher: str = ""
    peercert: dict[str, Any] | None = None
    code: str = ""
    problem: str = ""


async def handshake(
    store: TrustStore,
    host: str,
    timeout: float,
    opener: Callable[[], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]],
) -> Handshake:
    try:
        ctx = store.context()
    except (OSError, ssl.SSLError) as exc:
        code, problem = verify_problem(exc)
        return Handshake(store, False, code=code, problem=problem)
    writer: asyncio.StreamWriter | None = None
    try:
        _, writer = await opener()
        await asyncio.wait_for(writer.start_tls(ctx, server_hostname=host, ssl_handshake_timeout=timeout), timeout)
        obj = writer.get_extra_info("ssl_object")
        cipher = obj.cipher() if obj is not None else None
        return Handshake(
            store,
            True,
            protocol=(obj.version() or "") if obj is not None else "",
            cipher=cipher[0] if cipher else "",
            peercert=obj.getpeercert() if obj is not None else None,
        )
    except TimeoutError:
        return Handshake(store, False, code="timeout", problem=f"no TLS handshake within {timeout:g} s")
    except (ssl.SSLError, OSError, ConnectionError) as exc:
        code, problem = verify_problem(exc)
        if isinstance(exc, (ConnectionError, OSError)) and not isinstance(exc, ssl.SSLError):
            code, problem = "reset", f"the connection was closed during the TLS handshake ({type(exc).__name__})"
        return Handshake(store, False, code=code, problem=problem)
    finally:
        close_writer(writer)


_TLS_FIX = (
    "if your network inspects TLS, get its CA certificate from IT and add it to each client: append it to a "
    "copy of the certifi bundle and point SSL_CERT_FILE there (Python), CURL_CA_BUNDLE (curl), "
    "NODE_EXTRA_CA_CERTS (Node); never turn verification off"
)


def tls_row(
    route: Route,
    shakes: list[Handshake],
    elapsed: float,
    official: bool,
    expected: Sequence[str],
    clock_offset: float | None = None,
) -> tuple[PathCheck, Handshake | None]:
    target = route.label
    good = [s for s in shakes if s.ok]
    verified_by = "; ".join(
        f"{s.store.name}: {'verified' if s.ok else s.problem}"
        + (f" [{', '.join(s.store.clients)}]" if s.store.clients else "")
        for s in shakes
    )
    details: list[tuple[str, str]] = [*route.details(), ("verification", verified_by)]
    if not good:
        codes = {s.code for s in shakes}
        first = shakes[0].problem if shakes else "no trust store could be used"
        if codes <= {"timeout", "reset"}:
            return PathCheck(
                "tls",
                target,
                False,
                f"TLS handshake did not complete: {first}",
                elapsed,
                tuple(details),
                "network-unreachable",
                "check the network; a firewall or proxy may cut TLS connections to this host",
            ), None
        if codes & {"not-tls"}:
            return PathCheck(
                "tls",
                target,
                False,
                f"no TLS here: {first}",
                elapsed,
                tuple(details),
                "base-url-override",
                "use the https:// URL of the API (http:// for a plain server)",
            ), None
        if codes & {"expired", "not-yet-valid"}:
            return PathCheck(
                "tls",
                target,
                False,
                f"certificate not valid now: {first}",
                elapsed,
                tuple(details),
                "tls-interception",
                "check this machine's clock first; if it is right, something on the "
                "path presents an out-of-date certificate",
            ), None
        return PathCheck(
            "tls",
            target,
            False,
            f"no trust store verifies this certificate: {first}",
            elapsed,
            tuple(details),
            "tls-interception",
            _TLS_FIX,
        ), None
    user = [s for s in good if s.store.named_by_user]
    best = user[0] if user else good[0]
    info: CertInfo = cert_info(best.peercert or {})
    days = info.days_left()
    details += [
        ("protocol", best.protocol),
        ("cipher", best.cipher),
        ("subject", info.subject),
        ("issuer", info.issuer),
        ("sans", ", ".join(info.sans[:12]) + (" …" if len(info.sans) > 12 else "")),
        ("valid from", info.not_before.isoformat() if info.not_before else "?"),
        ("valid until", info.not_after.isoformat() if info.not_after else "?"),
        ("days left", f"{days:.0f}" if days is not None else "?"),
    ]
    missing = [s for s in shakes if not s.ok]
    lost = sorted({c for s in missing for c in s.store.clients if c in route.clients})
    split = ""
    if missing:
        split = f"; NOT verified by {', '.join(s.store.name for s in missing)}" + (
            f" ({', '.join(lost)} need the CA added)" if lost else ""
        )
    if official and not issuer_expected(info, expected):
        return PathCheck(
            "tls",
            target,
            False,
            f"certificate issued by {info.issuer!r}, not by an issuer the API uses ({', '.join(expected)}): "
            f"something on the path decrypts and re-encrypts TLS{split}",
            elapsed,
            tuple(details),
            "tls-interception",
            "ask IT whether the network inspects TLS and exempt api.anthropic.com, or install the inspection CA for "
            "every client (SSL_CERT_FILE, CURL_CA_BUNDLE, NODE_EXTRA_CA_CERTS)",
        ), best
    verdict = (
        f"{best.protocol}, verified by {best.store.name}; issuer {info.issuer}"
        + (f"; expires in {days:.0f} days" if days is not None else "")
        + split
    )
    if lost and not user:
        # the stores disagree: some clients will fail TLS here while others work
        return PathCheck(
            "tls",
            target,
            False,
            verdict,
            elapsed,
            tuple(details),
            "tls-interception",
            "install the missing CA for the clients listed (see verification): SSL_CERT_FILE (Python), "
            "CURL_CA_BUNDLE (curl), NODE_EXTRA_CA_CERTS (Node)",
        ), best
    if days is not None and days < 7:
        return PathCheck(
            "tls",
            target,
            False,
            verdict,
            elapsed,
            tuple(details),
            None,
            "the certificate expires within a week: tell whoever runs this server",
        ), best
    return PathCheck("tls", target, True, verdict, elapsed, tuple(details)), best
