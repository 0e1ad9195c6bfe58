"""How much of a server's answer KeyLab reads, and the one JSON parser that cannot crash on what it gets.

A key check needs a few kilobytes: an error envelope, a model list. A server on the path may answer
with 100 MB, an endless stream, or 50,000 nested arrays; every probe client stops reading at
``MAX_BODY_BYTES`` (this constant, in this one place) and the row says "the answer was larger than N
bytes". ``parse_json`` is what every reader of an answer uses: bad UTF-8, bad JSON and nesting
deep enough to overflow a recursive parser all give ``None``, never an exception.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["BODY_TOO_LARGE", "MAX_BODY_BYTES", "parse_json", "too_large_message"]

#: The most bytes of one answer's body any client reads (256 KiB: a model list of 1,000 entries fits).
MAX_BODY_BYTES = 256 * 1024
#: The ``transport_error`` of a row whose answer was cut at ``MAX_BODY_BYTES``.
BODY_TOO_LARGE = "BodyTooLarge"


def too_large_message(limit: int = MAX_BODY_BYTES) -> str:
    """The row's outcome when a body went past ``limit``: said the same way for every client."""
    return f"the answer was larger than {limit} bytes; KeyLab stopped reading there (a key check needs a few KB)"


def parse_json(data: bytes | str | None) -> Any:
    """The JSON value of ``data``, or ``None`` when it is not JSON, not UTF-8, too deep or too large."""
    if not data:
        return None
    if len(data) > MAX_BODY_BYTES:
        return None
    try:
        if isinstance(data, bytes):
            data = data.decode("utf-8-sig")
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError, MemoryError, TypeError):
        return None
