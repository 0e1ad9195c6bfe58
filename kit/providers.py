"""Provider profiles as data: which APIs KeyLab knows, their key formats, variables, auth and error envelopes.

Read from ``data/catalog/providers.toml`` (profiles) and ``provider_errors.toml`` (rejection texts),
once per process. Anthropic's profile references ``keys.toml`` and ``api.toml`` through ``kit.catalog``
rather than repeating them, so a fact still lives in one place. Kept out of ``kit.catalog`` so that
module stays small; adding a provider is a catalog entry (plus, at most, a simulator face).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from kit.catalog import _load, alphabet_chars, catalog
from kit.errors import CatalogError

__all__ = [
    "PROTOCOLS",
    "ProviderError",
    "ProviderKind",
    "ProviderProfile",
    "ProviderVar",
    "classify_any",
    "provider",
    "provider_error",
    "providers",
]

#: The wire protocols (and simulator faces) KeyLab speaks.
PROTOCOLS = ("anthropic", "openai", "gemini")


@dataclass(frozen=True)
class ProviderKind:
    """One key format of a provider. ``lengths`` lists every total length the format has had, newest first."""

    id: str
    provider: str
    label: str
    prefix: str
    lengths: tuple[int, ...]
    alphabet: str
    marker: str
    role: str  # api | admin | oauth
    source: str
    assumption: str = ""

    @property
    def allowed(self) -> frozenset[str]:
        return alphabet_chars(self.alphabet)

    def matches(self, value: str) -> bool:
        """True when ``value`` has this format exactly: prefix, one of the lengths, alphabet and marker."""
        if not value.startswith(self.prefix) or (self.lengths and len(value) not in self.lengths):
            return False
        body = value[len(self.prefix) :]
        if self.marker:
            half = (len(body) - len(self.marker)) // 2
            if body[half : half + len(self.marker)] != self.marker:
                return False
            body = body[:half] + body[half + len(self.marker) :]
        return set(body) <= self.allowed

    def pattern(self) -> str:
        """A regular expression for this format (used to keep key-shaped literals out of the repository)."""
        cls = "[" + "".join(re.escape(c) for c in sorted(self.allowed)) + "]"
        parts = []
        for total in self.lengths:
            body = total - len(self.prefix) - len(self.marker)
            if self.marker:
                half = body // 2
                parts.append(f"{re.escape(self.prefix)}{cls}{{{half}}}{re.escape(self.marker)}{cls}{{{body - half}}}")
            else:
                parts.append(f"{re.escape(self.prefix)}{cls}{{{body}}}")
        return "(?:" + "|".join(parts) + ")"


@dataclass(frozen=True)
class ProviderVar:
    """A variable an official SDK reads: ``role`` says what for; the lowest ``precedence`` of a role wins."""

    name: str
    role: str  # key | admin-key | token | base-url | organization | project | headers | backend-switch | api-version
    precedence: int
    source: str
    assumption: str = ""


@dataclass(frozen=True)
class ProviderError:
    """One rejection: status, type (OpenAI ``error.type`` / Gemini ``error.status``), code or reason, message."""

    id: str
    status: int
    type: str
    code: str
    message: str
    confirmed: bool
    source: str

    def render(self, **fields: object) -> str:
        return self.message.format(**fields) if fields else self.message


@dataclass(frozen=True)
class ProviderProfile:
    """Everything KeyLab needs to know about one provider's API, with the source of each fact."""

    name: str
    label: str
    protocol: str
    official_base_url: str
    official_host: str
    auth_header: str
    auth_scheme: str  # "Bearer", or "" for the bare value
    auth_query: str  # a query parameter that may carry the key ("key" for Gemini), else ""
    zero_token_check: tuple[str, str]  # (method, path)
    envelope: str  # anthropic | openai | openai-numeric | google-rpc | flat
    envelope_fields: dict[str, str]  # message / code / type: where each is read from the error body
    proof_headers: tuple[str, ...]
    request_id_header: str
    request_id_pattern: str
    sdk: str
    vars: tuple[ProviderVar, ...]
    kinds: tuple[ProviderKind, ...]
    errors: tuple[str, ...]
    sources: dict[str, str]
    sim_models: tuple[str, ...] = ()

    def key_vars(self) -> tuple[str, ...]:
        """The variables the official SDK reads the key from, the winning one first."""
        return tuple(v.name for v in sorted(self.vars, key=lambda v: v.precedence) if v.role == "key")

    def var(self, role: str) -> tuple[str, ...]:
        return tuple(v.name for v in sorted(self.vars, key=lambda v: v.precedence) if v.role == role)

    def classify(self, value: str) -> ProviderKind | None:
        """The first of this provider's formats ``value`` matches exactly."""
        return next((k for k in self.kinds if k.matches(value)), None)


