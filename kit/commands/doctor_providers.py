"""The doctor over several providers: one investigation per provider whose credentials are found, one report.

``python -m kit doctor`` without ``--provider`` (and without ``--api-url``, which names one API) checks every
provider whose key variable is set (``kit.sources.provider_sources.found_providers``), each against its
official API, and reports per provider. The JSON keeps the one-provider shape (``findings``, ``keys``,
``attempts``, …), each item carrying ``provider``; ``top`` is the most important finding over all providers,
and the exit status is 0 only when every provider checked is healthy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kit.diagnose.diagnosis import rank_key

__all__ = ["MultiResult", "render_json_all", "render_text_all"]


@dataclass(frozen=True)
class MultiResult:
    """One ``DoctorResult`` per provider, in the order they were checked."""

    parts: tuple[Any, ...]  # DoctorResult (kept untyped here: doctor.py imports this module)

    @property
    def exit_code(self) -> int:
        return max((p.exit_code for p in self.parts), default=1)


def render_text_all(result: MultiResult, render_one: Callable[[Any], str]) -> str:
    """Each provider's report under its own heading, the providers checked listed first."""
    from kit.providers import provider

    names = [provider(p.provider).label for p in result.parts]
    lines = [f"KeyLab doctor · {len(names)} provider(s) checked: {', '.join(names)}", ""]
    for part, name in zip(result.parts, names, strict=True):
        lines += [f"### {name}", "", render_one(part).rstrip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_json_all(result: MultiResult, render_one: Callable[[Any], str]) -> str:
    """One JSON object of the one-provider shape; lists concatenated, each item with its ``provider``."""
    datas: Sequence[dict[str, Any]] = [json.loads(render_one(p)) for p in result.parts]
    merged: dict[str, Any] = {"providers": [p.provider for p in result.parts]}
    for key in ("findings", "keys", "attempts", "ruled_out", "sources", "winners", "path", "notes"):
        merged[key] = [item for data in datas for item in data.get(key, [])]
    # Each part's findings come in its own rank order, one JSON item per Finding: rank them all together.
    keyed = [
        (rank_key(f, n), item)
        for part, data in zip(result.parts, datas, strict=True)
        for n, (f, item) in enumerate(zip(part.diagnosis.findings, data.get("findings", []), strict=True))
    ]
    keyed.sort(key=lambda it: it[0])
    merged["findings"] = [item for _, item in keyed]
    merged["top"] = keyed[0][1]["cause"] if keyed else None
    merged["exit_code"] = result.exit_code
    merged["api_url"] = datas[0].get("api_url") if datas else ""
    merged["api_urls"] = {p.provider: data.get("api_url") for p, data in zip(result.parts, datas, strict=True)}
    merged["run_id"] = datas[0].get("run_id") if datas else ""
    merged["attribution"] = {p.provider: data.get("attribution") for p, data in zip(result.parts, datas, strict=True)}
    return json.dumps(merged, ensure_ascii=False, default=str)
