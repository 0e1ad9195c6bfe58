"""The official Python SDK's winner: asked in a subprocess running ``sdk_child.py`` with exactly the
inspected environment, or modelled on the anthropic 2.x rules when it cannot be asked."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from importlib import metadata
from typing import Any

from kit.catalog import catalog
from kit.env import Environment
from kit.guard.redact import redact_url, scrub
from kit.keys.naming import fingerprint, hint
from kit.sources.inventory import (
    API_KEY,
    AUTH_TOKEN,
    BASE_URL,
    CUSTOM_HEADERS,
    Inventory,
    header_of,
    parse_custom_headers,
    source_for,
)
from kit.sources.sdk_process import SDK_TIMEOUT_S, parse_answer, start_child
from kit.values import Source, Winner


def ask_python_sdk(
    env: Environment,
    *,
    python: str | None = None,
    timeout: float = SDK_TIMEOUT_S,
    providers: Sequence[str] = (),
) -> tuple[dict[str, Any] | None, str]:
    """Run the installed ``anthropic`` package in a subprocess with exactly ``env``; return its answer.

    The child gets ``env.variables`` with ``HOME`` set to ``env.home`` and runs in ``env.cwd``; ``-I``
    keeps the child's own ``PYTHON*`` variables and the working folder off its import path, so a stray
    ``anthropic.py`` in the project cannot answer instead of the SDK. Returns ``(answer, "")`` or
    ``(None, reason)``. ``providers`` (``openai``, ``gemini``) asks those SDKs in the same child too.
    The doctor asks through its one long-lived SDK process instead (``kit.sources.sdk_process``).
    """
    if not env.cwd.is_dir():
        return None, f"the working folder {env.cwd} does not exist"
    try:
        child = start_child(env, python=python, providers=providers)
    except OSError as exc:
        return None, f"the SDK subprocess could not start ({exc.strerror or type(exc).__name__})"
    try:
        stdout, stderr = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        return None, f"the SDK subprocess did not answer within {timeout:.0f} s"
    return parse_answer(stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"), child.returncode)


def asked_winner(
    client: str, answer: Mapping[str, Any], probe: Mapping[str, Any], inv: Inventory, dotenv: Mapping[str, Any] | None
) -> Winner:
    """The winner from the SDK's own answer: what it sends, from which source, with the load_dotenv() story."""
    version = str(answer.get("version", "?"))
    default_url = inv.env.get(BASE_URL) or catalog().official_base_url
    asked = f"asked the installed anthropic {version} in a subprocess with this environment"
    extra: list[str] = []
    if dotenv is not None:
        extra.append(_dotenv_story(dotenv))
    if "error" in probe:
        return Winner(
            client=client,
            client_version=version,
            source_id=None,
            header=None,
            fingerprint=None,
            hint=None,
            base_url=redact_url(default_url),
            detail=scrub(
                f"{asked}: anthropic.Anthropic() raised {probe['error']}: {probe.get('message', '')}"
                + "".join(f"; {e}" for e in extra)
            ),
        )
    sent = list(probe.get("sent", []))
    credentials = probe.get("credentials") or {}
    headers = {item["header"] for item in sent}
    fp: str | None = None
    source: Source | None = None
    how = ""
    if sent:
        main = (
            next((s for s in sent if s["from"] == "api_key"), None)
            or next((s for s in sent if s["from"] == "auth_token"), None)
            or sent[0]
        )
        fp = main["fp"]
        variable = {"api_key": API_KEY, "auth_token": AUTH_TOKEN}.get(main["from"])
        source = source_for(inv, fp, variable, dotenv)
        scheme = "Authorization: Bearer" if main["header"] == "authorization" else "X-Api-Key"
        what = {"api_key": "the API key", "auth_token": "the auth token"}.get(main["from"], "a custom header value")
        how = f"sends {what} as {scheme}"
        if main["from"] == "api_key" and main["header"] == "authorization":
            how += " (this SDK version sends API keys as Bearer)"
        if len(sent) > 1:
            how += "; also sends " + ", ".join(f"{s['header']} (from {s['from']})" for s in sent if s is not main)
        if probe.get("auth_token") and main["from"] == "api_key":
            how += "; ANTHROPIC_AUTH_TOKEN is set but ignored (the API key wins)"
    elif credentials:
        profile = credentials.get("profile", "?")
        fp = credentials.get("token_fp")
        source = inv.match(fp, kinds=("profile",)) if fp else inv.by_id(f"profile:{profile}")
        headers = {"authorization"}
        kind = credentials.get("auth_type") or credentials.get("type")
        how = f"uses the SDK profile '{profile}' ({kind}): a Bearer token at request time"
        for key in ("config_error", "token_error"):
            if key in credentials:
                how += f"; {credentials[key]}"
        if not fp and not credentials.get("token_error"):
            how += "; the token is minted at request time, so there is no fingerprint to compare"
    else:
        how = (
            "finds no credential: the first request raises 'Could not resolve authentication method'"
            if client == "sdk-python"
            else "finds no credential after load_dotenv()"
        )
    warnings = [w for w in probe.get("warnings", []) if w]
    if warnings:
        how += "; SDK warning: " + " | ".join(warnings[:2])
    return Winner(
        client=client,
        client_version=version,
        source_id=source.id if source else None,
        header=header_of(headers),
        fingerprint=fp,
        hint=source.hint if source else ("?" if fp else None),
        base_url=redact_url(str(probe.get("base_url") or default_url)),
        detail=scrub(
            f"{asked}; {how}"
            + "".join(f"; {e}" for e in extra)
            + ("" if source or not fp else "; this value matches no source KeyLab found")
        ),
    )


