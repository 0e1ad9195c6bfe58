"""The rule type: one small pure function over the evidence, with what it needs for the cause catalog.

A rule looks at one ``Evidence`` value and returns zero or more ``Finding``s; it never does I/O and
never raises on odd evidence. ``recognises`` and ``fix`` feed the generated page docs/causes.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from kit.values import Evidence, Finding

__all__ = ["Rule", "rule"]

Check = Callable[[Evidence], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    name: str
    causes: tuple[str, ...]  # the causes.md ids this rule can report
    recognises: str  # how KeyLab recognises them, for people
    fix: str  # the usual fix, for people
    check: Check

    def __call__(self, evidence: Evidence) -> tuple[Finding, ...]:
        return tuple(self.check(evidence))


def rule(*causes: str, recognises: str, fix: str) -> Callable[[Check], Rule]:
    """Decorator: turn ``def name(evidence) -> Iterable[Finding]`` into a registered ``Rule``."""

    def wrap(check: Check) -> Rule:
        return Rule(name=check.__name__, causes=causes, recognises=recognises, fix=fix, check=check)

    return wrap
