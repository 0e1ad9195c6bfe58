"""Fake credentials derived from names, so no key-shaped literal ever sits in the repository.

The simulator, the demo sandboxes and the tests all derive the same value from the same name, which
is how a scenario file can say ``name = "alpha"`` and a sandbox ``.env`` can say ``{{key:alpha}}``
and still agree. The values have the real formats (an API key is 108 characters) but were never
issued by anyone, so a secret scanner that finds one in a log has found a fake. Besides Anthropic's
kinds (``api``, ``admin``, ``oauth``, ``oauth-refresh``), any key kind id of a provider profile
(``openai-project``, ``google-api``, ``openrouter``, … in data/catalog/providers.toml) can be derived.
"""

from __future__ import annotations

import base64
import hashlib

from kit.catalog import catalog

__all__ = ["derive_key", "fake_kinds"]

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


def _provider_key(name: str, kind_id: str) -> str | None:
    """A fake key of a provider profile's format: prefix, body from its alphabet, marker in the middle."""
    from kit.providers import providers

    spec = next(
        (k for p in providers().values() for k in p.kinds if k.id == kind_id and p.protocol != "anthropic"), None
    )
    if spec is None:
        return None
    alphabet = sorted(spec.allowed)
    body_len = spec.lengths[0] - len(spec.prefix) - len(spec.marker)
    body = "".join(alphabet[ord(c) % len(alphabet)] for c in _body(name, kind_id, body_len))
    half = body_len // 2
    return spec.prefix + (body[:half] + spec.marker + body[half:] if spec.marker else body)


def fake_kinds() -> tuple[str, ...]:
    """Every kind ``derive_key`` accepts."""
    from kit.providers import providers

    others = tuple(k.id for p in providers().values() if p.protocol != "anthropic" for k in p.kinds)
    return tuple(_KIND_IDS) + others


def derive_key(name: str, kind: str = "api") -> str:
    """A well-formed fake credential of ``kind`` (api, admin, oauth, oauth-refresh, or a provider kind id)."""
    if kind not in _KIND_IDS:
        value = _provider_key(name, kind)
        if value is None:
            raise ValueError(f"unknown fake key kind {kind!r}; use one of {sorted(fake_kinds())}")
        return value
    try:
        spec = catalog().kind(_KIND_IDS[kind])
    except KeyError:
        raise ValueError(f"unknown fake key kind {kind!r}; use one of {sorted(_KIND_IDS)}") from None
    suffix = spec.suffix or "AA"
    total = spec.length or 108
    return spec.prefix + _body(name, kind, total - len(spec.prefix) - len(suffix)) + suffix