def _dotenv_story(dotenv: Mapping[str, Any]) -> str:
    if dotenv.get("error"):
        return str(dotenv["error"])
    path = dotenv.get("path")
    if not path:
        return "load_dotenv() found no .env from the working folder upwards"
    kept = [k for k in dotenv.get("kept", []) if k in (API_KEY, AUTH_TOKEN, BASE_URL)]
    got = [k for k in dotenv.get("set", []) if k.startswith("ANTHROPIC_")]
    parts = [f"load_dotenv() read {path} (python-dotenv {dotenv.get('version', '?')}, override=False)"]
    if got:
        parts.append("it set " + ", ".join(got))
    if kept:
        parts.append("the already exported " + ", ".join(kept) + " kept its value (no override)")
    return ": ".join(parts[:1]) + ("; " + "; ".join(parts[1:]) if parts[1:] else "")


def _sdk_version() -> str:
    try:
        return metadata.version("anthropic")
    except metadata.PackageNotFoundError:
        return "not installed"


def modelled_python(inv: Inventory, *, with_dotenv: bool, reason: str) -> Winner:
    """The winner by the anthropic 2.x rules, when the SDK cannot be asked (with or without load_dotenv())."""
    variables = dict(inv.env.variables)
    story = ""
    if with_dotenv and inv.dotenv_path:
        added = []
        for source in inv.sources:
            if (
                source.kind == "dotenv"
                and source.path == inv.dotenv_path
                and source.variable
                and source.variable not in variables
                and source.id in inv.values
            ):
                added.append(source)
        latest: dict[str, Source] = {}
        for source in added:
            latest[source.variable or ""] = source  # python-dotenv keeps the last duplicate
        for name, source in latest.items():
            stored = inv.values[source.id]
            variables[name] = stored.decode("utf-8", "surrogateescape") if isinstance(stored, bytes) else stored
        story = f"; load_dotenv() reads {inv.dotenv_path} without override"
    client = "dotenv-app" if with_dotenv else "sdk-python"
    version = _sdk_version()
    base_url = redact_url(variables.get(BASE_URL) or catalog().official_base_url)
    detail = f"modelled on the anthropic 2.x rules ({reason}){story}"
    key = variables.get(API_KEY) or None  # the SDK reads os.environ.get(...) or None: empty counts as unset
    token = variables.get(AUTH_TOKEN) or None
    custom = parse_custom_headers(variables.get(CUSTOM_HEADERS))
    extra = [h for h in ("x-api-key", "authorization") if h in custom]
    value, variable = (key, API_KEY) if key is not None else (token, AUTH_TOKEN)
    if value is not None:
        fp = fingerprint(value)
        headers: set[str] = {"authorization", *extra}
        matched = source_for(inv, fp, variable, {"path": inv.dotenv_path} if with_dotenv else None)
        note = "; ANTHROPIC_AUTH_TOKEN is ignored (the API key wins)" if key and token else ""
        if extra:
            note += f"; ANTHROPIC_CUSTOM_HEADERS adds {', '.join(extra)}"
        return Winner(
            client=client,
            client_version=version,
            source_id=matched.id if matched else None,
            header=header_of(headers),
            fingerprint=fp,
            hint=matched.hint if matched else hint(value),
            base_url=base_url,
            detail=f"{detail}; sends {variable} as Authorization: Bearer{note}",
        )
    if inv.profile_error and not extra:
        return Winner(
            client=client,
            client_version=version,
            source_id=None,
            header=None,
            fingerprint=None,
            hint=None,
            base_url=base_url,
            detail=f"{detail}; anthropic.Anthropic() raises CredentialsError: {inv.profile_error}",
        )
    if extra:
        header_value = custom[extra[0]]
        if extra[0] == "authorization" and header_value[:7].lower() == "bearer ":
            header_value = header_value[7:]
        fp = fingerprint(header_value)
        matched = inv.match(fp, variable=CUSTOM_HEADERS)
        return Winner(
            client=client,
            client_version=version,
            source_id=matched.id if matched else None,
            header=header_of(set(extra)),
            fingerprint=fp,
            hint=matched.hint if matched else hint(header_value),
            base_url=base_url,
            detail=f"{detail}; sends the {extra[0]} header from ANTHROPIC_CUSTOM_HEADERS",
        )
    profile = inv.by_id(inv.active_profile)
    if profile is not None:
        return Winner(
            client=client,
            client_version=version,
            source_id=profile.id,
            header="authorization",
            fingerprint=profile.fingerprint,
            hint=profile.hint,
            base_url=base_url,
            detail=f"{detail}; uses the SDK profile ({profile.location})",
        )
    return Winner(
        client=client,
        client_version=version,
        source_id=None,
        header=None,
        fingerprint=None,
        hint=None,
        base_url=base_url,
        detail=f"{detail}; finds no credential",
    )
