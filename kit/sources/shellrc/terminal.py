"""What a new terminal ends up with: replaying the assignments to one variable in read order."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kit.sources.shellrc.records import Assignment, ShellFile


@dataclass(frozen=True)
class Effective:
    """The value of one variable in a new terminal, and the assignment that decided it."""

    name: str
    value: str | None = field(repr=False)
    exported: bool
    assignment: Assignment | None  # None: no start-up file sets it; the value is inherited
    inherited: bool
    unknown: bool  # a start-up file sets it to something KeyLab cannot evaluate


def effective(name: str, files: Sequence[ShellFile], inherited: Mapping[str, str]) -> Effective:
    """Replay the assignments to ``name`` in read order, as a new terminal would.

    A variable inherited from the environment stays exported when a start-up file assigns it without
    ``export`` (the shell marks imported variables for export), which is why a bare
    ``ANTHROPIC_API_KEY=...`` line still reaches ``curl``.
    """
    value: str | None = inherited.get(name)
    present = name in inherited
    exported = present
    decided: Assignment | None = None
    unknown = False
    for file in files:
        for item in file.assignments:
            if (
                item.name != name
                or item.in_function
                or (item.syntax == "csh" and not item.exported and item.action == "set")
            ):
                continue  # function bodies do not run at start-up; csh `set` is not the environment
            if item.action == "unset":
                value, present, exported, decided, unknown = None, False, False, item, False
            elif item.action == "export-mark":
                exported = item.exported
                decided = decided or item
            else:
                value = item.value
                unknown = item.value is None
                present = True
                exported = exported or item.exported
                decided = item
    return Effective(
        name=name,
        value=value if present else None,
        exported=exported and present,
        assignment=decided,
        inherited=decided is None and present,
        unknown=unknown,
    )
