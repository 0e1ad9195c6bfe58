"""What the investigation looks at: the user's parameters resolved into one ``Setup`` value."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kit.catalog import DATA_DIR, catalog, client_catalog, runs_dir
from kit.env import Environment
from kit.errors import InputError
from kit.guard.tempdirs import private_temp_dir
from kit.probe.runlog import new_run_id

if TYPE_CHECKING:
    pass

#: The clients probed when the user names none: raw HTTP, the official Python SDK and curl.
DEFAULT_CLIENTS = client_catalog().default


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
    run_dir: Path = field(default_factory=lambda: runs_dir())
    run_id: str = field(default_factory=new_run_id)
    sandbox: str | None = None  # the demo sandbox's name, when one is used
    scenario: str | None = None  # the simulator scenario that tells the sandbox's story, if it names one
    description: str = ""
    key_variables: tuple[str, ...] = ()  # more variable names that hold a key (MY_CLAUDE_KEY), never a key
    dotenv_files: tuple[Path, ...] = ()  # more .env files to read, besides those from the working folder up
    run_key_helper: bool = False  # run Claude Code's apiKeyHelper (only when the user asks: --run-key-helper)


def _sandbox_template(sandbox: str | Path) -> Path:
    path = Path(sandbox)
    if (path / "sandbox.toml").is_file():
        return path
    named = DATA_DIR / "demo" / str(sandbox)
    if (named / "sandbox.toml").is_file():
        return named
    raise InputError(
        f"no demo sandbox at {sandbox!s}",
        "name a folder under data/demo/ (for example 'ticket') or a folder with a sandbox.toml",
    )


def sandbox_provider(sandbox: str | Path) -> str:
    """The provider a demo sandbox is about (its ``provider`` field; ``anthropic`` when it names none)."""
    with (_sandbox_template(sandbox) / "sandbox.toml").open("rb") as fh:
        return str(tomllib.load(fh).get("provider", "anthropic"))


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
    run_dir = Path(run_dir) if run_dir else runs_dir()
    run_id = run_id or new_run_id()
    api_url = (api_url or catalog().official_base_url).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", api_url):
        raise InputError(
            f"the API URL {api_url!r} is not an http(s) URL",
            "use the form https://api.anthropic.com or http://127.0.0.1:PORT",
        )
    description = ""
    sandbox_name = None
    scenario = None
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
        scenario = str(spec["scenario"]) if spec.get("scenario") else None
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
        scenario=scenario,
        description=description,
        key_variables=tuple(_variable_names(key_variables)),
        dotenv_files=tuple(Path(p) for p in dotenv_files),
    )


def _variable_names(names: Sequence[str]) -> list[str]:
    """Variable names as given, refusing anything that is not a name (a pasted key, say)."""
    for name in names:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,127}", name):
            from kit.keys.naming import hint

            raise InputError(
                f"a key variable name is not a variable name (it looks like {hint(name)})",
                "name the variable that holds the key (for example MY_CLAUDE_KEY), never the key",
            )
    return list(names)
