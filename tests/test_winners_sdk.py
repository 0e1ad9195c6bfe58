"""The modelled Python SDK rules (KeyLab's fallback when the SDK cannot be asked) agree with the official SDK
installed in the venv, asked in a subprocess, on the environments that decide who wins."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from test_winners import KEY, OLD, TOKEN, _dotenv, _profile

from kit.env import Environment
from kit.sources.discover import discover
from kit.testing import find_leaks, sandbox_env

pytestmark = pytest.mark.slow  # the real SDK in a subprocess per case: make test-fast leaves them out

CASES: list[tuple[str, dict[str, str], Callable[[Environment], None] | None]] = [
    ("api-key", {"ANTHROPIC_API_KEY": KEY}, None),
    ("auth-token", {"ANTHROPIC_AUTH_TOKEN": KEY}, None),
    ("both-set", {"ANTHROPIC_API_KEY": KEY, "ANTHROPIC_AUTH_TOKEN": TOKEN}, None),
    ("blank-key-and-token", {"ANTHROPIC_API_KEY": "", "ANTHROPIC_AUTH_TOKEN": TOKEN}, None),
    ("key-with-newline", {"ANTHROPIC_API_KEY": KEY + "\n"}, None),
    ("exported-beats-dotenv", {"ANTHROPIC_API_KEY": OLD}, _dotenv(KEY)),
    ("blank-export-blocks-dotenv", {"ANTHROPIC_API_KEY": ""}, _dotenv(KEY)),
    ("dotenv-only", {}, _dotenv(KEY)),
    ("custom-header", {"ANTHROPIC_CUSTOM_HEADERS": f"x-api-key: {KEY}"}, None),
    ("profile", {"ANTHROPIC_PROFILE": "work"}, _profile),
    ("missing-profile", {"ANTHROPIC_PROFILE": "nope"}, None),
    ("base-url-only", {"ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}, None),
]


@pytest.mark.parametrize(("name", "variables", "setup"), CASES, ids=[c[0] for c in CASES])
def test_the_modelled_python_rules_agree_with_the_real_sdk(
    tmp_path: Path, name: str, variables: dict[str, str], setup: Callable[[Environment], None] | None
) -> None:
    env = sandbox_env(tmp_path, variables)
    if setup:
        setup(env)
    asked = discover(env)
    modelled = discover(env, ask_sdk=False)
    for client in ("sdk-python", "dotenv-app"):
        real, model = asked.winner(client), modelled.winner(client)
        assert real is not None and model is not None
        assert real.detail.startswith("asked the installed anthropic"), real.detail
        assert (model.fingerprint, model.header, model.source_id, model.base_url) == (
            real.fingerprint,
            real.header,
            real.source_id,
            real.base_url,
        ), (name, client, real.detail, model.detail)
        assert not find_leaks(real.detail + model.detail, [KEY, OLD, TOKEN])
