"""Scenario files: a TOML description of one API world, loaded into frozen dataclasses.

A scenario says which keys exist (and in which state), which organizations they belong to, which
models and ``anthropic-version`` values the API accepts, how it answers (the API itself, a gateway,
an HTML proxy, a region block, or the capture responder) and which faults to inject. Loading is
strict: a misspelt field, a wrong type or an unknown choice raises ``ScenarioError`` naming the
field and the fix, because a silently ignored typo would make the simulator lie.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from kit.catalog import DATA_DIR, catalog
from kit.demo.fakekeys import derive_key
from kit.errors import ScenarioError

__all__ = [
    "DEFAULT_BETAS",
    "RESPONDERS",
    "ApiSettings",
    "Faults",
    "KeySpec",
    "ModelSpec",
    "Org",
    "RateLimit",
    "Scenario",
    "Workspace",
    "list_scenarios",
    "load_scenario",
    "resolve_scenario_path",
]

SCENARIO_DIR = DATA_DIR / "scenarios"

#: Who answers: the API itself, or something standing in its way.
RESPONDERS = ("anthropic", "gateway", "html-proxy", "region-block", "capture", "litellm", "cloudflare-ai-gateway")
KEY_KINDS = ("api", "admin", "oauth")
KEY_STATUSES = ("active", "inactive", "archived", "expired")
CREDIT_STATES = ("ok", "exhausted")
SPEND_LIMIT_KINDS = ("user", "workspace", "tier")

#: Beta names the simulated API knows when a scenario does not list its own (anthropic-beta header).
DEFAULT_BETAS = (
    "message-batches-2024-09-24",
    "prompt-caching-2024-07-31",
    "computer-use-2024-10-22",
    "computer-use-2025-01-24",
    "pdfs-2024-09-25",
    "token-counting-2024-11-01",
    "token-efficient-tools-2025-02-19",
    "output-128k-2025-02-19",
    "files-api-2025-04-14",
    "mcp-client-2025-04-04",
    "interleaved-thinking-2025-05-14",
    "code-execution-2025-05-22",
    "extended-cache-ttl-2025-04-11",
    "context-1m-2025-08-07",
    "context-management-2025-06-27",
    "model-context-window-exceeded-2025-08-26",
    "skills-2025-10-02",
    "oauth-2025-04-20",
)


@dataclass(frozen=True)
class ApiSettings:
    """How the simulated API behaves as a whole (the ``[api]`` table)."""

    versions: tuple[str, ...]
    accept_bearer_api_keys: bool = True
    responder: str = "anthropic"
    latency_ms: int = 0
    betas: tuple[str, ...] = DEFAULT_BETAS
    accept_oauth_tokens: bool = False  # OAuth tokens as Bearer with the oauth beta header
    reject_both_auth_headers: bool = True  # x-api-key and Authorization together: 401
    max_body_bytes: int = 0  # 0: the catalog's limit (32 MB)
    body_timeout_s: float = 10.0  # a client that does not finish sending its body in time gets 408
    responder_status: int = 0  # html-proxy / gateway status; 0: their default


@dataclass(frozen=True)
class Org:
    """One organization (``[[orgs]]``). ``uuid`` is what the API shows in ``anthropic-organization-id``."""

    id: str
    name: str = ""
    uuid: str = ""
    credit: str = "ok"
    disabled: bool = False
    spend_limit_reached: bool = False
    spend_limit_kind: str = "user"  # user (400), workspace (400, workspace wording), tier (429 monthly cap)
    spend_limit_resume: dt.date | None = None  # the date the 400 message names; default: 1st of next month


@dataclass(frozen=True)
class Workspace:
    """One workspace (``[[workspaces]]``; workspaces named only by keys are added automatically)."""

    id: str
    name: str = ""
    org: str = ""
    archived: bool = False


@dataclass(frozen=True)
class KeySpec:
    """One credential the simulated API knows (``[[keys]]``). ``value`` is the secret: never logged."""

    name: str
    value: str = field(repr=False)
    kind: str = "api"
    status: str = "active"
    org: str = ""
    workspace: str = "wrkspc_default"
    identity_linked: bool = False
    created: dt.date = dt.date(2025, 1, 1)
    id: str = ""  # apikey_… as the Admin API lists it

    @property
    def usable(self) -> bool:
        return self.status == "active"


@dataclass(frozen=True)
class ModelSpec:
    """One model id the API knows; ``retired`` models answer 404 ``model: <id>``."""

    id: str
    retired: bool
    display_name: str
    created: dt.date


@dataclass(frozen=True)
class RateLimit:
    """``[rate_limit]``: requests per minute per organization; 0 means unlimited."""

    requests_per_minute: int = 0


@dataclass(frozen=True)
class Faults:
    """``[faults]``: trouble on demand. Shares are probabilities per request, drawn from a seeded generator."""

    latency_ms: int = 0
    latency_jitter_ms: int = 0
    api_error: float = 0.0  # share answered 500 api_error
    overloaded: float = 0.0  # share answered 529 overloaded_error
    reset: float = 0.0  # share whose connection is dropped without an answer
    truncated: float = 0.0  # share whose body is cut off half way
    paths: tuple[str, ...] = ()  # path prefixes the faults apply to; empty: every path
    seed: int = 0

    @property
    def any(self) -> bool:
        return bool(self.api_error or self.overloaded or self.reset or self.truncated
                    or self.latency_ms or self.latency_jitter_ms)


@dataclass(frozen=True, eq=False)
class Scenario:
    """A whole simulated world. Build one with ``load_scenario`` (a name, a path or a dict).

    Compared by identity (``eq=False``), so it can key caches cheaply.
    """

    name: str
    description: str
    api: ApiSettings
    orgs: tuple[Org, ...]
    workspaces: tuple[Workspace, ...]
    keys: tuple[KeySpec, ...]
    models: tuple[ModelSpec, ...]
    rate_limit: RateLimit
    faults: Faults
    source: Path | None = None

    @cached_property
    def keys_by_value(self) -> Mapping[str, KeySpec]:
        return {k.value: k for k in self.keys}

    @cached_property
    def orgs_by_id(self) -> Mapping[str, Org]:
        return {o.id: o for o in self.orgs}

    @cached_property
    def models_by_id(self) -> Mapping[str, ModelSpec]:
        return {m.id: m for m in self.models}

    @cached_property
    def workspaces_by_id(self) -> Mapping[str, Workspace]:
        return {w.id: w for w in self.workspaces}

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """Answers that depend on nothing but the scenario and the query (model pages), computed once."""
        return {}

    def key(self, name: str) -> KeySpec:
        """The key named ``name`` (tests use this to get the value the simulator accepts)."""
        for key in self.keys:
            if key.name == name:
                return key
        raise KeyError(name)

    def __repr__(self) -> str:
        return f"Scenario(name={self.name!r}, keys={len(self.keys)}, responder={self.api.responder!r})"


# --- loading -----------------------------------------------------------------------------------------


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A scenario name (``healthy``) or a path to a TOML file, as a path that exists."""
    text = str(name_or_path)
    candidate = Path(text).expanduser()
    if candidate.suffix == ".toml" or "/" in text or candidate.is_file():
        if candidate.is_file():
            return candidate
        raise ScenarioError(f"scenario file {candidate} does not exist",
                            f"pass an existing .toml file or one of: {', '.join(list_scenarios())}")
    path = SCENARIO_DIR / f"{text}.toml"
    if path.is_file():
        return path
    close = difflib.get_close_matches(text, list_scenarios(), n=1)
    suggestion = f"did you mean '{close[0]}'? " if close else ""
    raise ScenarioError(f"no scenario named {text!r} in {SCENARIO_DIR}",
                        f"{suggestion}choose one of: {', '.join(list_scenarios())}, or pass a path to a .toml file")


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped in data/scenarios/."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario) -> Scenario:
    """Read and validate a scenario from a name, a path, an already-parsed dict, or pass a Scenario through."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return _build(dict(source), None)
    path = resolve_scenario_path(source)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path} is not valid TOML: {exc}", "fix the syntax at the line named") from None
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}",
                            "check the path and its permissions") from None
    return _build(data, path)


class _Table:
    """Strict reader of one TOML table: every field is typed, every unread field is an error."""

    def __init__(self, data: Any, where: str, origin: str) -> None:
        if not isinstance(data, dict):
            raise ScenarioError(f"{origin}: '{where}' must be a table, not {type(data).__name__}",
                                f"write it as [{where}] with key = value lines")
        self.data = data
        self.where = where
        self.origin = origin
        self.read: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, problem: str, fix: str) -> ScenarioError:
        return ScenarioError(f"{self.origin}: field '{self._name(key)}' {problem}", fix)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, *, required: bool = False) -> Any:
        self.read.add(key)
        if key not in self.data:
            if required:
                raise self.fail(key, "is required", f"add {key} = … to {self.where or 'the top level'}")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        wanted = _type_names(kinds)
        # TOML booleans are ints in Python: never accept one for the other.
        if isinstance(value, bool) and bool not in kinds:
            raise self.fail(key, f"must be {wanted}, not a boolean", f"write {key} = <{wanted}>")
        if not isinstance(value, kinds):
            raise self.fail(key, f"must be {wanted}, not {type(value).__name__} ({value!r})",
                            f"write {key} = <{wanted}>")
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in choices:
            close = difflib.get_close_matches(value, choices, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise self.fail(key, f"is {value!r}, which is not one of {', '.join(choices)}",
                            f"{hint}use one of: {', '.join(choices)}")
        return str(value)

    def strings(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.get(key, list, None)
        if value is None:
            return default
        if not all(isinstance(v, str) for v in value):
            raise self.fail(key, "must be a list of strings", f'write {key} = ["…", "…"]')
        return tuple(value)

    def share(self, key: str) -> float:
        value = float(self.get(key, (int, float), 0.0))
        if not 0.0 <= value <= 1.0:
            raise self.fail(key, f"is {value}, outside 0..1", f"write a share such as {key} = 0.1 (10 % of requests)")
        return value

    def non_negative(self, key: str, default: int) -> int:
        value = int(self.get(key, int, default))
        if value < 0:
            raise self.fail(key, f"is {value}, which is negative", f"write {key} = 0 or more")
        return value

    def date(self, key: str) -> dt.date | None:
        value = self.get(key, (dt.date, str), None)
        if value is None or isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(key, f"is {value!r}, not a date", f"write {key} = 2026-12-01 (YYYY-MM-DD)") from None

    def done(self, known: tuple[str, ...] | None = None) -> None:
        extra = [k for k in self.data if k not in self.read]
        if extra:
            key = extra[0]
            close = difflib.get_close_matches(key, sorted(self.read if known is None else known), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise self.fail(key, "is not a known field", f"{hint}known fields here: {', '.join(sorted(self.read))}")


def _type_names(kinds: tuple[type, ...]) -> str:
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string", list: "a list",
             dict: "a table", dt.date: "a date"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _tables(data: dict[str, Any], key: str, origin: str) -> list[tuple[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ScenarioError(f"{origin}: '{key}' must be an array of tables", f"write each entry as [[{key}]]")
    return [(f"{key}[{i}]", item) for i, item in enumerate(value)]


def _org_uuid(org_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"keylab-sim:org:{org_id}"))


def _api_key_id(name: str) -> str:
    digest = hashlib.sha256(f"keylab-sim:apikey:{name}".encode()).digest()
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghijkmnopqrstuvwxyz"
    return "apikey_01" + "".join(alphabet[b % len(alphabet)] for b in digest[:22])


def _build(data: dict[str, Any], path: Path | None) -> Scenario:
    origin = str(path) if path else "scenario"
    top = _Table(data, "", origin)
    name = top.get("name", str, path.stem if path else "", required=path is None)
    description = top.get("description", str, "")

    api_t = _Table(top.get("api", dict, {}), "api", origin)
    versions = api_t.strings("versions", catalog().versions)
    if not versions:
        raise api_t.fail("versions", "is empty, so every request would be refused", 'list at least "2023-06-01"')
    api = ApiSettings(
        versions=versions,
        accept_bearer_api_keys=api_t.get("accept_bearer_api_keys", bool, True),
        responder=api_t.choice("responder", RESPONDERS, "anthropic"),
        latency_ms=api_t.non_negative("latency_ms", 0),
        betas=api_t.strings("betas", DEFAULT_BETAS),
        accept_oauth_tokens=api_t.get("accept_oauth_tokens", bool, False),
        reject_both_auth_headers=api_t.get("reject_both_auth_headers", bool, True),
        max_body_bytes=api_t.non_negative("max_body_bytes", 0) or catalog().messages_max_bytes,
        body_timeout_s=float(api_t.get("body_timeout_s", (int, float), 10.0)),
        responder_status=api_t.non_negative("responder_status", 0),
    )
    if api.body_timeout_s <= 0:
        raise api_t.fail("body_timeout_s", "must be positive", "write body_timeout_s = 10")
    if api.responder_status and not 100 <= api.responder_status <= 599:
        raise api_t.fail("responder_status", f"is {api.responder_status}, not an HTTP status", "use 400..599")
    api_t.done()

    orgs: list[Org] = []
    for where, item in _tables(data, "orgs", origin):
        t = _Table(item, where, origin)
        org_id = t.get("id", str, required=True)
        orgs.append(Org(
            id=org_id,
            name=t.get("name", str, "") or org_id,
            uuid=t.get("uuid", str, "") or _org_uuid(org_id),
            credit=t.choice("credit", CREDIT_STATES, "ok"),
            disabled=t.get("disabled", bool, False),
            spend_limit_reached=t.get("spend_limit_reached", bool, False),
            spend_limit_kind=t.choice("spend_limit_kind", SPEND_LIMIT_KINDS, "user"),
            spend_limit_resume=t.date("spend_limit_resume"),
        ))
        t.done()
    _unique([o.id for o in orgs], "orgs", "id", origin)
    if not orgs:
        orgs.append(Org(id="org-default", name="Default Organization", uuid=_org_uuid("org-default")))
    org_ids = [o.id for o in orgs]

    workspaces: dict[str, Workspace] = {}
    for where, item in _tables(data, "workspaces", origin):
        t = _Table(item, where, origin)
        ws_id = t.get("id", str, required=True)
        ws_org = t.get("org", str, org_ids[0])
        if ws_org not in org_ids:
            raise t.fail("org", f"names {ws_org!r}, which is not in [[orgs]]", f"use one of: {', '.join(org_ids)}")
        if ws_id in workspaces:
            raise t.fail("id", f"repeats workspace {ws_id!r}", "give each workspace a unique id")
        workspaces[ws_id] = Workspace(id=ws_id, name=t.get("name", str, "") or ws_id, org=ws_org,
                                      archived=t.get("archived", bool, False))
        t.done()

    keys: list[KeySpec] = []
    for where, item in _tables(data, "keys", origin):
        t = _Table(item, where, origin)
        key_name = t.get("name", str, required=True)
        kind = t.choice("kind", KEY_KINDS, "api")
        value = t.get("value", str, "")
        key_org = t.get("org", str, org_ids[0])
        if key_org not in org_ids:
            raise t.fail("org", f"names {key_org!r}, which is not in [[orgs]]",
                         f"use one of: {', '.join(org_ids)}, or add an [[orgs]] entry with id = \"{key_org}\"")
        workspace = t.get("workspace", str, "wrkspc_default")
        if value == "":
            value = derive_key(key_name, kind)
        elif value.strip() != value or not value:
            raise t.fail("value", "has leading or trailing whitespace, which HTTP strips from headers",
                         "store the key without surrounding whitespace")
        keys.append(KeySpec(
            name=key_name, value=value, kind=kind, status=t.choice("status", KEY_STATUSES, "active"),
            org=key_org, workspace=workspace, identity_linked=t.get("identity_linked", bool, False),
            created=t.date("created") or dt.date(2025, 1, 1), id=t.get("id", str, "") or _api_key_id(key_name),
        ))
        t.done()
        if workspace not in workspaces:
            workspaces[workspace] = Workspace(id=workspace, name=_workspace_name(workspace), org=key_org)
    _unique([k.name for k in keys], "keys", "name", origin)
    _unique([k.value for k in keys], "keys", "value", origin)

    models: list[ModelSpec] = []
    today = dt.datetime.now(dt.UTC).date()
    if "models" in data:
        for where, item in _tables(data, "models", origin):
            t = _Table(item, where, origin)
            model_id = t.get("id", str, required=True)
            known = catalog().model(model_id)
            retired = t.get("retired", bool, None)
            if retired is None:
                retired = known.is_retired(today) if known else False
            models.append(ModelSpec(
                id=model_id, retired=retired,
                display_name=t.get("display_name", str, "") or (known.display_name if known else model_id),
                created=t.date("created") or (known.created if known else dt.date(2025, 1, 1)),
            ))
            t.done()
        _unique([m.id for m in models], "models", "id", origin)
    else:
        models = [ModelSpec(id=m.id, retired=m.is_retired(today), display_name=m.display_name, created=m.created)
                  for m in catalog().models]

    rl = _Table(top.get("rate_limit", dict, {}), "rate_limit", origin)
    rate_limit = RateLimit(requests_per_minute=rl.non_negative("requests_per_minute", 0))
    rl.done()

    ft = _Table(top.get("faults", dict, {}), "faults", origin)
    faults = Faults(
        latency_ms=ft.non_negative("latency_ms", 0),
        latency_jitter_ms=ft.non_negative("latency_jitter_ms", 0),
        api_error=ft.share("api_error"),
        overloaded=ft.share("overloaded"),
        reset=ft.share("reset"),
        truncated=ft.share("truncated"),
        paths=ft.strings("paths", ()),
        seed=int(ft.get("seed", int, 0)),
    )
    total = faults.api_error + faults.overloaded + faults.reset + faults.truncated
    if total > 1.0 + 1e-9:
        raise ft.fail("api_error", f"and the other shares add up to {total:g}, more than 1",
                      "make api_error + overloaded + reset + truncated at most 1")
    for p in faults.paths:
        if not p.startswith("/"):
            raise ft.fail("paths", f"has {p!r}, which is not a path", 'write paths such as ["/v1/messages"]')
    ft.done()

    top.read.update(("orgs", "workspaces", "keys", "models"))
    top.done()
    return Scenario(
        name=name, description=description, api=api, orgs=tuple(orgs), workspaces=tuple(workspaces.values()),
        keys=tuple(keys), models=tuple(models), rate_limit=rate_limit, faults=faults, source=path,
    )


def _workspace_name(ws_id: str) -> str:
    return "Default" if ws_id in ("wrkspc_default", "default") else ws_id.removeprefix("wrkspc_").replace("-", " ")


def _unique(values: list[str], table: str, key: str, origin: str) -> None:
    seen: set[str] = set()
    for i, value in enumerate(values):
        if value in seen:
            shown = value if key != "value" else "(a key value)"
            raise ScenarioError(f"{origin}: field '{table}[{i}].{key}' repeats {shown!r}",
                                f"give every entry of [[{table}]] a unique {key}")
        seen.add(value)
