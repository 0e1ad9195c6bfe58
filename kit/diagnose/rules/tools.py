"""Rules over tools, runtimes and CI: Claude Code's own precedence, env-file loaders, GitHub Actions secrets.

They read the sources of kind ``tool``, ``runtime`` and ``ci`` (``kit.sources.tools``) and the winners of
``claude-code`` and ``runtime:*``. A finding is a blocker when the value that tool sends is the one the API
refused (or the tool sends nothing usable); otherwise a warning, since the tool may still work.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from kit.diagnose.rules.base import Rule, rule
from kit.values import Evidence, Finding, Severity, Source, Winner

__all__ = ["RULES"]

CLAUDE = "claude-code"
#: Words ``kit.sources.claude_code.describe_helper`` uses for a helper that cannot give a credential.
HELPER_BROKEN = (
    "does not exist",
    "not executable",
    "cannot be parsed",
    "a placeholder",
    "prints nothing",
    "failed: exit status",
    "timed out",
)
_FP = re.compile(r"fingerprint ([0-9a-f]{12})")
_LOGINS = ("claude:login", "env:CLAUDE_CODE_OAUTH_TOKEN")


def _source(evidence: Evidence, sid: str | None) -> Source | None:
    return next((s for s in evidence.sources if s.id == sid), None) if sid else None


def _claude(evidence: Evidence) -> Winner | None:
    return next((w for w in evidence.winners if w.client == CLAUDE), None)


def _failed(evidence: Evidence, fp: str | None) -> int:
    """Attempts with this key that the API (or what answered) refused."""
    return sum(1 for a in evidence.attempts if fp and a.fingerprint == fp and a.status is not None and a.status >= 400)


def _worked(evidence: Evidence, fp: str | None) -> bool:
    return any(a.fingerprint == fp and a.status == 200 for a in evidence.attempts) if fp else False


def _weight(evidence: Evidence, fp: str | None) -> tuple[Severity, int]:
    failed = _failed(evidence, fp)
    return ("blocker" if failed else "warning"), failed + 2


def _keyless(evidence: Evidence) -> int:
    """Clients that find no key: when the tool's own credential is the only one, its failure explains them too."""
    if any(s.fingerprint for s in evidence.sources if s.kind in ("env", "dotenv", "shell", "profile")):
        return 0
    return sum(1 for w in evidence.winners if w.fingerprint is None)


def _where(source: Source | None) -> str:
    if source is None:
        return "(not found)"
    what = f"{source.hint}, fingerprint {source.fingerprint}" if source.fingerprint else (source.note or "")
    return f"{source.location} ({what})"


@rule(
    "tool-settings-override",
    recognises="an `env` block in Claude Code's user, project, local or managed "
    "settings.json sets the credential, and Claude Code uses it instead of the exported variable",
    fix="edit or remove the variable in the named settings.json (an empty string cancels it), then restart Claude Code",
)
def settings_override(evidence: Evidence) -> Iterable[Finding]:
    cc = _claude(evidence)
    if cc is None or not (cc.source_id or "").startswith("claude:settings:"):
        return
    won = _source(evidence, cc.source_id)
    if won is None or won.variable is None:
        return
    shadowed = [
        s
        for s in evidence.sources
        if s.variable == won.variable
        and s.kind in ("env", "shell")
        and s.fingerprint
        and s.fingerprint != won.fingerprint
    ]
    if not shadowed:
        return
    severity, explains = _weight(evidence, cc.fingerprint)
    if any(_worked(evidence, s.fingerprint) for s in shadowed):
        severity, explains = "blocker", explains + 1
    yield Finding(
        "tool-settings-override",
        severity,
        0.9,
        f"Claude Code sends {won.variable} from {won.location}, not the value you exported",
        evidence=(
            f"Claude Code sends {_where(won)} in {cc.header}",
            *(f"ignored by Claude Code: {_where(s)}" for s in shadowed),
            "a settings.json `env` value beats the shell (facts §1.3)",
        ),
        fix=f"remove {won.variable} from the `env` block of {won.path or won.location} (or set the right key there) "
        "and restart Claude Code",
        explains=explains,
    )


