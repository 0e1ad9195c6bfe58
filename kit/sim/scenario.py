"""Scenario files: a TOML description of one API world, loaded into frozen dataclasses.

A scenario says which keys exist (and in which state), which organizations they belong to, which
models and ``anthropic-version`` values the API accepts, how it answers (the API itself, a gateway,
an HTML proxy, a region block, or the capture responder) and which faults to inject. Loading is
strict (``kit.sim.strict``): a misspelt field, a wrong type or an unknown choice raises
``ScenarioError`` naming the field and the fix. The values themselves live in ``kit.sim.world``
and are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import tomllib
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kit.catalog import DATA_DIR, catalog
from kit.demo.fakekeys import derive_key
from kit.errors import ScenarioError
from kit.guard.reader import Refused, read_bounded
from kit.providers import providers
from kit.sim.hostile import HOSTILE_MODES
from kit.sim.strict import Table, tables, unique
from kit.sim.world import (
    CREDIT_STATES,
    DEFAULT_BETAS,
    KEY_KINDS,
    KEY_STATUSES,
    PROVIDER_KEY_KINDS,
    PROVIDERS,
    RESPONDERS,
    SPEND_LIMIT_KINDS,
    ApiSettings,
    Faults,
    KeySpec,
    ModelSpec,
    Org,
    RateLimit,
    Scenario,
    Workspace,
)

__all__ = [
    "CREDIT_STATES",
    "DEFAULT_BETAS",
    "KEY_KINDS",
    "KEY_STATUSES",
    "RESPONDERS",
    "SPEND_LIMIT_KINDS",
    "ApiSettings",
    "Faults",
    "KeySpec",
    "ModelSpec",
    "Org",
    "RateLimit",
    "Scenario",
    "Workspace",
    "all_scenarios",
    "list_scenarios",
    "load_scenario",
    "resolve_scenario_path",
]

SCENARIO_DIR = DATA_DIR / "scenarios"
#: A scenario file is a few KB; anything past this is the wrong file.
MAX_SCENARIO_BYTES = 1 << 20
#: A simulated delay longer than this would hang every request past any client's timeout.
MAX_LATENCY_MS = 600_000

_A, _O, _G = ("anthropic",), ("openai",), ("gemini",)
#: Fields only some faces understand, per table; any other provider's scenario refuses them.
OWNERS: dict[str, dict[str, tuple[str, ...]]] = {
    "api": {
        "versions": _A,
        "accept_bearer_api_keys": _A,
        "betas": _A,
        "accept_oauth_tokens": _A,
        "reject_both_auth_headers": _A,
        "reject_unrestricted_standard_keys": _G,
    },
    "orgs": {
        "uuid": _A,
        "spend_limit_reached": _A,
        "spend_limit_kind": _A,
        "spend_limit_resume": _A,
        "disabled": ("anthropic", "openai"),
        "number": _G,
        "api_enabled": _G,
    },
    "keys": {
        "workspace": _A,
        "identity_linked": _A,
        "project": _O,
        "scopes": _O,
        "referrers": _G,
        "apis": _G,
        "format": ("openai", "gemini"),
    },
    "top": {"workspaces": _A, "rate_limit": _A},
}
#: The key format a key's value is derived in when the scenario does not name one.
DEFAULT_FORMATS = {"openai": "openai-project", "gemini": "google-api"}


# --- loading -----------------------------------------------------------------------------------------


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A scenario name (``healthy``) or a path to a TOML file, as a path that exists."""
    text = str(name_or_path)
    candidate = Path(text).expanduser()
    shipped = SCENARIO_DIR / f"{text}.toml"
    if text.split("/", 1)[0] in PROVIDERS and shipped.is_file() and not candidate.is_file():
        return shipped  # openai/healthy, gemini/referrer-restricted, …
    if candidate.suffix == ".toml" or "/" in text or candidate.is_file():
        if candidate.is_file():
            return candidate
        close = difflib.get_close_matches(text, all_scenarios(), n=1)
        suggestion = f"did you mean '{close[0]}'? " if close else ""
        raise ScenarioError(
            f"scenario file {candidate} does not exist",
            f"{suggestion}pass an existing .toml file or one of: {', '.join(all_scenarios())}",
        )
    path = SCENARIO_DIR / f"{text}.toml"
    if path.is_file():
        return path
    close = difflib.get_close_matches(text, all_scenarios(), n=1)
    suggestion = f"did you mean '{close[0]}'? " if close else ""
    raise ScenarioError(
        f"no scenario named {text!r} in {SCENARIO_DIR}",
        f"{suggestion}choose one of: {', '.join(list_scenarios())}, or pass a path to a .toml file",
    )


