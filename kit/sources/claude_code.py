"""Claude Code as a client: its credential sources, read as data, and what it would send.

Claude Code does not read credentials the way the SDKs do (facts sheet §1, ``data/catalog/tools.toml``):
``settings.json`` ``env`` blocks at user, project, local and managed level beat the shell; an
``apiKeyHelper`` command is sent in both headers; a ``/login`` token lives in ``.credentials.json`` with
its ``expiresAt``; ``CLAUDE_CONFIG_DIR`` moves all of it. This module reads those places from an explicit
``Environment`` and returns ``Found`` sources (kind ``tool``) and one ``Winner`` for ``claude-code``.

The helper is never run here: its command, where it is set, and whether the program exists and is
executable are shown. An ``echo``/``printf`` of a literal is read without running anything.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from kit.catalog import DATA_DIR
from kit.env import Environment
from kit.guard.reader import Refused, read_bounded
from kit.keys.naming import fingerprint, hint
from kit.sources.found import Found, display_path, secret, setting
from kit.values import Source, Winner

__all__ = ["CLIENT", "HELPER_TIMEOUT_S", "ClaudeCode", "from_claude_code", "run_helper", "tool_facts"]

CLIENT = "claude-code"
_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "CLAUDE_CODE_OAUTH_TOKEN")
_SECRET_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN")
HELPER_TIMEOUT_S = 30.0  # KeyLab's own limit (Claude Code waits 600 s; assumptions.toml)
_MANAGED_OVERRIDE = "KEYLAB_CLAUDE_MANAGED_DIR"  # a sandbox's stand-in for /etc/claude-code (assumptions.toml)


def tool_facts() -> dict[str, Any]:
    """``data/catalog/tools.toml``, parsed (small; read on each call so tests may swap DATA_DIR)."""
    with (DATA_DIR / "catalog" / "tools.toml").open("rb") as fh:
        return tomllib.load(fh)


@dataclass
class ClaudeCode:
    """What was read: the merged environment Claude Code starts with, and where each value came from."""

    found: list[Found] = field(default_factory=list)
    merged: dict[str, str] = field(default_factory=dict, repr=False)
    origin: dict[str, str] = field(default_factory=dict)  # variable -> source id
    helper: tuple[str, str] | None = None  # (command, source id)
    login: Source | None = None
    problems: list[str] = field(default_factory=list)


def config_dir(env: Environment, facts: Mapping[str, Any]) -> Path:
    for name in facts["config_dir_variables"]:
        value = env.get(name)
        if value:
            return Path(value).expanduser() if not value.startswith("~") else env.home / value[2:]
    return env.home / ".claude"


def _managed_dir(env: Environment, facts: Mapping[str, Any]) -> Path:
    override = env.get(_MANAGED_OVERRIDE)
    if override:
        return Path(override)
    table = facts["managed_dir"]
    return Path(table.get(sys.platform, table["linux"]))


def _read_json(path: Path, problems: list[str], shown: str) -> dict[str, Any] | None:
    read = read_bounded(path, 1 << 20)
    if isinstance(read, Refused):
        if read.reason not in ("missing", "dangling-link"):
            problems.append(f"{shown} was not read ({read.reason}): Claude Code cannot read it either")
        return None
    try:
        data = json.loads(read.data.decode("utf-8"))
    except ValueError as exc:
        problems.append(
            f"{shown} is not valid JSON ({type(exc).__name__}); Claude Code ignores it too: fix or delete it"
        )
        return None
    return data if isinstance(data, dict) else None


def _settings(env: Environment, facts: Mapping[str, Any], cc: ClaudeCode) -> None:
    config = config_dir(env, facts)
    for entry in facts["settings"]:
        path = Path(entry["path"].format(config=config, cwd=env.cwd, managed=_managed_dir(env, facts)))
        shown = display_path(path, env.home)
        data = _read_json(path, cc.problems, shown)
        if data is None:
            continue
        level = entry["level"]
        raw_env = data.get("env")
        block: dict[str, Any] = raw_env if isinstance(raw_env, dict) else {}
        for variable, value in block.items():  # every value reaches Claude Code's children (facts §1.3)
            cc.merged[str(variable)] = str(value)
            cc.origin[str(variable)] = f"claude:settings:{level}:{variable}"
        for variable in sorted(set(block) & set(_VARIABLES) | set(block) & set(facts["cloud_switches"])):
            value = str(block[variable])
            sid = f"claude:settings:{level}:{variable}"
            where = f"{shown} env ({level} settings)"
            if variable in _SECRET_VARIABLES and value:
                cc.found.append(
                    secret(
                        sid,
                        "tool",
                        variable,
                        where,
                        value,
                        path=str(path),
                        note=f"Claude Code {level} settings: beats the shell",
                    )
                )
            else:
                cc.found.append(
                    setting(sid, "tool", variable, where, value, path=str(path), note=f"Claude Code {level} settings")
                )
            cc.merged[variable] = value  # later levels win (the list is lowest first)
            cc.origin[variable] = sid
        helper = data.get("apiKeyHelper")
        if isinstance(helper, str) and helper.strip():
            sid = f"claude:settings:{level}:apiKeyHelper"
            cc.helper = (helper, sid)
            cc.found.append(
                setting(
                    sid,
                    "tool",
                    "apiKeyHelper",
                    f"{shown} ({level} settings)",
                    None,
                    path=str(path),
                    show_value=False,
                    note=describe_helper(helper, env),
                )
            )


def helper_literal(command: str) -> str | None:
    """The text an ``echo``/``printf`` of one literal prints, read without running it; None otherwise."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) == 2 and words[0] in ("echo", "printf", "/bin/echo"):
        return words[1]
    if len(words) == 3 and words[0] in ("echo", "/bin/echo") and words[1] == "-n":
        return words[2]
    return None


