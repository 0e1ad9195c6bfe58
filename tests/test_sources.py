"""The inventory of credential sources: process variables, .env files, shell start-up files, SDK profiles and
key files, read only through the explicit Environment; distinct credentials with short unique aliases."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kit.env import Environment
from kit.keys.naming import fingerprint
from kit.sources.discover import Discovery, discover
from kit.testing import fake_key, find_leaks, sandbox_env

KEY = fake_key("sources")
OTHER = fake_key("sources-other")
TOKEN = fake_key("sources-token", "oauth")


def by_kind(found: Discovery, kind: str) -> list:
    return [s for s in found.sources if s.kind == kind]


def test_process_variables_are_sources(tmp_path: Path) -> None:
    env = sandbox_env(
        tmp_path,
        {
            "ANTHROPIC_API_KEY": KEY,
            "ANTHROPIC_AUTH_TOKEN": "",
            "ANTHROPIC_ADMIN_API_KEY": fake_key("s", "admin"),
            "ANTHROPIC_BASE_URL": "https://user:secret-pass@gw.example/v1",
            "ANTHROPIC_PROFILE": "work",
            "ANTHROPIC_CONFIG_DIR": str(tmp_path / "cfg"),
            "ANTHROPIC_CUSTOM_HEADERS": f"x-api-key: {OTHER}\nX-Team: a",
        },
    )
    found = discover(env, ask_sdk=False)
    envs = {s.variable: s for s in by_kind(found, "env") if "#" not in s.id}
    assert set(envs) == {
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_ADMIN_API_KEY",
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_PROFILE",
        "ANTHROPIC_CONFIG_DIR",
        "ANTHROPIC_CUSTOM_HEADERS",
    }
    assert envs["ANTHROPIC_API_KEY"].fingerprint == fingerprint(KEY) and envs["ANTHROPIC_API_KEY"].exported
    assert envs["ANTHROPIC_AUTH_TOKEN"].note == "set but empty"
    assert "https://user:[REDACTED]@gw.example/v1" in envs["ANTHROPIC_BASE_URL"].note
    assert envs["ANTHROPIC_BASE_URL"].fingerprint is None
    assert "X-Team" in envs["ANTHROPIC_CUSTOM_HEADERS"].note
    custom = next(s for s in found.sources if s.id.endswith("#x-api-key"))
    assert custom.fingerprint == fingerprint(OTHER)
    aliases = {c.alias: c.source for c in found.credentials}
    assert aliases["env"] == "env:ANTHROPIC_API_KEY" and "env:ADMIN_API_KEY" in aliases
    assert aliases["headers:x-api-key"] == "env:ANTHROPIC_CUSTOM_HEADERS#x-api-key"
    shown = str(found.source_rows()) + str(found.winner_rows()) + str(found.sources) + str(found)
    assert not find_leaks(shown, [KEY, OTHER, "secret-pass-and-more"])
    assert "secret-pass" not in shown


@pytest.mark.slow  # the SDK child: make test-fast leaves it out
def test_never_reads_the_real_environment_or_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", OTHER)
    env = sandbox_env(tmp_path)
    found = discover(env)  # also asks the real SDK, in a subprocess with the sandbox environment only
    assert not found.credentials
    assert all(w.fingerprint != fingerprint(OTHER) for w in found.winners)


def test_shell_files_and_the_value_a_new_terminal_gets(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"SHELL": "/bin/zsh"})
    (env.home / ".zshrc").write_text(f"export ANTHROPIC_API_KEY={OLD_KEY}\nexport ANTHROPIC_API_KEY='{KEY}'\n")
    (env.home / ".bashrc").write_text(f"export ANTHROPIC_API_KEY={OTHER}\n")
    found = discover(env, ask_sdk=False)
    shell = {(Path(s.path or "").name, s.line): s for s in by_kind(found, "shell")}
    assert shell[(".zshrc", 2)].fingerprint == fingerprint(KEY) and shell[(".zshrc", 2)].location == "~/.zshrc line 2"
    assert "read by your shell (zsh)" in shell[(".zshrc", 2)].note
    assert "not by your shell" in shell[(".bashrc", 1)].note
    curl = found.winner("curl")
    assert curl is not None and curl.fingerprint == fingerprint(KEY) and curl.source_id == shell[(".zshrc", 2)].id
    assert {c.alias for c in found.credentials} == {"~/.zshrc:1", "~/.zshrc:2", "~/.bashrc:1"}


OLD_KEY = fake_key("sources-old")


def _profile(
    root: Path,
    name: str,
    token: str | None,
    *,
    kind: str = "user_oauth",
    mode: int = 0o600,
    base_url: str | None = None,
) -> None:
    (root / "configs").mkdir(parents=True, exist_ok=True)
    config: dict[str, object] = {"authentication": {"type": kind}}
    if base_url:
        config["base_url"] = base_url
    (root / "configs" / f"{name}.json").write_text(json.dumps(config))
    (root / "configs" / f"{name}.json").chmod(0o644)
    if token is not None:
        (root / "credentials").mkdir(exist_ok=True)
        path = root / "credentials" / f"{name}.json"
        path.write_text(json.dumps({"type": "oauth_token", "access_token": token}))
        path.chmod(mode)


def test_sdk_profiles_and_which_one_is_active(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path)
    config_dir = env.home / ".config" / "anthropic"
    _profile(config_dir, "default", TOKEN)
    _profile(config_dir, "work", fake_key("work", "oauth"), base_url="https://gw.example")
    found = discover(env, ask_sdk=False)
    profiles = {s.id: s for s in by_kind(found, "profile")}
    assert profiles["profile:default"].note.startswith("active profile (selected by default)")
    assert profiles["profile:default"].fingerprint == fingerprint(TOKEN)
    assert profiles["profile:work"].note.startswith("not the active profile")
    assert "gw.example" in profiles["profile:work:base_url"].note
    (config_dir / "active_config").write_text("work\n")
    again = {s.id: s for s in by_kind(discover(env, ask_sdk=False), "profile")}
    assert again["profile:work"].note.startswith("active profile (selected by active_config)")
    chosen = discover(env.with_variables(ANTHROPIC_PROFILE="default"), ask_sdk=False)
    assert any(s.note.startswith("active profile (selected by ANTHROPIC_PROFILE)") for s in by_kind(chosen, "profile"))


def test_profile_problems_are_named(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_PROFILE": "missing"})
    config_dir = env.home / ".config" / "anthropic"
    _profile(config_dir, "default", TOKEN, mode=0o644)
    (config_dir / "configs" / "broken.json").write_text("{not json")
    found = discover(env, ask_sdk=False)
    text = "\n".join(found.problems)
    assert "ANTHROPIC_PROFILE names the SDK profile 'missing'" in text
    assert "chmod 600" in text and "broken.json is not valid JSON" in text


def test_config_dir_from_the_variable(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_CONFIG_DIR": str(tmp_path / "elsewhere")})
    _profile(tmp_path / "elsewhere", "default", TOKEN)
    found = discover(env, ask_sdk=False)
    assert [s.id for s in by_kind(found, "profile")] == ["profile:default"]


def test_key_files_are_read_as_raw_bytes(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path)
    (env.cwd / "keys").mkdir()
    (env.cwd / "keys" / "key-1.txt").write_bytes(KEY.encode() + b"\n")
    (env.cwd / "keys" / "bad.bin").write_bytes(b"\xff\xfe" + KEY.encode())
    (env.home / "k.txt").write_bytes(OTHER.encode())
    found = discover(
        env, ["keys/key-1.txt", env.cwd / "keys" / "bad.bin", "~/k.txt", "nope.txt", "keys"], ask_sdk=False
    )
    files = {Path(s.path or "").name: s for s in by_kind(found, "file")}
    assert files["key-1.txt"].fingerprint == fingerprint(KEY.encode() + b"\n") and files["key-1.txt"].length == 109
    assert "ends with a newline" in files["key-1.txt"].note
    assert files["bad.bin"].fingerprint == fingerprint(b"\xff\xfe" + KEY.encode())
    assert files["k.txt"].location == "key file ~/k.txt"
    problems = "\n".join(found.problems)
    assert "nope.txt does not exist" in problems and "is a directory" in problems
    credential = found.credential("key-1.txt")
    assert credential.raw == KEY.encode() + b"\n"
    report = credential.report()
    assert report.causes == ("key-whitespace",) and report.source == files["key-1.txt"].id


def test_one_credential_per_distinct_value_with_unique_short_aliases(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY, "SHELL": "/bin/zsh"})
    (env.home / ".zshrc").write_text(f"export ANTHROPIC_API_KEY={KEY}\n")
    (env.cwd / ".env").write_text(f"ANTHROPIC_API_KEY={OTHER}\nANTHROPIC_API_KEY={OLD_KEY}\n")
    deep = env.cwd / "a-rather-long-folder-name" / "another-long-folder-name"
    deep.mkdir(parents=True)
    for name in ("key.txt", "x.txt"):
        (deep / name).write_text(fake_key(name))
    other = env.cwd / "elsewhere"
    other.mkdir()
    (other / "key.txt").write_text(fake_key("second"))
    found = discover(env, [deep / "key.txt", other / "key.txt", deep / "x.txt"], ask_sdk=False)
    aliases = [c.alias for c in found.credentials]
    assert len(aliases) == len(set(aliases)) == 6
    assert all(len(a) <= 24 for a in aliases)
    assert aliases[:3] == ["env", ".env", ".env:2"]
    assert "key.txt" in aliases and "elsewhere/key.txt" in aliases
    assert found.credential("env").source == "env:ANTHROPIC_API_KEY"  # first place it was found


def test_missing_home_and_cwd_are_problems(tmp_path: Path) -> None:
    env = Environment(variables={"ANTHROPIC_API_KEY": KEY}, home=tmp_path / "no-home", cwd=tmp_path / "no-cwd")
    found = discover(env)
    text = "\n".join(found.problems)
    assert "HOME" in text and "does not exist" in text and "working folder" in text
    assert found.credentials and found.credentials[0].alias == "env"
    sdk = found.winner("sdk-python")
    assert sdk is not None and "modelled" in sdk.detail  # the SDK could not be asked without a working folder


def test_discovery_gives_evidence_for_the_diagnosis(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY + "\n"})
    found = discover(env, ask_sdk=False)
    evidence = found.evidence()
    assert evidence.keys[0].causes == ("key-whitespace",) and evidence.keys[0].source == "env:ANTHROPIC_API_KEY"
    assert evidence.sources == found.sources and evidence.winners == found.winners
    frame = found.sources_frame()
    assert list(frame["source"]) == ["env:ANTHROPIC_API_KEY"]
    assert "sdk-node@0.24.3" in frame["used by"][0]  # Node trims, but it reads this source
    assert len(found.winners_frame()) == 5


@pytest.mark.skipif(os.name != "posix", reason="permission bits")
def test_world_readable_key_file_is_noted(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path)
    path = env.cwd / "k.txt"
    path.write_text(KEY)
    path.chmod(0o644)
    (source,) = by_kind(discover(env, [path], ask_sdk=False), "file")
    assert "readable by other users" in source.note


def test_named_variables_and_dotenv_files_are_read_too(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"MY_CLAUDE_KEY": KEY})
    elsewhere = tmp_path / "config" / "prod.env"
    elsewhere.parent.mkdir()
    elsewhere.write_text(f"MY_CLAUDE_KEY={OTHER}\nANTHROPIC_API_KEY={OLD_KEY}\n")
    found = discover(
        env, ask_sdk=False, variables=["MY_CLAUDE_KEY", "NOT_SET_ANYWHERE"], dotenv_files=[elsewhere, "missing.env"]
    )
    aliases = {c.alias: c.source for c in found.credentials}
    assert aliases["env:MY_CLAUDE_KEY"] == "env:MY_CLAUDE_KEY"
    named = [s for s in found.sources if s.path == str(elsewhere)]
    assert {s.variable for s in named} == {"MY_CLAUDE_KEY", "ANTHROPIC_API_KEY"}
    assert all("named by you" in s.note for s in named)
    problems = "\n".join(found.problems)
    assert "NOT_SET_ANYWHERE is not set" in problems and "missing.env does not exist" in problems
    assert found.winner("dotenv-app").fingerprint is None  # type: ignore[union-attr]  # a named file is not loaded


def test_provenance_rows_and_winner_lines(tmp_path: Path) -> None:
    env = sandbox_env(tmp_path, {"ANTHROPIC_API_KEY": KEY + "\n"})
    (env.cwd / ".env").write_text(f"ANTHROPIC_API_KEY={OTHER}\n")
    found = discover(env, ask_sdk=False)
    rows = {r["alias"]: r for r in found.provenance_rows()}
    assert rows["env"]["sdk-python"] == "authorization" and rows["env"]["curl"] == "x-api-key"
    assert rows[".env"]["sdk-python"] == ""  # shadowed by the exported value
    trimmed = rows["(changed by the client)"]
    assert trimmed["fingerprint"] == fingerprint(KEY) and trimmed["sdk-node@0.24.3"] == "x-api-key"
    assert "trimmed by the client" in trimmed["found in"]
    lines = found.winner_lines()
    assert len(lines) == 5 and lines[0].startswith("- **sdk-python**")
    assert any("a value changed by the client" in line for line in lines)
    nobody = discover(sandbox_env(tmp_path / "empty"), ask_sdk=False)
    assert nobody.provenance_rows()[-1]["alias"] == "(no key)"
    assert "**finds no key**" in nobody.winner_lines()[0]
