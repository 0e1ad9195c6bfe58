"""Where another provider's key comes from: its variables in every source discovery reads, and who wins.

``discover_provider(env, profile)`` runs the one discovery (``kit.sources.discover``) with the profile's key
variables (``OPENAI_API_KEY``; ``GOOGLE_API_KEY`` and ``GEMINI_API_KEY``) named, so the process environment,
``.env`` files, shell start-up files and key files are all read the same way; then keeps the sources of
those variables and says each client's choice. For OpenAI and Gemini the installed SDK (``openai``,
``google-genai``) is asked in the same child process as the Anthropic SDK (``sdk_child.py --providers``), alone
and after ``load_dotenv()``; otherwise, or when it cannot be asked, the choice is modelled from the profile's
precedence (data/catalog/providers.toml, facts og §3 and §10): the official SDK reads the process environment
(OpenAI: no trimming, empty is missing; google-genai: ``GOOGLE_API_KEY`` over ``GEMINI_API_KEY``, stripped), an
app that calls ``load_dotenv()`` adds the ``.env`` value only where the environment has none, and curl sends what the
shell exported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from kit.env import Environment
from kit.keys.naming import fingerprint, hint
from kit.providers import ProviderProfile, providers
from kit.sources.discover import Discovery, discover
from kit.values import CredentialHeader, Source, Winner

__all__ = ["discover_provider", "found_providers", "settings"]

_HEADER: dict[str, CredentialHeader] = {
    "authorization": "authorization",
    "x-goog-api-key": "x-goog-api-key",
    "x-api-key": "x-api-key",
}


def settings(env: Environment, profile: ProviderProfile) -> dict[str, str]:
    """The profile's non-key variables set in the process environment (base URL, organization, project...)."""
    out = {}
    for var in profile.vars:
        if var.role in ("key", "admin-key", "token"):
            continue
        value = env.get(var.name)
        if value is not None:
            out[var.name] = value
    return out


def found_providers(env: Environment) -> tuple[str, ...]:
    """The providers with a key variable set in the process environment or the working folder's ``.env``.

    Anthropic comes first when its key is found, and is the answer when nothing is found at all (the doctor
    then says why no key was found, as it always did).
    """
    names = []
    dotenv = _dotenv_names(env.cwd / ".env")
    for name, profile in providers().items():
        variables = profile.key_vars() + profile.var("token")
        if any((env.get(v) or "").strip() for v in variables) or dotenv & set(variables):
            names.append(name)
    return tuple(names) or ("anthropic",)


def _dotenv_names(path: Path) -> set[str]:
    """The variables a ``.env`` file sets to a non-blank value (names only; values are not kept)."""
    from dotenv import dotenv_values

    try:
        return (
            {k for k, v in dotenv_values(path, interpolate=False).items() if v and v.strip()}
            if path.is_file()
            else set()
        )
    except (OSError, UnicodeDecodeError, ValueError):
        return set()


def discover_provider(
    env: Environment,
    profile: ProviderProfile,
    key_files: Sequence[Path | str] = (),
    dotenv_files: Sequence[Path | str] = (),
    *,
    ask_sdk: bool = True,
) -> Discovery:
    """Every source of ``profile``'s key variables, the distinct credentials, and the winner per client."""
    key_vars = profile.key_vars()
    found = discover(env, key_files, ask_sdk=False, variables=key_vars, dotenv_files=dotenv_files)
    mine = tuple(
        replace(s, provider=profile.name, note=_note(s.note))
        for s in found.sources
        if s.variable in key_vars or s.kind == "file"
    )
    ids = {s.id for s in mine}
    prints = {s.fingerprint for s in mine}
    credentials = tuple(c for c in found.credentials if c.source in ids or c.fingerprint in prints)
    problems: tuple[str, ...] = tuple(
        p for p in found.problems if not any(p.startswith(f"the variable {v} is not set") for v in key_vars)
    )
    winners = _winners(env, profile, mine)
    if ask_sdk and profile.name in _ASKABLE:
        asked, note = _asked(env, profile, mine)
        winners = tuple(asked.get(w.client, w) for w in winners)
        problems += (note,) if note else ()
    return Discovery(sources=mine, credentials=credentials, winners=winners, problems=problems)


#: The providers whose installed SDK the child process (kit/sources/sdk_child.py) can ask.
_ASKABLE = ("openai", "gemini")