def describe_helper(command: str, env: Environment) -> str:
    """Where the helper's program is and whether it can run; never its output, never its arguments' secrets."""
    literal = helper_literal(command)
    if literal is not None:
        from kit.keys.inspect import inspect_key

        what = f"({hint(literal)}, fingerprint {fingerprint(literal)}, {len(literal)} chars)"
        if not literal.strip():
            return f"prints nothing usable {what}: Claude Code gets no key"
        defects = [d for d in inspect_key(literal).defects if d.cause == "key-placeholder"]
        if defects:
            return f"prints a placeholder {what}, not a credential: {defects[0].detail}"
        return f"prints a fixed text {what} without running any program: not run by KeyLab"
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return "the command cannot be parsed by a POSIX shell: /bin/sh would fail"
    if "/" in program or program.startswith("~"):
        path = env.home / program[2:] if program.startswith("~/") else Path(program)
        if not path.is_absolute():
            path = env.cwd / path
    else:
        hits = [Path(d) / program for d in (env.get("PATH") or "").split(os.pathsep) if d]
        path = next((p for p in hits if p.is_file()), Path(program))
    if not path.exists():
        return f"runs `{program}`, which does not exist: /bin/sh would fail (exit 127); not run by KeyLab"
    if not os.access(path, os.X_OK):
        return f"runs {display_path(path, env.home)}, which is not executable: chmod +x it; not run by KeyLab"
    return f"runs {display_path(path, env.home)} (exists, executable); not run by KeyLab (--run-key-helper runs it)"


