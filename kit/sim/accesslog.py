"""What the client really sent, safe to keep: the credential's fingerprint, hint, length and defects, never the key.

The access log (JSONL, one object per request) and the capture responder both describe requests with
``describe_credentials``. A header value arrives as text decoded with ``surrogateescape``; it is turned
back into the exact bytes on the wire before fingerprinting, so the fingerprint here equals the one
KeyLab computes for the same bytes in a ``.env`` file or a variable.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from kit.guard.files import open_private, private_dir
from kit.guard.redact import scrub
from kit.keys.inspect import inspect_key
from kit.keys.naming import fingerprint, hint

__all__ = [
    "AccessLog",
    "CredentialSeen",
    "auth_style",
    "describe_credentials",
    "describe_others",
    "for_provider",
    "safe_text",
    "split_bearer",
]

#: A logged or echoed header value or path is cut to this many characters (the log is evidence, not a copy).
MAX_LOGGED_CHARS = 512


@dataclass(frozen=True)
class CredentialSeen:
    """One credential header as received: where, fingerprint, hint, length and non-key characters."""

    header: str  # x-api-key | authorization
    scheme: str  # "" for x-api-key, else the Authorization scheme as sent ("Bearer", "Basic", …)
    fingerprint: str
    hint: str
    length: int  # characters of the credential (after the scheme for Authorization)
    defects: tuple[Mapping[str, Any], ...]  # {cause, detail, position, char}; never key characters

    def describe(self) -> str:
        where = self.header if not self.scheme else f"Authorization: {self.scheme}"
        problems = "; ".join(_defect_text(d) for d in self.defects) or "no defects"
        return f"{where} {self.hint} (fingerprint {self.fingerprint}, {self.length} chars, {problems})"


def _defect_text(defect: Mapping[str, Any]) -> str:
    text = str(defect["detail"])
    if defect.get("char"):
        text += f" {defect['char']}"
    if defect.get("position") is not None:
        text += f" at position {defect['position']}"
    return text


def safe_text(value: str | None, *credentials: str | None) -> str | None:
    """A request value as it may be logged or echoed: through the one redaction path, bytes made visible.

    A key can arrive anywhere (the path, ``anthropic-version``, ``user-agent``…), so every value is scrubbed
    of key shapes, and of this request's own credentials, which need not look like keys. Bytes that are not
    UTF-8 show as ``\\xNN`` (a log line must stay writable), and the value is cut to ``MAX_LOGGED_CHARS``.
    """
    if value is None:
        return None
    text = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    for secret in credentials:
        if secret and len(secret.strip()) >= 4:
            text = text.replace(secret.strip(), "[REDACTED]")
    text = scrub(text)
    return text if len(text) <= MAX_LOGGED_CHARS else text[: MAX_LOGGED_CHARS - 1] + "…"


def _wire_bytes(value: str) -> bytes:
    return value.encode("utf-8", "surrogateescape")


def split_bearer(authorization: str) -> tuple[str, str]:
    """``(scheme, credential)`` from an Authorization value; a value with no space is all credential."""
    scheme, sep, rest = authorization.partition(" ")
    if not sep:
        return "", authorization
    return scheme, rest.lstrip(" ")


def _seen(header: str, scheme: str, value: str) -> CredentialSeen:
    raw = _wire_bytes(value)
    report = inspect_key(raw, alias=header)
    defects = tuple(
        {"cause": d.cause, "detail": d.detail, "position": d.position, "char": d.char} for d in report.defects
    )
    # An Authorization value "KEY more" would make the key its "scheme": a scheme is a short word or nothing shown.
    plain = not scheme or (len(scheme) <= 20 and scheme.isascii() and scheme.isalpha())
    shown_scheme = scheme if plain else "[REDACTED]"
    return CredentialSeen(
        header=header,
        scheme=shown_scheme,
        fingerprint=fingerprint(raw),
        hint=hint(raw),
        length=len(value),
        defects=defects,
    )


@lru_cache(maxsize=256)
def describe_credentials(x_api_key: str | None, authorization: str | None) -> tuple[CredentialSeen, ...]:
    """The credentials in a request, x-api-key first (cached: clients send the same few values again and again)."""
    found: list[CredentialSeen] = []
    if x_api_key is not None:
        found.append(_seen("x-api-key", "", x_api_key))
    if authorization is not None:
        scheme, credential = split_bearer(authorization)
        found.append(_seen("authorization", scheme, credential))
    return tuple(found)


#: Defects about characters, true whatever the provider (the rest, such as key-wrong-provider, judge a key
#: against the Anthropic slot and are dropped when another provider's face answered).
NEUTRAL_DEFECTS = frozenset(
    {"key-whitespace", "key-quoted", "key-invisible-char", "key-non-ascii", "key-bearer-prefix", "key-placeholder"}
)


def for_provider(creds: tuple[CredentialSeen, ...], provider: str) -> tuple[CredentialSeen, ...]:
    """``creds`` with only the provider-neutral defects when a face other than Anthropic's answered."""
    if provider == "anthropic":
        return creds
    return tuple(replace(c, defects=tuple(d for d in c.defects if d["cause"] in NEUTRAL_DEFECTS)) for c in creds)


