"""URLs for people: a URL with its password masked, and the host of a URL for a fix line."""

from __future__ import annotations

from urllib.parse import urlsplit

from kit.guard.gate import split_url

__all__ = ["display_url", "host_of"]


def display_url(url: str | None) -> str:
    """A URL safe to show: a password in it is replaced by ``***`` (proxy URLs often carry one)."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unparsable URL)"
    if parts.password is None and "@" not in parts.netloc:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    netloc = f"{user}:***@{host}" if user else f"***@{host}"
    return parts._replace(netloc=netloc).geturl()



def host_of(url: str) -> str:
    """The host of ``url``, or ``url`` itself when it has none."""
    parts = split_url(url)
    return parts.hostname if parts is not None and parts.hostname else url