def list_scenarios(provider: str = "anthropic") -> list[str]:
    """Names of the scenarios shipped for one face: Anthropic's in data/scenarios/, the others' in
    data/scenarios/<provider>/ and named ``<provider>/<name>`` (``openai/revoked-key``)."""
    if provider == "anthropic":
        return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
    return sorted(f"{provider}/{p.stem}" for p in (SCENARIO_DIR / provider).glob("*.toml"))


def all_scenarios() -> list[str]:
    """Every shipped scenario, of every face."""
    return [name for provider in PROVIDERS for name in list_scenarios(provider)]


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario) -> Scenario:
    """Read and validate a scenario from a name, a path, an already-parsed dict, or pass a Scenario through."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return _build(dict(source), None)
    path = resolve_scenario_path(source)
    read = read_bounded(path, MAX_SCENARIO_BYTES)  # a FIFO, a device or a huge file is refused, never read
    if isinstance(read, Refused):
        what = (
            f"{read.size} bytes, more than {MAX_SCENARIO_BYTES}"
            if read.reason == "too-large"
            else (read.error or read.reason.replace("-", " "))
        )
        raise ScenarioError(f"cannot read scenario {path}: {what}", "name a scenario .toml file (a regular file)")
    try:
        data = tomllib.loads(read.data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ScenarioError(
            f"{path} is not text (it holds bytes that are not UTF-8)", "name a scenario .toml file, not a binary file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path} is not valid TOML: {exc}", "fix the syntax at the line named") from None
    except RecursionError:
        raise ScenarioError(
            f"{path} nests tables or arrays too deeply to read", "write the scenario as flat [section] tables"
        ) from None
    return _build(data, path)


def _org_uuid(org_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"keylab-sim:org:{org_id}"))


def _api_key_id(name: str) -> str:
    digest = hashlib.sha256(f"keylab-sim:apikey:{name}".encode()).digest()
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghijkmnopqrstuvwxyz"
    return "apikey_01" + "".join(alphabet[b % len(alphabet)] for b in digest[:22])


def _project_number(project_id: str) -> str:
    """A 12-digit cloud project number derived from the project id (Gemini messages show the number)."""
    return str(int(hashlib.sha256(f"keylab-sim:project:{project_id}".encode()).hexdigest(), 16) % 10**12).zfill(12)


def _key_format(t: Table, provider: str, kind: str) -> str:
    """The fake-key kind a key's value is derived in: Anthropic's from ``kind``, the others' from ``format``."""
    if provider == "anthropic":
        return kind
    allowed = tuple(k.id for k in providers()[provider].kinds)
    fmt = t.choice("format", allowed, DEFAULT_FORMATS[provider])
    return fmt


def _face_key_fields(t: Table, provider: str, kind: str) -> dict[str, Any]:
    """The per-key fields of the OpenAI face (project, scopes) and the Gemini face (referrers, apis)."""
    if provider == "openai":
        scopes = t.strings("scopes", ())
        if scopes and kind != "restricted":
            raise t.fail(
                "scopes",
                "is set on a key that is not restricted",
                'add kind = "restricted" to this key, or remove scopes',
            )
        return {"project": t.get("project", str, "proj_default"), "scopes": scopes}
    if provider == "gemini":
        return {"referrers": t.strings("referrers", ()), "apis": t.strings("apis", ())}
    return {}


