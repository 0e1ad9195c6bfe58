"""The one redaction path: sensitive headers, key-shaped substrings and every key the kit has seen.

Everything that leaves the kit (tables, logs, exceptions, plots, reports, JSONL) passes through
``scrub`` or ``redact_headers``. httpx masks only ``authorization``; an ``x-api-key`` header would
print in clear, so KeyLab owns its list.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping

from kit.keys import fingerprint, hint

__all__ = [
    "SENSITIVE_HEADERS",
    "RedactingFilter",
    "forget_all",
    "redact_headers",
    "remember",
    "scrub",
]

#: Header names whose values are never shown (lower case).
SENSITIVE_HEADERS = frozenset(
    {"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie", "x-goog-api-key",
     "api-key", "openai-api-key"}
)

#: Runs of this many characters from a secret's body count as a leak.
LEAK_RUN = 12

_KEY_SHAPED = re.compile(
    r"sk-ant-[a-z]+\d{2}-[A-Za-z0-9_\-]{6,}"
    r"|sk-(?:proj|svcacct|admin|or-v1)-[A-Za-z0-9_\-]{8,}"
    r"|sk-[A-Za-z0-9]{20,}"
    r"|AIza[0-9A-Za-z_\-]{20,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|(?:nvapi-|gsk_|hf_|xai-|sgp_)[A-Za-z0-9_\-]{16,}"
)
_BEARER_VALUE = re.compile(r"(?i)(bearer\s+)([^\s\"',;]{8,})")

_lock = threading.Lock()
_known: set[str] = set()  # 12-character runs of secrets seen in this process
_known_whole: set[str] = set()


def _secret_part(value: str) -> str:
    match = re.match(r"sk-ant-[a-z]+\d{2}-", value)
    return value[match.end():] if match else value


def remember(secrets: Iterable[str | bytes]) -> None:
    """Register secrets so that ``scrub`` masks them and any 12-character run of their body anywhere."""
    with _lock:
        for secret in secrets:
            text = secret.decode("utf-8", "surrogateescape") if isinstance(secret, bytes) else secret
            text = text.strip()
            if len(text) < 8:
                continue
            _known_whole.add(text)
            body = _secret_part(text)
            for start in range(max(1, len(body) - LEAK_RUN + 1)):
                run = body[start:start + LEAK_RUN]
                if len(run) == LEAK_RUN:
                    _known.add(run)


def forget_all() -> None:
    """Drop every remembered secret (tests use this to start clean)."""
    with _lock:
        _known.clear()
        _known_whole.clear()


def _label(secret: str) -> str:
    return f"[REDACTED {hint(secret)} fp:{fingerprint(secret)}]"


def scrub(text: str) -> str:
    """``text`` with key-shaped substrings, Bearer values and remembered secrets masked."""
    if not text:
        return text
    with _lock:
        whole = sorted(_known_whole, key=len, reverse=True)
        runs = set(_known)
    for secret in whole:
        if secret in text:
            text = text.replace(secret, _label(secret))
    text = _KEY_SHAPED.sub(lambda m: _label(m.group(0)), text)
    text = _BEARER_VALUE.sub(lambda m: m.group(1) + _label(m.group(2)), text)
    if runs and len(text) >= LEAK_RUN:
        spans: list[tuple[int, int]] = []
        for start in range(len(text) - LEAK_RUN + 1):
            if text[start:start + LEAK_RUN] in runs:
                if spans and start <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], start + LEAK_RUN)
                else:
                    spans.append((start, start + LEAK_RUN))
        for begin, end in reversed(spans):
            text = text[:begin] + "[REDACTED]" + text[end:]
    return text


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of ``headers`` with sensitive values replaced by their hint and fingerprint."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        if name.lower() in SENSITIVE_HEADERS:
            bare = re.sub(r"(?i)^bearer\s+", "", value)
            scheme = "Bearer " if bare != value else ""
            out[name] = f"{scheme}[REDACTED {hint(bare)} fp:{fingerprint(bare)}]" if bare else "(empty)"
        else:
            out[name] = scrub(value)
    return out


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs every record's message and arguments before any handler sees them."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True
