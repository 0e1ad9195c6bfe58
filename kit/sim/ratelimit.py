"""Requests-per-minute accounting per organization, and the ``anthropic-ratelimit-*`` headers.

The one piece of state in the decision order: a sliding 60-second window per organization. A
scenario with ``requests_per_minute = 0`` is unlimited but still gets the headers a real success
carries (docs/reference/anthropic-auth.md §9), with the simulator's display limit.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections import deque
from dataclasses import dataclass

__all__ = ["DISPLAY_REQUESTS_LIMIT", "RateLimiter", "RateVerdict"]

WINDOW_S = 60.0
#: Limits shown when a scenario sets no rate limit (the figures of a high usage tier).
DISPLAY_REQUESTS_LIMIT = 4000
DISPLAY_TOKENS_LIMIT = 2_000_000
DISPLAY_INPUT_TOKENS_LIMIT = 2_000_000
DISPLAY_OUTPUT_TOKENS_LIMIT = 400_000


@dataclass(frozen=True)
class RateVerdict:
    allowed: bool
    headers: tuple[tuple[str, str], ...]
    retry_after_s: int = 0


def _rfc3339(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class RateLimiter:
    """Sliding-window counter; ``admit`` records the request when it is allowed."""

    def __init__(self, requests_per_minute: int) -> None:
        self.rpm = requests_per_minute
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def admit(self, org_id: str, now: float) -> RateVerdict:
        limit = self.rpm or DISPLAY_REQUESTS_LIMIT
        if not self.rpm:
            reset = _rfc3339(now + WINDOW_S)
            return RateVerdict(True, _headers(limit, limit - 1, reset))
        with self._lock:
            window = self._seen.setdefault(org_id, deque())
            while window and window[0] <= now - WINDOW_S:
                window.popleft()
            if len(window) >= self.rpm:
                wait = max(1, math.ceil(window[0] + WINDOW_S - now))
                reset = _rfc3339(window[0] + WINDOW_S)
                return RateVerdict(False, (*_headers(limit, 0, reset), ("retry-after", str(wait))), wait)
            window.append(now)
            reset = _rfc3339(window[0] + WINDOW_S)
            return RateVerdict(True, _headers(limit, self.rpm - len(window), reset))


def _headers(limit: int, remaining: int, reset: str) -> tuple[tuple[str, str], ...]:
    return (
        ("anthropic-ratelimit-requests-limit", str(limit)),
        ("anthropic-ratelimit-requests-remaining", str(remaining)),
        ("anthropic-ratelimit-requests-reset", reset),
        ("anthropic-ratelimit-tokens-limit", str(DISPLAY_TOKENS_LIMIT)),
        ("anthropic-ratelimit-tokens-remaining", str(DISPLAY_TOKENS_LIMIT)),
        ("anthropic-ratelimit-tokens-reset", reset),
        ("anthropic-ratelimit-input-tokens-limit", str(DISPLAY_INPUT_TOKENS_LIMIT)),
        ("anthropic-ratelimit-input-tokens-remaining", str(DISPLAY_INPUT_TOKENS_LIMIT)),
        ("anthropic-ratelimit-input-tokens-reset", reset),
        ("anthropic-ratelimit-output-tokens-limit", str(DISPLAY_OUTPUT_TOKENS_LIMIT)),
        ("anthropic-ratelimit-output-tokens-remaining", str(DISPLAY_OUTPUT_TOKENS_LIMIT)),
        ("anthropic-ratelimit-output-tokens-reset", reset),
    )