def _login(env: Environment, facts: Mapping[str, Any], cc: ClaudeCode, now: float) -> None:
    path = config_dir(env, facts) / facts["credentials_file"]
    shown = display_path(path, env.home)
    data = _read_json(path, cc.problems, shown)
    oauth = data.get("claudeAiOauth") if data else None
    if not isinstance(oauth, dict):
        return
    token = oauth.get("accessToken")
    if not isinstance(token, str) or not token:
        cc.found.append(
            setting(
                "claude:login",
                "tool",
                "claudeAiOauth",
                shown,
                "",
                path=str(path),
                note="no access token (the login was cleared): run /login",
            )
        )
        return
    expires = oauth.get("expiresAt")
    note = expiry_note(expires, now, facts["expiry_margin_seconds"])
    source = Source(
        id="claude:login",
        kind="tool",
        variable="claudeAiOauth",
        location=f"{shown} (/login)",
        path=str(path),
        fingerprint=fingerprint(token),
        hint=hint(token),
        length=len(token),
        note=note,
    )
    cc.login = source
    cc.found.append(Found(source=source, value=None, secret=False))  # never probed: CC sends it, not KeyLab


def expiry_note(expires: object, now: float, margin: int) -> str:
    """``expiresAt`` (epoch ms) in words; ``expired`` leads when Claude Code would treat it as expired."""
    if not isinstance(expires, (int, float)) or isinstance(expires, bool):
        return "no expiresAt"
    left = expires / 1000 - now
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires / 1000))
    if left <= margin:
        return f"expired: expiresAt {when} ({_span(-left)} ago; Claude Code counts 5 min before)"
    return f"valid until {when} ({_span(left)} left)"


def _span(seconds: float) -> str:
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def _global(env: Environment, facts: Mapping[str, Any], cc: ClaudeCode) -> None:
    relocated = env.get("CLAUDE_CONFIG_DIR")
    path = Path(relocated) / ".claude.json" if relocated else env.home / ".claude.json"
    data = _read_json(path, cc.problems, display_path(path, env.home))
    key = data.get("primaryApiKey") if data else None
    if isinstance(key, str) and key:
        cc.found.append(
            secret(
                "claude:primaryApiKey",
                "tool",
                "primaryApiKey",
                f"{display_path(path, env.home)} primaryApiKey (/login managed key)",
                key,
                path=str(path),
            )
        )


