"""Rules over where credentials come from: which source wins for each client, and what it shadows.

They read ``evidence.sources`` (every place a credential or setting was found, from ``kit.sources.discover``) and
``evidence.winners`` (what each client sends). Findings name the stale source (file and line), the one the
user meant, both fingerprints, the clients affected, and the exact command or edit that fixes it.
A finding mentions the fingerprint a client sends, so the diagnosis links it to what the API answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import PurePath

from kit.diagnose.rules.base import Rule, rule
from kit.values import Evidence, Finding, Severity, Source, Winner

__all__ = ["RULES"]

API_KEY = "ANTHROPIC_API_KEY"
AUTH_TOKEN = "ANTHROPIC_AUTH_TOKEN"  # noqa: S105 - a variable name
_EMPTY_FP = "e3b0c44298fc"  # fingerprint of the empty value


def _env(evidence: Evidence, variable: str) -> Source | None:
    return next((s for s in evidence.sources if s.kind == "env" and s.variable == variable and "#" not in s.id), None)


def _blank(source: Source | None) -> bool:
    return source is not None and (source.fingerprint == _EMPTY_FP or source.length == 0)


def _label(source: Source) -> str:
    return f"{source.location} ({source.hint}, fingerprint {source.fingerprint})"


def _clients(winners: Iterable[Winner]) -> str:
    return ", ".join(f"{w.client} ({w.header})" if w.header else w.client for w in winners)


def _senders(evidence: Evidence, fp: str | None) -> list[Winner]:
    return [w for w in evidence.winners if fp and w.fingerprint == fp]


def _exporters(evidence: Evidence, fp: str | None, variable: str) -> list[Source]:
    """Shell start-up lines that export this very value."""
    return [
        s
        for s in evidence.sources
        if s.kind == "shell" and s.variable == variable and s.fingerprint == fp and fp is not None
    ]


def _loaded_dotenv(evidence: Evidence, variable: str) -> Source | None:
    """The line of the ``.env`` that ``load_dotenv()`` reads (nearest ``.env``, last duplicate) for ``variable``."""
    candidates = [
        s
        for s in evidence.sources
        if s.kind == "dotenv" and s.variable == variable and s.path and PurePath(s.path).name == ".env"
    ]
    if not candidates:
        return None
    nearest = max({s.path for s in candidates if s.path}, key=lambda p: len(PurePath(p).parts))
    lines = [s for s in candidates if s.path == nearest]
    return max(lines, key=lambda s: s.line or 0)


# ----------------------------------------------------------------------------------------------------


@rule(
    "stale-env-shadows-dotenv",
    recognises="an exported ANTHROPIC_API_KEY that differs from the .env value: "
    "load_dotenv() does not override a variable that is already set, so the exported one is sent",
    fix="remove the stale export (the file and line are named) and open a new terminal, or load with "
    "load_dotenv(override=True)",
)
def exported_beats_dotenv(evidence: Evidence) -> Iterable[Finding]:
    env = _env(evidence, API_KEY)
    dotenv = _loaded_dotenv(evidence, API_KEY)
    if env is None or dotenv is None or dotenv.fingerprint is None or _blank(dotenv):
        return
    if env.fingerprint == dotenv.fingerprint:
        return
    if any(w.client == "runtime:direnv" and w.fingerprint == dotenv.fingerprint for w in evidence.winners):
        return  # direnv loads .env over the exported value: the other way round (env-file-precedence)
    terminal = next((w for w in evidence.winners if w.client == "curl"), None)
    if terminal is not None and terminal.fingerprint == dotenv.fingerprint and not _blank(env):
        return  # the start-up files agree with .env now: only this process is behind (stale-process-env)
    exporters = _exporters(evidence, env.fingerprint, API_KEY)
    senders = _senders(evidence, env.fingerprint)
    dotenv_users = _senders(evidence, dotenv.fingerprint)
    lines = [
        f"you put a key in {_label(dotenv)}",
        f"but ANTHROPIC_API_KEY is already exported in the environment: {env.hint}, fingerprint "
        f"{env.fingerprint}" + (" (blank)" if _blank(env) else ""),
    ]
    if exporters:
        lines.append(
            "exported by " + "; ".join(s.location for s in exporters) + ", so every new terminal sets it again"
        )
    else:
        lines.append(
            "no start-up file KeyLab read exports this value: it comes from the process that started this "
            "one (an IDE, launchctl, /etc/environment, or an old terminal)"
        )
    lines.append("load_dotenv() and Node's dotenv never override a variable that is already set (override=False)")
    if senders:
        lines.append(f"clients that send the exported value: {_clients(senders)}")
    if dotenv_users:
        lines.append(f"clients that send the .env value: {_clients(dotenv_users)}")
    if _blank(env):
        lines.append("the exported variable is blank: the Python SDK then treats it as unset and finds no key at all")
    where = (
        "; ".join(f"delete the line in {s.location}" for s in exporters)
        or "find where ANTHROPIC_API_KEY is set outside the project "
        "(IDE run configuration, launchctl, /etc/environment)"
    )
    fix = (
        f"{where[:1].upper()}{where[1:]}, run `unset ANTHROPIC_API_KEY` in open terminals, and restart Jupyter "
        "kernels and apps started from them. Or load the project's key explicitly: "
        "`load_dotenv(override=True)`."
    )
    confidence = 0.9 if exporters or _blank(env) else 0.6
    yield Finding(
        cause="stale-env-shadows-dotenv",
        severity="blocker",
        confidence=confidence,
        title=f"The exported ANTHROPIC_API_KEY ({env.hint}) beats the key in {dotenv.location} ({dotenv.hint})",
        evidence=tuple(lines),
        fix=fix,
        explains=len(senders) or 1,
    )


@rule(
    "auth-token-conflict",
    recognises="ANTHROPIC_AUTH_TOKEN is set: clients send it as Authorization: Bearer, "
    "alone or beside x-api-key, or an API key sits in the token variable",
    fix="unset ANTHROPIC_AUTH_TOKEN (unless a gateway needs it) and keep the API key in ANTHROPIC_API_KEY",
)
def auth_token_set(evidence: Evidence) -> Iterable[Finding]:
    tokens = [
        s
        for s in evidence.sources
        if s.variable == AUTH_TOKEN and s.kind in ("env", "shell", "dotenv") and s.fingerprint and not _blank(s)
    ]
    custom = [
        s
        for s in evidence.sources
        if s.variable == "ANTHROPIC_CUSTOM_HEADERS" and s.id.endswith("#authorization") and s.fingerprint
    ]
    if not tokens and not custom:
        return
    primary = next((s for s in tokens if s.kind == "env"), None) or (tokens or custom)[0]
    token_fps = {s.fingerprint for s in tokens + custom}
    senders = [w for w in evidence.winners if w.fingerprint in token_fps and w.header in ("authorization", "both")]
    key = _env(evidence, API_KEY)
    reports = {k.fingerprint: k for k in evidence.keys}
    report = reports.get(primary.fingerprint or "")
    gateway = next((s for s in evidence.sources if s.variable == "ANTHROPIC_BASE_URL" and s.kind == "env"), None)
    lines = ["ANTHROPIC_AUTH_TOKEN is set in " + "; ".join(_label(s) for s in tokens + custom)]
    if senders:
        lines.append(f"clients that send it as Authorization: Bearer: {_clients(senders)}")
    ignored = [w for w in evidence.winners if w.fingerprint not in token_fps and "AUTH_TOKEN is ignored" in w.detail]
    if ignored:
        lines.append(
            f"clients that ignore it because ANTHROPIC_API_KEY wins: {', '.join(w.client for w in ignored)}; "
            "SDKs from April 2025 to October 2026 (Python 0.50+, Node 0.40+) send both headers, a pair the "
            "API rejects"
        )
    api_key_inside = report is not None and report.role == "api"
    if report is not None and api_key_inside:
        lines.append(
            f"the token variable holds an API key ({report.kind_label}): as Bearer it was refused with "
            "'Invalid bearer token' before the 2026-10-21 API version"
        )
    if key is not None and not _blank(key):
        lines.append(f"ANTHROPIC_API_KEY is set too ({key.hint}, fingerprint {key.fingerprint})")
    if gateway is not None:
        lines.append(f"ANTHROPIC_BASE_URL is set ({gateway.note}): a gateway may need this token")
    where = "; ".join(f"remove it from {s.location}" for s in tokens if s.kind in ("shell", "dotenv"))
    fix = (
        "Run `unset ANTHROPIC_AUTH_TOKEN`"
        + (f" and {where}" if where else "")
        + "; keep the API key in ANTHROPIC_API_KEY (clients send it as x-api-key). Keep the token only if a "
        "gateway at ANTHROPIC_BASE_URL asks for it. Restart kernels and apps afterwards."
    )
    severity: Severity = "blocker" if senders and (api_key_inside or key is not None or gateway is None) else "warning"
    if gateway is not None and not api_key_inside:
        severity = "info" if not senders else "warning"
    confidence = 0.85 if senders else 0.6
    yield Finding(
        cause="auth-token-conflict",
        severity=severity,
        confidence=confidence,
        title=f"ANTHROPIC_AUTH_TOKEN is set ({primary.hint}): "
        + ("clients send it as Authorization: Bearer" if senders else "a Bearer credential beside the API key"),
        evidence=tuple(lines),
        fix=fix,
        explains=len(senders),
    )


@rule(
    "stale-process-env",
    recognises="the running process holds a different ANTHROPIC_API_KEY than the shell "
    "start-up files now give a new terminal (it started before the change)",
    fix="restart the process: the Jupyter kernel, the server, the IDE, or open a new terminal",
)
def process_env_is_stale(evidence: Evidence) -> Iterable[Finding]:
    env = _env(evidence, API_KEY)
    if env is None or env.fingerprint is None or _blank(env):
        return
    shell_winner = next((w for w in evidence.winners if w.client == "curl"), None)
    shell_source = next((s for s in evidence.sources if shell_winner and s.id == shell_winner.source_id), None)
    current = [
        s
        for s in evidence.sources
        if s.kind in ("shell", "dotenv") and s.variable == API_KEY and s.fingerprint and not _blank(s)
    ]
    if not current:
        return
    matches = [s for s in current if s.fingerprint == env.fingerprint]
    senders = _senders(evidence, env.fingerprint)
    lines = [f"this process holds ANTHROPIC_API_KEY = {env.hint} (fingerprint {env.fingerprint})"]
    if (
        shell_source is not None
        and shell_source.kind == "shell"
        and shell_source.fingerprint
        and shell_source.fingerprint != env.fingerprint
    ):
        lines.append(f"a new terminal gets {_label(shell_source)} instead")
        lines += [f"the process value is also in {s.location}" for s in matches]
        lines.append(
            "the process was started before the start-up file changed: a running process (a Jupyter kernel, "
            "a server, an IDE) keeps the environment it started with"
        )
        if senders:
            lines.append(f"clients started from this process send the old value: {_clients(senders)}")
        yield Finding(
            cause="stale-process-env",
            severity="blocker",
            confidence=0.85,
            title=f"This process still holds an older ANTHROPIC_API_KEY ({env.hint}); "
            f"{shell_source.location} now sets {shell_source.hint}",
            evidence=tuple(lines),
            fix="Restart what holds the old value: the Jupyter kernel (Kernel → Restart), the server or the IDE, "
            "launched from a new terminal. Check with `python -m kit doctor` from that new terminal.",
            explains=len(senders) or 1,
        )
        return
    if matches:
        return
    lines += [f"current value in {_label(s)}" for s in current]
    lines.append(
        "the process value is in none of the files KeyLab read: it was set by whatever started this "
        "process, or read from a file that has changed since (a notebook that ran load_dotenv() before "
        ".env was edited keeps the old value)"
    )
    if senders:
        lines.append(f"clients that send the process value: {_clients(senders)}")
    yield Finding(
        cause="stale-process-env",
        severity="blocker" if senders else "warning",
        confidence=0.7,
        title=f"This process holds an ANTHROPIC_API_KEY ({env.hint}) that no current file has",
        evidence=tuple(lines),
        fix="Restart the process (Jupyter: Kernel → Restart) from a new terminal so it reads the current files; if "
        "the value comes from an IDE run configuration, launchctl or /etc/environment, update it there.",
        explains=len(senders),
    )


def _active_profile(evidence: Evidence) -> Source | None:
    return next(
        (
            s
            for s in evidence.sources
            if s.kind == "profile" and s.note.startswith("active profile") and ":base_url" not in s.id
        ),
        None,
    )


@rule(
    "profile-shadows",
    recognises="an SDK credentials profile (config dir, ANTHROPIC_PROFILE, active_config) "
    "supplies a different credential than the keys elsewhere, or an environment key shadows the profile",
    fix="choose one: unset the variable to use the profile, or switch/remove the profile to use the key",
)
def profile_shadowing(evidence: Evidence) -> Iterable[Finding]:
    profile = _active_profile(evidence)
    chosen = next((s for s in evidence.sources if s.kind == "env" and s.variable == "ANTHROPIC_PROFILE"), None)
    sdk = next((w for w in evidence.winners if w.client == "sdk-python"), None)
    if sdk is not None and sdk.fingerprint is None and "CredentialsError" in sdk.detail:
        yield Finding(
            cause="profile-shadows",
            severity="blocker",
            confidence=0.9,
            title="The Python SDK cannot load its credentials profile",
            evidence=(sdk.detail,) + ((f"ANTHROPIC_PROFILE {chosen.note}",) if chosen else ()),
            fix="Create the profile the SDK looks for, or unset ANTHROPIC_PROFILE / remove the active_config "
            "pointer, or set ANTHROPIC_API_KEY.",
            explains=1,
        )
        return
    keys = [s for s in evidence.sources if s.variable == API_KEY and s.fingerprint and not _blank(s)]
    if sdk is not None and profile is not None and sdk.source_id == profile.id:
        others = [s for s in keys if s.fingerprint != profile.fingerprint]
        if others:
            yield Finding(
                cause="profile-shadows",
                severity="warning",
                confidence=0.6,
                title=f"The Python SDK uses {profile.location}, not the API key in {others[0].location}",
                evidence=(
                    f"the SDK's credential chain found no ANTHROPIC_API_KEY in its environment and fell back to "
                    f"the profile: {_label(profile) if profile.fingerprint else profile.location}",
                    *(f"API key not used by the SDK: {_label(s)}" for s in others),
                    "an app that does not call load_dotenv() never sees .env",
                ),
                fix="Export ANTHROPIC_API_KEY (or call load_dotenv() before creating the client) to use the key; "
                "or keep using the profile and remove the stale key.",
                explains=1,
            )
        return
    env_key = _env(evidence, API_KEY) or _env(evidence, AUTH_TOKEN)
    if env_key is None or _blank(env_key) or (profile is None and chosen is None):
        return
    lines = [
        f"{env_key.variable} is set in the environment ({env_key.hint}, fingerprint {env_key.fingerprint}) and "
        "comes first in the SDK's credential chain"
    ]
    if profile is not None:
        lines.append(f"the active SDK profile is shadowed: {profile.location}; {profile.note}")
    if chosen is not None:
        lines.append(f"ANTHROPIC_PROFILE is set ({chosen.note}) but does not apply while {env_key.variable} is set")
    if sdk is not None and "shadow" in sdk.detail.lower():
        lines.append("the SDK logs this itself: " + sdk.detail.split("SDK warning: ", 1)[-1])
    yield Finding(
        cause="profile-shadows",
        severity="warning",
        confidence=0.7 if chosen else 0.5,
        title=f"{env_key.variable} shadows the SDK profile" + (" selected by ANTHROPIC_PROFILE" if chosen else ""),
        evidence=tuple(lines),
        fix=f"To use the profile, `unset {env_key.variable}` (and remove it from start-up files and .env); to use "
        "the key, unset ANTHROPIC_PROFILE and remove the active_config pointer.",
        explains=len(_senders(evidence, env_key.fingerprint)),
    )


@rule(
    "key-missing",
    recognises="no client finds a key: no variable, no .env entry, no profile (or only blank ones)",
    fix="put the key in ANTHROPIC_API_KEY: in the project's .env (loaded with load_dotenv()) or exported in your "
    "shell start-up file",
)
def nobody_finds_a_key(evidence: Evidence) -> Iterable[Finding]:
    if not evidence.winners:
        return
    empty = [
        w
        for w in evidence.winners
        if w.fingerprint is None and "cannot tell" not in w.detail and not (w.source_id or "").startswith("profile:")
    ]
    if not empty:
        return
    real = [s for s in evidence.sources if s.fingerprint and not _blank(s)]
    files = [s for s in real if s.kind == "file"]
    blanks = [s for s in evidence.sources if _blank(s) and s.variable in (API_KEY, AUTH_TOKEN)]
    everyone = len(empty) == len(evidence.winners)
    lines = [f"clients that find no key: {', '.join(w.client for w in empty)}"]
    lines += [f"blank: {s.location}" for s in blanks]
    finders = [w for w in evidence.winners if w not in empty and w.fingerprint]
    if finders:
        lines.append(f"clients that do find one: {_clients(finders)}")
    if files:
        lines.append(
            "keys exist only in files: "
            + "; ".join(s.location for s in files)
            + " (no client reads a key file by itself)"
        )
    lines.append(
        "looked in: the process environment, .env files from the working folder up, shell start-up files, "
        "the SDK's profiles"
    )
    severity: Severity
    if everyone and not real:
        severity, confidence, title = "blocker", 0.95, "No client finds an API key anywhere"
    elif everyone and files and len(files) == len(real):
        severity, confidence, title = (
            "warning",
            0.6,
            "No client finds a key in the environment; the keys are only in key files",
        )
    elif everyone:
        severity, confidence, title = "blocker", 0.85, "No client finds an API key"
    else:
        severity, confidence = "warning", 0.6
        title = f"{', '.join(w.client for w in empty)} find{'s' if len(empty) == 1 else ''} no API key"
        dotenv_only = any(s.kind == "dotenv" for s in real) and not any(s.kind in ("env", "shell") for s in real)
        if dotenv_only:
            lines.append(
                "the key is only in .env, which only apps that call load_dotenv() read; curl in a "
                "terminal and Node without dotenv do not"
            )
    blank_env = [s for s in blanks if s.kind == "env"]
    fix = (
        "Put the key in ANTHROPIC_API_KEY: in the project's .env (`ANTHROPIC_API_KEY=sk-ant-api03-…`, read by apps "
        "that call load_dotenv()) or `export ANTHROPIC_API_KEY=…` in your shell start-up file, then open a new "
        "terminal."
    )
    if blank_env:
        fix = (
            f"Run `unset {blank_env[0].variable}` (it is set but blank, which also stops load_dotenv() from "
            "filling it) and remove the blank export; then " + fix[0].lower() + fix[1:]
        )
    yield Finding(
        cause="key-missing",
        severity=severity,
        confidence=confidence,
        title=title,
        evidence=tuple(lines),
        fix=fix,
        explains=len(empty),
    )


RULES: tuple[Rule, ...] = (
    exported_beats_dotenv,
    auth_token_set,
    process_env_is_stale,
    profile_shadowing,
    nobody_finds_a_key,
)
