"""What the start-up file reader produces: assignments, files as read, candidate start-up files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

#: How a start-up file is written: sh/bash/zsh, fish, fish's ``fish_variables`` file, csh/tcsh.
ShellSyntax = Literal["posix", "fish", "fish-universal", "csh"]
#: The shells whose start-up files KeyLab reads (csh users read tcsh's files).
StartupShell = Literal["zsh", "bash", "sh", "dash", "ksh", "mksh", "fish", "tcsh"]
#: What a statement does to a variable: sets it, marks it for export (or removes the mark), unsets it.
AssignAction = Literal["set", "export-mark", "unset"]
#: How the value was quoted ("" for bare, "mixed" when the word joins several quoting styles).
Quoting = Literal["", "single", "double", "ansi-c", "mixed"]


@dataclass(frozen=True)
class Assignment:
    """One statement that sets, exports or unsets a variable in a start-up file."""

    name: str
    value: str | None = field(repr=False)  # None: not known without running the shell (or an unset)
    path: Path
    line: int
    action: AssignAction
    exported: bool  # an explicit export (export, declare -x, set -x, setenv, allexport)
    syntax: ShellSyntax
    quoting: Quoting = ""
    in_function: bool = False  # inside a function body: runs only when the function is called
    conditional: bool = False  # inside if/case/loop: may or may not run
    note: str = ""

    @property
    def applies_at_startup(self) -> bool:
        return not self.in_function


@dataclass(frozen=True)
class ShellFile:
    """A start-up file as read: its assignments in order (with sourced files inline) and any problems."""

    path: Path
    syntax: ShellSyntax
    assignments: tuple[Assignment, ...]
    includes: tuple[Path, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Startup:
    """A candidate start-up file and whether the user's shell reads it when a new terminal opens."""

    path: Path
    syntax: ShellSyntax
    read_by_shell: bool
    shell: StartupShell  # the shell that reads this file
