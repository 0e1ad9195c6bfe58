"""Facts as data: key kinds, the official API, versions, models, error strings and assumptions.

Everything the simulator answers and every rule the diagnosis applies reads these values, so a fact
is corrected in one TOML file under ``data/catalog/`` and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from kit.errors import CatalogError

__all__ = [
    "CHECKOUT",
    "DATA_DIR",
    "NOTEBOOK_DIR",
    "Assumption",
    "Catalog",
    "ClientCatalog",
    "ErrorSpec",
    "KeyKind",
    "KeyRole",
    "Model",
    "alphabet_chars",
    "catalog",
    "client_catalog",
    "runs_dir",
    "work_root",
]

_PACKAGE = Path(__file__).resolve().parent


def _shipped_root() -> Path:
    """Where the shipped facts live: ``kit/_data`` inside a wheel (mapped from ``data/`` and ``notebooks/`` at
    build time), else the checkout's own ``data/`` (an editable install or a plain clone)."""
    inside = _PACKAGE / "_data"
    return inside if (inside / "catalog").is_dir() else _PACKAGE.parent / "data"


#: The folder holding ``catalog/``, ``scenarios/`` and ``demo/``: read-only facts KeyLab ships.
DATA_DIR = _shipped_root()
#: The shipped notebooks (``notebooks/`` in a checkout).
NOTEBOOK_DIR = DATA_DIR / "notebooks" if DATA_DIR.parent == _PACKAGE else _PACKAGE.parent / "notebooks"
#: The checkout KeyLab runs from, or None when it is installed from a wheel.
CHECKOUT: Path | None = None if DATA_DIR.parent == _PACKAGE else _PACKAGE.parent


def work_root() -> Path:
    """Where KeyLab writes reports (``reports/``): the checkout, or the working folder when installed from a
    wheel, so nothing is ever written inside site-packages."""
    return CHECKOUT if CHECKOUT is not None else Path.cwd()


#: What a credential format is for in the Anthropic slot (``role`` in data/catalog/keys.toml).
KeyRole = Literal["api", "admin", "oauth", "foreign"]


def runs_dir() -> Path:
    """Where run logs go by default: ``data/runs`` in a checkout, else ``$XDG_STATE_HOME/keylab/runs``
    (``~/.local/state/keylab/runs``), the place the XDG spec gives to logs that outlive a run."""
    if CHECKOUT is not None:
        return CHECKOUT / "data" / "runs"
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "keylab" / "runs"


def alphabet_chars(spec: str) -> frozenset[str]:
    """The characters an alphabet spec such as ``A-Za-z0-9_-`` admits (ranges ``a-z``; a ``-`` at the end is itself)."""
    chars: set[str] = set()
    i = 0
    while i < len(spec):
        if i + 2 < len(spec) and spec[i + 1] == "-":
            chars.update(chr(c) for c in range(ord(spec[i]), ord(spec[i + 2]) + 1))
            i += 3
        else:
            chars.add(spec[i])
            i += 1
    return frozenset(chars)


@dataclass(frozen=True)
class KeyKind:
    """One credential format: how to recognise it and what it means in the Anthropic slot."""

    id: str
    provider: str
    label: str
    prefix: str
    length: int
    suffix: str
    alphabet: str
    role: KeyRole
    cause: str

    @property
    def allowed(self) -> frozenset[str]:
        """The set of characters the alphabet spec (``A-Za-z0-9_-``) admits."""
        return alphabet_chars(self.alphabet)


@dataclass(frozen=True)
class Model:
    id: str
    display_name: str
    created: dt.date
    retired: dt.date | None = None
    successor: str | None = None

    def is_retired(self, on: dt.date) -> bool:
        return self.retired is not None and on >= self.retired


@dataclass(frozen=True)
class ErrorSpec:
    """One answer of the API: status, error type and the exact message template."""

    id: str
    status: int
    type: str
    message: str
    confirmed: bool
    envelope: str = "api"  # api: {"type":"error",...,"request_id"}; bare: {"error":{...}}

    def render(self, **fields: object) -> str:
        return self.message.format(**fields) if fields else self.message


@dataclass(frozen=True)
class Assumption:
    id: str
    statement: str
    why: str
    errors: tuple[str, ...]


@dataclass(frozen=True)
class Catalog:
    kinds: tuple[KeyKind, ...]
    placeholders: frozenset[str]
    placeholder_filler: frozenset[str]
    official_base_url: str
    official_host: str
    expected_tls_issuers: tuple[str, ...]
    request_id_pattern: str
    default_version: str
    versions: tuple[str, ...]
    models: tuple[Model, ...]
    errors: dict[str, ErrorSpec]
    assumptions: tuple[Assumption, ...]
    messages_max_bytes: int

    def kind(self, kind_id: str) -> KeyKind:
        for kind in self.kinds:
            if kind.id == kind_id:
                return kind
        raise KeyError(kind_id)

    def classify(self, value: str) -> KeyKind | None:
        """The most specific kind whose prefix starts ``value`` (kinds are listed specific first)."""
        for kind in self.kinds:
            if value.startswith(kind.prefix):
                return kind
        return None

    def model(self, model_id: str) -> Model | None:
        return next((m for m in self.models if m.id == model_id), None)

    def error(self, error_id: str) -> ErrorSpec:
        try:
            return self.errors[error_id]
        except KeyError:
            raise CatalogError(f"unknown error id {error_id!r}", "add it to data/catalog/errors.toml") from None


