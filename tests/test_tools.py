"""Claude Code as a client, CI detection, base-URL paths and the tool rules, each alone (issue 12)."""

from __future__ import annotations

import json
import stat
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from kit.diagnose.diagnosis import diagnose
from kit.diagnose.rules import gateways, tools
from kit.env import Environment
from kit.path.routing.urlpaths import messages_url, path_verdict
from kit.sources.ci import from_github_actions
from kit.sources.claude_code import claude_winner, describe_helper, expiry_note, from_claude_code, helper_literal
from kit.testing import assert_no_leak, fake_key
from kit.values import Evidence, Source, Winner

sys.path.insert(0, str(Path(__file__).parent))
from scenarios.builders import attempt, source, winner

NOW = 1_800_000_000.0


def _env(tmp: Path, **variables: str) -> Environment:
    home, project = tmp / "home", tmp / "project"
    home.mkdir(exist_ok=True)
    project.mkdir(exist_ok=True)
    return Environment(variables={"PATH": "/usr/bin:/bin", **variables}, home=home, cwd=project)


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _winner(env: Environment) -> Winner:
    cc = from_claude_code(env, now=NOW)
    sources = {f.id: f.source for f in cc.found}
    return claude_winner(cc, sources, "https://api.anthropic.com")


# ---------------------------------------------------------------- Claude Code's sources and precedence


def test_settings_levels_merge_lowest_first_and_local_wins(tmp_path: Path) -> None:
    env = _env(tmp_path, ANTHROPIC_API_KEY=fake_key("shell"))
    _write(env.home / ".claude" / "settings.json", {"env": {"ANTHROPIC_API_KEY": fake_key("user")}})
    _write(env.cwd / ".claude" / "settings.json", {"env": {"ANTHROPIC_API_KEY": fake_key("project")}})
    _write(env.cwd / ".claude" / "settings.local.json", {"env": {"ANTHROPIC_API_KEY": fake_key("local")}})
    w = _winner(env)
    assert w.source_id == "claude:settings:local:ANTHROPIC_API_KEY"
    assert w.header == "x-api-key"


def test_managed_settings_beat_every_other_level(tmp_path: Path) -> None:
    managed = tmp_path / "etc-claude-code"
    env = _env(tmp_path, KEYLAB_CLAUDE_MANAGED_DIR=str(managed))
    _write(env.cwd / ".claude" / "settings.local.json", {"env": {"ANTHROPIC_API_KEY": fake_key("local")}})
    _write(managed / "managed-settings.json", {"env": {"ANTHROPIC_API_KEY": fake_key("managed")}})
    assert _winner(env).source_id == "claude:settings:managed:ANTHROPIC_API_KEY"