def _build(data: dict[str, Any], path: Path | None) -> Scenario:
    origin = str(path) if path else "scenario"
    top = Table(data, "", origin)
    name = top.get("name", str, path.stem if path else "", required=path is None)
    description = top.get("description", str, "")

    api_t = Table(top.get("api", dict, {}), "api", origin)
    provider = api_t.choice("provider", PROVIDERS, "anthropic")
    api_t.refuse_foreign(provider, OWNERS["api"])
    top.refuse_foreign(provider, OWNERS["top"])
    versions = api_t.strings("versions", catalog().versions)
    if not versions:
        raise api_t.fail("versions", "is empty, so every request would be refused", 'list at least "2023-06-01"')
    api = ApiSettings(
        versions=versions,
        accept_bearer_api_keys=api_t.get("accept_bearer_api_keys", bool, True),
        responder=api_t.choice("responder", RESPONDERS, "anthropic"),
        latency_ms=api_t.non_negative("latency_ms", 0, MAX_LATENCY_MS),
        betas=api_t.strings("betas", DEFAULT_BETAS),
        accept_oauth_tokens=api_t.get("accept_oauth_tokens", bool, False),
        reject_both_auth_headers=api_t.get("reject_both_auth_headers", bool, True),
        max_body_bytes=api_t.non_negative("max_body_bytes", 0) or catalog().messages_max_bytes,
        body_timeout_s=float(api_t.get("body_timeout_s", (int, float), 10.0)),
        responder_status=api_t.non_negative("responder_status", 0),
        provider=provider,
        reject_unrestricted_standard_keys=api_t.get("reject_unrestricted_standard_keys", bool, False),
        mode=api_t.choice("mode", ("", *HOSTILE_MODES), ""),
    )
    if (api.responder == "hostile") != bool(api.mode):
        raise api_t.fail(
            "mode",
            'is set only with responder = "hostile", and required by it',
            f'write responder = "hostile" and mode = one of {", ".join(HOSTILE_MODES)}',
        )
    if api.body_timeout_s <= 0:
        raise api_t.fail("body_timeout_s", "must be positive", "write body_timeout_s = 10")
    if api.responder_status and not 100 <= api.responder_status <= 599:
        raise api_t.fail("responder_status", f"is {api.responder_status}, not an HTTP status", "use 400..599")
    api_t.done()

    orgs: list[Org] = []
    for where, item in tables(data, "orgs", origin):
        t = Table(item, where, origin)
        t.refuse_foreign(provider, OWNERS["orgs"])
        org_id = t.get("id", str, required=True)
        orgs.append(
            Org(
                id=org_id,
                name=t.get("name", str, "") or org_id,
                uuid=t.get("uuid", str, "") or _org_uuid(org_id),
                credit=t.choice("credit", CREDIT_STATES, "ok"),
                disabled=t.get("disabled", bool, False),
                spend_limit_reached=t.get("spend_limit_reached", bool, False),
                spend_limit_kind=t.choice("spend_limit_kind", SPEND_LIMIT_KINDS, "user"),
                spend_limit_resume=t.date("spend_limit_resume"),
                number=t.get("number", str, "") or _project_number(org_id),
                api_enabled=t.get("api_enabled", bool, True),
            )
        )
        t.done()
    unique([o.id for o in orgs], "orgs", "id", origin)
    if not orgs:
        orgs.append(Org(id="org-default", name="Default Organization", uuid=_org_uuid("org-default")))
    org_ids = [o.id for o in orgs]

    workspaces: dict[str, Workspace] = {}
    for where, item in tables(data, "workspaces", origin):
        t = Table(item, where, origin)
        ws_id = t.get("id", str, required=True)
        ws_org = t.get("org", str, org_ids[0])
        if ws_org not in org_ids:
            raise t.fail("org", f"names {ws_org!r}, which is not in [[orgs]]", f"use one of: {', '.join(org_ids)}")
        if ws_id in workspaces:
            raise t.fail("id", f"repeats workspace {ws_id!r}", "give each workspace a unique id")
        workspaces[ws_id] = Workspace(
            id=ws_id, name=t.get("name", str, "") or ws_id, org=ws_org, archived=t.get("archived", bool, False)
        )
        t.done()

    keys: list[KeySpec] = []
    for where, item in tables(data, "keys", origin):
        t = Table(item, where, origin)
        t.refuse_foreign(provider, OWNERS["keys"])
        key_name = t.get("name", str, required=True)
        kind = t.choice("kind", PROVIDER_KEY_KINDS[provider], "api")
        value = t.get("value", str, "")
        extra = _face_key_fields(t, provider, kind)
        key_org = t.get("org", str, org_ids[0])
        if key_org not in org_ids:
            raise t.fail(
                "org",
                f"names {key_org!r}, which is not in [[orgs]]",
                f'use one of: {", ".join(org_ids)}, or add an [[orgs]] entry with id = "{key_org}"',
            )
        workspace = t.get("workspace", str, "wrkspc_default")
        if value == "":
            value = derive_key(key_name, _key_format(t, provider, kind))
        elif value.strip() != value or not value:
            raise t.fail(
                "value",
                "has leading or trailing whitespace, which HTTP strips from headers",
                "store the key without surrounding whitespace",
            )
        keys.append(
            KeySpec(
                name=key_name,
                value=value,
                kind=kind,
                status=t.choice("status", KEY_STATUSES, "active"),
                org=key_org,
                workspace=workspace,
                identity_linked=t.get("identity_linked", bool, False),
                created=t.date("created") or dt.date(2025, 1, 1),
                id=t.get("id", str, "") or _api_key_id(key_name),
                **extra,
            )
        )
        t.done()
        if workspace not in workspaces:
            workspaces[workspace] = Workspace(id=workspace, name=_workspace_name(workspace), org=key_org)
    unique([k.name for k in keys], "keys", "name", origin)
    unique([k.value for k in keys], "keys", "value", origin)

    models: list[ModelSpec] = []
    today = dt.datetime.now(dt.UTC).date()
    if "models" in data:
        for where, item in tables(data, "models", origin):
            t = Table(item, where, origin)
            model_id = t.get("id", str, required=True)
            known = catalog().model(model_id)
            retired = t.get("retired", bool, None)
            if retired is None:
                retired = known.is_retired(today) if known else False
            models.append(
                ModelSpec(
                    id=model_id,
                    retired=retired,
                    display_name=t.get("display_name", str, "") or (known.display_name if known else model_id),
                    created=t.date("created") or (known.created if known else dt.date(2025, 1, 1)),
                )
            )
            t.done()
        unique([m.id for m in models], "models", "id", origin)
    elif provider != "anthropic":
        models = [
            ModelSpec(id=m, retired=False, display_name=m, created=dt.date(2025, 1, 1))
            for m in providers()[provider].sim_models
        ]
    else:
        models = [
            ModelSpec(id=m.id, retired=m.is_retired(today), display_name=m.display_name, created=m.created)
            for m in catalog().models
        ]

    rl = Table(top.get("rate_limit", dict, {}), "rate_limit", origin)
    rate_limit = RateLimit(requests_per_minute=rl.non_negative("requests_per_minute", 0))
    rl.done()

    ft = Table(top.get("faults", dict, {}), "faults", origin)
    faults = Faults(
        latency_ms=ft.non_negative("latency_ms", 0, MAX_LATENCY_MS),
        latency_jitter_ms=ft.non_negative("latency_jitter_ms", 0, MAX_LATENCY_MS),
        api_error=ft.share("api_error"),
        overloaded=ft.share("overloaded"),
        reset=ft.share("reset"),
        truncated=ft.share("truncated"),
        paths=ft.strings("paths", ()),
        seed=int(ft.get("seed", int, 0)),
    )
    total = faults.api_error + faults.overloaded + faults.reset + faults.truncated
    if total > 1.0 + 1e-9:
        raise ft.fail(
            "api_error",
            f"and the other shares add up to {total:g}, more than 1",
            "make api_error + overloaded + reset + truncated at most 1",
        )
    for p in faults.paths:
        if not p.startswith("/"):
            raise ft.fail("paths", f"has {p!r}, which is not a path", 'write paths such as ["/v1/messages"]')
    ft.done()

    top.read.update(("orgs", "workspaces", "keys", "models"))
    top.done()
    return Scenario(
        name=name,
        description=description,
        api=api,
        orgs=tuple(orgs),
        workspaces=tuple(workspaces.values()),
        keys=tuple(keys),
        models=tuple(models),
        rate_limit=rate_limit,
        faults=faults,
        source=path,
    )


def _workspace_name(ws_id: str) -> str:
    return "Default" if ws_id in ("wrkspc_default", "default") else ws_id.removeprefix("wrkspc_").replace("-", " ")
