"""A resumed run log is input like any other: each line is checked before it is trusted (issue 17 item 5).

A run log on disk can be torn, edited or planted: ``"status": "401"`` (a string), a models line
``{"attempt_id": "x", "models": 5}``, a line that is not JSON. Trusting such a row gave tracebacks, and a
wrong row would stand for an attempt that was never answered. ``parse_rows`` and ``parse_models`` turn the
log's bytes into rows and model lists, and name every line they skip with its number and the problem;
the engine re-sends a skipped line's attempt, so a bad row costs one request, never a wrong verdict.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from dataclasses import fields
from typing import Any

from kit.values import AttemptResult

__all__ = ["MAX_PROBLEMS", "parse_models", "parse_rows", "row_problem"]

#: Problems reported per file; more are counted, not listed.
MAX_PROBLEMS = 20


@functools.cache
def _expected() -> dict[str, Any]:
    """Each row field's type hint (``int | None``, ``Literal[...]``, ``float``…), resolved once."""
    hints = typing.get_type_hints(AttemptResult)
    return {f.name: hints[f.name] for f in fields(AttemptResult)}


def _accepts(hint: Any, value: Any) -> bool:
    """True when ``value`` (decoded JSON) fits ``hint``; a bool never passes for a number."""
    origin = typing.get_origin(hint)
    if isinstance(hint, types.UnionType) or origin is typing.Union:
        return any(_accepts(arg, value) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is type(None):
        return value is None
    if isinstance(value, bool) and hint is not bool:
        return False
    if hint is float:
        return isinstance(value, int | float)  # JSON writes 12.0 as 12
    return isinstance(value, hint) if isinstance(hint, type) else True


def _describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    if isinstance(hint, types.UnionType) or origin is typing.Union:
        return " or ".join(_describe(arg) for arg in typing.get_args(hint))
    if origin is typing.Literal:
        return "one of " + ", ".join(str(a) for a in typing.get_args(hint))
    return "null" if hint is type(None) else getattr(hint, "__name__", str(hint))


@functools.cache
def _required() -> frozenset[str]:
    from dataclasses import MISSING

    return frozenset(f.name for f in fields(AttemptResult) if f.default is MISSING and f.default_factory is MISSING)


def row_problem(item: Any) -> str | None:
    """Why ``item`` (one decoded JSON line) is not a run-log row, or ``None`` when it is one."""
    if not isinstance(item, dict):
        return f"a JSON {type(item).__name__}, not an object"
    missing = sorted(_required() - item.keys())
    if missing:
        return f"field {missing[0]} is missing"
    for name, hint in _expected().items():
        if name in item and not _accepts(hint, item[name]):
            value = item[name]
            return f"field {name} is {type(value).__name__} {_short(value)}, not {_describe(hint)}"
    status = item.get("status")
    if status is not None and not 100 <= status <= 599:
        return f"field status is {status}, not an HTTP status"
    return None


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= 30 else text[:29] + "…"


def _lines(data: bytes) -> typing.Iterator[tuple[int, Any, str | None]]:
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw.decode("utf-8")), None
        except (ValueError, UnicodeDecodeError, RecursionError):
            yield number, None, "not a JSON line"


def _note(problems: list[str], count: int, text: str) -> None:
    if count <= MAX_PROBLEMS:
        problems.append(text)


def parse_rows(data: bytes, where: str) -> tuple[dict[str, AttemptResult], list[str]]:
    """The rows of a run log (first row per attempt id wins) and one problem per skipped line."""
    rows: dict[str, AttemptResult] = {}
    problems: list[str] = []
    bad = 0
    for number, item, error in _lines(data):
        problem = error or row_problem(item)
        if problem is None:
            try:
                result = AttemptResult.from_row(item)
            except (TypeError, ValueError) as exc:
                problem = f"not a row ({type(exc).__name__})"
            else:
                rows.setdefault(result.attempt_id, result)
                continue
        bad += 1
        _note(problems, bad, f"{where} line {number}: {problem}; skipped (its attempt is sent again)")
    if bad > MAX_PROBLEMS:
        problems.append(f"{where}: {bad - MAX_PROBLEMS} more bad lines skipped")
    return rows, problems


def parse_models(data: bytes, where: str) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """The model lists of a ``.models.jsonl`` (attempt id → ids) and one problem per skipped line."""
    listings: dict[str, tuple[str, ...]] = {}
    problems: list[str] = []
    bad = 0
    for number, item, error in _lines(data):
        problem = error
        if problem is None:
            if not isinstance(item, dict) or not isinstance(item.get("attempt_id"), str):
                problem = "no attempt_id string"
            elif not isinstance(item.get("models"), list) or not all(isinstance(m, str) for m in item["models"]):
                problem = "models is not a list of strings"
            else:
                listings[item["attempt_id"]] = tuple(item["models"])
                continue
        bad += 1
        _note(problems, bad, f"{where} line {number}: {problem}; skipped")
    if bad > MAX_PROBLEMS:
        problems.append(f"{where}: {bad - MAX_PROBLEMS} more bad lines skipped")
    return listings, problems