def test_claude_config_dir_moves_settings_and_credentials(tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere"
    env = _env(tmp_path, CLAUDE_CONFIG_DIR=str(moved))
    _write(
        env.home / ".claude" / ".credentials.json",
        {"claudeAiOauth": {"accessToken": fake_key("ignored", "oauth"), "expiresAt": (NOW + 9999) * 1000}},
    )
    _write(
        moved / ".credentials.json",
        {"claudeAiOauth": {"accessToken": fake_key("moved", "oauth"), "expiresAt": (NOW + 9999) * 1000}},
    )
    cc = from_claude_code(env, now=NOW)
    assert cc.login is not None and cc.login.path == str(moved / ".credentials.json")


def test_auth_token_with_api_key_sends_both_headers(tmp_path: Path) -> None:
    env = _env(tmp_path, ANTHROPIC_AUTH_TOKEN=fake_key("tok"), ANTHROPIC_API_KEY=fake_key("key"))
    w = _winner(env)
    assert (w.source_id, w.header) == ("env:ANTHROPIC_AUTH_TOKEN", "both")


def test_helper_is_sent_in_both_headers_and_oauth_env_as_bearer(tmp_path: Path) -> None:
    env = _env(tmp_path, CLAUDE_CODE_OAUTH_TOKEN=fake_key("setup", "oauth"))
    assert _winner(env).header == "authorization"
    _write(env.home / ".claude" / "settings.json", {"apiKeyHelper": "echo " + "x" * 40})
    w = _winner(env)
    assert (w.source_id, w.header) == ("claude:settings:user:apiKeyHelper", "both")


def test_cloud_switch_means_no_key_is_sent(tmp_path: Path) -> None:
    env = _env(tmp_path, ANTHROPIC_API_KEY=fake_key("k"), CLAUDE_CODE_USE_BEDROCK="1")
    w = _winner(env)
    assert w.header is None and w.source_id == "env:CLAUDE_CODE_USE_BEDROCK"


def test_empty_string_in_settings_cancels_the_shell_key(tmp_path: Path) -> None:
    env = _env(tmp_path, ANTHROPIC_API_KEY=fake_key("k"))
    _write(env.home / ".claude" / "settings.json", {"env": {"ANTHROPIC_API_KEY": ""}})
    assert _winner(env).fingerprint is None


def test_expiry_counts_five_minutes_early() -> None:
    assert expiry_note((NOW + 200) * 1000, NOW, 300).startswith("expired")
    assert expiry_note((NOW + 4000) * 1000, NOW, 300).startswith("valid")
    assert expiry_note("soon", NOW, 300) == "no expiresAt"


def test_helper_described_not_run(tmp_path: Path) -> None:
    env = _env(tmp_path)
    marker = tmp_path / "ran"
    script = env.home / "helper.sh"
    script.write_text(f"#!/bin/sh\ntouch {marker}\necho {'k' * 40}\n")
    assert "not executable" in describe_helper(str(script), env)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    assert "exists, executable" in describe_helper(str(script), env)
    assert "does not exist" in describe_helper("~/nope.sh", env)
    assert "placeholder" in describe_helper("echo your-api-key-here", env)
    assert helper_literal("printf abc") == "abc" and helper_literal("vault read x") is None
    _write(env.home / ".claude" / "settings.json", {"apiKeyHelper": str(script)})
    from_claude_code(env, now=NOW)
    assert not marker.exists(), "the helper ran without --run-key-helper"


def test_run_key_helper_runs_it_and_keeps_only_the_fingerprint(tmp_path: Path) -> None:
    env = _env(tmp_path)
    value = fake_key("from-vault")
    script = env.home / "helper.sh"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' '{value}'\n")
    script.chmod(0o700)
    _write(env.home / ".claude" / "settings.json", {"apiKeyHelper": str(script)})
    cc = from_claude_code(env, now=NOW, run_key_helper=True)
    sources = {f.id: f.source for f in cc.found}
    w = claude_winner(cc, sources, "https://api.anthropic.com")
    assert w.header == "both" and w.source_id and w.source_id.endswith(":output")
    assert w.fingerprint == sources[w.source_id].fingerprint
    assert_no_leak([repr(sources), repr(w)], [value])
    script.write_text("#!/bin/sh\nexit 3\n")
    cc = from_claude_code(env, now=NOW, run_key_helper=True)
    assert any("exit status 3" in f.source.note for f in cc.found)


def test_claude_files_that_are_broken_are_problems_not_tracebacks(tmp_path: Path) -> None:
    env = _env(tmp_path)
    (env.home / ".claude").mkdir()
    (env.home / ".claude" / "settings.json").write_text("{not json")
    (env.home / ".claude" / ".credentials.json").mkdir()
    cc = from_claude_code(env, now=NOW)
    assert any("not valid JSON" in p for p in cc.problems)
    assert any("was not read (directory)" in p for p in cc.problems)


# ---------------------------------------------------------------- CI


def _event(tmp: Path, data: dict[str, object]) -> str:
    return str(_write(tmp / "event.json", data))


def test_fork_pull_request_and_empty_secret_are_recognised(tmp_path: Path) -> None:
    path = _event(
        tmp_path,
        {
            "pull_request": {"head": {"repo": {"full_name": "x/app", "fork": True}}, "user": {"login": "x"}},
            "repository": {"full_name": "acme/app"},
        },
    )
    env = _env(
        tmp_path, GITHUB_ACTIONS="true", GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH=path, ANTHROPIC_API_KEY=""
    )
    ids = {f.id for f in from_github_actions(env)}
    assert {"ci:github:fork", "ci:github:empty:ANTHROPIC_API_KEY"} <= ids
    assert from_github_actions(_env(tmp_path, GITHUB_EVENT_NAME="pull_request")) == []


def test_same_repository_pull_request_is_not_a_fork(tmp_path: Path) -> None:
    path = _event(
        tmp_path,
        {
            "pull_request": {"head": {"repo": {"full_name": "acme/app", "fork": False}}},
            "repository": {"full_name": "acme/app"},
        },
    )
    env = _env(tmp_path, GITHUB_ACTIONS="true", GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH=path)
    assert "ci:github:fork" not in {f.id for f in from_github_actions(env)}


def test_ci_rule_needs_both_the_run_kind_and_an_empty_secret() -> None:
    kind = Source("ci:github:dependabot", "ci", "GITHUB_ACTOR", "a run started by Dependabot", note="x")
    empty = Source("ci:github:empty:ANTHROPIC_API_KEY", "ci", "ANTHROPIC_API_KEY", "job", note="empty")
    assert [f.cause for f in tools.ci_withheld(Evidence(sources=(kind, empty)))] == ["ci-secret-withheld"]
    assert tools.ci_withheld(Evidence(sources=(kind,))) == ()
    assert "Dependabot" in tools.ci_withheld(Evidence(sources=(kind, empty)))[0].fix


def test_doctor_ci_prints_annotations_and_fails_on_a_blocker(tmp_path: Path) -> None:
    from kit.commands.annotations import ci_exit_code, workflow_commands

    kind = Source("ci:github:fork", "ci", None, "pull request from the fork x/app", note="no secrets")
    empty = Source("ci:github:empty:ANTHROPIC_API_KEY", "ci", "ANTHROPIC_API_KEY", "job", note="empty")
    d = diagnose(Evidence(sources=(kind, empty)))
    lines = workflow_commands(d)
    assert lines[0].startswith("::error title=KeyLab%3A ci-secret-withheld::")
    assert all("\n" not in line for line in lines)
    assert ci_exit_code(d) == 1


# ---------------------------------------------------------------- rules, each alone


def _cc(source_id: str, name: str | None = "k", header: str = "x-api-key") -> Winner:
    w = winner("claude-code", name, header=header, source_id=source_id)
    return w


def test_settings_override_rule() -> None:
    settings = source("old", kind="tool", location="~/.claude/settings.json env (user settings)")
    settings = Source(**{**settings.__dict__, "id": "claude:settings:user:ANTHROPIC_API_KEY"})
    shell = source("new", kind="shell")
    ev = Evidence(
        sources=(settings, shell),
        winners=(_cc(settings.id, "old"),),
        attempts=(attempt("old", "invalid-key"), attempt("new", 200)),
    )
    [f] = tools.settings_override(ev)
    assert f.cause == "tool-settings-override" and f.severity == "blocker"
    assert tools.settings_override(Evidence(sources=(settings,), winners=(_cc(settings.id, "old"),))) == ()


def test_api_key_over_login_rule() -> None:
    key = source("k")
    login = Source("claude:login", "tool", "claudeAiOauth", "~/.claude/.credentials.json", fingerprint="a" * 12)
    ev = Evidence(sources=(key, login), winners=(_cc(key.id),))
    [f] = tools.api_key_over_login(ev)
    assert f.severity == "warning"  # nothing failed: the key may be what the user wants
    assert tools.api_key_over_login(Evidence(sources=(key,), winners=(_cc(key.id),))) == ()


def test_oauth_expired_rule_from_file_and_from_api() -> None:
    login = Source("claude:login", "tool", "claudeAiOauth", "creds", fingerprint="a" * 12, note="expired: x")
    assert [f.cause for f in tools.oauth_expired(Evidence(sources=(login,), winners=(_cc(login.id),)))] == [
        "oauth-token-expired"
    ]
    valid = Source("claude:login", "tool", "claudeAiOauth", "creds", fingerprint="a" * 12, note="valid until x")
    assert tools.oauth_expired(Evidence(sources=(valid,), winners=(_cc(valid.id),))) == ()
    ev = Evidence(attempts=(attempt("t", "oauth-expired", auth="bearer", kind="oauth"),))
    assert [f.cause for f in tools.oauth_expired(ev)] == ["oauth-token-expired"]


def test_helper_rule_blocks_only_when_claude_code_uses_the_helper() -> None:
    helper = Source(
        "claude:settings:user:apiKeyHelper", "tool", "apiKeyHelper", "settings", note="runs `x`, which does not exist"
    )
    [f] = tools.helper_failed(Evidence(sources=(helper,), winners=(_cc(helper.id, None),)))
    assert f.severity == "blocker"
    [g] = tools.helper_failed(Evidence(sources=(helper,), winners=(_cc("env:ANTHROPIC_API_KEY"),)))
    assert g.severity == "warning"
    fine = Source(helper.id, "tool", "apiKeyHelper", "settings", note="runs x (exists, executable)")
    assert tools.helper_failed(Evidence(sources=(fine,))) == ()


def test_cloud_mode_rule() -> None:
    switch = Source("env:CLAUDE_CODE_USE_VERTEX", "env", "CLAUDE_CODE_USE_VERTEX", "process environment", note="= 1")
    ev = Evidence(sources=(switch, source("k")), winners=(_cc(switch.id, None),))
    assert [f.severity for f in tools.cloud_mode(ev)] == ["blocker"]
    assert tools.cloud_mode(Evidence(sources=(source("k"),), winners=(_cc("env:k"),))) == ()


def test_env_file_precedence_rule() -> None:
    from kit.keys.naming import fingerprint

    replaced = fingerprint(fake_key("edited"))
    src = Source(
        "runtime:nextjs:ANTHROPIC_API_KEY",
        "runtime",
        "ANTHROPIC_API_KEY",
        ".env.local line 2 as Next.js loads it",
        note=f"replaces .env line 1 (h, fingerprint {replaced})",
    )
    w = winner("runtime:nextjs", "stale", source_id=src.id)
    ev = Evidence(sources=(src,), winners=(w,), attempts=(attempt("stale", "invalid-key"),))
    assert [f.severity for f in tools.env_file_precedence(ev)] == ["blocker"]
    same = Source(src.id, "runtime", "ANTHROPIC_API_KEY", "x", note="reads .env")
    assert tools.env_file_precedence(Evidence(sources=(same,), winners=(w,))) == ()


# ---------------------------------------------------------------- base-URL paths and gateways


@pytest.mark.parametrize(
    ("client", "base", "url", "verdict"),
    [
        ("sdk-python", "https://api.anthropic.com", "https://api.anthropic.com/v1/messages", "ok"),
        ("claude-code", "https://api.anthropic.com/v1", "https://api.anthropic.com/v1/v1/messages", "doubled"),
        ("ai-sdk-anthropic", "https://api.anthropic.com/v1", "https://api.anthropic.com/v1/messages", "ok"),
        (
            "ai-sdk-anthropic",
            "https://gw.example.com/anthropic",
            "https://gw.example.com/anthropic/messages",
            "missing",
        ),
        ("sdk-node@1.14.0", "https://openrouter.ai/api/", "https://openrouter.ai/api/v1/messages", "ok"),
        ("ai-sdk-anthropic", "https://openrouter.ai/api/v1", "https://openrouter.ai/api/v1/messages", "ok"),
    ],
)
def test_messages_url_per_client_follows_the_facts_table(client: str, base: str, url: str, verdict: str) -> None:
    assert messages_url(client, base) == url
    assert path_verdict(url) == verdict


def test_base_url_path_rule_needs_no_request() -> None:
    w = winner("sdk-python", "k", base_url="https://gw.example.com/v1")
    [f] = gateways.base_url_path(Evidence(winners=(w,)))
    assert f.cause == "base-url-path" and "/v1/v1/messages" in f.title
    assert gateways.base_url_path(Evidence(winners=(winner("sdk-python", "k"),))) == ()


def test_gateway_refusal_is_told_from_a_forwarded_api_refusal() -> None:
    own = replace(
        attempt("k", 401, responder="gateway", request_id=None),
        error_message="Authentication Error, Invalid proxy server token passed. key=ab, not found in db.",
    )
    forwarded = attempt("k", "invalid-key")
    assert [f.cause for f in gateways.gateway_auth(Evidence(attempts=(own,), api_url=own.base_url))] == ["gateway-auth"]
    assert gateways.gateway_auth(Evidence(attempts=(forwarded,), api_url=forwarded.base_url)) == ()
    elsewhere = Evidence(attempts=(own,), api_url="https://api.anthropic.com")
    assert gateways.gateway_auth(elsewhere) == ()  # a base URL override's gateway is base-url-override's


def test_duplicate_header_rule() -> None:
    hit = attempt("k", "duplicate-key-header", request_id=None)
    assert [f.cause for f in gateways.duplicate_header(Evidence(attempts=(hit,)))] == ["duplicate-auth-header"]
    assert gateways.duplicate_header(Evidence(attempts=(attempt("k", "invalid-key"),))) == ()


def test_no_new_module_runs_a_program_without_the_flag() -> None:
    root = Path(__file__).resolve().parent.parent / "kit"
    for name in (
        "sources/ci.py",
        "sources/runtimes.py",
        "sources/tools.py",
        "diagnose/rules/tools.py",
        "diagnose/rules/gateways.py",
        "path/routing/urlpaths.py",
    ):
        assert "subprocess" not in (root / name).read_text(), name
    text = (root / "sources" / "claude_code.py").read_text()
    assert text.count("subprocess.run(") == 1 and "if run_key_helper:" in text


def test_module_sizes_stay_small() -> None:
    root = Path(__file__).resolve().parent.parent / "kit"
    for name in ("sources/claude_code.py", "sources/runtimes.py", "diagnose/rules/tools.py"):
        assert len((root / name).read_text().splitlines()) <= 500


@pytest.mark.slow  # a whole doctor run (the SDK child): make test-fast leaves it out
def test_helper_output_never_reaches_the_doctor_output(tmp_path: Path) -> None:
    from kit.commands.doctor import render_json, render_text, run_doctor

    env = _env(tmp_path)
    value = fake_key("helper-secret")
    script = env.home / "h.sh"
    script.write_text(f"#!/bin/sh\necho '{value}'\n")
    script.chmod(0o700)
    _write(env.home / ".claude" / "settings.json", {"apiKeyHelper": str(script)})
    from kit.testing import simulator

    with simulator("healthy") as url:
        result = run_doctor(env, api_url=url, run_dir=tmp_path / "runs", run_key_helper=True, clients=("httpx2",))
    assert_no_leak([render_text(result), render_json(result)], [value])
    assert any(s.id.endswith(":output") for s in result.evidence.sources)


def test_helper_runs_with_settings_env_in_the_project(tmp_path: Path) -> None:
    """The helper runs with settings env applied (facts §1.4), in the project folder."""
    env = _env(tmp_path)
    script = env.home / "h.sh"
    script.write_text('#!/bin/sh\n[ "$VAULT_ROLE" = dev ] || exit 4\necho "$PWD" > "$HOME/pwd"\necho abc\n')
    script.chmod(0o700)
    _write(env.home / ".claude" / "settings.json", {"apiKeyHelper": str(script), "env": {"VAULT_ROLE": "dev"}})
    cc = from_claude_code(env, now=NOW, run_key_helper=True)
    assert not any("exit status" in f.source.note for f in cc.found)
    assert (env.home / "pwd").read_text().strip() == str(env.cwd)


def test_tools_view_shows_a_table_and_who_reads_what_without_values(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from kit.present.toolsview import tools_detail, tools_rows
    from kit.sources.discover import discover

    env = _env(tmp_path, ANTHROPIC_API_KEY=fake_key("shell"))
    settings_key = fake_key("settings")
    _write(env.home / ".claude" / "settings.json", {"env": {"ANTHROPIC_API_KEY": settings_key}})
    (env.cwd / "package.json").write_text('{"dependencies": {"next": "16"}}')
    (env.cwd / ".env.local").write_text(f"ANTHROPIC_API_KEY={fake_key('local')}\n")
    d = discover(env, ask_sdk=False)
    rows = tools_rows(d)
    assert {r["kind"] for r in rows} == {"tool"}  # Next.js keeps the exported value: no file value is loaded
    nextjs = d.winner("runtime:nextjs")
    assert nextjs is not None and nextjs.source_id == "env:ANTHROPIC_API_KEY"
    assert any(r["used by"] == "claude-code" for r in rows)
    items = tools_detail(d, ())
    assert any(type(i).__name__ == "Figure" for i in items)
    assert_no_leak(
        [repr(rows), *(str(i) for i in items if isinstance(i, str))],
        [settings_key, fake_key("local"), fake_key("shell")],
    )
    (tmp_path / "x").mkdir()
    assert tools_detail(discover(_env(tmp_path / "x"), ask_sdk=False), ())[1].startswith("No Claude Code")
