"""The investigation, stage by stage: discover → inspect → route → probe → diagnose.

This is the one place that strings the stages together. The notebooks call the steps one at a time
(so a user can stop and look after each), ``python -m kit doctor`` and ``make report`` call
``investigate`` for all of them; none of them holds logic of its own.
"""

from __future__ import annotations

import re
import tomllib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.catalog import DATA_DIR, catalog, work_root
from kit.env import Environment
from kit.errors import InputError
from kit.guard.tempdirs import private_temp_dir
from kit.keys.inspect import Credential, KeyReport
from kit.values import Evidence, PathCheck

if TYPE_CHECKING:
    from kit.diagnose.diagnosis import Diagnosis
    from kit.probe.engine import ProbeRun
    from kit.sources.discover import Discovery

__all__ = [
    "DEFAULT_CLIENTS",
    "Investigation",
    "Setup",
    "admin_step",
    "diagnose_step",
    "discover_step",
    "evidence_from",
    "header_styles",
    "inspect_step",
    "investigate",
    "new_run_id",
    "path_step",
    "probe_step",
    "setup",
]

#: The clients probed when the user names none: raw HTTP, the official Python SDK and curl.
DEFAULT_CLIENTS = ("httpx2", "sdk-python", "curl")


def new_run_id() -> str:
    """A sortable, unique run id (also the JSONL log's file name)."""
    import datetime as dt

    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]


@dataclass(frozen=True)
class Setup:
    """Where the investigation looks: the environment, the API URL, key files and the dimensions to try."""

    env: Environment
    api_url: str
    key_files: tuple[Path, ...] = ()
    models: tuple[str, ...] = ()
    versions: tuple[str, ...] = ()
    clients: tuple[str, ...] = DEFAULT_CLIENTS
    allow_hosts: tuple[str, ...] = ()
    run_dir: Path = field(default_factory=lambda: work_root() / "data" / "runs")
    run_id: str = field(default_factory=new_run_id)
    sandbox: str | None = None  # the demo sandbox's name, when one is used
    description: str = ""
    key_variables: tuple[str, ...] = ()  # more variable names that hold a key (MY_CLAUDE_KEY), never a key
    dotenv_files: tuple[Path, ...] = ()  # more .env files to read, besides those from the working folder up


def _sandbox_template(sandbox: str | Path) -> Path:
    path = Path(sandbox)
    if (path / "sandbox.toml").is_file():
        return path
    named = DATA_DIR / "demo" / str(sandbox)
    if (named / "sandbox.toml").is_file():
        return named
    raise InputError(f"no demo sandbox at {sandbox!s}",
                     "name a folder under data/demo/ (for example 'ticket') or a folder with a sandbox.toml")


def setup(
    *,
    api_url: str = "",
    sandbox: str | Path | None = None,
    key_files: Sequence[str | Path] = (),
    models: Sequence[str] = (),
    versions: Sequence[str] = (),
    clients: Sequence[str] = (),
    allow_hosts: Sequence[str] = (),
    run_dir: str | Path | None = None,
    run_id: str | None = None,
    env: Environment | None = None,
    key_variables: Sequence[str] = (),
    dotenv_files: Sequence[str | Path] = (),
) -> Setup:
    """Resolve the user's parameters into a ``Setup``; a demo sandbox is written to a temporary folder."""
    run_dir = Path(run_dir) if run_dir else work_root() / "data" / "runs"
    run_id = run_id or new_run_id()
    api_url = (api_url or catalog().official_base_url).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", api_url):
        raise InputError(f"the API URL {api_url!r} is not an http(s) URL",
                         "use the form https://api.anthropic.com or http://127.0.0.1:PORT")
    description = ""
    sandbox_name = None
    if sandbox:
        from kit.demo.sandbox import materialize

        template = _sandbox_template(sandbox)
        sandbox_name = template.name
        with (template / "sandbox.toml").open("rb") as fh:
            spec: dict[str, Any] = tomllib.load(fh)
        # Not under run_dir: the sandbox holds (fake) keys, and nothing under data/runs/ may hold a key.
        root = private_temp_dir(f"keylab-{sandbox_name}-")  # removed at exit, on SIGTERM and on SIGHUP
        env = materialize(template, root / "sandbox")
        key_files = list(key_files) or [root / "sandbox" / p for p in spec.get("key_files", [])]
        models = list(models) or list(spec.get("models", []))
        versions = list(versions) or list(spec.get("versions", []))
        description = str(spec.get("description", ""))
    return Setup(
        env=env or Environment.current(),
        api_url=api_url,
        key_files=tuple(Path(p) for p in key_files),
        models=tuple(models),
        versions=tuple(versions),
        clients=tuple(clients) or DEFAULT_CLIENTS,
        allow_hosts=tuple(allow_hosts),
        run_dir=run_dir,
        run_id=run_id,
        sandbox=sandbox_name,
        description=description,
        key_variables=tuple(_variable_names(key_variables)),
        dotenv_files=tuple(Path(p) for p in dotenv_files),
    )