def run_helper(cc: ClaudeCode, env: Environment, timeout: float = HELPER_TIMEOUT_S) -> None:
    """Run the ``apiKeyHelper`` as Claude Code does (``/bin/sh -c``, settings ``env`` applied, stdout trimmed).

    Only called when the user asked (``--run-key-helper``). Its output becomes a secret source; a failure, a
    timeout or empty output becomes the helper source's note. Nothing it prints is shown.
    """
    if cc.helper is None:
        return
    command, sid = cc.helper
    variables = {**env.variables, **cc.merged, "HOME": str(env.home)}
    try:
        done = subprocess.run(
            ["/bin/sh", "-c", command], cwd=env.cwd, env=variables, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        _note_helper(cc, sid, f"timed out after {timeout:.0f} s: Claude Code would wait up to 600 s, then fail")
        return
    except OSError as exc:
        _note_helper(cc, sid, f"cannot be parsed or started ({type(exc).__name__})")
        return
    output = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0:
        _note_helper(cc, sid, f"failed: exit status {done.returncode} (run by KeyLab; its output is not shown)")
    elif not output:
        _note_helper(cc, sid, "prints nothing (run by KeyLab): Claude Code gets no key")
    else:
        cc.found.append(
            secret(
                f"{sid}:output",
                "tool",
                "apiKeyHelper",
                "apiKeyHelper output (run by KeyLab)",
                output,
                note="what Claude Code would send in both headers",
            )
        )
        cc.helper = (command, f"{sid}:output")


def _note_helper(cc: ClaudeCode, sid: str, note: str) -> None:
    for n, item in enumerate(cc.found):
        if item.id == sid:
            cc.found[n] = Found(source=replace(item.source, note=note), value=item.value, secret=item.secret)


def from_claude_code(env: Environment, now: float | None = None, *, run_key_helper: bool = False) -> ClaudeCode:
    """Read every Claude Code source in ``env``; the merged environment it would start with.

    ``run_key_helper`` runs the ``apiKeyHelper`` (``run_helper``); without it the helper is only described.
    """
    facts = tool_facts()["claude-code"]
    cc = ClaudeCode()
    for variable in (*_VARIABLES, *facts["cloud_switches"]):
        value = env.get(variable)
        if value is not None:
            cc.merged[variable] = value
            cc.origin[variable] = f"env:{variable}"
    for variable in ("CLAUDE_CODE_OAUTH_TOKEN", *facts["cloud_switches"]):  # env vars no other reader watches
        value = env.get(variable)
        if value is None:
            continue
        if variable == "CLAUDE_CODE_OAUTH_TOKEN" and value:
            cc.found.append(secret(f"env:{variable}", "env", variable, "process environment", value))
        elif variable != "CLAUDE_CODE_OAUTH_TOKEN":
            cc.found.append(setting(f"env:{variable}", "env", variable, "process environment", value))
    if (env.home / ".claude").is_dir() or env.get("CLAUDE_CONFIG_DIR") or (env.cwd / ".claude").is_dir():
        _settings(env, facts, cc)
    if run_key_helper:
        run_helper(cc, env)
    _login(env, facts, cc, time.time() if now is None else now)
    _global(env, facts, cc)
    if sys.platform == "darwin":
        cc.found.append(
            setting(
                "claude:keychain",
                "tool",
                None,
                "macOS keychain (Claude Code-credentials)",
                None,
                show_value=False,
                note=f"not checked; to check: {facts['keychain_command']}",
            )
        )
    return cc


def claude_winner(cc: ClaudeCode, sources: Mapping[str, Source], base_default: str) -> Winner:
    """What Claude Code sends, from where, in which header(s) (facts §1.1, including where it sends two)."""
    facts = tool_facts()["claude-code"]
    m = cc.merged
    base = m.get("ANTHROPIC_BASE_URL") or base_default
    for switch in facts["cloud_switches"]:
        if m.get(switch, "").strip().lower() in ("1", "true", "yes"):
            return Winner(
                CLIENT,
                facts["observed_version"],
                cc.origin[switch],
                None,
                None,
                None,
                base,
                detail=f"{switch} is set: requests go to the cloud platform, no Anthropic key is sent "
                "(modelled from facts §1.1)",
            )
    api_key = m.get("ANTHROPIC_API_KEY") or None
    chosen: tuple[str, str] | None = None
    if m.get("ANTHROPIC_AUTH_TOKEN"):
        chosen = ("ANTHROPIC_AUTH_TOKEN", "authorization")
    elif api_key:
        chosen = ("ANTHROPIC_API_KEY", "x-api-key")
    elif cc.helper is not None:
        chosen = ("apiKeyHelper", "both")
    elif m.get("CLAUDE_CODE_OAUTH_TOKEN"):
        chosen = ("CLAUDE_CODE_OAUTH_TOKEN", "authorization")
    elif cc.login is not None:
        chosen = ("login", "authorization")
    elif "claude:primaryApiKey" in sources:
        chosen = ("primaryApiKey", "x-api-key")
    if chosen is None:
        return Winner(
            CLIENT,
            facts["observed_version"],
            None,
            None,
            None,
            None,
            base,
            detail="no credential: Claude Code says `Not logged in · Please run /login`",
        )
    name, header = chosen
    sid = {
        "apiKeyHelper": cc.helper[1] if cc.helper else None,
        "login": "claude:login",
        "primaryApiKey": "claude:primaryApiKey",
    }.get(name) or cc.origin.get(name)
    source = sources.get(sid or "")
    detail = f"{name} wins in Claude Code's precedence (modelled from facts §1.1)"
    if api_key and name in facts["sends_both_with_api_key"]:
        header = "both"
        detail += "; ANTHROPIC_API_KEY is also set, so X-Api-Key carries it beside Authorization: Bearer"
    return Winner(
        CLIENT,
        facts["observed_version"],
        sid,
        header,  # type: ignore[arg-type]
        source.fingerprint if source else None,
        source.hint if source else None,
        base,
        detail=detail,
    )
