"""A scenario as values: the frozen dataclasses one simulated API world is made of, and their choices.

``kit.sim.scenario`` reads TOML into these; ``decide`` and the endpoints read them. Kept apart from
the loader so the values stay small and the strict reading of TOML stays in one place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

__all__ = [
    "CREDIT_STATES",
    "DEFAULT_BETAS",
    "KEY_KINDS",
    "KEY_STATUSES",
    "PROVIDERS",
    "PROVIDER_KEY_KINDS",
    "RESPONDERS",
    "SPEND_LIMIT_KINDS",
    "ApiSettings",
    "Faults",
    "KeySpec",
    "ModelSpec",
    "Org",
    "RateLimit",
    "Scenario",
    "Workspace",
]

#: Who answers: the API itself, or something standing in its way.
RESPONDERS = (
    "anthropic",
    "gateway",
    "html-proxy",
    "region-block",
    "capture",
    "hostile",
    "litellm",
    "cloudflare-ai-gateway",
)
KEY_KINDS = ("api", "admin", "oauth")
#: Key kinds per face: the Anthropic ones above; an OpenAI key may be restricted to scopes.
PROVIDER_KEY_KINDS = {"anthropic": KEY_KINDS, "openai": ("api", "restricted"), "gemini": ("api",)}
#: The faces the simulator has (data/catalog/providers.toml protocols).
PROVIDERS = ("anthropic", "openai", "gemini")
KEY_STATUSES = ("active", "inactive", "archived", "expired")
CREDIT_STATES = ("ok", "exhausted")
SPEND_LIMIT_KINDS = ("user", "workspace", "tier")

#: Beta names the simulated API knows when a scenario does not list its own (anthropic-beta header).
DEFAULT_BETAS = (
    "message-batches-2024-09-24",
    "prompt-caching-2024-07-31",
    "computer-use-2024-10-22",
    "computer-use-2025-01-24",
    "pdfs-2024-09-25",
    "token-counting-2024-11-01",
    "token-efficient-tools-2025-02-19",
    "output-128k-2025-02-19",
    "files-api-2025-04-14",
    "mcp-client-2025-04-04",
    "interleaved-thinking-2025-05-14",
    "code-execution-2025-05-22",
    "extended-cache-ttl-2025-04-11",
    "context-1m-2025-08-07",
    "context-management-2025-06-27",
    "model-context-window-exceeded-2025-08-26",
    "skills-2025-10-02",
    "oauth-2025-04-20",
)


@dataclass(frozen=True)
class ApiSettings:
    """How the simulated API behaves as a whole (the ``[api]`` table)."""

    versions: tuple[str, ...]
    accept_bearer_api_keys: bool = True
    responder: str = "anthropic"
    latency_ms: int = 0
    betas: tuple[str, ...] = DEFAULT_BETAS
    accept_oauth_tokens: bool = False  # OAuth tokens as Bearer with the oauth beta header
    reject_both_auth_headers: bool = True  # x-api-key and Authorization together: 401
    max_body_bytes: int = 0  # 0: the catalog's limit (32 MB)
    body_timeout_s: float = 10.0  # a client that does not finish sending its body in time gets 408
    responder_status: int = 0  # html-proxy / gateway status; 0: their default
    provider: str = "anthropic"  # which face answers: anthropic | openai | gemini
    reject_unrestricted_standard_keys: bool = False  # gemini: the 2026 policy (401 ACCESS_TOKEN_TYPE_UNSUPPORTED)
    mode: str = ""  # the hostile responder's mode (kit.sim.hostile.HOSTILE_MODES)


@dataclass(frozen=True)
class Org:
    """One organization (``[[orgs]]``). ``uuid`` is what the API shows in ``anthropic-organization-id``.

    In an OpenAI scenario ``id`` is the organization (``org-…``); in a Gemini scenario, the cloud project.
    """

    id: str
    name: str = ""
    uuid: str = ""
    credit: str = "ok"
    disabled: bool = False
    spend_limit_reached: bool = False
    spend_limit_kind: str = "user"  # user (400), workspace (400, workspace wording), tier (429 monthly cap)
    spend_limit_resume: dt.date | None = None  # the date the 400 message names; default: 1st of next month
    number: str = ""  # gemini: the cloud project's number, as error messages show it (default: derived from id)
    api_enabled: bool = True  # gemini: the Generative Language API is enabled in the project


@dataclass(frozen=True)
class Workspace:
    """One workspace (``[[workspaces]]``; workspaces named only by keys are added automatically)."""

    id: str
    name: str = ""
    org: str = ""
    archived: bool = False


@dataclass(frozen=True)
class KeySpec:
    """One credential the simulated API knows (``[[keys]]``). ``value`` is the secret: never logged."""

    name: str
    value: str = field(repr=False)
    kind: str = "api"
    status: str = "active"
    org: str = ""
    workspace: str = "wrkspc_default"
    identity_linked: bool = False
    created: dt.date = dt.date(2025, 1, 1)
    id: str = ""  # apikey_… as the Admin API lists it
    project: str = "proj_default"  # openai: the key's project
    scopes: tuple[str, ...] = ()  # openai, kind "restricted": the granted scopes (model.read, model.request, …)
    referrers: tuple[str, ...] = ()  # gemini: allowed HTTP referrers (patterns with *); empty: any
    apis: tuple[str, ...] = ()  # gemini: allowed APIs (generativelanguage.googleapis.com); empty: any

    @property
    def usable(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class ModelSpec:
    """One model id the API knows; ``retired`` models answer 404 ``model: <id>``."""

    id: str
    retired: bool
    display_name: str
    created: dt.date


@dataclass(frozen=True)
class RateLimit:
    """``[rate_limit]``: requests per minute per organization; 0 means unlimited."""

    requests_per_minute: int = 0


@dataclass(frozen=True)
class Faults:
    """``[faults]``: trouble on demand. Shares are probabilities per request, drawn from a seeded generator."""

    latency_ms: int = 0
    latency_jitter_ms: int = 0
    api_error: float = 0.0  # share answered 500 api_error
    overloaded: float = 0.0  # share answered 529 overloaded_error
    reset: float = 0.0  # share whose connection is dropped without an answer
    truncated: float = 0.0  # share whose body is cut off half way
    paths: tuple[str, ...] = ()  # path prefixes the faults apply to; empty: every path
    seed: int = 0

    @property
    def any(self) -> bool:
        return bool(
            self.api_error
            or self.overloaded
            or self.reset
            or self.truncated
            or self.latency_ms
            or self.latency_jitter_ms
        )


@dataclass(frozen=True, eq=False)
class Scenario:
    """A whole simulated world. Build one with ``load_scenario`` (a name, a path or a dict).

    Compared by identity (``eq=False``), so it can key caches cheaply.
    """

    name: str
    description: str
    api: ApiSettings
    orgs: tuple[Org, ...]
    workspaces: tuple[Workspace, ...]
    keys: tuple[KeySpec, ...]
    models: tuple[ModelSpec, ...]
    rate_limit: RateLimit
    faults: Faults
    source: Path | None = None

    @cached_property
    def keys_by_value(self) -> Mapping[str, KeySpec]:
        return {k.value: k for k in self.keys}

    @cached_property
    def orgs_by_id(self) -> Mapping[str, Org]:
        return {o.id: o for o in self.orgs}

    @cached_property
    def models_by_id(self) -> Mapping[str, ModelSpec]:
        return {m.id: m for m in self.models}

    @cached_property
    def workspaces_by_id(self) -> Mapping[str, Workspace]:
        return {w.id: w for w in self.workspaces}

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """Answers that depend on nothing but the scenario and the query (model pages), computed once."""
        return {}

    def key(self, name: str) -> KeySpec:
        """The key named ``name`` (tests use this to get the value the simulator accepts)."""
        for key in self.keys:
            if key.name == name:
                return key
        raise KeyError(name)

    def __repr__(self) -> str:
        return f"Scenario(name={self.name!r}, keys={len(self.keys)}, responder={self.api.responder!r})"