@rule(
    "api-key-overrides-login",
    recognises="ANTHROPIC_API_KEY is set while a Claude Code login (/login or "
    "CLAUDE_CODE_OAUTH_TOKEN) exists: Claude Code uses the API key, with API billing",
    fix="unset ANTHROPIC_API_KEY (and remove it from settings.json `env`) to use the login, or keep it on purpose",
)
def api_key_over_login(evidence: Evidence) -> Iterable[Finding]:
    cc = _claude(evidence)
    won = _source(evidence, cc.source_id) if cc else None
    if cc is None or won is None or won.variable != "ANTHROPIC_API_KEY":
        return
    logins = [s for s in evidence.sources if s.id in _LOGINS]
    if not logins:
        return
    severity, explains = _weight(evidence, cc.fingerprint)
    yield Finding(
        "api-key-overrides-login",
        severity,
        0.85,
        "Claude Code uses ANTHROPIC_API_KEY instead of your login",
        evidence=(
            f"sent: {_where(won)} in {cc.header}",
            *(f"not used: {_where(s)}" for s in logins),
            "ANTHROPIC_API_KEY outranks CLAUDE_CODE_OAUTH_TOKEN and /login in Claude Code (facts §1.1)",
        ),
        fix=f"`unset ANTHROPIC_API_KEY` (and remove it from {won.location}) to use your subscription login",
        explains=explains,
    )


@rule(
    "oauth-token-expired",
    recognises="the login in ~/.claude/.credentials.json has `expiresAt` in the past, or "
    "the API answers `OAuth token has expired`",
    fix="run `claude /login` (or `claude setup-token` again for CLAUDE_CODE_OAUTH_TOKEN) and restart",
)
def oauth_expired(evidence: Evidence) -> Iterable[Finding]:
    cc = _claude(evidence)
    login = _source(evidence, "claude:login")
    if login is not None and login.note.startswith("expired") and cc is not None and cc.source_id == login.id:
        yield Finding(
            "oauth-token-expired",
            "blocker",
            0.9,
            "Claude Code's saved login has expired",
            evidence=(
                f"{login.location}: {login.note}",
                f"Claude Code sends it ({login.hint}, fingerprint "
                f"{login.fingerprint}); if the refresh fails the API answers 401",
            ),
            fix="run `claude` then `/login` (the refresh failed or the login is old)",
            explains=_keyless(evidence) + 2,
        )
    answered = [a for a in evidence.attempts if a.error_message and "OAuth token has expired" in a.error_message]
    if answered:
        a = answered[0]
        yield Finding(
            "oauth-token-expired",
            "blocker",
            0.95,
            "the API says the OAuth token has expired",
            evidence=(
                f"{a.key_alias} ({a.hint}, fingerprint {a.fingerprint}): {a.status} "
                f"{a.error_message} (request id {a.request_id or 'none'})",
            ),
            fix="create a new token (`claude setup-token`) or `/login` again, then restart",
            explains=len(answered) + 2,
        )


@rule(
    "key-helper-failed",
    recognises="Claude Code's apiKeyHelper cannot run (missing or not executable) or prints a placeholder",
    fix="point apiKeyHelper at a working script that prints the key, or remove it",
)
def helper_failed(evidence: Evidence) -> Iterable[Finding]:
    cc = _claude(evidence)
    for s in evidence.sources:
        if s.kind != "tool" or s.variable != "apiKeyHelper" or not any(w in s.note for w in HELPER_BROKEN):
            continue
        used = cc is not None and cc.source_id == s.id
        yield Finding(
            "key-helper-failed",
            "blocker" if used else "warning",
            0.9,
            f"Claude Code's apiKeyHelper cannot give a key: {s.note.split(';')[0]}",
            evidence=(
                f"set in {s.location}: {s.note}",
                "Claude Code shows `Invalid API key · Fix external API key` (facts §1.5)",
            ),
            fix=f"fix the apiKeyHelper command in {s.path or s.location} (it must print the key), or remove it",
            explains=_keyless(evidence) + 2 if used else 1,
        )


