"""The API's list pagination: ``limit`` (default 20, 1-1000), ``after_id`` / ``before_id`` cursors.

Every list endpoint (models, API keys, workspaces) answers ``{"data", "first_id", "last_id", "has_more"}``
(docs/reference/anthropic-auth.md §4-§5), so the rule lives once, here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Page", "PageError", "paginate", "parse_limit"]

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000


@dataclass(frozen=True)
class PageError:
    """A query parameter the API would refuse: which one, and what is wrong with it."""

    param: str
    problem: str


@dataclass(frozen=True)
class Page:
    data: tuple[Mapping[str, Any], ...]
    has_more: bool

    def body(self) -> dict[str, Any]:
        return {
            "data": list(self.data),
            "has_more": self.has_more,
            "first_id": self.data[0]["id"] if self.data else None,
            "last_id": self.data[-1]["id"] if self.data else None,
        }


def parse_limit(query: Mapping[str, str]) -> int | PageError:
    raw = query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        return PageError("limit", "Input should be a valid integer, unable to parse string as an integer")
    if value < 1:
        return PageError("limit", "Input should be greater than or equal to 1")
    if value > MAX_LIMIT:
        return PageError("limit", f"Input should be less than or equal to {MAX_LIMIT}")
    return value


def paginate(items: Sequence[Mapping[str, Any]], query: Mapping[str, str]) -> Page | PageError:
    """One page of ``items`` (already in listing order) as the query asks. An unknown cursor gives an empty page."""
    limit = parse_limit(query)
    if isinstance(limit, PageError):
        return limit
    after, before = query.get("after_id"), query.get("before_id")
    if after is not None and before is not None:
        return PageError("before_id", "Cannot specify both before_id and after_id")
    ids = [item["id"] for item in items]
    if after is not None:
        if after not in ids:
            return Page((), False)
        start = ids.index(after) + 1
        chunk = items[start : start + limit]
        return Page(tuple(chunk), start + limit < len(items))
    if before is not None:
        if before not in ids:
            return Page((), False)
        end = ids.index(before)
        start = max(0, end - limit)
        return Page(tuple(items[start:end]), start > 0)
    return Page(tuple(items[:limit]), limit < len(items))
