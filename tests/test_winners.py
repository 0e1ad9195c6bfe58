"""Who wins per client. The official Python SDK installed in the venv is asked in a subprocess (never a
reimplementation alone): its answers are checked against the sources, and the modelled rules KeyLab falls back
on are checked against it. Node and curl follow their documented rules, Node's trimming included."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kit.demo.sandbox import materialize
from kit.env import Environment
from kit.keys.naming import fingerprint
from kit.sources.discover import Discovery, discover
from kit.sources.winners import ask_python_sdk, js_trim
from kit.testing import fake_key, find_leaks, sandbox_env

KEY = fake_key("winners")
OLD = fake_key("winners-old")
TOKEN = fake_key("winners-token", "oauth")
DEMO = Path(__file__).resolve().parent.parent / "data" / "demo" / "ticket"


def winners(found: Discovery) -> dict[str, tuple[str | None, str | None, str | None]]:
    return {w.client: (w.fingerprint, w.header, w.source_id) for w in found.winners}


def _profile(env: Environment, name: str = "work") -> None:
    root = env.home / ".config" / "anthropic"
    (root / "configs").mkdir(parents=True)
    (root / "credentials").mkdir()
    (root / "configs" / f"{name}.json").write_text(json.dumps({"authentication": {"type": "user_oauth"}}))
    (root / "configs" / f"{name}.json").chmod(0o644)
    secret = root / "credentials" / f"{name}.json"
    secret.write_text(json.dumps({"type": "oauth_token", "access_token": TOKEN}))
    secret.chmod(0o600)


def _dotenv(value: str) -> Callable[[Environment], None]:
    def write(env: Environment) -> None:
        (env.cwd / ".env").write_text(f"ANTHROPIC_API_KEY={value}\n")

    return write


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_what_the_real_sdk_reports_in_detail(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": OLD, "ANTHROPIC_AUTH_TOKEN": TOKEN})
    (env.cwd / ".env").write_text(f"ANTHROPIC_API_KEY={KEY}\n")
    answer, reason = ask_python_sdk(env)
    assert answer is not None, reason
    assert answer["version"] and answer["sdk"]["api_key"]["fp"] == fingerprint(OLD)
    assert answer["sdk"]["auth_token"] is None  # this SDK keeps only the API key when both are set
    assert answer["dotenv"]["path"] == str(env.cwd / ".env") and "ANTHROPIC_API_KEY" in answer["dotenv"]["kept"]
    assert not find_leaks(json.dumps(answer), [KEY, OLD, TOKEN])
    found = discover(env)
    sdk = found.winner("sdk-python")
    assert sdk is not None and "both set" in sdk.detail  # the SDK's own warning, passed on
    app = found.winner("dotenv-app")
    assert app is not None and app.fingerprint == fingerprint(OLD) and "kept its value (no override)" in app.detail


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_the_demo_ticket_sandbox_sends_the_exported_prototype_key(tmp_path: Path) -> None:
    env = materialize(DEMO, tmp_path / "ticket")
    found = discover(env, [env.cwd / "keys" / "key-1.txt", env.cwd / "keys" / "key-2.txt"])
    zshrc = next(s for s in found.sources if s.kind == "shell" and s.variable == "ANTHROPIC_API_KEY")
    dotenv = next(s for s in found.sources if s.kind == "dotenv" and s.variable == "ANTHROPIC_API_KEY")
    assert zshrc.location == "~/.zshrc line 6" and zshrc.exported
    assert zshrc.fingerprint == fingerprint(fake_key("prototype-2024"))
    assert dotenv.fingerprint == fingerprint(fake_key("fresh-3")) != zshrc.fingerprint
    for client in ("dotenv-app", "sdk-python", "curl"):
        winner = found.winner(client)
        assert winner is not None and winner.fingerprint == zshrc.fingerprint, client
        assert winner.fingerprint != dotenv.fingerprint
    curl = found.winner("curl")
    assert curl is not None and curl.source_id == zshrc.id
    sdk = found.winner("sdk-python")
    assert sdk is not None and sdk.detail.startswith("asked the installed anthropic")
    assert [c.alias for c in found.credentials] == ["env", ".env", "key-1.txt", "key-2.txt"]
    reports = {r.alias: r for r in found.reports()}
    assert reports["key-1.txt"].causes == ("key-whitespace",) and reports["key-1.txt"].length == 109


def test_js_trim_matches_ecmascript() -> None:
    assert js_trim(" \t\n\r\u00a0\ufeffkey\u2028\u3000") == "key"
    assert js_trim("\u200bkey\u200b") == "\u200bkey\u200b"  # a zero-width space is not whitespace in JS
    assert js_trim("") == ""


def test_node_0_24_trims_the_environment_value_and_prefers_the_api_key(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY + "\n", "ANTHROPIC_AUTH_TOKEN": TOKEN})
    found = discover(env, ask_sdk=False)
    node = found.winner("sdk-node@0.24.3")
    assert node is not None and node.fingerprint == fingerprint(KEY) and node.header == "x-api-key"
    assert node.source_id == "env:ANTHROPIC_API_KEY" and "trims the value (109 → 108" in node.detail
    assert "⟨U+000A⟩" in node.detail and "AUTH_TOKEN is ignored" in node.detail
    source = found.source("env:ANTHROPIC_API_KEY")
    assert source is not None and source.fingerprint == fingerprint(KEY + "\n") != node.fingerprint
    python = found.winner("sdk-python")
    assert python is not None and python.fingerprint == fingerprint(KEY + "\n")  # Python does not trim


def test_node_0_24_blank_key_throws_even_with_a_token(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": "  ", "ANTHROPIC_AUTH_TOKEN": TOKEN})
    found = discover(env, ask_sdk=False)
    old, new = found.winner("sdk-node@0.24.3"), found.winner("sdk-node@1.x")
    assert old is not None and old.fingerprint is None and "Could not resolve authentication method" in old.detail
    assert new is not None and new.fingerprint == fingerprint(TOKEN) and new.header == "authorization"


def test_node_current_sends_api_keys_as_bearer_and_uses_the_profile(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY})
    assert winners(discover(env, ask_sdk=False))["sdk-node@1.x"] == (
        fingerprint(KEY),
        "authorization",
        "env:ANTHROPIC_API_KEY",
    )
    profiled = sandbox_env(tmp_path / "p", {"ANTHROPIC_PROFILE": "work"})
    _profile(profiled)
    node = discover(profiled, ask_sdk=False).winner("sdk-node@1.x")
    assert node is not None and node.source_id == "profile:work" and node.fingerprint == fingerprint(TOKEN)
    assert discover(profiled, ask_sdk=False).winner("sdk-node@0.24.3").fingerprint is None  # type: ignore[union-attr]


def test_curl_uses_what_a_new_terminal_gets(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": OLD, "SHELL": "/bin/bash"})
    (env.home / ".bashrc").write_text(f"export ANTHROPIC_API_KEY={KEY}\n")
    curl = discover(env, ask_sdk=False).winner("curl")
    assert curl is not None and curl.fingerprint == fingerprint(KEY) and curl.header == "x-api-key"
    assert "~/.bashrc line 1 sets it" in curl.detail
    (env.home / ".bashrc").write_text("export ANTHROPIC_API_KEY=$(security find-generic-password -w)\n")
    unknown = discover(env, ask_sdk=False).winner("curl")
    assert unknown is not None and unknown.fingerprint is None and "cannot tell" in unknown.detail
    (env.home / ".bashrc").write_text("# nothing\n")
    inherited = discover(env, ask_sdk=False).winner("curl")
    assert inherited is not None and inherited.fingerprint == fingerprint(OLD)
    assert inherited.source_id == "env:ANTHROPIC_API_KEY"
    empty = discover(sandbox_env(tmp_path / "e"), ask_sdk=False).winner("curl")
    assert empty is not None and empty.fingerprint is None and "x-api-key header is required" in empty.detail


def test_an_unusable_python_is_a_problem_and_the_model_takes_over(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY})
    answer, reason = ask_python_sdk(env, python=str(tmp_path / "no-python"))
    assert answer is None and "could not start" in reason
    bad = tmp_path / "fake-python"
    bad.write_text("#!/bin/sh\necho not json\n")
    bad.chmod(0o755)
    answer, reason = ask_python_sdk(env, python=str(bad))
    assert answer is None and "no answer" in reason


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
@pytest.mark.skipif(os.name != "posix", reason="a stray module in the working folder")
def test_a_stray_anthropic_module_in_the_project_cannot_answer(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY})
    (env.cwd / "anthropic.py").write_text("raise SystemExit('the project shadowed the SDK')\n")
    answer, reason = ask_python_sdk(env)
    assert answer is not None, reason
    assert answer["sdk"]["api_key"]["fp"] == fingerprint(KEY)
