"""URLs for people: a URL with its password masked, and the host of a URL for a fix line."""

from __future__ import annotations

from urllib.parse import urlsplit

from kit.guard.gate import split_url
from kit.guard.redact import looks_like_key

__all__ = ["display_url", "host_of", "without_userinfo"]


def display_url(url: str | None) -> str:
    """A URL safe to show: a password in it is replaced by ``***`` (proxy URLs often carry one).

    A user name is shown only beside a password and only when it is plainly a name: ``http://<key>@gateway``
    puts the credential in the user name itself, so a lone user part, or one that looks like a key or is
    longer than a name, is masked too.
    """
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
    plain_name = parts.password is not None and 0 < len(user) <= 32 and not looks_like_key(user)
    netloc = f"{user}:***@{host}" if plain_name else f"***@{host}"
    return parts._replace(netloc=netloc).geturl()


def without_userinfo(url: str) -> str:
    """``url`` with no user part: what a keyless request may be sent to (httpx2 would send one as Basic auth)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


def host_of(url: str) -> str:
    """The host of ``url``, or ``url`` itself when it has none."""
    parts = split_url(url)
    return parts.hostname if parts is not None and parts.hostname else url