def _load(name: str) -> dict[str, Any]:
    path = DATA_DIR / "catalog" / name
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise CatalogError(f"catalog file {path} is missing", "restore data/catalog/ from git") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"catalog file {path} is not valid TOML: {exc}", "fix the file") from None


def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _kind(fields: dict[str, Any]) -> KeyKind:
    if fields.get("role") not in get_args(KeyRole):
        raise CatalogError(
            f"key kind {fields.get('id')!r} has role {fields.get('role')!r}",
            f"use one of {', '.join(get_args(KeyRole))} in data/catalog/keys.toml",
        )
    return KeyKind(**fields)


@cache
def catalog() -> Catalog:
    """The catalog, read once per process."""
    keys = _load("keys.toml")
    api = _load("api.toml")
    models = _load("models.toml")
    errors = _load("errors.toml")
    assumptions = _load("assumptions.toml")
    try:
        return Catalog(
            kinds=tuple(_kind(k) for k in keys["kind"]),
            placeholders=frozenset(p.lower() for p in keys["placeholders"]["exact"]),
            placeholder_filler=frozenset(keys["placeholders"]["filler_chars"]),
            official_base_url=api["official_base_url"],
            official_host=api["official_host"],
            expected_tls_issuers=tuple(api["expected_tls_issuers"]),
            request_id_pattern=api["request_id_pattern"],
            default_version=api["default_version"],
            versions=tuple(v["id"] for v in api["version"]),
            models=tuple(
                Model(
                    id=m["id"],
                    display_name=m["display_name"],
                    created=_date(m["created"]) or dt.date.min,
                    retired=_date(m.get("retired")),
                    successor=m.get("successor"),
                )
                for m in models["model"]
            ),
            errors={
                eid: ErrorSpec(
                    id=eid,
                    status=e["status"],
                    type=e["type"],
                    message=e["message"],
                    confirmed=e["confirmed"],
                    envelope=e.get("envelope", "api"),
                )
                for eid, e in errors["error"].items()
            },
            assumptions=tuple(
                Assumption(id=a["id"], statement=a["statement"], why=a["why"], errors=tuple(a["errors"]))
                for a in assumptions["assumption"]
            ),
            messages_max_bytes=api["limits"]["messages_max_bytes"],
        )
    except (KeyError, TypeError) as exc:
        raise CatalogError(f"catalog is malformed: {exc!r}", "compare data/catalog/ with git") from None


@dataclass(frozen=True)
class ClientCatalog:
    """The client vocabulary (``data/catalog/clients.toml``): names, defaults and the Node SDK versions."""

    node_package: str
    node_ticket: str  # the support ticket's @anthropic-ai/sdk
    node_current: str  # the newest release KeyLab knows of
    node_current_line: str  # the major line the sources stage models ("1.x")
    probe_names: tuple[str, ...]  # what a probe accepts ("sdk-node" expands to the two versions)
    default: tuple[str, ...]  # probed when the user names none
    h11: tuple[str, ...]
    raw: tuple[str, ...]
    path: tuple[str, ...]  # the path stage's clients, in table order
    sources: tuple[str, ...]  # the sources stage's clients, in table order

    @property
    def node_versions(self) -> tuple[str, ...]:
        """The Node SDK versions plain ``sdk-node`` means: the ticket's and the current release."""
        return tuple(dict.fromkeys((self.node_ticket, self.node_current)))

    @staticmethod
    def node(version: str) -> str:
        """The client name of one Node SDK version (``sdk-node@0.24.3``)."""
        return f"sdk-node@{version}"


@cache
def client_catalog() -> ClientCatalog:
    """The client vocabulary, read once per process."""
    data = _load("clients.toml")
    try:
        node = data["node_sdk"]
        versions = {"ticket": node["ticket"], "current": node["current"], "current_line": node["current_line"]}
        probe, tables = data["probe"], data["tables"]
        return ClientCatalog(
            node_package=node["package"],
            node_ticket=node["ticket"],
            node_current=node["current"],
            node_current_line=node["current_line"],
            probe_names=tuple(probe["names"]),
            default=tuple(probe["default"]),
            h11=tuple(probe["h11"]),
            raw=tuple(probe["raw"]),
            path=tuple(str(n).format(**versions) for n in tables["path"]),
            sources=tuple(str(n).format(**versions) for n in tables["sources"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(
            f"catalog file clients.toml is malformed: {exc!r}", "compare data/catalog/ with git"
        ) from None