def _asked(env: Environment, profile: ProviderProfile, sources: Sequence[Source]) -> tuple[dict[str, Winner], str]:
    """The SDK's and the load_dotenv() app's winners as the installed SDK resolves them (one child process)."""
    from kit.sources.sdk_python import ask_python_sdk

    answer, reason = ask_python_sdk(env, providers=(profile.name,))
    if answer is None:
        return {}, f"the {profile.sdk} SDK could not be asked ({reason}); its choice is modelled"
    out: dict[str, Winner] = {}
    header = _HEADER.get(profile.auth_header, "authorization")
    for client, part in (("sdk-python", "others"), ("dotenv-app", "others_dotenv")):
        got = (answer.get(part) or {}).get(profile.name) or {}
        if "import_error" in got or not got:
            return {}, f"the {profile.sdk} package cannot be imported; its choice is modelled"
        version = str(got.get("version", ""))
        how = f"asked the installed {profile.sdk} {version} in a subprocess with this environment"
        warnings = [str(w) for w in got.get("warnings", ())]
        if warnings:
            how += "; it warned: " + " ".join(warnings)
        sent = got.get("sent")
        base = str(got.get("base_url") or profile.official_base_url).rstrip("/")
        if not sent:
            how += f"; it finds no key ({got.get('error', 'none')})"
            out[client] = Winner(
                client=client,
                client_version=version,
                source_id=None,
                header=None,
                fingerprint=None,
                hint=None,
                base_url=base,
                detail=how,
                provider=profile.name,
            )
            continue
        match = [s for s in sources if s.fingerprint == sent["fp"]]
        match.sort(key=lambda s: s.kind != "env")
        source = match[0] if match else _first(sources, profile, "env")
        if not match:
            how += " (the value it sends is trimmed or changed from the one stored)"
        hint_text = source.hint if match and source is not None else None
        stored = _value(env, source)
        if not match and stored is not None and fingerprint(stored.strip()) == sent["fp"]:
            hint_text = hint(stored.strip())  # google-genai strips the value it reads
        out[client] = Winner(
            client=client,
            client_version=version,
            source_id=source.id if source else None,
            header=header,
            fingerprint=str(sent["fp"]),
            hint=hint_text,
            base_url=base,
            detail=how,
            provider=profile.name,
        )
    return out, ""


def _note(note: str) -> str:
    return "; ".join(p for p in note.split("; ") if p != "named by you")


def _winners(env: Environment, profile: ProviderProfile, sources: Sequence[Source]) -> tuple[Winner, ...]:
    """The key each modelled client sends: the SDK (environment), a load_dotenv() app, curl (the shell)."""
    strip = profile.protocol == "gemini"  # google-genai strips the key; the openai SDK sends it as is (og §3, §10)
    base_var = next(iter(profile.var("base-url")), "")
    base_url = env.get(base_var) or profile.official_base_url if base_var else profile.official_base_url
    header = _HEADER.get(profile.auth_header, "authorization")
    env_source = _first(sources, profile, "env")
    dotenv_source = _first(sources, profile, "dotenv")
    out = []
    sdk = f"{profile.sdk} SDK"
    for client, source, how in (
        (
            "sdk-python",
            env_source,
            f"modelled: the {sdk} reads {' over '.join(profile.key_vars())} from the process environment",
        ),
        (
            "dotenv-app",
            env_source or dotenv_source,
            f"modelled: load_dotenv() fills only variables the environment does not set, then the {sdk} reads them",
        ),
        ("curl", env_source, "modelled: a shell command sends the exported variable"),
    ):
        value = _value(env, source)
        if value is not None and strip:
            value = value.strip()
        if not value:
            out.append(
                Winner(
                    client=client,
                    client_version="",
                    source_id=None,
                    header=None,
                    fingerprint=None,
                    hint=None,
                    base_url=base_url,
                    detail=how,
                    provider=profile.name,
                )
            )
            continue
        out.append(
            Winner(
                client=client,
                client_version="",
                source_id=source.id if source else None,
                header=header,
                fingerprint=fingerprint(value),
                hint=hint(value),
                base_url=base_url,
                detail=how,
                provider=profile.name,
            )
        )
    return tuple(out)


def _first(sources: Sequence[Source], profile: ProviderProfile, kind: str) -> Source | None:
    """The winning source of ``kind``: the first key variable (by precedence) that holds a non-empty value."""
    for var in profile.key_vars():
        hits = [s for s in sources if s.kind == kind and s.variable == var and (s.length or 0) > 0]
        if hits:
            return hits[-1]  # dotenv: the last duplicate line wins
    return None


def _value(env: Environment, source: Source | None) -> str | None:
    if source is None:
        return None
    if source.kind == "env" and source.variable:
        return env.get(source.variable)
    return _dotenv_value(source)


def _dotenv_value(source: Source) -> str | None:
    """The value a dotenv line holds, read again with python-dotenv (the value is never kept on the Source)."""
    if not source.path or not source.variable:
        return None
    from dotenv import dotenv_values

    try:
        return dotenv_values(source.path, interpolate=False).get(source.variable)
    except (OSError, UnicodeDecodeError):
        return None
