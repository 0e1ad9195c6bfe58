"""The successful answers of the inference endpoints: model list and retrieve, messages, count_tokens.

Shapes follow the API reference and the installed SDK's types (``ModelInfo`` with ``lifecycle``,
``Message`` with a ``usage`` block). The reply text is short and canned; nothing here costs anything.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

from kit.catalog import catalog
from kit.sim.answers import Answer, api_error, date_time, json_answer, new_message_id
from kit.sim.paging import PageError, paginate
from kit.sim.scenario import ModelSpec, Scenario

__all__ = ["count_tokens", "list_models", "messages", "model_info", "retrieve_model"]

REPLY = "Hello! This is the KeyLab simulator: your key and headers were accepted."
LIFECYCLES = ("active", "deprecated", "retired")


def model_info(model: ModelSpec) -> dict[str, Any]:
    known = catalog().model(model.id)
    retires = known.retired if known else None
    return {
        "type": "model",
        "id": model.id,
        "display_name": model.display_name,
        "created_at": date_time(model.created),
        "lifecycle": "retired" if model.retired else "active",
        "deprecated_at": None,
        "retires_at": date_time(retires) if retires else None,
        "max_input_tokens": 200_000,
        "max_tokens": 64_000,
    }


def page_error(err: PageError, org_uuid: str | None) -> Answer:
    return api_error("query-invalid", "query", org_uuid=org_uuid, param=err.param, problem=err.problem)


def list_models(
    scenario: Scenario, query: Mapping[str, str], lifecycle: tuple[str, ...], org_uuid: str | None
) -> Answer:
    """Newest first; retired models only when ``lifecycle`` asks for them (as the current API does)."""
    memo_key = ("models", tuple(sorted(query.items())), lifecycle, org_uuid)
    cached = scenario.memo.get(memo_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    answer = _list_models(scenario, query, lifecycle, org_uuid)
    if len(scenario.memo) > 1000:
        scenario.memo.clear()
    scenario.memo[memo_key] = answer
    return answer


def _list_models(
    scenario: Scenario, query: Mapping[str, str], lifecycle: tuple[str, ...], org_uuid: str | None
) -> Answer:
    wanted = set(lifecycle) or {"active", "deprecated"}
    bad = wanted - set(LIFECYCLES)
    if bad:
        return api_error(
            "query-invalid",
            "query",
            org_uuid=org_uuid,
            param="lifecycle",
            problem=f"Input should be 'active', 'deprecated' or 'retired', got {sorted(bad)[0]!r}",
        )
    models = [m for m in scenario.models if ("retired" if m.retired else "active") in wanted]
    models.sort(key=lambda m: (m.created, m.id), reverse=True)
    page = paginate([model_info(m) for m in models], query)
    if isinstance(page, PageError):
        return page_error(page, org_uuid)
    return json_answer(page.body(), org_uuid=org_uuid)


def retrieve_model(scenario: Scenario, model_id: str, org_uuid: str | None) -> Answer:
    model = scenario.models_by_id.get(model_id)
    if model is None:
        return api_error("model-not-found", "model", org_uuid=org_uuid, model=model_id)
    return json_answer(model_info(model), org_uuid=org_uuid)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return ""


def estimate_input_tokens(payload: Mapping[str, Any]) -> int:
    """A rough count (4 characters a token, 3 tokens overhead a message): plausible, not the tokenizer."""
    total = 0
    for message in payload.get("messages") or []:
        if isinstance(message, dict):
            total += 3 + len(_text_of(message.get("content"))) // 4
    system = payload.get("system")
    if system:
        total += len(_text_of(system)) // 4
    return max(total, 1)


def count_tokens(payload: Mapping[str, Any], org_uuid: str | None, headers: tuple[tuple[str, str], ...]) -> Answer:
    return json_answer({"input_tokens": estimate_input_tokens(payload)}, org_uuid=org_uuid, headers=headers)


def messages(payload: Mapping[str, Any], org_uuid: str | None, headers: tuple[tuple[str, str], ...]) -> Answer:
    """A canned reply cut to ``max_tokens`` words; a stream of SSE events when ``stream`` is true."""
    words = REPLY.split(" ")
    max_tokens = int(payload["max_tokens"])
    cut = words[:max_tokens]
    text = " ".join(cut)
    stop_reason = "end_turn" if len(cut) == len(words) else "max_tokens"
    usage = {
        "input_tokens": estimate_input_tokens(payload),
        "output_tokens": len(cut),
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "service_tier": "standard",
    }
    message = {
        "id": new_message_id(),
        "type": "message",
        "role": "assistant",
        "model": payload["model"],
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": usage,
    }
    if payload.get("stream") is True:
        return Answer(
            status=200,
            headers=headers,
            org_uuid=org_uuid,
            kind="sse",
            check="ok",
            content_type="text/event-stream; charset=utf-8",
            events=_stream_events(message, cut),
        )
    return json_answer(message, org_uuid=org_uuid, headers=headers)


def _stream_events(message: dict[str, Any], words: list[str]) -> tuple[tuple[str, dict[str, Any] | str], ...]:
    start = dict(message, content=[], stop_reason=None, usage=dict(message["usage"], output_tokens=1))
    events: list[tuple[str, dict[str, Any] | str]] = [
        ("message_start", {"type": "message_start", "message": start}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        ("ping", {"type": "ping"}),
    ]
    for i, word in enumerate(words):
        piece = word if i == 0 else " " + word
        events.append(
            (
                "content_block_delta",
                {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
            )
        )
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": message["stop_reason"], "stop_sequence": None},
                "usage": {"output_tokens": message["usage"]["output_tokens"]},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return tuple(events)


def sse_bytes(events: tuple[tuple[str, dict[str, Any] | str], ...]) -> list[bytes]:
    """Server-sent events; an event named "" is a bare ``data:`` line (OpenAI, Gemini), a str is sent as is."""
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        out.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return [line.encode() for line in out]


def spend_limit_resume(today: dt.date) -> dt.date:
    """The 1st of next month: when monthly limits reset (docs/reference/anthropic-auth.md §9)."""
    return dt.date(today.year + (today.month == 12), today.month % 12 + 1, 1)
