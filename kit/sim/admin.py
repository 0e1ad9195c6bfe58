"""The Admin API endpoints a diagnosis needs: list and retrieve API keys, workspaces, and ``/me``.

Only what an admin key may see about its own organization: API keys (never their secret, only the
Console-style ``partial_key_hint``), workspaces and the organization itself
(docs/reference/anthropic-auth.md §4; shapes as in the installed SDK's ``organization`` types).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from kit.keys.naming import hint
from kit.sim.answers import Answer, api_error, date_time, json_answer
from kit.sim.endpoints import page_error
from kit.sim.paging import PageError, paginate
from kit.sim.scenario import KEY_STATUSES, KeySpec, Org, Scenario, Workspace

__all__ = ["api_key_object", "get_api_key", "get_workspace", "list_api_keys", "list_workspaces", "me"]

_COLORS = ("#6C5BB9", "#2B8A3E", "#C2255C", "#1971C2", "#E8590C", "#5F3DC4")


def _user_id(org: str) -> str:
    return "user_01" + hashlib.sha256(f"keylab-sim:user:{org}".encode()).hexdigest()[:22]


def api_key_object(key: KeySpec) -> dict[str, Any]:
    return {
        "type": "api_key",
        "id": key.id,
        "name": key.name,
        "created_at": date_time(key.created),
        "created_by": {"id": _user_id(key.org), "type": "user"},
        "expires_at": None,
        "partial_key_hint": hint(key.value),
        "status": key.status,
        "workspace_id": key.workspace,
        "scope": {"type": "workspace", "workspace_id": key.workspace},
        "principal": {"type": "user_actor", "user_id": _user_id(key.org)} if key.identity_linked else None,
    }


def _org_keys(scenario: Scenario, org: Org) -> list[KeySpec]:
    return [k for k in scenario.keys if k.org == org.id and k.kind == "api"]


def list_api_keys(scenario: Scenario, org: Org, query: Mapping[str, str]) -> Answer:
    keys = _org_keys(scenario, org)
    status = query.get("status")
    if status is not None:
        if status not in KEY_STATUSES:
            return api_error(
                "query-invalid",
                "query",
                org_uuid=org.uuid,
                param="status",
                problem=f"Input should be {', '.join(repr(s) for s in KEY_STATUSES)}",
            )
        keys = [k for k in keys if k.status == status]
    workspace = query.get("workspace_id")
    if workspace is not None:
        keys = [k for k in keys if k.workspace == workspace]
    creator = query.get("created_by_user_id")
    if creator is not None:
        keys = [k for k in keys if _user_id(k.org) == creator]
    keys.sort(key=lambda k: (k.created, k.id), reverse=True)
    page = paginate([api_key_object(k) for k in keys], query)
    if isinstance(page, PageError):
        return page_error(page, org.uuid)
    return json_answer(page.body(), org_uuid=org.uuid)


def get_api_key(scenario: Scenario, org: Org, key_id: str) -> Answer:
    for key in _org_keys(scenario, org):
        if key.id == key_id:
            return json_answer(api_key_object(key), org_uuid=org.uuid)
    return api_error("not-found", "admin", org_uuid=org.uuid)


def workspace_object(ws: Workspace, index: int) -> dict[str, Any]:
    return {
        "type": "workspace",
        "id": ws.id,
        "name": ws.name,
        "created_at": "2025-01-01T00:00:00Z",
        "archived_at": "2026-01-01T00:00:00Z" if ws.archived else None,
        "display_color": _COLORS[index % len(_COLORS)],
        "tags": {},
    }


def _flag(query: Mapping[str, str], name: str, default: bool) -> bool:
    value = query.get(name)
    return default if value is None else value.lower() in ("1", "true", "yes")


def list_workspaces(scenario: Scenario, org: Org, query: Mapping[str, str]) -> Answer:
    include_archived = _flag(query, "include_archived", False)
    items = [
        workspace_object(ws, i)
        for i, ws in enumerate(scenario.workspaces)
        if ws.org == org.id and (include_archived or not ws.archived)
    ]
    page = paginate(items, query)
    if isinstance(page, PageError):
        return page_error(page, org.uuid)
    return json_answer(page.body(), org_uuid=org.uuid)


def get_workspace(scenario: Scenario, org: Org, workspace_id: str) -> Answer:
    for i, ws in enumerate(scenario.workspaces):
        if ws.id == workspace_id and ws.org == org.id:
            return json_answer(workspace_object(ws, i), org_uuid=org.uuid)
    return api_error("not-found", "admin", org_uuid=org.uuid)


def me(org: Org) -> Answer:
    return json_answer({"id": org.uuid, "name": org.name, "type": "organization"}, org_uuid=org.uuid)