def _variable_names(names: Sequence[str]) -> list[str]:
    """Variable names as given, refusing anything that is not a name (a pasted key, say)."""
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", name):
            from kit.keys.inspect import hint

            raise InputError(f"a key variable name is not a variable name (it looks like {hint(name)})",
                             "name the variable that holds the key (for example MY_CLAUDE_KEY), never the key")
    return list(names)


def discover_step(s: Setup, extra: Sequence[Credential] = ()) -> Discovery:
    """Every credential source and the winner per client (``kit.sources.discover``)."""
    from kit.sources.discover import discover

    found = discover(s.env, s.key_files, variables=s.key_variables, dotenv_files=s.dotenv_files)
    if extra:
        found = replace(found, credentials=tuple(found.credentials) + tuple(extra))
    return found


def inspect_step(credentials: Sequence[Credential]) -> tuple[KeyReport, ...]:
    """What each credential's bytes say (``kit.keys.inspect``)."""
    return tuple(c.report() for c in credentials)


def path_step(s: Setup, timeout: float = 5.0) -> tuple[PathCheck, ...]:
    """The network path to the API (``kit.path.checks``); never sends a key."""
    from kit.path.checks import check_path

    return check_path(s.env, s.api_url, timeout=timeout, allow_hosts=s.allow_hosts)


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
) -> ProbeRun:
    """What the API answers each credential (``kit.probe.engine``); zero tokens unless messages are asked for."""
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
    from kit.errors import KitError
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


def diagnose_step(evidence: Evidence) -> Diagnosis:
    """Ranked findings, the dimension attribution and what was ruled out (``kit.diagnose.diagnosis``)."""
    from kit.diagnose.diagnosis import diagnose

    return diagnose(evidence)


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

    @property
    def evidence(self) -> Evidence:
        return evidence_from(self.setup, self.discovery, self.keys, self.path, self.probe, self.admin_keys)


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


def investigate(
    s: Setup,
    *,
    plan: str = "adaptive",
    check_network: bool = True,
    progress: str | None = None,
    extra: Sequence[Credential] = (),
) -> Investigation:
    """Run every stage in order and diagnose. Failures inside a stage become evidence, not exceptions."""
    discovery = discover_step(s, extra)
    keys = inspect_step(discovery.credentials)
    path = path_step(s) if check_network else ()
    probe_run = (probe_step(s, discovery.credentials, plan=plan, progress=progress,
                            auth_styles=header_styles(discovery)) if discovery.credentials else None)
    admin_keys, admin_note = admin_step(s, keys)
    diagnosis = diagnose_step(evidence_from(s, discovery, keys, path, probe_run, admin_keys))
    return Investigation(setup=s, discovery=discovery, keys=keys, path=path, probe=probe_run, diagnosis=diagnosis,
                         admin_keys=admin_keys, notes=(admin_note,) if admin_note else ())
