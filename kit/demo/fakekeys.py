"""Fake credentials derived from names, so no key-shaped literal ever sits in the repository.

The simulator, the demo sandboxes and the tests all derive the same value from the same name, which
is how a scenario file can say ``name = "alpha"`` and a sandbox ``.env`` can say ``{{key:alpha}}``
and still agree. The values have the real formats (an API key is 108 characters) but were never
issued by anyone, so a secret scanner that finds one in a log has found a fake.
"""

from __future__ import annotations

import base64
import hashlib

from kit.catalog import catalog

__all__ = ["derive_key"]

_KIND_IDS = {
    "api": "anthropic-api",
    "admin": "anthropic-admin",
    "oauth": "anthropic-oauth-access",
    "oauth-refresh": "anthropic-oauth-refresh",
}


def _body(name: str, kind: str, length: int) -> str:
    out = ""
    counter = 0
    while len(out) < length:
        digest = hashlib.sha256(f"keylab-fake:{kind}:{name}:{counter}".encode()).digest()
        out += base64.urlsafe_b64encode(digest).decode().rstrip("=")
        counter += 1
    return out[:length]


def derive_key(name: str, kind: str = "api") -> str:
    """A well-formed fake credential of ``kind`` (api, admin, oauth, oauth-refresh) for ``name``."""
    try:
        spec = catalog().kind(_KIND_IDS[kind])
    except KeyError:
        raise ValueError(f"unknown fake key kind {kind!r}; use one of {sorted(_KIND_IDS)}") from None
    suffix = spec.suffix or "AA"
    total = spec.length or 108
    return spec.prefix + _body(name, kind, total - len(spec.prefix) - len(suffix)) + suffix
