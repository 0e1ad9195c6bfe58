"""The adaptive plan's first stage: one cheap request per distinct key, grouped by the clients that send it."""

from __future__ import annotations

from kit.keys.report import KeyReport
from kit.probe.plan import Dimensions, Stage
from kit.probe.plan import make_attempt as _attempt
from kit.values import AttemptResult


def first_stage(dims: Dimensions) -> Stage:
    """One zero-token ``GET /v1/models`` per distinct credential, through the base client."""
    client = dims.base_client
    attempts = []
    notes = [
        f"one GET /v1/models per distinct credential through {client}"
        + (" (it sends the key's bytes exactly as stored)" if client == "httpx2" else "")
        + ": zero tokens, and it says whether each key authenticates"
    ]
    for key, same in dims.distinct_keys():
        if same:
            notes.append(f"{', '.join(k.alias for k in same)} hold the same bytes as {key.alias}: asked once")
        attempts.append(
            _attempt(
                dims,
                key,
                client,
                "GET",
                "/v1/models",
                None,
                dims.versions[0] if dims.versions else None,
                dims.base_style,
                f"does {key.alias} authenticate?",
            )
        )
    return Stage(1, "who authenticates", tuple(attempts), tuple(notes))


def _group(result: AttemptResult, key: KeyReport) -> tuple[object, ...]:
    """Keys whose first answers look alike: one of them speaks for all."""
    return (
        result.outcome,
        result.status,
        result.error_type,
        result.error_message if result.status else None,
        result.transport_error,
        result.responder,
        key.causes,
        key.role,
    )
