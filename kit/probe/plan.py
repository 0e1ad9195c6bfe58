"""Probe plans: the dimensions a user picked, the stage and attempt values, and the ``full`` strategy.

Two strategies over the same dimensions (keys, clients, models, versions, header styles):

``full`` (here)
    The factorial: every combination the user picked. It is what the ticket's author did by hand
    (3 keys × 3 clients × 3 models × 2 versions = 54 requests), made fast and zero-token.

``adaptive`` (the default; ``kit.probe.adaptive``)
    Asks only what can still change the answer, in stages, each a pure function of the answers so far.

Every ``Attempt`` carries its ``reason``; every stage carries ``notes`` that explain its choices. The
plan never holds a secret: it works from ``KeyReport`` values (alias, fingerprint, defects).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from kit.catalog import catalog, client_catalog
from kit.keys.report import KeyReport
from kit.values import Attempt, as_auth_style

__all__ = [
    "H11_CLIENTS",
    "PLANS",
    "RAW_CLIENTS",
    "Dimensions",
    "Prediction",
    "Stage",
    "attempt_id",
    "full_plan",
    "is_sdk",
    "make_attempt",
]

PLANS = ("adaptive", "full")
#: Clients whose HTTP stack is h11: they refuse the same header bytes (a newline, a leading space).
H11_CLIENTS = client_catalog().h11
#: Raw clients send exactly the header style and version they are told; SDKs choose their own.
RAW_CLIENTS = client_catalog().raw


def is_sdk(client: str) -> bool:
    return client.startswith("sdk-")


def attempt_id(
    key: KeyReport,
    client: str,
    method: str,
    endpoint: str,
    model: str | None,
    version: str | None,
    auth_style: str,
    base_url: str,
    tag: str = "",
) -> str:
    """A stable id: the same request of the same bytes gets the same id in every run (that is how resume works)."""
    text = "|".join(
        [
            key.alias,
            key.fingerprint,
            client,
            method,
            endpoint,
            model or "",
            version or "",
            auth_style,
            base_url.rstrip("/"),
            tag,
        ]
    )
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@dataclass(frozen=True)
class Dimensions:
    """What the user picked. ``keys`` are reports (no secrets); the first client/version/style is the base."""

    keys: tuple[KeyReport, ...]
    base_url: str
    clients: tuple[str, ...] = ("httpx2",)
    models: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    auth_styles: tuple[str, ...] = ("x-api-key",)
    send_messages: bool = False

    @property
    def base_client(self) -> str:
        """Stage 1's client: raw httpx2 when chosen (it sends the bytes as stored), else the first one."""
        return "httpx2" if "httpx2" in self.clients else self.clients[0]

    @property
    def base_version(self) -> str:
        return self.versions[0] if self.versions else catalog().default_version

    @property
    def base_style(self) -> str:
        return self.auth_styles[0] if self.auth_styles else "x-api-key"

    def distinct_keys(self) -> tuple[tuple[KeyReport, tuple[KeyReport, ...]], ...]:
        """Each distinct credential (by fingerprint) with the other aliases that hold the same bytes."""
        seen: dict[str, list[KeyReport]] = {}
        for key in self.keys:
            seen.setdefault(key.fingerprint, []).append(key)
        return tuple((group[0], tuple(group[1:])) for group in seen.values())

    def style_for(self, client: str, style: str) -> str:
        return "default" if is_sdk(client) else style

    def version_for(self, client: str, version: str | None) -> str | None:
        """Raw clients always send a version; an SDK sends its own unless the user named versions."""
        if version is not None:
            return version
        return None if is_sdk(client) else self.base_version

    def model_endpoint(self) -> tuple[str, str]:
        """How a model is asked about: ``count_tokens`` (zero tokens; it checks the model and the account, where
        ``GET /v1/models/{id}`` still describes a retired model), or ``/v1/messages`` when the user allows it."""
        return ("POST", "/v1/messages") if self.send_messages else ("POST", "/v1/messages/count_tokens")


@dataclass(frozen=True)
class Prediction:
    """What a packed check expects: ``accepted`` (2xx) or ``model-missing`` (404 ``model: …``)."""

    expect: str
    varied: tuple[str, ...]  # the dimensions this check changed from the key's first request
    baseline: str  # attempt id of that first request


@dataclass(frozen=True)
class Stage:
    number: int
    title: str
    attempts: tuple[Attempt, ...]
    notes: tuple[str, ...] = ()
    predictions: Mapping[str, Prediction] = field(default_factory=dict)
    #: (key alias, dimension, changes the answer?) established by comparing checks with their predictions
    checked: tuple[tuple[str, str, bool], ...] = ()
    isolating: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)  # id → (alias, dimension, baseline)

    def explanation(self) -> tuple[str, ...]:
        count = f" ({len(self.attempts)} request{'s' * (len(self.attempts) != 1)})" if self.attempts else ""
        head = f"Stage {self.number}: {self.title}{count}."
        return (head, *(f"  - {note}" for note in self.notes))


def make_attempt(
    dims: Dimensions,
    key: KeyReport,
    client: str,
    method: str,
    endpoint: str,
    model: str | None,
    version: str | None,
    style: str,
    reason: str,
    tag: str = "",
) -> Attempt:
    version = dims.version_for(client, version)
    style = dims.style_for(client, style)
    return Attempt(
        attempt_id=attempt_id(key, client, method, endpoint, model, version, style, dims.base_url, tag),
        key_alias=key.alias,
        client=client,
        endpoint=endpoint,
        method=method,
        base_url=dims.base_url,
        api_version=version,
        auth_style=as_auth_style(style),
        model=model,
        reason=reason,
    )


# ── full ───────────────────────────────────────────────────────────────────────────────────


def full_plan(dims: Dimensions) -> Stage:
    """Every combination of key × client × model × version (× header style for the raw clients)."""
    method, endpoint = dims.model_endpoint()
    models: tuple[str | None, ...] = dims.models or (None,)
    versions: tuple[str | None, ...] = dims.versions or (None,)
    attempts: list[Attempt] = []
    notes: list[str] = []
    for key, same in dims.distinct_keys():
        if same:
            notes.append(
                f"{', '.join(k.alias for k in same)} hold the same bytes as {key.alias} "
                f"(fingerprint {key.fingerprint}): asked once, as {key.alias}"
            )
        for client in dims.clients:
            styles = ("default",) if is_sdk(client) else dims.auth_styles
            for model in models:
                for version in versions:
                    for style in styles:
                        m, e = (method, endpoint) if model else ("GET", "/v1/models")
                        reason = "full factorial: " + ", ".join(
                            p for p in (key.alias, client, model, version, None if is_sdk(client) else style) if p
                        )
                        attempts.append(make_attempt(dims, key, client, m, e, model, version, style, reason))
    if any(is_sdk(c) for c in dims.clients) and len(dims.auth_styles) > 1:
        notes.append(
            "SDK clients send the header of their own choosing, so header styles vary only for httpx2 and curl"
        )
    if dims.send_messages:
        notes.append("POST /v1/messages with max_tokens 1, as asked: each authenticated request spends a few tokens")
    else:
        notes.append("zero tokens: models are asked with POST /v1/messages/count_tokens, never POST /v1/messages")
    size = " × ".join(str(n) for n in (len(dims.distinct_keys()), len(dims.clients), len(models), len(versions)))
    return Stage(1, f"full factorial, keys × clients × models × versions = {size}", tuple(attempts), tuple(notes))
