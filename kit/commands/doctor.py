"""`python -m kit doctor`: the whole investigation in one command, ending in a named cause and its fix.

It discovers credentials the way the user's clients do (process environment, ``.env`` from the
working directory upwards, shell start-up files in HOME, the SDK's profiles, each ``--key-file``),
inspects their bytes, checks the network path, probes the API (zero tokens) and prints the ranked
findings with their evidence: the fingerprint and hint of every source, the key each client really
sends, the request ids, and what the attempts rule out.

Requests go only to ``--api-url``, loopback and ``--allow-host`` hosts. With ``--json`` the output is
one JSON object ``{"findings": [...], "keys": [...], "attempts": [...], ...}``, findings most important
first. Exit status: 0 when the top finding is ``healthy``, 1 otherwise, 2 on a usage error. Bad input
(an unreadable file, a missing HOME, a binary ``.env``, no network) becomes a finding or a clear
message, never a traceback.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import click

from kit.catalog import catalog
from kit.env import Environment
from kit.errors import KitError, UsageError
from kit.guard.childenv import risky_notes
from kit.guard.redact import scrub
from kit.guard.terminal import say

if TYPE_CHECKING:
    from kit.sources.sdk_process import SdkProcess

__all__ = ["DoctorResult", "doctor", "render_json", "render_text", "render_timings", "run_doctor"]
from kit.commands.doctor_render import render_json, render_text, render_timings
from kit.commands.doctor_result import DoctorResult


def _check_key_files(paths: Sequence[Path]) -> None:
    """A named key file that cannot be read is a usage error with a clear message (exit 2).

    The look goes through the bounded reader, so a named pipe or a device is refused rather than opened.
    """
    from kit.commands.inputs import read_key_file

    for path in paths:
        read_key_file(str(path))


def run_doctor(
    env: Environment,
    *,
    api_url: str = "",
    key_files: Sequence[str | Path] = (),
    models: Sequence[str] = (),
    versions: Sequence[str] = (),
    clients: Sequence[str] = (),
    allow_hosts: Sequence[str] = (),
    run_dir: str | Path | None = None,
    progress: str | None = None,
    check_network: bool = True,
    sandbox: str | Path | None = None,
    provider: str = "anthropic",
    run_key_helper: bool = False,
    sdk: SdkProcess | None = None,
) -> DoctorResult:
    """The doctor without the command line: investigate ``env`` and diagnose. Raises only ``KitError``.

    The scenario suite and users' own tests call this in-process; ``python -m kit doctor`` is a thin
    shell over it. ``sdk`` is the official SDK's process, if the caller started one for ``env`` early.
    """
    import time

    from kit import investigate as inv
    from kit.commands.inputs import check_api_url, check_run_dir
    from kit.probe.clients.registry import client_names
    from kit.providers import provider as profile_of

    began = time.perf_counter()

    profile = profile_of(provider)
    if profile.protocol != "anthropic" and not api_url:
        api_url = profile.official_base_url  # its root is the target; the zero-token path is the profile's
    paths = [Path(p) for p in key_files]
    _check_key_files(paths)
    clients = client_names(clients) if clients else ()
    api_url = check_api_url(api_url) or ""
    run_dir = check_run_dir(run_dir)
    for flag, values in (("--model", models), ("--version", versions), ("--allow-host", allow_hosts)):
        for value in values:
            if not value.strip() or any(c.isspace() for c in value):
                raise UsageError(f"{flag} {value!r} is empty or holds spaces", f"pass one plain id per {flag}")
    s = inv.setup(
        api_url=api_url,
        key_files=paths,
        models=models,
        versions=versions,
        clients=clients,
        allow_hosts=allow_hosts,
        run_dir=run_dir,
        env=env,
        sandbox=sandbox,
    )
    # The user named --api-url as where the API is: it is the target, so keys may go there.
    s = replace(s, run_key_helper=run_key_helper)
    target = urlsplit(s.api_url).hostname or ""
    if target and target not in s.allow_hosts:
        s = replace(s, allow_hosts=(*s.allow_hosts, target))
    if profile.name != "anthropic":
        from kit.investigate.provider_run import investigate_provider

        found = investigate_provider(s, profile)
        return DoctorResult(
            diagnosis=found.diagnosis,
            api_url=s.api_url,
            run_id=s.run_id,
            run_log=str(found.probe.log_path) if found.probe is not None else None,
            notes=found.notes,
            provider=profile.name,
        )
    investigation = inv.investigate(s, check_network=check_network, progress=progress, sdk=sdk)
    log = investigation.run_log
    diagnosis = investigation.diagnosis
    # Risky variables may be why the user's own app differs from the probe.
    risky = tuple(risky_notes(s.env.variables, target=s.api_url))
    if risky:
        diagnosis = replace(diagnosis, notes=(*risky, *diagnosis.notes))
    return DoctorResult(
        diagnosis=diagnosis,
        api_url=s.api_url,
        run_id=s.run_id,
        run_log=str(log) if log is not None else None,
        notes=(*risky, *investigation.notes),
        timings=investigation.timings,
        wall_s=time.perf_counter() - began,
        client_timings=investigation.probe.client_timings() if investigation.probe is not None else (),
    )


# ---------------------------------------------------------------- the command


def _current_env() -> Environment:
    try:
        return Environment.current()
    except (FileNotFoundError, PermissionError) as exc:
        raise UsageError(
            f"the working directory cannot be read ({exc.strerror or type(exc).__name__})",
            "cd into your project folder and run the doctor again",
        ) from None


@click.command()
@click.option(
    "--api-url",
    default=None,
    metavar="URL",
    help=f"Where the official API is (default {catalog().official_base_url}); the simulator's URL "
    "stands in for it in demos and tests.",
)
@click.option(
    "--key-file",
    "key_files",
    multiple=True,
    metavar="PATH",
    help="A file holding one key, read as raw bytes (repeatable).",
)
@click.option("--model", "models", multiple=True, metavar="ID", help="A model your application calls (repeatable).")
@click.option(
    "--version",
    "versions",
    multiple=True,
    metavar="VERSION",
    help="An anthropic-version value your application sends (repeatable; default: each client's own).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of the report.")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="Another host KeyLab may send keys to (a base URL found in your environment, say).",
)
@click.option(
    "--run-dir",
    default=None,
    metavar="DIR",
    help="Where the probe's JSONL run log goes (default: data/runs in the KeyLab folder).",
)
@click.option(
    "--provider",
    default=None,
    metavar="NAME",
    help="Check one provider's API (anthropic, openai, gemini, or an OpenAI-compatible one). Default: "
    "every provider whose key variable is set; with --api-url, anthropic.",
)
@click.option(
    "--ci",
    "ci",
    is_flag=True,
    help="Inside GitHub Actions: print ::error::/::warning:: annotations and exit 1 on any blocker.",
)
@click.option(
    "--run-key-helper",
    is_flag=True,
    help="Run Claude Code's apiKeyHelper to check what it prints (never run otherwise).",
)
@click.option(
    "--sandbox",
    default=None,
    metavar="NAME",
    help="Diagnose a demo sandbox (data/demo/NAME, e.g. ticket) instead of this machine's environment; "
    "pair it with the simulator's URL as --api-url.",
)
@click.option(
    "--client",
    "clients",
    multiple=True,
    metavar="C",
    help="Probe with this client only (repeatable): httpx2, sdk-python, curl, sdk-node or sdk-node@VERSION. "
    "Default: httpx2, sdk-python and curl.",
)
@click.option(
    "--timings",
    is_flag=True,
    help="Also show the wall time of each stage and each probe client, so a wait can be explained "
    "(stderr; `timings` in JSON).",
)
def doctor(
    api_url: str | None,
    key_files: tuple[str, ...],
    models: tuple[str, ...],
    versions: tuple[str, ...],
    as_json: bool,
    allow_hosts: tuple[str, ...],
    run_dir: str | None,
    provider: str | None,
    sandbox: str | None,
    timings: bool,
    clients: tuple[str, ...] = (),
    ci: bool = False,
    run_key_helper: bool = False,
) -> None:
    """Find out why your key is refused: name the cause, show the evidence, give the fix.

    Exit status: 0 when a key works end to end (top finding `healthy`), 1 when something blocks,
    2 on a usage error.
    """
    try:
        env = _current_env()
        names = _providers_to_check(env, provider, api_url, sandbox)
        with _sdk_started_early(env, names, sandbox) as sdk:
            parts = tuple(
                run_doctor(
                    env,
                    api_url=api_url or "",
                    key_files=key_files,
                    models=models,
                    versions=versions,
                    clients=clients,
                    allow_hosts=allow_hosts,
                    run_dir=run_dir,
                    sandbox=sandbox,
                    provider=name,
                    run_key_helper=run_key_helper,
                    progress=None if as_json or ci or not sys.stderr.isatty() else "text",
                    sdk=sdk if name == "anthropic" else None,
                )
                for name in names
            )
    except KitError as exc:
        say(f"error: {scrub(exc.format_message())}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        say("interrupted: finished requests are kept in the run log", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug must still not print a traceback that could hold a secret
        say(
            f"error: KeyLab failed unexpectedly ({type(exc).__name__}: {scrub(str(exc))[:300]})\n"
            "  fix: please report this with the command you ran (no key is in this message)",
            err=True,
        )
        sys.exit(2)
    if ci:
        from kit.commands.annotations import ci_exit_code, workflow_commands

        for part in parts:
            for line in workflow_commands(part.diagnosis):
                say(line)
    if len(parts) == 1:
        say(render_json(parts[0], timings=timings) if as_json else render_text(parts[0]).rstrip("\n"))
        if timings and not as_json:
            say(render_timings(parts[0]), err=True)
        sys.exit(ci_exit_code(parts[0].diagnosis) if ci else parts[0].exit_code)
    from kit.commands.doctor_providers import MultiResult, render_json_all, render_text_all

    multi = MultiResult(parts)
    say(render_json_all(multi, render_json) if as_json else render_text_all(multi, render_text).rstrip("\n"))
    sys.exit(max(ci_exit_code(p.diagnosis) for p in parts) if ci else multi.exit_code)


@contextlib.contextmanager
def _sdk_started_early(env: Environment, names: Sequence[str], sandbox: str | None) -> Iterator[SdkProcess | None]:
    """The official SDK's process, started before the stages are even imported: its import is the doctor's
    floor, so every moment it starts earlier is a moment off the whole run. A sandbox builds its own
    environment later (the run starts its own process then)."""
    if "anthropic" not in names or sandbox is not None:
        yield None
        return
    from kit.sources.sdk_process import SdkProcess

    process = SdkProcess.start(env)
    try:
        yield process
    finally:
        if process is not None:
            process.close()


def _providers_to_check(
    env: Environment, provider: str | None, api_url: str | None, sandbox: str | None
) -> tuple[str, ...]:
    """``--provider``; else the sandbox's provider; else anthropic with ``--api-url``; else every provider found.

    Each branch imports only what it needs: this runs before the SDK's process starts.
    """
    if provider:
        from kit.providers import providers

        if provider not in providers():
            raise UsageError(
                f"--provider {provider!r} is not a provider KeyLab knows", f"use one of: {', '.join(providers())}"
            )
        return (provider,)
    if sandbox:
        from kit.investigate.setup import sandbox_provider

        return (sandbox_provider(sandbox),)
    if api_url:
        return ("anthropic",)
    from kit.sources.provider_sources import found_providers

    return found_providers(env)
