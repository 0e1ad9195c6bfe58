"""The one redaction path: sensitive headers, key-shaped substrings and every key the kit has seen.

Everything that leaves the kit (tables, logs, exceptions, plots, reports, JSONL) passes through
``scrub`` (text), ``scrub_value`` (JSON-like data), ``scrub_exception`` (a traceback) or
``redact_headers``. httpx masks only ``authorization``; an ``x-api-key`` header would print in clear,
so KeyLab owns its list. ``kit.keys.credential.Credential`` registers its secret here when it is created, so a
key the kit has read is masked everywhere afterwards, even inside a longer word or without its prefix.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from kit.keys.clean import clean
from kit.keys.naming import MAX_INSPECT_CHARS, fingerprint, hint

__all__ = [
    "LEAK_RUN",
    "SENSITIVE_HEADERS",
    "RedactingFilter",
    "forget_all",
    "redact_headers",
    "redact_url",
    "remember",
    "scrub",
    "scrub_exception",
    "scrub_value",
]

#: Header names whose values are never shown (lower case).
SENSITIVE_HEADERS = frozenset(
    {"x-api-key", "authorization", "proxy-authorization", "cookie", "set-cookie", "x-goog-api-key",
     "api-key", "openai-api-key", "x-auth-token", "proxy-authenticate-info"}
)

#: Runs of this many characters from a secret's body count as a leak.
LEAK_RUN = 12

# A key body may hold invisible or look-alike characters (that is often why it fails); the mask must
# swallow them too, or the part after a zero-width space would print in clear.
_BODY = r"[\w\-\u00a0\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\udc80-\udcff]"
_KEY_SHAPED = re.compile(
    rf"sk-ant-[a-z]+\d{{2}}-{_BODY}{{6,}}"
    r"|sk-(?:proj|svcacct|admin|or-v1)-[A-Za-z0-9_\-]{8,}"
    r"|sk-[A-Za-z0-9]{20,}"
    r"|AIza[0-9A-Za-z_\-]{20,}"
    r"|AKIA[0-9A-Z]{16}"
    r"|(?:nvapi-|gsk_|hf_|xai-|sgp_)[A-Za-z0-9_\-]{16,}"
)
# RFC 6750 b64token characters; a word like "Bearer (confidence" or "Bearer authentication" is prose, so
# a value must hold a digit or be long enough to be a token.
_TOKEN68 = r"[A-Za-z0-9\-._~+/]"
_BEARER_VALUE = re.compile(rf"(?i)(bearer\s+)((?={_TOKEN68}*\d){_TOKEN68}{{8,}}=*|{_TOKEN68}{{24,}}=*)")
_HEADER_LINE = re.compile(
    r"(?im)^([<>*\s]*(?:" + "|".join(re.escape(h) for h in sorted(SENSITIVE_HEADERS)) + r")\s*:[ \t]*)(\S[^\r\n]*)$"
)
_ALREADY = re.compile(r"^(?:Bearer )?\[REDACTED[^\]]*\]$")
_SENSITIVE_QUERY = re.compile(r"(?i)^(?:key|api[-_]?key|token|access[-_]?token|secret|password|sig|signature)$")

_lock = threading.Lock()
_known: set[str] = set()  # 12-character runs of secrets seen in this process
_known_whole: set[str] = set()


def _secret_part(value: str) -> str:
    match = re.match(r"sk-ant-[a-z]+\d{2}-", value)
    return value[match.end():] if match else value


def _variants(text: str) -> set[str]:
    """The secret as stored, trimmed, and with invisible characters, quotes and whitespace removed."""
    out = {text, text.strip()}
    cleaned = clean(text)  # the same cleaning inspection uses, so a repaired key is masked too
    if cleaned:
        out.add(cleaned)
    return {v for v in out if len(v) >= 8}


def remember(secrets: Iterable[str | bytes]) -> None:
    """Register secrets so that ``scrub`` masks them and any 12-character run of their body anywhere.

    Values longer than any key (a whole file read by mistake) are not registered: masking every run of a
    document would blank unrelated text, and key-shaped parts inside it are masked by shape anyway.
    """
    with _lock:
        for secret in secrets:
            text = secret.decode("utf-8", "surrogateescape") if isinstance(secret, bytes) else str(secret)
            if len(text) > MAX_INSPECT_CHARS:
                continue
            for variant in _variants(text):
                _known_whole.add(variant)
                body = _secret_part(variant)
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
    """``text`` with key-shaped substrings, Bearer values, sensitive header lines and remembered secrets masked."""
    if not text:
        return text
    if not isinstance(text, str):
        text = str(text)
    with _lock:
        whole = sorted(_known_whole, key=len, reverse=True)
        runs = set(_known)
    # Key shapes first: a remembered secret may be a cut copy of a longer key in the text, and masking only
    # its part would leave the rest of that key in clear.
    text = _KEY_SHAPED.sub(lambda m: _label(m.group(0)), text)
    for secret in whole:
        if secret in text:
            # the mask also swallows key characters glued to the secret (the rest of a longer copy)
            text = re.sub(re.escape(secret) + _BODY + "*", lambda m: _label(m.group(0)), text)
    text = _BEARER_VALUE.sub(lambda m: m.group(1) + _label(m.group(2)), text)
    text = _HEADER_LINE.sub(_mask_header_line, text)
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


def _mask_header_line(match: re.Match[str]) -> str:
    value = match.group(2).rstrip()
    if _ALREADY.match(value) or "[REDACTED" in value:
        return match.group(0)
    return match.group(1) + _redacted_value(value)


def _redacted_value(value: str) -> str:
    bare = re.sub(r"(?i)^bearer\s+", "", value)
    scheme = value[: len(value) - len(bare)]
    return f"{scheme}[REDACTED {hint(bare)} fp:{fingerprint(bare)}]" if bare else "(empty)"


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of ``headers`` with sensitive values replaced by their hint and fingerprint."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: dict[str, str] = {}
    for name, value in items:
        if name.lower() in SENSITIVE_HEADERS:
            out[name] = _redacted_value(value)
        else:
            out[name] = scrub(value)
    return out


def redact_url(url: str) -> str:
    """``url`` without a password in its userinfo or secret-looking query values (a base URL may carry them)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return scrub(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:[REDACTED]@{host}" if ":" in userinfo else f"[REDACTED]@{host}"
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        query = "&".join(f"{k}={'[REDACTED]' if _SENSITIVE_QUERY.match(k) else v}" for k, v in pairs)
    return scrub(urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment)))


def scrub_value(value: Any) -> Any:
    """A copy of JSON-like data (dicts, lists, strings) with every string scrubbed and sensitive keys masked."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bytes):
        return scrub(value.decode("utf-8", "replace"))
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and key.lower() in SENSITIVE_HEADERS and isinstance(item, str):
                out[key] = _redacted_value(item)
            else:
                out[key] = scrub_value(item)
        return out
    if isinstance(value, list | tuple):
        return type(value)(scrub_value(v) for v in value)
    return value


def scrub_exception(exc: BaseException, *, with_traceback: bool = True) -> str:
    """The exception (and its chain) formatted as text, scrubbed: safe to show or to log."""
    if with_traceback:
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    else:
        text = "".join(traceback.format_exception_only(type(exc), exc))
    return scrub(text)


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs every record's message, arguments and traceback before any handler sees them.

    Attach it to handlers (``handler.addFilter(RedactingFilter())``): a filter on a logger does not see
    records propagated from child loggers.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
            record.exc_info = None  # so no later formatter renders the unscrubbed original again
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True