@lru_cache(maxsize=256)
def describe_others(others: tuple[tuple[str, str], ...]) -> tuple[CredentialSeen, ...]:
    """Credentials in other places (``x-goog-api-key``, the ``key`` query parameter), one per place."""
    return tuple(_seen(where, "", value) for where, value in others)


def auth_style(x_api_key: str | None, authorization: str | None, others: tuple[tuple[str, str], ...] = ()) -> str:
    """x-api-key | bearer | both | none (any Authorization header counts as bearer; its scheme is logged).

    With credentials in other places (Gemini): the place's name (``x-goog-api-key``, ``query:key``), or
    ``both`` when there is more than one credential in all.
    """
    if others:
        count = len(others) + (x_api_key is not None) + (authorization is not None)
        return "both" if count > 1 else others[0][0]
    if x_api_key is not None and authorization is not None:
        return "both"
    if x_api_key is not None:
        return "x-api-key"
    if authorization is not None:
        return "bearer"
    return "none"


def log_entry(
    *,
    method: str,
    path: str,
    status: int | None,
    headers: Mapping[str, str],
    request_id: str | None,
    check: str,
    error_id: str | None,
    elapsed_ms: float,
    x_api_key: str | None,
    authorization: str | None,
    provider: str = "anthropic",
    others: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:
    """One access-log object. ``headers`` are the request headers (lower-case names); keys are reduced to labels.

    ``others`` are credentials in other places than x-api-key and Authorization (Gemini's header and
    query parameter). Free-text header values go through ``kit.guard.redact.scrub`` on their way in.
    """
    creds = for_provider(describe_others(others) + describe_credentials(x_api_key, authorization), provider)
    primary = creds[0] if creds else None
    secrets = (x_api_key, split_bearer(authorization)[1] if authorization is not None else None)

    def safe(value: str | None) -> str | None:
        return safe_text(value, *secrets)

    entry: dict[str, Any] = {
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "method": safe(method),
        "path": safe(path),
        "status": status,
        "auth_style": auth_style(x_api_key, authorization),
        "auth_scheme": safe(creds[-1].scheme) if authorization is not None else None,
        "fingerprint": primary.fingerprint if primary else None,
        "hint": primary.hint if primary else None,
        "length": primary.length if primary else None,
        "defects": [dict(d) for d in primary.defects] if primary else [],
        "credentials": [
            {
                "header": c.header,
                "scheme": safe(c.scheme),
                "fingerprint": c.fingerprint,
                "hint": c.hint,
                "length": c.length,
                "defects": [dict(d) for d in c.defects],
            }
            for c in creds
        ],
        "anthropic_version": safe(headers.get("anthropic-version")),
        "anthropic_beta": safe(headers.get("anthropic-beta")),
        "anthropic_workspace_id": safe(headers.get("anthropic-workspace-id")),
        "user_agent": safe(headers.get("user-agent")),
        "x_stainless_package_version": safe(headers.get("x-stainless-package-version")),
        "content_type": safe(headers.get("content-type")),
        "request_id": request_id,
        "check": check,
        "error_id": error_id,
        "elapsed_ms": round(elapsed_ms, 3),
    }
    if provider != "anthropic":
        entry["provider"] = provider
        entry["auth_style"] = auth_style(x_api_key, authorization, others)
        for name in ("openai-organization", "openai-project", "referer", "x-goog-api-client"):
            value = headers.get(name)
            entry[name.replace("-", "_")] = scrub(value) if value is not None else None
    for name in ("user_agent", "anthropic_beta", "anthropic_workspace_id", "anthropic_version"):
        if entry.get(name):
            entry[name] = scrub(entry[name])
    return entry


class AccessLog:
    """Appends entries to a JSONL file (when given) and keeps the most recent ones in memory for tests."""

    def __init__(self, path: Path | None, keep: int = 10_000) -> None:
        self.path = path
        self._recent: deque[dict[str, Any]] = deque(maxlen=keep)
        self._lock = threading.Lock()
        self._fh: IO[Any] | None = None
        if path is not None:  # 0600, never through a link (kit.guard.files)
            private_dir(path.parent)
            self._fh = open_private(path, "a")

    def write(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, ensure_ascii=True)  # \u escapes: a log shown with tail -f cannot steer a terminal
        with self._lock:
            self._recent.append(entry)
            if self._fh is not None:
                self._fh.write(line + "\n")
                self._fh.flush()

    def entries(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._recent)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.entries())

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