def _kinds_from_keys_toml(name: str, ids: list[str]) -> tuple[ProviderKind, ...]:
    out = []
    for kind_id in ids:
        k = catalog().kind(kind_id)
        out.append(
            ProviderKind(
                id=k.id,
                provider=name,
                label=k.label,
                prefix=k.prefix,
                lengths=(k.length,) if k.length else (),
                alphabet=k.alphabet,
                marker="",
                role=k.role,
                source="keys.toml",
            )
        )
    return tuple(out)


def _profile(name: str, raw: dict[str, Any]) -> ProviderProfile:
    if raw.get("reference") == "api.toml":
        cat = catalog()
        base, host, rid_pattern = cat.official_base_url, cat.official_host, cat.request_id_pattern
        kinds = _kinds_from_keys_toml(name, raw["kind_ids"])
    else:
        base, host, rid_pattern = raw["official_base_url"], raw["official_host"], raw["request_id"]["pattern"]
        kinds = tuple(
            ProviderKind(provider=name, lengths=tuple(k.pop("lengths")), **k)
            for k in (dict(k) for k in raw.get("kind", []))
        )
    if raw["protocol"] not in PROTOCOLS:
        raise CatalogError(
            f"provider {name!r} has protocol {raw['protocol']!r}",
            f"use one of {', '.join(PROTOCOLS)} in data/catalog/providers.toml",
        )
    auth, check, env = raw["auth"], raw["zero_token_check"], raw["envelope"]
    return ProviderProfile(
        name=name,
        label=raw["label"],
        protocol=raw["protocol"],
        official_base_url=base,
        official_host=host,
        auth_header=auth["header"],
        auth_scheme=auth["scheme"],
        auth_query=auth["query"],
        zero_token_check=(check["method"], check["path"]),
        envelope=env["shape"],
        envelope_fields={k: env[k] for k in ("message", "code", "type")},
        proof_headers=tuple(raw["proof_headers"]),
        request_id_header=raw["request_id"]["header"],
        request_id_pattern=rid_pattern,
        sdk=raw["sdk"],
        vars=tuple(ProviderVar(**v) for v in raw.get("var", [])),
        kinds=kinds,
        errors=tuple(raw.get("errors", ())),
        sim_models=tuple(raw.get("sim_models", ())),
        sources={
            "auth": auth["source"],
            "zero_token_check": check["source"],
            "envelope": env["source"],
            "request_id": raw["request_id"]["source"],
        },
    )


@cache
def providers() -> dict[str, ProviderProfile]:
    """Every provider profile by name (``anthropic``, ``openai``, ``gemini``, the OpenAI-compatible ones)."""
    data = _load("providers.toml")
    try:
        return {name: _profile(name, raw) for name, raw in data["provider"].items()}
    except (KeyError, TypeError) as exc:
        raise CatalogError(
            f"providers.toml is malformed: {exc!r}", "compare data/catalog/providers.toml with git"
        ) from None


def provider(name: str) -> ProviderProfile:
    """One profile; an unknown name is a ``CatalogError`` listing the known ones."""
    try:
        return providers()[name]
    except KeyError:
        raise CatalogError(f"unknown provider {name!r}", f"use one of: {', '.join(providers())}") from None


@cache
def _errors() -> dict[str, ProviderError]:
    data = _load("provider_errors.toml")
    try:
        return {eid: ProviderError(id=eid, **e) for eid, e in data["error"].items()}
    except TypeError as exc:
        raise CatalogError(f"provider_errors.toml is malformed: {exc!r}", "compare it with git") from None


def provider_error(error_id: str) -> ProviderError:
    try:
        return _errors()[error_id]
    except KeyError:
        raise CatalogError(
            f"unknown provider error id {error_id!r}", "add it to data/catalog/provider_errors.toml"
        ) from None


def classify_any(value: str) -> ProviderKind | None:
    """The format ``value`` has among every provider's (prefixed formats first, so ``sk-`` is tried last)."""
    kinds = [k for p in providers().values() for k in p.kinds]
    kinds.sort(key=lambda k: -len(k.prefix))
    return next((k for k in kinds if k.prefix and k.matches(value)), None)
