"""Each stage as one call over the values before it; the runner (``runner.Run``) chains them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.errors import InputError, KitError
from kit.investigate.setup import Setup
from kit.keys.credential import Credential
from kit.keys.report import KeyReport
from kit.values import Evidence, PathCheck

if TYPE_CHECKING:
    from kit.diagnose.diagnosis import Diagnosis
    from kit.probe.run import ProbeRun
    from kit.sources.discover import Discovery
    from kit.sources.sdk_process import SdkProcess


def discover_step(s: Setup, extra: Sequence[Credential] = (), *, sdk: SdkProcess | None = None) -> Discovery:
    """Every credential source and the winner per client (``kit.sources.discover``); ``sdk`` is the SDK
    process already started for ``s.env``, asked instead of a one-shot child."""
    from kit.sources.discover import discover

    found = discover(
        s.env,
        s.key_files,
        variables=s.key_variables,
        dotenv_files=s.dotenv_files,
        run_key_helper=s.run_key_helper,
        sdk=sdk,
    )
    if extra:
        found = replace(found, credentials=tuple(found.credentials) + tuple(extra))
    return found


def inspect_step(credentials: Sequence[Credential]) -> tuple[KeyReport, ...]:
    """What each credential's bytes say (``kit.keys.inspect``)."""
    return tuple(c.report() for c in credentials)


def path_step(
    s: Setup, timeout: float = 5.0, *, url: str | None = None, clients: Sequence[str] | None = None, **options: Any
) -> tuple[PathCheck, ...]:
    """The network path to the API (``kit.path.checks``); never sends a key.

    ``url`` checks another URL than the target; ``options`` are ``check_path``'s own (``ca_file``, a demo's
    stand-in settings).
    """
    from kit.path.checks import check_path

    if clients is not None:
        options["clients"] = tuple(clients)
    return check_path(s.env, url or s.api_url, timeout=timeout, allow_hosts=s.allow_hosts, **options)


def probe_step(
    s: Setup,
    credentials: Sequence[Credential],
    *,
    plan: str = "adaptive",
    clients: Sequence[str] | None = None,
    models: Sequence[str] | None = None,
    versions: Sequence[str] | None = None,
    progress: str | None = "auto",
    auth_styles: Sequence[str] = ("x-api-key",),
    send_messages: bool = False,
    budget: int | None = None,
    sdk: SdkProcess | None = None,
) -> ProbeRun:
    """What the API answers each credential (``kit.probe.engine``); zero tokens unless messages are asked for.

    ``sdk``: the doctor's SDK process, which then sends the ``sdk-python`` attempts."""
    from kit.probe.engine import probe

    return probe(
        credentials,
        base_url=s.api_url,
        clients=tuple(clients) if clients is not None else s.clients,
        models=tuple(models) if models is not None else s.models,
        versions=tuple(versions) if versions is not None else s.versions,
        plan=plan,
        run_id=s.run_id,
        run_dir=s.run_dir,
        allow_hosts=s.allow_hosts,
        progress=progress,
        auth_styles=auth_styles,
        send_messages=send_messages,
        budget=budget,
        env=s.env,  # each client trusts the CA files it would read here (a sandbox's own), not KeyLab's
        sdk=sdk,
    )


#: How a ``Winner.header`` is tried by the raw clients.
_STYLE_OF_HEADER = {"x-api-key": "x-api-key", "authorization": "bearer", "both": "both"}


def header_styles(discovery: Discovery) -> tuple[str, ...]:
    """The header styles the user's clients really use: x-api-key first, then Bearer or both if a client does."""
    used = [_STYLE_OF_HEADER[w.header] for w in discovery.winners if w.header in _STYLE_OF_HEADER]
    return tuple(dict.fromkeys(["x-api-key", *used]))


def admin_step(s: Setup, keys: Sequence[KeyReport]) -> tuple[tuple[Mapping[str, Any], ...], str | None]:
    """With ``ANTHROPIC_ADMIN_API_KEY`` set: the organization's key list matched to each local key.

    Returns the matched key objects (``Evidence.admin_keys``, the source of ``key-inactive``) and a
    one-line note; a refused or failed lookup is a note, never an exception.
    """
    from kit.guard.redact import remember, scrub
    from kit.probe.admin import admin_credential, lookup_keys

    try:
        admin = admin_credential(s.env)
        if admin is None or not keys:
            return (), None
        remember([admin.raw])
        lookup = lookup_keys(admin, keys, base_url=s.api_url, allow_hosts=s.allow_hosts, timeout=10.0)
    except KitError as exc:
        return (), f"Admin API lookup skipped: {scrub(exc.format_message())}"
    return (lookup.evidence() if lookup.ok else ()), scrub(lookup.summary())


#: The rule families a focused notebook shows on their own (the full diagnosis runs them all).
FAMILIES = ("keys", "sources", "path", "api", "tools", "gateways")


def diagnose_step(evidence: Evidence, family: str | None = None) -> Diagnosis:
    """Ranked findings, the dimension attribution and what was ruled out (``kit.diagnose.diagnosis``).

    ``family`` limits the rules to one family (``FAMILIES``), for a notebook that looks at one stage.
    """
    from kit.diagnose.diagnosis import diagnose

    if family is None:
        return diagnose(evidence)
    if family not in FAMILIES:
        raise InputError(f"no rule family called {family!r}", f"use one of: {', '.join(FAMILIES)}")
    import importlib

    module = importlib.import_module(f"kit.diagnose.rules.{family}")
    return diagnose(evidence, rules=module.RULES)


@dataclass(frozen=True)
class Investigation:
    """Everything one investigation found; safe to show, save and export (no secret inside)."""

    setup: Setup
    discovery: Discovery
    keys: tuple[KeyReport, ...]
    path: tuple[PathCheck, ...]
    probe: ProbeRun | None
    diagnosis: Diagnosis
    admin_keys: tuple[Mapping[str, Any], ...] = ()
    notes: tuple[str, ...] = ()
    timings: tuple[tuple[str, float], ...] = ()  # (stage, wall seconds), in the order the stages ran

    @property
    def evidence(self) -> Evidence:
        return evidence_from(self.setup, self.discovery, self.keys, self.path, self.probe, self.admin_keys)

    @property
    def run_log(self) -> Path | None:
        return self.probe.log_path if self.probe is not None else None


def evidence_from(
    s: Setup,
    discovery: Discovery,
    keys: Sequence[KeyReport],
    path: Sequence[PathCheck] = (),
    probe_run: ProbeRun | None = None,
    admin_keys: Sequence[Any] = (),
) -> Evidence:
    """One ``Evidence`` value from the stages' outputs."""
    return Evidence(
        keys=tuple(keys),
        sources=tuple(discovery.sources),
        winners=tuple(discovery.winners),
        path=tuple(path),
        attempts=tuple(probe_run.results) if probe_run else (),
        models_requested=s.models,
        admin_keys=tuple(admin_keys),
        notes=tuple(discovery.problems),
        api_url=s.api_url,
    )
