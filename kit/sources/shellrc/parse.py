"""One file's text to its events: the assignments and ``source`` includes, in order, by the file's syntax."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from kit.sources.shellrc.csh import csh_command
from kit.sources.shellrc.expand import Expander
from kit.sources.shellrc.fish import fish_command, fish_universal
from kit.sources.shellrc.lexer import scan
from kit.sources.shellrc.posix import posix_command
from kit.sources.shellrc.records import ShellSyntax
from kit.sources.shellrc.state import Event, State


def parse_text(text: str, syntax: ShellSyntax, *, path: Path, home: Path, variables: Mapping[str, str]) -> list[Event]:
    """The assignments (and ``source`` includes, as ``(path, line)``) in ``text``, in order. Never raises."""
    if syntax == "fish-universal":
        return list(fish_universal(text, path))
    scope: dict[str, str | None] = dict(variables)
    expander = Expander("fish" if syntax == "fish" else syntax, home, scope, path.parent)
    state = State()
    events: list[Event] = []
    for command in scan(text, "fish" if syntax == "fish" else "posix"):
        if syntax == "fish":
            events.extend(fish_command(command, state, expander, path))
        elif syntax == "csh":
            events.extend(csh_command(command, state, expander, path))
        else:
            events.extend(posix_command(command, state, expander, path))
    return events