@rule(
    "cloud-provider-mode",
    recognises="CLAUDE_CODE_USE_BEDROCK / _VERTEX / _FOUNDRY is set, so Claude Code calls the "
    "cloud platform and ignores the Anthropic key",
    fix="unset the switch (or remove it from settings.json `env`)",
)
def cloud_mode(evidence: Evidence) -> Iterable[Finding]:
    cc = _claude(evidence)
    switch = _source(evidence, cc.source_id) if cc else None
    if cc is None or switch is None or not (switch.variable or "").startswith("CLAUDE_CODE_USE_"):
        return
    keys = [
        s for s in evidence.sources if s.variable in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN") and s.fingerprint
    ]
    yield Finding(
        "cloud-provider-mode",
        "blocker" if keys else "warning",
        0.85,
        f"{switch.variable} sends Claude Code to a cloud platform: your Anthropic key is not used",
        evidence=(
            f"{switch.variable} set in {switch.location} {switch.note}",
            *(f"not used by Claude Code: {_where(s)}" for s in keys[:3]),
        ),
        fix=f"`unset {switch.variable}` (or remove it from {switch.path or switch.location})",
        explains=4,
    )


@rule(
    "env-file-precedence",
    recognises="a runtime (Next.js, Vite, Bun, direnv, docker) loads a value from another "
    "env file (or over the shell) than the one the user edited",
    fix="change the value in the file that wins, or delete it there",
)
def env_file_precedence(evidence: Evidence) -> Iterable[Finding]:
    for w in evidence.winners:
        src = _source(evidence, w.source_id)
        if not w.client.startswith("runtime:") or src is None or src.kind != "runtime":
            continue
        replaced = [fp for fp in _FP.findall(src.note) if fp != w.fingerprint]
        if not replaced or w.fingerprint is None:
            continue
        severity, explains = _weight(evidence, w.fingerprint)
        if any(_worked(evidence, fp) for fp in replaced):
            severity, explains = "blocker", explains + 1
        yield Finding(
            "env-file-precedence",
            severity,
            0.85,
            f"{w.client.removeprefix('runtime:')} loads {src.variable} from {src.location.split(' as ')[0]}",
            evidence=(
                f"{w.client} sends {w.hint} (fingerprint {w.fingerprint}) from {src.location}",
                src.note,
                w.detail,
            ),
            fix=f"put the right key in {src.path} or delete the line there (it outranks the file you edited)",
            explains=explains,
        )


@rule(
    "ci-secret-withheld",
    recognises="a GitHub Actions fork pull request or Dependabot run, where the secret is empty",
    fix="store the secret for Dependabot, or run the job on push / pull_request_target with care",
)
def ci_withheld(evidence: Evidence) -> Iterable[Finding]:
    kinds = [s for s in evidence.sources if s.id in ("ci:github:fork", "ci:github:dependabot")]
    empty = [s for s in evidence.sources if s.id.startswith("ci:github:empty:")]
    if not kinds or not empty:
        return
    dependabot = any(s.id.endswith("dependabot") for s in kinds)
    fix = (
        "add the same secret under Settings → Secrets → Dependabot"
        if dependabot
        else "secrets never reach a fork's pull request: skip the step when the secret is empty "
        "(`if: env.ANTHROPIC_API_KEY != ''`) or run it after merge"
    )
    yield Finding(
        "ci-secret-withheld",
        "blocker",
        0.95,
        f"GitHub withheld the secret from this run ({'Dependabot' if dependabot else 'fork pull request'})",
        evidence=(*(f"{s.location}: {s.note}" for s in kinds), *(f"{s.variable} is {s.note}" for s in empty)),
        fix=fix,
        explains=sum(1 for w in evidence.winners if w.fingerprint is None) + 1,
    )


RULES: tuple[Rule, ...] = (
    settings_override,
    api_key_over_login,
    oauth_expired,
    helper_failed,
    cloud_mode,
    env_file_precedence,
    ci_withheld,
)
