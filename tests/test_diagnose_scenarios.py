"""The scenario suite: every case gives its expected top cause, no output leaks a key, and the suite's shape.

Each case is a sandbox (fake HOME, project, variables, key files) against the simulator; the doctor runs
in-process (`run_doctor`) and must name the expected top cause. Cases run one group at a time, the first
time a test of that group needs them, so no single test waits for the whole suite; together they write the
confusion table to reports/confusion.md. See tests/scenarios/suite.py.
"""

from __future__ import annotations

import pytest
from scenarios.suite import Outcome, failure_message, group_cases, load_cases, params, run_group
from shared_runs import SharedRuns

from kit.diagnose.causes_doc import VOCABULARY
from kit.testing import assert_no_leak

#: Groups of cases by name prefix: api (a01-a09), more api and healthy, key bytes, sources and path, ticket,
#: then the OpenAI (o) and Gemini (g) groups, tools and runtimes (r) and gateways (w).
GROUPS: dict[str, tuple[str, ...]] = {
    "api": ("a0",),
    "api-more": ("a1", "h"),
    "keys": ("k",),
    "local": ("s", "p"),
    "ticket": ("t", "c"),
    "openai": ("o",),
    "gemini": ("g",),
    "tools": ("r",),
    "gateways": ("w",),
}
_RUNS: dict[str, dict[str, Outcome]] = {}


def _group_of(name: str) -> str:
    return next(g for g, prefixes in GROUPS.items() if name.startswith(prefixes))


def _outcomes(group: str, factory: pytest.TempPathFactory, shared: SharedRuns) -> dict[str, Outcome]:
    if group not in _RUNS:
        _RUNS[group] = run_group(
            group_cases(*GROUPS[group]), factory.mktemp(f"scenarios-{group}"), shared=shared.root / "scenarios"
        )
    return _RUNS[group]


@pytest.mark.slow  # each group runs the doctor on every case of the group: make test-fast leaves them out
@pytest.mark.parametrize("name", params(load_cases(), group=_group_of))
def test_case_gives_the_expected_top_cause(
    name: str, tmp_path_factory: pytest.TempPathFactory, shared_runs: SharedRuns
) -> None:
    outcome = _outcomes(_group_of(name), tmp_path_factory, shared_runs)[name]
    assert outcome.passed, failure_message(outcome)


@pytest.mark.slow
@pytest.mark.parametrize("group", [pytest.param(g, marks=pytest.mark.xdist_group(f"scenarios-{g}")) for g in GROUPS])
def test_no_output_leaks_a_key(group: str, tmp_path_factory: pytest.TempPathFactory, shared_runs: SharedRuns) -> None:
    for outcome in _outcomes(group, tmp_path_factory, shared_runs).values():
        assert_no_leak([outcome.text, outcome.json], outcome.secrets)


def test_the_suite_is_big_enough_and_covers_every_cause() -> None:
    cases = load_cases()
    assert len(cases) >= 30
    missing = sorted({c.id for c in VOCABULARY} - {c.expect for c in cases})
    assert not missing, f"causes without a case: {missing}"
    assert sum(1 for c in cases if c.pattern == "ticket") >= 5
    assert {c.expect for c in cases if c.pattern == "ticket"} >= {
        "stale-env-shadows-dotenv",
        "key-extra-chars",
        "key-rejected",
    }


def test_every_case_belongs_to_exactly_one_group() -> None:
    for case in load_cases():
        assert sum(case.name.startswith(prefixes) for prefixes in GROUPS.values()) == 1, case.name


def test_every_case_is_live_unless_it_says_why_not() -> None:
    for case in load_cases():
        assert case.folder is not None or len(case.constructed) > 40, case.name
