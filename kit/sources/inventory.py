"""What the winner models read: the ``Inventory`` of sources with their values, what a new terminal
holds (``ShellValue``), and small helpers every client model shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kit.env import Environment
from kit.values import CredentialHeader, Source

API_KEY = "ANTHROPIC_API_KEY"
AUTH_TOKEN = "ANTHROPIC_AUTH_TOKEN"  # noqa: S105 - a variable name, not a secret
BASE_URL = "ANTHROPIC_BASE_URL"
CUSTOM_HEADERS = "ANTHROPIC_CUSTOM_HEADERS"


@dataclass(frozen=True)
class ShellValue:
    """What ``$NAME`` holds in a new terminal, according to the start-up files."""

    value: str | None = field(repr=False)
    source_id: str | None  # the deciding assignment's Source.id, or the env source when inherited
    exported: bool
    unknown: bool  # a start-up file sets it with something KeyLab cannot evaluate (a command)
    detail: str = ""


@dataclass(frozen=True)
class Inventory:
    """What ``kit.sources.discover`` found, with the values themselves (never shown; only fingerprinted here)."""

    env: Environment
    sources: tuple[Source, ...]
    values: Mapping[str, str | bytes] = field(repr=False)  # Source.id -> the exact value
    shell: Mapping[str, ShellValue] = field(default_factory=dict)  # variable -> value in a new terminal
    dotenv_path: str | None = None  # the .env file python-dotenv's find_dotenv() picks from the cwd
    active_profile: str | None = None  # Source.id of the SDK profile the chain would use, if any
    profile_error: str | None = None  # why the SDK's profile step raises (a named profile that does not exist)

    def by_id(self, source_id: str | None) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def match(self, fp: str | None, *, variable: str | None = None, kinds: Sequence[str] = ()) -> Source | None:
        """The first source with fingerprint ``fp`` (preferring ``variable`` and ``kinds`` in that order)."""
        if fp is None:
            return None
        candidates = [s for s in self.sources if s.fingerprint == fp]
        for source in candidates:
            if (variable is None or source.variable == variable) and (not kinds or source.kind in kinds):
                return source
        return candidates[0] if candidates else None


_HEADERS: dict[str, CredentialHeader] = {"x-api-key": "x-api-key", "authorization": "authorization"}


def header_of(names: Iterable[str]) -> CredentialHeader | None:
    """The credential header a client sends: the one in ``names``, ``both`` when there are several, or None."""
    found = set(names)
    if not found:
        return None
    if len(found) > 1:
        return "both"
    return _HEADERS.get(found.pop())


def source_for(inv: Inventory, fp: str | None, variable: str | None, dotenv: Mapping[str, Any] | None) -> Source | None:
    """The source a value came from: the process environment first, then the loaded .env's last line."""
    if fp is None:
        return None
    env_source = next(
        (
            s
            for s in inv.sources
            if s.kind == "env" and s.fingerprint == fp and (variable is None or s.variable == variable)
        ),
        None,
    )
    if env_source:
        return env_source
    if dotenv and dotenv.get("path"):
        lines = [s for s in inv.sources if s.kind == "dotenv" and s.path == dotenv["path"] and s.fingerprint == fp]
        if lines:
            return max(lines, key=lambda s: s.line or 0)
    return inv.match(fp, variable=variable)


def parse_custom_headers(text: str | None) -> dict[str, str]:
    """``ANTHROPIC_CUSTOM_HEADERS`` (one ``Name: value`` per line) as lower-cased names to stripped values."""
    out: dict[str, str] = {}
    for line in (text or "").split("\n"):
        colon = line.find(":")
        if colon >= 0:
            out[line[:colon].strip().lower()] = line[colon + 1 :].strip()
    return out
