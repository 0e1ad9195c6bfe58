"""Run-log lines are validated one by one (issue 17 item 5): a bad line is named by number and skipped."""

from __future__ import annotations

import json

from kit.probe.logrows import MAX_PROBLEMS, parse_models, parse_rows, row_problem
from kit.values import AttemptResult


def _row(attempt_id: str = "a1", **changes: object) -> dict[str, object]:
    row = AttemptResult(
        run_id="r",
        attempt_id=attempt_id,
        key_alias="k",
        fingerprint="f",
        hint="h",
        source="s",
        client="httpx2",
        client_version="1",
        endpoint="/v1/models",
        method="GET",
        model=None,
        api_version="2023-06-01",
        auth_style="x-api-key",
        base_url="http://127.0.0.1:1",
        status=401,
        error_type="authentication_error",
        error_message="invalid x-api-key",
        request_id=None,
        responder="anthropic",
        latency_ms=1.5,
        transport_error=None,
        started_at="2026-12-01T00:00:00Z",
    ).to_row()
    row.update(changes)
    return row


def _jsonl(*items: object) -> bytes:
    return b"".join(json.dumps(i).encode() + b"\n" for i in items)


def test_a_good_row_passes_and_round_trips() -> None:
    assert row_problem(_row()) is None
    rows, problems = parse_rows(_jsonl(_row(), _row(latency_ms=12)), "run.jsonl")
    assert list(rows) == ["a1"] and problems == []


def test_each_kind_of_tampering_is_named_by_line_and_skipped() -> None:
    data = (
        _jsonl(
            _row("a1", status="401"),
            [1, 2],
            _row("a3", latency_ms="fast"),
            _row("a4", status=True),
            _row("a5", status=99999),
        )
        + b"{not json\n"
        + _jsonl(_row("ok"))
    )
    rows, problems = parse_rows(data, "run.jsonl")
    assert list(rows) == ["ok"]
    assert problems == [
        'run.jsonl line 1: field status is str "401", not int or null; skipped (its attempt is sent again)',
        "run.jsonl line 2: a JSON list, not an object; skipped (its attempt is sent again)",
        'run.jsonl line 3: field latency_ms is str "fast", not float or null; skipped (its attempt is sent again)',
        "run.jsonl line 4: field status is bool true, not int or null; skipped (its attempt is sent again)",
        "run.jsonl line 5: field status is 99999, not an HTTP status; skipped (its attempt is sent again)",
        "run.jsonl line 6: not a JSON line; skipped (its attempt is sent again)",
    ]


def test_a_closed_set_is_checked() -> None:
    assert row_problem(_row(auth_style="cookie")) == (
        'field auth_style is str "cookie", not one of x-api-key, bearer, both, none, default'
    )


def test_a_missing_field_is_a_problem_not_a_type_error() -> None:
    row = _row()
    del row["attempt_id"]
    assert row_problem(row) == "field attempt_id is missing"


def test_models_lines_are_checked() -> None:
    data = _jsonl(
        {"attempt_id": "x", "models": 5},
        {"attempt_id": "y", "models": ["m1", 2]},
        {"models": []},
        {"attempt_id": "z", "models": ["claude-haiku-4-5"]},
    )
    listings, problems = parse_models(data, "run.models.jsonl")
    assert listings == {"z": ("claude-haiku-4-5",)}
    assert [p.split(":")[0] for p in problems] == [
        "run.models.jsonl line 1",
        "run.models.jsonl line 2",
        "run.models.jsonl line 3",
    ]


def test_many_bad_lines_are_counted_not_listed() -> None:
    rows, problems = parse_rows(b"x\n" * (MAX_PROBLEMS + 5), "run.jsonl")
    assert not rows and len(problems) == MAX_PROBLEMS + 1 and problems[-1] == "run.jsonl: 5 more bad lines skipped"


def test_a_row_is_every_field_as_stored_plus_the_outcome() -> None:
    """``to_row`` reads the fields shallowly: that equals ``asdict`` only while every field is a scalar."""
    import dataclasses
    import typing

    hints = typing.get_type_hints(AttemptResult)
    scalars = (str, int, float, bool, type(None))
    for f in dataclasses.fields(AttemptResult):
        hint = hints[f.name]
        kinds = () if typing.get_origin(hint) is typing.Literal else typing.get_args(hint) or (hint,)
        assert all(k in scalars for k in kinds), f.name
    row = AttemptResult.from_row(
        {f.name: None for f in dataclasses.fields(AttemptResult)} | {"responder": "none", "started_at": ""}
    )
    assert row.to_row() == dataclasses.asdict(row) | {"outcome": row.outcome}
