"""The base URL each client would send to: explicit argument > ANTHROPIC_BASE_URL > SDK profile > default.

An empty ``ANTHROPIC_BASE_URL`` breaks the Python SDK but not the Node one; each rule is quoted
from the client's source where it is applied. The SDK profile lives in the SDK's config folder
(``kit.sources.profiles.config_dir``, the one config-dir rule).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from kit.catalog import catalog
from kit.env import Environment
from kit.guard.gate import split_url
from kit.path.routing.clients import NODE_SDK_FETCH_SINCE, version_tuple
from kit.sources.profiles import config_dir

__all__ = ["BaseUrlChoice", "base_url_for"]


@dataclass(frozen=True)
class BaseUrlChoice:
    """The base URL a client would send to, and where that value came from."""

    client: str
    url: str  # exactly as the client would use it (may be empty or malformed: that is the finding)
    source: str  # "explicit argument" | "ANTHROPIC_BASE_URL" | "profile <path>" | "default" | "target"
    problem: str = ""  # why this URL cannot work, when it cannot
    note: str = ""


def _profile_base_url(env: Environment) -> tuple[str | None, str]:
    """``base_url`` from the active SDK profile (ANTHROPIC_PROFILE, then active_config, then default)."""
    base = config_dir(env)
    name = env.get("ANTHROPIC_PROFILE")
    if not name:
        try:
            name = (base / "active_config").read_text(encoding="utf-8").strip() or None
        except OSError:
            name = None
    name = name or "default"
    if "/" in name or "\\" in name or name.startswith("."):
        return None, ""
    path = base / "configs" / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None, ""
    raw = data.get("base_url") if isinstance(data, dict) else None
    return (str(raw).rstrip("/"), str(path)) if raw else (None, str(path))


def _url_problem(url: str) -> str:
    if url == "":
        return "empty: every request fails before it leaves the machine"
    if url != url.strip():
        return "has leading or trailing whitespace, which the client keeps: every request fails"
    parts = split_url(url)
    if parts is None:
        return "is not an http(s) URL the client can use"
    if parts.username is not None or parts.password is not None:
        return (
            "carries a user part (user:password@ before the host), which is a credential: clients send it as "
            "Basic authorization to that host, and a key written there travels wherever the URL points "
            "(KeyLab's checks never send it); remove it and keep the key in ANTHROPIC_API_KEY"
        )
    if parts.path.rstrip("/").endswith("/v1"):
        return "ends in /v1: the SDK adds /v1 itself, so requests go to /v1/v1/... (404 or a gateway error)"
    return ""


def base_url_for(
    env: Environment, client: str, *, explicit: str | None = None, target: str | None = None
) -> BaseUrlChoice:
    """The base URL ``client`` would use: explicit argument > ANTHROPIC_BASE_URL > SDK profile > default.

    curl and httpx2 read no base URL variable: they go wherever they are pointed (``target``).
    """
    official = catalog().official_base_url
    if client in ("httpx2", "curl"):
        url = explicit or target or official
        return BaseUrlChoice(
            client,
            url,
            "explicit argument" if explicit else "target",
            _url_problem(url),
            note=f"{client} reads no base URL variable",
        )
    has_env = "ANTHROPIC_BASE_URL" in env.variables
    raw = env.variables.get("ANTHROPIC_BASE_URL", "")
    if explicit is not None:
        return BaseUrlChoice(client, explicit, "explicit argument", _url_problem(explicit))
    if client == "sdk-python":
        # anthropic/_client.py: `if base_url is None: base_url = os.environ.get("ANTHROPIC_BASE_URL")` (no strip,
        # an empty value counts); a profile's base_url applies only when no key/token variable is set.
        if has_env:
            return BaseUrlChoice(
                client,
                raw,
                "ANTHROPIC_BASE_URL",
                _url_problem(raw),
                note="the Python SDK uses the value exactly as set, even when empty",
            )
        if not (env.get("ANTHROPIC_API_KEY") or env.get("ANTHROPIC_AUTH_TOKEN")):
            profile_url, path = _profile_base_url(env)
            if profile_url:
                return BaseUrlChoice(client, profile_url, f"profile {path}", _url_problem(profile_url))
        return BaseUrlChoice(client, official, "default")
    if client.startswith("sdk-node@"):
        version = client.split("@", 1)[1]
        value = raw.strip()  # readEnv trims; an empty result falls through (`baseURL || default`)
        if value:
            note = "the Node SDK trims the value" if value != raw else ""
            return BaseUrlChoice(client, value, "ANTHROPIC_BASE_URL", _url_problem(value), note=note)
        note = "ANTHROPIC_BASE_URL is set but blank; the Node SDK ignores it" if has_env else ""
        sdk = version_tuple(version)
        if (not sdk or sdk >= NODE_SDK_FETCH_SINCE) and not (
            (env.get("ANTHROPIC_API_KEY") or "").strip() or (env.get("ANTHROPIC_AUTH_TOKEN") or "").strip()
        ):
            profile_url, path = _profile_base_url(env)
            if profile_url:
                return BaseUrlChoice(client, profile_url, f"profile {path}", _url_problem(profile_url), note=note)
        return BaseUrlChoice(client, official, "default", note=note)
    return BaseUrlChoice(client, target or official, "target")
