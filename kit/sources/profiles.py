"""The official SDK's profiles as sources: where the config folder is (the one definition, used by
routing too), which profile is active, and each profile's token, base URL and file modes."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from kit.env import Environment
from kit.guard.reader import Refused, read_bounded
from kit.sources.found import Found, display_path, expand_user, secret, setting

#: SDK profile files larger than this are not read (a profile is a few hundred bytes).
MAX_PROFILE_BYTES = 1_048_576
_MAX_PROFILES = 50


def config_dir(env: Environment) -> Path:
    """``ANTHROPIC_CONFIG_DIR``, else ``~/.config/anthropic`` (the SDK's layout on Linux and macOS)."""
    configured = env.get("ANTHROPIC_CONFIG_DIR")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else env.cwd / path
    return env.home / ".config" / "anthropic"


def _read_json(path: Path, problems: list[str], what: str) -> Any:
    got = read_bounded(path, MAX_PROFILE_BYTES)
    if isinstance(got, Refused):
        if got.reason in ("missing", "dangling-link"):
            pass
        elif got.reason in ("directory", "fifo", "special"):
            problems.append(f"{what} {path} is not a regular file")
        elif got.reason == "too-large":
            problems.append(f"{what} {path} is too large ({got.size} bytes)")
        else:
            problems.append(f"{what} {path} cannot be read ({got.error})")
        return None
    try:
        return json.loads(got.data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(
            f"{what} {path} is not valid JSON ({type(exc).__name__}): the SDK raises CredentialsError "
            "when it uses this profile"
        )
    return None


def from_profiles(env: Environment, problems: list[str], home_ok: bool) -> tuple[list[Found], str | None, str | None]:
    """The profiles' sources, the active profile's Source.id, and the error the SDK raises for them (if any)."""
    out: list[Found] = []
    if not home_ok and not env.get("ANTHROPIC_CONFIG_DIR"):
        return out, None, None
    folder = config_dir(env)
    pointer = None
    try:
        pointer = (folder / "active_config").read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        pointer = None
    selected_by = "ANTHROPIC_PROFILE" if env.get("ANTHROPIC_PROFILE") else "active_config" if pointer else "default"
    active = env.get("ANTHROPIC_PROFILE") or pointer or "default"
    configs_dir = folder / "configs"
    try:
        configs = sorted(configs_dir.glob("*.json"))[:_MAX_PROFILES] if configs_dir.is_dir() else []
    except OSError:
        configs = []
    names = [c.stem for c in configs]
    error = None
    if selected_by != "default" and active not in names:
        error = (
            f"{selected_by} names the SDK profile '{active}', but {display_path(configs_dir, env.home)}/"
            f"{active}.json does not exist"
        )
        problems.append(
            f"{error}: the official Python SDK raises CredentialsError when the client is created. "
            f"Fix: create the profile, or unset {selected_by}"
        )
    elif env.get("ANTHROPIC_CONFIG_DIR") and active not in names:
        error = f"ANTHROPIC_CONFIG_DIR is set, but {display_path(configs_dir, env.home)}/{active}.json does not exist"
        problems.append(
            f"{error}: the official Python SDK raises CredentialsError when it finds no other "
            "credential. Fix: create the profile or unset ANTHROPIC_CONFIG_DIR"
        )
    active_id: str | None = None
    for config_path in configs:
        name = config_path.stem
        config = _read_json(config_path, problems, "SDK profile config")
        if not isinstance(config, dict):
            if config is not None:
                problems.append(f"SDK profile config {config_path} must hold a JSON object")
            continue
        auth_value = config.get("authentication")
        auth: dict[str, Any] = auth_value if isinstance(auth_value, dict) else {}
        auth_type = str(auth.get("type", "?"))
        is_active = name == active
        # kit.diagnose.rules.sources recognises the active profile by this note's first words: keep them
        role = f"active profile (selected by {selected_by})" if is_active else "not the active profile"
        notes = [role, f"authentication.type = {auth_type}"]
        notes += _mode_notes(config_path, 0o022, "config", problems)
        credentials_path = (
            expand_user(str(auth["credentials_path"]), env)
            if auth.get("credentials_path")
            else folder / "credentials" / f"{name}.json"
        )
        location = f"SDK profile '{name}' ({display_path(credentials_path, env.home)})"
        source_id = f"profile:{name}"
        token = None
        if auth_type == "user_oauth" or credentials_path.exists():
            creds = _read_json(credentials_path, problems, "SDK credentials file")
            if isinstance(creds, dict) and isinstance(creds.get("access_token"), str):
                token = creds["access_token"]
                notes += _mode_notes(credentials_path, 0o077, "credentials", problems)
                if creds.get("expires_at"):
                    notes.append(f"expires_at = {creds['expires_at']}")
            elif auth_type == "user_oauth":
                notes.append("no access_token in the credentials file: the SDK raises CredentialsError")
        if auth_type == "oidc_federation" and token is None:
            notes.append("workload identity federation: a token is exchanged at request time")
        if token is not None:
            out.append(
                secret(source_id, "profile", None, location, token, path=str(credentials_path), note="; ".join(notes))
            )
        else:
            out.append(
                setting(
                    source_id,
                    "profile",
                    None,
                    location,
                    name,
                    path=str(config_path),
                    note="; ".join(notes),
                    show_value=False,
                )
            )
        if is_active:
            active_id = source_id
        if config.get("base_url"):
            out.append(
                setting(
                    f"profile:{name}:base_url",
                    "profile",
                    "ANTHROPIC_BASE_URL",
                    f"SDK profile '{name}' ({display_path(config_path, env.home)})",
                    str(config["base_url"]),
                    path=str(config_path),
                    note=f"{role}: the SDK sends requests here unless ANTHROPIC_BASE_URL or base_url= is set",
                )
            )
    return out, active_id, error


def _mode_notes(path: Path, forbidden: int, what: str, problems: list[str]) -> list[str]:
    if os.name != "posix":
        return []
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return []
    if mode & forbidden:
        verb, fix = ("write", "go-w") if forbidden == 0o022 else ("read", "600")
        message = (
            f"the SDK refuses this {what} file: mode {mode:#o} lets group or others {verb} it "
            f"(fix: `chmod {fix} {path}`)"
        )
        problems.append(f"{path}: {message}")
        return [message]
    return []
