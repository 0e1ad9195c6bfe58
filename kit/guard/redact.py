"""The one redaction path: sensitive headers, key-shaped substrings and every key the kit has seen.

Everything that leaves the kit (tables, logs, exceptions, plots, reports, JSONL) passes through
``scrub`` (text), ``scrub_value`` (JSON-like data), ``scrub_exception`` (a traceback) or
``redact_headers``. httpx masks only ``authorization``; an ``x-api-key`` header would print in clear,
so KeyLab owns its list. ``kit.keys.credential.Credential`` registers its secret here when it is created, so a
key the kit has read is masked everywhere afterwards, even inside a longer word or without its prefix.

Text is matched twice: as it stands, and in its decoded form (``\\xNN``, ``\\uNNNN``, ``%NN`` and HTML
character references decoded, invisible characters dropped), because a library that quotes a header
value writes non-ASCII bytes as escapes and a key cut by zero-width spaces must not survive in pieces.
A run of a secret never spans a public prefix (``sk-ant-api03-``), so a file holding two keys cannot make
the prefix itself a "secret" that blanks every hint.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
import urllib.parse
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kit.keys.clean import clean
from kit.keys.naming import MAX_INSPECT_CHARS, fingerprint, hint

__all__ = [
    "LEAK_RUN",
    "SENSITIVE_HEADERS",
    "RedactingFilter",
    "ScrubbingWriter",
    "decoded_view",
    "forget_all",
    "looks_like_key",
    "redact_headers",
    "redact_url",
    "remember",
    "scrub",
    "scrub_exception",
    "scrub_value",
]

#: Header names whose values are never shown (lower case).
SENSITIVE_HEADERS = frozenset(
    {
        "x-api-key",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-goog-api-key",
        "api-key",
        "openai-api-key",
        "x-auth-token",
        "proxy-authenticate-info",
    }
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

#: Secrets shorter than a run are masked only as a whole token; below this length they are not secret-like
#: enough to mask (a 2-character "key" would blank common words); see data/catalog/assumptions.toml.
MIN_SHORT_SECRET = 4
_KEY_CHAR = r"[A-Za-z0-9_\-]"

# Escapes a library or an encoder writes: Python bytes/str reprs (also with their backslash JSON-escaped),
# JSON \u escapes, URL %NN and HTML character references.
_ESCAPES = re.compile(
    r"(?:\\+x[0-9A-Fa-f]{2})+"
    r"|(?:\\+u[0-9A-Fa-f]{4})+"
    r"|\\+U[0-9A-Fa-f]{8}"
    r"|(?:%[0-9A-Fa-f]{2})+"
    r"|&#(?:[xX][0-9A-Fa-f]{1,6}|[0-9]{1,7});"
)
_INVISIBLE = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")

_lock = threading.Lock()
_known: set[str] = set()  # 12-character runs of secrets seen in this process
_known_whole: set[str] = set()
# Snapshots for scrub, rebuilt when a secret is remembered (scrub runs for every field of every row; copying
# the sets on each call cost more than the matching).
_runs_snapshot: frozenset[str] = frozenset()
_whole_snapshot: tuple[str, ...] = ()
_known_short: set[str] = set()  # whole secrets shorter than a run, masked only as whole tokens
_short_pattern: re.Pattern[str] | None = None


def _public_prefixes() -> re.Pattern[str]:
    from kit.catalog import catalog

    prefixes = sorted({k.prefix for k in catalog().kinds if len(k.prefix) >= 4}, key=len, reverse=True)
    return re.compile(r"sk-ant-[a-z]+\d{2}-|" + "|".join(re.escape(p) for p in prefixes))


def _secret_segments(value: str) -> list[str]:
    """The parts of ``value`` that are secret: everything between public key prefixes (``sk-ant-api03-``)."""
    return [part for part in _public_prefixes().split(value) if part]


def _variants(text: str) -> set[str]:
    """The secret as stored, trimmed, and with invisible characters, quotes and whitespace removed."""
    out = {text, text.strip()}
    cleaned = clean(text)  # the same cleaning inspection uses, so a repaired key is masked too
    if cleaned:
        out.add(cleaned)
    return {v for v in out if v}


def remember(secrets: Iterable[str | bytes]) -> None:
    """Register secrets so that ``scrub`` masks them and any 12-character run of their body anywhere.

    Values longer than any key (a whole file read by mistake) are not registered: masking every run of a
    document would blank unrelated text, and key-shaped parts inside it are masked by shape anyway. Runs
    never span a public prefix, and a value of ``MIN_SHORT_SECRET`` to 7 characters is masked as a whole
    token (a word of its own), so that it hides in the h11 message yet does not blank parts of longer words.
    """
    global _short_pattern
    with _lock:
        for secret in secrets:
            text = secret.decode("utf-8", "surrogateescape") if isinstance(secret, bytes) else str(secret)
            if len(text) > MAX_INSPECT_CHARS:
                continue
            for variant in _variants(text):
                if len(variant) < 8:
                    if len(variant.strip()) >= MIN_SHORT_SECRET and variant.strip() not in _known_short:
                        _known_short.add(variant.strip())
                        _short_pattern = None
                    continue
                _known_whole.add(variant)
                for segment in _secret_segments(variant):
                    for start in range(len(segment) - LEAK_RUN + 1):
                        _known.add(segment[start : start + LEAK_RUN])
        _snapshot()


def forget_all() -> None:
    """Drop every remembered secret (tests use this to start clean)."""
    global _short_pattern
    with _lock:
        _known.clear()
        _known_whole.clear()
        _snapshot()
        _known_short.clear()
        _short_pattern = None


def _snapshot() -> None:
    """Rebuild scrub's read-only views of the remembered secrets (called with the lock held)."""
    global _runs_snapshot, _whole_snapshot
    _runs_snapshot = frozenset(_known)
    _whole_snapshot = tuple(sorted(_known_whole, key=len, reverse=True))


