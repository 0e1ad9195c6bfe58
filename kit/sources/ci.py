"""GitHub Actions as a source: is this job one that GitHub gives no secrets (fork pull request, Dependabot)?

Facts sheet §4: a fork's pull request gets no secrets, and a missing secret evaluates to ``""``, so
``env: ANTHROPIC_API_KEY: ${{ secrets.X }}`` defines an *empty* variable; a Dependabot run reads the
Dependabot secret store instead. Detection uses ``GITHUB_ACTIONS``, ``GITHUB_EVENT_NAME``, ``GITHUB_ACTOR``
and the event payload at ``GITHUB_EVENT_PATH``. Nothing of any secret is read here: only whether a
credential variable is defined and empty.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kit.env import Environment
from kit.guard.reader import Refused, read_bounded
from kit.sources.found import Found, setting

__all__ = ["DEPENDABOT", "from_github_actions"]

DEPENDABOT = "dependabot[bot]"
_PR_EVENTS = ("pull_request", "pull_request_review", "pull_request_review_comment")
_WATCHED = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")


def _payload(env: Environment) -> dict[str, Any]:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    full = Path(path) if Path(path).is_absolute() else env.cwd / path
    read = read_bounded(full, 4 << 20)
    if isinstance(read, Refused):
        return {}
    try:
        data = json.loads(read.data.decode("utf-8", "replace"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _get(data: Any, *keys: str) -> Any:
    for key in keys:
        data = data.get(key) if isinstance(data, dict) else None
    return data


def from_github_actions(env: Environment) -> list[Found]:
    """Sources (kind ``ci``) saying what kind of run this is and which credential variables are empty."""
    if env.get("GITHUB_ACTIONS") != "true":
        return []
    event = env.get("GITHUB_EVENT_NAME") or ""
    payload = _payload(env)
    repo = env.get("GITHUB_REPOSITORY") or _get(payload, "repository", "full_name") or "?"
    found = [setting("ci:github", "ci", "GITHUB_EVENT_NAME", f"GitHub Actions ({repo})", event)]
    head = _get(payload, "pull_request", "head", "repo")
    if event in _PR_EVENTS and isinstance(head, dict):
        base = _get(payload, "repository", "full_name")
        if head.get("fork") is True or (head.get("full_name") and base and head.get("full_name") != base):
            found.append(
                setting(
                    "ci:github:fork",
                    "ci",
                    None,
                    f"pull request from the fork {head.get('full_name')}",
                    None,
                    show_value=False,
                    note="GitHub passes no secrets (except GITHUB_TOKEN) to a fork's pull request",
                )
            )
    actor = env.get("GITHUB_ACTOR") or ""
    author = _get(payload, "pull_request", "user", "login") or ""
    if DEPENDABOT in (actor, author):
        found.append(
            setting(
                "ci:github:dependabot",
                "ci",
                "GITHUB_ACTOR",
                "a run started by Dependabot",
                actor,
                note="secrets come from the Dependabot secret store; Actions secrets are not available",
            )
        )
    for variable in _WATCHED:
        if env.get(variable) == "":
            found.append(
                setting(
                    f"ci:github:empty:{variable}",
                    "ci",
                    variable,
                    "job environment",
                    "",
                    note="defined but empty: a secret that was not passed evaluates to an empty string",
                )
            )
    return found
