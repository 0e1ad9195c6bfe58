"""One home for the SDK's config folder: discovery (profiles as sources), routing (a profile's base URL) and the
installed SDK itself agree on where ``ANTHROPIC_CONFIG_DIR`` points, a relative value included (the SDK
resolves it against its working folder, which is the environment's, not KeyLab's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kit.env import Environment
from kit.path import routing
from kit.sources.discover import discover
from kit.sources.profiles import config_dir
from kit.testing import fake_key, sandbox_env

TOKEN = fake_key("config-dir-token", "oauth")
GATEWAY = "http://127.0.0.1:4000"  # never contacted: the base URL is only read


def _profile(folder: Path, name: str = "default") -> Path:
    (folder / "configs").mkdir(parents=True)
    (folder / "credentials").mkdir()
    config = folder / "configs" / f"{name}.json"
    config.write_text(json.dumps({"authentication": {"type": "user_oauth"}, "base_url": GATEWAY}))
    config.chmod(0o644)
    secret = folder / "credentials" / f"{name}.json"
    secret.write_text(json.dumps({"type": "oauth_token", "access_token": TOKEN}))
    secret.chmod(0o600)
    return config


@pytest.fixture
def relative_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Environment, Path]:
    """ANTHROPIC_CONFIG_DIR=conf with the profile under the environment's working folder, while KeyLab itself
    runs elsewhere (where a ``conf`` folder holds nothing)."""
    env = sandbox_env(tmp_path, {"ANTHROPIC_CONFIG_DIR": "conf"})
    config = _profile(env.cwd / "conf")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "conf").mkdir(parents=True)
    monkeypatch.chdir(elsewhere)
    return env, config


def test_config_dir_resolves_a_relative_value_against_the_environments_working_folder(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_CONFIG_DIR": "conf"})
    assert config_dir(env) == env.cwd / "conf"
    assert config_dir(env.with_variables(ANTHROPIC_CONFIG_DIR="/etc/anthropic")) == Path("/etc/anthropic")
    assert config_dir(sandbox_env(tmp_path)) == env.home / ".config" / "anthropic"


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_discovery_routing_and_the_sdk_agree_on_a_relative_config_dir(relative_env: tuple[Environment, Path]) -> None:
    env, config = relative_env
    found = discover(env, ask_sdk=True)
    profile_urls = [s for s in found.sources if s.kind == "profile" and s.variable == "ANTHROPIC_BASE_URL"]
    assert [s.path for s in profile_urls] == [str(config)]
    choice = routing.base_url_for(env, "sdk-python")
    assert choice.url == GATEWAY and choice.source == f"profile {config}"
    sdk = found.winner("sdk-python")
    assert sdk is not None and sdk.detail.startswith("asked the installed anthropic"), found.problems
    assert sdk.base_url.rstrip("/") == GATEWAY
    assert sdk.source_id == "profile:default"