def _label(secret: str) -> str:
    return f"[REDACTED {hint(secret)} fp:{fingerprint(secret)}]"


def scrub(text: str) -> str:
    """``text`` with key-shaped substrings, Bearer values, sensitive header lines and remembered secrets masked."""
    if not text:
        return text
    if not isinstance(text, str):
        text = str(text)
    with _lock:
        whole = _whole_snapshot
        runs = _runs_snapshot
        short = _short_matcher()
    # Escaped or interrupted copies first, while the decoded form still shows them whole.
    text = _scrub_decoded(text, whole, runs, short)
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
            if text[start : start + LEAK_RUN] in runs:
                if spans and start <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], start + LEAK_RUN)
                else:
                    spans.append((start, start + LEAK_RUN))
        for begin, end in reversed(spans):
            text = text[:begin] + "[REDACTED]" + text[end:]
    if short is not None:
        text = short.sub("[REDACTED]", text)
    return text


def _short_matcher() -> re.Pattern[str] | None:
    """One pattern for the short secrets, each only as a token of its own (called with the lock held)."""
    global _short_pattern
    if _short_pattern is None and _known_short:
        words = "|".join(re.escape(w) for w in sorted(_known_short, key=len, reverse=True))
        _short_pattern = re.compile(rf"(?<!{_KEY_CHAR})(?:{words})(?!{_KEY_CHAR})")
    return _short_pattern


def _decode_escape(escaped: str) -> str:
    """The characters a run of escapes stands for.

    A ``\\xNN`` run is UTF-8 bytes when it decodes as UTF-8 (a bytes repr), else code points U+0000–U+00FF (a
    str repr writes a soft hyphen as ``\\xad``, and that soft hyphen must be dropped like any invisible).
    """
    if escaped.startswith("&#"):
        digits = escaped[2:-1]
        number = int(digits[1:], 16) if digits[:1] in "xX" else int(digits)
        return chr(number) if number <= 0x10FFFF else "\ufffd"
    if escaped.startswith("%"):
        return bytes.fromhex(escaped.replace("%", "")).decode("utf-8", "replace")
    parts = [p for p in re.split(r"\\+", escaped) if p]
    if parts[0][0] == "x":
        raw = bytes.fromhex("".join(p[1:] for p in parts))
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return raw.decode("latin-1")
    if parts[0][0] == "U":
        number = int(parts[0][1:], 16)
        return chr(number) if number <= 0x10FFFF else "\ufffd"
    units = "".join(chr(int(p[1:], 16)) for p in parts)
    return units.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def decoded_view(text: str) -> tuple[str, list[tuple[int, int]]]:
    """``text`` with escapes decoded and invisible characters dropped, and where each character came from.

    ``spans[i]`` is the ``(start, end)`` in ``text`` of the decoded character ``i``.
    """
    chars: list[str] = []
    spans: list[tuple[int, int]] = []

    def add(piece: str, start: int, end: int) -> None:
        for ch in piece:
            if not _INVISIBLE.match(ch):
                chars.append(ch)
                spans.append((start, end))

    pos = 0
    for match in _ESCAPES.finditer(text):
        for i in range(pos, match.start()):
            add(text[i], i, i + 1)
        add(_decode_escape(match.group(0)), match.start(), match.end())
        pos = match.end()
    for i in range(pos, len(text)):
        add(text[i], i, i + 1)
    return "".join(chars), spans


def _scrub_decoded(text: str, whole: Sequence[str], runs: frozenset[str], short: re.Pattern[str] | None) -> str:
    """Mask, in ``text`` as written, what is a secret only once its escapes are decoded and invisibles dropped."""
    if not ("\\" in text or "%" in text or "&#" in text or _INVISIBLE.search(text)):  # the common case, cheaply
        return text
    if not (_ESCAPES.search(text) or _INVISIBLE.search(text)):
        return text
    decoded, spans = decoded_view(text)
    found: list[tuple[int, int]] = [m.span() for m in _KEY_SHAPED.finditer(decoded)]
    for secret in whole:
        start = decoded.find(secret)
        while start >= 0:
            found.append((start, start + len(secret)))
            start = decoded.find(secret, start + 1)
    if runs:
        found += [(i, i + LEAK_RUN) for i in range(len(decoded) - LEAK_RUN + 1) if decoded[i : i + LEAK_RUN] in runs]
    if short is not None:
        found += [m.span() for m in short.finditer(decoded)]
    if not found:
        return text
    # A match in plain text is left to the plain pass, which labels it with its hint and fingerprint.
    escaped = [(spans[a][0], spans[b - 1][1]) for a, b in found if b > a and spans[b - 1][1] - spans[a][0] != b - a]
    merged: list[tuple[int, int]] = []
    for begin, end in sorted(escaped):
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((begin, end))
    for begin, end in reversed(merged):
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


def looks_like_key(text: str) -> bool:
    """True when ``text`` holds anything the redaction path would mask: a key shape, a token, a known secret."""
    return bool(text) and scrub(text) != text


class ScrubbingWriter:
    """A text stream that scrubs everything written to it: the CLI's stdout and stderr, click's messages included.

    It has no ``buffer``, so nothing (click looks for one) can write around the scrub to the bytes below.
    """

    buffer = None

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        if isinstance(text, str):
            self._stream.write(scrub(text))
        else:
            self._stream.write(text)  # let the stream refuse what it cannot take, as it would anyway
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
