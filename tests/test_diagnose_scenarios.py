"""The scenario suite's shape: enough cases, every cause of the vocabulary covered, the ticket's pattern several ways.

The cases themselves run in tests/test_diagnose_scenarios_*.py (one group per file, so each file stays
short); together they write the confusion table to reports/confusion.md.
"""

from __future__ import annotations

from scenarios.suite import load_cases

from kit.causes_doc import VOCABULARY

GROUPS = ("t", "c", "k", "s", "p", "a0", "a1", "h")


def test_the_suite_is_big_enough_and_covers_every_cause() -> None:
    cases = load_cases()
    assert len(cases) >= 30
    missing = sorted({c.id for c in VOCABULARY} - {c.expect for c in cases})
    assert not missing, f"causes without a case: {missing}"
    assert sum(1 for c in cases if c.pattern == "ticket") >= 5
    assert {c.expect for c in cases if c.pattern == "ticket"} >= {"stale-env-shadows-dotenv", "key-extra-chars",
                                                                 "key-rejected"}


def test_every_case_belongs_to_exactly_one_group_file() -> None:
    for case in load_cases():
        assert sum(case.name.startswith(g) for g in GROUPS) == 1, case.name


def test_every_case_is_live_unless_it_says_why_not() -> None:
    for case in load_cases():
        assert case.folder is not None or len(case.constructed) > 40, case.name
