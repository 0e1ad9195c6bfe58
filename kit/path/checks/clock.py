"""The ``clock`` step: the offset between this machine and the responder's ``Date`` header."""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Mapping

from kit.path.checks.route import Route
from kit.values import PathCheck

__all__ = ["CLOCK_FAIL_S", "CLOCK_NOTE_S", "clock_row"]

#: Above this many seconds of clock offset the row fails (TLS validity and token expiry start to break).
CLOCK_FAIL_S = 300.0
CLOCK_NOTE_S = 30.0


def clock_row(route: Route, headers: Mapping[str, str], local_mid: float) -> PathCheck:
    h = {k.lower(): v for k, v in headers.items()}
    date = h.get("date")
    if not date:
        return PathCheck("clock", route.label, None, "the answer has no Date header; clock not checked")
    try:
        server = email.utils.parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return PathCheck("clock", route.label, None, f"the Date header is unreadable ({date[:40]!r})")
    if server.tzinfo is None:
        server = server.replace(tzinfo=dt.UTC)
    offset = server.timestamp() - local_mid
    details = (("server date", date), ("offset_s", f"{offset:+.1f}"))
    if abs(offset) > CLOCK_FAIL_S:
        return PathCheck(
            "clock",
            route.label,
            False,
            f"this machine's clock is off by {offset:+.0f} s: certificate checks and token expiry break",
            None,
            details,
            None,
            "turn on automatic time (macOS: System Settings > General > Date & Time; Linux: timedatectl set-ntp true)",
        )
    note = " (a little off; the Date header has 1 s resolution)" if abs(offset) > CLOCK_NOTE_S else ""
    return PathCheck("clock", route.label, True, f"clock offset {offset:+.1f} s{note}", None, details)
