"""Scenario suite, group 'local': where the key comes from, and the network path.

Each case is a sandbox (fake HOME, project, variables, key files) against the simulator; the doctor runs
in-process (`run_doctor`) and must name the expected top cause. See tests/scenarios/suite.py.
"""

from __future__ import annotations

import pytest
from scenarios.suite import Outcome, failure_message, group_cases, params, run_group

from kit.testing import assert_no_leak

CASES = group_cases("s", "p")


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    return run_group(CASES, tmp_path_factory.mktemp("scenarios"))


@pytest.mark.parametrize("name", params(CASES))
def test_case_gives_the_expected_top_cause(outcomes: dict[str, Outcome], name: str) -> None:
    outcome = outcomes[name]
    assert outcome.passed, failure_message(outcome)


def test_no_output_leaks_a_key(outcomes: dict[str, Outcome]) -> None:
    for o in outcomes.values():
        assert_no_leak([o.text, o.json], o.secrets)
